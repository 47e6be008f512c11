"""The guided tour cannot drift from the code.

1. Every op whose docstring states its rule as ``y = f(x);  dy/dx = f'(x)`` (or ``dy/dx0 = ...,
   dy/dx1 = ...``) is checked against that statement: the formula is turned into a NumPy
   expression and compared with the op's numerical derivative (central differences, float64)
   and with the gradient its backward computes. Where the docstring states ``y = f(x)`` in a
   form that parses, the forward is checked too. These are the rules the trace prints and the
   tour quotes.
2. The Python code blocks of ``docs/how-backprop-works.md`` run, in order, in one namespace.
"""
import ast
import inspect
import math
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl

# its Functions are checked too
import minidl.nn
import minidl.nn.hooks
from minidl.autograd import Function

TOUR = Path(__file__).resolve().parent.parent / "docs" / "how-backprop-works.md"

# ------------------------------------------------------------------- formula -> NumPy lambda
FUNCTIONS = {
    "exp": np.exp, "log": np.log, "sqrt": np.sqrt, "abs": np.abs, "sin": np.sin, "cos": np.cos,
    "tanh": np.tanh, "sign": np.sign, "sigmoid": lambda v: 1 / (1 + np.exp(-v)),
    "max": np.maximum, "min": np.minimum, "where": np.where,
    "logical_not": np.logical_not, "logical_and": np.logical_and,
    "tan": np.tan, "sinh": np.sinh, "cosh": np.cosh,
    "erf": lambda v: np.vectorize(math.erf)(v), "erfc": lambda v: np.vectorize(math.erfc)(v),
}
VARIABLES = {"x", "x0", "x1", "y", "c", "lo", "hi", "cond", "pi"}
ALLOWED_NODES = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Compare, ast.Call, ast.Name,
                 ast.Constant, ast.Load, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow,
                 ast.USub, ast.UAdd, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq)
TOKEN = re.compile(r"\s*(\d+(?:\.\d+)?|[A-Za-z_]\w*|\*\*|[<>=!]=|[-+*/()<>,])")


class FormulaError(ValueError):
    """The text is not a formula this translator understands (e.g. prose)."""


def _split_top(text, separator):
    """Split at ``separator`` where it is outside parentheses."""
    parts, depth, start = [], 0, 0
    i = 0
    while i < len(text):
        ch = text[i]
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and text.startswith(separator, i):
            parts.append(text[start:i])
            start = i + len(separator)
            i = start
            continue
        i += 1
    return parts + [text[start:]]


def _implicit_products(text):
    """``2 sqrt(x)`` -> ``2*sqrt(x)``, ``y (1 - y)`` -> ``y*(1 - y)``, ``^`` -> ``**``."""
    text = re.sub(r"\|([^|]+)\|", r"abs(\1)", text).replace("^", "**")
    text = re.sub(r"\bnot\s+(\w+)", r"logical_not(\1)", text)
    tokens, pos = [], 0
    while pos < len(text.rstrip()):
        match = TOKEN.match(text, pos)
        if not match:
            raise FormulaError(f"cannot read {text[pos:]!r}")
        tokens.append(match.group(1))
        pos = match.end()
    out = []
    for token in tokens:
        if out:
            prev = out[-1]
            ends_operand = prev == ")" or prev[0].isdigit() or (
                prev[0].isalpha() and prev not in FUNCTIONS)
            starts_operand = token == "(" or token[0].isalnum() or token[0] == "_"
            if ends_operand and starts_operand:
                out.append("*")
        out.append(token)
    return " ".join(out)


def _piecewise(text):
    """``A where C1, B where C2, else D`` and ``A where C else B`` as nested where(...)."""
    pieces = [p.strip() for p in _split_top(text, ",")]
    if len(pieces) == 1 and " where " in text and " else " in text:
        value, rest = text.split(" where ", 1)
        condition, otherwise = rest.split(" else ", 1)
        pieces = [f"{value} where {condition}", f"else {otherwise}"]
    if not any(" where " in p for p in pieces):
        return _implicit_products(text)
    if not pieces[-1].startswith("else "):
        raise FormulaError(f"a piecewise formula needs an 'else' part: {text!r}")
    result = _implicit_products(pieces[-1][len("else "):])
    for piece in reversed(pieces[:-1]):
        value, condition = piece.split(" where ", 1)
        result = (f"where({_implicit_products(condition)}, {_implicit_products(value)}, "
                  f"{result})")
    return result


