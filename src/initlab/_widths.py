"""Layer widths and per-layer arguments (internal, shared by :class:`initlab.MLP` and
:func:`initlab.theory.predict`, so that both accept exactly the same spellings)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ._validate import fail, is_int


def check_widths(func: str, widths: object, *, name: str = "widths",
                 what: str = "a list of at least 2 positive integers") -> tuple[int, ...]:
    """The widths :math:`n_0, \\dots, n_L` as a tuple of ints (at least two, all >= 1).

    >>> check_widths("MLP", [4, np.int64(3)])
    (4, 3)
    """
    accepted = f"use {what}"
    if isinstance(widths, (str, bytes)) or not isinstance(widths, (Iterable, np.ndarray)):
        fail(func, name, widths, accepted, TypeError)
    items = list(widths)
    if len(items) < 2:
        fail(func, name, widths, accepted)
    for w in items:
        if not is_int(w):
            fail(func, "widths", w, "use positive integers", TypeError)
        if int(w) < 1:
            fail(func, "widths", w, "use positive integers")
    return tuple(int(w) for w in items)


def per_layer(func: str, name: str, value: object, depth: int) -> list[object]:
    """One value for every layer, or a list or tuple of ``depth`` values (one per layer).

    A pair of callables is one value (an activation's ``(f, df)``), not two layers.

    >>> per_layer("MLP", "activation", ("tanh", "relu"), 2)
    ['tanh', 'relu']
    >>> per_layer("MLP", "activation", "tanh", 3)
    ['tanh', 'tanh', 'tanh']
    """
    if isinstance(value, (list, tuple)) and not (
        isinstance(value, tuple) and len(value) == 2 and all(callable(v) for v in value)
    ):
        if len(value) != depth:
            fail(func, name, value, f"use one value for all layers or a sequence of "
                 f"{depth} (one per layer)", why="has the wrong length")
        return list(value)
    return [value] * depth
