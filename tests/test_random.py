"""The block scheme (thread and shard invariance) and the samplers (exactness, tails)."""

from __future__ import annotations

import math
import threading
import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import initlab
from initlab import _blocks as R
from initlab._workspace import Workspace
from initlab.testing import assert_distribution, assert_mean, assert_variance

F32_EPS = float(np.finfo(np.float32).eps)


def test_box_muller_matches_a_float64_reference_from_the_same_uniforms():
    n = 1 << 16
    z = np.empty(n, np.float32)
    R.standard_normal(np.random.default_rng(4), z, Workspace())
    g = np.random.default_rng(4)
    u = g.random(n // 2)
    words = g.bit_generator.random_raw(n // 4).astype("<u8").view("<u4")
    v = (words >> 8).astype(np.float64) * 2.0**-24
    radius = np.sqrt(-2.0 * np.log1p(-u))
    ref = np.concatenate([radius * np.cos(2 * np.pi * v), radius * np.sin(2 * np.pi * v)])
    r2 = np.concatenate([radius, radius])
    # float32 log/sqrt/sin/cos: a few ulp; the angle float32(2 pi) * v in float32: within
    # one ulp of an angle below 2 pi, 4.8e-7 rad.
    error = np.abs(z - ref)
    assert (error <= 8 * F32_EPS * np.abs(ref) + 4.8e-7 * r2 + 1e-30).all(), error.max()


class _Extreme:
    """A generator stand-in whose uniforms sit at the edges of [0, 1)."""

    def __init__(self, value: float) -> None:
        self.value = value
        self.bit_generator = self

    def random(self, dtype=np.float64, out=None):
        out[...] = self.value
        return out

    def random_raw(self, size):  # both 32-bit halves give k = value * 2**24
        k = np.uint64(int(self.value * 2**24) << 8)
        return np.full(size, k | (k << np.uint64(32)), dtype=np.uint64)


@pytest.mark.parametrize(("u", "radius"), [
    (1 - 2.0**-53, math.sqrt(2 * 53 * math.log(2))),  # the largest value: 8.57 std
    (1 - 2.0**-40, math.sqrt(2 * 40 * math.log(2))),  # 7.45 std: beyond float32 uniforms
    (2.0**-40, math.sqrt(2 * 2.0**-40)),  # near 0: relative precision kept
    (0.0, 0.0),
])
def test_box_muller_radius_reaches_the_tails_exactly(u, radius):
    z = np.empty(2, np.float32)
    fake = _Extreme(u)
    R.standard_normal(fake, z, Workspace())  # angle = 2 pi u, so cos ~ 1 for tiny u
    expected = radius * np.array([math.cos(2 * math.pi * u), math.sin(2 * math.pi * u)])
    # the angle 2 pi u is rounded to float32 (u itself too): an absolute error up to
    # 5e-7 radius
    assert np.allclose(z, expected, rtol=8 * F32_EPS, atol=5e-7 * radius + 1e-45)


def test_odd_sizes_and_float64():
    ws = Workspace()
    for n in (1, 3, 65535):
        z = np.empty(n, np.float32)
        R.standard_normal(np.random.default_rng(0), z, ws)
        assert np.isfinite(z).all()
    z = np.empty(5)
    R.standard_normal(np.random.default_rng(0), z, ws)
    assert np.array_equal(z, np.random.default_rng(0).standard_normal(5))  # NumPy's ziggurat


# ---------------------------------------------------------------------------------------------
# the block scheme


ELEMENTWISE = ["normal", "uniform", "truncated_normal", "variance_scaling", "xavier_uniform",
               "xavier_normal", "kaiming_uniform", "kaiming_normal", "lecun_uniform",
               "lecun_normal", "zeros", "ones", "eye"]


@pytest.mark.parametrize("name", [*ELEMENTWISE, "orthogonal", "sparse"])
@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.float64])
def test_thread_count_does_not_change_the_bits(name, dtype):
    shape = (700, 1100)  # 770k elements: 3 blocks, the last one partial
    kwargs = {"sparsity": 0.3} if name == "sparse" else {}
    f = getattr(initlab, name)
    one = f(shape, **kwargs, dtype=dtype, rng=12, threads=1)
    for threads in (2, 7):
        assert f(shape, **kwargs, dtype=dtype, rng=12, threads=threads).tobytes() == one.tobytes()
    initlab.set_threads(3)
    try:
        assert f(shape, **kwargs, dtype=dtype, rng=12).tobytes() == one.tobytes()
    finally:
        initlab.set_threads(None)


def _regions(shape):
    def axis(dim):
        return st.one_of(
            st.integers(-dim, dim - 1),
            st.builds(slice, st.none() | st.integers(-dim - 2, dim + 2),
                      st.none() | st.integers(-dim - 2, dim + 2),
                      st.none() | st.integers(-4, 4).filter(bool)),
        )

    return st.tuples(*(axis(d) for d in shape)).flatmap(
        lambda full: st.integers(0, len(full)).map(lambda k: full[:k]))