class _ChainedComparisons(ast.NodeTransformer):
    """``lo <= x <= hi`` on arrays: logical_and(lo <= x, x <= hi)."""

    def visit_Compare(self, node):
        self.generic_visit(node)
        if len(node.ops) == 1:
            return node
        left, parts = node.left, []
        for op, right in zip(node.ops, node.comparators):
            parts.append(ast.Compare(left=left, ops=[op], comparators=[right]))
            left = right
        call = parts[0]
        for part in parts[1:]:
            call = ast.Call(func=ast.Name("logical_and", ast.Load()), args=[call, part],
                            keywords=[])
        return call


def strip_remark(text):
    """Drop a trailing prose remark: ``sign(x)  (0 at x = 0, as in PyTorch)`` -> ``sign(x)``."""
    text = text.split("  ")[0].strip()
    match = re.search(r"\s*\(([^()]*)\)\s*$", text)
    if match and any(word not in VARIABLES and word not in FUNCTIONS and word != "where"
                     and word != "else" and word != "not"
                     for word in re.findall(r"[A-Za-z]{2,}", match.group(1))):
        text = text[:match.start()].strip()
    return text


def compile_formula(text):
    """A safe NumPy function of named arrays for one formula (only arithmetic, comparisons,
    the FUNCTIONS above and the VARIABLES above are allowed)."""
    tree = ast.parse(_piecewise(strip_remark(text)), mode="eval")
    tree = ast.fix_missing_locations(_ChainedComparisons().visit(tree))
    for node in ast.walk(tree):
        if not isinstance(node, ALLOWED_NODES):
            raise FormulaError(f"{type(node).__name__} is not allowed in {text!r}")
        if isinstance(node, ast.Name) and node.id not in VARIABLES | set(FUNCTIONS):
            raise FormulaError(f"unknown name {node.id!r} in {text!r}")
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name)
                                               and node.func.id in FUNCTIONS):
            raise FormulaError(f"only the known functions may be called in {text!r}")
    code = compile(tree, "<docstring>", "eval")
    return lambda values: eval(code, {"__builtins__": {}}, {**FUNCTIONS, "pi": np.pi, **values})


RULE = re.compile(r"^y = (?P<forward>.+?);\s+(?P<derivatives>dy/d.+)$")


def parse_rule(function_class):
    """(forward formulas, {input name: derivative formulas}) stated in the first docstring
    line, or None when the docstring does not state a ``dy/dx`` rule."""
    first = (function_class.__doc__ or "").strip().split("\n")[0]
    match = RULE.match(first)
    if not match:
        return None
    forwards = []
    for alternative in _split_top(match["forward"], " = "):
        try:
            forwards.append(compile_formula(alternative))
        except (FormulaError, SyntaxError):
            pass  # prose such as "x^c for a constant c": the forward is checked elsewhere
    derivatives = {}
    for part in _split_top(match["derivatives"], ", dy/d"):
        part = part if part.startswith("dy/d") else "dy/d" + part
        name, formula = re.match(r"dy/d(\w+) = (.+)$", part).groups()
        derivatives[name] = [compile_formula(f) for f in _split_top(formula, " = ")]
    return forwards, derivatives


def function_classes():
    seen, stack = [], [Function]
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith("minidl.") and parse_rule(sub) is not None:
                seen.append(sub)
    return sorted(seen, key=lambda cls: cls.__name__)


RULED = function_classes()
REQUIRED = {"Exp", "Log", "Sqrt", "Abs", "Sin", "Cos", "Tanh", "Sigmoid", "Relu", "Neg", "Pow",
            "Add", "Sub", "Mul", "Div", "Maximum", "Minimum"}


def test_every_required_rule_is_stated_and_parses():
    assert REQUIRED <= {cls.__name__ for cls in RULED}


# ------------------------------------------------------------------- checking one rule
# op -> (input domain, what keeps samples off kinks: expressions that must stay away from 0,
#        and where to put samples exactly on a kink, to check the stated convention there)
DOMAIN = {"Log": (0.2, 3.0), "Sqrt": (0.2, 3.0), "Pow": (0.2, 3.0), "Log1p": (-0.8, 3.0),
          "Log2": (0.2, 3.0), "Log10": (0.2, 3.0), "Asin": (-0.9, 0.9), "Acos": (-0.9, 0.9),
          "Atanh": (-0.9, 0.9), "Acosh": (1.1, 3.0), "Tan": (-1.3, 1.3)}
