r"""Float64, overflow-safe statistics for any array, and the kernels the signal lab uses.

:func:`describe` summarises an array (mean, std, min, max, fractions of zero, saturated and
non-finite entries, dead units) and :func:`histogram` counts it on fixed edges. Both accumulate in
float64 whatever the array's dtype, rescale by :math:`\max|x|` before squaring when the squares
would overflow (or underflow), and never emit a NumPy ``RuntimeWarning``.

The private helpers below are the engine's per-layer statistics (:class:`initlab.MLP`): they
avoid temporaries and passes over the data, because they run on every layer of every probe.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validate import check_int, check_real, fail, is_real

__all__ = ["Histogram", "Summary", "describe", "histogram"]

Array = NDArray[Any]

_CHUNK = 1 << 16  # elements per float64 chunk in the exact paths (512 KiB)
#: Below this mean square the fast path's squares may have lost precision to underflow.
_TINY_MS = {np.dtype(np.float32): 1e-30, np.dtype(np.float64): 1e-290}
#: The fast path is used only when var >= _CANCEL * mean square (no catastrophic cancellation).
_CANCEL = 1e-2
_MAX_FAST_BINS = 253  # bins + below + above must fit in a uint8, leaving 255 as padding


# --------------------------------------------------------------------------------------------
# public results


@dataclass(frozen=True)
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
    frac_zero : float
        Fraction of elements exactly equal to zero.
    frac_nonfinite : float
        Fraction of elements that are ``inf``, ``-inf`` or ``nan``.
    frac_saturated : float
        Fraction within ``margin`` of a bound (see :func:`describe`); ``nan`` without bounds.
    dead_units : int or None
        Units (indices along ``unit_axis``) that are exactly zero everywhere else; ``None`` for
        0-d and 1-d input.

    References
    ----------
    .. [1] X. Glorot and Y. Bengio, "Understanding the difficulty of training deep feedforward
       neural networks", AISTATS 2010 (the saturation statistics of section 3).

    Examples
    --------
    >>> import numpy as np, initlab
    >>> s = initlab.stats.describe(np.array([[0.0, 2.0], [0.0, 4.0]]))
    >>> s.mean, s.std, s.frac_zero, s.dead_units
    (1.5, 1.6583123951777, 0.5, 1)
    """

    size: int
    mean: float
    std: float
    var: float
    min: float
    max: float
    frac_zero: float
    frac_nonfinite: float
    frac_saturated: float
    dead_units: int | None

    def as_dict(self) -> dict[str, Any]:
        """The fields as a plain ``dict`` (JSON-ready apart from non-finite floats)."""
        return asdict(self)


@dataclass(frozen=True, eq=False)
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
        Without finite bounds ``frac_saturated`` is ``nan``.
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
    cover the finite elements; ``frac_nonfinite`` counts the others. The saturation band for
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
    >>> s.frac_saturated, s.frac_zero
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
        mean, std, finite = _exact_moments(flat)
        if not finite:
            mean, std, _ = _exact_moments(flat[np.isfinite(flat)]) if np.isfinite(
                flat).any() else (math.nan, math.nan, False)
        nonfinite = 0 if finite else int(n - np.count_nonzero(np.isfinite(flat)))
        zeros = int(np.count_nonzero(flat == 0))
        sat = math.nan
        if math.isfinite(lo) and math.isfinite(hi):
            band = mu * (hi - lo) / 2
            sat = (np.count_nonzero(flat < lo + band) + np.count_nonzero(flat > hi - band)) / n
        dead: int | None = None
        if arr.ndim >= 2:
            moved = np.moveaxis(arr == 0, unit, -1).reshape(-1, arr.shape[unit])
            dead = int(np.count_nonzero(moved.all(axis=0)))
        vmin, vmax = float(np.min(flat)), float(np.max(flat))
        var = std * std
    return Summary(size=n, mean=float(mean), std=float(std), var=float(var), min=vmin,
                   max=vmax, frac_zero=zeros / n, frac_nonfinite=nonfinite / n,
                   frac_saturated=float(sat), dead_units=dead)


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
    edges = _edges_from(func, bins, range, flat)
    with np.errstate(all="ignore"):
        counts, below, above, nan = _hist_counts(flat, edges)
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


