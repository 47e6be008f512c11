"""The Reducer: averages gradients across ranks, in buckets, while backward is still running.

Data-parallel training keeps one copy of the model per rank; each rank computes gradients on
its own share of the batch, and before the optimizer steps every rank must hold the same
gradient, the average over ranks. That is one all-reduce per step. Sending one message per
parameter would pay MPI's fixed cost for every tensor; sending all gradients at the end of
backward would make every rank wait idle for the whole transfer. So, as PyTorch does:

* **buckets**: the parameters are grouped, in reverse order of registration (roughly the
  order in which backward produces their gradients: last layer first), into buckets of at
  most ``bucket_cap_bytes``; each bucket's gradients are copied into one flat array, divided
  by the number of ranks on the way (the copy and the division are one pass over memory), and
  summed over the ranks with one all-reduce: the average;
* **hooks**: a gradient hook on every parameter counts the gradients arriving; once every
  parameter of a bucket has received all of its gradients for this backward, the bucket is
  sent (``all_reduce(..., async_op=True)``) while backward goes on computing earlier layers,
  except the last bucket: when it is ready backward is all but done, so it waits for finish,
  where MPI's blocking all-reduce runs, about 2.5x faster than a started one waited for;
* **finish**: when backward is done (``DistributedDataParallel`` arranges a call), the
  buckets not sent yet are sent, every transfer is waited for, and each parameter's ``.grad``
  becomes its slice of the averaged flat array (a view: no copy). Each bucket has two flat
  arrays that backward passes take in turn, so a ``.grad`` from the backward before last is
  overwritten (as PyTorch's ``gradient_as_bucket_view``): keep a copy to keep it longer.

How many gradients a parameter receives per backward (one, or more when it is used twice,
or none when unused) is learned in the first backward, which sends everything at the end.
Buckets are sent strictly in order, so that every rank makes the same MPI calls in the same
order even when their gradients arrive in a different order. If a later backward delivers a
gradient to a bucket already sent (the model used a parameter more often than the first
time), the ranks notice together at the end (each rank's count of late gradients travels as
one more element of the last bucket, which always goes out at the end), re-send everything
from the finished ``.grad``s, and learn the counts again: slower, never wrong.

A hook sees the gradient *before* the engine adds it to ``.grad``: so the total a hook packs
is ``.grad + gradient`` (``.grad`` holds what accumulated earlier, e.g. under ``no_sync``).

Read next: ``distributed.py`` (DistributedDataParallel, which drives the Reducer).
"""
from __future__ import annotations

from functools import partial
from typing import Any, List, Optional

from minidl import backend
from minidl.distributed import ReduceOp, Work, all_reduce
from minidl.distributed.process_group import ProcessGroup
from minidl.errors import AutogradError
from minidl.tensor import Tensor

PIECE_BYTES = 512 * 1024  # the blocking all-reduces at the end go in pieces of this size


class _Done:
    """The Work of a bucket whose all-reduce already ran to its end."""

    @staticmethod
    def wait() -> bool:
        return True

    @staticmethod
    def is_completed() -> bool:
        return True


_DONE = _Done()


class Bucket:
    """Parameters whose gradients travel together, flattened into one array per backward."""

    def __init__(self, indices: List[int], params: List[Tensor]):
        self.indices = indices  # positions in the Reducer's parameter list
        self.slices = []  # where each parameter's gradient sits in the flat array
        start = 0
        for p in params:
            self.slices.append(slice(start, start + p._array.size))
            start += p._array.size
        self.size = start  # the last bucket gets one more element: the late count (finish)
        self.dtype = params[0].dtype
        self.device = params[0].device
        self.flat: Optional[Any] = None  # this backward's array
        # Two arrays taken in turn: after a backward the parameters' .grad are views of one,
        # while the next backward packs into the other (reading those .grad); a fresh array
        # every backward would cost page faults on every page of it.
        self.arrays: List[Any] = [None, None]
        self.turn = 0
        self.written: List[bool] = []
        self.waiting = 0  # parameters still waiting for gradients in this backward
        self.work: Optional[Work] = None  # the all-reduce in flight, once sent

    def reset(self, waiting: int) -> None:
        if self.flat is not None:
            self.turn = 1 - self.turn
        self.flat = None
        self.written = [False] * len(self.indices)
        self.waiting = waiting
        self.work = None

    def write(self, position: int, gradient: Any, scale: float) -> None:
        """Put one parameter's whole gradient (an array), times ``scale``, into its slot."""
        if self.flat is None:
            if self.arrays[self.turn] is None:
                with backend.selected(self.device):
                    self.arrays[self.turn] = backend.xp_for(self.device).empty(self.size,
                                                                               self.dtype)
            self.flat = self.arrays[self.turn]
        xp = backend.get_array_module(self.flat)
        xp.multiply(gradient.reshape(-1), scale, out=self.flat[self.slices[position]])
        self.written[position] = True


