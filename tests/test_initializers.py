"""Initializers: distributions (statistically, false-failure rate 1e-6 per check), exact
structured values, dtypes, ``out``, zero-size shapes, reproducibility, classes and peers."""

from __future__ import annotations

import inspect
import json
import math
import random
import re
import tracemalloc

import numpy as np
import pytest
import scipy.integrate
import scipy.linalg
from hypothesis import given, settings
from scipy import stats

import initlab
from initlab.testing import (
    assert_distribution,
    assert_mean,
    assert_orthogonal,
    assert_variance,
    kurtosis_sparse,
)
from initlab.testing import strategies as ist

TN2 = 0.87962566103423978  # std of N(0, 1) truncated to [-2, 2]


def truncnorm(a, b, mean=0.0, std=1.0):
    return stats.truncnorm(a, b, loc=mean, scale=std)


# ---------------------------------------------------------------------------------------------
# distributions: (id, function, kwargs, shape, frozen scipy distribution)
# Variance targets are written from the papers' formulas, independently of the library.

CONV = (3, 3, 96, 128)  # Keras layout: fan_in 864, fan_out 1152, 110592 elements
CONV_T = (128, 96, 3, 3)  # the same in PyTorch's layout
FI, FO = 864, 1152

DISTRIBUTIONS = [
    ("normal", initlab.normal, {"mean": 0.5, "std": 2.0}, (400, 300), stats.norm(0.5, 2.0)),
    ("uniform", initlab.uniform, {"low": -1.0, "high": 3.0}, (400, 300),
     stats.uniform(-1.0, 4.0)),
    ("truncated_normal", initlab.truncated_normal,
     {"mean": 1.0, "std": 0.5, "lower": -1.0, "upper": 3.0}, (400, 300),
     truncnorm(-1.0, 3.0, 1.0, 0.5)),
    ("truncated_normal default", initlab.truncated_normal, {"std": 0.02}, (400, 300),
     truncnorm(-2, 2, 0, 0.02)),
    ("truncated_normal far tail", initlab.truncated_normal, {"lower": 3.0, "upper": 6.0},
     (400, 300), truncnorm(3.0, 6.0)),
    ("truncated_normal half", initlab.truncated_normal, {"lower": 0.0, "upper": math.inf},
     (400, 300), stats.halfnorm()),
    ("truncated_normal narrow", initlab.truncated_normal, {"lower": -0.1, "upper": 0.2},
     (400, 300), truncnorm(-0.1, 0.2)),
    ("vs fan_in truncated", initlab.variance_scaling, {"scale": 2.0}, CONV,
     truncnorm(-2, 2, 0, math.sqrt(2 / FI) / TN2)),
    ("vs fan_out normal", initlab.variance_scaling,
     {"mode": "fan_out", "distribution": "normal"}, CONV, stats.norm(0, math.sqrt(1 / FO))),
    ("vs fan_avg uniform", initlab.variance_scaling,
     {"scale": 3.0, "mode": "fan_avg", "distribution": "uniform"}, CONV,
     stats.uniform(-math.sqrt(9 / ((FI + FO) / 2)), 2 * math.sqrt(9 / ((FI + FO) / 2)))),
    ("vs fan_geo_avg untruncated", initlab.variance_scaling,
     {"mode": "fan_geo_avg", "distribution": "untruncated_normal"}, CONV,
     stats.norm(0, (FI * FO) ** -0.25)),
    ("xavier_uniform gain 2 torch", initlab.xavier_uniform, {"gain": 2.0, "layout": "torch"},
     CONV_T, stats.uniform(-2 * math.sqrt(6 / (FI + FO)), 4 * math.sqrt(6 / (FI + FO)))),
    ("xavier_normal", initlab.xavier_normal, {}, CONV, stats.norm(0, math.sqrt(2 / (FI + FO)))),
    ("kaiming_uniform default", initlab.kaiming_uniform, {}, CONV,
     stats.uniform(-math.sqrt(6 / FI), 2 * math.sqrt(6 / FI))),
    ("kaiming_uniform a=sqrt5 torch Linear", initlab.kaiming_uniform,
     {"a": math.sqrt(5), "layout": "torch"}, (500, 300),
     stats.uniform(-1 / math.sqrt(300), 2 / math.sqrt(300))),
    ("kaiming_normal fan_out relu", initlab.kaiming_normal,
     {"mode": "fan_out", "nonlinearity": "relu"}, CONV, stats.norm(0, math.sqrt(2 / FO))),
    ("kaiming_normal tanh", initlab.kaiming_normal, {"nonlinearity": "tanh"}, CONV,
     stats.norm(0, 5 / 3 / math.sqrt(FI))),
    ("kaiming_normal leaky 0.2 depthwise", initlab.kaiming_normal,
     {"a": 0.2, "layout": "torch", "groups": 64, "mode": "fan_out"}, (64, 1, 40, 40),
     stats.norm(0, math.sqrt(2 / 1.04 / 1600))),
    ("lecun_uniform", initlab.lecun_uniform, {}, CONV,
     stats.uniform(-math.sqrt(3 / FI), 2 * math.sqrt(3 / FI))),
    ("lecun_normal", initlab.lecun_normal, {}, CONV,
     truncnorm(-2, 2, 0, 1 / math.sqrt(FI) / TN2)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize(("fn", "kwargs", "shape", "dist"), [d[1:] for d in DISTRIBUTIONS],
                         ids=[d[0] for d in DISTRIBUTIONS])
def test_distribution(fn, kwargs, shape, dist, dtype):
    x = fn(shape, **kwargs, dtype=dtype, rng=20261124)
    assert x.shape == shape and x.dtype == dtype
    mean, var = float(dist.mean()), float(dist.var())
    kurtosis = float(dist.stats(moments="k")) + 3.0
    assert_mean(x, mean, math.sqrt(var))
    assert_variance(x, var, mean=mean, kurtosis=kurtosis)
    assert_distribution(x, dist)
    lo, hi = dist.support()  # bounds hold after rounding them to the dtype
    assert dtype(lo) <= x.min() and x.max() <= dtype(hi)


def test_truncated_values_never_leave_bounds_in_float32():
    # PyTorch < 2.12 produced 2000-sigma outliers for std=0.001 in float32 (pytorch#155588).
    for mean, std in [(0.0, 1e-3), (1.0, 1e-3), (-3.0, 0.7)]:
        x = initlab.truncated_normal((1 << 20,), mean=mean, std=std, rng=1)
        lo, hi = mean - 2 * std, mean + 2 * std
        assert float(x.min()) >= lo and float(x.max()) <= hi


def test_truncated_one_sided_and_far_bounds():
    x = initlab.truncated_normal((200_000,), lower=-math.inf, upper=-5.0, dtype=np.float64,
                                 rng=2)
    assert float(x.max()) <= -5.0
    dist = stats.truncnorm(-np.inf, -5.0)
    assert_mean(x, float(dist.mean()), float(dist.std()))
    assert_distribution(x, dist)


def test_sparse_distribution_and_exact_zero_counts():
    shape, s, std = (1000, 300), 0.5, 0.2
    x = initlab.sparse(shape, sparsity=s, std=std, layout="torch", rng=5, dtype=np.float64)
    zeros_per_column = (x == 0).sum(axis=0)
    assert set(zeros_per_column.tolist()) == {500}
    assert_mean(x, 0.0, std * math.sqrt(0.5))
    assert_variance(x, 0.5 * std**2, kurtosis=kurtosis_sparse(0.5))
    assert_distribution(x[x != 0], stats.norm(0, std))


@pytest.mark.parametrize(("sparsity", "n_out", "zeros"),
                         [(0.3, 10, 3), (0.1, 10, 1), (0.15, 10, 2), (0.0, 7, 0), (1.0, 7, 7),
                          (0.9, 100, 90), (1 / 3, 9, 3)])
def test_sparse_zero_count(sparsity, n_out, zeros):
    x = initlab.sparse((4, n_out), sparsity=sparsity, std=1.0, rng=0)  # in_out: rows = inputs
    assert ((x == 0).sum(axis=1) == zeros).all()


def test_sparse_mask_is_uniform_over_positions():
    # Each of 20 positions is zeroed with probability 5/20 in every column, independently.
    x = initlab.sparse((20, 20_000), sparsity=0.25, rng=9, layout="torch")
    counts = (x == 0).sum(axis=1)
    assert stats.chisquare(counts).pvalue > 1e-6


# ---------------------------------------------------------------------------------------------
# orthogonal


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize(("shape", "layout"), [
    ((64, 32), "in_out"), ((32, 64), "in_out"), ((50, 50), "out_in"), ((16, 8, 3, 3), "torch"),
    ((3, 3, 8, 16), "keras"), ((3, 3, 16, 200), "in_out"), ((1, 7), "in_out"), ((7, 1), "torch"),
])
def test_orthogonal(shape, layout, dtype):
    gain = 1.7
    w = initlab.orthogonal(shape, gain=gain, layout=layout, dtype=dtype, rng=3)
    assert w.shape == shape and w.dtype == dtype
    assert_orthogonal(w, gain=gain, layout=layout)
    rows = shape[0] if initlab.LAYOUTS[layout] == "out_in" else math.prod(shape[:-1])
    cols = math.prod(shape) // rows
    second = float(np.mean(w.astype(np.float64) ** 2))
    tol = {np.float64: 1e-12, np.float32: 1e-6, np.float16: 2e-3}[dtype]
    assert second == pytest.approx(gain**2 / max(rows, cols), rel=tol)


def test_orthogonal_flattening_matches_peers():
    # PyTorch: rows = shape[0]; Keras/JAX: columns = shape[-1].
    w = initlab.orthogonal((8, 2, 3), layout="torch", rng=0, dtype=np.float64)
    m = w.reshape(8, 6)
    assert np.allclose(m.T @ m, np.eye(6), atol=1e-12)
    v = initlab.orthogonal((2, 3, 8), rng=0, dtype=np.float64)
    m = v.reshape(6, 8)
    assert np.allclose(m @ m.T, np.eye(6), atol=1e-12)


def test_orthogonal_is_haar():
    # Haar on O(n): E tr Q = 0 and Var tr Q = 1; without the sign fix E tr Q = -1.60 at n = 8.
    # sqrt(n) Q_00 has the law of a coordinate of a uniform unit vector:
    # (Q_00 + 1) / 2 ~ Beta((n-1)/2, (n-1)/2).
    n, draws = 8, 4000
    g = np.random.default_rng(11)
    qs = np.stack([initlab.orthogonal((n, n), rng=g, dtype=np.float64) for _ in range(draws)])
    traces = np.trace(qs, axis1=1, axis2=2)
    assert_mean(traces, 0.0, 1.0)
    assert_variance(traces, 1.0, kurtosis=float(np.mean(traces**4)) / 1.0)
    assert_distribution((qs[:, 0, 0] + 1) / 2, stats.beta((n - 1) / 2, (n - 1) / 2))
    assert_distribution((qs[:, 3, 5] + 1) / 2, stats.beta((n - 1) / 2, (n - 1) / 2))


def test_orthogonal_refuses_vectors_and_regions():
    with pytest.raises(ValueError, match=r"orthogonal: shape=\(5,\) has 1 dimension"):
        initlab.orthogonal((5,))
    with pytest.raises(ValueError, match=r"orthogonal: region=.*not elementwise"):
        initlab.orthogonal((5, 5), region=(slice(0, 2),))


# ---------------------------------------------------------------------------------------------
# exact initializers


def test_eye_and_dirac_exact():
    assert np.array_equal(initlab.eye((2, 3), gain=2.0),
                          np.array([[2, 0, 0], [0, 2, 0]], np.float32))
    assert np.array_equal(initlab.eye((3, 2)), np.eye(3, 2, dtype=np.float32))
    assert initlab.identity is initlab.eye
    # torch.nn.init.dirac_(torch.empty(4, 2, 3), groups=2)[:, :, 1]
    w = initlab.dirac((4, 2, 3), groups=2, layout="torch")
    assert np.array_equal(w[:, :, 1], np.array([[1, 0], [0, 1], [1, 0], [0, 1]], np.float32))
    assert w[:, :, [0, 2]].sum() == 0
    # Keras layout (*k, in, out) is the PyTorch layout with the axes reversed.
    for shape, groups in [((6, 3, 5, 5), 2), ((8, 8, 3, 3, 3), 1), ((2, 5, 4), 1)]:
        torch_w = initlab.dirac(shape, groups=groups, layout="torch")
        keras_w = initlab.dirac(shape[::-1], groups=groups)
        assert np.array_equal(torch_w, keras_w.transpose(*reversed(range(len(shape)))))


def test_dirac_is_an_identity_convolution():
    from scipy.signal import correlate

    w = initlab.dirac((4, 4, 3, 3), layout="torch", dtype=np.float64)
    x = np.random.default_rng(0).standard_normal((4, 7, 7))
    y = np.stack([sum(correlate(x[i], w[o, i], mode="same") for i in range(4))
                  for o in range(4)])
    assert np.allclose(y, x)


def test_constants():
    assert np.array_equal(initlab.zeros((2, 2)), np.zeros((2, 2), np.float32))
    assert np.array_equal(initlab.ones((2,), dtype=np.float16), np.ones(2, np.float16))
    assert np.isnan(initlab.constant((2,), value=math.nan)).all()
    assert (initlab.constant((3,), value=-1.5, dtype=np.float64) == -1.5).all()


# ---------------------------------------------------------------------------------------------
# shapes with no elements: one rule for all (empty result, no warning, no division by zero)

ALL = [(name, getattr(initlab, name)) for name in initlab.INITIALIZERS]
NEEDS = {"constant": {"value": 1.0}, "sparse": {"sparsity": 0.5}}
EMPTY_SHAPES = {"eye": [(0, 0), (0, 4)], "dirac": [(0, 3, 3), (4, 0, 3, 3)],
                "sparse": [(0, 0), (5, 0)], "delta_orthogonal": [(3, 3, 0, 4), (0, 2, 5)],
                "conv_orthogonal": [(3, 3, 0, 4), (0, 0, 2, 5)],
                "hadamard_identity": [(0, 0), (0, 4), (4, 0)]}


@pytest.mark.parametrize(("name", "fn"), ALL, ids=[a[0] for a in ALL])
def test_zero_size(name, fn):
    for shape in EMPTY_SHAPES.get(name, [(0, 0), (0, 10), (3, 3, 0, 8)]):
        x = fn(shape, **NEEDS.get(name, {}), rng=0)
        assert x.shape == shape and x.size == 0 and x.dtype == np.float32


# ---------------------------------------------------------------------------------------------
# reproducibility and the RNG contract (SPEC 7)

SAMPLE_SHAPES = {"eye": (6, 5), "dirac": (4, 4, 3), "sparse": (6, 5),
                 "delta_orthogonal": (3, 3, 4, 6), "conv_orthogonal": (3, 3, 4, 6)}


def call(name, rng=0, **kw):
    return getattr(initlab, name)(SAMPLE_SHAPES.get(name, (6, 5)), **NEEDS.get(name, {}),
                                  rng=rng, **kw)


@pytest.mark.parametrize("name", initlab.INITIALIZERS)
def test_same_seed_same_bits_and_global_state_untouched(name):
    np.random.seed(123)  # noqa: NPY002 - the global state must stay untouched
    random.seed(123)
    np_state, py_state = np.random.get_state(), random.getstate()  # noqa: NPY002
    a, b = call(name, rng=7), call(name, rng=7)
    assert a.tobytes() == b.tobytes()
    assert a.tobytes() == call(name, rng=np.random.default_rng(7)).tobytes()
    after = np.random.get_state()  # noqa: NPY002
    assert all(np.array_equal(x, y) for x, y in zip(np_state, after, strict=True))
    assert random.getstate() == py_state


@pytest.mark.parametrize("name", ["normal", "uniform", "truncated_normal", "xavier_normal",
                                  "orthogonal", "sparse"])
def test_random_initializers_differ_by_seed_and_per_generator_call(name):
    assert call(name, rng=1).tobytes() != call(name, rng=2).tobytes()
    g = np.random.default_rng(3)
    assert call(name, rng=g).tobytes() != call(name, rng=g).tobytes()


@pytest.mark.parametrize("shape", [(1,), (10, 10), (1000, 1000)])
def test_generator_is_advanced_by_a_fixed_amount(shape):
    g, ref = np.random.default_rng(5), np.random.default_rng(5)
    initlab.normal(shape, rng=g)
    ref.bit_generator.advance(2)
    assert g.bit_generator.state == ref.bit_generator.state


def test_rng_none_gives_fresh_values():
    assert initlab.normal((8,)).tobytes() != initlab.normal((8,)).tobytes()


def test_float32_is_drawn_without_float64_temporaries():
    shape = (2048, 2048)  # 16 MiB of float32
    for fn in (initlab.normal, initlab.uniform, initlab.truncated_normal, initlab.he_normal):
        tracemalloc.start()
        x = fn(shape, rng=0, threads=2)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert x.dtype == np.float32
        assert peak < x.nbytes + (4 << 20), (fn.__name__, peak)


# ---------------------------------------------------------------------------------------------
# out=


@pytest.mark.parametrize("name", initlab.INITIALIZERS)
def test_out_is_filled_and_returned(name):
    shape = SAMPLE_SHAPES.get(name, (6, 5))
    expected = call(name, rng=4, dtype=np.float64)
    out = np.empty(shape, np.float64)
    assert call(name, rng=4, dtype=np.float64, out=out) is out
    assert out.tobytes() == expected.tobytes()
    # a non-contiguous view gets the same values
    big = np.zeros((shape[0], 2 * shape[1], *shape[2:]))
    view = big[:, ::2]
    assert call(name, rng=4, dtype=np.float64, out=view) is view
    assert np.array_equal(view, expected) and not big[:, 1::2].any()


def test_class_call_infers_dtype_from_out():
    out = np.zeros((3, 4), np.float64)
    assert initlab.HeNormal()((3, 4), out=out, rng=0) is out
    assert np.array_equal(out, initlab.he_normal((3, 4), dtype=np.float64, rng=0))


# ---------------------------------------------------------------------------------------------
# bad calls: (id, function, shape, kwargs, exception, fragments of the message)

SENTINEL = 7.25
BAD_CALLS = [
    ("normal negative std", initlab.normal, (3, 4), {"std": -1.0}, ValueError,
     ["normal: std=-1.0", ">= 0"]),
    ("normal nan mean", initlab.normal, (3, 4), {"mean": math.nan}, ValueError,
     ["mean=nan", "finite"]),
    ("normal std str", initlab.normal, (3, 4), {"std": "1"}, TypeError, ["std='1'"]),
    ("normal std bool", initlab.normal, (3, 4), {"std": True}, TypeError, ["std=True"]),
    ("normal float16 overflow", initlab.normal, (3, 4), {"std": 1e4, "dtype": np.float16},
     ValueError, ["std=10000.0", "overflow float16"]),
    ("uniform high < low", initlab.uniform, (3, 4), {"low": 1.0, "high": 0.0}, ValueError,
     ["uniform: high=0.0", "low=1.0"]),
    ("uniform float32 overflow", initlab.uniform, (3, 4), {"low": -3e38, "high": 3e38},
     ValueError, ["high=3e+38", "overflow float32"]),
    ("truncated bounds order", initlab.truncated_normal, (3, 4), {"lower": 1.0, "upper": 1.0},
     ValueError, ["truncated_normal: upper=1.0", "lower=1.0"]),
    ("truncated no mass", initlab.truncated_normal, (3, 4), {"lower": 40.0, "upper": 41.0},
     ValueError, ["lower=40.0", "probability"]),
    ("truncated nan bound", initlab.truncated_normal, (3, 4), {"upper": math.nan}, ValueError,
     ["upper=nan"]),
    ("vs scale zero", initlab.variance_scaling, (3, 4), {"scale": 0.0}, ValueError,
     ["variance_scaling: scale=0.0", "> 0"]),
    ("vs mode", initlab.variance_scaling, (3, 4), {"mode": "fan"}, ValueError,
     ["mode='fan'", "'fan_in', 'fan_out', 'fan_avg', 'fan_geo_avg'"]),
    ("vs distribution", initlab.variance_scaling, (3, 4), {"distribution": "gaussian"},
     ValueError, ["distribution='gaussian'", "'truncated_normal'"]),
    ("vs 1-d", initlab.variance_scaling, (5,), {}, ValueError,
     ["shape=(5,) has 1 dimension", "in_axis"]),
    ("vs groups", initlab.variance_scaling, (3, 3, 4, 6), {"groups": 4}, ValueError,
     ["groups=4", "divide"]),
    ("xavier gain zero", initlab.xavier_uniform, (3, 4), {"gain": 0.0}, ValueError,
     ["xavier_uniform: gain=0.0"]),
    ("xavier layout", initlab.xavier_normal, (3, 4), {"layout": "nhwc"}, ValueError,
     ["layout='nhwc'", "'in_out', 'out_in'"]),
    ("kaiming mode", initlab.kaiming_normal, (3, 4), {"mode": "fan"}, ValueError,
     ["kaiming_normal: mode='fan'"]),
    ("kaiming nonlinearity", initlab.kaiming_uniform, (3, 4), {"nonlinearity": "swishy"},
     ValueError, ["kaiming_uniform: nonlinearity='swishy'", "'relu'"]),
    ("kaiming a", initlab.kaiming_uniform, (3, 4), {"a": "0"}, TypeError, ["a='0'"]),
    ("lecun in_axis", initlab.lecun_normal, (3, 4), {"in_axis": 5}, ValueError,
     ["lecun_normal: in_axis=5", "[-2, 2)"]),
    ("orthogonal gain", initlab.orthogonal, (3, 4), {"gain": math.inf}, ValueError,
     ["orthogonal: gain=inf"]),
    ("eye 3-d", initlab.eye, (3, 4, 5), {}, ValueError, ["eye: shape=(3, 4, 5)", "2-d"]),
    ("dirac 2-d", initlab.dirac, (3, 4), {}, ValueError, ["dirac: shape=(3, 4)", "3-, 4- or 5-d"]),
    ("dirac groups", initlab.dirac, (3, 3, 5), {"groups": 2, "layout": "torch"}, ValueError,
     ["dirac: groups=2", "divide"]),
    ("sparse sparsity", initlab.sparse, (3, 4), {"sparsity": 1.5}, ValueError,
     ["sparse: sparsity=1.5", "[0, 1]"]),
    ("sparse 3-d", initlab.sparse, (3, 4, 5), {"sparsity": 0.5}, ValueError, ["2-d"]),
    ("constant overflow", initlab.constant, (3, 4), {"value": 1e300}, ValueError,
     ["constant: value=1e+300", "float32"]),
    ("dtype int", initlab.normal, (3, 4), {"dtype": np.int32}, TypeError,
     ["normal: dtype=<class 'numpy.int32'>", "float16, float32 or float64"]),
    ("dtype bool", initlab.zeros, (3, 4), {"dtype": bool}, TypeError, ["dtype="]),
    ("dtype object", initlab.he_normal, (3, 4), {"dtype": object}, TypeError, ["dtype="]),
    ("dtype complex", initlab.orthogonal, (3, 4), {"dtype": np.complex64}, TypeError,
     ["dtype="]),
    ("rng negative", initlab.normal, (3, 4), {"rng": -1}, ValueError, ["rng=-1", "Generator"]),
    ("rng RandomState", initlab.normal, (3, 4), {"rng": np.random.RandomState(0)}, TypeError,
     ["rng=", "numpy.random.Generator"]),
    ("rng float", initlab.uniform, (3, 4), {"rng": 1.5}, TypeError, ["rng=1.5"]),
    ("threads zero", initlab.normal, (3, 4), {"threads": 0}, ValueError, ["threads=0", ">= 1"]),
    ("region too long", initlab.normal, (3, 4), {"region": (0, 0, 0)}, ValueError,
     ["region=(0, 0, 0)"]),
    ("region index", initlab.normal, (3, 4), {"region": (5,)}, ValueError,
     ["region=(5,)", "out of range"]),
    ("region step 0", initlab.normal, (3, 4), {"region": (slice(0, 2, 0),)}, ValueError,
     ["step cannot be zero"]),
    ("region sparse", initlab.sparse, (3, 4), {"sparsity": 0.5, "region": (0,)}, ValueError,
     ["sparse: region=", "not elementwise"]),
    ("negative shape", initlab.uniform, (3, -4), {}, ValueError, ["uniform: shape=(3, -4)"]),
    ("float shape", initlab.uniform, (3, 4.0), {}, TypeError, ["shape=(3, 4.0)"]),
    ("hadamard_identity rank 3", initlab.hadamard_identity, (2, 3, 3), {}, ValueError,
     ["hadamard_identity: shape=(2, 3, 3)", "2-d"]),
    ("hadamard_identity layout", initlab.hadamard_identity, (2, 3), {"layout": "nchw"},
     ValueError, ["layout='nchw'", "in_out"]),
    ("hadamard_identity rng", initlab.hadamard_identity, (2, 2), {"rng": -1}, ValueError,
     ["rng=-1"]),
    ("log_arange start 0", initlab.log_arange, (2, 3), {"start": 0}, ValueError,
     ["log_arange: start=0", ">= 1"]),
    ("log_arange start float", initlab.log_arange, (2, 3), {"start": 1.5}, TypeError,
     ["start=1.5"]),
    ("log_arange scalar shape", initlab.log_arange, (), {}, ValueError,
     ["shape=()", "at least one axis"]),
    ("isplu high < low", initlab.inverse_softplus_log_uniform, (3,),
     {"low": 0.1, "high": 0.01}, ValueError, ["high=0.01", "low=0.1"]),
    ("isplu low 0", initlab.inverse_softplus_log_uniform, (3,), {"low": 0.0, "high": 0.1},
     ValueError, ["low=0.0"]),
    ("isplu floor < 0", initlab.inverse_softplus_log_uniform, (3,),
     {"low": 0.001, "high": 0.1, "floor": -1.0}, ValueError, ["floor=-1.0"]),
    ("isplu float16 overflow", initlab.inverse_softplus_log_uniform, (3,),
     {"low": 1.0, "high": 1e6, "dtype": np.float16}, ValueError, ["high=1000000.0",
                                                                  "overflow float16"]),
    ("isplu rng str", initlab.inverse_softplus_log_uniform, (3,),
     {"low": 0.001, "high": 0.1, "rng": "a"}, TypeError, ["rng='a'"]),
]


@pytest.mark.parametrize(("fn", "shape", "kwargs", "exc", "fragments"),
                         [b[1:] for b in BAD_CALLS], ids=[b[0] for b in BAD_CALLS])
def test_bad_calls(fn, shape, kwargs, exc, fragments):
    dims = tuple(d if isinstance(d, int) and d >= 0 else 3 for d in shape)
    dtype = kwargs.get("dtype", np.float32)
    out_dtype = dtype if np.dtype(dtype).kind == "f" else np.float32
    out = np.full(dims if "region" not in kwargs else (1,), SENTINEL, out_dtype)
    out_kw = {} if "region" in kwargs or np.dtype(dtype).kind != "f" else {"out": out}
    with pytest.raises(exc) as info:
        fn(shape, **kwargs, **out_kw)
    message = str(info.value)
    assert message.startswith(f"{fn.__name__}: "), message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert "; " in message, message  # the accepted values follow
    assert (out == SENTINEL).all()


def test_out_mismatch_leaves_out_untouched():
    out = np.full((3, 4), SENTINEL, np.float32)
    for kw, exc, fragment in [({"shape": (4, 3)}, ValueError, "its shape must be (4, 3)"),
                              ({"dtype": np.float64}, TypeError, "dtype=float64")]:
        with pytest.raises(exc, match=fragment.replace("(", r"\(").replace(")", r"\)")):
            initlab.normal(kw.get("shape", (3, 4)), dtype=kw.get("dtype", np.float32), out=out)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        initlab.normal((3, 4), out=out)
    with pytest.raises(TypeError, match=r"numpy\.ndarray"):
        initlab.normal((3, 4), out=[0.0] * 12)
    assert (out == SENTINEL).all()


def test_bad_call_does_not_advance_the_generator():
    g = np.random.default_rng(0)
    before = g.bit_generator.state
    with pytest.raises(ValueError):
        initlab.he_normal((3, 3, 8, 6), groups=4, rng=g)  # fails on the shape, after the key?
    assert g.bit_generator.state == before


# ---------------------------------------------------------------------------------------------
# property tests over shapes, layouts and parameters


@settings(max_examples=150, derandomize=True, deadline=None)
@given(ist.initializer_cases(max_side=6, max_size=600), ist.rng_arguments())
def test_every_case_runs_and_repeats(case, rng):
    name, shape, config = case
    fn = getattr(initlab, name)
    seed = 17 if rng is None or not isinstance(rng, int) else rng
    x = fn(shape, **config, rng=seed)
    assert x.shape == shape and x.dtype == np.float32 and np.isfinite(x).all()
    assert fn(shape, **config, rng=seed).tobytes() == x.tobytes()
    init = initlab.get({"class_name": name, "config": config})
    assert init(shape, rng=seed).tobytes() == x.tobytes()
    expected_mean, second = initlab.expected_moments(init, shape) if x.size else (0.0, 0.0)
    assert math.isfinite(expected_mean) and second >= 0


@settings(max_examples=100, derandomize=True, deadline=None)
@given(ist.shapes_and_fan_arguments(max_dims=4, max_size=2000))
def test_variance_scaling_bounds_follow_the_fans(case):
    shape, fan_kwargs = case
    if math.prod(shape) == 0:
        return
    fans = initlab.compute_fans(shape, **fan_kwargs)
    x = initlab.variance_scaling(shape, scale=1.5, mode="fan_out", distribution="uniform",
                                 **fan_kwargs, dtype=np.float64, rng=1)
    assert float(np.abs(x).max()) <= math.sqrt(3 * 1.5 / fans.fan_out)
    assert initlab.expected_moments(
        initlab.VarianceScaling(scale=1.5, mode="fan_out", **fan_kwargs), shape
    ) == (0.0, pytest.approx(1.5 / fans.fan_out))


# ---------------------------------------------------------------------------------------------
# classes, get, serialize

CLASS_CASES = [
    (initlab.Zeros(), (3, 4)),
    (initlab.Constant(value=0.25), (3, 4)),
    (initlab.Normal(mean=1.0, std=0.5), (3, 4)),
    (initlab.Uniform(low=-2, high=2), (3, 4)),
    (initlab.TruncatedNormal(std=0.02, lower=-3.0, upper=1.0), (3, 4)),
    (initlab.VarianceScaling(scale=2.0, mode="fan_avg", distribution="uniform",
                             in_axis=(0,), out_axis=[2], batch_axis=1), (3, 2, 5)),
    (initlab.GlorotUniform(gain=1.5, layout="torch"), (3, 4)),
    (initlab.HeNormal(a=0.1, mode="fan_out", nonlinearity="leaky_relu", groups=2), (3, 4)),
    (initlab.LecunUniform(transposed=True), (3, 4)),
    (initlab.Orthogonal(gain=0.5, layout="torch"), (3, 4)),
    (initlab.Identity(gain=2.0), (3, 4)),
    (initlab.Dirac(groups=2), (3, 3, 2)),
    (initlab.Sparse(sparsity=0.25, std=0.1), (3, 4)),
]


@pytest.mark.parametrize(("init", "shape"), CLASS_CASES, ids=[type(c[0]).__name__ for c in
                                                              CLASS_CASES])
def test_class_round_trips(init, shape):
    text = json.dumps(initlab.serialize(init))
    again = initlab.get(json.loads(text))
    assert again == init and type(again) is type(init)
    assert again.get_config() == init.get_config()
    assert type(init).from_config(init.get_config()) == init
    assert eval(repr(init), vars(initlab)) == init
    assert hash(again) == hash(init)
    fn = type(init).function
    assert init(shape, rng=5).tobytes() == fn(shape, **init.get_config(), rng=5).tobytes()


def test_aliases_are_the_same_objects():
    pairs = [(initlab.glorot_uniform, initlab.xavier_uniform),
             (initlab.glorot_normal, initlab.xavier_normal),
             (initlab.he_uniform, initlab.kaiming_uniform),
             (initlab.he_normal, initlab.kaiming_normal), (initlab.identity, initlab.eye),
             (initlab.XavierUniform, initlab.GlorotUniform),
             (initlab.XavierNormal, initlab.GlorotNormal),
             (initlab.KaimingUniform, initlab.HeUniform),
             (initlab.KaimingNormal, initlab.HeNormal), (initlab.Identity, initlab.Eye)]
    for a, b in pairs:
        assert a is b


@pytest.mark.parametrize(("name", "cls"), [
    ("he_normal", "HeNormal"), ("kaiming_normal", "HeNormal"), ("HeNormal", "HeNormal"),
    ("KaimingUniform", "HeUniform"), ("glorot_uniform", "GlorotUniform"),
    ("xavier_normal", "GlorotNormal"), ("lecun_normal", "LecunNormal"),
    ("orthogonal", "Orthogonal"), ("identity", "Eye"), ("eye", "Eye"), ("zeros", "Zeros"),
    ("truncated_normal", "TruncatedNormal"), ("random_normal", "Normal"),
    ("variance_scaling", "VarianceScaling"), ("dirac", "Dirac"),
])
def test_get_by_name(name, cls):
    assert type(initlab.get(name)).__name__ == cls


def test_get_passes_through_objects_and_callables():
    init = initlab.HeNormal()
    assert initlab.get(init) is init
    assert initlab.get(initlab.he_normal) is initlab.he_normal

    def mine(shape, *, dtype=None, rng=None, out=None):
        return np.zeros(shape)

    assert initlab.get(mine) is mine


@pytest.mark.parametrize(("identifier", "exc", "fragment"), [
    ("he_norml", ValueError, "get: identifier='he_norml'"),
    (3, TypeError, "get: identifier=3"),
    (None, TypeError, "identifier=None"),
    ({"config": {}}, TypeError, "'class_name'"),
    ({"class_name": "HeNormal", "config": {"mode": "x"}}, ValueError, "HeNormal: mode='x'"),
    ({"class_name": "HeNormal", "config": {"slope": 2}}, TypeError, "HeNormal: slope=2"),
    ({"class_name": "HeNormal", "config": {"gain": [2]}}, TypeError, "HeNormal: gain=[2]"),
    ({"class_name": "HeNormal", "config": {"gain": 0}}, ValueError, "HeNormal: gain=0"),
    ({"class_name": "HeNormal", "config": {"gain": "exakt"}}, ValueError, "gain='exakt'"),
    ({"class_name": "HeNormal", "config": [1]}, TypeError, "config=[1]"),
    ({"class_name": "HeNormal", "extra": 1}, ValueError, "'class_name' and 'config'"),
    ("constant", TypeError, "Constant: missing required argument 'value'"),
])
def test_get_errors(identifier, exc, fragment):
    with pytest.raises(exc) as info:
        initlab.get(identifier)
    assert fragment in str(info.value)


def test_serialize():
    assert initlab.serialize(initlab.he_normal) == initlab.serialize(initlab.HeNormal())
    assert initlab.serialize(initlab.Zeros()) == {"class_name": "Zeros", "config": {}}
    with pytest.raises(TypeError, match="serialize: initializer="):
        initlab.serialize(lambda shape: shape)
    with pytest.raises(TypeError, match="Constant"):
        initlab.serialize(initlab.constant)


def test_objects_hold_no_randomness():
    init = initlab.Normal()
    assert init((5,), rng=1).tobytes() == init((5,), rng=1).tobytes()
    g = np.random.default_rng(1)
    assert init((5,), rng=g).tobytes() != init((5,), rng=g).tobytes()


def test_class_docstrings_reference_the_function():
    for name in initlab.INITIALIZERS:
        cls = type(initlab.get({"class_name": name, "config": NEEDS.get(name, {})}))
        assert f":func:`{name}`" in cls.__doc__
        assert "References" in cls.__doc__ and "Examples" in cls.__doc__


# ---------------------------------------------------------------------------------------------
# peer parity: hand-computed values of PyTorch, Keras and JAX formulas


def test_peer_parity_bounds():
    n = 200_000
    x = initlab.kaiming_uniform((n, 10), layout="torch", rng=0)  # torch default: U(+-sqrt(6/10))
    assert float(np.abs(x).max()) == pytest.approx(math.sqrt(0.6), rel=1e-4)
    x = initlab.kaiming_uniform((10, n), a=math.sqrt(5), rng=0)  # nn.Linear: U(+-1/sqrt(10))
    assert float(np.abs(x).max()) == pytest.approx(1 / math.sqrt(10), rel=1e-4)
    x = initlab.xavier_uniform((n, 10), gain=initlab.calculate_gain("tanh"), rng=0)
    assert float(np.abs(x).max()) == pytest.approx(5 / 3 * math.sqrt(6 / (n + 10)), rel=1e-4)
    x = initlab.lecun_normal((10, n), rng=0)  # Keras/JAX: cut at 2 sigma', sigma' = .../0.8796
    assert float(np.abs(x).max()) == pytest.approx(2 / math.sqrt(10) / TN2, rel=1e-3)
    assert initlab.TRUNCATED_NORMAL_STD == pytest.approx(float(stats.truncnorm(-2, 2).std()),
                                                         rel=1e-15)


# ---------------------------------------------------------------------------------------------
# gain="exact" and nonlinearity=<any activation>


def test_kaiming_takes_any_activation_and_exact_gains():
    exact_tanh = initlab.gain("tanh")
    assert exact_tanh == pytest.approx(1.592537, abs=1e-6)
    shape = (400, 300)
    _, m_torch = initlab.expected_moments(initlab.HeNormal(nonlinearity="tanh"), shape)
    _, m_exact = initlab.expected_moments(initlab.HeNormal(nonlinearity="tanh", gain="exact"),
                                          shape)
    assert m_torch == pytest.approx((5 / 3) ** 2 / 400, rel=1e-12)
    assert m_exact == pytest.approx(exact_tanh**2 / 400, rel=1e-12)
    # PyTorch raises for gelu; here it is the exact gain 1.5335 (theory.md table)
    w = initlab.kaiming_normal(shape, nonlinearity="gelu", rng=0, dtype=np.float64)
    assert_variance(w, 1.533530**2 / 400)
    init = initlab.HeUniform(nonlinearity="silu", gain="exact")
    assert initlab.get(json.loads(json.dumps(initlab.serialize(init)))) == init


@pytest.mark.parametrize("fn", [initlab.xavier_uniform, initlab.xavier_normal,
                                initlab.orthogonal])
def test_exact_gain_with_nonlinearity(fn):
    shape = (300, 200)
    w = fn(shape, gain="exact", nonlinearity="gelu", rng=1, dtype=np.float64)
    ref = fn(shape, gain=initlab.gain("gelu"), rng=1, dtype=np.float64)
    assert np.allclose(w, ref, rtol=1e-12, atol=0)
    with pytest.raises(ValueError, match=r"gain='exact' needs nonlinearity"):
        fn(shape, gain="exact")
    with pytest.raises(ValueError, match=r"nonlinearity='gelu' is not used with a numeric gain"):
        fn(shape, nonlinearity="gelu")
    with pytest.raises(ValueError, match=r"gain='exakt'"):
        fn(shape, gain="exakt", nonlinearity="gelu")
    with pytest.raises(ValueError, match=r"nonlinearity='swishy'"):
        fn(shape, gain="exact", nonlinearity="swishy")


# ---------------------------------------------------------------------------------------------
# one meaning of gain: a number, or 'exact' with nonlinearity= (kaiming takes a number too)


@pytest.mark.parametrize("fn", [initlab.kaiming_normal, initlab.kaiming_uniform])
def test_kaiming_takes_a_numeric_gain(fn):
    shape = (400, 300)
    w = fn(shape, gain=1.3, rng=0, dtype=np.float64)
    assert_variance(w, 1.3**2 / 400)
    # the same bits as variance_scaling with scale = gain**2 and the same distribution
    dist = "normal" if fn is initlab.kaiming_normal else "uniform"
    ref = initlab.variance_scaling(shape, scale=1.3**2, distribution=dist, rng=0,
                                   dtype=np.float64)
    assert np.array_equal(w, ref)
    init = initlab.get({"class_name": fn.__name__, "config": {"gain": 1.3, "mode": "fan_out"}})
    assert init.get_config()["gain"] == 1.3
    assert eval(repr(init), vars(initlab)) == init
    assert initlab.expected_moments(init, shape) == (0.0, 1.3**2 / 300)
    # the default still comes from nonlinearity and a, exactly as PyTorch
    assert initlab.expected_moments(initlab.HeNormal(a=0.2), shape)[1] == pytest.approx(
        2 / 1.04 / 400, rel=1e-15)


@pytest.mark.parametrize(("kwargs", "exc", "fragment"), [
    ({"gain": 1.3, "nonlinearity": "tanh"}, ValueError,
     "nonlinearity='tanh' is not used with a numeric gain"),
    ({"gain": 1.3, "a": 0.2}, ValueError, "a=0.2 is not used with a numeric gain"),
    ({"gain": -1.0}, ValueError, "gain=-1.0"),
    ({"gain": "pytorch"}, ValueError, "gain='pytorch'"),
    ({"gain": True}, TypeError, "gain=True"),
])
def test_kaiming_numeric_gain_errors(kwargs, exc, fragment):
    out = np.full((4, 3), SENTINEL, np.float32)
    with pytest.raises(exc, match=re.escape(f"kaiming_normal: {fragment}")):
        initlab.kaiming_normal((4, 3), out=out, **kwargs)
    assert (out == SENTINEL).all()


def test_every_old_gain_spelling_still_works():
    shape = (30, 20)
    for fn in (initlab.xavier_uniform, initlab.xavier_normal, initlab.orthogonal):
        assert np.array_equal(fn(shape, rng=0), fn(shape, gain=1.0, rng=0))
        fn(shape, gain=2, rng=0)
        fn(shape, gain="exact", nonlinearity="tanh", rng=0)
    for fn in (initlab.kaiming_uniform, initlab.kaiming_normal):
        assert np.array_equal(fn(shape, rng=0), fn(shape, gain=None, rng=0))
        fn(shape, nonlinearity="tanh", gain="exact", rng=0)
        fn(shape, a=0.1, nonlinearity="leaky_relu", rng=0)
    initlab.eye((3, 3), gain=2.0)


# ---------------------------------------------------------------------------------------------
# bad inputs of issue 9: shapes too large for memory, std=0


@pytest.mark.parametrize(("fn", "shape", "kwargs"), [
    (initlab.normal, (10**6, 10**6), {}),
    (initlab.zeros, (2**62,), {}),
    (initlab.ones, (2**62,), {"dtype": np.float64}),
    (initlab.uniform, (2**64, 2), {}),  # beyond NumPy's own dimension limit
    (initlab.he_normal, (10**6, 10**6), {}),
    (initlab.orthogonal, (10**6, 10**6), {}),
    (initlab.eye, (10**6, 10**6), {}),
    (initlab.sparse, (10**6, 10**6), {"sparsity": 0.5}),
    (initlab.dirac, (10**4, 10**4, 100), {}),
])
def test_too_large_for_memory_raises_before_allocating(fn, shape, kwargs):
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"shape=\(.*\) is too large; an array of .* needs "
                           r"\d+ bytes") as info:
            fn(shape, **kwargs)
        assert tracemalloc.get_traced_memory()[1] < 10**7
    finally:
        tracemalloc.stop()
    need = math.prod(shape) * np.dtype(kwargs.get("dtype", np.float32)).itemsize
    assert str(need) in str(info.value) and info.value.args[0].startswith(fn.__name__)


def test_too_large_shapes_still_give_regions_and_classes_check_too():
    w = initlab.normal((10**6, 10**6), rng=0, region=(5, slice(0, 4)))
    assert w.shape == (4,)
    with pytest.raises(ValueError, match="HeNormal: shape="):
        initlab.HeNormal()((10**6, 10**6))


@pytest.mark.parametrize("fn", [initlab.normal, initlab.truncated_normal])
@pytest.mark.parametrize("mean", [0.0, -0.0, 1.5])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_std_zero_returns_the_mean_exactly(fn, mean, dtype):
    w = fn((300, 7), mean=mean, std=0.0, rng=3, dtype=dtype)
    assert (w == mean).all()
    assert (np.signbit(w) == (math.copysign(1.0, mean) < 0)).all()  # no mix of +0.0 and -0.0
    part = fn((300, 7), mean=mean, std=0.0, rng=3, dtype=dtype, region=(slice(5, 9),))
    assert np.array_equal(part, w[5:9]) and (np.signbit(part) == np.signbit(w[5:9])).all()
    # a Generator advances as for any other std
    g1, g2 = np.random.default_rng(1), np.random.default_rng(1)
    fn((3,), std=0.0, rng=g1)
    fn((3,), std=1.0, rng=g2)
    assert g1.random() == g2.random()


# ---------------------------------------------------------------------------------------------
# everything that lists initializers derives from their declarations


def test_classes_and_names_come_from_the_declarations():
    from initlab.initializers._core import DECLARATIONS

    assert initlab.INITIALIZERS == tuple(d.name for d in DECLARATIONS.values())
    for decl in DECLARATIONS.values():
        cls = getattr(initlab, decl.class_name)
        assert cls.function is decl.function is getattr(initlab, decl.name)
        assert cls is initlab.get({"class_name": decl.name, "config": decl.example}).__class__
        sig = inspect.signature(decl.function).parameters
        config = [n for n, p in sig.items() if p.kind is p.KEYWORD_ONLY
                  and n not in ("dtype", "rng", "out", "threads", "region")]
        assert list(inspect.signature(cls).parameters) == config
        for alias in decl.aliases:
            assert type(initlab.get({"class_name": alias, "config": decl.example})) is cls


# ---------------------------------------------------------------------------------------------
# orthogonal(batch_axis=...): one Haar matrix per batch index (issue 10)


@pytest.mark.parametrize(("shape", "batch_axis", "layout", "block"), [
    ((4, 32, 24), 0, "torch", (32, 24)),  # an LSTM weight (4H, in) as (4, H, in)
    ((4, 16, 40), 0, "in_out", (16, 40)),  # wide blocks
    ((24, 3, 32), 1, "in_out", (24, 32)),  # batch axis in the middle
    ((2, 3, 20, 12), (0, 1), "torch", (20, 12)),
    ((5, 6, 2, 3), (1,), "out_in", (5, 2, 3)),  # a 3-d block flattened by the layout
])
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_orthogonal_batch_axis_gives_one_orthogonal_matrix_per_block(shape, batch_axis, layout,
                                                                     block, gain):
    w = initlab.orthogonal(shape, batch_axis=batch_axis, layout=layout, gain=gain, rng=0)
    axes = (batch_axis,) if isinstance(batch_axis, int) else batch_axis
    blocks = np.moveaxis(w, axes, range(len(axes))).reshape(-1, *block)
    assert blocks.shape[0] == math.prod(shape[a] for a in axes)
    for b in blocks:
        rows = b.shape[0] if layout in ("torch", "out_in") else math.prod(b.shape[:-1])
        m = b.reshape(rows, -1)
        small = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
        assert np.abs(small / gain**2 - np.eye(small.shape[0])).max() <= 1e-5
    assert not np.allclose(blocks[0], blocks[1])  # independent draws
    assert initlab.expected_moments(
        initlab.Orthogonal(batch_axis=batch_axis, layout=layout, gain=gain), shape) == (
        0.0, gain**2 / max(m.shape))


def test_orthogonal_without_batch_axis_is_unchanged_and_blocks_are_haar():
    # batch_axis=() is the single-matrix draw (the same-bits test pins the digests)
    a = initlab.orthogonal((30, 20), rng=4)
    assert np.array_equal(a, initlab.orthogonal((30, 20), batch_axis=(), rng=4))
    # each block is Haar: one entry of an n x n Haar matrix, (x + 1) / 2, is
    # Beta((n-1)/2, (n-1)/2) (a coordinate of a uniform point on the sphere); one entry per
    # block gives independent samples for a KS test
    n = 16
    w = initlab.orthogonal((4096, n, n), batch_axis=0, rng=1, dtype=np.float64)
    for i, j in ((0, 0), (5, 9)):
        assert_distribution((w[:, i, j] + 1) / 2, stats.beta((n - 1) / 2, (n - 1) / 2))


@pytest.mark.parametrize(("kwargs", "exc", "fragment"), [
    ({"batch_axis": 3}, ValueError, "orthogonal: batch_axis=3"),
    ({"batch_axis": "0"}, TypeError, "orthogonal: batch_axis='0'"),
    ({"batch_axis": (0, 1)}, ValueError, "besides batch_axis"),
    ({"batch_axis": (0, 0)}, ValueError, "batch_axis=(0, 0)"),
])
def test_orthogonal_batch_axis_errors(kwargs, exc, fragment):
    out = np.full((4, 3, 5), SENTINEL, np.float32)
    with pytest.raises(exc, match=re.escape(fragment)):
        initlab.orthogonal((4, 3, 5), out=out, **kwargs)
    assert (out == SENTINEL).all()


# ---------------------------------------------------------------------------------------------
# delta_orthogonal (JAX's semantics) and conv_orthogonal (Xiao et al. 2018, Algorithm 2)

CONV_SHAPES = [(3, 8, 8), (5, 4, 9), (3, 3, 6, 10), (4, 4, 5, 5), (2, 2, 2, 4, 4),
               (3, 3, 3, 2, 7), (1, 3, 5)]


def _to_torch(shape):  # (*k, in, out) -> (out, in, *k)
    return (shape[-1], shape[-2], *shape[:-2])


@pytest.mark.parametrize("shape", CONV_SHAPES)
@pytest.mark.parametrize("gain", [1.0, 0.5])
def test_delta_orthogonal_is_zero_but_an_orthogonal_centre(shape, gain):
    w = initlab.delta_orthogonal(shape, gain=gain, rng=2)
    centre = tuple((k - 1) // 2 for k in shape[:-2])  # JAX: (k - 1) // 2
    h = w[centre]
    assert w.dtype == np.float32 and h.shape == shape[-2:]
    assert np.abs(h @ h.T / gain**2 - np.eye(shape[-2])).max() <= 1e-5
    rest = w.copy()
    rest[centre] = 0
    assert not rest.any()
    # the centre is orthogonal((in, out)) of the same seed; 'out_in' holds its transpose
    assert np.array_equal(h, initlab.orthogonal(shape[-2:], gain=gain, rng=2))
    wt = initlab.delta_orthogonal(_to_torch(shape), gain=gain, layout="torch", rng=2)
    assert np.array_equal(wt, np.moveaxis(w, (-1, -2), (0, 1)))
    m2 = gain**2 * shape[-2] / math.prod(shape)
    assert initlab.expected_moments(initlab.DeltaOrthogonal(gain=gain), shape) == (0.0, m2)


def _circular_conv(x, w):
    """y[p] = sum_t x[p + t] @ w[t], indices modulo the input size (circular padding)."""
    d = w.ndim - 2
    y = np.zeros((*x.shape[:d], w.shape[-1]), np.float64)
    for t in np.ndindex(*w.shape[:d]):
        y += np.roll(x, tuple(-i for i in t), axis=tuple(range(d))) @ w[t].astype(np.float64)
    return y


@pytest.mark.parametrize("shape", CONV_SHAPES)
def test_conv_orthogonal_circular_convolution_preserves_norms(shape):
    gain = 1.7
    w = initlab.conv_orthogonal(shape, gain=gain, rng=3)
    assert w.dtype == np.float32
    g = np.random.default_rng(11)
    spatial = tuple(k + 4 + i for i, k in enumerate(shape[:-2]))
    for _ in range(5):
        x = g.standard_normal((*spatial, shape[-2]))
        ratio = np.linalg.norm(_circular_conv(x, w)) / np.linalg.norm(x)
        assert abs(ratio / gain - 1) <= 1e-4
    # the same kernel in PyTorch's layout, and the exact total of squares
    wt = initlab.conv_orthogonal(_to_torch(shape), gain=gain, layout="torch", rng=3)
    assert np.array_equal(wt, np.moveaxis(w, (-1, -2), (0, 1)))
    w64 = initlab.conv_orthogonal(shape, gain=gain, rng=3, dtype=np.float64)
    assert float((w64**2).sum()) == pytest.approx(gain**2 * shape[-2], rel=1e-12)


def test_conv_orthogonal_uses_every_tap_and_varies_with_the_seed():
    a = initlab.conv_orthogonal((3, 3, 8, 8), rng=0, dtype=np.float64)
    assert all(np.abs(a[t]).max() > 0 for t in np.ndindex(3, 3))
    assert not np.array_equal(a, initlab.conv_orthogonal((3, 3, 8, 8), rng=1,
                                                         dtype=np.float64))
    # kernel size 1 is the orthogonal matrix of the rows alone
    one = initlab.conv_orthogonal((1, 4, 6), rng=0)[0]
    assert np.abs(one @ one.T - np.eye(4)).max() <= 1e-5


@pytest.mark.parametrize(("fn", "shape", "kwargs", "fragment"), [
    (initlab.delta_orthogonal, (3, 4), {}, "shape=(3, 4) has 2 dimensions"),
    (initlab.delta_orthogonal, (3, 3, 3, 3, 3, 3), {}, "3-, 4- or 5-d"),
    (initlab.delta_orthogonal, (3, 3, 5, 4), {}, "use in <= out"),  # JAX: fan_in <= fan_out
    (initlab.delta_orthogonal, (4, 5, 3, 3), {"layout": "torch"}, "use in <= out"),
    (initlab.delta_orthogonal, (3, 2, 3), {"gain": "exakt"}, "gain='exakt'"),
    (initlab.conv_orthogonal, (3, 2, 4, 6), {}, "equal kernel sizes"),  # as TensorFlow
    (initlab.conv_orthogonal, (3, 5, 4), {}, "use in <= out"),
    (initlab.conv_orthogonal, (3, 4), {}, "3-, 4- or 5-d"),
    (initlab.conv_orthogonal, (3, 2, 3), {"region": (0,)}, "not elementwise"),
])
def test_delta_and_conv_orthogonal_errors(fn, shape, kwargs, fragment):
    with pytest.raises(ValueError, match=re.escape(fragment)) as info:
        fn(shape, **kwargs)
    assert str(info.value).startswith(f"{fn.__name__}: ")


@pytest.mark.slow  # imports and compiles jax
def test_delta_orthogonal_centre_matches_jax_draws():
    jax = pytest.importorskip("jax")
    n, shape = 2000, (3, 3, 4, 6)
    init = jax.nn.initializers.delta_orthogonal()
    keys = jax.random.split(jax.random.key(0), n)
    theirs = np.asarray(jax.vmap(lambda k: init(k, shape, jax.numpy.float32))(keys))
    ours = np.stack([initlab.delta_orthogonal(shape, rng=s) for s in range(n)])
    for i, j in ((0, 0), (3, 5)):  # one entry per draw: independent samples
        a, b = ours[:, 1, 1, i, j], theirs[:, 1, 1, i, j]
        assert stats.ks_2samp(a, b).pvalue > 1e-6
        # and both follow the law of one entry of a Haar row: (x + 1) / 2 ~ Beta(5/2, 5/2)
        for sample in (a, b):
            assert_distribution((sample.astype(np.float64) + 1) / 2, stats.beta(2.5, 2.5))
    assert not np.delete(theirs.reshape(n, 9, 4, 6), 4, axis=1).any()  # JAX: zero off-centre


def test_parameters_added_later_stay_out_of_old_configs_and_reprs():
    # repr() and get_config() of objects made before fans= and batch_axis= existed are
    # unchanged (saved configs, the lab's reports); set, they are written and round-trip
    assert "fans" not in initlab.HeNormal().get_config() and "fans" not in repr(initlab.Zeros())
    assert "batch_axis" not in repr(initlab.Orthogonal())
    for init in (initlab.HeNormal(fans="torch"), initlab.Orthogonal(batch_axis=0),
                 initlab.VarianceScaling(fans="torch")):
        config = json.loads(json.dumps(initlab.serialize(init)))["config"]
        assert "fans" in config or "batch_axis" in config
        assert initlab.get(initlab.serialize(init)) == init == eval(repr(init), vars(initlab))


# ---------------------------------------------------------------------------------------------
# the initializers of published recipes (initializers/special.py)


@pytest.mark.parametrize("shape", [(10, 784), (784, 784), (1024, 784), (1000, 10), (3, 2),
                                   (1, 1), (5, 3)])
def test_hadamard_identity_is_zero_algorithm_1(shape):
    # ZerO, Algorithm 1 (example_mnist.ipynb, ZerO_Init_on_matrix), on the (out, in) matrix
    m, n = shape
    if m <= n:
        ref = np.eye(m, n)
    else:
        p = 2 ** math.ceil(math.log2(m))
        ref = scipy.linalg.hadamard(p)[:m, :n] / math.sqrt(p)
    w = initlab.hadamard_identity(shape, layout="torch", dtype=np.float64)
    np.testing.assert_array_equal(w, ref)
    np.testing.assert_array_equal(initlab.hadamard_identity((n, m), dtype=np.float64), ref.T)
    w32 = initlab.hadamard_identity(shape, layout="torch")
    np.testing.assert_array_equal(w32, ref.astype(np.float32))  # rounded once
    if n < m <= 128:  # the point of the Hadamard block: the widening layer is injective
        assert np.linalg.matrix_rank(w) == n


def test_hadamard_identity_regions_and_rng():
    full = initlab.hadamard_identity((40, 24), layout="torch")
    for region in [(slice(3, 30, 4), slice(None)), (7, slice(2, 20)), (slice(5, 9), 11),
                   (np.s_[::-1], np.s_[::3])]:
        np.testing.assert_array_equal(
            initlab.hadamard_identity((40, 24), layout="torch", region=region), full[region])
    assert initlab.hadamard_identity((6, 5), rng=1).tobytes() == \
        initlab.hadamard_identity((6, 5), rng=2).tobytes()  # deterministic


def test_log_arange_values_regions_and_reference():
    w = initlab.log_arange((5, 16), dtype=np.float64)
    np.testing.assert_array_equal(w, np.log(np.tile(np.arange(1.0, 17.0), (5, 1))))
    w3 = initlab.log_arange((2, 3, 4), start=3)
    np.testing.assert_array_equal(w3, np.broadcast_to(np.log(np.arange(3.0, 7.0)), (2, 3, 4))
                                  .astype(np.float32))
    for region in [(1, slice(2, 9)), (slice(0, 5, 2), 7), (slice(None), np.s_[::-2])]:
        np.testing.assert_array_equal(initlab.log_arange((5, 16), region=region),
                                      initlab.log_arange((5, 16))[region])
    # against PyTorch's float32 log of the reference (mamba_simple.py:104-110): within 1 ulp,
    # tests/test_recipes.py::test_mamba_a_log_and_dt_bias_match_the_reference


@pytest.mark.parametrize(("low", "high", "floor"), [(0.001, 0.1, 1e-4), (1e-6, 1e-3, 1e-4),
                                                    (0.01, 0.01, 0.0), (0.5, 20.0, 0.0)])
def test_inverse_softplus_log_uniform(low, high, floor):
    n, seed = 200_000, 11
    b = initlab.inverse_softplus_log_uniform((n,), low=low, high=high, floor=floor,
                                             dtype=np.float64, rng=seed)
    dt = np.logaddexp(0.0, b)  # softplus
    lo = max(low, floor)
    assert dt.min() >= lo * (1 - 1e-12) and dt.max() <= max(high, floor) * (1 + 1e-12)
    # the same uniform as initlab.uniform in float64, transformed as mamba_simple.py:91-99
    u = initlab.uniform((n,), low=math.log(low), high=math.log(high), dtype=np.float64,
                        rng=seed)
    d = np.maximum(np.exp(u), floor)
    np.testing.assert_array_equal(b, d + np.log(-np.expm1(-d)))
    if low < high and floor <= low:  # log Δ ~ U[log low, log high]
        assert_distribution(np.log(dt), "uniform", loc=math.log(low),
                            scale=math.log(high) - math.log(low))
    # float32 is the float64 result rounded once; regions are slices of the whole
    b32 = initlab.inverse_softplus_log_uniform((n,), low=low, high=high, floor=floor, rng=seed)
    np.testing.assert_array_equal(b32, b.astype(np.float32))
    np.testing.assert_array_equal(initlab.inverse_softplus_log_uniform(
        (n,), low=low, high=high, floor=floor, rng=seed, region=(slice(70_000, 70_100),)),
        b32[70_000:70_100])
    # expected_moments against an independent quadrature, then the sample's variance
    mean, second = initlab.expected_moments(
        initlab.InverseSoftplusLogUniform(low=low, high=high, floor=floor), (n,))
    m = _isplu_moments(low, high, floor)
    assert mean == pytest.approx(m[0], rel=1e-9, abs=1e-15)
    assert second == pytest.approx(m[1], rel=1e-9)
    var = m[1] - m[0] ** 2
    if var > 1e-12 * m[1]:
        c4 = m[3] - 4 * m[2] * m[0] + 6 * m[1] * m[0] ** 2 - 3 * m[0] ** 4  # E(W - μ)^4
        assert_variance(b, var, mean=m[0], kurtosis=c4 / var ** 2)
    else:
        np.testing.assert_allclose(b, mean, rtol=1e-15)


def _isplu_moments(low, high, floor):
    """E W^k, k = 1..4, by quadrature over log Δ (split at the floor)."""
    a, c = math.log(low), math.log(high)
    if a == c:
        d = max(low, floor)
        v = d + math.log(-math.expm1(-d))
        return [v ** k for k in range(1, 5)]

    def w(u):
        d = max(math.exp(u), floor)
        return d + math.log(-math.expm1(-d))

    cut = min(max(math.log(floor), a), c) if floor > 0 else a
    return [(w(a) ** k * (cut - a) + scipy.integrate.quad(
        lambda u, k=k: w(u) ** k, cut, c, epsabs=0, epsrel=1e-13, limit=500)[0]) / (c - a)
        for k in range(1, 5)]


def test_inverse_softplus_log_uniform_floor_clamps():
    # dt_init_floor above dt_min: every Δ below it is raised to it (mamba_simple.py:96)
    b = initlab.inverse_softplus_log_uniform((10_000,), low=1e-6, high=1e-3, floor=1e-4,
                                             dtype=np.float64, rng=0)
    dt = np.logaddexp(0.0, b)
    assert dt.min() == pytest.approx(1e-4, rel=1e-9)
    # P(Δ = floor) = P(u < log 1e-4) = (log 1e-4 - log 1e-6)/(log 1e-3 - log 1e-6) = 2/3
    assert stats.binomtest(int(np.sum(dt == dt.min())), dt.size, 2 / 3).pvalue > 1e-6
