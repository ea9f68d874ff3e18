"""examples/choosing_init.py (the figures of docs/choosing.md) runs headless in --quick mode."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "examples" / "choosing_init.py"
FIGURES = ("choosing_depth.png", "choosing_phase.png", "choosing_predicted_vs_measured.png")


@pytest.mark.slow
def test_choosing_example_writes_its_figures(tmp_path: Any) -> None:
    pytest.importorskip("matplotlib")
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, "-W", "error", str(SCRIPT), "--quick", "--out",
                          str(tmp_path / "img")], capture_output=True, text=True, cwd=tmp_path,
                         env=env, timeout=300, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    for name in FIGURES:
        png = tmp_path / "img" / name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert f"wrote {png}" in out.stdout
    assert sorted(p.name for p in (tmp_path / "img").iterdir()) == sorted(FIGURES)
    # every configuration prints its prediction beside its measurement
    assert out.stdout.count("predicted") >= 2 * 8
    assert "verdict: " in out.stdout


def test_docs_figures_are_committed_and_small() -> None:
    """The PNGs docs/choosing.md shows exist (made by the full run) and stay small."""
    text = (ROOT / "docs" / "choosing.md").read_text(encoding="utf-8")
    total = 0
    for name in FIGURES:
        assert f"](img/{name})" in text
        assert "python examples/choosing_init.py" in text
        png = ROOT / "docs" / "img" / name
        assert png.read_bytes()[:4] == b"\x89PNG"
        total += png.stat().st_size
    assert total < 600_000