KINKS = {
    "Abs": lambda v: [v["x"]], "Relu": lambda v: [v["x"]], "Div": lambda v: [v["x1"]],
    "Maximum": lambda v: [v["x0"] - v["x1"]], "Minimum": lambda v: [v["x0"] - v["x1"]],
    "Clamp": lambda v: [v["x"] - v["lo"], v["x"] - v["hi"]],
    "Copysign": lambda v: [v["x0"], v["x1"]],
}
ON_KINK = {
    "Abs": lambda v: v["x"].__setitem__(0, 0.0), "Relu": lambda v: v["x"].__setitem__(0, 0.0),
    "Maximum": lambda v: v["x1"].__setitem__(0, v["x0"][0]),
    "Minimum": lambda v: v["x1"].__setitem__(0, v["x0"][0]),
    "Clamp": lambda v: (v["x"].__setitem__(0, v["lo"]), v["x"].__setitem__(1, v["hi"])),
}
DIFFERENTIABLE = ("x", "x0", "x1")
SHAPE = (6,)


def sample(cls, rng):
    """Inputs for ``cls.forward``'s arguments, by name, off the op's kinks."""
    low, high = DOMAIN.get(cls.__name__, (-2.0, 2.0))
    names = list(inspect.signature(cls.forward).parameters)[1:]
    while True:
        values = {}
        for name in names:
            if name in DIFFERENTIABLE:
                values[name] = rng.uniform(low, high, SHAPE)
            elif name == "c":
                values[name] = float(rng.choice([-1.5, -1.0, 0.5, 2.0, 3.0, 2.5]))
            elif name in ("lo", "hi"):
                values[name] = -0.5 if name == "lo" else 0.5
            elif name == "cond":
                values[name] = rng.random(SHAPE) < 0.5
            elif name in ("how", "decimals"):  # Rounded: floor to whole numbers
                values[name] = "floor" if name == "how" else 0
            else:
                raise AssertionError(f"{cls.__name__}.forward: no sampler for {name!r}")
        kinks = KINKS.get(cls.__name__, lambda v: [])(values)
        if all(np.abs(k).min() > 0.1 for k in kinks):
            return names, values


def run(cls, names, values):
    """The op's output and the gradient of output.sum() for each differentiable input."""
    inputs = {n: minidl.tensor(v, dtype=minidl.float64, requires_grad=True) if n in
              DIFFERENTIABLE else (minidl.tensor(v) if isinstance(v, np.ndarray) else v)
              for n, v in values.items()}
    out = cls.apply(*[inputs[n] for n in names])
    wrt = [n for n in names if n in DIFFERENTIABLE]
    grads = minidl.grad(out.sum(), [inputs[n] for n in wrt])
    return out._array, {n: g._array for n, g in zip(wrt, grads)}


def numerical_derivative(cls, names, values, name, h=1e-6):
    """d y_i / d name_i by central differences (the ops are elementwise)."""
    def f(shift):
        shifted = dict(values, **{name: values[name] + shift})
        return cls.apply(*[minidl.tensor(shifted[n], dtype=minidl.float64)
                           if n in DIFFERENTIABLE else
                           (minidl.tensor(shifted[n]) if isinstance(shifted[n], np.ndarray)
                            else shifted[n]) for n in names])._array
    return (f(h) - f(-h)) / (2 * h)


@pytest.mark.parametrize("cls", RULED, ids=lambda cls: cls.__name__)
@settings(deadline=None, max_examples=25)
@given(seed=st.integers(0, 2**32 - 1))
def test_docstring_rule_matches_the_numerical_derivative(cls, seed):
    forwards, derivatives = parse_rule(cls)
    names, values = sample(cls, np.random.default_rng(seed))
    y, analytic = run(cls, names, values)
    env = dict(values, y=y)
    for formula in forwards:
        np.testing.assert_allclose(formula(env), y, rtol=1e-12, atol=1e-12,
                                   err_msg=f"{cls.__name__}: the stated y = ... is not forward")
    # A rule may state fewer than all inputs (Maximum states dy/dx0; dy/dx1 is symmetric).
    assert derivatives and set(derivatives) <= set(analytic), f"{cls.__name__}: {derivatives}"
    for name, formulas in derivatives.items():
        numeric = numerical_derivative(cls, names, values, name)
        for formula in formulas:
            stated = np.broadcast_to(formula(env), SHAPE).astype(np.float64)
            np.testing.assert_allclose(stated, numeric, rtol=1e-5, atol=1e-6,
                                       err_msg=f"{cls.__name__}: dy/d{name} vs numerical")
            np.testing.assert_allclose(stated, analytic[name], rtol=1e-12, atol=1e-12,
                                       err_msg=f"{cls.__name__}: dy/d{name} vs backward")


