r"""Float64, overflow-safe statistics for any array, and the kernels the signal lab uses.

:func:`describe` summarises an array (mean, std, min, max, fractions of zero, saturated and
non-finite entries, dead units) and :func:`histogram` counts it on fixed edges. Both accumulate in
float64 whatever the array's dtype, rescale by :math:`\max|x|` before squaring when the squares
would overflow (or underflow), and never emit a NumPy ``RuntimeWarning``.

The fields are named as the columns of the lab's reports (``zero_frac``, ``sat_frac``,
``nonfinite_frac``), and the kernels are the ones the engine's recorder runs on every layer
(``initlab._moments``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._format import html_table, number
from ._moments import edges_from, exact_moments, hist_counts, saturated
from ._validate import check_int, check_real, fail, is_real

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["Histogram", "Summary", "describe", "histogram"]

Array = NDArray[Any]



# --------------------------------------------------------------------------------------------
# public results


@dataclass(frozen=True, repr=False)
class Summary:
    r"""Summary statistics of an array, as :func:`describe` returns them.

    Attributes
    ----------
    size : int
        Number of elements.
    mean, std, var : float
        Mean, standard deviation and variance (``ddof=0``) of the finite elements, in float64;
        ``nan`` when no element is finite. ``std`` stays finite for any finite data (it is
        computed after rescaling by :math:`\max|x|`); ``var = std**2`` overflows to ``inf`` only
        when it exceeds the float64 range.
    min, max : float
        Smallest and largest element (``nan`` if any element is nan, ``±inf`` if present).
    zero_frac : float
        Fraction of elements exactly equal to zero.
    nonfinite_frac : float
        Fraction of elements that are ``inf``, ``-inf`` or ``nan``.
    sat_frac : float
        Fraction within ``margin`` of a bound (see :func:`describe`); ``nan`` without bounds.
    dead_units : int or None
        Units (indices along ``unit_axis``) that are exactly zero everywhere else; ``None`` for
        0-d and 1-d input.

    Notes
    -----
    The fractions have the names of the report columns of :meth:`initlab.MLP.probe`. The
    names of version 0.1 (``frac_zero``, ``frac_nonfinite``, ``frac_saturated``) still work
    and emit a ``DeprecationWarning``. ``repr`` shows 4 significant digits (the attributes
    keep every digit); in a notebook the summary is an HTML table.

    References
    ----------
    .. [1] X. Glorot and Y. Bengio, "Understanding the difficulty of training deep feedforward
       neural networks", AISTATS 2010 (the saturation statistics of section 3).

    Examples
    --------
    >>> import numpy as np, initlab
    >>> s = initlab.stats.describe(np.array([[0.0, 2.0], [0.0, 4.0]]))
    >>> s.mean, s.std, s.zero_frac, s.dead_units
    (1.5, 1.6583123951777, 0.5, 1)
    >>> s  # doctest: +NORMALIZE_WHITESPACE
    Summary(size=4, mean=1.5, std=1.658, var=2.75, min=0, max=4, zero_frac=0.5,
            nonfinite_frac=0, sat_frac=nan, dead_units=1)
    """

    size: int
    mean: float
    std: float
    var: float
    min: float
    max: float
    zero_frac: float
    nonfinite_frac: float
    sat_frac: float
    dead_units: int | None

    def as_dict(self) -> dict[str, Any]:
        """The fields as a plain ``dict`` (JSON-ready apart from non-finite floats)."""
        return asdict(self)

    def _cells(self) -> list[tuple[str, str]]:
        return [(f.name, _short(getattr(self, f.name))) for f in fields(self)]

    def __repr__(self) -> str:
        return "Summary(" + ", ".join(f"{k}={v}" for k, v in self._cells()) + ")"

    def _repr_html_(self) -> str:
        cells = self._cells()
        return html_table("Summary", [k for k, _ in cells], [[v for _, v in cells]])

    @property
    def frac_zero(self) -> float:
        """Deprecated name of :attr:`zero_frac`."""
        return _renamed("frac_zero", "zero_frac", self.zero_frac)

    @property
    def frac_nonfinite(self) -> float:
        """Deprecated name of :attr:`nonfinite_frac`."""
        return _renamed("frac_nonfinite", "nonfinite_frac", self.nonfinite_frac)

    @property
    def frac_saturated(self) -> float:
        """Deprecated name of :attr:`sat_frac`."""
        return _renamed("frac_saturated", "sat_frac", self.sat_frac)


def _renamed(old: str, new: str, value: float) -> float:
    warnings.warn(f"Summary.{old} is deprecated; use Summary.{new} (the report column's name)",
                  DeprecationWarning, stacklevel=3)
    return value


def _short(value: object) -> str:
    """4 significant digits for floats (``repr`` of a summary), ints and None as such."""
    if value is None or isinstance(value, (int, np.integer)):
        return str(value)
    return number(float(value), 4, exponent=True)  # type: ignore[arg-type]


@dataclass(frozen=True, eq=False, repr=False)
class Histogram:
    r"""Counts of an array on fixed bin edges, as :func:`histogram` returns them.

    Attributes
    ----------
    edges : numpy.ndarray
        The ``nbins + 1`` increasing bin edges (float64).
    counts : numpy.ndarray
        ``nbins`` int64 counts. Bin ``k`` holds :math:`e_k \le x < e_{k+1}`; the last bin also
        holds :math:`x = e_{n}`, as in :func:`numpy.histogram`.
    below, above : int
        Elements below the first edge / above the last one (``-inf`` and ``inf`` included).
    nan : int
        Elements that are nan (counted nowhere else).

    References
    ----------
    .. [1] NumPy, ``numpy.histogram`` (bin convention).

    Examples
    --------
    >>> import numpy as np, initlab
    >>> h = initlab.stats.histogram(np.array([-2.0, 0.0, 0.25, 1.0, np.nan]), bins=[0, 0.5, 1])
    >>> h.counts.tolist(), h.below, h.above, h.nan
    ([2, 1], 1, 0, 1)
    >>> h
    Histogram(2 bins on [0, 1], 3 counted, below=1, above=0, nan=1)
    """

    edges: Array
    counts: Array
    below: int
    above: int
    nan: int

    @property
    def total(self) -> int:
        """All elements: the counts plus ``below``, ``above`` and ``nan``."""
        return int(self.counts.sum()) + self.below + self.above + self.nan

    @property
    def centers(self) -> Array:
        """Midpoints of the bins."""
        return 0.5 * (self.edges[1:] + self.edges[:-1])

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready ``dict`` (lists of floats and ints)."""
        return {"edges": self.edges.tolist(), "counts": self.counts.tolist(),
                "below": self.below, "above": self.above, "nan": self.nan}

    def __repr__(self) -> str:
        lo, hi = (number(float(e), 4, exponent=True) for e in (self.edges[0], self.edges[-1]))
        return (f"Histogram({self.counts.size} bins on [{lo}, {hi}], "
                f"{int(self.counts.sum())} counted, below={self.below}, above={self.above}, "
                f"nan={self.nan})")

    def plot(self, ax: Axes | None = None) -> Axes:
        """Draw the counts as fractions of :attr:`total` (matplotlib), on ``ax`` or on a new
        figure; returns the axes. See :func:`initlab.plotting.plot_histogram`.

        Raises
        ------
        ImportError
            Without matplotlib (``pip install "initlab[plot]"``).
        """
        from .plotting import plot_histogram

        return plot_histogram(self, ax=ax)


