"""JSON-ready values (internal): tuples become lists, NumPy scalars Python scalars."""

from __future__ import annotations

from typing import Any

import numpy as np


def jsonable(value: Any) -> Any:
    """``value`` with tuples (recursively) as lists and NumPy scalars as Python scalars.

    Floats are kept as they are (NaN and infinities included: ``json.dumps`` writes them).

    Examples
    --------
    >>> jsonable((1, (2, np.float32(0.5))))
    [1, [2, 0.5]]
    """
    if isinstance(value, (tuple, list)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
