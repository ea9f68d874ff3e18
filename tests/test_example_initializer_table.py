"""The initializer-table example runs, and every measured variance is within its interval."""

from __future__ import annotations

import pathlib
import subprocess
import sys

SCRIPT = pathlib.Path(__file__).resolve().parent.parent / "examples" / "initializer_table.py"


def test_initializer_table_example_runs():
    out = subprocess.run([sys.executable, str(SCRIPT), "--seed", "3"], capture_output=True,
                         text=True, check=True)
    lines = out.stdout.splitlines()
    assert lines[0].split()[:2] == ["layer", "initializer"]
    assert len(lines) == 2 + 5 * 6
    assert "depthwise 3x3, 256 ch" in out.stdout and "9       9" in out.stdout
