"""Parity between the CPU and an accelerator: identical inputs must give the same values and
gradients, in float32 and float64, and every result must stay on the accelerator.

The ``accelerator`` is "fake" (the NumPy-subclass stand-in of ``tests/fake_device.py``, so CI runs
this file without a GPU) and "cuda" where CuPy finds a GPU. What is compared:

1. every op of the gradient table (``tests/op_table.py``): its value and first-order gradients;
2. every layer of ``minidl.nn``: outputs, input and parameter gradients, running statistics;
3. every loss, with each reduction and with class weights, ignore_index and label smoothing;
4. every optimizer over five steps under a learning-rate schedule: parameters and state;
5. mixing devices in one op, layer or loss raises a DeviceError naming both devices;
6. scatter-add (the backward of indexing with repeated indices) adds every copy.

``tests/test_device.py`` checks the device plumbing in float64 on "fake" (second order included);
this file adds float32, the real GPU, and the layers, losses and optimizers built on the ops.
Nothing here assumes a device array is a NumPy array: results come back with
``backend.to_host``. Dropout draws its mask from each device's own generator, so it is checked
for structure (zeros and scaled copies, the kept fraction), not against the CPU.

Read next: ``tests/test_stability.py``.
"""
import fake_device
import numpy as np
import pytest
from conftest import _cuda_available
from hypothesis import given, settings
from hypothesis import strategies as st
from op_table import OPS

import minidl
from minidl import backend, nn, optim, randn
from minidl.errors import DeviceError
from minidl.nn import functional as F

DTYPES = pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
TOLERANCES = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}


@pytest.fixture(scope="module", params=["fake", "cuda"])
def accelerator(request):
    """The canonical name of the device compared with the CPU ("fake:0" or "cuda:0")."""
    if request.param == "cuda":
        if not _cuda_available():
            pytest.skip("cuda: CuPy or a GPU is not available on this machine")
        yield backend.parse_device("cuda")
        return
    yield fake_device.register()
    fake_device.unregister()


# ------------------------------------------------------------------ helpers
def uniform(*shape, seed=0):
    """Reproducible host values in [-1, 1)."""
    return np.random.default_rng(seed).uniform(-1.0, 1.0, shape)


def as_tensor(array, device, dtype, requires_grad=False):
    """A host array on ``device``: floating point cast to ``dtype``, integers kept integer."""
    array = np.asarray(array)
    if array.dtype.kind == "f":
        return minidl.tensor(array.astype(dtype), device=device, requires_grad=requires_grad)
    return minidl.tensor(array, device=device)


def weights_like(out):
    """A fixed, non-trivial grad_output: linspace weights in [-1, 1], on ``out``'s device."""
    values = np.linspace(-1, 1, out.numel()).reshape(out.shape)
    return as_tensor(values, out.device, out.dtype)


def on_host(value, device):
    """A Tensor's (or raw array's) values copied to NumPy, after checking where it lives."""
    array = value._array if isinstance(value, minidl.Tensor) else value
    assert backend.device_of(array) == device
    return backend.to_host(array)


def assert_parity(compute, accelerator, dtype):
    """``compute(device)`` returns tensors (or arrays); each must live on ``device``, and the
    accelerator's must equal the CPU's, dtype included, within the tolerance of ``dtype``."""
    results = {device: [on_host(t, device) for t in compute(device)]
               for device in ("cpu", accelerator)}
    assert len(results["cpu"]) == len(results[accelerator])
    for on_acc, on_cpu in zip(results[accelerator], results["cpu"]):
        assert on_acc.dtype == on_cpu.dtype
        np.testing.assert_allclose(on_acc, on_cpu, **TOLERANCES[dtype])


# ------------------------------------------------------------------ 1. the op table
# Casting the float64 cases to float32 keeps them valid: every margin the strategies keep from a
# kink or a tie (1e-3 or more, see tests/op_cases.py) is far above float32 rounding (< 3e-7 on
# [-3.5, 3.5]). "to_float32" casts float32 to float32 and back to float64, still a fair check.
SETTINGS = settings(max_examples=min(settings().max_examples, 10), deadline=None)


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
@DTYPES
@SETTINGS
@given(data=st.data())
def test_every_op_matches_the_cpu(op, dtype, data, accelerator):
    case = data.draw(op.cases, label="case")

    def compute(device):
        xs = [as_tensor(a, device, dtype, requires_grad=a.dtype.kind == "f")
              for a in case.arrays]
        out = op.fn(*xs, **case.params)
        grads = minidl.grad(out, [x for x in xs if x.requires_grad], weights_like(out),
                            allow_unused=True)
        return [out, *(g for g in grads if g is not None)]
    assert_parity(compute, accelerator, dtype)


