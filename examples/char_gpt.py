"""A character-level GPT that learns to spell English and makes up words of its own, offline.

    python examples/char_gpt.py                    # a GPT on Debian's word list (wamerican)
    python examples/char_gpt.py --model lstm       # the same task for an LSTM
    python examples/char_gpt.py --resume           # continue exactly where the run stopped
                                                   # (after Ctrl-C, or --stop-at STEP)
    python examples/char_gpt.py --text FILE        # any UTF-8 text instead of the word list
    python examples/char_gpt.py --shakespeare      # the tiny-Shakespeare text (downloaded once,
                                                   # SHA-256 checked)
    python examples/char_gpt.py --quick            # a few seconds: a smoke test

The text is read one character at a time: the model sees ``context`` characters and predicts,
at every position, the next one. The GPT is token and position embeddings, pre-norm
Transformer blocks (causal multi-head self-attention and a GELU MLP), a final LayerNorm and an
output head tied to the token embedding. Training: AdamW, a linear warm-up then a cosine
decay, gradient clipping; the train and validation losses are printed every ``eval_interval``
steps, with a checkpoint that ``--resume`` continues bit for bit. The LSTM reads the training
text as ``batch_size`` long streams, ``context`` characters at a time, and carries its state
from one chunk to the next, detached: truncated backpropagation through time. At the end,
both write new text (temperature and top-k sampling). Outputs go to ``--out``.

Read next: ``benchmarks/char_lm.py`` (the same models, timed against PyTorch).
"""
import argparse
import math
import time
from pathlib import Path

import numpy as np

import minidl
import minidl.nn.functional as F
from minidl import nn, optim
from minidl.data.datasets import download_file
from minidl.train import History, ProgressBar, get_rng_state, restore, set_rng_state

# ----------------------------------------------------------------------------- settings
WORDS = Path("/usr/share/dict/american-english")  # Debian's wamerican package
SHAKESPEARE_URL = "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/"
SHAKESPEARE_SHA256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--model", choices=["gpt", "lstm"], default="gpt")
parser.add_argument("--text", type=Path, help="train on this UTF-8 text file instead")
parser.add_argument("--shakespeare", action="store_true", help="train on tiny Shakespeare")
parser.add_argument("--steps", type=int, default=None, help="training steps (2000; --quick 12)")
parser.add_argument("--stop-at", type=int, default=None,
                    help="stop at this step, as an interruption would (then --resume)")
parser.add_argument("--out", type=Path, default=None, help="default: runs/char-<model>")
parser.add_argument("--resume", action="store_true")
parser.add_argument("--quick", action="store_true", help="a tiny model for a few steps")
args = parser.parse_args()

context = 64  # characters the model sees at once
batch_size = 32
width, layers, heads = 128, 4, 4
dropout = 0.1
lr, min_lr, warmup = 2e-3, 2e-4, 100  # AdamW, linear warm-up, then cosine down to min_lr
weight_decay, clip = 0.1, 1.0
eval_interval, eval_batches = 250, 20
steps = 2000
if args.quick:
    context, batch_size, width, layers, steps, eval_interval, eval_batches = 16, 8, 32, 2, 12, 6, 2
steps = args.steps or steps
out = args.out or Path("runs") / f"char-{args.model}"
out.mkdir(parents=True, exist_ok=True)
checkpoint_path = out / "checkpoint.safetensors"
minidl.manual_seed(0)  # the same initial weights, batches and dropout masks on every run

# ----------------------------------------------------------------------------- data
if args.text:
    text = args.text.read_text(encoding="utf-8")
elif args.shakespeare:
    path = download_file("input.txt", out, [SHAKESPEARE_URL], SHAKESPEARE_SHA256)
    text = path.read_text(encoding="utf-8")
else:  # the lowercase words of the list, in a fixed random order, one per line
    words = [w for w in WORDS.read_text(encoding="utf-8").split() if w.isascii() and w.islower()
             and w.isalpha()]
    text = "\n" + "\n".join(np.random.default_rng(0).permutation(words)) + "\n"
chars = sorted(set(text))  # the vocabulary: every character of the text
encode = {c: i for i, c in enumerate(chars)}
data = np.array([encode[c] for c in text], dtype=np.int64)
split = int(0.9 * len(data))
train_data, val_data = data[:split], data[split:]
print(f"{len(data):,} characters, vocabulary of {len(chars)}; {args.model}, {steps} steps")


def random_windows(source, count):
    """``count`` windows of ``context`` characters from random places in ``source``, and the
    same windows shifted by one: the characters to predict."""
    starts = minidl.randint(0, len(source) - context - 1, (count,)).numpy()
    rows = starts[:, None] + np.arange(context)
    return minidl.tensor(source[rows]), minidl.tensor(source[rows + 1])


