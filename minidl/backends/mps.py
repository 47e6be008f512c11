"""``minidl.backends.mps``: Apple's GPUs (Metal Performance Shaders), which minidl does not
support: it computes with NumPy on the CPU or CuPy on CUDA GPUs. Programs that ask
``minidl.backends.mps.is_available()`` get False and pick another device.

Read next: ``minidl/backends/cudnn.py``.
"""


def is_available() -> bool:
    return False


def is_built() -> bool:
    return False
