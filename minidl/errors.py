"""minidl's exception types.

Every error a user can cause is raised as one of these, with a message that names the operation
and the offending shapes, dtypes, devices or values. Each is also an instance of the built-in
exceptions a Python or PyTorch program catches in that place, so code written for either keeps
working: ``ValueError`` for bad shapes and ``TypeError`` for bad dtypes (as in NumPy), and
PyTorch's ``RuntimeError`` for both, ``IndexError`` for a ``dim`` or an index out of range.

NumPy and CuPy raise errors of their own inside an op (a shape that does not broadcast, an index
out of bounds); ``numpy_message`` says the same in minidl's words (dims, not axes), so that the
error the user sees reads the same whichever layer found the problem.

Read next: ``minidl/backend.py`` (the only file that knows about NumPy vs CuPy).
"""
import re


class MinidlError(Exception):
    """Base class of every error minidl raises on purpose."""


class ShapeError(MinidlError, ValueError, RuntimeError):
    """Shapes that do not fit the operation (broadcasting, matmul, reshape, cat)."""


class DimError(ShapeError, IndexError):
    """A ``dim`` out of range for the tensor (PyTorch raises an IndexError there)."""


class DTypeError(MinidlError, TypeError, RuntimeError):
    """A dtype the operation does not accept (e.g. requires_grad on an integer tensor), or an
    argument of the wrong Python type (a float where a dim must be an int)."""


class DeviceError(MinidlError, RuntimeError):
    """Tensors on different devices, or a device that is not available."""


class AutogradError(MinidlError, RuntimeError):
    """Misuse of the backward engine (freed graph, non-scalar output, in-place modification)."""


class OutOfRangeError(MinidlError, IndexError):
    """An index out of range for the tensor it indexes."""


class IntegerOverflowError(MinidlError, OverflowError, ValueError, RuntimeError):
    """A Python integer out of range for the integer dtype it is to be stored in
    (``tensor(2**70)``): an OverflowError as in Python; PyTorch raises a ValueError there
    (older versions a RuntimeError)."""


class ConfigError(MinidlError, ValueError):
    """An invalid constructor or configuration argument (a negative learning rate, a zero size)."""


# NumPy's wording of the errors an op can hit, and minidl's (regular expressions over the
# message: NumPy's exception classes are too coarse to tell these apart).
_SHAPES = r"((?:\([\d, ]*\) ?)+)"
_NUMPY_MESSAGES = [
    (r"operands could not be broadcast together with (?:remapped )?shapes " + _SHAPES,
     lambda m: f"shapes {_shapes(m[1])} do not broadcast (aligned at the last dim, the "
               "sizes of each dim must be equal or 1)"),
    (r"index (-?\d+) is out of bounds for axis (\d+) with size (\d+)",
     lambda m: f"index {m[1]} is out of range for dim {m[2]} of size {m[3]} (expected an "
               f"index in [{-int(m[3])}, {int(m[3]) - 1}])"),
    (r"boolean index did not match indexed array along (?:axis|dimension) (\d+); size of "
     r"(?:axis|dimension) is (\d+) but size of corresponding boolean (?:axis|dimension) is "
     r"(\d+)",
     lambda m: f"the boolean mask has size {m[3]} at dim {m[1]}, where the indexed tensor "
               f"has size {m[2]} (a mask must have the shape of the dims it indexes)"),
    (r"(?:could not broadcast input array from shape|shape mismatch: value array of shape) "
     r"(\([\d, ]*\)) (?:into shape|could not be broadcast to indexing result of shape) "
     r"(\([\d, ]*\))",
     lambda m: f"a value of shape {_shapes(m[1])} does not broadcast to the shape "
               f"{_shapes(m[2])} of the indexed part"),
    (r"shape mismatch: indexing arrays could not be broadcast together with shapes " + _SHAPES,
     lambda m: f"the index tensors' shapes {_shapes(m[1])} do not broadcast"),
    (r"too many indices for array: array is (\d+)-dimensional, but (\d+) were indexed",
     lambda m: f"too many indices ({m[2]}) for a tensor with {m[1]} dimensions"),
    (r"only integers, slices",
     lambda m: "only integers, slices (:), Ellipsis (...), None, and integer or bool "
               "tensors are valid indices"),
    (r"arrays used as indices must be of integer \(or boolean\) type",
     lambda m: "index tensors must hold integers or bools"),
]


def _shapes(text: str) -> str:
    """NumPy's "(3,4) (5,) " as minidl writes shapes: "(3, 4) and (5,)"."""
    shapes = [tuple(int(n) for n in s.split(",") if n.strip())
              for s in re.findall(r"\(([\d, ]*)\)", text)]
    return " and ".join(str(shape) for shape in shapes)


def numpy_message(exc: BaseException) -> str:
    """The message of a NumPy/CuPy error raised inside an op, in minidl's words when it is
    one of the errors above (else NumPy's own text)."""
    text = str(exc)
    for pattern, words in _NUMPY_MESSAGES:
        match = re.search(pattern, text)
        if match:
            return words(match)
    return text
