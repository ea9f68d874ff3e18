"""Strict JSON for reports (internal): NumPy values to plain Python, nan to ``null`` and
infinities to the strings ``"inf"``/``"-inf"``, and back."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def encode_float(v: float) -> float | str | None:
    """JSON has no inf/nan: nan -> None, +-inf -> ``"inf"``/``"-inf"``."""
    if math.isnan(v):
        return None
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def decode_float(v: object) -> float:
    """The inverse of :func:`encode_float` (None -> nan, ``"inf"`` -> inf)."""
    if v is None:
        return math.nan
    return float(v)  # type: ignore[arg-type]


def jsonable(value: Any) -> Any:
    """``value`` with arrays, tuples and NumPy scalars turned into JSON-ready Python values.

    >>> jsonable({"a": np.array([1.0, np.nan]), "b": (np.int64(2), np.inf)})
    {'a': [1.0, None], 'b': [2, 'inf']}
    """
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return encode_float(float(value))
    return value


def plain(value: Any) -> Any:
    """``value`` with tuples (recursively) as lists and NumPy scalars as Python scalars, floats
    kept as they are (NaN and infinities included): an initializer's ``get_config()``, which
    must round-trip through the constructor (``Constant(value=nan)``).

    >>> plain((1, (2, np.float32(0.5))))
    [1, [2, 0.5]]
    """
    if isinstance(value, (tuple, list)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
