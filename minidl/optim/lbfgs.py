"""L-BFGS: a quasi-Newton method that needs the loss re-evaluated inside each ``step``.

Read next: ``line_search.py``, the strong-Wolfe line search it can use.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable, Dict, List, Optional

from minidl import backend
from minidl.backend import get_array_module
from minidl.config_checks import (
    ConfigTypeError,
    check_choice,
    check_number,
    check_positive_int,
    is_int,
    is_real,
)
from minidl.errors import ConfigError, ShapeError
from minidl.grad_mode import enable_grad
from minidl.optim.line_search import strong_wolfe
from minidl.optim.optimizer import Optimizer, ParamsT

_FLAT = ("d", "prev_flat_grad")  # state entries that are one flat vector over all parameters
_HISTORY = ("old_dirs", "old_stps")  # lists of flat vectors: the last history_size y's and s's
_NUMBERS = ("t", "H_diag", "prev_loss")


class LBFGS(Optimizer):
    r"""Limited-memory BFGS (Nocedal, 1980; ``torch.optim.LBFGS``, same algorithm and defaults).

    All parameters are treated as one flat vector ``x`` with gradient ``g``. Each ``step(closure)``
    runs up to ``max_iter`` iterations of::

        d ← -H g                  (H: the inverse-Hessian estimate from the last m pairs)
        t ← lr                    (on the very first iteration: min(1, 1/Σ|g|) · lr)
        t ← strong_wolfe(x, d, t) if line_search_fn == "strong_wolfe"
        x ← x + t d ;  re-evaluate f and g with the closure
        s ← t d ;  y ← g_new - g ;  keep (s, y) if y·s > 1e-10 (curvature is positive)

    ``H g`` is never formed as a matrix: the *two-loop recursion* applies it from the stored
    pairs, starting from the scaled identity ``H₀ = (y·s / y·y) I``::

        q ← -g ;  for i = newest..oldest:  α_i ← ρ_i s_i·q ;  q ← q - α_i y_i   (ρ_i = 1 / y_i·s_i)
        r ← H₀ q ;  for i = oldest..newest:  β ← ρ_i y_i·r ;  r ← r + (α_i - β) s_i ;   d ← r

    Iterations stop early when max |g| <= ``tolerance_grad``, when the step or the change in
    loss falls below ``tolerance_change``, or after ``max_eval`` closure calls (default
    ``max_iter * 5 // 4``). ``closure`` must clear the gradients, compute the loss, call
    ``backward()`` and return the loss. Only one parameter group (as in PyTorch); the whole state
    lives in ``self.state[params[0]]``. ``step`` returns the loss of the first evaluation.
    """

    def __init__(self, params: ParamsT, lr: float = 1, max_iter: int = 20,
                 max_eval: Optional[int] = None, tolerance_grad: float = 1e-7,
                 tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: Optional[str] = None):
        if max_eval is None and is_int(max_iter):
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                        tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                        history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)  # add_param_group refuses a second group

    def _check_hyperparameters(self, group: Dict[str, Any], owner: str) -> None:
        check_number(owner, "lr", group["lr"], 0)
        for name in ("max_iter", "max_eval", "history_size"):
            check_positive_int(owner, name, group[name])
        check_number(owner, "tolerance_grad", group["tolerance_grad"], 0)
        check_number(owner, "tolerance_change", group["tolerance_change"], 0)
        if group["line_search_fn"] is not None:
            check_choice(owner, "line_search_fn", group["line_search_fn"], ("strong_wolfe",))

    def add_param_group(self, param_group: Dict[str, Any]) -> None:
        if self.param_groups:  # the flat vectors and the history span all parameters at once
            raise ConfigError("LBFGS doesn't support per-parameter options (parameter groups): "
                              "it takes one group of parameters")
        super().add_param_group(param_group)

    # --------------------------------------------------------------- the flat-vector view
    @property
    def _params(self) -> List[Any]:
        return self.param_groups[0]["params"]

    def _gather_flat_grad(self) -> Any:
        """All gradients as one vector (zeros for a parameter that got none)."""
        xp = get_array_module(self._params[0]._array)
        pieces = []
        for i, p in enumerate(self._params):
            if p.grad is None:
                pieces.append(xp.zeros(p._array.size, dtype=p._array.dtype))
                continue
            grad = getattr(p.grad, "_array", None)
            if type(grad) is not type(p._array) or grad.shape != p._array.shape or \
                    grad.dtype != p._array.dtype:
                self._refuse_grad(p, 0, i)
            pieces.append(grad.ravel())
        # On the parameters' device: concatenate can drop an array subclass (a stand-in device).
        return backend.to_device(xp.concatenate(pieces), backend.device_of(self._params[0]._array))

    def _add_step(self, t: float, direction: Any) -> None:
        """x ← x + t · direction, piece by piece."""
        offset = 0
        for p in self._params:
            size = p._array.size
            p._array += t * direction[offset:offset + size].reshape(p._array.shape)
            offset += size

    def _evaluate(self, closure: Callable[[], Any]) -> float:
        with enable_grad():  # the closure calls backward()
            return float(closure())

    def _directional_evaluate(self, closure: Callable[[], Any], t: float, d: Any):
        """Loss and flat gradient at x + t d; the parameters are put back afterwards."""
        saved = [p._array.copy() for p in self._params]
        self._add_step(t, d)
        loss = self._evaluate(closure)
        flat_grad = self._gather_flat_grad()
        for p, array in zip(self._params, saved):
            p._array[...] = array
        return loss, flat_grad

    # ------------------------------------------------------------------------ the step
    def step(self, closure: Optional[Callable[[], Any]] = None) -> Any:
        """Run up to ``max_iter`` L-BFGS iterations; return the loss before the first one."""
        if not callable(closure):
            raise ConfigTypeError("LBFGS.step needs a closure that re-evaluates the model and "
                                  f"returns the loss, got {type(closure).__name__}")
        group = self.param_groups[0]
        lr = float(group["lr"])
        tolerance_grad = float(group["tolerance_grad"])
        tolerance_change = float(group["tolerance_change"])
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        with enable_grad():
            orig_loss = closure()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        if float(abs(flat_grad).max()) <= tolerance_grad:
            return orig_loss  # already at a stationary point

        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        h_diag = state.get("H_diag")
        prev_flat_grad, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -flat_grad  # no curvature known yet: steepest descent
                old_dirs, old_stps, ro, h_diag = [], [], [], 1.0
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = float(y.dot(s))
                if ys > 1e-10:  # only pairs with positive curvature keep H positive definite
                    if len(old_dirs) == group["history_size"]:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / float(y.dot(y))
                d = _two_loop(flat_grad, old_dirs, old_stps, ro, h_diag)
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / float(abs(flat_grad).sum())) * lr
            else:
                t = lr
            gtd = float(flat_grad.dot(d))
            if gtd > -tolerance_change:
                break  # not a descent direction (to within the tolerance)

            evals = 0
            if group["line_search_fn"] == "strong_wolfe":
                loss, flat_grad, t, evals = strong_wolfe(
                    lambda step, d=d: self._directional_evaluate(closure, step, d),
                    d, t, loss, flat_grad, gtd, max_ls=max_eval - current_evals)
                self._add_step(t, d)
                optimal = float(abs(flat_grad).max()) <= tolerance_grad
            else:
                self._add_step(t, d)
                optimal = False
                if n_iter != max_iter:  # the last iteration's loss is left to the next step
                    loss = self._evaluate(closure)
                    flat_grad = self._gather_flat_grad()
                    optimal = float(abs(flat_grad).max()) <= tolerance_grad
                    evals = 1
            current_evals += evals
            state["func_evals"] += evals
            if n_iter == max_iter or current_evals >= max_eval or optimal:
                break
            if float(abs(d * t).max()) <= tolerance_change:
                break  # the step no longer moves the parameters
            if abs(loss - prev_loss) < tolerance_change:
                break  # the loss no longer changes
        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=h_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss

    # ----------------------------------------------------------------------- checkpoints
    def state_dict(self) -> Dict[str, Any]:
        """As ``Optimizer.state_dict``, with the history lists copied too (later steps append to
        and pop from them)."""
        snapshot = super().state_dict()
        for per_param in snapshot["state"].values():
            for name in _HISTORY + ("ro",):
                if name in per_param:
                    per_param[name] = [v.copy() if hasattr(v, "copy") else v
                                       for v in per_param[name]]
        return snapshot

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        """Restore a ``state_dict()``: the group through ``Optimizer.load_state_dict``, then the
        flat vectors and histories, checked against the parameters' total size; on any error
        the optimizer is left as it was."""
        owner = "LBFGS.load_state_dict"
        if not isinstance(state_dict, Mapping) or not isinstance(state_dict.get("state"), Mapping):
            super().load_state_dict(state_dict)  # refuses it, saying why
        saved_state = state_dict["state"]
        old_groups, old_state = self.param_groups, self.state
        super().load_state_dict({**state_dict, "state": {}})  # checks the groups
        try:
            restored = {}
            if saved_state:
                first = self.param_groups[0]["params"]
                index = state_dict["param_groups"][0]["params"][0]
                per_param = saved_state.get(index, saved_state.get(str(index)))
                if per_param is None or len(saved_state) != 1:
                    raise ConfigError(f"{owner}: the saved state must hold one entry, for the "
                                      f"first parameter (index {index}); it has "
                                      f"{list(saved_state)!r:.80}")
                restored = _restore_lbfgs_state(owner, per_param, first)
        except Exception:
            self.param_groups, self.state = old_groups, old_state
            raise
        self.state.clear()
        if restored:
            self.state[self._params[0]] = restored


def _two_loop(flat_grad: Any, old_dirs: List[Any], old_stps: List[Any], ro: List[float],
              h_diag: float) -> Any:
    """d = -H g by the two-loop recursion over the stored (s, y) pairs (see LBFGS)."""
    alphas = [0.0] * len(old_dirs)
    q = -flat_grad
    for i in range(len(old_dirs) - 1, -1, -1):
        alphas[i] = float(old_stps[i].dot(q)) * ro[i]
        q -= alphas[i] * old_dirs[i]
    r = q * h_diag
    for i in range(len(old_dirs)):
        beta = float(old_dirs[i].dot(r)) * ro[i]
        r += (alphas[i] - beta) * old_stps[i]
    return r


def _restore_lbfgs_state(owner: str, per_param: Any, params: List[Any]) -> Dict[str, Any]:
    """The saved L-BFGS state, checked, with vectors copied to the parameters' device and dtype."""
    if not isinstance(per_param, Mapping):
        raise ConfigError(f"{owner}: the state must be a dict, got {type(per_param).__name__}")
    size = sum(p._array.size for p in params)
    like = params[0]._array

    def vector(name: str, value: Any) -> Any:
        if hasattr(value, "_array"):
            value = value._array
        if not (hasattr(value, "shape") and hasattr(value, "dtype")) or \
                value.dtype.kind not in "biuf":
            raise ConfigError(f"{owner}: {name!r} must be a numeric array, got "
                              f"{type(value).__name__}")
        if tuple(value.shape) != (size,):
            raise ShapeError(f"{owner}: {name!r} has shape {tuple(value.shape)}, expected "
                             f"({size},) (all parameters as one vector)")
        on_device = backend.to_device(value, backend.device_of(like))
        return on_device.astype(like.dtype, copy=True)

    restored: Dict[str, Any] = {}
    for name, value in per_param.items():
        if name in ("func_evals", "n_iter"):
            if not (is_int(value) and value >= 0):
                raise ConfigError(f"{owner}: {name!r} must be an integer >= 0, got {value!r}")
            restored[name] = int(value)
        elif name in _FLAT:
            restored[name] = vector(name, value)
        elif name in _HISTORY:
            restored[name] = [vector(f"{name}[{i}]", v) for i, v in enumerate(value)]
        elif name == "ro" or name in _NUMBERS:
            values = value if name == "ro" else [value]
            if not isinstance(values, (list, tuple)) or not all(map(is_real, values)):
                raise ConfigError(f"{owner}: {name!r} must hold numbers, got {value!r:.80}")
            restored[name] = [float(v) for v in values] if name == "ro" else float(value)
        else:
            raise ConfigError(f"{owner}: unexpected state entry {name!r}: was it saved by "
                              "another type of optimizer?")
    lengths = {len(restored.get(name, [])) for name in _HISTORY + ("ro",)}
    if len(lengths) != 1:
        raise ConfigError(f"{owner}: 'old_dirs', 'old_stps' and 'ro' must have the same length")
    return restored
