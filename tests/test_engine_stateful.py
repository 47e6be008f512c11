"""Random graphs, random order: the engine against numerical derivatives of the same program.

A Hypothesis state machine builds a graph step by step from ops of ``tests/op_table.py`` over
three float64 leaves, and interleaves backward passes (with and without ``retain_graph``),
zeroing of gradients, ``no_grad`` blocks and ``detach``. Beside every tensor it keeps a NumPy
program that recomputes the tensor's value from the leaves' values (with the table's NumPy
references); tensors made under no_grad or by detach are constants in that program. After every
backward the leaves' ``.grad`` must equal the accumulated central-difference derivatives of
those programs -- and a leaf that no backward reached must still have ``grad is None``.

Read next: ``tests/test_errors.py``.
"""
from dataclasses import dataclass
from typing import Callable, FrozenSet

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)
from op_table import OPS_BY_NAME

import minidl
from minidl.testing import float_arrays

SHAPE = (2, 3)
N_LEAVES = 3
UNARY = ["neg", "sin", "cos", "tanh", "sigmoid"]
BINARY = ["add", "sub", "mul"]
LIMIT = 100.0  # values above this are not kept: central differences need tame functions


@dataclass(eq=False)
class Node:
    tensor: minidl.Tensor
    program: Callable  # leaf values -> this tensor's value, in NumPy
    leaves: FrozenSet[int]  # leaves a backward from here reaches
    graph: FrozenSet[int]  # ids of the recorded (non-leaf) nodes this tensor depends on


class RandomGraphs(RuleBasedStateMachine):
    nodes = Bundle("nodes")

    def __init__(self):
        super().__init__()
        self.values = []
        self.leaves = []
        self.expected = [None] * N_LEAVES  # the .grad each leaf should have
        self.freed = set()  # ids of nodes whose saved tensors a backward released

    @initialize(target=nodes, arrays=st.lists(float_arrays(SHAPE, -2, 2), min_size=N_LEAVES,
                                              max_size=N_LEAVES))
    def make_leaves(self, arrays):
        self.values = arrays
        self.leaves = [minidl.tensor(a, requires_grad=True) for a in arrays]
        return multiple(*(Node(t, lambda vals, i=i: vals[i], frozenset([i]), frozenset())
                          for i, t in enumerate(self.leaves)))

    # ------------------------------------------------------------------ building the graph
    def _usable(self, *inputs) -> bool:
        return not any(node.graph & self.freed for node in inputs)

    def _record(self, tensor, program, inputs, constant: bool):
        value = program(self.values)
        if not np.all(np.abs(value) <= LIMIT):
            return multiple()
        np.testing.assert_allclose(tensor.detach().numpy(), value, rtol=1e-12, atol=1e-12)
        if constant:
            assert not tensor.requires_grad
            return Node(tensor, lambda vals: value, frozenset(), frozenset())
        assert tensor.requires_grad == any(node.leaves for node in inputs)
        graph = frozenset().union(*(node.graph for node in inputs)) | {id(tensor)}
        return Node(tensor, program, frozenset().union(*(n.leaves for n in inputs)), graph)

    @rule(target=nodes, node=nodes, name=st.sampled_from(UNARY), no_grad=st.booleans())
    def unary(self, node, name, no_grad):
        if not self._usable(node):
            return multiple()
        op = OPS_BY_NAME[name]
        with minidl.set_grad_enabled(not no_grad):
            out = op.fn(node.tensor)
        return self._record(out, lambda vals: op.ref(node.program(vals)), [node], no_grad)

    @rule(target=nodes, a=nodes, b=nodes, name=st.sampled_from(BINARY), no_grad=st.booleans())
    def binary(self, a, b, name, no_grad):
        if not self._usable(a, b):
            return multiple()
        op = OPS_BY_NAME[name]
        with minidl.set_grad_enabled(not no_grad):
            out = op.fn(a.tensor, b.tensor)
        return self._record(out, lambda vals: op.ref(a.program(vals), b.program(vals)),
                            [a, b], no_grad)

    @rule(target=nodes, node=nodes, name=st.sampled_from(["sum", "mean"]),
          dim=st.sampled_from([None, 0, 1, -1]), keepdim=st.booleans())
    def reduce(self, node, name, dim, keepdim):
        """Reductions keep shapes that broadcast with (2, 3): (), (1, 3), (2, 1), (3,)."""
        if not self._usable(node) or (dim is not None and node.tensor.ndim < 2):
            return multiple()
        keepdim = keepdim or dim in (1, -1)
        op = OPS_BY_NAME[name]
        out = op.fn(node.tensor, dim=dim, keepdim=keepdim)
        return self._record(out, lambda vals: op.ref(node.program(vals), dim, keepdim), [node],
                            False)

    @rule(target=nodes, node=nodes)
    def detach(self, node):
        return self._record(node.tensor.detach(), node.program, [node], True)

    # ------------------------------------------------------------------ backward and zeroing
    @precondition(lambda self: self.leaves)
    @rule(node=nodes, weights=float_arrays(SHAPE, -2, 2), retain=st.booleans())
    def backward(self, node, weights, retain):
        if not node.leaves or not self._usable(node):
            return
        shape = node.tensor.shape
        w = weights.reshape(-1)[:node.tensor.numel()].reshape(shape)  # the output's shape
        node.tensor.backward(minidl.tensor(w), retain_graph=retain)
        for i in node.leaves:
            g = self._numerical_gradient(lambda vals: np.sum(w * node.program(vals)), i)
            self.expected[i] = g if self.expected[i] is None else self.expected[i] + g
        if not retain:
            self.freed |= node.graph

    def _numerical_gradient(self, f, i, eps=1e-6):
        grad = np.zeros(SHAPE)
        for index in np.ndindex(SHAPE):
            vals = [v.copy() for v in self.values]
            vals[i][index] += eps
            plus = f(vals)
            vals[i][index] -= 2 * eps
            grad[index] = (plus - f(vals)) / (2 * eps)
        return grad

    @precondition(lambda self: self.leaves)
    @rule(i=st.integers(0, N_LEAVES - 1), to_none=st.booleans())
    def zero_grad(self, i, to_none):
        if to_none or self.leaves[i].grad is None:
            self.leaves[i].grad = None
            self.expected[i] = None
        else:
            self.leaves[i].grad.zero_()
            self.expected[i] = np.zeros(SHAPE)

    @invariant()
    def leaf_gradients_match_numerical_derivatives(self):
        for leaf, expected in zip(self.leaves, self.expected):
            if expected is None:
                assert leaf.grad is None
            else:
                assert leaf.grad is not None and leaf.grad.dtype == np.float64
                scale = 1 + np.abs(expected).max()
                np.testing.assert_allclose(leaf.grad.numpy(), expected, rtol=1e-5,
                                           atol=1e-6 * scale)


RandomGraphs.TestCase.settings = settings(stateful_step_count=20, deadline=None)
test_random_graphs = RandomGraphs.TestCase
