"""Data-parallel training: one model, N processes, each on its share of every batch.

    mpiexec -n 2 python examples/train_ddp.py                   # MLP on Fashion-MNIST
    make train-dist NP=2 ARGS="--model cnn --epochs 3"          # the same, through make
    mpiexec -n 4 -H host1:2,host2:2 python examples/train_ddp.py  # two machines, 2 ranks each
    mpiexec -n 3 python examples/train_ddp.py --resume          # continue, with any N
    python examples/train_ddp.py --quick                        # one process is fine too

(As root add --allow-run-as-root; to start more ranks than cores, --oversubscribe.)

It is examples/mnist.py with four changes, each marked "DDP" below:
1. ``init_process_group``: MPI tells each process its rank r and the number of ranks N;
2. a ``DistributedSampler`` gives rank r its share of each epoch's shuffled order, and each
   rank's batch is ``--batch-size / N``, so N ranks step as one process at ``--batch-size``;
3. ``DistributedDataParallel(model)``: the same starting weights everywhere, and gradients
   averaged across ranks in ``loss.backward()``, so every rank takes the same step;
4. rank 0 alone prints and writes the checkpoint (atomically); the test accuracy is summed
   over the ranks' shares with one ``all_reduce``.

``--resume`` continues after the last finished epoch with any number of ranks: the checkpoint
holds the model (no "module." prefix), the optimizer and the epoch, and the global batch
stays ``--batch-size``. Every rank reads the checkpoint, so on several machines ``--out``
must be a directory they share.

Read next: the README's "Distributed training" section (what is synchronized when, scaling).
"""
import argparse
import sys
import time
from pathlib import Path

import minidl
import minidl.distributed as dist
import minidl.nn.functional as F
from minidl import nn, optim
from minidl.data import DataLoader, DistributedSampler, Subset
from minidl.data.datasets import MNIST, FashionMNIST
from minidl.nn.parallel import DistributedDataParallel
from minidl.train import restore

# ----------------------------------------------------------------------------- settings
parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--dataset", choices=["fashion-mnist", "mnist"], default="fashion-mnist")
parser.add_argument("--root", default=None, help="a directory holding the four IDX files "
                    "(read as they are, without checking the published checksums)")
parser.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--batch-size", type=int, default=128, help="the global batch: each of "
                    "N ranks takes batch-size / N images per step")
parser.add_argument("--lr", type=float, default=1e-3)
parser.add_argument("--out", default=None, help="default: runs/ddp-<dataset>-<model>")
parser.add_argument("--resume", action="store_true", help="continue from --out's checkpoint")
parser.add_argument("--quick", action="store_true", help="2,048 + 1,000 images (for tests)")
args = parser.parse_args()

dist.init_process_group(backend="mpi")  # DDP 1: who am I, how many are we
# One BLAS thread per rank: N ranks already keep N cores busy, and more threads per rank would
# only compete for them (minidl's default count follows the load, minidl/threads.py).
minidl.set_num_threads(1)
rank, world_size = dist.get_rank(), dist.get_world_size()
if args.batch_size % world_size:
    sys.exit(f"--batch-size {args.batch_size} must be a multiple of the {world_size} ranks")
rank_batch = args.batch_size // world_size
out = Path(args.out or f"runs/ddp-{args.dataset}-{args.model}")
checkpoint_path = out / "checkpoint.safetensors"
minidl.manual_seed(0)  # the same model on every rank (DDP broadcasts rank 0's anyway)


def log(message):
    """Print on rank 0 only: N copies of every line would say nothing more."""
    if rank == 0:
        print(message, flush=True)


# ----------------------------------------------------------------------------- data
dataset_class = MNIST if args.dataset == "mnist" else FashionMNIST
verify = args.root is None  # files passed with --root are read as they are
if rank == 0:  # one rank downloads (if needed) while the others wait, then all read the files
    dataset_class(args.root, train=True, download=True, verify=verify)
    dataset_class(args.root, train=False, download=True, verify=verify)
dist.barrier()
train_set = dataset_class(args.root, train=True, verify=verify).as_tensor_dataset()
test_set = dataset_class(args.root, train=False, verify=verify).as_tensor_dataset()
if args.quick:
    train_set, test_set = Subset(train_set, range(2048)), Subset(test_set, range(1000))
# DDP 2: this rank's share of each epoch's order (set_epoch below reshuffles it every epoch).
sampler = DistributedSampler(train_set, shuffle=True, seed=0)
train_loader = DataLoader(train_set, batch_size=rank_batch, sampler=sampler)
# Each rank scores test images rank, rank + N, ...: every image exactly once, in total.
test_share = Subset(test_set, range(rank, len(test_set), world_size))
test_loader = DataLoader(test_share, batch_size=1000)

# ----------------------------------------------------------------------------- model
if args.model == "mlp":
    model = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 512), nn.ReLU(),
                          nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))
else:
    model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(),
                          nn.Linear(128, 10))
ddp = DistributedDataParallel(model)  # DDP 3: equal start, averaged gradients
optimizer = optim.Adam(ddp.parameters(), lr=args.lr)

first_epoch = 0
if args.resume and checkpoint_path.exists():
    state = minidl.load(checkpoint_path)  # every rank reads it: the same state everywhere
    restore(checkpoint_path, state, model=ddp, optimizer=optimizer)
    first_epoch = state["epoch"]
    log(f"resumed after epoch {first_epoch} (saved by {state['world_size']} ranks, now "
        f"{world_size})")
log(f"{world_size} ranks x {rank_batch} images = global batch {args.batch_size}, "
    f"{len(train_loader)} steps per epoch")

# ----------------------------------------------------------------------------- training
for epoch in range(first_epoch, args.epochs):
    sampler.set_epoch(epoch)  # a new order for this epoch, the same on every rank
    ddp.train()
    start = time.perf_counter()
    loss_sum = 0.0
    for images, labels in train_loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(ddp(images), labels)
        loss.backward()  # ... and the gradients are averaged across the ranks here
        optimizer.step()  # the same step on every rank: the models stay identical
        loss_sum += loss.item() * len(labels)
    seconds = time.perf_counter() - start

    ddp.eval()
    correct = 0
    with minidl.no_grad():
        for images, labels in test_loader:
            correct += (ddp(images).argmax(1) == labels).sum().item()
    # DDP 4: sums over the ranks, [train loss, train images, correct, test images].
    totals = minidl.tensor([loss_sum, len(sampler), correct, len(test_share)],
                           dtype=minidl.float64)
    dist.all_reduce(totals, op=dist.ReduceOp.SUM)
    loss_total, seen, correct_total, tested = totals.tolist()
    log(f"epoch {epoch + 1}  train loss {loss_total / seen:.4f}  "
        f"test accuracy {100 * correct_total / tested:.2f}%  {seconds:.1f} s  "
        f"({len(train_loader) / seconds:.1f} steps/s)")
    if rank == 0:  # one writer; written to a temporary file and renamed: never half a file
        out.mkdir(parents=True, exist_ok=True)
        minidl.save({"model": ddp.state_dict(), "optimizer": optimizer.state_dict(),
                     "epoch": epoch + 1, "world_size": world_size}, checkpoint_path)

dist.destroy_process_group()
