"""Tests of initlab.stats: describe, histogram and the engine's float64 kernels."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pytest

import initlab
from initlab import stats
from initlab._moments import dyadic_edges, exact_moments, fast_moments, hist_counts
from initlab._workspace import Workspace


def test_describe_matches_numpy_in_float64() -> None:
    x = np.random.default_rng(0).standard_normal((300, 40)).astype(np.float32) * 3 + 1
    s = stats.describe(x)
    x64 = x.astype(np.float64)
    assert s.size == x.size
    assert s.mean == pytest.approx(x64.mean(), rel=1e-12)
    assert s.std == pytest.approx(x64.std(), rel=1e-12)
    assert s.var == pytest.approx(x64.var(), rel=1e-12)
    assert (s.min, s.max) == (float(x.min()), float(x.max()))
    assert s.zero_frac == 0 and s.nonfinite_frac == 0 and s.dead_units == 0
    assert math.isnan(s.sat_frac)
    assert set(s.as_dict()) >= {"mean", "std", "dead_units"}


def test_describe_saturation_zero_and_dead_units() -> None:
    h = np.tanh(np.array([[0.0, 5.0, -5.0], [0.0, 0.1, 2.0], [0.0, -3.0, 0.5]]))
    s = stats.describe(h, bounds=(-1, 1))
    # |h| > 0.99 <=> |z| > atanh(0.99) = 2.647
    assert s.sat_frac == pytest.approx(3 / 9)
    assert s.zero_frac == pytest.approx(3 / 9)
    assert s.dead_units == 1
    sig = stats.describe(np.array([0.001, 0.004, 0.006, 0.5, 0.996]), bounds=(0, 1))
    assert sig.sat_frac == pytest.approx(3 / 5)     # < 0.005 or > 0.995
    assert stats.describe(np.zeros((2, 3)), unit_axis=0).dead_units == 2


def test_describe_accepts_an_activation_for_bounds() -> None:
    import initlab

    s = stats.describe(np.array([0.995, 0.0]), bounds=initlab.activation("tanh"))
    assert s.sat_frac == 0.5


@pytest.mark.parametrize("dtype, scale", [(np.float32, 1e30), (np.float64, 1e200),
                                          (np.float64, 1e-200), (np.float32, 1e-30)])
def test_describe_is_safe_for_huge_and_tiny_values(dtype: Any, scale: float) -> None:
    base = np.random.default_rng(1).standard_normal(10_000)
    x = (base * scale).astype(dtype)
    s = stats.describe(x)
    exact = np.std(base) * scale
    assert math.isfinite(s.std)
    assert s.std == pytest.approx(exact, rel=1e-5 if dtype == np.float32 else 1e-10)
    assert s.mean == pytest.approx(np.mean(base) * scale, rel=1e-3)


def test_numpy_std_overflows_where_describe_does_not() -> None:
    """theory.md E7: a float32 np.std returns inf once the squares pass 3.4e38."""
    x = np.random.default_rng(0).standard_normal(1000).astype(np.float32) * np.float32(1e24)
    with np.errstate(over="ignore"):
        assert np.isinf(np.std(x))
    assert stats.describe(x).std == pytest.approx(1e24, rel=0.1)


def test_describe_with_nonfinite_values() -> None:
    x = np.array([1.0, 2.0, 3.0, np.inf, np.nan])
    s = stats.describe(x)
    assert s.nonfinite_frac == pytest.approx(0.4)
    assert s.mean == pytest.approx(2.0) and s.std == pytest.approx(math.sqrt(2 / 3))
    assert math.isnan(s.max)
    only_bad = stats.describe(np.array([np.nan, np.inf]))
    assert math.isnan(only_bad.mean) and only_bad.nonfinite_frac == 1.0


def test_describe_integers_and_bools() -> None:
    assert stats.describe([1, 2, 3]).mean == 2.0
    assert stats.describe(np.array([True, False])).zero_frac == 0.5


@pytest.mark.parametrize("call, exc, words", [
    (lambda: stats.describe([]), ValueError, "non-empty"),
    (lambda: stats.describe(["a"]), TypeError, "x="),
    (lambda: stats.describe([1.0], margin=2), ValueError, "margin"),
    (lambda: stats.describe([1.0], bounds=(1, 0)), ValueError, "bounds"),
    (lambda: stats.describe([1.0], bounds="tanh"), TypeError, "bounds"),
    (lambda: stats.describe(np.ones((2, 2)), unit_axis=3), ValueError, "unit_axis"),
    (lambda: stats.histogram([1.0], bins=0), ValueError, "bins"),
    (lambda: stats.histogram([1.0], bins=[0.0, 0.0]), ValueError, "bins"),
    (lambda: stats.histogram([1.0], bins=[0.0, np.inf]), ValueError, "bins"),
    (lambda: stats.histogram([1.0], bins="auto"), TypeError, "bins"),
    (lambda: stats.histogram([1.0], 4, range=(1, 0)), ValueError, "range"),
    (lambda: stats.histogram([1.0], 4, range=3), TypeError, "range"),
], ids=["empty", "strings", "margin", "bounds-order", "bounds-type", "unit-axis", "bins-0",
        "bins-flat", "bins-inf", "bins-str", "range-order", "range-type"])
def test_bad_arguments(call: Any, exc: type[Exception], words: str) -> None:
    with pytest.raises(exc, match=words) as info:
        call()
    assert str(info.value).startswith(("describe:", "histogram:"))


# --------------------------------------------------------------------------------------------
# histograms


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("edges", [
    dyadic_edges(-1.0, 1.0),                 # fast path, tanh default
    dyadic_edges(0.0, 4.0),                  # fast path, relu default
    np.linspace(-2.5, 2.5, 37),               # not dyadic: numpy path
    np.array([-3.0, -0.1, 0.0, 0.2, 1.0, 7.0]),
], ids=["tanh", "relu", "linspace", "irregular"])
def test_histogram_equals_numpy(dtype: Any, edges: np.ndarray) -> None:
    gen = np.random.default_rng(2)
    x = (gen.standard_normal(20_001) * 1.3).astype(dtype)     # odd size on purpose
    x[:50] = edges[-1]                                        # the closed top edge
    x[50:100] = edges[0]
    x[100:110] = edges[len(edges) // 2]                       # exactly on an inner edge
    h = stats.histogram(x, edges)
    expected, _ = np.histogram(x, bins=edges)
    np.testing.assert_array_equal(h.counts, expected)
    assert h.below == np.sum(x < edges[0]) and h.above == np.sum(x > edges[-1])
    assert h.total == x.size and h.nan == 0


def test_histogram_counts_nan_and_infinities() -> None:
    x = np.array([np.nan, -np.inf, np.inf, 0.5, 0.25, 2.0])
    h = stats.histogram(x, [0.0, 0.5, 1.0])
    assert h.counts.tolist() == [1, 1] and (h.below, h.above, h.nan) == (1, 2, 1)
    assert h.centers.tolist() == [0.25, 0.75]
    assert h.as_dict()["counts"] == [1, 1]


def test_histogram_default_range() -> None:
    h = stats.histogram(np.array([1.0, 2.0, 3.0, np.nan]), 2)
    assert h.edges.tolist() == [1.0, 2.0, 3.0] and h.counts.tolist() == [1, 2]
    flat = stats.histogram(np.array([5.0, 5.0]), 3)
    assert flat.counts.sum() == 2


def test_dyadic_fast_path_is_exact_near_edges() -> None:
    """Values one ulp either side of every edge land in the right bin (no rounding)."""
    edges = dyadic_edges(-1.0, 1.0)
    assert edges.size == 129 and edges[1] - edges[0] == 2.0 ** -6
    for dtype in (np.float32, np.float64):
        e = edges.astype(dtype)
        x = np.concatenate([np.nextafter(e, dtype(-2)), e, np.nextafter(e, dtype(2))])
        counts, below, above, _ = hist_counts(x.astype(dtype), edges)
        expected, _ = np.histogram(x, bins=edges)
        np.testing.assert_array_equal(counts, expected)
        assert below == 1 and above == 1


def test_dyadic_edges() -> None:
    for lo, hi in [(-1, 1), (0, 1), (-4, 4), (-1.7581, 4), (-0.17, 4), (0, 4), (-3, 0.1)]:
        e = dyadic_edges(lo, hi)
        assert e[0] <= lo and e[-1] >= hi and e.size - 1 <= 128
        w = e[1] - e[0]
        assert math.log2(w) == round(math.log2(w))
        np.testing.assert_array_equal(np.diff(e), w)


# --------------------------------------------------------------------------------------------
# engine kernels


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, loc, scale", [
    ((2000, 256), 0.0, 1.0), ((7, 3), 0.4, 0.6), ((500, 100), 0.0, 1e-12),
    ((64, 64), 1e3, 1.0),       # |mean| >> std: the fallback avoids cancellation
    ((16, 256), 0.0, 1e30),
])
def test_fast_moments(dtype: Any, shape: tuple[int, int], loc: float, scale: float) -> None:
    gen = np.random.default_rng(3)
    a = (gen.standard_normal(shape) * scale + loc).astype(dtype)
    with np.errstate(all="ignore"):     # the engine calls it under errstate too
        mean, std, finite = fast_moments(a, Workspace())
    a64 = a.astype(np.float64)
    assert finite
    rel = 1e-5 if dtype == np.float32 else 1e-12
    assert std == pytest.approx(a64.std(), rel=rel)
    assert mean == pytest.approx(a64.mean(), rel=1e-6, abs=1e-6 * a64.std())


def test_fast_moments_fall_back_for_underflowing_squares() -> None:
    a = np.full((4, 4), 1e-25, dtype=np.float32)
    a[0, 0] = 3e-25
    _, std, _ = fast_moments(a, Workspace())
    assert std == pytest.approx(a.astype(np.float64).std(), rel=1e-6)


def test_exact_moments_flags_nonfinite() -> None:
    assert exact_moments(np.array([1.0, np.inf]))[2] is False
    assert exact_moments(np.zeros(5)) == (0.0, 0.0, True)
    mean, std, ok = exact_moments(np.array([1e300, -1e300]))
    assert ok and mean == 0.0 and std == pytest.approx(1e300)


# --------------------------------------------------------------------------------------------
# notebook surface and field names


def test_summary_repr_is_short_and_has_html() -> None:
    x = np.random.default_rng(0).standard_normal((50, 7)) / 3
    s = stats.describe(x, bounds=(-1, 1))
    text = repr(s)
    assert text.startswith("Summary(size=350, mean=")
    numbers = re.findall(r"=(-?[0-9.]+(?:e[-+][0-9]+)?)", text)
    assert numbers and all(len(n.split("e")[0].strip("-").replace(".", "").lstrip("0")) <= 4
                           for n in numbers), text
    assert s.std == pytest.approx(float(np.std(x)), rel=1e-12)   # attributes keep every digit
    html = s._repr_html_()
    assert html.startswith("<table") and "<th>zero_frac</th>" in html and "</table>" in html


def test_summary_old_field_names_warn() -> None:
    s = stats.describe(np.array([[0.0, 1.0], [0.0, 0.5]]), bounds=(0, 1))
    for old, new in [("frac_zero", "zero_frac"), ("frac_nonfinite", "nonfinite_frac"),
                     ("frac_saturated", "sat_frac")]:
        with pytest.warns(DeprecationWarning, match=f"Summary.{old} is deprecated; use "
                          f"Summary.{new}"):
            assert getattr(s, old) == getattr(s, new)
    assert set(s.as_dict()) >= {"zero_frac", "nonfinite_frac", "sat_frac"}


def test_summary_and_report_share_the_saturation_and_zero_fields() -> None:
    """One saturation band and one name: describe() of a layer's activations equals the
    report's sat_frac and zero_frac."""
    net = initlab.MLP([16, 16], activation="tanh", init="normal", rng=0)
    x = np.random.default_rng(1).standard_normal((32, 16))
    rep = net.probe(x, rng=0)
    h = np.tanh(np.asarray(x, dtype=np.float32) @ net.weights[0])
    s = stats.describe(h, bounds=net.activations[0])
    assert s.sat_frac == rep["sat_frac"][0] and s.zero_frac == rep["zero_frac"][0]


def test_histogram_repr_is_short_and_plots() -> None:
    h = stats.histogram(np.random.default_rng(0).standard_normal(100_000), 200,
                        range=(-3, 3))
    text = repr(h)
    assert text.startswith("Histogram(200 bins on [-3, 3], ") and "array" not in text
    assert len(text) < 100
    pytest.importorskip("matplotlib")
    ax = h.plot()
    assert len(ax.patches) == 1 and ax.get_ylabel() == "fraction"
    assert "outside" in ax.texts[0].get_text()
    from matplotlib.figure import Figure

    given = Figure().subplots()
    assert h.plot(ax=given) is given
