"""The same workloads and the same temperature sweep in PyTorch, written the way the guide
writes them (plain nn.Sequential, F.kl_div on log-softmax / softmax at T, times T*T*alpha,
plus (1 - alpha) * cross-entropy, Adam), on one thread. Spawned by scripts/bench/run.ts,
which exports the bundled digits and the sweep's exact splits as raw files first.

    python3 torch_bench.py DATA_DIR [--steps 30]
    python3 torch_bench.py DATA_DIR --sweep-part K/N   (after the first: the sweep's K-th share of N processes)

DATA_DIR holds images.u8 (N*28*28), labels.u8 (N), train.u32, val.u32, test.u32 (sample
indices) and sweep.json ({"temperatures": [...], "alpha": a, "epochs": e, "teacherEpochs": t}).
The resnet8 workload (CIFAR ResNet-8 student, cached ResNet-20 logits) reads the digits padded
to 32x32 and tiled to three channels, as scripts/bench/workloads.ts does.
Prints one JSON object on stdout.
"""
import json
import os
import statistics
import sys
import time

import numpy as np
import torch
from torch_threads import set_threads
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
torch.manual_seed(0)
BATCH = 128


def mlp(hidden):
    layers, width = [nn.Flatten()], 784
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    return nn.Sequential(*layers, nn.Linear(width, 10))


