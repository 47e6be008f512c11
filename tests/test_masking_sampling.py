"""tril, triu, masked_fill, topk and multinomial: what they return (values, dtypes, indices),
PyTorch's results where it is installed, seeded and distributed sampling, and bad arguments.
(Their gradients are in the op table: ``tests/op_table.py``.)

Read next: ``tests/test_examples.py``.
"""
import numpy as np
import pytest

import minidl
from minidl.errors import DTypeError, OutOfRangeError, ShapeError


def test_triangles_keep_their_dtype_and_handle_infinities():
    x = minidl.full((3, 3), -np.inf)
    np.testing.assert_array_equal(minidl.triu(x, 1).numpy(), np.triu(np.full((3, 3), -np.inf), 1))
    ints = minidl.tensor([[1, 2], [3, 4]])
    assert minidl.tril(ints).dtype == np.int64
    np.testing.assert_array_equal(minidl.tril(ints).numpy(), [[1, 0], [3, 4]])
    np.testing.assert_array_equal(minidl.tril(minidl.ones(2, 2, 3), -1).numpy(),
                                  np.tril(np.ones((2, 2, 3)), -1))


def test_masked_fill_takes_the_inputs_dtype_and_broadcasts_the_mask():
    x = minidl.zeros(2, 3)
    y = minidl.masked_fill(x, minidl.tensor([True, False, True]), -np.inf)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y.numpy(), [[-np.inf, 0, -np.inf]] * 2)


@pytest.mark.parametrize("largest", [True, False])
def test_topk_matches_pytorch(largest):
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(0).permutation(24).reshape(2, 3, 4).astype(np.float64)
    for dim in (0, 1, -1):
        ours = minidl.topk(minidl.tensor(a), 2, dim=dim, largest=largest)
        theirs = torch.topk(torch.tensor(a), 2, dim=dim, largest=largest)
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
        np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
        assert ours.indices.dtype == np.int64


def test_multinomial_is_seeded_and_follows_the_weights():
    weights = minidl.tensor([[0.0, 1.0, 3.0], [5.0, 0.0, 5.0]])
    minidl.manual_seed(3)
    first = minidl.multinomial(weights, 4000, replacement=True)
    minidl.manual_seed(3)
    np.testing.assert_array_equal(minidl.multinomial(weights, 4000, replacement=True).numpy(),
                                  first.numpy())
    counts = np.stack([np.bincount(row, minlength=3) for row in first.numpy()]) / 4000
    np.testing.assert_allclose(counts, [[0, 0.25, 0.75], [0.5, 0, 0.5]], atol=0.03)
    draws = minidl.multinomial(minidl.tensor([1.0, 2.0, 0.0, 4.0]), 3).numpy()
    assert sorted(draws.tolist()) == [0, 1, 3]  # without replacement: each once, never weight 0
    firsts = [minidl.multinomial(minidl.tensor([1.0, 3.0]), 1).item() for _ in range(2000)]
    assert abs(np.mean(firsts) - 0.75) < 0.04  # the first draw without replacement follows w


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ShapeError, match="tril: expected a tensor with at least 2"):
        minidl.tril(minidl.ones(3))
    with pytest.raises(DTypeError, match="mask must be a bool tensor"):
        minidl.masked_fill(minidl.ones(2), minidl.ones(2), 0.0)
    with pytest.raises(ShapeError, match="does not broadcast"):
        minidl.masked_fill(minidl.ones(2), minidl.ones(3, 2) > 0, 0.0)
    with pytest.raises(OutOfRangeError, match="k=4"):
        minidl.topk(minidl.ones(3), 4)
    with pytest.raises(OutOfRangeError, match="non-negative"):
        minidl.multinomial(minidl.tensor([1.0, -1.0]), 1)
    with pytest.raises(OutOfRangeError, match="num_samples=3"):
        minidl.multinomial(minidl.tensor([1.0, 1.0]), 3)
    with pytest.raises(OutOfRangeError, match="fewer non-zero weights"):
        minidl.multinomial(minidl.tensor([1.0, 0.0, 1.0]), 3)
    with pytest.raises(DTypeError, match="floating-point"):
        minidl.multinomial(minidl.tensor([1, 2]), 1)
