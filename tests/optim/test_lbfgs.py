"""LBFGS against PyTorch (with and without the strong-Wolfe line search), its checkpoints, and
its refusals. The closures build the loss with minidl's autograd, as a user's would."""
import numpy as np
import pytest

import minidl
from minidl.config_checks import ConfigTypeError
from minidl.errors import ConfigError, ShapeError
from minidl.optim import LBFGS

from .test_optimizer_api import stand_in_device  # noqa: F401

_RNG = np.random.default_rng(0)
X, Y = _RNG.standard_normal((8, 4)), _RNG.standard_normal((8, 3))


def rosenbrock(lib, params):
    (x,) = params
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def least_squares(lib, params):
    w, b = params
    return ((lib.tensor(X) @ w.T + b - lib.tensor(Y)) ** 2).mean()


PROBLEMS = {
    "rosenbrock": (rosenbrock, lambda: [np.array([-1.5, 2.0])]),
    "linear": (least_squares, lambda: [np.random.default_rng(1).standard_normal((3, 4)),
                                       np.zeros(3)]),
}
CASES = [  # (problem, steps, hyperparameters)
    ("rosenbrock", 100, dict(max_iter=1, lr=0.01)),
    ("rosenbrock", 100, dict(max_iter=1, max_eval=6, line_search_fn="strong_wolfe")),
    ("rosenbrock", 8, dict(line_search_fn="strong_wolfe", history_size=3)),
    ("rosenbrock", 8, dict(lr=0.05, max_iter=10, history_size=4)),
    ("linear", 100, dict(max_iter=1, lr=0.5, history_size=5)),
    ("linear", 5, dict(line_search_fn="strong_wolfe")),
    ("linear", 5, dict(max_iter=7, max_eval=9, line_search_fn="strong_wolfe",
                       tolerance_grad=1e-5, tolerance_change=1e-7)),
]
IDS = [f"{problem}-{steps}-{hyper}" for problem, steps, hyper in CASES]


def run(lib, problem, steps, hyper, params=None, opt=None):
    """Parameters after each ``step(closure)``, the returned losses, and the optimizer."""
    loss_fn, start = PROBLEMS[problem]
    if params is None:
        params = [lib.tensor(a, requires_grad=True) for a in start()]
    opt = opt or lib.optim.LBFGS(params, **hyper)

    def closure():
        opt.zero_grad()
        loss = loss_fn(lib, params)
        loss.backward()
        return loss

    trajectory, losses = [], []
    for _ in range(steps):
        losses.append(opt.step(closure).item())
        trajectory.append(np.concatenate([p.detach().numpy().ravel() for p in params]))
    return np.array(trajectory), np.array(losses), params, opt


@pytest.mark.parametrize("problem, steps, hyper", CASES, ids=IDS)
def test_trajectory_matches_pytorch(problem, steps, hyper):
    torch = pytest.importorskip("torch")
    expected, expected_losses, _, torch_opt = run(torch, problem, steps, hyper)
    got, losses, params, opt = run(minidl, problem, steps, hyper)
    final = PROBLEMS[problem][0](minidl, params).item()
    assert np.isfinite(got).all() and final < 0.9 * losses[0]  # it did optimize
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(losses, expected_losses, rtol=1e-6, atol=1e-10)
    torch_state = torch_opt.state[torch_opt.param_groups[0]["params"][0]]
    state = opt.state[params[0]]
    assert (state["func_evals"], state["n_iter"]) == (torch_state["func_evals"],
                                                      torch_state["n_iter"])


def test_step_returns_the_first_loss_and_stops_at_a_stationary_point():
    p = minidl.tensor(np.array([1.0, 1.0]), requires_grad=True)  # Rosenbrock's minimum
    opt = LBFGS([p])
    calls = []

    def closure():
        calls.append(1)
        opt.zero_grad()
        loss = rosenbrock(minidl, [p])
        loss.backward()
        return loss

    assert float(opt.step(closure)) == 0.0
    assert calls == [1] and p._array.tolist() == [1.0, 1.0]


# ------------------------------------------------------------------------------ checkpoints
@pytest.mark.parametrize("hyper", [dict(line_search_fn="strong_wolfe", history_size=2),
                                   dict(lr=0.05, max_iter=3)], ids=str)
def test_state_dict_round_trip_continues_identically(hyper):
    _, _, params, opt = run(minidl, "linear", 2, hyper)
    saved = opt.state_dict()
    assert list(saved["state"]) == [0] and saved["state"][0]["n_iter"] > 0
    copies = [minidl.tensor(p._array.copy(), requires_grad=True) for p in params]
    fresh = LBFGS(copies, **dict(hyper, lr=0.3))
    fresh.load_state_dict(saved)
    assert fresh.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    expected, _, _, _ = run(minidl, "linear", 3, hyper, params=params, opt=opt)
    got, _, _, _ = run(minidl, "linear", 3, hyper, params=copies, opt=fresh)
    np.testing.assert_array_equal(got, expected)
    # The snapshot did not follow the optimizer as it went on.
    assert saved["state"][0]["n_iter"] < opt.state[params[0]]["n_iter"]
    assert len(saved["state"][0]["old_dirs"]) == len(saved["state"][0]["ro"])


