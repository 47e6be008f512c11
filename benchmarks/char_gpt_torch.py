"""examples/char_gpt.py's training run, in PyTorch: the same text, model, initialization,
optimizer, schedule, clipping, batch size and validation windows, seeded with 0 (PyTorch's
generator, so the initial weights, batches and dropout masks are drawn differently). The README
puts its validation losses next to minidl's. Needs PyTorch (pip install torch==2.13.0).

    python benchmarks/char_gpt_torch.py [--model gpt|lstm] [--steps 2000] [--threads 1]
"""
from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

WORDS = Path("/usr/share/dict/american-english")
parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--model", choices=["gpt", "lstm"], default="gpt")
parser.add_argument("--steps", type=int, default=2000)
parser.add_argument("--threads", type=int, default=1)
args = parser.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)

# The settings of examples/char_gpt.py.
context, batch_size, width, layers, heads, dropout = 64, 32, 128, 4, 4, 0.1
lr, min_lr, warmup, weight_decay, clip = 2e-3, 2e-4, 100, 0.1, 1.0
eval_interval, eval_batches, steps = 250, 20, args.steps

words = [w for w in WORDS.read_text(encoding="utf-8").split() if w.isascii() and w.islower()
         and w.isalpha()]
text = "\n" + "\n".join(np.random.default_rng(0).permutation(words)) + "\n"
chars = sorted(set(text))
encode = {c: i for i, c in enumerate(chars)}
data = torch.tensor([encode[c] for c in text])
split = int(0.9 * len(data))
train_data, val_data = data[:split], data[split:]
streams = train_data[:len(train_data) // batch_size * batch_size].reshape(batch_size, -1)
val_rows = torch.from_numpy(np.random.default_rng(1).integers(
    0, len(val_data) - context - 1, eval_batches * batch_size)[:, None] + np.arange(context))


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok_emb = nn.Embedding(len(chars), width)
        self.pos_emb = nn.Embedding(context, width)
        block = nn.TransformerEncoderLayer(width, heads, 4 * width, dropout,
                                           activation=nn.GELU(approximate="tanh"),
                                           batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(block, layers, enable_nested_tensor=False)
        self.ln_f = nn.LayerNorm(width)
        self.head = nn.Linear(width, len(chars), bias=False)
        self.head.weight = self.tok_emb.weight
        self.register_buffer("causal_mask", torch.triu(torch.full((context, context),
                                                                  float("-inf")), 1), False)
        for p in self.parameters():
            if p.ndim == 2:
                nn.init.normal_(p, std=0.02)

    def forward(self, idx, state=None):
        t = idx.shape[1]
        x = self.tok_emb(idx) + self.pos_emb(torch.arange(t))
        x = self.blocks(x, mask=self.causal_mask[:t, :t], is_causal=True)
        return self.head(self.ln_f(x)), None


class CharLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(len(chars), width)
        self.lstm = nn.LSTM(width, width, num_layers=2, dropout=dropout, batch_first=True)
        self.head = nn.Linear(width, len(chars))

    def forward(self, idx, state=None):
        out, state = self.lstm(self.emb(idx), state)
        return self.head(out), state


model = GPT() if args.model == "gpt" else CharLSTM()
optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)


def schedule(step):
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return (min_lr + (lr - min_lr) * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))) / lr


scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)


def evaluate():
    model.eval()
    with torch.no_grad():
        total = sum(F.cross_entropy(model(val_data[rows])[0].reshape(-1, len(chars)),
                                    val_data[rows + 1].reshape(-1)).item()
                    for rows in val_rows.chunk(eval_batches))
    model.train()
    return total / eval_batches


step, position, state, running, start = 0, 0, None, None, time.perf_counter()
while step < steps:
    if args.model == "lstm":
        if position + context + 1 > streams.shape[1]:
            position, state = 0, None
        x = streams[:, position:position + context]
        y = streams[:, position + 1:position + context + 1]
        position += context
    else:
        starts = torch.randint(0, len(train_data) - context - 1, (batch_size,))
        rows = starts[:, None] + torch.arange(context)
        x, y = train_data[rows], train_data[rows + 1]
    optimizer.zero_grad()
    logits, state = model(x, state)
    loss = F.cross_entropy(logits.reshape(-1, len(chars)), y.reshape(-1))
    loss.backward()
    if state is not None:
        state = tuple(s.detach() for s in state)
    nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    scheduler.step()
    step += 1
    running = loss.item() if running is None else 0.9 * running + 0.1 * loss.item()
    if step % eval_interval == 0 or step == steps:
        print(f"step {step}: train loss {running:.4f}, val loss {evaluate():.4f}, "
              f"{time.perf_counter() - start:.1f} s", flush=True)
