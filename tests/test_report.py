"""Tests of the report formats (table, records, JSON, HTML, plot), predictions, Trials, and the
lazy optional dependencies (matplotlib, tqdm)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
from typing import Any

import numpy as np
import pytest

import initlab
from initlab import theory
from initlab.engine import COLUMNS, DESCRIPTIONS, PREDICTED, LayerStats, Report, Table, Trials


@pytest.fixture(scope="module")
def report() -> Report:
    net = initlab.MLP([32, 24, 16, 8], activation="tanh", init="lecun_normal", rng=0)
    x = np.random.default_rng(0).standard_normal((64, 32), dtype=np.float32)
    return net.probe(x, rng=1)


@pytest.fixture(scope="module")
def overflowing() -> Report:
    gen = np.random.default_rng(0)
    x = gen.standard_normal((16, 256), dtype=np.float32)
    net = initlab.MLP([256] * 41, activation="linear", init="normal", rng=gen)
    return net.probe(x, rng=gen)


def test_columns_and_access(report: Report) -> None:
    assert report.columns == COLUMNS + tuple(PREDICTED.values())
    assert report.predictions == PREDICTED
    assert set(DESCRIPTIONS) >= set(COLUMNS)
    assert report.depth == len(report) == 3
    assert report["layer"].tolist() == [1, 2, 3]
    assert report["fan_in"].dtype == np.int64 and report["act_std"].dtype == np.float64
    with pytest.raises(ValueError):
        report["act_std"][0] = 1.0          # read-only
    with pytest.raises(KeyError, match="no column 'nope'"):
        report["nope"]
    assert "act_std" in report and "nope" not in report
    row = report.layer(2)
    assert isinstance(row, LayerStats)
    assert (row.layer, row.fan_in, row.fan_out) == (2, 24, 16)
    assert row.act_std == report["act_std"][1] and row.finite
    assert int(row.histogram.counts.sum()) + row.histogram.below + row.histogram.above == 64 * 16
    assert [r.layer for r in report.layers] == [1, 2, 3]
    with pytest.raises(ValueError, match="layer"):
        report.layer(0)
    assert report.meta["widths"] == [32, 24, 16, 8] and report.meta["dtype"] == "float32"
    assert report.meta["activations"] == ["tanh"] * 3
    assert report.first_nonfinite_layer is None
    assert "3 layers 32->8, tanh, float32, batch 64" in repr(report)


def test_table(report: Report) -> None:
    text = report.table()
    lines = text.splitlines()
    assert len(lines) == 4
    assert lines[0].split()[:2] == ["layer", "fan_in"]
    assert len({len(line) for line in lines}) == 1          # aligned
    assert "saturated" in lines[0] and "zero" not in lines[0]
    custom = report.table(["layer", "shape", "dead_units"], layers=[3])
    assert custom.splitlines()[1].split() == ["3", "16x8", "0"]
    with pytest.raises(ValueError, match="columns"):
        report.table(["bogus"])
    assert str(report).startswith(report.title)


def test_table_shows_nonfinite_layers(overflowing: Report) -> None:
    assert overflowing.first_nonfinite_layer == 32
    text = overflowing.table(layers=[31, 32, 33])
    assert "non-finite" in text.splitlines()[0]
    assert "nan" in text.splitlines()[2]
    assert overflowing.finite.tolist() == [True] * 31 + [False] * 9


def test_records(report: Report) -> None:
    records = report.to_records()
    assert len(records) == 3
    assert records[0]["layer"] == 1 and isinstance(records[0]["dead_units"], int)
    assert isinstance(records[0]["act_std"], float) and records[0]["finite"] is True
    assert "hist_counts" not in records[0]
    with_hist = report.to_records(histograms=True)
    assert len(with_hist[0]["hist_counts"]) == report.counts.shape[1]


def test_records_in_pandas(report: Report) -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(report.to_records())
    assert frame.shape[0] == 3 and frame["layer"].tolist() == [1, 2, 3]


def test_json_is_strict_and_round_trips(overflowing: Report) -> None:
    text = overflowing.to_json()
    data = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-strict JSON: {c}"))
    assert data["meta"]["first_nonfinite_layer"] == 32
    assert data["columns"]["act_std"][35] is None                    # nan -> null
    back = Report.from_json(text)
    for name in overflowing.columns:
        np.testing.assert_array_equal(back[name], overflowing[name])
    np.testing.assert_array_equal(back.counts, overflowing.counts)
    assert back.first_nonfinite_layer == 32
    assert back.meta == {**overflowing.meta}
    # infinities survive as strings
    rep = initlab.MLP([256] * 3, activation="linear", init="normal", dtype=np.float64,
                      rng=0).probe(np.full((4, 256), 1e156), rng=0)
    assert math.isinf(rep["dw_var"][0])
    data = json.loads(rep.to_json())
    assert data["columns"]["dw_var"][0] == "inf"
    assert math.isinf(Report.from_json(rep.to_json())["dw_var"][0])


def test_predictions_are_shown_beside_the_measurement(report: Report) -> None:
    rep = Report.from_json(report.to_json())
    rep.add_column("sat_guess", [0.6, 0.5, 0.4], predicts="sat_frac",
                   description="my guess")
    rep.add_column("note", [1, 2, 3])
    assert rep.predictions == {**PREDICTED, "sat_frac": "sat_guess"}
    header = rep.table().splitlines()[0]
    assert "saturated  (pred)" in header and "act std  (pred)" in header
    assert "note" not in header
    assert rep.table(["layer", "act_std_pred"]).splitlines()[0] == "layer  act std (pred)"
    assert rep.table(["act_std"], predictions=False).splitlines()[0].split() == ["act", "std"]
    with pytest.raises(TypeError, match="predictions"):
        rep.table(predictions="yes")  # type: ignore[arg-type]
    extra = rep.layer(1).extra
    assert extra["sat_guess"] == 0.6 and extra["note"] == 1.0
    assert extra["act_std_pred"] == rep["act_std_pred"][0]
    assert rep.describe_columns()["sat_guess"] == "my guess"
    assert rep.describe_columns()["act_std_pred"].startswith("mean-field")
    assert rep.to_records()[2]["sat_guess"] == 0.4
    back = Report.from_json(rep.to_json())
    assert back.predictions == {**PREDICTED, "sat_frac": "sat_guess"}
    assert back["note"].tolist() == [1.0, 2.0, 3.0]
    for bad, exc, match in [
            (dict(name="act_std", values=[1, 2, 3]), ValueError, "already a column"),
            (dict(name="x", values=[1, 2]), ValueError, "one per layer"),
            (dict(name="y", values=[1, 2, 3], predicts="sat_frac"), ValueError, "sat_guess"),
            (dict(name="y", values=[1, 2, 3], predicts="act_std"), ValueError, "act_std_pred"),
            (dict(name="z", values=[1, 2, 3], predicts="nope"), ValueError, "predicts"),
            (dict(name=3, values=[1, 2, 3]), TypeError, "name")]:
        with pytest.raises(exc, match=match):
            rep.add_column(**bad)


def test_html(report: Report, overflowing: Report) -> None:
    html = report._repr_html_()
    assert html.startswith("<table") and "<th>act std</th>" in html
    assert html.count("<tr>") == 1 + 3
    assert "verdict: healthy" in html
    assert "inf/nan from layer 32" in overflowing._repr_html_()


def test_title_setter(report: Report) -> None:
    rep = Report.from_json(report.to_json())
    rep.title = "my net"
    assert rep.title == "my net" and "my net" in repr(rep)
    with pytest.raises(TypeError):
        rep.title = 3  # type: ignore[assignment]


# --------------------------------------------------------------------------------------------
# plots


def test_plot_report(report: Report, overflowing: Report, tmp_path: Any) -> None:
    pytest.importorskip("matplotlib")
    fig = report.plot(str(tmp_path / "r.png"))
    assert (tmp_path / "r.png").read_bytes()[:4] == b"\x89PNG"
    assert len(fig.axes) == 3 + 2
    fig = overflowing.plot()            # 40 layers: 10 histograms incl. layer 32; no warning
    titles = [ax.get_title() for ax in fig.axes]
    assert any(t.startswith("layer 32") for t in titles)
    assert len(fig.axes) == 10 + 2
    # each prediction is a dashed line of its measurement's colour, through the points
    ax_std, ax_grad = report.plot().axes[-2:]
    for ax in (ax_std, ax_grad):
        lines = ax.get_lines()
        points = [ln for ln in lines if ln.get_linestyle() == "None"]
        dashed = [ln for ln in lines if ln.get_linestyle() == "--"]
        assert len(points) == len(dashed) >= 2
        assert [ln.get_color() for ln in points] == [ln.get_color() for ln in dashed]
        assert "mean-field prediction" in [t.get_text() for t in ax.get_legend().get_texts()]
    np.testing.assert_array_equal(ax_std.get_lines()[1].get_ydata(), report["act_std_pred"])


def test_plot_trials(tmp_path: Any) -> None:
    pytest.importorskip("matplotlib")
    net = initlab.MLP([16] * 4, activation="relu", init="he_normal")
    trials = net.trials(np.ones((8, 16)), 3, rng=0)
    fig = trials.plot(str(tmp_path / "t.png"))
    assert len(fig.axes) == 2 and (tmp_path / "t.png").exists()


def test_plot_without_matplotlib(report: Report, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r'pip install "initlab\[plot\]"'):
        report.plot()


def test_import_needs_neither_matplotlib_nor_tqdm() -> None:
    code = textwrap.dedent("""
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("matplotlib", "tqdm", "pandas"):
                    raise ImportError("blocked " + name)
                return None
        sys.meta_path.insert(0, Block())
        import numpy as np, initlab
        net = initlab.MLP([8, 8, 8])
        t = net.trials(np.ones((4, 8)), 2, rng=0, progress=True)
        rep = net.probe(np.ones((4, 8)), rng=0)
        rep.table(); rep.to_json(); rep._repr_html_(); t.table()
        try:
            rep.plot()
        except ImportError as exc:
            print("ImportError:", exc)
        assert not any(m.split(".")[0] in ("matplotlib", "tqdm") for m in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert 'ImportError: initlab.plotting needs matplotlib; install it with pip install ' \
           '"initlab[plot]"' in out.stdout
    assert out.stderr == ""


# --------------------------------------------------------------------------------------------
# Trials


def test_trials_formats() -> None:
    net = initlab.MLP([16, 16, 16], activation="tanh", init="lecun_normal")
    x = np.random.default_rng(0).standard_normal((32, 16))
    trials = net.trials(x, 5, rng=0)
    assert trials.n == 5 and trials.depth == 2 and trials.confidence == 0.95
    vals = trials.values("act_std")
    mean, sd = vals.mean(axis=0), vals.std(axis=0, ddof=1)
    np.testing.assert_allclose(trials.mean("act_std"), mean)
    np.testing.assert_allclose(trials.std("act_std"), sd)
    low, high = trials.interval("act_std")
    from scipy import stats as sps

    half = sps.t.ppf(0.975, 4) * sd / math.sqrt(5)
    np.testing.assert_allclose(high - low, 2 * half)
    glow, ghigh = trials.interval("dw_var", log=True)
    gmean = trials.mean("dw_var", log=True)
    assert np.all((glow < gmean) & (gmean < ghigh))
    np.testing.assert_allclose(gmean, np.exp(np.log(trials.values("dw_var")).mean(axis=0)))
    narrow = trials.interval("act_std", confidence=0.5)
    assert np.all(narrow[1] - narrow[0] < high - low)
    text = trials.table()
    assert "act std (mean [95% CI])" in text and len(text.splitlines()) == 3
    records = trials.to_records()
    assert records[1]["layer"] == 2 and "act_std_low" in records[1]
    data = json.loads(trials.to_json())
    assert data["n"] == 5 and len(data["records"]) == 2
    assert trials._repr_html_().startswith("<table")
    assert trials.first_nonfinite_layers == [None] * 5
    assert "5 draws" in repr(trials)
    assert trials.n_finite("act_std").tolist() == [5, 5]


def test_trials_with_nonfinite_draws() -> None:
    reps = []
    for seed in range(3):
        gen = np.random.default_rng(seed)
        net = initlab.MLP([256] * 35, activation="linear", init="normal", rng=gen)
        reps.append(net.probe(gen.standard_normal((16, 256), dtype=np.float32), rng=gen))
    trials = Trials(reps)
    assert trials.first_nonfinite_layers == [32, 32, 32]
    assert trials.n_finite("act_std")[33] == 0
    assert math.isnan(trials.mean("act_std")[33])
    assert np.isnan(trials.interval("act_std")[0][33])
    with pytest.raises(TypeError):
        Trials([])
    with pytest.raises(ValueError):
        Trials([reps[0], Report.from_json(reps[0].to_json())], confidence=2.0)


# --------------------------------------------------------------------------------------------
# mean-field predictions in reports


def test_prediction_is_the_theory_of_the_probed_network() -> None:
    """The predicted columns are initlab.theory.predict of the realized weights, the probe's
    input second moment, its upstream gradient's second moment and its batch."""
    gen = np.random.default_rng(5)
    net = initlab.MLP([40, 30, 30, 20], activation=["tanh", "gelu", "linear"],
                      init="xavier_normal", bias=True, bias_init=initlab.Normal(std=0.1),
                      dtype=np.float64, rng=gen)
    x = 1.5 * gen.standard_normal((50, 40)) + 0.2
    rep = net.probe(x, rng=gen)
    mf = rep.meta["mean_field"]
    assert mf["x_second_moment"] == pytest.approx(float(np.mean(x * x)), rel=1e-13)
    assert mf["gradients"] and mf["note"] == ""
    p = theory.predict(net, x_variance=float(np.mean(x * x)),
                       grad_variance=mf["upstream_second_moment"], batch=50)
    got = rep.prediction
    assert got is not None
    for name in ("q", "h_mean", "h_std", "dz", "dh", "dw"):
        np.testing.assert_allclose(getattr(got, name), getattr(p, name), rtol=1e-12)
    mu = np.array([float(np.mean(b)) for b in net.biases])
    np.testing.assert_allclose(rep["pre_std_pred"], np.sqrt(p.q - mu**2), rtol=1e-12)
    np.testing.assert_allclose(rep["act_mean_pred"], p.h_mean, rtol=1e-12)
    np.testing.assert_allclose(rep["act_std_pred"], p.h_std, rtol=1e-12)
    np.testing.assert_allclose(rep["dz_var_pred"], p.dz, rtol=1e-12)
    np.testing.assert_allclose(rep["dh_in_var_pred"], [p.dx, *p.dh[:-1]], rtol=1e-12)
    np.testing.assert_allclose(rep["dw_var_pred"], p.dw, rtol=1e-12)
    # the first layer's pre-activation is exact for any width: E z^2 = sigma_w^2 E x^2 + b^2
    assert rep["pre_std_pred"][0] == pytest.approx(
        math.sqrt(40 * np.mean(net.weights[0] ** 2) * np.mean(x * x)
                  + np.var(net.biases[0])), rel=1e-12)


def test_probe_attaches_the_prediction_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """MLP.probe computes the prediction (one theory.propagate) and attaches it; the report
    never computes it again (it is data)."""
    from initlab.engine import _predict

    calls = []
    real = theory.propagate

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(_predict, "propagate", counting)
    net = initlab.MLP([16, 16, 16], activation="tanh", rng=0)
    rep = net.probe(np.ones((4, 16)), rng=0)
    assert calls == [1]
    before = rep["act_std_pred"].copy()
    assert rep.table() and rep.to_json() and rep.columns and rep.prediction is not None
    rep.verdict()
    assert calls == [1]                        # formatting and judging compute nothing
    # what the probe saw is kept: later edits of the network do not change its prediction
    rep2 = net.probe(np.ones((4, 16)), rng=0)
    net.weights[0][...] *= 3
    np.testing.assert_array_equal(rep2["act_std_pred"], before)


def test_prediction_survives_json() -> None:
    net = initlab.MLP([32, 32, 32], activation="relu", init="he_normal", bias=True,
                      bias_init=initlab.Normal(std=0.05), rng=1)
    rep = net.probe(np.random.default_rng(0).standard_normal((16, 32)), rng=2)
    back = Report.from_json(rep.to_json())
    assert back.predictions == rep.predictions == PREDICTED
    for name in PREDICTED.values():
        np.testing.assert_array_equal(back[name], rep[name])
    assert back.meta == rep.meta
    assert back.prediction is not None               # rebuilt from meta['mean_field']
    np.testing.assert_allclose(back.prediction.dw, rep["dw_var_pred"], rtol=1e-14)
    assert "Var dL/dW  (pred)" in back.table().splitlines()[0]


def test_batch_norm_predicts_the_forward_pass_only() -> None:
    net = initlab.MLP([64, 64, 64, 64], activation="relu", init="normal", batch_norm=True,
                      rng=0)
    rep = net.probe(np.random.default_rng(0).standard_normal((256, 64)), rng=0)
    assert not rep.meta["mean_field"]["gradients"]
    assert "batch norm" in rep.meta["mean_field"]["note"]
    np.testing.assert_allclose(rep["pre_std_pred"], 1.0)
    np.testing.assert_allclose(rep["act_std_pred"], math.sqrt(0.5 - 1 / (2 * math.pi)),
                               rtol=1e-13)
    np.testing.assert_allclose(rep["act_std"], rep["act_std_pred"], rtol=0.05)
    for name in ("dz_var_pred", "dh_in_var_pred", "dw_var_pred"):
        assert np.isnan(rep[name]).all()
    row = rep.table().splitlines()[1].split()
    assert row.count("-") == 3                 # "not predicted"
    assert "not the gradients" in rep.verdict().message
    pytest.importorskip("matplotlib")
    texts = [t.get_text() for t in rep.plot().axes[-1].texts]
    assert "gradients not predicted" in texts


def test_gradients_are_not_predicted_for_sum_and_mse() -> None:
    net = initlab.MLP([16, 16, 16], rng=0)
    for grad in ("sum", "mse"):
        rep = net.probe(np.ones((4, 16)), grad=grad)
        assert f"grad={grad!r}" in rep.meta["mean_field"]["note"]
        assert np.isnan(rep["dw_var_pred"]).all() and np.isfinite(rep["act_std_pred"]).all()
    rep = net.probe(np.ones((4, 16)), grad=np.full((4, 16), 2.0))
    assert rep.meta["mean_field"]["upstream_second_moment"] == 4.0
    w2 = float(np.mean(net.weights[-1].astype(np.float64) ** 2))
    assert rep["dh_in_var_pred"][-1] == pytest.approx(16 * w2 * rep["dz_var_pred"][-1],
                                                      rel=1e-6)


def test_overflowing_network_is_predicted_in_float64(overflowing: Report) -> None:
    """The float32 network overflows at layer 32; its prediction (float64) follows x16 per
    layer to the end."""
    pred = overflowing["act_std_pred"]
    assert np.all(np.isfinite(pred))
    np.testing.assert_allclose(pred[1:] / pred[:-1], 16.0, rtol=0.01)
    # a linear net's log q is a random walk around the prediction, sd sqrt(2 l / N) (theory.md
    # section 2.4): the std within 6 sd of it on the log scale
    layers = np.arange(1, 32)
    log_err = np.abs(np.log(overflowing["act_std"][:31] / pred[:31]))
    assert np.all(log_err <= 6 * 0.5 * np.sqrt(2 * layers / 256)), log_err


def test_trials_carry_the_predictions(tmp_path: Any) -> None:
    net = initlab.MLP([32, 32, 32, 32], activation="tanh", init="xavier_uniform")
    trials = net.trials(np.random.default_rng(0).standard_normal((16, 32)), 4, rng=0)
    assert "act_std_pred" in trials.columns
    np.testing.assert_allclose(trials.predicted("act_std"),
                               np.mean([r["act_std_pred"] for r in trials.reports], axis=0))
    assert trials.predicted("sat_frac") is None
    header = trials.table().splitlines()[0]
    assert "act std (mean [95% CI])  act std (pred)" in header
    assert "act_std_pred_mean" in trials.to_records()[0]
    pytest.importorskip("matplotlib")
    fig = trials.plot(str(tmp_path / "t.png"))
    assert [ln.get_linestyle() for ln in fig.axes[0].get_lines()].count("--") == 2


# theory.md section 4: tanh networks of width 256, depth 50, batch 32, input rows rescaled to
# |x|^2/N = 1; single-seed sd of measured/predicted q at layers 10 and 50, mean-field bias,
# single-seed bands at depth <= 10 and <= 50 (items 2 and 3 of the tolerances there)
WIDTH, DEPTH, BATCH, SEEDS = 256, 50, 32, 30
SECTION4 = {
    "torch-gain": (5 / 3, 0.0, 0.0258, 0.0242, 0.005, 0.15, 0.15),
    "critical": (1.122539, 0.05, 0.0385, 0.0837, 0.0065, 0.25, 0.50),
}


def _section4_reports(sigma_w: float, sigma_b: float) -> list[Report]:
    reports = []
    for seed in range(SEEDS):
        gen = np.random.default_rng(seed)
        x = gen.standard_normal((BATCH, WIDTH))
        x *= np.sqrt(WIDTH / np.sum(x * x, axis=1, keepdims=True))
        init = initlab.VarianceScaling(scale=sigma_w**2, mode="fan_in", distribution="normal")
        net = initlab.MLP([WIDTH] * (DEPTH + 1), activation="tanh", init=init,
                          bias=sigma_b > 0,
                          bias_init=initlab.Normal(std=sigma_b) if sigma_b else "zeros",
                          dtype=np.float64, rng=gen)
        reports.append(net.probe(x, rng=gen))
    return reports


@pytest.mark.slow
@pytest.mark.parametrize("case", list(SECTION4))
def test_reports_match_mean_field_within_the_section4_bands(case: str) -> None:
    """Acceptance (issue 4): the report's predicted per-layer second moments against the
    measured ones, for tanh networks of width 256 (theory.md section 4).

    Forward, measured/predicted ``E z^2`` (``pre_mean^2 + pre_std^2`` over
    ``prediction.q``): the mean over S = 30 seeds within bias + 6 sd / sqrt(S) at every layer
    (sd: the single-seed spread tabulated at layers 10 and 50), each seed within the
    single-seed band. Gradients: at every layer, the median over seeds of log(measured /
    predicted) for Var dL/dh_in and Var dL/dW within 6 x 1.2533 x 0.34 / sqrt(S) (sd 34 %
    after 50 layers of backprop at N = 256, the largest; 1.2533: a median's efficiency).
    """
    sigma_w, sigma_b, sd10, sd50, bias, single10, single50 = SECTION4[case]
    reports = _section4_reports(sigma_w, sigma_b)
    ratio = []
    for rep in reports:
        pred = rep.prediction
        assert pred is not None
        q = rep["pre_mean"] ** 2 + rep["pre_std"] ** 2
        ratio.append(q / pred.q)
        # the first layer has no mean-field error, only sampling noise (about B N dof)
        assert q[0] == pytest.approx(pred.q[0], rel=6 * math.sqrt(2 / (BATCH * WIDTH)))
    r = np.array(ratio)
    depth = np.arange(1, DEPTH + 1)
    band = bias + 6 * np.where(depth <= 10, sd10, sd50) / math.sqrt(SEEDS)
    assert np.all(np.abs(r.mean(axis=0) - 1) <= band), np.abs(r.mean(axis=0) - 1).max()
    assert np.all(np.abs(r[:, :10] - 1) <= single10)
    assert np.all(np.abs(r - 1) <= single50)
    assert band[:10].max() < 0.05      # a 5 % error in the first 10 layers would be caught
    grad_band = 6 * 1.2533 * 0.34 / math.sqrt(SEEDS)
    for name in ("dh_in_var", "dw_var"):
        logs = np.log([rep[name] / rep[f"{name}_pred"] for rep in reports])
        assert np.all(np.abs(np.median(logs, axis=0)) <= grad_band), (name, logs)


# --------------------------------------------------------------------------------------------
# bad JSON, notebook surface


@pytest.mark.parametrize("text, exc, words", [
    ("garbage", ValueError, "not invalid JSON"),
    ("", ValueError, "Report.to_json()"),
    ('{"meta": {}}', ValueError, "'columns'"),
    ("[1, 2]", ValueError, "Report.to_dict()"),
    ('{"meta": {}, "columns": {"act_std": [1.0]}, "histograms": {}}', ValueError,
     "not a report's dict"),
    (3, TypeError, "text=3"),
], ids=["garbage", "empty", "missing-part", "list", "no-layer", "int"])
def test_from_json_says_what_was_expected(text: Any, exc: type[Exception], words: str) -> None:
    with pytest.raises(exc) as info:
        Report.from_json(text)
    message = str(info.value)
    assert message.startswith("Report.from_"), message
    assert words in message
    assert not isinstance(info.value, json.JSONDecodeError)


def test_plot_into_given_axes(report: Report) -> None:
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.subplots()
    assert report.plot(ax=ax) is fig
    assert len(fig.axes) == 1                              # no histograms
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:2] == ["activation std", "Var dL/dh_in"]
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert len(dashed) == 2                                # both predictions
    fig2 = Figure()
    pair = fig2.subplots(1, 2)
    assert report.plot(ax=pair) is fig2 and len(fig2.axes) == 2
    assert pair[0].get_ylabel() == "std" and pair[1].get_ylabel() == "variance"
    with pytest.raises(ValueError, match="ax="):
        report.plot(ax=list(Figure().subplots(1, 3)))


