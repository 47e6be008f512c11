"""minidl's exception types.

Every error a user can cause is raised as one of these, with a message that names the operation
and the offending shapes, dtypes, devices or values. Each is also an instance of the built-in
exceptions a Python or PyTorch program catches in that place, so code written for either keeps
working: ``ValueError`` for bad shapes and ``TypeError`` for bad dtypes (as in NumPy), and
PyTorch's ``RuntimeError`` for both, ``IndexError`` for a ``dim`` or an index out of range.

Read next: ``minidl/backend.py`` (the only file that knows about NumPy vs CuPy).
"""


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


class ConfigError(MinidlError, ValueError):
    """An invalid constructor or configuration argument (a negative learning rate, a zero size)."""
