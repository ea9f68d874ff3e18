"""Tests of initlab.mup.coord_check: μP's coordinate check on the lab's MLP (issue 13).

Acceptance: with parametrization='mup' and Adam, every layer's fitted log-log slope of the
coordinate size (mean |pre-activation|) against width over widths 128 … 2048 has
|slope| < 0.1 after 3 steps; with 'sp' the readout's slope is > 0.4.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import initlab
from initlab.mup import CoordCheck, coord_check, parametrize

FULL = [128, 256, 512, 1024, 2048]


def _check_acceptance(mu: CoordCheck, sp: CoordCheck) -> None:
    assert sorted(mu.slopes) == [1, 2, 3]
    bad = {k: v for k, v in mu.slopes.items() if not abs(v) < 0.1}
    assert not bad, f"muP slopes not flat: {mu.slopes}\n{mu.table()}"
    assert sp.slopes[3] > 0.4, f"SP readout slope: {sp.slopes}\n{sp.table()}"


@pytest.mark.slow
def test_acceptance_widths_128_to_2048() -> None:
    mu = coord_check(FULL, parametrization="mup", steps=3, optimizer="adam")
    sp = coord_check(FULL, parametrization="sp", steps=3, optimizer="adam")
    _check_acceptance(mu, sp)
    # standard parametrization: the hidden layer's coordinates grow about linearly too
    assert sp.slopes[2] > 0.8


def test_acceptance_fast_widths_128_to_1024() -> None:
    widths = FULL[:-1]
    mu = coord_check(widths, parametrization="mup", seeds=2)
    sp = coord_check(widths, parametrization="sp", seeds=2)
    _check_acceptance(mu, sp)
    # at initialization the two agree at the base width (μP is SP there)
    np.testing.assert_allclose(mu.sizes[0, :2, 0], sp.sizes[0, :2, 0], rtol=1e-6)
    # μP's loss curve does not depend on the width (hyperparameter transfer)
    assert np.ptp(mu.losses[-1]) < 0.1 * mu.losses[-1].mean()


def test_sgd_mup_is_flat() -> None:
    check = coord_check([64, 128, 256, 512], optimizer="sgd", seeds=2)
    assert check.config["lr"] == 0.1
    assert all(abs(v) < 0.1 for v in check.slopes.values()), check.slopes


def test_report_matches_a_direct_run() -> None:
    """sizes[t] is the mean |pre-activation| after t steps, from the plan's init and lrs."""
    widths, depth = [16, 32], 2
    check = coord_check(widths, depth=depth, steps=2, seeds=1, batch=8, input_dim=4,
                        output_dim=3, rng=5)
    gen = np.random.default_rng(5)
    x = gen.standard_normal((8, 4)).astype(np.float32)
    y = gen.standard_normal((8, 3)).astype(np.float32)
    seeds = gen.integers(0, 2**63, size=2)
    for j, n in enumerate(widths):
        def shapes(w: int) -> dict[str, tuple[int, ...]]:
            s: dict[str, tuple[int, ...]] = {}
            sizes = [4, w, w, 3]
            for k in range(3):
                s[f"layer{k + 1}.weight"] = (sizes[k], sizes[k + 1])
                s[f"layer{k + 1}.bias"] = (sizes[k + 1],)
            return s
        plan = parametrize(shapes(n), shapes(16), delta=shapes(32), readout="layer3.weight",
                           layout="in_out")
        inits = [initlab.get(plan[f"layer{k}.weight"].init) for k in (1, 2)] + [
            initlab.Zeros()]
        net = initlab.MLP([4, n, n, 3], activation=["relu", "relu", "linear"], init=inits,
                          bias=True, bias_init=initlab.Zeros(),
                          readout_multiplier=plan.output_multiplier, rng=int(seeds[j]))
        assert plan.output_multiplier == 16 / n
        opt = initlab.engine.optim.Adam(0.02, lr_mult=plan.lr_multipliers("adam"))
        for t in range(3):
            h = x.astype(np.float64)
            want = []
            for k, (w, b) in enumerate(zip(net.weights, net.biases or (), strict=True)):
                z = h @ w.astype(np.float64)
                if k == 2:
                    z = z * plan.output_multiplier
                z = z + b
                want.append(np.abs(z).mean())
                h = np.maximum(z, 0)
            np.testing.assert_allclose(check.sizes[t, :, j], want, rtol=1e-4)
            if t < 2:
                loss = net.step(x, y, opt)
                np.testing.assert_allclose(check.losses[t, j], loss, rtol=1e-12)


