"""PyTorch side of scripts/speed/teacherTrain.ts: the CNN teacher conv32-conv64-dense256 ('same' 3x3
convs, ReLU, 2x2 max pooling), cross-entropy, Adam, batch 128, one thread; samples/s of a training step
(median). Random inputs: a step's cost does not depend on the pixels' values in PyTorch.

    /usr/bin/python3 scripts/speed/teacher_torch.py [--steps 40]

This machine's python3-torch links Debian's reference BLAS (libblas3: a 1024² matmul at ~4 GFLOP/s), which makes
PyTorch's dense layers ~20× slower than the OpenBLAS it is meant to run with. Compare against OpenBLAS, unpacked
without installing it (`apt-get download libopenblas0-pthread && dpkg-deb -x *.deb DIR`):
    LD_LIBRARY_PATH=DIR/usr/lib/x86_64-linux-gnu/openblas-pthread OPENBLAS_NUM_THREADS=1 /usr/bin/python3 ...
"""
import json, statistics, sys, time
import torch, torch.nn as nn, torch.nn.functional as F

torch.set_num_threads(1)
torch.manual_seed(0)
steps = int(sys.argv[sys.argv.index('--steps') + 1]) if '--steps' in sys.argv else 40
model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Flatten(), nn.Linear(64 * 7 * 7, 256), nn.ReLU(), nn.Linear(256, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x, y = torch.rand(128, 1, 28, 28), torch.randint(0, 10, (128,))
times = []
for i in range(steps + 3):
    t0 = time.perf_counter()
    loss = F.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    loss.item()
    if i >= 3:
        times.append(time.perf_counter() - t0)
print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(), 'samplesPerSec': round(128 / statistics.median(times))}))