# --------------------------------------------------------------------------------------------
# public functions


def _as_float_array(func: str, x: object) -> Array:
    try:
        arr = np.asarray(x)
    except Exception:  # pragma: no cover - exotic objects
        fail(func, "x", x, "use an array of real numbers", TypeError)
    if arr.dtype.kind not in "fiub":
        fail(func, "x", x, "use an array of real numbers", TypeError)
    if arr.dtype.kind != "f":
        arr = arr.astype(np.float64)
    return arr


def describe(
    x: ArrayLike,
    *,
    bounds: tuple[float, float] | object | None = None,
    margin: float = 0.01,
    unit_axis: int = -1,
) -> Summary:
    r"""Summarise an array in float64, safely for overflowing and non-finite data.

    Parameters
    ----------
    x : array_like
        Any real array (integers and bools are read as float64).
    bounds : (float, float) or Activation, optional
        Lower and upper bound of the values (an :class:`~initlab.Activation`'s ``bounds``); a
        value counts as saturated when it lies within ``margin`` of the half-range of a bound.
        Without finite bounds ``sat_frac`` is ``nan``.
    margin : float, default 0.01
        Saturation margin as a fraction of the half-range :math:`(b - a)/2`.
    unit_axis : int, default -1
        Axis that indexes units, for ``dead_units`` (a unit is dead when it is zero for every
        index of the other axes, e.g. every example of a batch).

    Returns
    -------
    Summary

    Raises
    ------
    TypeError
        If ``x`` is not a real array, or ``bounds`` is neither a pair nor an Activation.
    ValueError
        If ``x`` is empty, ``margin`` is not in ``[0, 1]`` or ``unit_axis`` is out of range.

    See Also
    --------
    histogram : counts on fixed edges.
    initlab.MLP.probe : the same statistics for every layer of a network.

    Notes
    -----
    With :math:`m = \max_i |x_i|` over the finite elements, the moments are computed from
    :math:`y_i = x_i / m` in float64 by two passes,

    .. math::

        \bar x = m\,\frac{1}{n}\sum_i y_i, \qquad
        s = m \sqrt{\frac{1}{n}\sum_i (y_i - \bar y)^2},

    so ``std`` is finite for any finite data, even float64 data whose squares overflow. ``np.std``
    on a float32 array accumulates squares in float32 and returns ``inf`` once they pass
    :math:`3.4\times10^{38}`, i.e. for values above about :math:`10^{19}`. The statistics
    cover the finite elements; ``nonfinite_frac`` counts the others. The saturation band for
    bounds :math:`(a, b)` and margin :math:`\mu` is

    .. math:: x < a + \mu\,\tfrac{b-a}{2} \quad\text{or}\quad x > b - \mu\,\tfrac{b-a}{2},

    i.e. :math:`|x| > 0.99` for tanh and :math:`x < 0.005` or :math:`x > 0.995` for the
    sigmoid (the same band of :math:`\phi'` for both).

    References
    ----------
    .. [1] X. Glorot and Y. Bengio, "Understanding the difficulty of training deep feedforward
       neural networks", AISTATS 2010.

    Examples
    --------
    >>> import numpy as np, initlab
    >>> x = np.array([1e30, -1e30, 3e30], dtype=np.float32)
    >>> with np.errstate(over="ignore"):  # np.std squares in float32
    ...     naive = float(np.std(x))
    >>> naive, f"{initlab.stats.describe(x).std:.4g}"
    (inf, '1.633e+30')
    >>> s = initlab.stats.describe(np.tanh([0.0, 3.0, -3.0, 0.5]), bounds=(-1, 1))
    >>> s.sat_frac, s.zero_frac
    (0.5, 0.25)
    """
    func = "describe"
    arr = _as_float_array(func, x)
    if arr.size == 0:
        fail(func, "x", arr, "use a non-empty array")
    mu = check_real(func, "margin", margin, low=0.0, high=1.0)
    lo, hi = _bounds_of(func, bounds)
    unit = check_int(func, "unit_axis", unit_axis)
    if arr.ndim >= 2 and not -arr.ndim <= unit < arr.ndim:
        fail(func, "unit_axis", unit_axis, f"use an axis in [{-arr.ndim}, {arr.ndim})")
    with np.errstate(all="ignore"):
        flat = arr.reshape(-1)
        n = flat.size
        mean, std, finite = exact_moments(flat)
        if not finite:
            mean, std, _ = exact_moments(flat[np.isfinite(flat)]) if np.isfinite(
                flat).any() else (math.nan, math.nan, False)
        nonfinite = 0 if finite else int(n - np.count_nonzero(np.isfinite(flat)))
        zeros = int(np.count_nonzero(flat == 0))
        sat = math.nan
        if math.isfinite(lo) and math.isfinite(hi):
            sat = saturated(flat, lo, hi, mu) / n
        dead: int | None = None
        if arr.ndim >= 2:
            moved = np.moveaxis(arr == 0, unit, -1).reshape(-1, arr.shape[unit])
            dead = int(np.count_nonzero(moved.all(axis=0)))
        vmin, vmax = float(np.min(flat)), float(np.max(flat))
        var = std * std
    return Summary(size=n, mean=float(mean), std=float(std), var=float(var), min=vmin,
                   max=vmax, zero_frac=zeros / n, nonfinite_frac=nonfinite / n,
                   sat_frac=float(sat), dead_units=dead)


