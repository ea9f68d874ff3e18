"""Shared argument checks (private).

Every public function validates all of its arguments before it writes anything, and every
error names the function, the argument, the value received and what is accepted::

    ValueError: kaiming_normal: mode='fan' is not accepted; use one of 'fan_in', 'fan_out'.

``TypeError`` is raised for a value of the wrong type, ``ValueError`` for a value of the right
type that is out of range.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NoReturn

import numpy as np

FLOAT_DTYPES: tuple[np.dtype[Any], ...] = (
    np.dtype(np.float16),
    np.dtype(np.float32),
    np.dtype(np.float64),
)


def fail(func: str, name: str, value: object, accepted: str, exc: type[Exception] = ValueError,
         why: str = "is not accepted") -> NoReturn:
    """Raise ``exc`` with the house message format."""
    raise exc(f"{func}: {name}={_show(value)} {why}; {accepted}.")


def _show(value: object) -> str:
    """A short repr of ``value`` for error messages."""
    if isinstance(value, np.ndarray):
        return f"<ndarray shape={value.shape} dtype={value.dtype}>"
    if isinstance(value, np.random.Generator):
        return "<Generator>"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def is_int(value: object) -> bool:
    """True for Python and NumPy integers, False for bools."""
    if type(value) is int:
        return True
    return isinstance(value, (numbers.Integral, np.integer)) and not isinstance(
        value, (bool, np.bool_)
    )


def is_real(value: object) -> bool:
    """True for Python and NumPy real scalars, False for bools."""
    if type(value) is float or type(value) is int:
        return True
    return isinstance(value, (numbers.Real, np.floating, np.integer)) and not isinstance(
        value, (bool, np.bool_)
    )


def check_int(func: str, name: str, value: object, *, minimum: int | None = None) -> int:
    """An integer (not a bool), optionally ``>= minimum``."""
    if not is_int(value):
        fail(func, name, value, "use an integer" + (f" >= {minimum}" if minimum is not None
                                                     else ""), TypeError)
    result = operator.index(value)  # type: ignore[arg-type]
    if minimum is not None and result < minimum:
        fail(func, name, value, f"use an integer >= {minimum}")
    return result


def check_bool(func: str, name: str, value: object) -> bool:
    """A Python or NumPy bool."""
    if not isinstance(value, (bool, np.bool_)):
        fail(func, name, value, "use True or False", TypeError)
    return bool(value)


def check_real(
    func: str,
    name: str,
    value: object,
    *,
    finite: bool = True,
    positive: bool = False,
    nonnegative: bool = False,
    low: float | None = None,
    high: float | None = None,
    allow_nan: bool = False,
) -> float:
    """A real number (not a bool) with optional range constraints; returned as float."""
    if not is_real(value):
        fail(func, name, value, f"use {_real_phrase(finite, positive, nonnegative, low, high)}",
             TypeError)
    result = float(value)  # type: ignore[arg-type]
    if allow_nan and math.isnan(result):
        return result
    ok = not (finite and not math.isfinite(result)) and not math.isnan(result)
    ok = ok and not (positive and not result > 0) and not (nonnegative and not result >= 0)
    ok = ok and not (low is not None and not result >= low)
    ok = ok and not (high is not None and not result <= high)
    if not ok:
        fail(func, name, value, f"use {_real_phrase(finite, positive, nonnegative, low, high)}")
    return result


def _real_phrase(finite: bool, positive: bool, nonnegative: bool, low: float | None,
                 high: float | None) -> str:
    if low is not None and high is not None:
        return f"a real number in [{low:g}, {high:g}]"
    if positive:
        return "a finite real number > 0" if finite else "a real number > 0"
    if nonnegative:
        return "a finite real number >= 0" if finite else "a real number >= 0"
    return "a finite real number" if finite else "a real number (not NaN)"


def check_choice(
    func: str,
    name: str,
    value: object,
    choices: Sequence[str],
    aliases: Mapping[str, str] | None = None,
) -> str:
    """One of ``choices`` (or an alias of one), as a string; returns the canonical choice."""
    if type(value) is str:
        if value in choices:
            return value
        if aliases and value in aliases:
            return aliases[value]
    accepted = list(choices) + [a for a in (aliases or {}) if a not in choices]
    phrase = "use one of " + ", ".join(repr(c) for c in accepted)
    if not isinstance(value, str):
        fail(func, name, value, phrase, TypeError)
    fail(func, name, value, phrase)


def check_shape(func: str, shape: object, name: str = "shape") -> tuple[int, ...]:
    """A tuple of non-negative integers (an int is read as a 1-d shape)."""
    if type(shape) is tuple and all(type(d) is int and d >= 0 for d in shape):
        return shape
    if is_int(shape):
        shape = (shape,)
    if isinstance(shape, np.ndarray) or not isinstance(shape, Iterable) or isinstance(
        shape, (str, bytes, Mapping)
    ):
        fail(func, name, shape, "use a tuple of non-negative integers", TypeError)
    dims = tuple(shape)
    for dim in dims:
        if not is_int(dim):
            fail(func, name, shape, "use a tuple of non-negative integers", TypeError)
    result = tuple(operator.index(d) for d in dims)
    if any(d < 0 for d in result):
        fail(func, name, shape, "use a tuple of non-negative integers")
    return result


_DTYPE_CACHE: dict[object, np.dtype[Any]] = {}


def check_dtype(func: str, dtype: object) -> np.dtype[Any]:
    """float16, float32 or float64; anything else raises ``TypeError``."""
    try:
        return _DTYPE_CACHE[dtype]
    except (KeyError, TypeError):
        pass
    accepted = "use float16, float32 or float64"
    try:
        result = np.dtype(dtype)  # type: ignore[call-overload]
    except TypeError:
        fail(func, "dtype", dtype, accepted, TypeError)
    if dtype is None or result not in FLOAT_DTYPES:
        fail(func, "dtype", dtype, accepted, TypeError)
    try:
        _DTYPE_CACHE[dtype] = result
    except TypeError:  # unhashable dtype-like
        pass
    return np.dtype(result)


def check_out(func: str, out: object, shape: tuple[int, ...], dtype: np.dtype[Any]) -> None:
    """``out`` must be a writeable ndarray of exactly ``shape`` and ``dtype``."""
    if not isinstance(out, np.ndarray):
        fail(func, "out", out, "use a numpy.ndarray (or None for a new array)", TypeError)
    if out.shape != shape:
        fail(func, "out", out, f"its shape must be {shape}", why="has the wrong shape")
    if out.dtype != dtype:
        fail(func, "out", out, f"its dtype must equal dtype={dtype.name} (pass "
             f"dtype=out.dtype to fill it)", TypeError, why="has the wrong dtype")
    if not out.flags.writeable:
        fail(func, "out", out, "pass a writeable array", why="is read-only")


def check_rng(func: str, rng: object) -> None:
    """SPEC 7: ``None``, an int seed or a ``numpy.random.Generator``.

    A ``SeedSequence`` or ``BitGenerator`` is accepted as ``numpy.random.default_rng`` accepts
    them. Legacy ``RandomState`` objects and NumPy's global state are refused.
    """
    if rng is None or type(rng) is np.random.Generator or (type(rng) is int and rng >= 0):
        return
    accepted = "use None, an int seed >= 0 or a numpy.random.Generator"
    if type(rng).__name__ == "FixedKey":  # initlab.random.FixedKey (private)
        return
    if rng is None or isinstance(
        rng, (np.random.Generator, np.random.SeedSequence, np.random.BitGenerator)
    ):
        return
    if is_int(rng):
        if operator.index(rng) < 0:  # type: ignore[arg-type]
            fail(func, "rng", rng, accepted)
        return
    fail(func, "rng", rng, accepted, TypeError)


def normalize_axes(func: str, name: str, value: object, ndim: int) -> tuple[int, ...]:
    """An int or a tuple of ints, each in ``[-ndim, ndim)``; returned non-negative."""
    items: tuple[object, ...]
    if is_int(value):
        items = (value,)
    elif isinstance(value, (tuple, list)):
        items = tuple(value)
    else:
        fail(func, name, value, "use an int or a tuple of ints", TypeError)
    result = []
    for item in items:
        if not is_int(item):
            fail(func, name, value, "use an int or a tuple of ints", TypeError)
        axis = operator.index(item)  # type: ignore[arg-type]
        if not -ndim <= axis < ndim:
            fail(func, name, value, f"each axis must lie in [{-ndim}, {ndim}) for a "
                 f"{ndim}-d shape")
        result.append(axis % ndim)
    if len(set(result)) != len(result):
        fail(func, name, value, "name each axis once")
    return tuple(result)
