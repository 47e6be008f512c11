"""The inputs of the collectives test, shared by the MPI worker and the test that checks it.

Rank r's input for a dtype is drawn from a generator seeded with (r, dtype), so the test can
rebuild every rank's input and compute the expected result with NumPy.
"""
import numpy as np

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
OPS = ["SUM", "AVG", "PRODUCT", "MIN", "MAX"]
SHAPE = (3, 4)


def applies(op: str, dtype: str) -> bool:
    """AVG is defined on floating-point tensors only (the others must refuse it)."""
    return op != "AVG" or dtype.startswith("float")


def rank_input(rank: int, dtype: str, shape=SHAPE) -> np.ndarray:
    rng = np.random.default_rng([rank, DTYPES.index(dtype)])
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype.startswith("float"):
        return rng.standard_normal(shape).astype(dtype)
    # small values: a product over a few ranks stays in range even for int8
    return rng.integers(1, 4, shape).astype(dtype)


def reference(op: str, arrays: list) -> np.ndarray:
    """What all_reduce must give, computed with NumPy in the arrays' dtype, rank by rank."""
    dtype = arrays[0].dtype
    if dtype == np.bool_:
        combine = np.logical_or if op in ("SUM", "MAX") else np.logical_and
    else:
        combine = {"SUM": np.add, "AVG": np.add, "PRODUCT": np.multiply,
                   "MIN": np.minimum, "MAX": np.maximum}[op]
    result = arrays[0]
    for a in arrays[1:]:
        result = combine(result, a).astype(dtype)
    if op == "AVG":
        result = (result / len(arrays)).astype(dtype)
    return result
