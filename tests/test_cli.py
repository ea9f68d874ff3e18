"""Tests of the command line: subcommands, --json output, exit codes and error messages."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

import initlab
from initlab.cli import _parse_spec, _parser, main


def run_main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:        # argparse errors and --help/--version
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_gain_and_fans(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["gain", "tanh"], capsys)
    assert (code, err) == (0, "")
    assert out.splitlines() == ["calculate_gain (PyTorch):  1.6666666666666667",
                                f"exact forward gain (q=1): {initlab.gain('tanh')!r}"]
    code, out, _ = run_main(["gain", "gelu", "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and data["torch"] is None
    assert data["exact"] == pytest.approx(1.533530, abs=1e-6)
    code, out, _ = run_main(["gain", "tanh", "--backward", "--q", "4", "--json"], capsys)
    assert json.loads(out)["exact"] == pytest.approx(
        initlab.gain("tanh", q=4, direction="backward"), rel=1e-12)
    code, out, _ = run_main(["gain", "leaky_relu", "--param", "0.2", "--json"], capsys)
    assert code == 0
    assert json.loads(out) == {"nonlinearity": "leaky_relu", "param": 0.2,
                               "torch": pytest.approx((2 / 1.04) ** 0.5),
                               "exact": pytest.approx((2 / 1.04) ** 0.5, rel=1e-12),
                               "q": 1.0, "direction": "forward"}
    code, out, _ = run_main(["fans", "64,3,3,3", "--layout", "torch"], capsys)
    assert (code, out) == (0, "fan_in=27 fan_out=576 receptive_field=9\n")
    code, out, _ = run_main(["fans", "3x3x16x32", "--json"], capsys)
    assert json.loads(out) == {"fan_in": 144, "fan_out": 288, "receptive_field": 9}


def test_probe_table_and_json(capsys: pytest.CaptureFixture[str], tmp_path: Any) -> None:
    code, out, err = run_main(["probe", "--depth", "4", "--width", "32", "--batch", "64",
                               "--init", "normal(std=0.01)"], capsys)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "4 layers 32->32, tanh, float32, batch 64"
    assert lines[-1].startswith("verdict: vanishing")
    code, out, _ = run_main(["probe", "--widths", "20,10,5", "--activation", "relu",
                             "--init", '{"class_name": "HeNormal"}', "--batch-norm", "--bias",
                             "--dtype", "float64", "--batch", "16", "--json"], capsys)
    data = json.loads(out)
    assert code == 0
    assert data["meta"]["widths"] == [20, 10, 5] and data["meta"]["batch_norm"] is True
    assert data["meta"]["dtype"] == "float64" and "db_var" in data["columns"]
    assert data["verdict"]["kind"] in ("healthy", "vanishing", "exploding", "saturating")
    # the same seed gives the same numbers
    code, again, _ = run_main(["probe", "--widths", "20,10,5", "--activation", "relu",
                               "--init", '{"class_name": "HeNormal"}', "--batch-norm",
                               "--bias", "--dtype", "float64", "--batch", "16", "--json"],
                              capsys)
    assert again == out


def test_probe_trials_and_plot(capsys: pytest.CaptureFixture[str], tmp_path: Any) -> None:
    code, out, _ = run_main(["probe", "--depth", "3", "--width", "16", "--batch", "8",
                             "--trials", "4", "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and data["n"] == 4 and len(data["records"]) == 3
    code, out, _ = run_main(["probe", "--depth", "3", "--width", "16", "--batch", "8",
                             "--trials", "3"], capsys)
    assert code == 0 and out.startswith("3 draws of") and "95% CI" in out
    pytest.importorskip("matplotlib")
    png = tmp_path / "p.png"
    code, _, _ = run_main(["probe", "--depth", "3", "--width", "16", "--batch", "8",
                           "--plot", str(png)], capsys)
    assert code == 0 and png.read_bytes()[:4] == b"\x89PNG"


def test_probe_plot_without_matplotlib(capsys: pytest.CaptureFixture[str], tmp_path: Any,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    code, _, err = run_main(["probe", "--depth", "2", "--width", "8", "--batch", "4",
                             "--plot", str(tmp_path / "p.png")], capsys)
    assert code == 1 and 'pip install "initlab[plot]"' in err


def test_demo(capsys: pytest.CaptureFixture[str], tmp_path: Any) -> None:
    code, out, err = run_main(["demo", "--only", "E1,E7a", "--batch", "300"], capsys)
    assert code == 0 and err == ""
    assert out.count("verdict:") == 2
    assert "verdict: exploding: inf/nan from layer 32" in out
    assert "batch 300" in out
    code, out, _ = run_main(["demo", "--list"], capsys)
    assert code == 0 and out.splitlines()[0].startswith("E1")
    pytest.importorskip("matplotlib")
    code, out, _ = run_main(["demo", "--only", "E7c", "--out", str(tmp_path / "d")], capsys)
    assert code == 0 and (tmp_path / "d" / "E7c.png").exists()


def test_full_demo(capsys: pytest.CaptureFixture[str]) -> None:
    """The README's first command: every experiment, a table and a verdict each."""
    code, out, err = run_main(["demo"], capsys)
    assert code == 0 and err == ""
    assert out.count("verdict:") == 13
    assert "E2  tanh, W ~ N(0, 1)" in out