def _edges_from(func: str, bins: object, rng: object, flat: Array) -> Array:
    if isinstance(bins, (int, np.integer)) and not isinstance(bins, bool):
        nb = check_int(func, "bins", bins, minimum=1)
        if rng is None:
            finite = flat[np.isfinite(flat)]
            lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
            if lo == hi:
                lo, hi = lo - 0.5, hi + 0.5
        else:
            if not (isinstance(rng, (tuple, list)) and len(rng) == 2):
                fail(func, "range", rng, "use a pair (low, high)", TypeError)
            lo = check_real(func, "range", rng[0])
            hi = check_real(func, "range", rng[1])
            if not lo < hi:
                fail(func, "range", rng, "use (low, high) with low < high")
        return np.linspace(lo, hi, nb + 1)
    try:
        edges = np.asarray(bins, dtype=np.float64)
    except (TypeError, ValueError):
        fail(func, "bins", bins, "use an int or an increasing sequence of edges", TypeError)
    if edges.ndim != 1 or edges.size < 2 or not np.all(np.isfinite(edges)) or not np.all(
            np.diff(edges) > 0):
        fail(func, "bins", bins, "use at least 2 finite, strictly increasing edges")
    return edges


# --------------------------------------------------------------------------------------------
# kernels (private to the package: used by the engine)


def _exact_moments(flat: Array) -> tuple[float, float, bool]:
    r"""``(mean, std, finite)`` of a 1-d array in float64, rescaled by :math:`\max|x|`.

    Two passes over float64 chunks. ``finite`` is False (and the moments nan) when any
    element is inf or nan.
    """
    n = flat.size
    if n == 0:
        return math.nan, math.nan, True
    with np.errstate(all="ignore"):
        vmax, vmin = float(np.max(flat)), float(np.min(flat))
    if not (math.isfinite(vmax) and math.isfinite(vmin)):
        return math.nan, math.nan, False
    m = max(abs(vmax), abs(vmin))
    if m == 0.0:
        return 0.0, 0.0, True
    buf = np.empty(min(n, _CHUNK))
    s1 = 0.0
    for i in range(0, n, _CHUNK):
        part = buf[: min(n - i, _CHUNK)]
        np.divide(flat[i:i + part.size], m, out=part, dtype=np.float64)
        s1 += float(np.add.reduce(part))
    ybar = s1 / n
    s2 = 0.0
    for i in range(0, n, _CHUNK):
        part = buf[: min(n - i, _CHUNK)]
        np.divide(flat[i:i + part.size], m, out=part, dtype=np.float64)
        np.subtract(part, ybar, out=part)
        s2 += float(np.dot(part, part))
    return ybar * m, m * math.sqrt(max(s2 / n, 0.0)), True



class _Workspace:
    """Scratch buffers reused across layers and probes (grown on demand)."""

    def __init__(self) -> None:
        self._ones: dict[tuple[int, str], Array] = {}
        self._bufs: dict[tuple[str, str], Array] = {}

    def ones(self, n: int, dtype: np.dtype[Any]) -> Array:
        key = (n, dtype.str)
        vec = self._ones.get(key)
        if vec is None:
            vec = self._ones[key] = np.ones(n, dtype=dtype)
        return vec

    def buffer(self, name: str, size: int, dtype: np.dtype[Any] | type) -> Array:
        dt = np.dtype(dtype)
        key = (name, dt.str)
        buf = self._bufs.get(key)
        if buf is None or buf.size < size:
            buf = self._bufs[key] = np.empty(size, dtype=dt)
        return buf[:size]


def _rowdot(rows: Array) -> Array:
    """Per-row sums of squares (vecdot on NumPy >= 2, else einsum)."""
    return _VECDOT(rows, rows) if _VECDOT is not None else np.einsum("ij,ij->i", rows, rows)


_VECDOT = getattr(np, "vecdot", None)


def _fast_moments(a: Array, ws: _Workspace) -> tuple[float, float, bool]:
    r"""``(mean, std, finite)`` of a C-contiguous 2-d float array.

    Per-row sums and sums of squares come from BLAS and ``vecdot`` (a matrix-vector product and
    a row-wise dot product, in the array's dtype over one row of at most a layer's width) and are
    added in float64. The result falls back to :func:`_exact_moments` when that could be
    inaccurate: non-finite partial sums (overflowing squares, or inf/nan data), a mean square
    so small that squares may have underflowed, or a variance below 1 % of the mean square
    (cancellation). Relative error otherwise: about 1e-7 in float32, 1e-15 in float64.
    Call it under ``np.errstate(all="ignore")`` (overflowing partial sums are expected).
    """
    rows = a.reshape(a.shape[0], -1) if a.ndim != 2 else a
    n = rows.size
    if n == 0:
        return math.nan, math.nan, True
    rs = rows @ ws.ones(rows.shape[1], rows.dtype)
    rq = _rowdot(rows)
    s1 = float(np.add.reduce(rs, dtype=np.float64))
    s2 = float(np.add.reduce(rq, dtype=np.float64))
    ms = s2 / n
    if math.isfinite(s1) and math.isfinite(s2) and ms >= _TINY_MS.get(rows.dtype, 1e-290):
        mean = s1 / n
        var = ms - mean * mean
        if var >= _CANCEL * ms:
            return mean, math.sqrt(var), True
    return _exact_moments(rows.reshape(-1))


