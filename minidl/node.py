"""One node of the graph: ``Node``, made by ``Function.apply`` for each call of an op.

A node is also the ``ctx`` that a Function's ``forward`` and ``backward`` receive: forward saves
arrays on it (``ctx.save_for_backward``), backward reads them back as Tensors
(``ctx.saved_tensors``) and sees which inputs need a gradient (``ctx.needs_input_grad``).
``node.function`` is the Function class whose rules it runs; ``node.edges`` points at what
produced each input: another Node, or the leaf Tensor itself. A Tensor's ``grad_fn`` is the
Node that produced it (a call under ``no_grad``, or on inputs that need no gradient, makes a
node that forward and backward use and that no graph keeps). PyTorch's view of a node works too:
``grad_fn.name()`` (``"MulBackward0"``) and ``grad_fn.next_functions`` (``((node, 0), ...)``,
with an ``AccumulateGrad`` standing for each leaf).

Why a class of its own rather than an instance of the Function subclass (Mul, Tanh, ...):
every op, forward and backward, reads and writes a dozen attributes of its node, and CPython
(3.11+) makes an attribute access fast only where it always sees one type. With one Node type
for all ops those accesses stay specialized; with one type per op they were not (README,
Performance, has the measurement).

Read next: ``minidl/autograd.py`` (the engine that walks the nodes).
"""
from __future__ import annotations

from minidl import backend
from minidl.errors import AutogradError
from minidl.tensor import Tensor

_PYTHON_NUMBERS = frozenset((int, float, bool))
_OUTPUT = object()  # marks "the output of this node's Function" among the saved tensors
_FREED = object()  # saved tensors were released after a backward without retain_graph


