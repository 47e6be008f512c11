"""PyTorch's "Automatic differentiation with torch.autograd" tutorial, its random weights made
deterministic."""
import torch

x = torch.ones(5)  # input tensor
y = torch.zeros(3)  # expected output
w = torch.linspace(-1, 1, 15).reshape(5, 3).requires_grad_()
b = torch.linspace(0, 0.5, 3).requires_grad_()
z = torch.matmul(x, w) + b
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
print(f"Gradient function for z = {z.grad_fn}")
print(loss)

loss.backward()
print(w.grad)
print(b.grad)

z = torch.matmul(x, w) + b
print(z.requires_grad)
with torch.no_grad():
    z = torch.matmul(x, w) + b
print(z.requires_grad)
z = torch.matmul(x, w) + b
z_det = z.detach()
print(z_det.requires_grad)

inp = torch.eye(4, 5, requires_grad=True)
out = (inp + 1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"First call\n{inp.grad}")
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nSecond call\n{inp.grad}")
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nCall after zeroing gradients\n{inp.grad}")

a = torch.tensor([2.0, 3.0], requires_grad=True)
c = torch.tensor([6.0, 4.0], requires_grad=True)
q = 3 * a ** 3 - c ** 2
external_grad = torch.tensor([1.0, 1.0])
q.backward(gradient=external_grad)
print(9 * a ** 2 == a.grad)
print(-2 * c == c.grad)
print(q.grad_fn.name(), q.grad_fn.next_functions[0][0].name(), q.is_leaf, a.is_leaf)
print(a.grad.data.norm(), a.data, a.sign(), a.log1p(), a.expm1(), a.rsqrt())
