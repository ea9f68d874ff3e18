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
from initlab.engine import COLUMNS, DESCRIPTIONS, LayerStats, Report, Trials


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
    assert report.columns == COLUMNS
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
    rep.add_column("act_std_mf", [0.6, 0.5, 0.4], predicts="act_std",
                   description="mean-field prediction")
    rep.add_column("note", [1, 2, 3])
    assert rep.predictions == {"act_std": "act_std_mf"}
    header = rep.table().splitlines()[0]
    assert "act std  act std (pred)" in header
    assert "note" not in header
    assert rep.layer(1).extra == {"act_std_mf": 0.6, "note": 1.0}
    assert rep.describe_columns()["act_std_mf"] == "mean-field prediction"
    assert rep.to_records()[2]["act_std_mf"] == 0.4
    back = Report.from_json(rep.to_json())
    assert back.predictions == {"act_std": "act_std_mf"}
    assert back["note"].tolist() == [1.0, 2.0, 3.0]
    for bad, exc in [(dict(name="act_std", values=[1, 2, 3]), ValueError),
                     (dict(name="x", values=[1, 2]), ValueError),
                     (dict(name="y", values=[1, 2, 3], predicts="act_std"), ValueError),
                     (dict(name="z", values=[1, 2, 3], predicts="nope"), ValueError),
                     (dict(name=3, values=[1, 2, 3]), TypeError)]:
        with pytest.raises(exc):
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
    rep = Report.from_json(report.to_json())
    rep.add_column("act_std_mf", [0.6, 0.5, 0.4], predicts="act_std")
    labels = [line.get_label() for line in rep.plot().axes[-2].get_lines()]
    assert "activation std (predicted)" in labels


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