def test_trials_table_prints_plain_layer_numbers() -> None:
    t = initlab.MLP([8, 8, 8], rng=0).trials(np.ones((4, 8)), 3, rng=0)
    lines = t.table(["layer", "fan_out", "act_std"]).splitlines()
    assert lines[0].split()[:2] == ["layer", "fan_out"]
    assert [line.split()[:2] for line in lines[1:]] == [["1", "8"], ["2", "8"]]
    assert "[" not in " ".join(line.split()[1] for line in lines[1:])


# --------------------------------------------------------------------------------------------
# compare


def test_compare_has_a_row_per_init_and_layer_and_equals_the_probes() -> None:
    x = np.random.default_rng(0).standard_normal((16, 32), dtype=np.float32)
    inits = ["he_normal", initlab.XavierNormal(), {"class_name": "Normal", "config": {}}]
    c = initlab.compare(inits, [32, 32, 32, 32], x, activation="relu", rng=7)
    assert c.labels == ("he_normal", "GlorotNormal", "Normal") and c.depth == 3
    # the same draws as probing each network with one generator, in order
    gen = np.random.default_rng(7)
    for label, spec in zip(c.labels, inits, strict=True):
        net = initlab.MLP([32, 32, 32, 32], activation="relu", init=spec, rng=gen)
        direct = net.probe(x, rng=gen)
        for name in ("act_std", "dh_in_var", "act_std_pred"):
            np.testing.assert_array_equal(c[label][name], direct[name])
    lines = c.table().splitlines()
    assert lines[0].split() == ["init", "layer", "act", "std", "(pred)", "Var", "dL/dh_in",
                                "(pred)"]
    body = [line.split() for line in lines[1:]]
    assert len(body) == 3 * 3
    assert [(row[0], row[1]) for row in body[:3]] == [("he_normal", "1"), ("he_normal", "2"),
                                                      ("he_normal", "3")]
    assert len(c.to_records()) == 9 and c.to_records()[3]["init"] == "GlorotNormal"
    data = json.loads(c.to_json())
    assert list(data) == list(c.labels)
    assert Report.from_dict(data["Normal"]).depth == 3
    assert "<table" in c._repr_html_() and "Comparison" in repr(c)
    assert set(c.verdicts()) == set(c.labels)
    assert c.table(["dw_var"], layers=[2]).count("\n") == 3