@pytest.mark.parametrize("name", sorted(ON_KINK))
def test_docstring_rule_states_the_convention_at_kinks(name):
    """At a kink there is no numerical derivative; the stated value must be what backward
    computes (relu'(0) = 0, max at a tie = 1/2, clamp at a bound = 1, ...)."""
    cls = next(c for c in RULED if c.__name__ == name)
    _, derivatives = parse_rule(cls)
    names, values = sample(cls, np.random.default_rng(0))
    ON_KINK[name](values)
    y, analytic = run(cls, names, values)
    for wrt, formulas in derivatives.items():
        for formula in formulas:
            stated = np.broadcast_to(formula(dict(values, y=y)), SHAPE)
            np.testing.assert_allclose(stated, analytic[wrt], err_msg=f"{name}: dy/d{wrt}")


def test_the_translator_refuses_what_is_not_a_formula():
    for text in ["__import__('os')", "x.__class__", "open(x)", "[x for x in x]", "lambda: 1"]:
        with pytest.raises((FormulaError, SyntaxError)):
            compile_formula(text)
    assert compile_formula("2 sqrt(x)")({"x": np.array(4.0)}) == 4.0
    assert compile_formula("y (1 - y)")({"y": np.array(0.5)}) == 0.25
    assert compile_formula("1 where x > 0, else 0  (at 0)")({"x": np.array(-1.0)}) == 0


# ------------------------------------------------------------------- the tour's code runs
# A python block, or an output block announced by "<!-- output of: EXPRESSION -->": the text of
# str(EXPRESSION), evaluated after the python blocks above it have run.
TOUR_ITEM = re.compile(r"^```python\n(?P<code>.*?)^```\n"
                       r"|^<!-- output of: (?P<expr>.+?) -->\n```(?P<lang>\w+)\n(?P<out>.*?)^```\n",
                       re.M | re.S)


def run_tour(text):
    """Run the tour's python blocks in order in one namespace; return the text with every
    announced output block replaced by what its expression gives now."""
    namespace = {"__name__": "__tour__"}
    pieces, end, block = [], 0, 0
    for item in TOUR_ITEM.finditer(text):
        pieces.append(text[end:item.start()])
        end = item.end()
        if item["code"] is not None:
            block += 1
            try:
                exec(compile(item["code"], f"{TOUR.name}, python block {block}", "exec"),
                     namespace)
            except Exception as exc:
                raise AssertionError(f"python block {block} of {TOUR.name} failed: {exc!r}\n"
                                     f"{item['code']}") from exc
            pieces.append(item.group(0))
        else:
            output = str(eval(item["expr"], namespace)).rstrip("\n")
            pieces.append(f"<!-- output of: {item['expr']} -->\n```{item['lang']}\n{output}\n```\n")
    return "".join(pieces) + text[end:]


def test_the_tour_code_blocks_run_and_its_outputs_are_current(tmp_path, monkeypatch):
    text = TOUR.read_text()
    assert len(TOUR_ITEM.findall(text)) >= 10
    monkeypatch.chdir(tmp_path)  # the tour may write files into the current directory
    current = run_tour(text)
    for old, new in zip(TOUR_ITEM.finditer(text), TOUR_ITEM.finditer(current)):
        assert old.group(0) == new.group(0), (
            f"{TOUR.name} shows an output that the code no longer gives (regenerate it with "
            f"`python tests/test_tour.py --update`):\n{old.group(0)}\nnow:\n{new.group(0)}")


if __name__ == "__main__":  # python tests/test_tour.py --update: rewrite the tour's outputs
    import sys

    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python tests/test_tour.py --update")
    TOUR.write_text(run_tour(TOUR.read_text()))
    print(f"updated the outputs in {TOUR}")
