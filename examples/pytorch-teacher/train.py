"""Train a small CNN teacher in PyTorch on the digits Distillery bundles, and export it as ONNX.

The digits are the IDX files `npm run build` writes beside dist/engine.js
(dist/mnist-digits-images.idx3-ubyte, dist/mnist-digits-labels.idx1-ubyte): the same images
kd.json's "source": "mnist" reads. Pixels are scaled to [0, 1], as Distillery's default
"normalize": "unit" does, so the teacher sees what the data pipeline feeds it. The input is
NCHW [N, 1, 28, 28] with a dynamic batch axis; Distillery reads the layout from the file.

    python3 train.py [--dist ../../dist] [--out teacher.onnx] [--epochs 2] [--limit 4000]
"""
import argparse
import gzip
import os
import struct

import numpy as np
import torch
import torch.nn as nn


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an IDX file of unsigned bytes")
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


class TeacherCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(16 * 7 * 7, 32), nn.ReLU(), nn.Linear(32, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser()
    p.add_argument("--dist", default=os.path.join(here, "..", "..", "dist"))
    p.add_argument("--out", default=os.path.join(here, "teacher.onnx"))
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--limit", type=int, default=4000)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()

    torch.manual_seed(args.seed)
    images = read_idx(os.path.join(args.dist, "mnist-digits-images.idx3-ubyte"))
    labels = read_idx(os.path.join(args.dist, "mnist-digits-labels.idx1-ubyte"))
    # The bundled digits are sorted by class: a seeded sample of all of them, not the first rows.
    pick = np.random.default_rng(args.seed).permutation(len(images))[: args.limit]
    images, labels = images[pick], labels[pick]
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    y = torch.from_numpy(labels.astype(np.int64))

    model = TeacherCnn()
    opt = torch.optim.Adam(model.parameters(), lr=0.003)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(x))
        for i in range(0, len(x), 64):
            idx = perm[i : i + 64]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            acc = (model(x).argmax(1) == y).float().mean().item()
        print(f"epoch {epoch + 1}/{args.epochs}: loss {loss.item():.4f}, train accuracy {acc:.2%}")

    model.eval()
    torch.onnx.export(
        model,
        torch.zeros(1, 1, 28, 28),
        args.out,
        input_names=["images"],
        output_names=["logits"],
        dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=13,
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