def test_compare_plot_overlays_the_inits() -> None:
    pytest.importorskip("matplotlib")
    c = initlab.compare({"a": "lecun_normal", "b": "normal"}, [16] * 5, np.ones((8, 16)),
                        rng=0)
    fig = c.plot()
    assert len(fig.axes) == 2
    for ax in fig.axes:
        solid = [ln for ln in ax.get_lines() if ln.get_linestyle() != "--"]
        dashed = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
        assert len(solid) == 2 and len(dashed) == 2          # one of each per init
        for s_line, d_line in zip(solid, dashed, strict=True):
            assert s_line.get_color() == d_line.get_color()
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()][:2] == ["a", "b"]


@pytest.mark.parametrize("call, exc, words", [
    (lambda: initlab.compare("he_normal", [4, 4], np.ones((2, 4))), TypeError, "inits="),
    (lambda: initlab.compare([], [4, 4], np.ones((2, 4))), ValueError, "inits=[]"),
    (lambda: initlab.compare(["he"], [4, 4], np.ones((2, 4))), ValueError, "init 'he'"),
    (lambda: initlab.compare(["he_normal"], [4], np.ones((2, 4))), ValueError, "widths"),
    (lambda: initlab.compare(["he_normal"], [4, 4], np.ones((2, 3))), ValueError, "x="),
    (lambda: initlab.compare(["he_normal"], [4, 4], np.ones((2, 4)), rng=-1), ValueError,
     "rng="),
], ids=["str", "empty", "bad-init", "widths", "x", "rng"])
def test_compare_bad_arguments(call: Any, exc: type[Exception], words: str) -> None:
    with pytest.raises(exc) as info:
        call()
    assert str(info.value).startswith("compare"), str(info.value)
    assert words in str(info.value)


