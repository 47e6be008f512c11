"""Convolution and pooling kernels on the issue's CNN, forward + backward, batch 128:

    1x28x28 -> conv 32 3x3 p1 -> relu -> maxpool 2 -> conv 64 3x3 p1 -> relu -> maxpool 2

Prints median milliseconds for each kernel and for the whole network, in three columns:
minidl, a straightforward NumPy im2col implementation with its backward written by hand (the
textbook version: im2col into an (N*Ho*Wo, C*kh*kw) matrix, col2im by slice-adds, max pool
by argmax over im2col rows), and PyTorch eager when installed. Runs are interleaved
(A B C A B C ...) after a warm-up, so drift on a shared machine affects every column alike.

    python benchmarks/conv_kernels.py [--batch 128] [--repeats 15] [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import numpy as np

import minidl
from minidl.ops.conv import conv2d
from minidl.ops.pool import max_pool2d


# ------------------------------------------------------------ the textbook NumPy reference
def im2col(x, k, pad):
    """(N, C, H, W) -> (N*H*W, C*k*k) for stride 1 and 'same' padding."""
    n, c, h, w = x.shape
    img = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    col = np.zeros((n, c, k, k, h, w), dtype=x.dtype)
    for i in range(k):
        for j in range(k):
            col[:, :, i, j] = img[:, :, i:i + h, j:j + w]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(n * h * w, -1)


def col2im(col, shape, k, pad):
    n, c, h, w = shape
    col = col.reshape(n, h, w, c, k, k).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((n, c, h + 2 * pad, w + 2 * pad), dtype=col.dtype)
    for i in range(k):
        for j in range(k):
            img[:, :, i:i + h, j:j + w] += col[:, :, i, j]
    return img[:, :, pad:pad + h, pad:pad + w]


def numpy_conv_forward(x, w, b):
    col = im2col(x, w.shape[2], 1)
    y = col @ w.reshape(w.shape[0], -1).T + b
    return y.reshape(x.shape[0], x.shape[2], x.shape[3], -1).transpose(0, 3, 1, 2), col


def numpy_conv_backward(gy, x_shape, w, col):
    gy = gy.transpose(0, 2, 3, 1).reshape(-1, w.shape[0])
    gb = gy.sum(axis=0)
    gw = (col.T @ gy).T.reshape(w.shape)
    gx = col2im(gy @ w.reshape(w.shape[0], -1), x_shape, w.shape[2], 1)
    return gx, gw, gb


def numpy_pool_forward(x):
    n, c, h, w = x.shape
    col = x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 2, 4, 1, 3, 5).reshape(-1, 4)
    arg = col.argmax(axis=1)
    y = col[np.arange(col.shape[0]), arg].reshape(n, h // 2, w // 2, c).transpose(0, 3, 1, 2)
    return y, arg


def numpy_pool_backward(gy, x_shape, arg):
    n, c, h, w = x_shape
    gcol = np.zeros((arg.size, 4), dtype=gy.dtype)
    gcol[np.arange(arg.size), arg] = gy.transpose(0, 2, 3, 1).reshape(-1)
    gcol = gcol.reshape(n, h // 2, w // 2, c, 2, 2).transpose(0, 3, 1, 4, 2, 5)
    return gcol.reshape(x_shape)


def numpy_network(x, w1, b1, w2, b2):
    """Forward and backward of the whole CNN (loss = sum of the output)."""
    a1, col1 = numpy_conv_forward(x, w1, b1)
    r1 = np.maximum(a1, 0)
    p1, arg1 = numpy_pool_forward(r1)
    a2, col2 = numpy_conv_forward(p1, w2, b2)
    r2 = np.maximum(a2, 0)
    p2, arg2 = numpy_pool_forward(r2)
    g = numpy_pool_backward(np.ones_like(p2), r2.shape, arg2) * (a2 > 0)
    g, gw2, gb2 = numpy_conv_backward(g, p1.shape, w2, col2)
    g = numpy_pool_backward(g, r1.shape, arg1) * (a1 > 0)
    _, gw1, gb1 = numpy_conv_backward(g, x.shape, w1, col1)
    return gw1, gb1, gw2, gb2


# ----------------------------------------------------------------------- the measured jobs
def make_jobs(batch: int, torch):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, 1, 28, 28), dtype=np.float32)
    w1 = rng.standard_normal((32, 1, 3, 3), dtype=np.float32) / 3
    w2 = rng.standard_normal((64, 32, 3, 3), dtype=np.float32) / 17
    b1, b2 = np.zeros(32, np.float32), np.zeros(64, np.float32)
    h1 = rng.standard_normal((batch, 32, 14, 14), dtype=np.float32)  # conv2's input
    r1 = rng.standard_normal((batch, 32, 28, 28), dtype=np.float32)  # pool1's input

    def md(a, grad=True):
        return minidl.tensor(a, requires_grad=grad)

    def minidl_conv(xa, w, b):
        def run():
            y = conv2d(md(xa), md(w), md(b), padding=1)
            y.backward(minidl.ones_like(y))
        return run

    def minidl_pool():
        y = max_pool2d(md(r1), 2)
        y.backward(minidl.ones_like(y))

    def minidl_network():
        params = [md(a) for a in (w1, b1, w2, b2)]
        h = max_pool2d(conv2d(md(x, False), params[0], params[1], padding=1).relu(), 2)
        h = max_pool2d(conv2d(h, params[2], params[3], padding=1).relu(), 2)
        h.sum().backward()

    def numpy_conv(xa, w, b):
        def run():
            y, col = numpy_conv_forward(xa, w, b)
            numpy_conv_backward(np.ones_like(y), xa.shape, w, col)
        return run

    def numpy_pool():
        y, arg = numpy_pool_forward(r1)
        numpy_pool_backward(np.ones_like(y), r1.shape, arg)

    jobs = {
        "conv1 1->32 fwd+bwd": [minidl_conv(x, w1, b1), numpy_conv(x, w1, b1)],
        "conv2 32->64 fwd+bwd": [minidl_conv(h1, w2, b2), numpy_conv(h1, w2, b2)],
        "maxpool2 32x28x28 fwd+bwd": [minidl_pool, numpy_pool],
        "network fwd+bwd": [minidl_network, lambda: numpy_network(x, w1, b1, w2, b2)],
    }
    if torch is not None:
        F = torch.nn.functional

        def tt(a, grad=True):
            return torch.tensor(a, requires_grad=grad)

        def torch_conv(xa, w, b):
            def run():
                y = F.conv2d(tt(xa), tt(w), tt(b), padding=1)
                y.backward(torch.ones_like(y))
            return run

        def torch_pool():
            y = F.max_pool2d(tt(r1), 2)
            y.backward(torch.ones_like(y))

        def torch_network():
            params = [tt(a) for a in (w1, b1, w2, b2)]
            h = F.max_pool2d(F.relu(F.conv2d(tt(x, False), params[0], params[1], padding=1)), 2)
            h = F.max_pool2d(F.relu(F.conv2d(h, params[2], params[3], padding=1)), 2)
            h.sum().backward()

        jobs["conv1 1->32 fwd+bwd"].append(torch_conv(x, w1, b1))
        jobs["conv2 32->64 fwd+bwd"].append(torch_conv(h1, w2, b2))
        jobs["maxpool2 32x28x28 fwd+bwd"].append(torch_pool)
        jobs["network fwd+bwd"].append(torch_network)
    return jobs


def time_interleaved(runs, repeats: int):
    for run in runs:  # warm-up
        run()
    samples = [[] for _ in runs]
    for _ in range(repeats):
        for run, times in zip(runs, samples):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
    return [statistics.median(times) * 1e3 for times in samples]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        torch = None
    columns = ["minidl", "numpy im2col"] + (["pytorch"] if torch is not None else [])
    print(f"batch {args.batch}, float32, median of {args.repeats} runs, milliseconds "
          f"({platform.processor() or platform.machine()}, NumPy {np.__version__}"
          + (f", PyTorch {torch.__version__}" if torch is not None else "") + ")")
    print(f"{'':28s}" + "".join(f"{c:>14s}" for c in columns))
    results = {}
    for name, runs in make_jobs(args.batch, torch).items():
        medians = time_interleaved(runs, args.repeats)
        results[name] = dict(zip(columns, medians))
        print(f"{name:28s}" + "".join(f"{m:14.1f}" for m in medians))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"batch": args.batch, "repeats": args.repeats, "ms": results}, f, indent=1)


if __name__ == "__main__":
    main()
