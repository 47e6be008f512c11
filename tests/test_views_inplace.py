"""Views share their base's version counter, so in-place changes through any of them are seen.

A view (basic indexing, reshape, transpose, ``detach()``) shares memory with the tensor it came
from. As in PyTorch, it also shares the version counter that in-place ops bump, so a graph that
saved one of them refuses to backward after the memory was changed through another, instead of
silently using the changed values.

Read next: ``tests/test_engine.py`` (the other rules of the backward engine).
"""
import numpy as np
import pytest

import minidl
from minidl.errors import AutogradError

MODIFIED = "modified by an in-place operation"


def leaf():
    return minidl.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)


def test_changing_a_view_of_a_saved_output_is_detected():
    y = leaf().exp()  # Exp saves its output y
    view = y[0:2]
    with minidl.no_grad():
        view.mul_(2)
    assert view._version == y._version == 1
    with pytest.raises(AutogradError, match=MODIFIED):
        y.sum().backward()


def test_changing_a_view_that_outlived_the_saved_output_is_detected():
    y = leaf().exp()  # Exp saves its output y
    total = y.sum()
    view = y.detach()[0:2]
    del y  # backward rebuilds the saved output around its array: with the same counter
    with minidl.no_grad():
        view.mul_(2)
    with pytest.raises(AutogradError, match=MODIFIED):
        total.backward()


def test_an_unchanged_saved_output_still_gives_the_right_gradient():
    x = leaf()
    y = x.exp()
    y.detach()[0:2]  # a view made and dropped: no change
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(x.detach().numpy()), rtol=1e-6)


def test_changing_the_base_of_a_saved_view_is_detected():
    y = leaf() * 1  # a non-leaf with an array of its own
    view = y.reshape(2, 2)
    square = view * view  # Mul saves its inputs: the view
    with minidl.no_grad():
        y.add_(1)
    with pytest.raises(AutogradError, match=MODIFIED):
        square.sum().backward()


def test_changing_a_sibling_view_is_detected():
    y = leaf() * 1
    first, second = y[0:2], y.T[1:3]
    product = first * first
    with minidl.no_grad():
        second.mul_(2)
    with pytest.raises(AutogradError, match="view sharing its memory"):
        product.sum().backward()


def test_detach_shares_the_counter():
    y = leaf().exp()
    y.detach().mul_(2)  # allowed in grad mode: the detached tensor needs no grad
    with pytest.raises(AutogradError, match=MODIFIED):
        y.sum().backward()


def test_copies_do_not_share_it():
    x = leaf()
    y = x.exp()
    copy = y * 1  # a new array: changing it leaves y alone
    with minidl.no_grad():
        copy.mul_(2)
    assert y._version == 0
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([1.0, 2.0, 3.0, 4.0]), rtol=1e-6)


def test_views_made_under_no_grad_share_it_too():
    y = leaf().exp()
    with minidl.no_grad():
        y[1:].fill_(0)
    with pytest.raises(AutogradError, match=MODIFIED):
        y.sum().backward()