BAD = [
    (["nope"], "invalid choice"),
    (["probe"], "one of the arguments --widths --depth is required"),
    (["probe", "--depth", "0", "--width", "4"], "--depth"),
    (["probe", "--depth", "3"], "--depth needs --width"),
    (["probe", "--widths", "4,3", "--width", "3"], "--width goes with --depth"),
    (["probe", "--widths", "a,b"], "not a list of integers"),
    (["probe", "--widths", "4"], "widths=[4]"),
    (["probe", "--depth", "2", "--width", "4", "--init", "xavierr"], "init"),
    (["probe", "--depth", "2", "--width", "4", "--init", "normal(std=-1)"], "std=-1"),
    (["probe", "--depth", "2", "--width", "4", "--init", "normal(0.1)"], "key=value"),
    (["probe", "--depth", "2", "--width", "4", "--init", "{bad json"], "not valid JSON"),
    (["probe", "--depth", "2", "--width", "4", "--activation", "tanhh"], "activation"),
    (["probe", "--depth", "2", "--width", "4", "--dtype", "int8"], "invalid choice"),
    (["probe", "--depth", "3", "--width", "4", "--activation", "relu,linear"],
     "--activation 'relu,linear' gives 2 comma-separated activations for 3 layers"),
    (["probe", "--depth", "2", "--width", "4", "--activation", "relu,"], "--activation"),
    (["fans", "3,4,5", "--in-axis", "0,"], "argument --in-axis: '0,' is not an axis"),
    (["fans", "3,4,5", "--out-axis", "x"], "argument --out-axis: 'x'"),
    (["fans", "3,4,5", "--batch-axis", "1.5"], "argument --batch-axis: '1.5'"),
    (["fans", "3,4,5", "--in-axis", "7"], "in_axis=7"),
    (["gain", "tanh", "--param", "0.3"], "--param 0.3 has no effect with 'tanh'"),
    (["gain", "leaky_relu(0.2)", "--param", "0.3"], "already sets the slope"),
    (["probe", "--depth", "2", "--width", "4", "--seed", "-3"], "--seed"),
    (["fans", "64,3,3,3", "--layout", "torchh"], "layout='torchh'"),
    (["fans", "64,x"], "not a list of integers"),
    (["gain", "swishy"], "'swishy'"),
    (["gain", "tanh", "--q", "-1"], "q=-1.0"),
    (["gain", "leaky_relu", "--param", "nan"], "--param"),
    (["demo", "--only", "E9"], "unknown experiment 'E9'"),
    (["demo", "--batch", "0"], "--batch"),
]