def make_buckets(params: List[Tensor], cap_bytes: int) -> List[Bucket]:
    """Group ``params``, last first, into buckets of at most ``cap_bytes`` (a parameter larger
    than that gets a bucket of its own) holding one dtype on one device."""
    buckets, indices, size = [], [], 0
    for i in reversed(range(len(params))):
        p = params[i]
        nbytes = p._array.size * p.dtype.itemsize
        same_kind = not indices or (p.dtype, p.device) == (params[indices[0]].dtype,
                                                          params[indices[0]].device)
        if indices and (size + nbytes > cap_bytes or not same_kind):
            buckets.append(Bucket(indices, [params[j] for j in indices]))
            indices, size = [], 0
        indices.append(i)
        size += nbytes
    if indices:
        buckets.append(Bucket(indices, [params[j] for j in indices]))
    return buckets


class Reducer:
    """Averages the ``.grad`` of ``params`` over the ranks of ``group`` after each backward
    that ``prepare()`` announced (see the module docstring). ``overlap=False`` sends every
    bucket at the end of backward instead (``benchmarks/distributed.py`` compares the two)."""

    def __init__(self, params: List[Tensor], bucket_cap_bytes: int, group: ProcessGroup,
                 overlap: bool = True):
        self.params = params
        self.group = group
        self.overlap = overlap
        self.piece_bytes = PIECE_BYTES
        self.scale = 1.0 / group.size  # sum of (gradient / ranks) over the ranks: the average
        self.buckets = make_buckets(params, bucket_cap_bytes)
        self.buckets[-1].size += 1  # its last element carries each rank's late count
        self.place = [(0, 0)] * len(params)  # parameter -> (bucket, position in it)
        for b, bucket in enumerate(self.buckets):
            for position, i in enumerate(bucket.indices):
                self.place[i] = (b, position)
        self.expected: Optional[List[int]] = None  # gradients per parameter per backward
        self.active = False  # a backward to average is expected (set by prepare)
        self._reset()
        self.handles = [p.register_hook(partial(self._on_gradient, i))
                        for i, p in enumerate(params)]

    def _reset(self) -> None:
        self.arrived = [0] * len(self.params)
        self.late = 0  # gradients that arrived after their bucket was sent
        self.next_bucket = 0  # buckets go out in order: this one is next
        for bucket in self.buckets:
            waiting = len(bucket.indices)
            if self.expected is not None:  # a parameter that gets no gradient is not waited for
                waiting = sum(1 for i in bucket.indices if self.expected[i] > 0)
            bucket.reset(waiting)

    def prepare(self) -> None:
        """Announce a backward whose gradients must be averaged (called by each forward)."""
        if self.active and any(self.arrived):
            raise AutogradError(
                "DistributedDataParallel: the previous backward did not finish averaging "
                "gradients: its loss was not computed from the output of the last forward() "
                "(run backward on an output of each forward, one backward per forward)")
        self._reset()
        self.active = True

    def _on_gradient(self, i: int, gradient: Tensor) -> None:
        """Hook: parameter ``i`` receives ``gradient`` (not yet added to its ``.grad``)."""
        if not self.active:  # under no_sync, or outside training: gradients just accumulate
            return None
        self.arrived[i] += 1
        if self.expected is None or not self.overlap:
            return None  # the first backward: everything is sent at the end
        b, position = self.place[i]
        bucket = self.buckets[b]
        if bucket.work is not None:
            self.late += 1  # too late for this bucket: finish() will notice and re-send
            return None
        if self.arrived[i] >= self.expected[i]:  # the gradient is complete (for now)
            grad = self.params[i].grad
            bucket.write(position, gradient._array if grad is None
                         else grad._array + gradient._array, self.scale)
            if self.arrived[i] == self.expected[i]:
                bucket.waiting -= 1
                self._send_ready_buckets()
        return None

    def _send_ready_buckets(self) -> None:
        # The last bucket waits for finish(): when it is ready backward is all but done, and
        # MPI's blocking all-reduce is faster than starting one and waiting for it.
        while self.next_bucket < len(self.buckets) - 1 and \
                self.buckets[self.next_bucket].waiting == 0:
            self._send(self.buckets[self.next_bucket])
            self.next_bucket += 1
        for bucket in self.buckets[:self.next_bucket]:
            bucket.work.is_completed()  # lets MPI move the transfers along

    def _send(self, bucket: Bucket, from_grads: bool = False, wait: bool = False) -> None:
        """Fill the slots not written yet from ``.grad`` (all of them if ``from_grads``), and
        start the all-reduce (``wait``: run it to its end). The last bucket also carries this
        rank's late count, summed over the ranks with the gradients."""
        for position, i in enumerate(bucket.indices):
            if from_grads or not bucket.written[position]:
                grad = self.params[i].grad
                if grad is None:  # no gradient on this rank: it counts as zero in the average
                    xp = backend.xp_for(bucket.device)
                    bucket.write(position, xp.zeros(self.params[i]._array.size, bucket.dtype),
                                 self.scale)
                else:
                    bucket.write(position, grad._array, self.scale)
        if bucket is self.buckets[-1]:
            bucket.flat[-1] = self.late
        if wait:  # MPI's blocking all-reduce (or, with a timeout, a wait that can give up),
            # in pieces of PIECE_BYTES: a 2 MiB bucket all-reduced whole made the MLP's DDP step
            # of benchmarks/distributed.py about 1.15x slower than in 512 KiB pieces.
            piece = max(1, self.piece_bytes // bucket.flat.itemsize)
            for start in range(0, bucket.flat.size, piece):
                all_reduce(Tensor._make(bucket.flat[start:start + piece], False), ReduceOp.SUM,
                           self.group)
            bucket.work = _DONE
        else:
            bucket.work = all_reduce(Tensor._make(bucket.flat, False), ReduceOp.SUM, self.group,
                                     async_op=True)

    def finish(self) -> None:
        """After backward: send what is left, wait, and give every parameter its average."""
        if not self.active:
            return
        self.active = False
        if self.expected is None:
            self.expected = list(self.arrived)
        # The buckets in flight first: MPI moves a transfer along only inside its calls.
        for bucket in self.buckets[:self.next_bucket]:
            bucket.work.wait()
        # Every gradient is now in .grad: what the hooks did not pack into the buckets not sent
        # yet is packed from there, and they are all-reduced one after another with MPI's
        # blocking call, about 2.5x faster than its non-blocking one at a few MiB
        # (benchmarks/distributed.py, all-reduce part).
        for bucket in self.buckets[self.next_bucket:]:
            self._send(bucket, wait=True)
        if self.buckets[-1].flat[-1] != 0:  # a gradient came too late on some rank
            self.late = 0
            for bucket in self.buckets:  # re-send everything, from the finished .grads
                self._send(bucket, from_grads=True, wait=True)
            self.expected = list(self.arrived)
        for bucket in self.buckets:
            for position, i in enumerate(bucket.indices):
                grad = bucket.flat[bucket.slices[position]].reshape(self.params[i]._array.shape)
                self.params[i].grad = Tensor._make(grad, False)
        self._reset()

    def remove_hooks(self) -> None:
        for handle in self.handles:
            handle.remove()