class Node:
    """The record of one call of a Function (``Mul.apply(x, w)``): what its backward needs.

    Set for every call: ``function`` (the Function class), ``needs_input_grad`` (one bool per
    input) and what forward saved. Set when the call was recorded in the graph: ``edges``,
    ``out_shape`` and ``out_dtype`` (what a gradient of the output must look like),
    ``sequence_nr`` (creation order: the engine runs nodes from the newest down) and the hook
    slots. Forward may also set attributes of its own (``ctx.axis = axis``)."""

    __slots__ = ("function", "edges", "out_shape", "out_dtype", "needs_input_grad",
                 "sequence_nr", "_saved", "_saved_versions", "_out_array", "_out_counter",
                 "_hooks", "_retained", "__weakref__", "__dict__")
    # _out_array and _out_counter (the output's array and version counter) are set only by a
    # node that saved its output, and read only when it did. _hooks: id -> hook on the
    # output's gradient; _retained: weak reference to an output that called retain_grad().

    def _array_from_scalar(self, scalar, xs):
        """A NumPy scalar returned by forward (reductions give them) as a 0-d array of the
        inputs' array type; if forward saved the scalar, the array is saved instead."""
        like = next(x for x in xs if type(x) in backend._BY_ARRAY_TYPE)
        y = backend.get_array_module(like).asarray(scalar)
        if self._saved is not None:
            self._saved = tuple(y if s is scalar else s for s in self._saved)
        return y

    def save_for_backward(self, *arrays) -> None:
        """Remember arrays (inputs, the output, or intermediates) for backward."""
        self._saved = arrays

    def _resolve_saved(self, args, xs, y, out) -> None:
        """Turn what forward saved into what backward gets: inputs map back to the input
        Tensors, other arrays to constants, Python numbers stay numbers, and the output to a
        marker. ``saved_tensors`` rebuilds the output: a new Tensor around its array, linked to
        this node and sharing its version counter, so that a change through the output or any
        view of it is seen even after the user dropped the output (holding the output Tensor
        itself would make a reference cycle: it holds this node as its grad_fn).

        Backward checks that no in-place change came since. ``_saved_versions`` holds the
        version now of each saved tensor whose version is not 0, and is None when all are 0,
        the common case: version counters are made lazily, at the first in-place change or
        view of a tensor, so a tensor without one is at version 0."""
        saved = self._saved
        resolved = list(saved)  # saved, with inputs and the output replaced
        versions = None
        n = len(xs)
        k = -1
        for s in saved:  # (the commonest cases first: an input in its own place, the output)
            k += 1
            if k < n and s is xs[k] and isinstance(args[k], Tensor):  # input k, as the k-th
                t = resolved[k] = args[k]
            elif s is y:
                resolved[k] = _OUTPUT
                self._out_array = y
                t = out
                if t._counter is None:  # (a view of an input shares the input's counter)
                    t._counter = [0]
                self._out_counter = t._counter
            elif s is None or type(s) in _PYTHON_NUMBERS:  # a Python number stays one
                continue
            else:
                t = resolved[k] = self._input_or_constant(s, args, xs, y)
            counter = t._counter
            if counter is not None and counter[0] != 0:
                if versions is None:
                    versions = [0] * len(saved)
                versions[k] = counter[0]
        self._saved = tuple(resolved)
        self._saved_versions = versions

    @staticmethod
    def _input_or_constant(array, args, xs, y):
        """The input Tensor whose array ``array`` is (saved out of order), else a constant."""
        for a, x in zip(args, xs):
            if x is array and isinstance(a, Tensor):
                return a
        if type(array) is not type(y):  # a NumPy scalar (ops on 0-d arrays give them)
            array = backend.get_array_module(y).asarray(array)
        return Tensor._make(array, False)

    @property
    def saved_tensors(self) -> tuple:
        saved = self._saved
        if saved is _FREED:
            raise AutogradError(
                f"{self.op_name}: trying to backward through the graph a second time (or "
                "to read saved tensors after they were freed). Saved tensors are freed after "
                "backward; specify retain_graph=True on the first backward() if you need to "
                "backward through the graph again.")
        if saved is None:
            return ()
        versions = self._saved_versions
        result = saved
        k = 0
        for t in saved:
            if t is _OUTPUT:  # the output, rebuilt (see _resolve_saved): a new Tensor around
                if result is saved:  # its array, linked to this node and sharing its counter
                    result = list(saved)
                result[k] = t = Tensor._make(self._out_array, True)
                t.grad_fn = self
                t._counter = self._out_counter
            if isinstance(t, Tensor) and t._counter is not None:
                version = versions[k] if versions is not None else 0
                if t._counter[0] != version:
                    self._raise_modified(t._array, t._counter[0], version)
            k += 1
        return result if result is saved else tuple(result)

    def _raise_modified(self, array, now: int, version: int):
        raise AutogradError(
            f"{self.op_name}: one of the tensors needed for gradient computation has "
            f"been modified by an in-place operation (on it, or on a view sharing its memory): "
            f"a tensor of shape {tuple(array.shape)} and dtype {array.dtype} is at version "
            f"{now}; expected version {version} (the version saved by {self.op_name}).")

    @property
    def op_name(self) -> str:
        """The op's name, as minidl's messages give it: ``"Mul"``."""
        return self.function.__name__

    def name(self) -> str:
        """PyTorch's name for the node: ``"MulBackward0"`` (the op's, then "Backward0")."""
        return f"{self.function.__name__}Backward0"

    @property
    def next_functions(self) -> tuple:
        """PyTorch's view of ``edges``: a ``(node, 0)`` pair per input, where node is the Node
        that made the input, an ``AccumulateGrad`` for a leaf that requires grad, or None where
        no gradient flows. The 0 is the output's index (a minidl op has one output).

        Inputs after the last one that needs a gradient are left out: they are mostly an op's
        non-Tensor arguments (dims, shapes), which PyTorch does not list either; the price is
        that a constant last operand (``w * c``) is left out too, where PyTorch lists it as
        ``(None, 0)``. (Which arguments were Tensors is not recorded: that would cost every
        op a little time in ``Function.apply``.)"""
        edges = self.edges
        last = max((i for i, edge in enumerate(edges) if edge is not None), default=-1)
        return tuple((AccumulateGrad(edge) if isinstance(edge, Tensor) else edge, 0)
                     for edge in edges[:last + 1])

    def __repr__(self) -> str:
        return f"<{self.name()}>"


class AccumulateGrad:
    """What ``next_functions`` shows for a leaf, named as in PyTorch: the last step of a
    backward pass, which adds the gradient into ``variable.grad``. (minidl's engine does that
    itself, in ``_deliver_to_leaf``; this object only describes it.)"""

    __slots__ = ("variable",)
    next_functions = ()

    def __init__(self, variable: Tensor):
        self.variable = variable

    def name(self) -> str:
        return "AccumulateGrad"

    def __eq__(self, other) -> bool:
        return isinstance(other, AccumulateGrad) and other.variable is self.variable

    def __hash__(self) -> int:
        return id(self.variable)

    def __repr__(self) -> str:
        return "<AccumulateGrad>"