def cnn(filters, dense):
    layers, ch, side = [], 1, 28
    for f in filters:
        layers += [nn.Conv2d(ch, f, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
        ch, side = f, side // 2
    layers.append(nn.Flatten())
    width = ch * side * side
    for d in dense:
        layers += [nn.Linear(width, d), nn.ReLU()]
        width = d
    return nn.Sequential(*layers, nn.Linear(width, 10))


class BasicBlock(nn.Module):
    """CIFAR ResNet block as the engine's resnet preset: conv-BN-ReLU-conv-BN + shortcut (1x1 stride-2 projection + BN where the shape changes), ReLU."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.proj = None if stride == 1 and cin == cout else nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + (x if self.proj is None else self.proj(x)))


def resnet(depth, width=16, channels=3, classes=10):
    n = (depth - 2) // 6
    layers, cin = [nn.Conv2d(channels, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU()], width
    for stage in range(3):
        cout = width * 2**stage
        for b in range(n):
            layers.append(BasicBlock(cin, cout, 2 if stage > 0 and b == 0 else 1))
            cin = cout
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, classes))


WORKLOADS = {
    'mlp': (lambda: mlp([1200, 1200]), lambda: mlp([300, 300])),
    'cnn': (lambda: cnn([32, 64], [128]), lambda: cnn([8, 16], [32])),
    'resnet8': (lambda: resnet(20), lambda: resnet(8)),
}


def rgb32(x):
    """The digits as the engine's bench feeds its resnet: 28x28 centred in 32x32, grey in all three channels."""
    return F.pad(x, (2, 2, 2, 2)).repeat(1, 3, 1, 1)


def kd_loss(s, t, y, T, alpha):
    soft = F.kl_div(F.log_softmax(s / T, dim=1), F.softmax(t / T, dim=1), reduction='batchmean') * T * T
    return alpha * soft + (1 - alpha) * F.cross_entropy(s, y)


def load(data_dir):
    images = np.fromfile(os.path.join(data_dir, 'images.u8'), dtype=np.uint8)
    labels = np.fromfile(os.path.join(data_dir, 'labels.u8'), dtype=np.uint8)
    # Pixels / 255, as the engine's default "unit" normalisation.
    x = torch.from_numpy(images.reshape(-1, 1, 28, 28).astype(np.float32) / 255.0)
    y = torch.from_numpy(labels.astype(np.int64))
    idx = {k: torch.from_numpy(np.fromfile(os.path.join(data_dir, f'{k}.u32'), dtype=np.uint32).astype(np.int64)) for k in ('train', 'val', 'test')}
    return x, y, idx


def step_throughput(x, y, kind, cached, steps):
    teacher, student = WORKLOADS[kind][0](), WORKLOADS[kind][1]()
    teacher.eval()
    student.train()
    opt = torch.optim.Adam(student.parameters(), lr=1e-3)
    n = steps + 3
    xb = [x[i * BATCH:(i + 1) * BATCH] for i in range(n)]
    yb = [y[i * BATCH:(i + 1) * BATCH] for i in range(n)]
    if cached:
        with torch.no_grad():
            tb = [teacher(b) for b in xb]
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        if cached:
            t = tb[i]
        else:
            with torch.no_grad():
                t = teacher(xb[i])
        loss = kd_loss(student(xb[i]), t, yb[i], 4.0, 0.7)
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss.item()
        if i >= 3:
            times.append(time.perf_counter() - t0)
    return BATCH / statistics.median(times)


def scratch_throughput(x, y, steps):
    """The seed's CNN teacher (conv32-conv64-dense256) trained from scratch: cross-entropy, Adam, batch 128."""
    model = cnn([32, 64], [256])
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    times = []
    for i in range(steps + 3):
        xb, yb = x[i * BATCH:(i + 1) * BATCH], y[i * BATCH:(i + 1) * BATCH]
        t0 = time.perf_counter()
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss.item()
        if i >= 3:
            times.append(time.perf_counter() - t0)
    return BATCH / statistics.median(times)


def forward_throughput(x, kind, samples):
    """The teacher's forward over `samples` digits in batches of 512, as computing the logits cache does."""
    teacher = WORKLOADS[kind][0]()
    teacher.eval()
    xs = x[:samples]
    with torch.no_grad():
        teacher(xs[:256])  # warm-up
        t0 = time.perf_counter()
        for i in range(0, len(xs), 512):
            teacher(xs[i:i + 512])
    return len(xs) / (time.perf_counter() - t0)


def train_epoch(model, x, y, order, teacher_logits=None, T=1.0, alpha=0.0):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    for start in range(0, len(order), BATCH):
        idx = order[start:start + BATCH]
        s = model(x[idx])
        loss = kd_loss(s, teacher_logits[idx], y[idx], T, alpha) if teacher_logits is not None and alpha > 0 else F.cross_entropy(s, y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()


def accuracy(model, x, y, idx):
    model.eval()
    with torch.no_grad():
        return (model(x[idx]).argmax(1) == y[idx]).float().mean().item()


def sweep(x, y, idx, spec, kind, teacher_file=None, part=(0, 1)):
    """The sweep's trials in one process: all of them (part 0/1), or every n-th from the k-th (part k/n), for
    n processes given the same cores. The teacher is trained before the clock starts and saved to teacher_file,
    or, in a part, loaded from it (the bench's own sweep loads a saved teacher too)."""
    make_teacher, make_student = WORKLOADS[kind]
    g = torch.Generator().manual_seed(1)
    teacher = make_teacher()
    if part[1] > 1:
        teacher.load_state_dict(torch.load(teacher_file))
    else:
        for _ in range(spec['teacherEpochs']):  # trained before the clock starts, as the bench's saved teacher
            train_epoch(teacher, x, y, idx['train'][torch.randperm(len(idx['train']), generator=g)])
        if teacher_file:
            torch.save(teacher.state_dict(), teacher_file)
    teacher_acc = accuracy(teacher, x, y, idx['test'])
    t0 = time.perf_counter()
    with torch.no_grad():  # teacher logits cached once, over every sample
        logits = torch.cat([teacher(x[i:i + 512]) for i in range(0, len(x), 512)])
    trials = []
    # The baseline (alpha 0) first, then one trial per temperature, all sequential (this part's share of them).
    for T in ([None] + spec['temperatures'])[part[0]::part[1]]:
        torch.manual_seed(2)
        student = make_student()
        for epoch in range(spec['epochs']):
            order = idx['train'][torch.randperm(len(idx['train']), generator=g)]
            train_epoch(student, x, y, order, logits, T or 1.0, spec['alpha'] if T else 0.0)
        trials.append({'temperature': T, 'valAccuracy': accuracy(student, x, y, idx['val']), 'testAccuracy': accuracy(student, x, y, idx['test'])})
    return {'seconds': time.perf_counter() - t0, 'trials': trials, 'teacherTestAccuracy': teacher_acc}


def main():
    data_dir = sys.argv[1]
    steps = int(sys.argv[sys.argv.index('--steps') + 1]) if '--steps' in sys.argv else 30
    x, y, idx = load(data_dir)
    with open(os.path.join(data_dir, 'sweep.json')) as f:
        spec = json.load(f)
    teacher_file = os.path.join(data_dir, 'torch_teacher.pt')
    if '--sweep-part' in sys.argv:  # python3 torch_bench.py DIR --sweep-part K/N: this process's share of the sweep
        k, n = map(int, sys.argv[sys.argv.index('--sweep-part') + 1].split('/'))
        print(json.dumps(sweep(x, y, idx, spec, spec['workload'], teacher_file, (k, n))))
        return
    out = {'torch': torch.__version__, 'threads': torch.get_num_threads()}
    for kind in ('mlp', 'cnn'):
        for cached in (False, True):
            out[f'{kind}_{"cached" if cached else "live"}_sps'] = step_throughput(x, y, kind, cached, steps)
    out['teacher_scratch_sps'] = scratch_throughput(x, y, steps)
    # The same on every core: PyTorch's intra-op threads, against the engine's data-parallel gradient threads.
    cores = len(os.sched_getaffinity(0))
    set_threads(cores)
    out['teacher_scratch_threads'] = cores
    out['teacher_scratch_mt_sps'] = scratch_throughput(x, y, steps)
    set_threads(1)
    # As the engine's bench: cached teacher logits only, fewer steps (each is ~100x an MLP step).
    out['resnet8_cached_sps'] = step_throughput(rgb32(x), y, 'resnet8', True, max(6, steps // 3))
    out['mlp_forward_sps'] = forward_throughput(x, 'mlp', 4096)
    out['cnn_forward_sps'] = forward_throughput(x, 'cnn', 2048)
    s = sweep(x, y, idx, spec, spec['workload'], teacher_file)
    out['sweep_seconds'] = s['seconds']
    out['sweep_trials'] = s['trials']
    out['teacher_test_accuracy'] = s['teacherTestAccuracy']
    import resource
    out['peak_rss_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


if __name__ == '__main__':
    main()