# --------------------------------------------------------------------------------------------
# Table: the base of Report and initlab.torch.ModuleReport


class Named(Table):
    """A table whose rows are named by the text column ``name``."""

    index = "name"


def test_table_types_formats_and_json_round_trip() -> None:
    t = Table({"name": ["a", "b", "c"], "n": [1, 2, 3], "x": [0.5, None, math.inf],
               "words": ["inf", "x", "y"]}, {"title": "three rows", "k": (1, 2)},
              {"x": "a real"})
    assert [t[c].dtype.kind for c in t.columns] == ["U", "i", "f", "U"]
    assert t.depth == len(t) == 3 and "x" in t and "nope" not in t
    with pytest.raises(ValueError):
        t["n"][0] = 5                                    # read-only
    with pytest.raises(KeyError, match="no column 'nope'"):
        t["nope"]
    assert math.isnan(t.to_records()[1]["x"])
    rec = t.to_records()[2]
    assert rec == {"name": "c", "n": 3, "x": math.inf, "words": "y"}
    assert [type(v) for v in rec.values()] == [str, int, float, str]
    data = json.loads(t.to_json())
    assert list(data) == ["meta", "columns", "types", "descriptions"]
    assert data["columns"]["x"] == [0.5, None, "inf"] and data["meta"]["k"] == [1, 2]
    assert data["types"] == {"name": "str", "n": "int", "x": "float", "words": "str"}
    back = Table.from_json(t.to_json())
    assert back.to_json() == t.to_json() and back["words"].tolist() == ["inf", "x", "y"]
    assert back["x"][2] == math.inf and math.isnan(back["x"][1])
    assert t.describe_columns() == {"name": "", "n": "", "x": "a real", "words": ""}
    assert t.table(["name", "x"]).splitlines() == ["name    x", "   a  0.5", "   b  nan",
                                                  "   c  inf"]
    assert str(t).startswith("three rows\n") and repr(t) == "<Table: three rows; 3 rows>"
    html = t._repr_html_()
    assert html.startswith("<table") and html.count("<tr>") == 1 + 3 and "three rows" in html
    t.title = "renamed"
    assert t.title == "renamed" and t.meta["title"] == "renamed"
    assert Table({"x": [1.0]}).title == "1 rows"


