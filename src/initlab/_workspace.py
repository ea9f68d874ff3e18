"""Scratch arrays reused across chunks, layers and probes (internal, shared by the samplers
and the lab): one home for the "grow on demand, hand out a prefix" pattern."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

Array = NDArray[Any]


class Workspace:
    """Named scratch buffers, grown on demand and reused, so that hot loops do not allocate.

    ``buffer(name, n, dtype)`` returns a 1-d view of ``n`` elements of the buffer ``name`` for
    that dtype, reallocated only when a larger one is asked for (at least ``minimum``
    elements, so that a sequence of small requests does not reallocate each time). The
    contents are undefined: callers write before they read. ``ones(n, dtype)`` is a cached
    vector of ones (read-only by convention). A workspace is not thread-safe: give each thread
    its own.

    Examples
    --------
    >>> ws = Workspace()
    >>> a = ws.buffer("tmp", 3, np.float32)
    >>> a.shape, a.dtype.name
    ((3,), 'float32')
    >>> b = ws.buffer("tmp", 2, np.float32)
    >>> np.shares_memory(a, b)
    True
    >>> ws.ones(4, np.float64).tolist()
    [1.0, 1.0, 1.0, 1.0]
    """

    def __init__(self) -> None:
        self._bufs: dict[tuple[str, str], Array] = {}
        self._ones: dict[tuple[int, str], Array] = {}

    def buffer(self, name: str, n: int, dtype: DTypeLike, *, minimum: int = 0) -> Array:
        """A scratch view of ``n`` elements of ``dtype`` (contents undefined)."""
        dt = np.dtype(dtype)
        key = (name, dt.str)
        buf = self._bufs.get(key)
        if buf is None or buf.size < n:
            buf = self._bufs[key] = np.empty(max(n, minimum), dtype=dt)
        return buf[:n]

    def ones(self, n: int, dtype: DTypeLike) -> Array:
        """A cached vector of ``n`` ones of ``dtype``."""
        dt = np.dtype(dtype)
        key = (n, dt.str)
        vec = self._ones.get(key)
        if vec is None:
            vec = self._ones[key] = np.ones(n, dtype=dt)
        return vec
