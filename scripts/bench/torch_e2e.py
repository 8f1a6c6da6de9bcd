"""The seed's recipe end to end in PyTorch, the way the guide writes its loop, on THREADS threads (default 1): the CNN
teacher conv32-conv64-dense256 from scratch (cross-entropy), the MLP-32 student distilled with the
teacher run live on every batch (T = 4, alpha = 0.7), and the same student from scratch (the
baseline), batch 128, Adam 1e-3, each evaluated on the test split. Spawned by scripts/bench/e2e.ts
on the samples and splits `distill run` uses:

    python3 torch_e2e.py DATA_DIR TEACHER_EPOCHS STUDENT_EPOCHS [THREADS]

DATA_DIR holds images.u8 / labels.u8 (the training set), test_images.u8 / test_labels.u8, and
train.u32 / val.u32 / test.u32 (indices; test into the test set). Prints one JSON object.
"""
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch_threads import set_threads

T0 = time.perf_counter()
# One thread unless told (the bench runs it on as many threads as `distill run` used, and on one).
set_threads(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
torch.manual_seed(0)
BATCH = 128


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


def mlp(hidden):
    layers, width = [nn.Flatten()], 784
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    return nn.Sequential(*layers, nn.Linear(width, 10))


def kd_loss(s, t, y, T, alpha):
    soft = F.kl_div(F.log_softmax(s / T, dim=1), F.softmax(t / T, dim=1), reduction='batchmean') * T * T
    return alpha * soft + (1 - alpha) * F.cross_entropy(s, y)


def read(d, name, dtype):
    return np.fromfile(os.path.join(d, name), dtype=dtype)


def train(model, x, y, order_fn, epochs, teacher=None):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    for _ in range(epochs):
        order = order_fn()
        for start in range(0, len(order), BATCH):
            idx = order[start:start + BATCH]
            xb = x[idx]
            s = model(xb)
            if teacher is None:
                loss = F.cross_entropy(s, y[idx])
            else:
                with torch.no_grad():
                    t = teacher(xb)
                loss = kd_loss(s, t, y[idx], 4.0, 0.7)
            opt.zero_grad()
            loss.backward()
            opt.step()


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        hits = sum((model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum().item() for i in range(0, len(x), 1000))
    return hits / len(x)


def main():
    d, teacher_epochs, student_epochs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    # Pixels / 255, as the engine's default "unit" normalisation.
    x = torch.from_numpy(read(d, 'images.u8', np.uint8).reshape(-1, 1, 28, 28).astype(np.float32) / 255.0)
    y = torch.from_numpy(read(d, 'labels.u8', np.uint8).astype(np.int64))
    tx = torch.from_numpy(read(d, 'test_images.u8', np.uint8).reshape(-1, 1, 28, 28).astype(np.float32) / 255.0)
    ty = torch.from_numpy(read(d, 'test_labels.u8', np.uint8).astype(np.int64))
    train_idx = torch.from_numpy(read(d, 'train.u32', np.uint32).astype(np.int64))
    test_idx = torch.from_numpy(read(d, 'test.u32', np.uint32).astype(np.int64))
    tx, ty = tx[test_idx], ty[test_idx]
    g = torch.Generator().manual_seed(1)
    order = lambda: train_idx[torch.randperm(len(train_idx), generator=g)]
    phases = {'setup': time.perf_counter() - T0}

    t = time.perf_counter()
    teacher = cnn([32, 64], [256])
    train(teacher, x, y, order, teacher_epochs)
    teacher.eval()
    phases['teacher'] = time.perf_counter() - t

    t = time.perf_counter()
    torch.manual_seed(2)
    student = mlp([32])
    train(student, x, y, order, student_epochs, teacher)
    phases['distill'] = time.perf_counter() - t

    t = time.perf_counter()
    torch.manual_seed(2)
    baseline = mlp([32])
    train(baseline, x, y, order, student_epochs)
    phases['baseline'] = time.perf_counter() - t

    t = time.perf_counter()
    acc = {'teacher': accuracy(teacher, tx, ty), 'student': accuracy(student, tx, ty), 'baseline': accuracy(baseline, tx, ty)}
    phases['finish'] = time.perf_counter() - t
    print(json.dumps({'phases': {k: round(v, 1) for k, v in phases.items()}, 'accuracies': acc}))


if __name__ == '__main__':
    main()