def test_table_rows_by_number_or_index_value() -> None:
    t = Named({"name": ["fc1", "fc2", "fc3"], "std": [1.0, 0.5, 0.25]})
    assert t.table(["std"], rows=["fc3", 1]).split()[1:] == ["0.25", "1"]
    assert isinstance(Named.from_json(t.to_json()), Named)
    with pytest.raises(ValueError, match=r"rows='fc9'.*row number in \[1, 3\] or a name"):
        t.table(rows=["fc9"])
    with pytest.raises(ValueError, match="rows=0"):
        t.table(rows=[0])
    with pytest.raises(ValueError, match=r"Named\.table: columns='nope'"):
        t.table(["nope"])


@pytest.mark.parametrize("call, exc, words", [
    (lambda: Table([1, 2]), TypeError, "Table: columns=[1, 2]"),                  # type: ignore
    (lambda: Table({"a": [1.0], "b": [1.0, 2.0]}), ValueError, "use 1 values"),
    (lambda: Table({"a": [[1.0, 2.0]]}), ValueError, "a="),
    (lambda: Table({"a": [{}]}), TypeError, "a="),
    (lambda: Table({3: [1.0]}), TypeError, "name=3"),                             # type: ignore
    (lambda: Named({"std": [1.0]}), KeyError, "include at least 'name'"),
    (lambda: Table({"a": [1]}).add_column("a", [2]), ValueError, "name='a'"),
    (lambda: Table({"a": [1]}).add_column("b", [2, 3]), ValueError, "b="),
    (lambda: Table.from_json("garbage"), ValueError, "Table.from_json: text="),
    (lambda: Table.from_json(3), TypeError, "text=3"),                            # type: ignore
    (lambda: Table.from_dict({"meta": {}}), ValueError, "'meta' and 'columns'"),
    (lambda: Table.from_dict({"meta": {}, "columns": {"a": 3}}), ValueError, "not a Table"),
], ids=["columns", "lengths", "2-d", "objects", "name", "index", "taken", "count", "garbage",
        "not-str", "missing-part", "bad-column"])