@given(st.sampled_from(ELEMENTWISE), st.data())
def test_any_region_equals_the_slice_of_the_whole(name, data):
    shapes = [(1200, 700), (3, 5, 40_000), (9, 9)]
    if name in ("normal", "uniform", "truncated_normal", "zeros", "ones"):
        shapes.append((530_000,))
    elif name == "eye":
        shapes = [(1200, 700), (9, 9)]
    shape = data.draw(st.sampled_from(shapes))
    region = data.draw(_regions(shape))
    f = getattr(initlab, name)
    dtype = data.draw(st.sampled_from([np.float32, np.float16, np.float64]))
    whole = f(shape, dtype=dtype, rng=99)
    part = f(shape, dtype=dtype, rng=99, region=region, threads=data.draw(st.integers(1, 3)))
    assert part.shape == whole[region].shape
    assert part.tobytes() == np.ascontiguousarray(whole[region]).tobytes()


def test_region_fills_out_and_a_generator_advances_the_same():
    whole = initlab.he_normal((2000, 300), rng=np.random.default_rng(8))
    out = np.empty((300, 300), np.float32)
    g = np.random.default_rng(8)
    assert initlab.he_normal((2000, 300), rng=g, region=(slice(1700, None),), out=out) is out
    assert np.array_equal(out, whole[1700:])
    ref = np.random.default_rng(8)
    ref.bit_generator.advance(2)
    assert g.bit_generator.state == ref.bit_generator.state


def test_blocks_are_independent_streams():
    # Two blocks of one tensor are uncorrelated: the correlation of block 0 with block 1 is
    # N(0, 1/n) under independence.
    x = initlab.normal((2, R.BLOCK), rng=0, dtype=np.float64)
    r = float(np.corrcoef(x[0], x[1])[0, 1])
    assert abs(r) < 4.9 / math.sqrt(R.BLOCK)


def test_threads_setting_validation():
    with pytest.raises(ValueError, match=r"set_threads: threads=0"):
        initlab.set_threads(0)
    with pytest.raises(TypeError, match=r"set_threads: threads=1\.5"):
        initlab.set_threads(1.5)


def test_threads_from_environment(monkeypatch):
    monkeypatch.setenv("INITLAB_NUM_THREADS", "3")
    assert initlab.get_threads() == 3
    monkeypatch.setenv("INITLAB_NUM_THREADS", "zero")
    assert 1 <= initlab.get_threads() <= R.MAX_DEFAULT_THREADS


# ---------------------------------------------------------------------------------------------
# large-sample checks of the samplers (n >= 1e7)


@pytest.mark.slow
@pytest.mark.parametrize(("fn", "kwargs", "dist"), [
    (initlab.normal, {}, stats.norm()),
    (initlab.truncated_normal, {}, stats.truncnorm(-2, 2)),
    (initlab.truncated_normal, {"lower": -1.0, "upper": 3.0}, stats.truncnorm(-1, 3)),
    (initlab.uniform, {"low": -1.0, "high": 1.0}, stats.uniform(-1, 2)),
], ids=["normal", "truncated", "truncated asym", "uniform"])
def test_samplers_at_ten_million(fn, kwargs, dist):
    x = fn((10_000_000,), **kwargs, rng=2026)
    mean, var = float(dist.mean()), float(dist.var())
    assert_mean(x, mean, math.sqrt(var))
    assert_variance(x, var, mean=mean, kurtosis=float(dist.stats(moments="k")) + 3)
    assert_distribution(x, dist)
    # third and fourth central moments within 4.9 standard errors (estimated from the sample)
    _, v, skew, kurt = (float(m) for m in dist.stats(moments="mvsk"))
    centred = x.astype(np.float64) - mean
    for k, target in ((3, skew * v**1.5), (4, (kurt + 3) * v**2)):
        powers = centred**k
        se = float(powers.std()) / math.sqrt(x.size)
        assert abs(float(powers.mean()) - target) <= 4.9 * se, (k, powers.mean(), target)


@pytest.mark.slow
def test_normal_tail_frequencies_at_ten_million():
    x = np.abs(initlab.normal((10_000_000,), rng=7).astype(np.float64))
    for c in (3.0, 4.0, 5.0):
        p = 2 * float(stats.norm.sf(c))
        count = int((x > c).sum())
        assert abs(count - x.size * p) <= 4.9 * math.sqrt(x.size * p * (1 - p)) + 1, (c, count)
    assert float(x.max()) <= math.sqrt(2 * 53 * math.log(2))


def test_uniform24_uses_both_halves_of_each_raw_word_in_order():
    out = np.empty(5, np.float32)
    R.uniform24(np.random.default_rng(3), out, Workspace())
    words = np.random.default_rng(3).bit_generator.random_raw(3)
    expected = [(int(w) >> s & 0xFFFFFFFF) >> 8 for w in words for s in (0, 32)][:5]
    assert out.tolist() == expected
    assert all(float(k).is_integer() and 0 <= k < 2**24 for k in out)


@pytest.mark.parametrize("threads", [1, 2, 3, 7])
def test_run_blocks_takes_every_block_once(threads):
    seen: list[int] = []
    lock = threading.Lock()

    def work(blocks):
        for k in blocks:
            with lock:
                seen.append(k)

    R.run_blocks(50, work, threads)
    assert sorted(seen) == list(range(50))


def test_run_blocks_waits_for_every_thread_before_raising():
    done: list[int] = []

    def work(blocks):
        for k in blocks:
            if threading.current_thread() is threading.main_thread():
                raise RuntimeError("boom")
            time.sleep(0.001)
            done.append(k)

    with pytest.raises(RuntimeError, match="boom"):
        R.run_blocks(20, work, 2)
    finished = len(done)
    time.sleep(0.05)
    assert len(done) == finished  # no thread still running after the call returned
