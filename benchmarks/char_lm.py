"""Character language models, one training step: minidl vs the same model in PyTorch.

Workloads (float32, the shapes of issue 20's anchors; the models are those of
examples/char_gpt.py, built from the same nn modules in both frameworks):
  * GPT: vocabulary 65, 4 pre-norm layers, 4 heads, width 128, context 64, batch 32, tanh-GELU
    MLP of width 512, tied output head, AdamW, no dropout: one training step;
  * the smaller GPT: 2 layers, width 64, context 32;
  * LSTM: embedding 128 -> one LSTM layer of 128 -> linear head, sequence 64, batch 32, AdamW,
    minidl's nn.LSTM against PyTorch's fused nn.LSTM and against PyTorch's nn.LSTMCell in a
    Python loop.
Runs are interleaved (A B A B ...) after a warm-up and medians reported with their ratio to
PyTorch. Freed memory is kept for reuse (minidl's default at import,
``minidl/allocator.py``; it applies to PyTorch too, in the same process) unless
``--default-malloc``. ``--memory`` instead runs 200 GPT steps in a fresh process per framework
and reports the peak resident memory (ru_maxrss).

    python benchmarks/char_lm.py [--repeats 10] [--threads N] [--only gpt|small|lstm]
                                 [--default-malloc] [--memory] [--device cuda] [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
GPT = dict(vocab=65, layers=4, heads=4, width=128, context=64, batch=32)
SMALL_GPT = dict(vocab=65, layers=2, heads=4, width=64, context=32, batch=32)
LSTM = dict(vocab=65, width=128, context=64, batch=32)


def gpt(nn, vocab, layers, heads, width, context, **_):
    """The GPT of examples/char_gpt.py, in either framework (``nn`` is minidl.nn or torch.nn):
    (modules, forward(idx) -> logits)."""
    tok = nn.Embedding(vocab, width)
    pos = nn.Embedding(context, width)
    layer = nn.TransformerEncoderLayer(width, heads, 4 * width, dropout=0.0,
                                       activation=nn.GELU(approximate="tanh"),
                                       batch_first=True, norm_first=True)
    kwargs = {} if nn.__name__.startswith("minidl") else {"enable_nested_tensor": False}
    blocks = nn.TransformerEncoder(layer, layers, **kwargs)
    ln_f = nn.LayerNorm(width)
    head = nn.Linear(width, vocab, bias=False)
    head.weight = tok.weight  # tied: one Parameter
    model = nn.ModuleList([tok, pos, blocks, ln_f, head])
    return model


def gpt_forward(lib, model, idx, mask):
    tok, pos, blocks, ln_f, head = model
    x = tok(idx) + pos.weight[:idx.shape[1]]
    return head(ln_f(blocks(x, mask=mask, is_causal=True)))


def lstm_model(nn, vocab, width, **_):
    return nn.ModuleList([nn.Embedding(vocab, width), nn.LSTM(width, width, batch_first=True),
                          nn.Linear(width, vocab)])


def make_step(lib, kind, device, shapes):
    """A closure running one training step of ``kind`` in ``lib`` (minidl or torch)."""
    rng = np.random.default_rng(0)
    batch, context, vocab = shapes["batch"], shapes["context"], shapes["vocab"]
    x = rng.integers(0, vocab, (batch, context))
    y = rng.integers(0, vocab, (batch * context,))
    if lib.__name__ == "torch":
        idx, targets = lib.from_numpy(x).to(device), lib.from_numpy(y).to(device)
    else:
        idx, targets = lib.tensor(x, device=device), lib.tensor(y, device=device)
    lib.manual_seed(0)
    if kind == "gpt":
        model = gpt(lib.nn, **shapes).to(device)
        mask = lib.triu(lib.full((context, context), float("-inf"), device=device), 1)

        def forward():
            return gpt_forward(lib, model, idx, mask)
    else:
        model = lstm_model(lib.nn, **shapes).to(device)
        embedding, lstm, head = model
        cell = None
        if kind == "lstm_cell":  # PyTorch's LSTMCell in a Python loop, with the same weights
            cell = lib.nn.LSTMCell(shapes["width"], shapes["width"]).to(device)
            model.append(cell)

        def forward():
            e = embedding(idx)
            if cell is None:
                out = lstm(e)[0]
            else:
                h = c = lib.zeros(batch, shapes["width"], device=device)
                outs = []
                for x_t in e.unbind(1):
                    h, c = cell(x_t, (h, c))
                    outs.append(h)
                out = lib.stack(outs, 1)
            return head(out)
    optimizer = lib.optim.AdamW(model.parameters(), lr=1e-3)
    cross_entropy = lib.nn.functional.cross_entropy

    def step():
        optimizer.zero_grad()
        loss = cross_entropy(forward().reshape(-1, vocab), targets)
        loss.backward()
        optimizer.step()
        if device != "cpu":
            loss.item()  # wait for the device
    return step


def peak_rss(framework: str, steps: int, threads: int, default_malloc: bool) -> float:
    """Peak resident memory (MiB) of ``steps`` GPT steps, in a fresh process."""
    out = subprocess.run([sys.executable, __file__, "--child", framework, "--steps", str(steps),
                          "--threads", str(threads)] + (["--default-malloc"] if default_malloc
                                                        else []),
                         capture_output=True, text=True, check=True)
    return float(out.stdout.split()[-1])


def child(framework: str, steps: int) -> None:
    lib = __import__("torch" if framework == "pytorch" else "minidl")
    step = make_step(lib, "gpt", "cpu", GPT)
    for _ in range(steps):
        step()
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", type=int, default=0, help="BLAS and PyTorch threads "
                        "(0: leave the defaults)")
    parser.add_argument("--only", choices=["gpt", "small", "lstm"])
    parser.add_argument("--memory", action="store_true", help="peak RSS of 200 GPT steps")
    parser.add_argument("--steps", type=int, default=200, help=argparse.SUPPRESS)
    parser.add_argument("--device", default="cpu", help="cpu, or cuda (CuPy vs PyTorch CUDA)")
    parser.add_argument("--default-malloc", action="store_true",
                        help="leave glibc's malloc as it is (MINIDL_KEEP_FREED_MEMORY=0)")
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument("--child", choices=["minidl", "pytorch"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.threads:
        from threadpoolctl import threadpool_limits
        threadpool_limits(args.threads)
    if args.default_malloc:  # read when minidl is imported (minidl/allocator.py)
        os.environ["MINIDL_KEEP_FREED_MEMORY"] = "0"
    import minidl
    try:
        import torch
        if args.threads:
            torch.set_num_threads(args.threads)
    except ImportError:
        torch = None
    if args.child:
        return child(args.child, args.steps)
    if args.memory:
        results = {"peak RSS of 200 GPT steps (MiB)": {
            name: peak_rss(name, args.steps, args.threads, args.default_malloc)
            for name in ["minidl"] + (["pytorch"] if torch else [])}}
    else:
        sys.path.insert(0, HERE)
        from training_step import interleaved  # (not at the top: the --memory children)
        device = args.device
        results = {}
        workloads = {"gpt": ("GPT step (4 layers, width 128, context 64)", "gpt", GPT),
                     "small": ("small GPT step (2 layers, width 64, context 32)", "gpt",
                               SMALL_GPT),
                     "lstm": ("LSTM step (width 128, sequence 64)", "lstm", LSTM)}
        for key, (title, kind, shapes) in workloads.items():
            if args.only not in (None, key):
                continue
            candidates = {"minidl": make_step(minidl, kind, device, shapes)}
            if torch:
                candidates["pytorch"] = make_step(torch, kind, device, shapes)
                if kind == "lstm":
                    candidates["pytorch LSTMCell loop"] = make_step(torch, "lstm_cell", device,
                                                                    shapes)
            results[title] = interleaved(candidates, args.repeats)
    for title, row in results.items():
        reference = row.get("pytorch")
        cells = [f"{name} {value:.1f}" + (f" ({value / reference:.2f}x)" if reference and
                                         name != "pytorch" else "")
                 for name, value in row.items()]
        print(f"{title}: " + ", ".join(cells))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