def test_readout_zero_init_defaults() -> None:
    mu = coord_check([16, 32], steps=1, seeds=1, batch=4)
    sp = coord_check([16, 32], parametrization="sp", steps=1, seeds=1, batch=4)
    assert mu.config["readout_zero_init"] and not sp.config["readout_zero_init"]
    assert (mu.sizes[0, -1] == 0).all() and (sp.sizes[0, -1] > 0).all()
    assert math.isnan(mu.slopes_at(0)[3])
    kept = coord_check([16, 32], steps=1, seeds=1, batch=4, readout_zero_init=False)
    assert (kept.sizes[0, -1] > 0).all()


def test_report_formats() -> None:
    check = coord_check([16, 32, 64], depth=1, steps=2, seeds=1, batch=8)
    assert check.sizes.shape == (3, 2, 3) and check.losses.shape == (3, 3)
    assert check.layers == (1, 2) and check.steps == 2
    text = check.table()
    assert "after 2 steps" in text and "2 (readout)" in text and "slope" in text
    assert "after 1 step " in check.table(1)
    assert str(check) == text and "CoordCheck mup" in repr(check)
    data = json.loads(check.to_json())
    assert data["widths"] == [16, 32, 64] and data["steps"] == 2
    np.testing.assert_allclose(np.array(data["sizes"], dtype=float), check.sizes,
                               equal_nan=True)
    assert set(data["slopes"]) == {"1", "2"}
    assert data["config"]["parametrization"] == "mup"
    # slopes are least-squares fits of log size on log width
    logw = np.log([16, 32, 64])
    for i, layer in enumerate(check.layers):
        fit = np.polyfit(logw, np.log(check.sizes[2, i]), 1)[0]
        assert check.slopes[layer] == pytest.approx(fit, abs=1e-12)


def test_plot() -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    check = coord_check([16, 32], depth=1, steps=2, seeds=1, batch=8)
    fig = check.plot()
    assert len(fig.axes) == 3
    ax = fig.axes[-1]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert len(ax.get_lines()) == 2
    plt.close(fig)
    fig = check.plot(step=2)
    assert len(fig.axes) == 1
    plt.close(fig)


BAD = [
    ({"widths": [64]}, ValueError, "widths"),
    ({"widths": [64, 64]}, ValueError, "widths"),
    ({"widths": "64"}, TypeError, "widths"),
    ({"widths": [64, 1.5]}, TypeError, "widths[1]"),
    ({"parametrization": "ntk"}, ValueError, "parametrization"),
    ({"optimizer": "rmsprop"}, ValueError, "optimizer"),
    ({"lr": -1.0}, ValueError, "lr"),
    ({"steps": 0}, ValueError, "steps"),
    ({"depth": 0}, ValueError, "depth"),
    ({"activation": "nope"}, ValueError, "activation"),
    ({"seeds": 0}, ValueError, "seeds"),
    ({"bias": 1}, TypeError, "bias"),
    ({"dtype": np.float16}, TypeError, "dtype"),
    ({"rng": "x"}, TypeError, "rng"),
]


@pytest.mark.parametrize(("kwargs", "exc", "name"), BAD,
                         ids=[next(iter(b[0])) + str(i) for i, b in enumerate(BAD)])
def test_bad_input(kwargs: dict[str, object], exc: type[Exception], name: str) -> None:
    args = {"widths": [16, 32], **kwargs}
    widths = args.pop("widths")
    with pytest.raises(exc, match="coord_check") as info:
        coord_check(widths, **args)  # type: ignore[arg-type]
    assert name in str(info.value)


def test_bad_step_argument() -> None:
    check = coord_check([16, 32], steps=1, seeds=1, batch=4)
    with pytest.raises(ValueError, match="step"):
        check.table(2)
    with pytest.raises(TypeError, match="step"):
        check.slopes_at(1.0)  # type: ignore[arg-type]


@pytest.mark.slow
def test_example_script_runs_headless(tmp_path: object) -> None:
    """examples/coord_check.py (the figure of docs/recipes.md) runs and prints both tables."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = str(root / "src") + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, "-W", "error", str(root / "examples/coord_check.py"),
                          "--out", str(tmp_path)], capture_output=True, text=True, env=env,
                         timeout=600, check=False)
    assert out.returncode == 0, out.stderr
    assert "coordinate check: sp" in out.stdout and "coordinate check: mup" in out.stdout
    assert (Path(str(tmp_path)) / "coord_check.png").stat().st_size > 10_000
