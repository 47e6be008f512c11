"""Einstein summation: ``einsum("bij,bjk->bik", a, b)`` multiplies the operands elementwise
over every combination of the letters and sums over the letters missing from the output.

    y[out] = sum over the other letters of  x0[s0] * x1[s1] * ...

The forward is the array library's einsum with ``optimize=True`` (it picks the order of the
pairwise contractions). The backward is einsum too: y is linear in each operand, so

    g_i[s_i] = sum over the letters not in s_i of  gy[out] * prod_{j != i} x_j[s_j]

which is ``einsum("out,s_j...->s_i", gy, x_j...)``, written with the differentiable einsum:
second derivatives come free. Two cases need a constant operand more:

* a letter repeated in s_i (``"ii->i"``, a diagonal): its second occurrence gets a fresh
  letter, and the identity matrix over the pair puts the gradient on the diagonal only;
* a letter only s_i has (``"ij->i"`` sums j away): a vector of ones over it broadcasts the
  gradient along it.

``...`` stands for the same broadcast dimensions in every operand; they are given letters of
their own, and each operand is first broadcast to their full sizes (``broadcast_to``, whose
backward sums the gradient back).

Read next: ``pad_modes.py`` (reflect, replicate and circular padding).
"""
from __future__ import annotations

import string
from typing import Dict, List, Tuple

from minidl import backend
from minidl.errors import DTypeError, ShapeError
from minidl.function import Function
from minidl.ops.dims import broadcast_shape
from minidl.ops.shape import broadcast_to
from minidl.tensor import Tensor


class Einsum(Function):
    """y = einsum(ins -> out, *xs);  g_i = einsum(out, the other ins -> ins[i], gy, ...)"""

    @staticmethod
    def forward(ctx, *xs, ins, out):
        ctx.ins, ctx.out = ins, out
        ctx.save_for_backward(*xs)
        xp = backend.get_array_module(xs[0])
        return xp.einsum(",".join(ins) + "->" + out, *xs, optimize=True)

    @staticmethod
    def backward(ctx, gy):
        xs = ctx.saved_tensors
        return tuple(_operand_grad(gy, xs, ctx.ins, ctx.out, i) if need else None
                     for i, need in enumerate(ctx.needs_input_grad))


def _operand_grad(gy: Tensor, xs, ins: List[str], out: str, i: int) -> Tensor:
    """d(y . gy)/d x_i, as one einsum of gy, the other operands and constants."""
    sizes = {letter: n for s, x in zip(ins, xs) for letter, n in zip(s, x.shape)}
    fresh = iter(c for c in string.ascii_letters if c not in set("".join(ins) + out))
    xp = backend.get_array_module(gy._array)
    target, subs = [], [out] + [s for j, s in enumerate(ins) if j != i]
    operands = [gy] + [x for j, x in enumerate(xs) if j != i]
    for letter in ins[i]:
        if letter in target:  # repeated: a fresh letter, tied to it by the identity
            twin = next(fresh)
            subs.append(letter + twin)
            operands.append(Tensor._make(xp.eye(sizes[letter], dtype=gy.dtype), False))
            letter = twin
        target.append(letter)
    present = set("".join(subs))
    for letter in target:
        if letter not in present:  # summed over in x_i alone: broadcast along it
            subs.append(letter)
            operands.append(Tensor._make(xp.ones(sizes[letter], dtype=gy.dtype), False))
            present.add(letter)
    return Einsum.apply(*operands, ins=subs, out="".join(target))


def _parse(equation: str, shapes: List[Tuple[int, ...]]) -> Tuple[List[str], str, str]:
    """The subscripts of each operand and of the output with ``...`` replaced by letters of
    its own, and those letters (the implicit output: ``...``, then the letters used once, in
    alphabetical order, as in PyTorch)."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise ShapeError(f"einsum: the equation {equation!r} has {len(ins)} operands, but "
                         f"{len(shapes)} tensors were given")
    for s in ins + [rhs]:
        if any(c not in string.ascii_letters for c in s.replace("...", "")):
            raise ShapeError(f"einsum: subscripts must be letters or '...', got {s!r} in "
                             f"{equation!r}")
    spare = [c for c in string.ascii_letters if c not in equation]
    ellipsis_dims = max((len(shape) - len(s.replace("...", ""))
                         for s, shape in zip(ins, shapes) if "..." in s), default=0)
    dots = "".join(spare[:ellipsis_dims])
    resolved = []
    for s, shape in zip(ins, shapes):
        named = len(s.replace("...", ""))
        if ("..." in s and named > len(shape)) or ("..." not in s and named != len(shape)):
            raise ShapeError(f"einsum: subscripts {s!r} do not fit an operand of shape "
                             f"{tuple(shape)}")
        resolved.append(s.replace("...", dots[ellipsis_dims - (len(shape) - named):]))
    if not arrow:
        counts = "".join(ins).replace("...", "")
        rhs = "..." * ("..." in lhs) + "".join(sorted(c for c in set(counts)
                                                      if counts.count(c) == 1))
    out = rhs.replace("...", dots)
    if len(set(out)) != len(out) or any(c not in "".join(resolved) for c in out):
        raise ShapeError(f"einsum: output subscripts {rhs!r} must be distinct letters of the "
                         f"operands, in {equation!r}")
    return resolved, out, dots


def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation over the operands' subscripts (``torch.einsum``); the operands may
    also be given as one list."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands or not all(isinstance(x, Tensor) for x in operands):
        raise ShapeError("einsum: expected at least one tensor operand")
    if any(x.dtype != operands[0].dtype for x in operands):
        raise DTypeError(f"einsum: operands must have one dtype, got "
                         f"{[str(x.dtype) for x in operands]}")
    ins, out, dots = _parse(equation, [tuple(x.shape) for x in operands])
    sizes: Dict[str, int] = {}
    for s, x in zip(ins, operands):
        for letter, n in zip(s, x.shape):
            if letter in dots:  # broadcast: sizes 1 and n give n
                sizes[letter] = max(sizes.get(letter, 1), n)
            elif sizes.setdefault(letter, n) != n:
                raise ShapeError(f"einsum: subscript {letter!r} has size {n} in operand "
                                 f"{s!r} and {sizes[letter]} elsewhere, in {equation!r}")
    operands = list(operands)
    for k, (s, x) in enumerate(zip(ins, operands)):
        full = tuple(sizes[letter] for letter in s)
        if tuple(x.shape) != full:
            if broadcast_shape(tuple(x.shape), full) != full:
                raise ShapeError(f"einsum: operand {s!r} of shape {tuple(x.shape)} does not "
                                 f"broadcast over '...' to {full}, in {equation!r}")
            operands[k] = broadcast_to(x, full)
    return Einsum.apply(*operands, ins=ins, out=out)
