"""Train a classifier on MNIST or Fashion-MNIST with minidl, from data to test accuracy.

    python examples/train_mnist.py                          # CNN on MNIST (downloads it once)
    python examples/train_mnist.py --dataset fashion-mnist --model mlp --epochs 10
    python examples/train_mnist.py --resume                 # continue exactly where it stopped
    python examples/train_mnist.py --resume --allow-changes --lr 5e-4   # ... with a new lr
    python examples/train_mnist.py --quick                  # seconds: a smoke test
    python examples/train_mnist.py --help                   # every option

Read it top to bottom: settings, data, model, optimizer, then the training loop spelled out:
``zero_grad()`` -> forward -> ``loss.backward()`` -> ``step()``, with an evaluation on held-out
images after every epoch (under ``no_grad()`` and ``model.eval()``). Everything that is not
the loop itself (checkpoints, early stopping, the metrics history, the progress bar) comes from
``minidl/train``. The run writes into ``--out`` (default ``runs/<dataset>-<model>``):
``checkpoint.safetensors`` (everything a resume needs, the best epoch's weights included),
``best.safetensors`` (those weights alone, when the run ends), ``metrics.json``, ``curves.png``.
"""
import copy
import math
import sys
import time
from pathlib import Path

import numpy as np
from _train_settings import DEFAULT_EPOCHS, DEFAULT_LR, QUICK, make_parser, resume_changes

import minidl
import minidl.nn.functional as F
from minidl import nn, optim
from minidl.data import DataLoader, Subset, random_split
from minidl.data.datasets import MNIST, FashionMNIST
from minidl.train import EarlyStopping, History, ProgressBar, restore
from minidl.train.rng import get_rng_state, set_rng_state

# ----------------------------------------------------------------------------- settings
# The options, their defaults and which may change on a resume: examples/_train_settings.py.
parser = make_parser(__doc__.split("\n")[0])
args = parser.parse_args()
if args.seed < 0:
    parser.error(f"argument --seed: must be >= 0, got {args.seed}")
if args.allow_changes and not args.resume:
    parser.error("argument --allow-changes: only with --resume (a new run takes any settings)")
lr = DEFAULT_LR[args.optimizer] if args.lr is None else args.lr
epochs = args.epochs or (1 if args.quick else DEFAULT_EPOCHS[args.model])
out = args.out or Path("runs") / f"{args.dataset}-{args.model}{'-quick' if args.quick else ''}"
checkpoint_path, best_path = out / "checkpoint.safetensors", out / "best.safetensors"
metrics_path, curves_path = out / "metrics.json", out / "curves.png"
# The settings that decide the training trajectory: a resumed run must use the same ones.
settings = {"dataset": args.dataset, "model": args.model, "width": args.width,
            "batch_size": args.batch_size, "optimizer": args.optimizer, "lr": lr,
            "schedule": args.schedule, "weight_decay": args.weight_decay,
            "val_size": args.val_size, "limit": args.limit, "seed": args.seed,
            "epochs": epochs, "quick": args.quick}