# ------------------------------------------------------------------ 2 and 3. modules
def module_parity(build, inputs, accelerator, dtype):
    """Build the module twice on the CPU, move one copy to the accelerator, load the other's
    state_dict into it (parameters and buffers cross devices), run both on ``inputs`` (host
    arrays) and backpropagate linspace weights: outputs, float-input gradients, parameters,
    their gradients and buffers must agree."""
    model = build().to(dtype)
    twin = build().to(dtype).to(accelerator)
    twin.load_state_dict(model.state_dict())

    def compute(device):
        module = model if device == "cpu" else twin
        xs = [as_tensor(a, device, dtype, requires_grad=np.asarray(a).dtype.kind == "f")
              for a in inputs]
        out = module(*xs)
        out.backward(weights_like(out))
        return [out, *(x.grad for x in xs if x.requires_grad), *module.parameters(),
                *(p.grad for p in module.parameters()), *module.buffers()]
    assert_parity(compute, accelerator, dtype)


def evaluated(norm, shape):
    """A normalization layer in eval mode, with running statistics from one training batch."""
    norm(minidl.tensor(3 * uniform(*shape, seed=1) + 1))
    return norm.eval()


def small_cnn():
    return nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 3 * 3, 5),
                         nn.Dropout(0.0), nn.Tanh())


LAYERS = {  # name: (build on the CPU, input shape)
    "Linear": (lambda: nn.Linear(4, 3), (2, 5, 4)),
    "Linear-no-bias": (lambda: nn.Linear(4, 3, bias=False), (6, 4)),
    "Conv2d": (lambda: nn.Conv2d(2, 3, 3), (2, 2, 5, 5)),
    "Conv2d-stride-padding-dilation-groups":
        (lambda: nn.Conv2d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2), (2, 4, 7, 7)),
    "MaxPool2d": (lambda: nn.MaxPool2d(2), (2, 3, 4, 6)),
    "MaxPool2d-stride-padding-dilation":
        (lambda: nn.MaxPool2d(3, stride=2, padding=1, dilation=2), (2, 2, 7, 7)),
    "AvgPool2d": (lambda: nn.AvgPool2d(2), (2, 3, 4, 6)),
    "AvgPool2d-stride-padding": (lambda: nn.AvgPool2d(3, stride=2, padding=1), (2, 2, 7, 7)),
    "AdaptiveAvgPool2d": (lambda: nn.AdaptiveAvgPool2d((2, 3)), (2, 3, 5, 7)),
    "BatchNorm1d-train": (lambda: nn.BatchNorm1d(4), (8, 4)),
    "BatchNorm1d-sequence-train": (lambda: nn.BatchNorm1d(3), (4, 3, 5)),
    "BatchNorm1d-eval": (lambda: evaluated(nn.BatchNorm1d(4), (8, 4)), (8, 4)),
    "BatchNorm2d-train": (lambda: nn.BatchNorm2d(3), (4, 3, 2, 2)),
    "BatchNorm2d-eval": (lambda: evaluated(nn.BatchNorm2d(3), (4, 3, 2, 2)), (4, 3, 2, 2)),
    "BatchNorm2d-no-running-stats":
        (lambda: nn.BatchNorm2d(3, track_running_stats=False, momentum=None), (4, 3, 2, 2)),
    "LayerNorm": (lambda: nn.LayerNorm((4, 5)), (3, 4, 5)),
    "Dropout-p0": (lambda: nn.Dropout(0.0), (3, 4)),
    "Dropout-eval": (lambda: nn.Dropout(0.5).eval(), (3, 4)),
    "ReLU": (nn.ReLU, (3, 4)),
    "LeakyReLU": (lambda: nn.LeakyReLU(0.1), (3, 4)),
    "Sigmoid": (nn.Sigmoid, (3, 4)),
    "Tanh": (nn.Tanh, (3, 4)),
    "GELU": (nn.GELU, (3, 4)),
    "GELU-tanh": (lambda: nn.GELU("tanh"), (3, 4)),
    "Softplus": (lambda: nn.Softplus(2.0), (3, 4)),
    "Softmax": (lambda: nn.Softmax(1), (3, 4)),
    "LogSoftmax": (lambda: nn.LogSoftmax(-1), (3, 4)),
    "Identity": (nn.Identity, (3, 4)),
    "Flatten": (nn.Flatten, (2, 3, 2, 2)),
    "Unflatten": (lambda: nn.Unflatten(1, (2, 3)), (4, 6)),
    "Sequential-cnn": (small_cnn, (2, 2, 6, 6)),
}


