"""MNIST with minidl in one screen: an MLP, Adam, and the training loop spelled out.

    python examples/mnist.py                           # MNIST (downloaded once, then cached)
    python examples/mnist.py --dataset fashion-mnist   # offline where the Debian package is
    python examples/mnist.py --root DIR                # the four IDX files, from DIR
    python examples/mnist.py --quick                   # a few batches: a smoke test

Read next: examples/train_mnist.py, the same loop grown up (a CNN, validation, checkpoints).
"""
import argparse
import time

import minidl
import minidl.nn.functional as F
from minidl import nn, optim
from minidl.data import DataLoader, Subset
from minidl.data.datasets import MNIST, FashionMNIST

# ----------------------------------------------------------------------------- settings
max_epoch = 5
batch_size = 100
hidden_size = 1000
lr = 1e-3

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--dataset", choices=["mnist", "fashion-mnist"], default="mnist")
parser.add_argument("--root", default=None, help="a directory holding the four IDX files")
parser.add_argument("--epochs", type=int, default=max_epoch)
parser.add_argument("--quick", action="store_true", help="1 epoch on 1,000 images (for tests)")
args = parser.parse_args()
max_epoch = 1 if args.quick else args.epochs
minidl.manual_seed(0)  # the same initial weights and batch order on every run

# ----------------------------------------------------------------------------- data
# The whole split as two arrays: float32 images (N, 1, 28, 28) in [0, 1], int64 labels (N,).
dataset_class = MNIST if args.dataset == "mnist" else FashionMNIST
train_set = dataset_class(args.root, train=True, download=True).as_tensor_dataset()
test_set = dataset_class(args.root, train=False, download=True).as_tensor_dataset()
if args.quick:
    train_set, test_set = Subset(train_set, range(1000)), Subset(test_set, range(1000))
train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True)
test_loader = DataLoader(test_set, batch_size=1000)

# ----------------------------------------------------------------------------- model
model = nn.Sequential(
    nn.Flatten(),  # (N, 1, 28, 28) -> (N, 784)
    nn.Linear(28 * 28, hidden_size), nn.ReLU(),
    nn.Linear(hidden_size, hidden_size), nn.ReLU(),
    nn.Linear(hidden_size, 10),  # one score (logit) per class
)
optimizer = optim.Adam(model.parameters(), lr=lr)

# ----------------------------------------------------------------------------- training
for epoch in range(max_epoch):
    start = time.perf_counter()
    loss_sum = 0.0
    for images, labels in train_loader:
        optimizer.zero_grad()  # gradients accumulate: clear last step's
        loss = F.cross_entropy(model(images), labels)
        loss.backward()
        optimizer.step()
        loss_sum += loss.item() * len(labels)  # .item(): a float, not the whole graph

    correct = 0
    with minidl.no_grad():  # evaluation builds no graph
        for images, labels in test_loader:
            correct += (model(images).argmax(1) == labels).sum().item()

    print(f"epoch {epoch + 1}  train loss {loss_sum / len(train_set):.4f}  "
          f"test accuracy {100 * correct / len(test_set):.2f}%  "
          f"{time.perf_counter() - start:.1f} s")