def fail(message, code=2):
    """Stop with one line and no traceback (code 2: bad input, as argparse uses; 1: a failure
    while running)."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(code)


if args.model == "mlp" and args.width is not None and args.width < 2:
    fail(f"--width {args.width}: the MLP's second hidden layer has width // 2 units, so "
         "--width must be at least 2")
try:
    minidl.backend.parse_device(args.device)  # "cuda" needs CuPy and a GPU
except minidl.DeviceError as exc:
    fail(str(exc))
# The output directory, before any work: a path under a file, or a directory where an output
# file goes, would otherwise only fail after the first epoch.
try:
    out.mkdir(parents=True, exist_ok=True)
except FileExistsError:
    fail(f"--out {out}: a file of that name is in the way")
except OSError as exc:
    fail(f"--out {out}: cannot create this directory ({exc.strerror or exc})")
for path in (checkpoint_path, best_path, metrics_path, curves_path):
    if path.is_dir():
        fail(f"--out {out}: {path} is a directory, where this run writes a file; move it away "
             "or choose another --out")


# ----------------------------------------------------------------------------- data
dataset_class = MNIST if args.dataset == "mnist" else FashionMNIST
try:
    if args.data_dir is not None:
        # Any images in the IDX format: their structure is checked, not their checksums.
        full_train = dataset_class(args.data_dir, train=True, verify=False).as_tensor_dataset()
        test_set = dataset_class(args.data_dir, train=False, verify=False).as_tensor_dataset()
    else:
        full_train = dataset_class(train=True, download=True).as_tensor_dataset()
        test_set = dataset_class(train=False, download=True).as_tensor_dataset()
except minidl.MinidlError as exc:  # not found, not downloadable, or not valid IDX files
    if args.data_dir is not None:
        fail(f"--data-dir {args.data_dir}: {exc}")
    hint = ""
    if args.dataset == "mnist" and Path(FashionMNIST.system_dirs[0]).is_dir():
        hint = (f"\n(Fashion-MNIST is installed in {FashionMNIST.system_dirs[0]}: "
                "--dataset fashion-mnist trains on it offline.)")
    fail(f"{dataset_class.__name__} is not available.\n{exc}\n"
         f"Or pass --data-dir DIR, a directory holding those four files.{hint}")

if args.val_size >= len(full_train):
    fail(f"--val-size {args.val_size} leaves no training images (there are {len(full_train)})")
minidl.manual_seed(args.seed)  # fixes the split, the initial weights, the shuffles, dropout
train_set, val_set = random_split(full_train, [len(full_train) - args.val_size, args.val_size])
limit = min(args.limit or QUICK["train"], QUICK["train"]) if args.quick else args.limit
if limit is not None:
    train_set = Subset(train_set, np.arange(min(limit, len(train_set))))
if args.quick:
    val_set = Subset(val_set, np.arange(min(QUICK["val"], len(val_set))))
    test_set = Subset(test_set, np.arange(min(QUICK["test"], len(test_set))))
train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                          device=args.device)
val_loader = DataLoader(val_set, batch_size=1000, device=args.device)
test_loader = DataLoader(test_set, batch_size=1000, device=args.device)


# ----------------------------------------------------------------------------- model
class MLP(nn.Module):
    """784 -> width -> width/2 -> 10, ReLU, with dropout after each hidden layer."""

    def __init__(self, width=512):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(28 * 28, width), nn.ReLU(), nn.Dropout(0.2),
            nn.Linear(width, width // 2), nn.ReLU(), nn.Dropout(0.2),
            nn.Linear(width // 2, 10),
        )

    def forward(self, x):
        return self.net(x)


class CNN(nn.Module):
    """Two blocks of conv 3x3 -> BatchNorm -> ReLU -> max-pool 2x2 (28 -> 14 -> 7 pixels),
    1x28x28 -> Cx14x14 -> 2Cx7x7, then a classifier: linear 128, ReLU, dropout, linear 10."""

    def __init__(self, width=16):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, width, 3, padding=1, bias=False),  # BatchNorm's shift is the bias
            nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1, bias=False),
            nn.BatchNorm2d(2 * width), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(2 * width * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.25),
            nn.Linear(128, 10),
        )

    def forward(self, x):
        return self.head(self.features(x))


if args.model == "cnn":
    model = CNN(args.width or 16).to(args.device)
else:
    model = MLP(args.width or 512).to(args.device)

# ----------------------------------------------------------------------------- optimizer
optimizer_class = {"sgd": optim.SGD, "momentum": optim.SGD, "adam": optim.Adam,
                   "adamw": optim.AdamW, "rmsprop": optim.RMSprop, "adagrad": optim.Adagrad}
momentum = {"momentum": 0.9, "nesterov": True} if args.optimizer == "momentum" else {}
optimizer = optimizer_class[args.optimizer](model.parameters(), lr=lr,
                                            weight_decay=args.weight_decay, **momentum)
if args.schedule == "cosine":
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
elif args.schedule == "step":
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=max(1, epochs // 3))
else:
    scheduler = None

# ----------------------------------------------------------------------------- bookkeeping
early_stopping = EarlyStopping(patience=args.patience)  # also tracks the best epoch
best_model = None  # a copy of the best epoch's model.state_dict(), kept in the checkpoint
history = History()
epoch = 0  # the epoch in progress (0-based)
step = 0  # optimizer steps taken, over all epochs
totals = {"loss": 0.0, "correct": 0, "seen": 0}  # the running sums of the epoch in progress
train_time = 0.0  # seconds spent in training and validation, over all runs
finished = False  # set when the run ends (all epochs done, or early stopping)


def training_state():
    """Everything a resumed run needs to continue bit-identically (see minidl/train)."""
    return {
        "settings": settings,
        "model": model.state_dict(),  # parameters and buffers (BatchNorm running statistics)
        # The best weights go in the same file: last and best are then one unit, replaced in
        # one rename, so no crash can leave them at different epochs (minidl/train/checkpoint.py).
        "best_model": best_model,
        "optimizer": optimizer.state_dict(),  # e.g. Adam's moments and step counts
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "loader": train_loader.state_dict(),  # the epoch's order and the position in it
        "rng": get_rng_state(["cpu", args.device]),  # dropout masks drawn from here on
        "early_stopping": early_stopping.state_dict(),
        "history": history.state_dict(),
        "progress": {"epoch": epoch, "step": step, "totals": totals, "finished": finished,
                     "train_time": train_time + (time.perf_counter() - run_start)},
    }


def save(obj, path):
    """minidl.save (atomic: a kill at any instant leaves the old file or the new one)."""
    try:
        minidl.save(obj, path)
    except minidl.CheckpointError as exc:
        fail(str(exc), code=1)


def save_metrics(**extra):
    try:
        history.save_json(metrics_path, settings=settings, **extra)
    except OSError as exc:
        fail(f"{metrics_path}: could not be written ({exc.strerror or exc})", code=1)


def evaluate(loader):
    """(mean loss, accuracy) of the model on every batch of ``loader``."""
    model.eval()  # dropout off, BatchNorm uses its running statistics
    loss_sum, correct, seen = 0.0, 0, 0
    with minidl.no_grad():  # no graph: evaluation needs no gradients
        for images, labels in loader:
            logits = model(images)
            loss_sum += F.cross_entropy(logits, labels, reduction="sum").item()
            correct += (logits.argmax(1) == labels).sum().item()
            seen += len(labels)
    return loss_sum / seen, correct / seen


run_start = time.perf_counter()
if args.resume:
    try:
        state = minidl.load(checkpoint_path, map_location=args.device)
        # Every part that training_state() below writes must be there.
        if not isinstance(state, dict) or not set(training_state()) <= set(state):
            fail(f"--resume: {checkpoint_path} is a minidl file, but not a checkpoint of this "
                 "script")
        try:
            changes = resume_changes(state["settings"], settings, args.allow_changes)
        except ValueError as exc:
            fail(f"--resume: {checkpoint_path} {exc}")
        best_model = state["best_model"]
        if best_model is not None:  # checked now (it is used at the end): it must fit
            restore(checkpoint_path, {"model": best_model}, model=model)
        restore(checkpoint_path, state, model=model, optimizer=optimizer, scheduler=scheduler,
                loader=train_loader, early_stopping=early_stopping, history=history)
        set_rng_state(state["rng"])
        progress = state["progress"]
        epoch, step, totals = progress["epoch"], progress["step"], progress["totals"]
        finished, train_time = progress["finished"], progress["train_time"]
    except minidl.CheckpointError as exc:
        fail(f"--resume: {exc}")
    except (KeyError, TypeError, ValueError) as exc:  # a part that is not what we saved
        fail(f"--resume: {checkpoint_path} is damaged ({type(exc).__name__}: {exc})")
    print(f"resumed from {checkpoint_path}: epoch {epoch + 1}, step {step}")
    if changes:
        # "Save, adjust, continue": the restored optimizer holds the saved values; put the new
        # ones into its parameter groups. The schedule scales the new lr from here on (this
        # epoch's rate is the schedule's factor times the new lr), as if the run had started
        # with it; the history records the change, so the curves say where it happened.
        for group in optimizer.param_groups:
            group["weight_decay"], group["lr"] = args.weight_decay, lr
        if scheduler is not None:  # the rate the schedule scales ("initial_lr", base_lrs)
            scheduler.base_lrs = [lr for _ in optimizer.param_groups]
            for group, epoch_lr in zip(optimizer.param_groups, scheduler.get_lr()):
                group["initial_lr"], group["lr"] = lr, epoch_lr
        history.record_change(epoch=epoch + 1, step=step, **changes)
        print(f"changed from epoch {epoch + 1} (after step {step}): " +
              ", ".join(f"{name} {old!r} -> {new!r}" for name, (old, new) in changes.items()))
elif checkpoint_path.exists():
    print(f"note: starting afresh; this overwrites the checkpoint in {out} "
          "(use --resume to continue it)")

n_params = sum(p.numel() for p in model.parameters())
print(f"{args.dataset}: {len(train_set)} training, {len(val_set)} validation, "
      f"{len(test_set)} test images | {args.model}, {n_params:,} parameters | "
      f"{args.optimizer} lr {lr:g}, {args.schedule} schedule, batch {args.batch_size}, "
      f"{args.device}")

# ----------------------------------------------------------------------------- training
def reached_max_steps():
    return args.max_steps is not None and step >= args.max_steps


if finished:
    print(f"the run in {out} is complete; evaluating its best checkpoint")
try:
    while not finished and not reached_max_steps():
        epoch_start = time.perf_counter()
        model.train()  # dropout on, BatchNorm normalizes with batch statistics
        batches_done = train_loader.state_dict()["batches_done"]  # > 0 when resuming mid-epoch
        seen_before = totals["seen"]  # likewise
        bar = ProgressBar(total=len(train_loader), desc=f"epoch {epoch + 1}/{epochs}",
                          initial=batches_done, enabled=not args.no_progress)
        for images, labels in train_loader:
            optimizer.zero_grad()
            logits = model(images)
            loss = F.cross_entropy(logits, labels)
            # .item() keeps a Python float: holding the tensor would keep the whole graph.
            loss_value = loss.item()
            if not math.isfinite(loss_value):
                fail(f"step {step + 1} (epoch {epoch + 1}): the loss is {loss_value}, so "
                     "training stopped before this update. Try a lower --lr (now "
                     f"{optimizer.param_groups[0]['lr']:g}), another --optimizer, or check "
                     "the data. Checkpoints saved before this step are unaffected.", code=1)
            loss.backward()
            optimizer.step()
            step += 1
            batches_done += 1
            totals["loss"] += loss_value * len(labels)
            totals["correct"] += (logits.argmax(1) == labels).sum().item()
            totals["seen"] += len(labels)
            speed = (totals["seen"] - seen_before) / (time.perf_counter() - epoch_start)
            bar.update(loss=f"{totals['loss'] / totals['seen']:.4f}",
                       acc=f"{100 * totals['correct'] / totals['seen']:.2f}%",
                       speed=f"{speed:.0f} images/s")
            if batches_done < len(train_loader):  # mid-epoch (the epoch's end saves anyway)
                if reached_max_steps():
                    break
                if args.checkpoint_every and step % args.checkpoint_every == 0:
                    save(training_state(), checkpoint_path)
        bar.close()
        if batches_done < len(train_loader):  # stopped mid-epoch by --max-steps
            save(training_state(), checkpoint_path)
            break

        # The epoch is over: validate, record, schedule, checkpoint.
        val_loss, val_acc = evaluate(val_loader)
        epoch_lr = optimizer.param_groups[0]["lr"]
        if scheduler is not None:
            scheduler.step()
        epoch += 1
        stop = early_stopping.step(val_loss, epoch=epoch)
        epoch_time = time.perf_counter() - epoch_start
        train_loss, train_acc = totals["loss"] / totals["seen"], totals["correct"] / totals["seen"]
        totals = {"loss": 0.0, "correct": 0, "seen": 0}
        history.append(epoch=epoch, train_loss=train_loss, train_acc=train_acc,
                       val_loss=val_loss, val_acc=val_acc, lr=epoch_lr,
                       time_s=round(epoch_time, 2))
        print(f"epoch {epoch:3d}/{epochs}  train loss {train_loss:.4f} acc {100 * train_acc:.2f}%"
              f"  val loss {val_loss:.4f} acc {100 * val_acc:.2f}%  lr {epoch_lr:.3g}"
              f"  {epoch_time:.1f} s" + ("  *best" if early_stopping.improved else ""), flush=True)
        if stop:
            print(f"early stopping: no better validation loss in {args.patience} epochs")
        if early_stopping.improved:
            best_model = copy.deepcopy(model.state_dict())  # a copy: training goes on
        finished = stop or epoch == epochs
        save(training_state(), checkpoint_path)
        save_metrics()
except KeyboardInterrupt:
    print(f"interrupted at step {step}. To continue from the last checkpoint "
          f"({checkpoint_path}, saved at the end of each epoch and every --checkpoint-every "
          "steps), run again with the same options and --resume.")
    sys.exit(130)
if not finished:
    print(f"stopped (--max-steps {args.max_steps}) at step {step}, saved in {checkpoint_path}. "
          "To continue, run again with the same options and --resume.")
    sys.exit(0)
train_time += time.perf_counter() - run_start

# ----------------------------------------------------------------------------- test
# The best epoch's weights (lowest validation loss) are the model we report, and the one we
# export: best.safetensors is a plain state dict (minidl.load, or PyTorch's safetensors).
model.load_state_dict(best_model)
save(best_model, best_path)
test_loss, test_acc = evaluate(test_loader)
best = early_stopping.best_epoch
print(f"test accuracy {100 * test_acc:.2f}% (loss {test_loss:.4f}) with the weights of epoch "
      f"{best}, the best on validation | {len(history)} epochs, {train_time:.0f} s "
      f"({train_time / max(len(history), 1):.1f} s/epoch)")
save_metrics(best_epoch=best, test_loss=test_loss, test_acc=test_acc,
             train_time_s=round(train_time, 1))
try:
    curves = None if args.no_curves else history.plot(curves_path)
except OSError as exc:
    fail(f"{curves_path}: could not be written ({exc.strerror or exc})", code=1)
print(f"wrote {out}/: checkpoint.safetensors, best.safetensors (the best weights), "
      "metrics.json, " + ("curves.png" if curves else "no curves.png" if args.no_curves else
                          "no curves.png (pip install matplotlib to draw them)"))
