"""The "Neural Networks" part of PyTorch's 60-minute blitz: LeNet, a backward pass, a manual
update through .data, then an optimizer; the random input and weights made deterministic."""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, input):
        c1 = F.relu(self.conv1(input))
        s2 = F.max_pool2d(c1, (2, 2))
        c3 = F.relu(self.conv2(s2))
        s4 = F.max_pool2d(c3, 2)
        s4 = torch.flatten(s4, 1)
        f5 = F.relu(self.fc1(s4))
        f6 = F.relu(self.fc2(f5))
        output = self.fc3(f6)
        return output


net = Net()
print(net)
params = list(net.parameters())
print(len(params))
print(params[0].size())
with torch.no_grad():
    for i, p in enumerate(params):
        p.copy_(torch.cos(torch.arange(p.numel(), dtype=torch.float32) * (i + 1)).view(p.shape)
                * 0.2)

input = torch.sin(torch.arange(32 * 32, dtype=torch.float32) * 0.1).reshape(1, 1, 32, 32)
out = net(input)
print(out)
net.zero_grad()
out.backward(torch.linspace(0, 1, 10).reshape(1, 10))

output = net(input)
target = torch.linspace(-1, 1, 10)
target = target.view(1, -1)
criterion = nn.MSELoss()
loss = criterion(output, target)
print(loss)

net.zero_grad()
print("conv1.bias.grad before backward")
print(net.conv1.bias.grad)
loss.backward()
print("conv1.bias.grad after backward")
print(net.conv1.bias.grad)

learning_rate = 0.01
for f in net.parameters():
    f.data.sub_(f.grad.data * learning_rate)
print(criterion(net(input), target))

optimizer = optim.SGD(net.parameters(), lr=0.01)
for step in range(3):
    optimizer.zero_grad()
    output = net(input)
    loss = criterion(output, target)
    loss.backward()
    optimizer.step()
    print(step, f"{loss:.6f}", loss.item())
_, predicted = torch.max(net(input).data, 1)
print(predicted, predicted.item(), net.fc3.weight.data.norm())
