"""Hand-written NumPy training steps, no autograd: the floor the framework is measured against.

The MLP (784-512-256-10) and the CNN (conv 1->32 3x3 p1, ReLU, maxpool 2, conv 32->64 3x3 p1,
ReLU, maxpool 2, fc 3136->128, ReLU, fc 10) of benchmarks/training_step.py, with softmax
cross-entropy and SGD with momentum, written the way a careful person would write them by hand:
float32 throughout, convolution as im2col + one GEMM, col2im by slice-adds over kernel offsets.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray):
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    probs = exp / exp.sum(axis=1, keepdims=True)
    n = logits.shape[0]
    loss = -np.log(probs[np.arange(n), labels] + 1e-12).mean()
    grad = probs
    grad[np.arange(n), labels] -= 1
    grad /= n
    return loss, grad


class _SGDMomentum:
    def __init__(self, params, lr=0.01, momentum=0.9):
        self.params, self.lr, self.momentum = params, lr, momentum
        self.buffers = [np.zeros_like(p) for p in params]

    def step(self, grads):
        for p, g, buf in zip(self.params, grads, self.buffers):
            buf *= self.momentum
            buf += g
            p -= self.lr * buf


class NumpyMLP:
    """784-512-256-10 with ReLU; one training step per call."""

    def __init__(self, rng: np.random.Generator):
        sizes = [784, 512, 256, 10]
        self.params = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            bound = 1 / np.sqrt(fan_in)
            self.params.append(rng.uniform(-bound, bound, (fan_in, fan_out)).astype(np.float32))
            self.params.append(rng.uniform(-bound, bound, fan_out).astype(np.float32))
        self.optimizer = _SGDMomentum(self.params)

    def step(self, x: np.ndarray, labels: np.ndarray) -> float:
        W1, b1, W2, b2, W3, b3 = self.params
        h1 = np.maximum(x @ W1 + b1, 0)
        h2 = np.maximum(h1 @ W2 + b2, 0)
        loss, g3 = _softmax_cross_entropy(h2 @ W3 + b3, labels)
        gW3, gb3 = h2.T @ g3, g3.sum(0)
        g2 = (g3 @ W3.T) * (h2 > 0)
        gW2, gb2 = h1.T @ g2, g2.sum(0)
        g1 = (g2 @ W2.T) * (h1 > 0)
        gW1, gb1 = x.T @ g1, g1.sum(0)
        self.optimizer.step([gW1, gb1, gW2, gb2, gW3, gb3])
        return float(loss)


def _conv_forward(x, W, b):
    """3x3 convolution, padding 1, stride 1, as im2col + one GEMM. Returns output and cols."""
    n, c, h, w = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    windows = sliding_window_view(padded, (3, 3), axis=(2, 3))  # n, c, h, w, 3, 3
    cols = windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * h * w, c * 9)
    out = cols @ W.reshape(W.shape[0], -1).T + b  # (n*h*w, k)
    return out.reshape(n, h, w, -1).transpose(0, 3, 1, 2), cols


def _conv_backward(gy, x, W, cols, need_gx=True):
    n, c, h, w = x.shape
    k = W.shape[0]
    gy_mat = gy.transpose(0, 2, 3, 1).reshape(n * h * w, k)
    gW = (gy_mat.T @ cols).reshape(W.shape)
    gb = gy_mat.sum(0)
    if not need_gx:
        return None, gW, gb
    gcols = (gy_mat @ W.reshape(k, -1)).reshape(n, h, w, c, 3, 3)
    gpad = np.zeros((n, c, h + 2, w + 2), dtype=x.dtype)
    for i in range(3):  # col2im: one slice-add per kernel offset
        for j in range(3):
            gpad[:, :, i:i + h, j:j + w] += gcols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return gpad[:, :, 1:-1, 1:-1], gW, gb


def _maxpool_forward(x):
    n, c, h, w = x.shape
    windows = x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5)
    windows = windows.reshape(n, c, h // 2, w // 2, 4)
    arg = windows.argmax(axis=-1)
    return np.take_along_axis(windows, arg[..., None], -1)[..., 0], arg


def _maxpool_backward(gy, arg, shape):
    n, c, h, w = shape
    g = np.zeros((n, c, h // 2, w // 2, 4), dtype=gy.dtype)
    np.put_along_axis(g, arg[..., None], gy[..., None], -1)
    g = g.reshape(n, c, h // 2, w // 2, 2, 2).transpose(0, 1, 2, 4, 3, 5)
    return g.reshape(shape)


class NumpyCNN:
    """The benchmark CNN; one training step (or a forward pass) per call."""

    def __init__(self, rng: np.random.Generator):
        def uniform(shape, fan_in):
            bound = 1 / np.sqrt(fan_in)
            return rng.uniform(-bound, bound, shape).astype(np.float32)
        self.params = [uniform((32, 1, 3, 3), 9), uniform(32, 9),
                       uniform((64, 32, 3, 3), 288), uniform(64, 288),
                       uniform((3136, 128), 3136), uniform(128, 3136),
                       uniform((128, 10), 128), uniform(10, 128)]
        self.optimizer = _SGDMomentum(self.params)

    def forward(self, x):
        C1, c1, C2, c2, W1, b1, W2, b2 = self.params
        a1, cols1 = _conv_forward(x, C1, c1)
        r1 = np.maximum(a1, 0)
        p1, arg1 = _maxpool_forward(r1)
        a2, cols2 = _conv_forward(p1, C2, c2)
        r2 = np.maximum(a2, 0)
        p2, arg2 = _maxpool_forward(r2)
        f = p2.reshape(x.shape[0], -1)
        h = np.maximum(f @ W1 + b1, 0)
        logits = h @ W2 + b2
        return logits, (x, cols1, r1, arg1, p1, cols2, r2, arg2, f, h)

    def step(self, x: np.ndarray, labels: np.ndarray) -> float:
        C1, c1, C2, c2, W1, b1, W2, b2 = self.params
        logits, (x, cols1, r1, arg1, p1, cols2, r2, arg2, f, h) = self.forward(x)
        loss, g = _softmax_cross_entropy(logits, labels)
        gW2, gb2 = h.T @ g, g.sum(0)
        gh = (g @ W2.T) * (h > 0)
        gW1, gb1 = f.T @ gh, gh.sum(0)
        gp2 = (gh @ W1.T).reshape(r2.shape[0], 64, 7, 7)
        ga2 = _maxpool_backward(gp2, arg2, r2.shape) * (r2 > 0)
        gp1, gC2, gc2 = _conv_backward(ga2, p1, C2, cols2)
        ga1 = _maxpool_backward(gp1, arg1, r1.shape) * (r1 > 0)
        _, gC1, gc1 = _conv_backward(ga1, x, C1, cols1, need_gx=False)
        self.optimizer.step([gC1, gc1, gC2, gc2, gW1, gb1, gW2, gb2])
        return float(loss)
