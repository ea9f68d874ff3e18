"""Float64 moments, histogram counts and saturation of arrays (internal kernels shared by
:mod:`initlab.stats` and the engine's per-layer recorder): they avoid temporaries and passes
over the data, because they run on every layer of every probe."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._validate import check_int, check_real, fail
from ._workspace import Workspace

Array = NDArray[Any]

CHUNK = 1 << 16  # elements per float64 chunk in the exact paths (512 KiB)
#: Below this mean square the fast path's squares may have lost precision to underflow.
TINY_MS = {np.dtype(np.float32): 1e-30, np.dtype(np.float64): 1e-290}
#: The fast path is used only when var >= CANCEL * mean square (no catastrophic cancellation).
CANCEL = 1e-2
MAX_FAST_BINS = 253  # bins + below + above must fit in a uint8, leaving 255 as padding


def edges_from(func: str, bins: object, rng: object, flat: Array) -> Array:
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




def exact_moments(flat: Array) -> tuple[float, float, bool]:
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
    buf = np.empty(min(n, CHUNK))
    s1 = 0.0
    for i in range(0, n, CHUNK):
        part = buf[: min(n - i, CHUNK)]
        np.divide(flat[i:i + part.size], m, out=part, dtype=np.float64)
        s1 += float(np.add.reduce(part))
    ybar = s1 / n
    s2 = 0.0
    for i in range(0, n, CHUNK):
        part = buf[: min(n - i, CHUNK)]
        np.divide(flat[i:i + part.size], m, out=part, dtype=np.float64)
        np.subtract(part, ybar, out=part)
        s2 += float(np.dot(part, part))
    return ybar * m, m * math.sqrt(max(s2 / n, 0.0)), True



def rowdot(rows: Array) -> Array:
    """Per-row sums of squares (vecdot on NumPy >= 2, else einsum)."""
    return VECDOT(rows, rows) if VECDOT is not None else np.einsum("ij,ij->i", rows, rows)


VECDOT = getattr(np, "vecdot", None)


def fast_moments(a: Array, ws: Workspace) -> tuple[float, float, bool]:
    r"""``(mean, std, finite)`` of a C-contiguous 2-d float array.

    Per-row sums and sums of squares come from BLAS and ``vecdot`` (a matrix-vector product and
    a row-wise dot product, in the array's dtype over one row of at most a layer's width) and are
    added in float64. The result falls back to :func:`exact_moments` when that could be
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
    rq = rowdot(rows)
    s1 = float(np.add.reduce(rs, dtype=np.float64))
    s2 = float(np.add.reduce(rq, dtype=np.float64))
    ms = s2 / n
    if math.isfinite(s1) and math.isfinite(s2) and ms >= TINY_MS.get(rows.dtype, 1e-290):
        mean = s1 / n
        var = ms - mean * mean
        if var >= CANCEL * ms:
            return mean, math.sqrt(var), True
    return exact_moments(rows.reshape(-1))


def dyadic_edges(lo: float, hi: float, max_bins: int = 128) -> Array:
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


def dyadic_params(edges: Array) -> tuple[float, int] | None:
    """``(scale, base)`` when ``edges`` are equal bins of width 2**-j (j >= 0) starting on a
    multiple of the width and few enough for the uint8 fast path; else None."""
    nb = edges.size - 1
    if nb > MAX_FAST_BINS:
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


def hist_counts(flat: Array, edges: Array, ws: Workspace | None = None,
                 finite: bool | None = None,
                 params: tuple[float, int] | bool | None = True) -> tuple[Array, int, int, int]:
    """Exact ``(counts, below, above, nan)`` of a 1-d float array on ``edges``.

    ``params`` may pass :func:`dyadic_params` of ``edges`` precomputed (``True``: compute).
    """
    if params is True:
        params = dyadic_params(edges)
    if finite is None:
        finite = bool(np.isfinite(flat).all()) if params else False
    if params and finite and flat.dtype in (np.float32, np.float64):
        assert isinstance(params, tuple)
        return dyadic_counts(flat, edges, params, ws or Workspace())
    nan_mask = np.isnan(flat)
    nans = int(np.count_nonzero(nan_mask))
    vals = flat[~nan_mask] if nans else flat
    below = int(np.count_nonzero(vals < edges[0]))
    above = int(np.count_nonzero(vals > edges[-1]))
    inside = vals[np.isfinite(vals)] if below or above else vals
    counts, _ = np.histogram(inside, bins=edges)
    return counts.astype(np.int64), below, above, nans


def dyadic_counts(flat: Array, edges: Array, params: tuple[float, int],
                   ws: Workspace) -> tuple[Array, int, int, int]:
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


def saturated(values: Array, low: float, high: float, margin: float,
              mask: Array | None = None) -> int:
    r"""Number of ``values`` within ``margin`` of the half-range of a bound:
    :math:`x < a + \mu\,(b-a)/2` or :math:`x > b - \mu\,(b-a)/2` (``mask``: a bool scratch
    array of the same shape, to avoid allocating)."""
    band = margin * (high - low) / 2
    if mask is None:
        return int(np.count_nonzero(values < low + band) + np.count_nonzero(values > high - band))
    count = np.count_nonzero(np.less(values, low + band, out=mask))
    count += np.count_nonzero(np.greater(values, high - band, out=mask))
    return int(count)