def _dyadic_edges(lo: float, hi: float, max_bins: int = 128) -> Array:
    r"""Equal bins of width :math:`2^{-j}` (the finest with at most ``max_bins`` bins) covering
    ``[lo, hi]``, with edges on multiples of the width (exact fast counting)."""
    span = hi - lo
    j = math.floor(math.log2(max_bins / span))
    while True:
        w = 2.0 ** -j
        first = math.floor(lo / w) * w
        last = math.ceil(hi / w) * w
        nb = round((last - first) / w)
        if nb <= max_bins or j <= 0:
            break
        j -= 1
    return first + w * np.arange(nb + 1, dtype=np.float64)


def _dyadic_params(edges: Array) -> tuple[float, int] | None:
    """``(scale, base)`` when ``edges`` are equal bins of width 2**-j (j >= 0) starting on a
    multiple of the width and few enough for the uint8 fast path; else None."""
    nb = edges.size - 1
    if nb > _MAX_FAST_BINS:
        return None
    w = float(edges[1] - edges[0])
    if not w > 0:
        return None
    j = -math.log2(w)
    if j != round(j) or j < 0 or j > 60:
        return None
    scale = 2.0 ** round(j)
    base = float(edges[0]) * scale
    if base != round(base) or abs(base) > 2.0 ** 20:
        return None
    expected = (base + np.arange(nb + 1)) / scale
    if not np.array_equal(expected, edges):
        return None
    return scale, round(base)


def _hist_counts(flat: Array, edges: Array, ws: _Workspace | None = None,
                 finite: bool | None = None,
                 params: tuple[float, int] | bool | None = True) -> tuple[Array, int, int, int]:
    """Exact ``(counts, below, above, nan)`` of a 1-d float array on ``edges``.

    ``params`` may pass :func:`_dyadic_params` of ``edges`` precomputed (``True``: compute).
    """
    if params is True:
        params = _dyadic_params(edges)
    if finite is None:
        finite = bool(np.isfinite(flat).all()) if params else False
    if params and finite and flat.dtype in (np.float32, np.float64):
        assert isinstance(params, tuple)
        return _dyadic_counts(flat, edges, params, ws or _Workspace())
    nan_mask = np.isnan(flat)
    nans = int(np.count_nonzero(nan_mask))
    vals = flat[~nan_mask] if nans else flat
    below = int(np.count_nonzero(vals < edges[0]))
    above = int(np.count_nonzero(vals > edges[-1]))
    inside = vals[np.isfinite(vals)] if below or above else vals
    counts, _ = np.histogram(inside, bins=edges)
    return counts.astype(np.int64), below, above, nans


def _dyadic_counts(flat: Array, edges: Array, params: tuple[float, int],
                   ws: _Workspace) -> tuple[Array, int, int, int]:
    """Bin keys ``floor(x * 2**j)`` (exact) as bytes, counted two at a time by a bincount of
    the uint16 view (half the elements of a plain bincount)."""
    scale, base = params
    nb = edges.size - 1
    n = flat.size
    t = ws.buffer("hist_t", n, flat.dtype)
    np.multiply(flat, scale, out=t)          # exact: a power of two
    np.clip(t, base - 1, base + nb, out=t)   # integer bounds: commutes with floor
    size = n + (n & 1)
    keys = ws.buffer("hist_u8", size, np.uint8)
    if base - 1 >= -128 and base + nb <= 127:
        # keys base-1 (below) .. base+nb (above) fit an int8: floor straight into it
        np.floor(t, out=keys[:n].view(np.int8), casting="unsafe")
        index = (np.arange(base - 1, base + nb + 1) & 0xFF)
    else:
        np.floor(t, out=t)                   # exact
        np.subtract(t, base - 1, out=keys[:n], casting="unsafe")   # exact: small integers
        index = np.arange(nb + 2)
    if size != n:
        keys[n] = index[0]                   # padding: one extra "below", removed next
    pairs = np.bincount(keys.view(np.uint16), minlength=1 << 16).reshape(256, 256)
    tally = (pairs.sum(axis=0) + pairs.sum(axis=1))[index]
    tally[0] -= size - n
    counts = tally[1:nb + 1].astype(np.int64)
    below, above = int(tally[0]), int(tally[nb + 1])
    if above:  # the top edge itself belongs to the last bin, as in numpy.histogram
        on_top = int(np.count_nonzero(flat == edges[-1]))
        counts[-1] += on_top
        above -= on_top
    return counts, below, above, 0