@pytest.mark.parametrize("build, shape", LAYERS.values(), ids=LAYERS.keys())
@DTYPES
def test_every_layer_matches_the_cpu(build, shape, dtype, accelerator):
    minidl.manual_seed(0)
    module_parity(build, [2 * uniform(*shape)], accelerator, dtype)


@DTYPES
def test_dropout_zeros_or_scales_each_element_on_the_accelerator(dtype, accelerator):
    """Masks come from each device's own generator, so only their structure is compared."""
    minidl.manual_seed(0)
    x = as_tensor(1.5 + uniform(4000), accelerator, dtype, requires_grad=True)
    y = nn.Dropout(0.25)(x)
    y.backward(weights_like(y))
    x_host, y_host, gx = (on_host(t, accelerator) for t in (x, y, x.grad))
    kept = y_host != 0
    assert abs(kept.mean() - 0.75) < 0.05
    np.testing.assert_allclose(y_host, kept * x_host / 0.75, **TOLERANCES[dtype])
    np.testing.assert_allclose(gx, kept * on_host(weights_like(y), accelerator) / 0.75,
                               **TOLERANCES[dtype])


CLASS_WEIGHT = [0.5, 1.0, 2.0]
LOGITS = 2 * uniform(4, 3)
LABELS = np.array([0, 2, 1, 2])
LOSSES = {  # name: (build with a reduction, host inputs)
    "MSELoss": (lambda r: nn.MSELoss(r), [LOGITS, uniform(4, 3, seed=2)]),
    "L1Loss": (lambda r: nn.L1Loss(r), [LOGITS, uniform(4, 3, seed=2)]),
    "HuberLoss": (lambda r: nn.HuberLoss(r, delta=0.5), [LOGITS, uniform(4, 3, seed=2)]),
    "BCEWithLogitsLoss": (
        lambda r: nn.BCEWithLogitsLoss(minidl.tensor(CLASS_WEIGHT), r,
                                       pos_weight=minidl.tensor([2.0, 1.0, 0.5])),
        [LOGITS, (uniform(4, 3, seed=2) + 1) / 2]),
    "NLLLoss": (lambda r: nn.NLLLoss(minidl.tensor(CLASS_WEIGHT), ignore_index=1, reduction=r),
                [LOGITS - 2, np.array([0, 1, 2, 1])]),
    "CrossEntropyLoss": (lambda r: nn.CrossEntropyLoss(reduction=r), [LOGITS, LABELS]),
    "CrossEntropyLoss-weight-ignore-smoothing": (
        lambda r: nn.CrossEntropyLoss(minidl.tensor(CLASS_WEIGHT), ignore_index=2,
                                      reduction=r, label_smoothing=0.1), [LOGITS, LABELS]),
    "CrossEntropyLoss-spatial": (lambda r: nn.CrossEntropyLoss(reduction=r, label_smoothing=0.2),
                                 [uniform(2, 3, 4), np.array([[0, 1, 2, 1], [2, 2, 0, 1]])]),
    "MultiMarginLoss": (lambda r: nn.MultiMarginLoss(margin=0.8, reduction=r), [LOGITS, LABELS]),
    "MultiMarginLoss-p2-weight": (
        lambda r: nn.MultiMarginLoss(p=2, weight=minidl.tensor(CLASS_WEIGHT), reduction=r),
        [LOGITS, LABELS]),
}


@pytest.mark.parametrize("build, inputs", LOSSES.values(), ids=LOSSES.keys())
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@DTYPES
def test_every_loss_matches_the_cpu(build, inputs, reduction, dtype, accelerator):
    module_parity(lambda: build(reduction), inputs, accelerator, dtype)


# ------------------------------------------------------------------ 4. optimizers
OPTIMIZERS = {
    "SGD": lambda ps: optim.SGD(ps, lr=0.1),
    "SGD-momentum-dampening-decay":
        lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01),
    "SGD-nesterov-maximize": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True,
                                                  weight_decay=0.01, maximize=True),
    "Adagrad": lambda ps: optim.Adagrad(ps, lr=0.1, lr_decay=0.01, weight_decay=0.01,
                                        initial_accumulator_value=0.1),
    "RMSprop-momentum": lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.9, weight_decay=0.01),
    "RMSprop-centered": lambda ps: optim.RMSprop(ps, lr=0.01, centered=True),
    "Adam": lambda ps: optim.Adam(ps, lr=0.01, weight_decay=0.01),
    "Adam-amsgrad": lambda ps: optim.Adam(ps, lr=0.01, amsgrad=True),
    "AdamW": lambda ps: optim.AdamW(ps, lr=0.01),
}
STEPS = 5


