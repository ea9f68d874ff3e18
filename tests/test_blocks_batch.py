"""``_blocks.batch``: many tensors' blocks on one schedule, with the values of separate draws."""

from __future__ import annotations

import numpy as np
import pytest

import initlab
from initlab import _blocks as R

#: (initializer, shape, dtype): sizes below, at and across the block size, every dtype
CASES = [
    (initlab.Normal(std=0.02), (3,), np.float32),
    (initlab.Uniform(low=-0.5, high=0.5), (R.BLOCK,), np.float32),
    (initlab.HeUniform(layout="torch"), (R.BLOCK // 100 + 7, 300), np.float32),
    (initlab.TruncatedNormal(std=0.1), (5, R.BLOCK // 2 + 1), np.float64),
    (initlab.LecunNormal(), (R.BLOCK + 1, 2), np.float16),
    (initlab.Normal(), (0, 4), np.float32),
    (initlab.Zeros(), (7, 3), np.float32),
]


def _separately() -> list[np.ndarray]:
    return [init(shape, dtype=dtype, rng=i, threads=1)
            for i, (init, shape, dtype) in enumerate(CASES)]


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_batch_gives_the_values_of_separate_draws(threads):
    expected = _separately()
    outs = [np.full(shape, np.nan, dtype) for _, shape, dtype in CASES]
    with R.batch(threads) as pending:
        for i, ((init, shape, dtype), out) in enumerate(zip(CASES, outs, strict=True)):
            init(shape, dtype=dtype, rng=i, out=out)
    # the random draws with elements were deferred (Zeros fills at once, empty has no block)
    assert len(pending) == 5
    for got, want in zip(outs, expected, strict=True):
        assert got.tobytes() == want.tobytes()


def test_batch_defers_until_exit_and_draws_nothing_if_the_body_raises():
    out = np.full((4, 4), np.nan, np.float32)
    with pytest.raises(RuntimeError, match="stop"), R.batch(2):
        initlab.Normal()((4, 4), rng=0, out=out)
        assert np.isnan(out).all()  # recorded, not drawn yet
        raise RuntimeError("stop")
    assert np.isnan(out).all()
    assert R.deferred.get() is None


def test_batch_draws_at_once_what_it_cannot_defer():
    """A region, a new array (no ``out``) and a non-contiguous ``out`` are drawn at once."""
    init = initlab.Normal()
    whole = init((6, 8), rng=1)
    strided = np.empty((8, 6), np.float32).T
    with R.batch(2) as pending:
        part = init((6, 8), rng=1, region=(slice(1, 3),))
        fresh = init((6, 8), rng=1)
        init((6, 8), rng=1, out=strided)
        assert not pending
    assert np.array_equal(part, whole[1:3])
    assert np.array_equal(fresh, whole)
    assert np.array_equal(strided, whole)