def histogram(
    x: ArrayLike,
    bins: int | Sequence[float] | Array = 50,
    *,
    range: tuple[float, float] | None = None,
) -> Histogram:
    r"""Exact counts of an array on fixed bin edges, with under/overflow and nan counts.

    Parameters
    ----------
    x : array_like
        Any real array (flattened).
    bins : int or sequence of float, default 50
        Number of equal bins over ``range``, or the increasing edges themselves.
    range : (float, float), optional
        Lower and upper edge for an int ``bins``; default: the finite min and max of ``x``.

    Returns
    -------
    Histogram
        ``edges``, ``counts`` and the ``below``, ``above`` and ``nan`` counts.

    Raises
    ------
    TypeError
        If ``x`` is not a real array or ``bins`` is neither an int nor a sequence of numbers.
    ValueError
        If the edges are not finite and strictly increasing, or ``bins < 1``.

    See Also
    --------
    numpy.histogram : same bin convention, but silently drops out-of-range values.

    Notes
    -----
    Bin :math:`k` holds :math:`e_k \le x < e_{k+1}` (the last bin is closed). Every element is
    counted: when the edges are equally spaced by a power of two :math:`w = 2^{-j}`,
    :math:`j \ge 0`, starting at a multiple of :math:`w` (the engine's default edges), the bin
    index :math:`\lfloor x/w \rfloor - e_0/w` is computed exactly in the array's own dtype
    (multiplying by a power of two and flooring are exact), otherwise by
    :func:`numpy.histogram` in float64.

    References
    ----------
    .. [1] NumPy, ``numpy.histogram``.

    Examples
    --------
    >>> import numpy as np, initlab
    >>> x = np.random.default_rng(0).standard_normal(10_000)
    >>> h = initlab.stats.histogram(x, 8, range=(-2, 2))
    >>> int(h.counts.sum()) + h.below + h.above == x.size
    True
    >>> h.edges[:3].tolist()
    [-2.0, -1.5, -1.0]
    """
    func = "histogram"
    arr = _as_float_array(func, x)
    flat = arr.reshape(-1)
    edges = edges_from(func, bins, range, flat)
    with np.errstate(all="ignore"):
        counts, below, above, nan = hist_counts(flat, edges)
    return Histogram(edges=edges, counts=counts, below=below, above=above, nan=nan)


def _bounds_of(func: str, bounds: object) -> tuple[float, float]:
    if bounds is None:
        return -math.inf, math.inf
    inner = getattr(bounds, "bounds", bounds)
    if (isinstance(inner, (tuple, list)) and len(inner) == 2
            and all(is_real(b) for b in inner)):
        lo, hi = float(inner[0]), float(inner[1])
        if not lo < hi:
            fail(func, "bounds", bounds, "use (low, high) with low < high")
        return lo, hi
    fail(func, "bounds", bounds, "use a pair (low, high) or an Activation", TypeError)