# The LSTM's training batches: batch_size streams, each a contiguous stretch of the text, read
# context characters at a time; ``position`` is where the next chunk starts in every stream.
streams = train_data[:len(train_data) // batch_size * batch_size].reshape(batch_size, -1)
position = 0
# A fixed set of validation windows, so that every evaluation measures the same characters.
val_rows = np.random.default_rng(1).integers(0, len(val_data) - context - 1, eval_batches *
                                             batch_size)[:, None] + np.arange(context)


# ----------------------------------------------------------------------------- models
class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok_emb = nn.Embedding(len(chars), width)
        self.pos_emb = nn.Embedding(context, width)
        block = nn.TransformerEncoderLayer(width, heads, 4 * width, dropout,
                                           activation=nn.GELU(approximate="tanh"),  # GPT-2's
                                           batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(block, layers)
        self.ln_f = nn.LayerNorm(width)
        self.head = nn.Linear(width, len(chars), bias=False)
        self.head.weight = self.tok_emb.weight  # weight tying: one Parameter, used twice
        # Position t may attend to positions <= t only: -inf above the diagonal.
        mask = minidl.triu(minidl.full((context, context), float("-inf")), 1)
        self.register_buffer("causal_mask", mask, persistent=False)
        for p in self.parameters():  # GPT-2's start: N(0, 0.02) weights, so that the first
            if p.ndim == 2:          # logits are small and the first loss near log(vocab)
                nn.init.normal_(p, std=0.02)

    def forward(self, idx, state=None):
        t = idx.shape[1]
        x = self.tok_emb(idx) + self.pos_emb(minidl.arange(t))
        x = self.blocks(x, mask=self.causal_mask[:t, :t], is_causal=True)
        return self.head(self.ln_f(x)), None  # a GPT carries no state between windows


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
optimizer = optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)


def schedule(step):
    """The learning rate as a multiple of lr: linear warm-up, then cosine down to min_lr."""
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return (min_lr + (lr - min_lr) * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))) / lr


scheduler = optim.lr_scheduler.LambdaLR(optimizer, schedule)
print(f"{sum(p.numel() for p in model.parameters()):,} parameters")


# ----------------------------------------------------------------------------- sampling
def sample(length, temperature=0.8, top_k=10):
    """New text, one character at a time, starting from a newline."""
    model.eval()
    idx, state, text_out = minidl.tensor([[encode["\n"] if "\n" in encode else 0]]), None, ""
    with minidl.no_grad():
        for _ in range(length):
            window = idx if args.model == "lstm" else idx[:, -context:]
            logits, new_state = model(window, state)
            logits = logits[:, -1, :] / temperature
            kth = minidl.topk(logits, min(top_k, len(chars))).values[:, -1:]
            logits = minidl.masked_fill(logits, logits < kth, float("-inf"))  # keep the top k
            nxt = minidl.multinomial(F.softmax(logits, -1), 1)
            text_out += chars[nxt.item()]
            if args.model == "lstm":  # the state holds the past: feed the new character only
                idx, state = nxt, new_state
            else:
                idx = minidl.cat([idx, nxt], 1)
    model.train()
    return text_out


def evaluate():
    """Mean loss on the fixed validation windows, without dropout and without a graph."""
    model.eval()
    total = 0.0
    with minidl.no_grad():
        for rows in np.split(val_rows, eval_batches):
            logits, _ = model(minidl.tensor(val_data[rows]))
            total += F.cross_entropy(logits.reshape(-1, len(chars)),
                                     minidl.tensor(val_data[rows + 1]).reshape(-1)).item()
    model.train()
    return total / eval_batches


# ----------------------------------------------------------------------------- training
history, step, state, running = History(), 0, None, None
if args.resume:
    saved = minidl.load(checkpoint_path)
    restore(checkpoint_path, saved, model=model, optimizer=optimizer, scheduler=scheduler,
            history=history)
    set_rng_state(saved["rng"])
    step, position, running = saved["step"], saved["position"], saved["running"]
    state = None if saved["lstm_state"] is None else tuple(saved["lstm_state"])
    print(f"resumed from {checkpoint_path} at step {step}")
else:
    print(f"sample before training: {sample(60)!r}")

start = time.perf_counter()
while step < min(steps, args.stop_at or steps):
    bar = ProgressBar(total=eval_interval, desc=f"steps {step + 1}-{step + eval_interval}")
    for _ in range(eval_interval):
        if args.model == "lstm":  # the next chunk of every stream, or back to their starts
            if position + context + 1 > streams.shape[1]:
                position, state = 0, None
            x = minidl.tensor(streams[:, position:position + context])
            y = minidl.tensor(streams[:, position + 1:position + context + 1])
            position += context
        else:
            x, y = random_windows(train_data, batch_size)
        optimizer.zero_grad()
        logits, state = model(x, state)
        loss = F.cross_entropy(logits.reshape(-1, len(chars)), y.reshape(-1))
        loss.backward()
        if state is not None:  # truncated BPTT: keep the values, cut the graph
            state = tuple(s.detach() for s in state)
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        scheduler.step()
        step += 1
        running = loss.item() if running is None else 0.9 * running + 0.1 * loss.item()
        bar.update(loss=f"{running:.3f}")
        if step in (steps, args.stop_at):
            break
    bar.close()
    val_loss = evaluate()
    history.append(epoch=step, train_loss=running, val_loss=val_loss)
    print(f"step {step}: train loss {running:.4f}, val loss {val_loss:.4f}, "
          f"lr {scheduler.get_last_lr()[0]:.2e}, {time.perf_counter() - start:.1f} s")
    minidl.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                 "scheduler": scheduler.state_dict(), "history": history.state_dict(),
                 "rng": get_rng_state(), "step": step, "position": position, "running": running,
                 "lstm_state": None if state is None else list(state)}, checkpoint_path)
history.save_json(out / "metrics.json", model=args.model, steps=steps)
print(f"sample after training: {sample(300)!r}")
