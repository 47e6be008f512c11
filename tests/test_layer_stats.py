"""LayerStats: the table reports the numbers it claims, for all layers or chosen ones, and
leaves no hook behind."""
import numpy as np
import pytest

import minidl
from minidl import nn
from minidl.nn.layer_stats import LayerStats


def test_layer_stats_table_matches_the_numbers_it_reports():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    with minidl.no_grad():
        model[0].weight.copy_(np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]]))
        model[0].bias.copy_(np.zeros(3))
    x = minidl.tensor([[1.0, 2.0], [3.0, 0.5]])  # the third unit is negative for both rows
    with LayerStats(model) as stats:
        out = model(x)
        out.retain_grad()
        (out ** 2).sum().backward()
        table = stats.table()
    assert stats.rows["1"]["dead"] == pytest.approx(1 / 3)
    assert stats.rows["0"]["mean"] == pytest.approx(np.mean(x._array @ model[0].weight._array.T))
    assert stats.rows["2"]["grad_out"] == pytest.approx(np.linalg.norm(out.grad._array), rel=1e-6)
    lines = table.split("\n")
    assert lines[0].split() == ["layer", "type", "output", "mean", "std", "dead", "|grad",
                                "out|", "|grad", "W|"]
    relu_line = next(line for line in lines if line.startswith("1 "))
    assert "ReLU" in relu_line and "33%" in relu_line
    w, b = model[2].weight.grad._array, model[2].bias.grad._array
    w_norm = np.sqrt((w ** 2).sum() + (b ** 2).sum())
    assert next(line for line in lines if line.startswith("2 ")).split()[-1] == f"{w_norm:.3g}"
    # Leaving the block removed every hook.
    assert all(not m._forward_hooks for m in model.modules())


def test_layer_stats_of_chosen_modules():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    stats = LayerStats(model, modules=["0", "2"])
    model(minidl.ones(4, 2)).sum().backward()
    assert list(stats.rows) == ["0", "2"]
    stats.remove()
    with pytest.raises(KeyError, match="no submodule"):
        LayerStats(model, modules=["9"])