@pytest.mark.parametrize("argv, words", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_arguments_exit_2_with_one_line(argv: list[str], words: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(argv, capsys)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("initlab") and "error:" in err and words in err
    assert "Traceback" not in err


def test_help_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--help"], ["demo", "--help"], ["probe", "--help"], ["fans", "--help"],
                 ["gain", "--help"]):
        code, out, _ = run_main(argv, capsys)
        assert code == 0 and out.startswith("usage: initlab")
    code, out, _ = run_main(["--version"], capsys)
    assert code == 0 and out.startswith("initlab ")
    code, out, _ = run_main([], capsys)
    assert code == 2 and "COMMAND" in out


def test_parse_spec() -> None:
    assert _parse_spec("he_normal") == "he_normal"
    assert _parse_spec("normal(std=0.01, mean=0)") == {
        "class_name": "normal", "config": {"std": 0.01, "mean": 0}}
    assert _parse_spec("orthogonal(gain=1.5, layout='in_out')")["config"] == {
        "gain": 1.5, "layout": "in_out"}


def _env() -> dict[str, str]:
    env = dict(os.environ)
    src = os.path.join(os.path.dirname(os.path.dirname(__file__)), "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    return env


def test_python_dash_m(tmp_path: Any) -> None:
    out = subprocess.run([sys.executable, "-m", "initlab", "probe", "--depth", "2", "--width",
                          "8", "--batch", "4", "--json"], capture_output=True, text=True,
                         env=_env(), timeout=120, check=False, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["meta"]["widths"] == [8, 8, 8]
    bad = subprocess.run([sys.executable, "-m", "initlab", "gain", "bogus"],
                         capture_output=True, text=True, env=_env(), timeout=120, check=False)
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.startswith("initlab gain: error: gain: nonlinearity='bogus'")


def test_console_script() -> None:
    exe = shutil.which("initlab")
    if exe is None:
        pytest.skip("the initlab console script is not installed")
    out = subprocess.run([exe, "gain", "relu"], capture_output=True, text=True, timeout=120,
                         check=False)
    assert out.returncode == 0
    assert out.stdout.splitlines()[0] == "calculate_gain (PyTorch):  1.4142135623730951"


# ------------------------------------------------------------------------------------------
# issue 9: what a new user hit


def _one_line_error(code: int, out: str, err: str, *words: str) -> None:
    assert code == 2, err
    assert out == ""  # refused before any work: no table printed
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("initlab ") and "error:" in err and "Traceback" not in err
    for word in words:
        assert word in err, (word, err)


PROBE = ["probe", "--depth", "2", "--width", "8", "--batch", "4"]


@pytest.mark.parametrize("trials", [[], ["--trials", "2"]], ids=["probe", "trials"])
def test_plot_path_refused_before_work(capsys: pytest.CaptureFixture[str], tmp_path: Any,
                                       trials: list[str]) -> None:
    pytest.importorskip("matplotlib")
    missing = str(tmp_path / "nonexistent" / "x.png")
    _one_line_error(*run_main([*PROBE, *trials, "--plot", missing], capsys),
                    "--plot", missing, "does not exist")
    noext = str(tmp_path / "noext")
    _one_line_error(*run_main([*PROBE, *trials, "--plot", noext], capsys),
                    "--plot", "no file extension", ".png", ".pdf", ".svg")
    _one_line_error(*run_main([*PROBE, *trials, "--plot", str(tmp_path / "x.doc")], capsys),
                    "--plot", "cannot write .doc", ".png")
    _one_line_error(*run_main([*PROBE, *trials, "--plot", str(tmp_path)], capsys),
                    "--plot", "is a directory")
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing written
    code, _, err = run_main([*PROBE, *trials, "--plot", str(tmp_path / "fig.SVG")], capsys)
    assert code == 0 and err == "" and (tmp_path / "fig.SVG").read_bytes().startswith(b"<?xml")


def test_write_failure_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Any,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """An OSError while writing (after the checks passed) is still one line and status 2."""
    pytest.importorskip("matplotlib")

    def refuse(self: object, path: str | None = None, **kwargs: Any) -> None:
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(initlab.engine.Report, "plot", refuse)
    code, _, err = run_main([*PROBE, "--plot", str(tmp_path / "p.png")], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert err.startswith("initlab probe: error: [Errno 13] Permission denied")


def test_demo_out_refused_before_work(capsys: pytest.CaptureFixture[str],
                                      tmp_path: Any) -> None:
    existing = tmp_path / "existing.txt"
    existing.write_text("keep me")
    _one_line_error(*run_main(["demo", "--only", "E1", "--out", str(existing)], capsys),
                    "--out", str(existing), "is not a directory")
    _one_line_error(*run_main(["demo", "--only", "E1", "--out", str(existing / "sub")],
                              capsys), "--out", "is a file")
    assert existing.read_text() == "keep me"


def test_gain_param_only_where_it_acts(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(["gain", "leaky_relu", "--param", "0.2"], capsys)
    assert code == 0 and out.startswith("calculate_gain (PyTorch):  1.38675")
    code, out, _ = run_main(["gain", "leaky_relu(0.2)"], capsys)
    assert code == 0 and out.splitlines()[1].endswith(repr(initlab.gain("leaky_relu(0.2)")))


def test_every_option_has_help() -> None:
    parser = _parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(subparsers.choices) == {"demo", "probe", "fans", "gain"}
    for name, sub in subparsers.choices.items():
        for action in sub._actions:
            assert action.help and action.help.strip(), (name, action.dest)


def test_probe_dtype_float16(capsys: pytest.CaptureFixture[str]) -> None:
    """float16 is offered; the CLI runs it where the MLP engine does, else says why."""
    try:
        initlab.MLP([2, 2], dtype=np.dtype("float16"))
    except TypeError as exc:
        code, out, err = run_main([*PROBE, "--dtype", "float16"], capsys)
        _one_line_error(code, out, err, "--dtype float16", str(exc).splitlines()[0])
    else:  # pragma: no cover - once the engine computes in float16
        code, out, _ = run_main([*PROBE, "--dtype", "float16", "--json"], capsys)
        assert code == 0 and json.loads(out)["meta"]["dtype"] == "float16"


def test_probe_per_layer_activations(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["probe", "--widths", "12,10,8,6", "--batch", "16", "--json"]
    _, one, _ = run_main([*base, "--activation", "relu"], capsys)
    _, three, _ = run_main([*base, "--activation", "relu,relu,relu"], capsys)
    assert json.loads(one) == json.loads(three)
    code, out, err = run_main([*base, "--activation", "relu, relu, linear"], capsys)
    assert (code, err) == (0, "")
    # the library call the CLI makes, with the documented draw order
    gen = np.random.default_rng(0)
    net = initlab.MLP([12, 10, 8, 6], activation=["relu", "relu", "linear"], rng=gen)
    x = gen.standard_normal((16, 12), dtype=np.float32)
    expected = net.probe(x, rng=gen).to_dict()
    got = json.loads(out)
    got.pop("verdict")
    assert got == json.loads(json.dumps(expected, allow_nan=False))
    code, out, _ = run_main([*base, "--activation", "elu(alpha=0.5),tanh,linear"], capsys)
    assert code == 0


def test_probe_defaults_are_the_mlp_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["probe", "--depth", "3", "--width", "8", "--batch", "4", "--bias", "--json"]
    _, default, _ = run_main(base, capsys)
    _, explicit, _ = run_main([*base, "--init", "xavier_normal", "--bias-init", "zeros"],
                              capsys)
    assert default == explicit


FANS = [
    (["3,4,5", "--in-axis", "0,1", "--out-axis", "-1"],
     {"in_axis": (0, 1), "out_axis": -1}, (12, 5, 1)),
    (["2,3,4,5", "--batch-axis", "0"], {"batch_axis": 0}, (12, 15, 3)),
    (["2,3,4,5", "--batch-axis", "0,1", "--in-axis", "2"],
     {"batch_axis": (0, 1), "in_axis": 2}, (4, 5, 1)),
    (["4,6", "--in-axis", "", "--out-axis", "0,1"], {"in_axis": (), "out_axis": (0, 1)},
     (1, 24, 1)),
    (["8,4,3", "--layout", "torch", "--in-axis", "1"], {"layout": "torch", "in_axis": 1},
     (12, 24, 3)),
    (["2,3,4", "--in-axis", "-2,-1", "--out-axis", "0"], {"in_axis": (-2, -1), "out_axis": 0},
     (12, 2, 1)),
    (["2,3,4", "--in-axis=-2,-1", "--out-axis", "-3"], {"in_axis": (-2, -1), "out_axis": -3},
     (12, 2, 1)),
]


@pytest.mark.parametrize("argv, kwargs, expected", FANS, ids=[" ".join(a) for a, _, _ in FANS])
def test_fans_axes(capsys: pytest.CaptureFixture[str], argv: list[str], kwargs: dict[str, Any],
                   expected: tuple[int, int, int]) -> None:
    code, out, err = run_main(["fans", *argv, "--json"], capsys)
    assert (code, err) == (0, "")
    shape = tuple(int(n) for n in argv[0].split(","))
    assert tuple(initlab.compute_fans(shape, **kwargs)) == expected
    assert json.loads(out) == dict(zip(("fan_in", "fan_out", "receptive_field"), expected,
                                       strict=True))