@pytest.mark.parametrize("make", OPTIMIZERS.values(), ids=OPTIMIZERS.keys())
@DTYPES
def test_every_optimizer_matches_the_cpu(make, dtype, accelerator):
    """Five steps from the same start with the same gradients, under a cosine schedule: the
    parameters and every state array agree, and stay on the device in the parameters' dtype."""
    starts = [uniform(3, 4, seed=3), uniform(4, seed=4)]
    grads = [[uniform(*p.shape, seed=10 * step + i) for i, p in enumerate(starts)]
             for step in range(STEPS)]

    def compute(device):
        params = [nn.Parameter(as_tensor(p, device, dtype)) for p in starts]
        optimizer = make(params)
        schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=STEPS)
        for step_grads in grads:
            optimizer.zero_grad()
            for p, g in zip(params, step_grads):
                p.grad = as_tensor(g, device, dtype)
            optimizer.step()
            schedule.step()
        state = [v for p in params for v in optimizer.state[p].values() if hasattr(v, "shape")]
        return params + state
    assert_parity(compute, accelerator, dtype)


# ------------------------------------------------------------------ 5. mixing devices
MIXED = {  # name: f(here, there), which computes with tensors or modules on both devices
    "add": lambda here, there: randn(2, 3, device=here) + randn(2, 3, device=there),
    "matmul": lambda here, there: randn(2, 3, device=here) @ randn(3, 2, device=there),
    "Linear": lambda here, there: nn.Linear(3, 2).to(here)(randn(4, 3, device=there)),
    "Conv2d": lambda here, there: nn.Conv2d(1, 2, 3).to(here)(randn(1, 1, 4, 4, device=there)),
    "BatchNorm1d": lambda here, there: nn.BatchNorm1d(3).to(here)(randn(4, 3, device=there)),
    "mse_loss": lambda here, there: F.mse_loss(randn(2, 3, device=here),
                                               randn(2, 3, device=there)),
    "cross_entropy": lambda here, there: F.cross_entropy(
        randn(2, 3, device=here), minidl.tensor([0, 2], device=there)),
    "CrossEntropyLoss-weight": lambda here, there: nn.CrossEntropyLoss(
        weight=minidl.ones(3, device=there))(randn(2, 3, device=here),
                                             minidl.tensor([0, 2], device=here)),
}


@pytest.mark.parametrize("mix", MIXED.values(), ids=MIXED.keys())
def test_mixing_devices_is_an_error_naming_both(mix, accelerator):
    for here, there in (("cpu", accelerator), (accelerator, "cpu")):
        with pytest.raises(DeviceError) as info:
            mix(here, there)
        assert "cpu" in str(info.value) and accelerator in str(info.value)


def test_optimizer_step_with_a_gradient_on_another_device(accelerator):
    p = nn.Parameter(randn(3, device=accelerator))
    p.grad = randn(3, device="cpu")
    with pytest.raises(DeviceError) as info:
        optim.SGD([p], lr=0.1).step()
    assert "SGD.step" in str(info.value) and accelerator in str(info.value)


# ------------------------------------------------------------------ 6. scatter-add
@DTYPES
def test_indexing_backward_adds_repeated_indices(dtype, accelerator):
    def compute(device):
        x = as_tensor([1.0, 2.0, 3.0], device, dtype, requires_grad=True)
        x[[0, 0, 2, 0]].sum().backward()
        rows = as_tensor(uniform(3, 2), device, dtype, requires_grad=True)
        index = minidl.tensor([2, 0, 2, 2], device=device)
        (rows[index, 1] * as_tensor([1.0, 2.0, 3.0, 4.0], device, dtype)).sum().backward()
        return [x.grad, rows.grad]
    assert_parity(compute, accelerator, dtype)
    np.testing.assert_array_equal(on_host(compute(accelerator)[0], accelerator), [3, 0, 1])


@DTYPES
def test_backend_scatter_add_accumulates_on_the_device(dtype, accelerator):
    def compute(device):
        target = backend.asarray(np.zeros((3, 2)), dtype, device)
        values = backend.asarray([1.0, 2.0, 3.0, 4.0], dtype, device)
        backend.scatter_add(target, backend.asarray([0, 0, 2, 0], device=device), values[:, None])
        rows, cols = (backend.asarray(i, device=device) for i in ([1, 1, 2], [0, 0, 1]))
        backend.scatter_add(target, (rows, cols), values[:3])
        return [target]
    assert_parity(compute, accelerator, dtype)
    np.testing.assert_array_equal(on_host(compute(accelerator)[0], accelerator),
                                  [[7, 7], [3, 0], [3, 6]])
