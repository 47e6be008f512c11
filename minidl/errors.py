"""minidl's exception types.

Every error a user can cause is raised as one of these, with a message that names the operation
and the offending shapes, dtypes, devices or values. Each also derives from the built-in exception
a Python user would expect (``ValueError`` for bad shapes, ``TypeError`` for bad dtypes, ...), so
``except ValueError`` keeps working.

Read next: ``minidl/backend.py`` (the only file that knows about NumPy vs CuPy).
"""


class MinidlError(Exception):
    """Base class of every error minidl raises on purpose."""


class ShapeError(MinidlError, ValueError):
    """Shapes that do not fit the operation (broadcasting, matmul, reshape, dim out of range)."""


class DTypeError(MinidlError, TypeError):
    """A dtype the operation does not accept (e.g. requires_grad on an integer tensor)."""


class DeviceError(MinidlError, RuntimeError):
    """Tensors on different devices, or a device that is not available."""


class AutogradError(MinidlError, RuntimeError):
    """Misuse of the backward engine (freed graph, non-scalar output, in-place modification)."""


class OutOfRangeError(MinidlError, IndexError):
    """An index out of range for the tensor it indexes."""


class ConfigError(MinidlError, ValueError):
    """An invalid constructor or configuration argument (a negative learning rate, a zero size)."""