def test_table_bad_input_names_the_argument(call: Any, exc: type[Exception],
                                            words: str) -> None:
    with pytest.raises(exc) as info:
        call()
    assert words in str(info.value), str(info.value)


def test_report_is_a_table_and_keeps_its_json(report: Report) -> None:
    assert isinstance(report, Table) and Report.index == "layer"
    assert list(json.loads(report.to_json())) == ["meta", "columns", "histograms",
                                                  "predictions"]
    back = Report.from_json(report.to_json())
    assert isinstance(back, Report) and back.to_json() == report.to_json()
    assert report.table(["act_std"], predictions=False) == report.table(
        ["act_std"], [1, 2, 3], predictions=False)
    with pytest.raises(ValueError, match=r"Report: layer='1' is not accepted; use a layer "
                                         r"number in \[1, 3\]\."):
        report.table(layers=["1"])  # type: ignore[list-item]


def test_plot_columns_panels_scales_and_axes() -> None:
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    import initlab.plotting

    t = Named({"name": ["a", "b", "c"], "mean": [0.1, -0.2, 0.0], "var": [1.0, 0.5, 0.25],
               "n": [1, 2, 3]})
    fig = t.plot()                                   # every real column in one panel
    assert len(fig.axes) == 1 and fig.axes[0].get_yscale() == "linear"
    assert [ln.get_label() for ln in fig.axes[0].get_lines()] == ["mean", "var"]
    assert [x.get_text() for x in fig.axes[0].get_xticklabels()] == ["a", "b", "c"]
    fig = initlab.plotting.plot_columns(t, columns=[["var"], ["mean"]], title="T")
    assert [a.get_yscale() for a in fig.axes] == ["log", "linear"]
    np.testing.assert_array_equal(fig.axes[0].get_lines()[0].get_xdata(), [1, 2, 3])
    t.add_column("_", [1.0, 2.0, 3.0])
    shown = Named.from_json(json.dumps({**json.loads(t.to_json()),
                                        "meta": {"panels": [["var", "_"]]}}))
    assert [ln.get_label() for ln in shown.plot().axes[0].get_lines()] == ["var", "_"]
    pair = Figure().subplots(1, 2)
    assert t.plot(ax=pair, columns=[["var"], ["mean"]]) is pair[0].figure
    one = Figure().subplots()
    t.plot(ax=one, columns=[["var"], ["mean"]])      # one Axes: every curve
    assert len(one.get_lines()) == 2
    with pytest.raises(ValueError, match="ax="):
        t.plot(ax=list(Figure().subplots(1, 3)), columns=[["var"], ["mean"]])
    with pytest.raises(ValueError, match="columns='nope'"):
        t.plot(columns=[["nope"]])