def test_load_state_dict_refuses_a_wrong_size_and_leaves_the_optimizer_unchanged():
    _, _, params, opt = run(minidl, "linear", 2, dict(max_iter=3))
    saved = opt.state_dict()
    other = [minidl.tensor(np.zeros((3, 5)), requires_grad=True),
             minidl.tensor(np.zeros(3), requires_grad=True)]
    target = LBFGS(other, lr=0.5)
    with pytest.raises(ShapeError, match=r"LBFGS.load_state_dict: 'd' has shape \(15,\), "
                                         r"expected \(18,\)"):
        target.load_state_dict(saved)
    assert target.param_groups[0]["lr"] == 0.5 and not target.state
    saved["state"][0]["ro"] = saved["state"][0]["ro"][:-1]
    with pytest.raises(ConfigError, match="same length"):
        LBFGS([minidl.tensor(p._array, requires_grad=True) for p in params]).load_state_dict(
            saved)


def test_float32_parameters_stay_float32():
    p = minidl.tensor(np.array([-1.5, 2.0], dtype=np.float32), requires_grad=True)
    opt = LBFGS([p], line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = rosenbrock(minidl, [p])
        loss.backward()
        return loss

    for _ in range(3):
        opt.step(closure)
    assert p._array.dtype == np.float32
    assert opt.state[p]["d"].dtype == np.float32


def _least_squares_steps(device, steps=3):
    """L-BFGS on the linear problem with the parameters on ``device``; the closure computes the
    gradients in NumPy and sends them there (this checks the optimizer, not autograd)."""
    w, b = (minidl.tensor(a, device=device, requires_grad=True)
            for a in PROBLEMS["linear"][1]())
    opt = LBFGS([w, b], line_search_fn="strong_wolfe", history_size=3)

    def closure():
        w_, b_ = (minidl.backend.to_host(p._array) for p in (w, b))
        residual = X @ w_.T + b_ - Y
        scaled = 2 * residual / Y.size
        w.grad = minidl.tensor(scaled.T @ X, device=device)
        b.grad = minidl.tensor(scaled.sum(axis=0), device=device)
        return float((residual ** 2).mean())

    for _ in range(steps):
        opt.step(closure)
    return w, opt


def test_state_lives_on_the_parameters_device(stand_in_device):  # noqa: F811
    p, opt = _least_squares_steps(stand_in_device)
    cpu_p, cpu_opt = _least_squares_steps("cpu")
    np.testing.assert_allclose(minidl.backend.to_host(p._array), cpu_p._array, rtol=1e-12)
    state = opt.state[p]
    for value in [state["d"], state["prev_flat_grad"], *state["old_dirs"], *state["old_stps"]]:
        assert minidl.backend.device_of(value) == p.device
    # A checkpoint from the device loads onto CPU parameters, and the two then go on alike.
    fresh_p = minidl.tensor(cpu_p._array.copy(), requires_grad=True)
    fresh = LBFGS([fresh_p, minidl.tensor(np.zeros(3), requires_grad=True)],
                  line_search_fn="strong_wolfe", history_size=3)
    fresh.load_state_dict(opt.state_dict())
    assert type(fresh.state[fresh_p]["d"]) is np.ndarray
    np.testing.assert_allclose(fresh.state[fresh_p]["d"], cpu_opt.state[cpu_p]["d"], rtol=1e-12)


# -------------------------------------------------------------------------------- refusals
def test_refuses_parameter_groups_and_a_missing_closure():
    a, b = (minidl.tensor(np.ones(2), requires_grad=True) for _ in range(2))
    with pytest.raises(ConfigError, match="LBFGS doesn't support per-parameter options"):
        LBFGS([{"params": [a]}, {"params": [b]}])
    opt = LBFGS([a])
    with pytest.raises(ConfigError, match="LBFGS doesn't support"):
        opt.add_param_group({"params": [b]})
    with pytest.raises(ConfigTypeError, match="LBFGS.step needs a closure"):
        opt.step()


def test_refuses_a_gradient_of_the_wrong_shape():
    p = minidl.tensor(np.ones((2, 3)), requires_grad=True)
    opt = LBFGS([p])

    def closure():
        p.grad = minidl.tensor(np.ones(3))
        return 1.0

    with pytest.raises(ShapeError, match=r"LBFGS.step: parameter 0 .* \.grad of shape \(3,\)"):
        opt.step(closure)


INVALID = [
    (dict(lr=-1), "lr"),
    (dict(max_iter=0), "max_iter"),
    (dict(max_iter=2.5), "max_iter"),
    (dict(max_eval=0), "max_eval"),
    (dict(tolerance_grad=-1e-7), "tolerance_grad"),
    (dict(tolerance_change=float("nan")), "tolerance_change"),
    (dict(history_size=0), "history_size"),
    (dict(line_search_fn="backtracking"), "line_search_fn"),
]


@pytest.mark.parametrize("hyper, name", INVALID, ids=[str(h) for h, _ in INVALID])
def test_invalid_hyperparameters_raise_config_error_naming_them(hyper, name):
    with pytest.raises(ConfigError, match=f"LBFGS: invalid {name} value"):
        LBFGS([minidl.tensor(np.ones(2), requires_grad=True)], **hyper)
