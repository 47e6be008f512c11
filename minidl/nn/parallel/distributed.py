"""DistributedDataParallel: the same model on every rank, trained as one.

Data parallelism in three rules, each enforced here:

1. **Start equal.** At construction the model's parameters and buffers are broadcast from
   rank 0, after checking that every rank built the same model (names, shapes, dtypes: a
   mismatch is a clear error on every rank rather than a hang or silent nonsense).
2. **Step equal.** Each rank runs forward and backward on its own share of the batch; after
   backward every parameter's ``.grad`` is the average of all ranks' gradients (the Reducer,
   ``reducer.py``). Every rank then takes the same optimizer step from the same state, so the
   parameters stay identical, bit for bit, without ever being sent again. With a loss that is
   a mean over the batch, N ranks at batch B step exactly as one process at batch N * B
   (up to the order of float32 additions).
3. **Buffers follow rank 0.** With ``broadcast_buffers=True`` (the default) buffers such as
   BatchNorm's running statistics are broadcast from rank 0 before each forward that records
   a graph (so each rank normalizes with its own batch's statistics, as PyTorch does).

How the Reducer learns that backward is over: each forward that will be averaged starts with
a tiny node, ``start``, made from a zero scalar before the wrapped module runs, and adds
``start`` (zero) to each floating-point output. The engine runs nodes newest first, so
``start``'s node, older than every node of the forward and the loss, runs after all of them:
by then every parameter's gradient has arrived, and a hook on ``start`` finishes the
averaging. (PyTorch's engine has a callback for this; minidl's needs none.) The cost is one
addition per output and one sum in backward.

``no_sync()`` turns the averaging off for the forwards inside it: gradients accumulate
locally, and the first forward/backward outside it averages the accumulated ``.grad``.

``state_dict()`` is the wrapped module's, without PyTorch's ``"module."`` prefix, and
``load_state_dict`` takes the same keys: a checkpoint written under DDP loads into the bare
model and the other way round, with any number of ranks. (``ddp.module`` is the model
itself; in PyTorch ``ddp.state_dict()`` keys start with ``"module."``.)

Read next: ``minidl/ops/sync_batch_norm.py`` (batch norm whose statistics span every rank),
or ``examples/train_ddp.py`` (all of the above at work).
"""
from __future__ import annotations

import contextlib
from collections import OrderedDict
from typing import Any, Dict, Iterator, List, Optional, Sequence

from minidl import backend
from minidl.distributed import broadcast
from minidl.distributed.objects import all_gather_object
from minidl.distributed.process_group import DistributedError, ProcessGroup, get_group
from minidl.errors import DeviceError
from minidl.grad_mode import is_grad_enabled, no_grad
from minidl.nn.hooks import BackwardHookIdentity
from minidl.nn.module import Module
from minidl.nn.parallel.reducer import Reducer
from minidl.tensor import Tensor


class DistributedDataParallel(Module):
    """Wrap ``module`` so that training it on every rank averages its gradients across ranks
    (``torch.nn.parallel.DistributedDataParallel``). Call it as the module; optimize
    ``ddp.parameters()`` (the module's own).

    ``device_ids``: None, or a one-element list naming the device the module is on (the
    model is not moved). ``bucket_cap_mb``: the most megabytes (MiB) of gradients per
    all-reduce (default 25, PyTorch's). ``find_unused_parameters`` is accepted for PyTorch's
    signature: parameters that get no gradient are always handled (they count as zeros).
    """

    def __init__(self, module: Module, device_ids: Optional[Sequence[Any]] = None,
                 broadcast_buffers: bool = True, process_group: Optional[ProcessGroup] = None,
                 bucket_cap_mb: Optional[float] = None, find_unused_parameters: bool = False):
        super().__init__()
        group = get_group("DistributedDataParallel", process_group)
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: expected a Module, got "
                            f"{type(module).__name__}")
        bucket_cap_mb = 25.0 if bucket_cap_mb is None else bucket_cap_mb
        if not isinstance(bucket_cap_mb, (int, float)) or not bucket_cap_mb > 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be a positive "
                             f"number, got {bucket_cap_mb!r}")
        self.module = module
        self.group = group
        self.broadcast_buffers = bool(broadcast_buffers)
        self.require_backward_grad_sync = True  # False inside no_sync()
        _check_devices(module, device_ids)
        _check_same_model(group, module)
        with no_grad():  # rule 1: start equal (in place, on tensors that require grad)
            for t in _tensors(module):
                broadcast(t, src=group.ranks[0], group=group)  # (a world rank)
        params = [p for p in module.parameters() if p.requires_grad]
        self.reducer = Reducer(params, int(bucket_cap_mb * 2**20), group) if params else None

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        if not is_grad_enabled():  # evaluation: nothing to average, nothing to synchronize
            return self.module(*inputs, **kwargs)
        if self.broadcast_buffers and self.group.size > 1:
            with no_grad():
                for _, b in self.module.named_buffers():
                    broadcast(b, src=self.group.ranks[0], group=self.group)
        if self.reducer is None or not self.require_backward_grad_sync:
            return self.module(*inputs, **kwargs)
        self.reducer.prepare()
        first = self.reducer.params[0]
        with backend.selected(first.device):
            zero = backend.xp_for(first.device).zeros((), first.dtype)
        # Made before the module runs, so it runs after all of it in backward (docstring).
        start = BackwardHookIdentity.apply(Tensor._make(zero, True))
        start.register_hook(self._backward_done)
        return _tie(self.module(*inputs, **kwargs), start)

    def _backward_done(self, gradient: Tensor) -> None:
        self.reducer.finish()

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Forwards inside skip the averaging: their gradients accumulate in ``.grad`` on each
        rank, to be averaged by the backward of the next forward outside."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    def state_dict(self, destination: Optional[Dict[str, Tensor]] = None, prefix: str = "",
                   keep_vars: bool = False) -> OrderedDict[str, Tensor]:
        """The wrapped module's state dict, keys without ``"module."`` (module docstring)."""
        return self.module.state_dict(destination, prefix, keep_vars)


