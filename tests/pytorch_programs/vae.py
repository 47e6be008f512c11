"""The variational autoencoder example of pytorch/examples: an MLP encoder to a mean and a
log-variance, the reparameterization trick, a sigmoid decoder, binary cross-entropy plus the KL
divergence, Adam. On small made-up images in place of MNIST (no download), its random weights
made deterministic; the noise of the reparameterization is checked for its distribution, then,
for the training whose numbers are compared, drawn from a fixed table."""
import math

import torch
import torch.nn.functional as F
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset

batch_size = 16
epochs = 3
log_interval = 2
device = torch.device("cpu")

n = 64
pixels = torch.arange(784, dtype=torch.float32).view(1, 1, 28, 28)
shift = torch.arange(n, dtype=torch.float32).view(n, 1, 1, 1)
images = torch.sigmoid(4 * torch.sin(pixels * 0.05 + shift * 0.7))  # in (0, 1), as BCE wants
labels = torch.arange(n) % 10
train_loader = DataLoader(TensorDataset(images[:48], labels[:48]), batch_size=batch_size,
                          shuffle=False)
test_loader = DataLoader(TensorDataset(images[48:], labels[48:]), batch_size=batch_size,
                         shuffle=False)


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 784))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


# The noise is standard normal, scaled by std = exp(logvar / 2): its draws differ between two
# frameworks, so what is printed is whether their mean and spread are right.
vae = VAE()
with torch.no_grad():
    mu = torch.full((200000, 1), 0.5)
    z = vae.reparameterize(mu, torch.full_like(mu, math.log(4.0)))
print(z.shape, z.dtype, abs(z.mean().item() - 0.5) < 0.03, abs(z.std().item() - 2.0) < 0.03)
recon, mu, logvar = vae(images[:3])
print(recon.shape, mu.shape, logvar.shape, recon.requires_grad)


class FixedNoiseVAE(VAE):
    """The same VAE, its noise read from a fixed table (mean near 0, variance near 1)."""

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = 1.4 * torch.cos(torch.arange(std.numel(), dtype=std.dtype) * 2.1).view_as(std)
        return mu + eps * std


model = FixedNoiseVAE().to(device)
with torch.no_grad():
    for i, p in enumerate(model.parameters()):
        fan_in = p[0].numel() if p.dim() > 1 else p.numel()
        p.copy_(torch.cos(torch.arange(p.numel(), dtype=torch.float32) * (i + 0.7)).view(p.shape)
                / fan_in ** 0.5)
optimizer = optim.Adam(model.parameters(), lr=1e-3)


# Reconstruction + KL divergence losses summed over all elements and batch
def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
    # KL(N(mu, sigma^2) || N(0, 1)) = -0.5 * sum(1 + log(sigma^2) - mu^2 - sigma^2)
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


def train(epoch):
    model.train()
    train_loss = 0
    for batch_idx, (data, _) in enumerate(train_loader):
        data = data.to(device)
        optimizer.zero_grad()
        recon_batch, mu, logvar = model(data)
        loss = loss_function(recon_batch, data, mu, logvar)
        loss.backward()
        train_loss += loss.item()
        optimizer.step()
        if batch_idx % log_interval == 0:
            print(f"Train Epoch: {epoch} [{batch_idx * len(data)}/{len(train_loader.dataset)} "
                  f"({100. * batch_idx / len(train_loader):.0f}%)]\t"
                  f"Loss: {loss.item() / len(data):.6f}")

    print(f"====> Epoch: {epoch} Average loss: {train_loss / len(train_loader.dataset):.4f}")


def test(epoch):
    model.eval()
    test_loss = 0
    with torch.no_grad():
        for i, (data, _) in enumerate(test_loader):
            data = data.to(device)
            recon_batch, mu, logvar = model(data)
            test_loss += loss_function(recon_batch, data, mu, logvar).item()
            if i == 0:
                n = min(data.size(0), 8)
                comparison = torch.cat([data[:n],
                                        recon_batch.view(batch_size, 1, 28, 28)[:n]])
                print(comparison.shape, f"{comparison[n:].mean().item():.5f}")

    test_loss /= len(test_loader.dataset)
    print(f"====> Test set loss: {test_loss:.4f}")


for epoch in range(1, epochs + 1):
    train(epoch)
    test(epoch)
    with torch.no_grad():
        sample = torch.randn(64, 20).to(device)
        sample = model.decode(sample).cpu()
        print(sample.view(64, 1, 28, 28).shape, bool(((sample > 0) & (sample < 1)).all()))
