"""The explorer page in a real browser (headless Chromium, driven by tests/headless_browser.py),
used as a person would: it loads without errors and fetches nothing, draws every node, a click
on a node shows the gradient that backward() computed, the step control walks the backward pass
in the engine's order, modules collapse and expand, and the default CNN's page opens quickly.

Skipped, with the reason, where Chromium is not installed (.ci/run installs Debian's).
"""
import json
import re

import pytest
from headless_browser import CHROMIUM, INSTALL_HINT, Browser
from test_explorer import cnn_loss, expression, mlp

import minidl
import minidl.nn.functional as F
from minidl import nn, viz

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason=INSTALL_HINT)


@pytest.fixture(scope="module")
def browser():
    with Browser() as b:
        yield b


def open_page(browser, page, tmp_path, fragment=""):
    """Save ``page``, open it (at ``#fragment`` if given); the seconds until it was ready."""
    path = page.save(tmp_path / "page.html")
    browser.errors.clear()
    browser.requests.clear()
    return browser.open(path, fragment=fragment)


def shown(browser, selector):
    """The texts of the elements matching ``selector``."""
    return browser.evaluate(f"[...document.querySelectorAll({json.dumps(selector)})]"
                            ".map(e => e.textContent)")


def drawn_nodes(browser):
    return browser.evaluate("[...document.querySelectorAll('#nodes .node')]"
                            ".map(e => e.dataset.node || e.dataset.unit)")


def node_id(page, name):
    return next(n["id"] for n in page.data["nodes"] if n["name"] == name)


def agrees(texts, values) -> bool:
    """Whether numbers shown as ``texts`` are ``values`` to the digits shown: each is the
    value rounded to as many significant digits as the text has."""
    def digits(text):
        mantissa = re.sub(r"e.*$", "", text).lstrip("-").replace(".", "").lstrip("0")
        return max(1, len(mantissa))
    return len(texts) == len(values) and all(
        float(t) == float(f"{v:.{digits(t)}g}") for t, v in zip(texts, values))


def test_loads_without_errors_draws_every_node_and_fetches_nothing(browser, tmp_path):
    _, _, L = expression()
    page = viz.explore(L)
    open_page(browser, page, tmp_path)
    assert browser.errors == []
    assert browser.requests == [(tmp_path / "page.html").as_uri()]
    assert sorted(drawn_nodes(browser)) == sorted(n["id"] for n in page.data["nodes"])
    embedded = browser.evaluate("JSON.parse(document.getElementById('minidl-graph')"
                                ".textContent)")
    assert embedded == json.loads(json.dumps(page.data))
    # every node is on screen, inside the graph's area
    area = browser.evaluate("(() => { const r = document.getElementById('graph')"
                            ".getBoundingClientRect(); return [r.left, r.top, r.right, "
                            "r.bottom]; })()")
    boxes = browser.evaluate("[...document.querySelectorAll('#nodes .node rect:nth-child(2)')]"
                             ".map(e => { const r = e.getBoundingClientRect(); "
                             "return [r.left, r.top, r.right, r.bottom, r.width]; })")
    for left, top, right, bottom, width in boxes:
        assert width > 20
        assert area[0] <= left and right <= area[2] and area[1] <= top and bottom <= area[3]


def test_clicking_a_leaf_shows_the_gradient_backward_computed(browser, tmp_path):
    model, x, y = mlp()
    page = viz.explore(F.cross_entropy(model(x), y), model)
    F.cross_entropy(model(x), y).backward()
    open_page(browser, page, tmp_path)
    for name, p in model.named_parameters():
        browser.click(f'[data-node="{node_id(page, name)}"]')
        assert shown(browser, "#panel h2")[0].startswith(name)
        texts = shown(browser, '#panel [data-section="grad"] .num')
        assert agrees(texts, p.grad.numpy().reshape(-1).tolist())
        assert min(len(t.lstrip("-")) for t in texts) >= 4  # (not all rounded to nothing)
    assert browser.errors == []


def test_clicking_an_op_shows_its_rule_value_gradient_and_what_it_saved(browser, tmp_path):
    _, d, L = expression()
    d.name = "d"
    page = viz.explore(L, {"d": d})
    with minidl.autograd.trace() as trace:
        L.backward()
    open_page(browser, page, tmp_path)
    tanh = next(n for n in page.data["nodes"] if n["op"] == "Tanh")
    browser.click(f'[data-node="{tanh["id"]}"]')
    step = next(s for s in trace.steps if s.op == "Tanh")
    assert shown(browser, '#panel [data-section="rule"]') == [step.rule]
    assert shown(browser, '#panel [data-section="value"] .num') == [f"{tanh['value']:.6g}"]
    assert agrees(shown(browser, '#panel [data-section="grad"] .num'), [float(step.gy_value)])
    assert agrees(shown(browser, '#panel [data-section="sends"] .num'),
                  [float(step.gx_values[0])])
    assert shown(browser, '#panel [data-section="saved"] li') == ["its output scalar"]
    # a link in the panel follows the graph: to the node the gradient went to
    browser.click('#panel [data-section="sends"] a')
    assert shown(browser, "#panel h2")[0].startswith("Div")
    assert browser.errors == []