def _tie(output: Any, start: Tensor) -> Any:
    """``output`` with ``start`` (a zero) added to each floating-point tensor in it that
    requires grad, so that backward from any of them reaches ``start``."""
    if isinstance(output, Tensor):
        if not output.requires_grad or output.dtype.kind != "f":
            return output
        if start.dtype != output.dtype or start.device != output.device:
            start = start.to(output.device, output.dtype)
        return output + start
    if isinstance(output, dict):
        return {key: _tie(value, start) for key, value in output.items()}
    if isinstance(output, (tuple, list)):
        tied = [_tie(value, start) for value in output]
        if hasattr(output, "_fields"):  # a namedtuple
            return type(output)(*tied)
        return type(output)(tied)
    return output


def _tensors(module: Module) -> List[Tensor]:
    return [p for p in module.parameters()] + [b for _, b in module.named_buffers()]


def _check_devices(module: Module, device_ids: Optional[Sequence[Any]]) -> None:
    devices = sorted({t.device for t in _tensors(module)})
    if len(devices) > 1:
        raise DeviceError(f"DistributedDataParallel: the module's tensors are on several "
                          f"devices {devices}; put the whole model on one")
    if device_ids is None:
        return
    if len(device_ids) != 1:
        raise ValueError(f"DistributedDataParallel: device_ids must name one device (one "
                         f"per process), got {list(device_ids)}")
    wanted = device_ids[0]
    wanted = backend.parse_device(f"cuda:{wanted}" if isinstance(wanted, int) else wanted)
    if devices and devices[0] != wanted:
        raise DeviceError(f"DistributedDataParallel: device_ids={list(device_ids)} but the "
                          f"module is on {devices[0]}; move it first with .to({wanted!r})")


def _signature(module: Module) -> List[list]:
    """[kind, name, shape, dtype] of every parameter and buffer (JSON-friendly)."""
    entries = [["parameter", name, list(p.shape), str(p.dtype)]
               for name, p in module.named_parameters()]
    return entries + [["buffer", name, list(b.shape), str(b.dtype)]
                      for name, b in module.named_buffers()]


def _check_same_model(group: ProcessGroup, module: Module) -> None:
    """Raise the same DistributedError on every rank if any rank's model differs from rank
    0's (every rank sees every signature, so all of them stop, none hangs)."""
    signatures = [None] * group.size
    all_gather_object(signatures, _signature(module), group)
    reference = {entry[1]: entry for entry in signatures[0]}
    for rank, signature in enumerate(signatures[1:], start=1):
        mine = {entry[1]: entry for entry in signature}
        names = list(reference) + [name for name in mine if name not in reference]
        for name in names:  # in rank 0's order: the first difference is named
            ours, theirs = mine.get(name), reference.get(name)
            if ours == theirs:
                continue
            if theirs is None:
                problem = f"{ours[0]} {name!r} exists on rank {rank} but not on rank 0"
            elif ours is None:
                problem = f"{theirs[0]} {name!r} exists on rank 0 but not on rank {rank}"
            else:
                problem = (f"{ours[0]} {name!r} is {ours[2]} {ours[3]} on rank {rank} but "
                           f"{theirs[2]} {theirs[3]} on rank 0")
            _raise_different(problem)
        if signature != signatures[0]:  # the same tensors, registered in another order
            _raise_different(f"rank {rank} registers its parameters or buffers in another "
                             "order than rank 0")


def _raise_different(problem: str) -> None:
    raise DistributedError(f"DistributedDataParallel: the ranks built different models: "
                           f"{problem}; every rank must build the same model")
