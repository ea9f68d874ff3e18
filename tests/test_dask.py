"""initlab.dask: lazy chunked tensors equal the in-memory ones, also on a distributed cluster."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import initlab

da = pytest.importorskip("dask.array", reason='needs the dask extra: pip install "initlab[dask]"')
import initlab.dask as idask  # noqa: E402


@pytest.mark.parametrize(("name", "shape", "config", "chunks"), [
    ("normal", (3000, 700), {"std": 0.02}, (1000, 700)),
    ("uniform", (999, 1001), {"low": -1.0}, (250, 300)),  # chunks cut rows and blocks
    ("truncated_normal", (5, 70_000), {"lower": -1.0, "upper": 3.0}, (2, 9_999)),
    ("he_normal", (3, 3, 256, 512), {"mode": "fan_out"}, (1, 3, 100, 512)),
    ("xavier_uniform", (600, 400), {"layout": "torch"}, "auto"),
    ("lecun_normal", (1000, 300), {}, ((100, 900), (300,))),
    ("variance_scaling", (4, 200, 300), {"batch_axis": 0, "scale": 2.0}, (1, 200, 150)),
    ("eye", (500, 700), {"gain": 2.0}, 128),
    ("dirac", (6, 3, 5, 5), {"groups": 2, "layout": "torch"}, (4, 2, 5, 5)),
    ("constant", (10, 10), {"value": 3.0}, 3),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.float64])
def test_lazy_equals_in_memory(name, shape, config, chunks, dtype):
    lazy = getattr(idask, name)(shape, chunks=chunks, dtype=dtype, rng=31, **config)
    assert lazy.shape == shape and lazy.dtype == dtype
    eager = getattr(initlab, name)(shape, **config, dtype=dtype, rng=31)
    assert lazy.compute(scheduler="threads").tobytes() == eager.tobytes()
    # any part computed alone agrees too
    assert np.array_equal(lazy[1:3, ..., -2:].compute(scheduler="sync"), eager[1:3, ..., -2:])


def test_generator_is_advanced_as_by_the_in_memory_call():
    g1, g2 = np.random.default_rng(5), np.random.default_rng(5)
    lazy = idask.normal((100, 100), chunks=30, rng=g1)
    eager = initlab.normal((100, 100), rng=g2)
    assert g1.bit_generator.state == g2.bit_generator.state
    assert np.array_equal(lazy.compute(), eager)
    assert idask.array(initlab.Normal(), (100, 100), rng=5).name != idask.array(
        initlab.Normal(), (100, 100), rng=6).name


@pytest.mark.slow
def test_distributed_local_cluster():
    distributed = pytest.importorskip("distributed")
    shape = (4096, 1024)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=40) as cluster, \
            distributed.Client(cluster) as client:
        lazy = idask.kaiming_uniform(shape, chunks=(512, 1024), rng=2026, nonlinearity="relu")
        result = client.compute(lazy).result()
        sums = client.compute(lazy.sum(axis=1)).result()
    eager = initlab.kaiming_uniform(shape, rng=2026, nonlinearity="relu")
    assert result.tobytes() == eager.tobytes()
    assert np.allclose(sums, eager.sum(axis=1), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(("call", "exc", "fragment"), [
    (lambda: idask.array("orthogonal", (10, 10)), ValueError, "orthogonal is not elementwise"),
    (lambda: idask.array("sparse", (10, 10)), ValueError, "build it in memory"),
    (lambda: idask.array(lambda s: s, (10, 10)), TypeError, "initlab.dask.array: init="),
    (lambda: idask.normal((10, -1)), ValueError, "shape=(10, -1)"),
    (lambda: idask.normal((10, 10), chunks="lots"), ValueError, "chunks='lots'"),
    (lambda: idask.normal((10, 10), chunks=0), ValueError, "initlab.dask.array: chunks=0"),
    (lambda: idask.array("normal", (10, 10), chunks=(0, 5)), ValueError, "chunks=(0, 5)"),
    (lambda: idask.normal((10, 10), chunks=((4, 6), (10, 0))), ValueError, "at least 1"),
    (lambda: idask.normal((10, 10), dtype=np.int8), TypeError, "dtype="),
    (lambda: idask.he_normal((10,)), ValueError, "has 1 dimension"),
    (lambda: idask.he_normal((10, 10), mode="x"), ValueError, "HeNormal: mode='x'"),
    (lambda: idask.normal((10, 10), rng=-3), ValueError, "rng=-3"),
])
def test_errors_are_raised_when_the_graph_is_built(call, exc, fragment):
    with pytest.raises(exc) as info:
        call()
    assert fragment in str(info.value)


def test_module_imports_without_dask_and_names_the_extra():
    code = ("import sys; sys.modules['dask'] = None; sys.modules['dask.array'] = None\n"
            "import initlab.dask\n"
            "try:\n    initlab.dask.normal((2, 2))\n"
            "except ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert 'pip install "initlab[dask]"' in out.stdout


def test_elementwise_set_comes_from_the_declarations():
    from initlab.initializers._core import DECLARATIONS

    assert idask.ELEMENTWISE == tuple(d.name for d in DECLARATIONS.values() if d.elementwise)
    assert "orthogonal" not in idask.ELEMENTWISE and "sparse" not in idask.ELEMENTWISE
    for name in ("glorot_uniform", "he_normal", "identity", *idask.ELEMENTWISE):
        assert name in idask.__all__ and callable(getattr(idask, name))