def test_the_step_control_replays_the_engine_order(browser, tmp_path):
    model, x, y = mlp()
    loss = F.cross_entropy(model(x), y)
    page = viz.explore(loss, model)
    with minidl.autograd.trace() as trace:
        loss.backward()
    open_page(browser, page, tmp_path)
    ops = {n["id"]: n["op"] for n in page.data["nodes"]}
    browser.click("#first")
    assert browser.evaluate("document.querySelectorAll('.node.current').length") == 0
    assert browser.evaluate("document.querySelectorAll('.node.pending').length") == len(ops)
    visited = []
    for k in range(len(trace.steps)):
        browser.click("#next")
        current = browser.evaluate("[...document.querySelectorAll('.node.current')]"
                                   ".map(e => e.dataset.node)")
        assert len(current) == 1
        visited.append(current[0])
        assert f"{k + 1} / {len(trace.steps)}" in shown(browser, "#step-label")[0]
        assert shown(browser, "#panel h2")[0].startswith(ops[current[0]])  # its details
        sending = browser.evaluate("document.querySelectorAll('.edge.sending').length")
        assert sending == len(page.data["steps"][k]["sends"])  # its gradients, on the edges
    assert visited == [s["node"] for s in page.data["steps"]]
    assert [ops[v] for v in visited] == [s.op for s in trace.steps]
    assert browser.evaluate("document.getElementById('next').disabled") is True
    browser.click("#prev")
    assert browser.evaluate("document.querySelector('.node.current').dataset.node") == \
        visited[-2]
    assert browser.errors == []


def test_the_keyboard_steps_too(browser, tmp_path):
    _, _, L = expression()
    page = viz.explore(L)
    open_page(browser, page, tmp_path)
    for key in ("Home", "ArrowRight", "ArrowRight", "ArrowRight", "ArrowLeft"):
        browser.press(key)
    assert "2 / 7" in shown(browser, "#step-label")[0]
    browser.press("End")
    assert "7 / 7" in shown(browser, "#step-label")[0]
    browser.press("Escape")
    assert shown(browser, "#panel h2") == ["Backward pass"]


def test_modules_collapse_and_expand(browser, tmp_path):
    model, loss = cnn_loss(batch=32)
    page = viz.explore(loss, model)
    # The best of three loads: the page's own cost, less the moments when the shared machine
    # is busy with something else.
    seconds = min(open_page(browser, page, tmp_path, fragment=f"#{k}") for k in range(3))
    assert seconds < 2.0
    assert (tmp_path / "page.html").stat().st_size < 5_000_000
    top = drawn_nodes(browser)
    assert "module:features" in top and "module:head" in top and len(top) == 6
    browser.click('[data-unit="module:features"]')
    opened = drawn_nodes(browser)
    assert "module:features" not in opened and "module:features.1" in opened
    assert shown(browser, '#boxes [data-module="features"]') == ["⊟ features · Sequential"]
    browser.click('[data-unit="module:features.1"]')
    assert sum(u.startswith("n") for u in drawn_nodes(browser)) > sum(
        u.startswith("n") for u in opened)
    browser.click('#boxes [data-module="features"]')
    assert drawn_nodes(browser) == top
    browser.click("#expand-all")
    assert sorted(drawn_nodes(browser)) == sorted(n["id"] for n in page.data["nodes"])
    # replaying with modules collapsed: the box of the module being run is the current node
    browser.click("#collapse-all")
    browser.click("#first")
    for _ in range(2):
        browser.click("#next")
    current = browser.evaluate("document.querySelector('.node.current').dataset.unit")
    assert current == "module:head"
    assert browser.errors == []


def test_a_200_node_graph_opens_collapsed_and_quickly(browser, tmp_path):
    """50 Linear + Tanh layers: 204 nodes, collapsed to one box per Linear; every node laid out
    when expanded. (It opened in 0.7-1.2 s here at load average 11, once in 2.3 s at 14: the
    bound leaves room for a machine shared with other runs. The issue's 2 s bar is the CNN's.)"""
    minidl.manual_seed(0)
    model = nn.Sequential(*[m for _ in range(50) for m in (nn.Linear(16, 16), nn.Tanh())],
                          nn.Linear(16, 3))
    page = viz.explore(F.cross_entropy(model(minidl.randn(8, 16)), minidl.tensor([0] * 8)),
                       model)
    assert len(page.data["nodes"]) == 204 and page.data["collapsed"]
    assert open_page(browser, page, tmp_path) < 5.0
    assert len(drawn_nodes(browser)) == 102  # 51 boxes, 50 Tanh, the loss
    browser.click("#expand-all")
    assert len(drawn_nodes(browser)) == 204 and browser.errors == []


def test_second_order_nodes_are_marked_on_the_page(browser, tmp_path):
    x = minidl.tensor(0.5, dtype=minidl.float64, requires_grad=True)
    y = x.tanh()
    (dy,) = minidl.grad(y, x, create_graph=True)
    page = viz.explore(dy, {"x": x}, grad_of=y)
    open_page(browser, page, tmp_path)
    marked = browser.evaluate("[...document.querySelectorAll('.node.second')]"
                              ".map(e => e.dataset.node)")
    assert sorted(marked) == sorted(n["id"] for n in page.data["nodes"] if n["second_order"])
    assert marked and browser.errors == []


def test_the_address_opens_a_step_and_a_node(browser, tmp_path):
    _, _, L = expression()
    page = viz.explore(L)
    node = page.data["steps"][4]["node"]
    open_page(browser, page, tmp_path, fragment=f"#step=2&select={node}")
    assert "2 / 7" in shown(browser, "#step-label")[0]
    assert browser.evaluate("document.querySelector('.node.current').dataset.node") == \
        page.data["steps"][1]["node"]
    assert browser.evaluate("document.querySelector('.node.selected').dataset.node") == node


def test_screenshot(browser, tmp_path):
    _, _, L = expression()
    open_page(browser, viz.explore(L), tmp_path)
    png = browser.screenshot(tmp_path / "page.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 20_000
