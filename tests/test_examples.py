"""Run the examples/ scripts headless (MPLBACKEND=Agg), as a notebook would run its cells."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SCRIPTS = [EXAMPLES / "signal_lab.py"]      # the signal-lab notebooks (percent format)


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_example_runs_headless(script: Path, tmp_path: Any) -> None:
    env = dict(os.environ, MPLBACKEND="Agg")
    src = str(EXAMPLES.parent / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, "-W", "error", str(script)], capture_output=True,
                         text=True, cwd=tmp_path, env=env, timeout=300, check=False)
    assert out.returncode == 0, out.stderr
    # nothing on stderr but, on a slow machine, the trials' progress bar (tqdm, after 2 s)
    rest = re.sub(r"initlab trials:[^\r\n]*", "", out.stderr)
    assert rest.strip() == "", out.stderr
    assert "first non-finite layer: 32" in out.stdout
    assert out.stdout.count("verdict:") >= 2
    assert list(tmp_path.iterdir()) == []          # writes nothing


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_example_is_a_percent_format_notebook(script: Path) -> None:
    text = script.read_text()
    cells = re.findall(r"^# %%", text, flags=re.M)
    assert len(cells) >= 8
    assert "format_name: percent" in text
    assert re.search(r"^# %% \[markdown\]", text, flags=re.M)
    compile(text, str(script), "exec")
