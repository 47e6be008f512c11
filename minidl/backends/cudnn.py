"""``minidl.backends.cudnn``: the cuDNN switches PyTorch programs set, accepted and without
effect: minidl's GPU path is CuPy's, whose convolutions here are im2col and one matrix product,
not cuDNN. ``deterministic`` has nothing to switch: minidl's GPU results do not depend on
algorithm choices made at run time.

Read next: ``minidl/creation.py`` (making tensors: tensor(), zeros(), randn(), ...).
"""

enabled = True
benchmark = False
deterministic = False


def is_available() -> bool:
    return False
