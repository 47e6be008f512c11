"""The classic MNIST example of pytorch/examples: a two-convolution network with dropout, trained
with Adadelta and a StepLR schedule, tested every epoch, its weights saved. On a small made-up
dataset in place of MNIST (no download), its random weights made deterministic, and its dropout
switched off for training (random masks cannot agree between two frameworks)."""
import argparse
import os
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


def train(args, model, device, train_loader, optimizer, epoch):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        if batch_idx % args.log_interval == 0:
            print("Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}".format(  # noqa: UP032
                epoch, batch_idx * len(data), len(train_loader.dataset),
                100. * batch_idx / len(train_loader), loss.item()))
            if args.dry_run:
                break


def test(model, device, test_loader):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()

    test_loss /= len(test_loader.dataset)

    print("\nTest set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)\n".format(  # noqa: UP032
        test_loss, correct, len(test_loader.dataset),
        100. * correct / len(test_loader.dataset)))


def made_up_digits(n):
    """n 28x28 images whose stripes' frequency and slant depend on the label, scaled to [0, 1]
    and normalized as the example's transforms.Normalize((0.1307,), (0.3081,)) does."""
    labels = torch.arange(n) % 10
    rows = torch.arange(28, dtype=torch.float32).view(1, 1, 28, 1)
    cols = torch.arange(28, dtype=torch.float32).view(1, 1, 1, 28)
    k = labels.float().view(n, 1, 1, 1)
    phase = torch.arange(n, dtype=torch.float32).view(n, 1, 1, 1) * 0.37
    images = 0.5 + 0.5 * torch.sin(rows * (0.15 + 0.05 * k) + cols * 0.02 * k + phase)
    return (images - 0.1307) / 0.3081, labels


def main():
    parser = argparse.ArgumentParser(description="PyTorch MNIST Example")
    parser.add_argument("--batch-size", type=int, default=16, metavar="N")
    parser.add_argument("--test-batch-size", type=int, default=20, metavar="N")
    parser.add_argument("--epochs", type=int, default=3, metavar="N")
    parser.add_argument("--lr", type=float, default=1.0, metavar="LR")
    parser.add_argument("--gamma", type=float, default=0.7, metavar="M")
    parser.add_argument("--dry-run", action="store_true", default=False)
    parser.add_argument("--log-interval", type=int, default=2, metavar="N")
    parser.add_argument("--save-model", action="store_true", default=True)
    args = parser.parse_args([])

    device = torch.device("cpu")
    train_kwargs = {"batch_size": args.batch_size}
    test_kwargs = {"batch_size": args.test_batch_size}

    images, labels = made_up_digits(100)
    dataset1 = TensorDataset(images[:60], labels[:60])
    dataset2 = TensorDataset(images[60:], labels[60:])
    train_loader = DataLoader(dataset1, **train_kwargs)
    test_loader = DataLoader(dataset2, **test_kwargs)

    model = Net().to(device)
    print(model.dropout1, model.dropout2)
    with torch.no_grad():
        for i, p in enumerate(model.parameters()):
            fan_in = p[0].numel() if p.dim() > 1 else p.numel()
            wave = torch.cos(torch.arange(p.numel(), dtype=torch.float32) * (i + 1.3))
            p.copy_(wave.view(p.shape) / fan_in ** 0.5)
    model.dropout1.p = 0.0  # (random masks: two frameworks cannot draw the same ones)
    model.dropout2.p = 0.0
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)

    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    for epoch in range(1, args.epochs + 1):
        train(args, model, device, train_loader, optimizer, epoch)
        test(model, device, test_loader)
        scheduler.step()
        print(scheduler.get_last_lr())

    if args.save_model:
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "mnist_cnn.pt")
            torch.save(model.state_dict(), path)
            restored = Net()
            restored.load_state_dict(torch.load(path))
        test(restored, device, test_loader)


if __name__ == "__main__":
    main()
