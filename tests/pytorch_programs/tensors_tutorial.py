"""PyTorch's "Tensors" tutorial (learn the basics), its random tensors made deterministic."""
import numpy as np
import torch

data = [[1, 2], [3, 4]]
x_data = torch.tensor(data)
print(x_data)
np_array = np.array(data)
x_np = torch.from_numpy(np_array)
print(x_np)
x_ones = torch.ones_like(x_data)
print(f"Ones Tensor: \n {x_ones} \n")
x_float = torch.ones_like(x_data, dtype=torch.float)
print(f"Float Tensor: \n {x_float} \n")

shape = (2, 3,)
ones_tensor = torch.ones(shape)
zeros_tensor = torch.zeros(shape)
print(f"Ones Tensor: \n {ones_tensor} \n")
print(f"Zeros Tensor: \n {zeros_tensor}")

tensor = torch.linspace(0, 1, 12).reshape(3, 4)
print(f"Shape of tensor: {tensor.shape}")
print(f"Datatype of tensor: {tensor.dtype}")
print(f"Device tensor is stored on: {tensor.device}")
if torch.accelerator.is_available():
    tensor = tensor.to(torch.accelerator.current_accelerator())

tensor = torch.ones(4, 4)
print(f"First row: {tensor[0]}")
print(f"First column: {tensor[:, 0]}")
print(f"Last column: {tensor[..., -1]}")
tensor[:, 1] = 0
print(tensor)
t1 = torch.cat([tensor, tensor, tensor], dim=1)
print(t1)

y1 = tensor @ tensor.T
y2 = tensor.matmul(tensor.T)
y3 = torch.zeros_like(y1)
torch.matmul(tensor, tensor.T, out=y3)
print(y1, y2, y3)
z1 = tensor * tensor
z2 = tensor.mul(tensor)
print(z1.equal(z2), y1.equal(y3))

agg = tensor.sum()
agg_item = agg.item()
print(agg_item, type(agg_item))
print(f"{tensor} \n")
tensor.add_(5)
print(tensor)

t = torch.ones(5)
print(f"t: {t}")
n = t.numpy()
print(f"n: {n}")
t.add_(1)
print(f"t: {t}")
print(f"n: {n}")
n = np.ones(5)
t = torch.from_numpy(n)
np.add(n, 1, out=n)
print(f"t: {t}")
print(f"n: {n}")

x = torch.arange(12).reshape(3, 4)
print(x, x.shape, x.size(), x.size(1), x.dtype, x.numel(), x.dim())
print(x.t(), x.view(-1), x.view(2, 6).shape, x.float().mean(), x.float().std())
print(x.max(), x.max(dim=1), x.argmax(1), torch.max(x.float().data, 1))
print(x[x > 5], x.sum(axis=0), x.float().norm(), x.float().norm(dim=1))
a, b = x.chunk(2, dim=1)
print(a, b, x.split(2), x.clone().type())
print(torch.tensor([[0.6370, 1.0], [1e-5, 12345.0]]), torch.tensor([True, False]))
print(torch.tensor(3.5), torch.tensor([1.5, 2.5], dtype=torch.float64), torch.zeros(0, 3))
print(x & 3, x | 8, x ^ 1, ~x, x << 1, x >> 1)
print(torch.cuda.is_available(), torch.backends.mps.is_available())
