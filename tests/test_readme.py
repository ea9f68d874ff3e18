"""The README's API block runs, and its commented values are what the library returns."""

from __future__ import annotations

import pathlib
import re

import initlab

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def _api_block() -> str:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## The API in one block"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_api_block_runs(capsys):
    namespace: dict[str, object] = {}
    exec(compile(_api_block(), "README.md", "exec"), namespace)
    assert "layer" in capsys.readouterr().out
    assert namespace["init"] == initlab.critical("tanh", sigma_b=0.1)


def test_api_block_comments_are_true():
    assert tuple(initlab.compute_fans((64, 1, 3, 3), layout="torch", groups=64)) == (9, 9, 9)
    assert round(initlab.gain("tanh"), 4) == 1.5925
    assert initlab.calculate_gain("tanh") == 5 / 3
    assert round(initlab.theory.chi1("tanh", sigma_w=5 / 3), 2) == 1.21


def test_readme_opens_with_the_two_commands():
    lines = README.read_text(encoding="utf-8").splitlines()
    blocks = [i for i, line in enumerate(lines[:20]) if line.startswith("```bash")]
    assert len(blocks) == 2
    assert lines[blocks[0] + 1].endswith("initlab demo --out demo-out")
    assert lines[blocks[1] + 1].endswith("python -m pytest")
    assert lines[blocks[0] - 1] == "<!-- demo-command -->"
    assert lines[blocks[1] - 1] == "<!-- test-command -->"


def test_readme_demo_output_is_what_the_demo_prints():
    import io

    from initlab.engine import run_demo

    buffer = io.StringIO()
    run_demo(seed=0, file=buffer)
    printed = buffer.getvalue()
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## What the demo prints"):text.index("## Differences")]
    tables, verdicts = re.findall(r"```\n(.*?)```", section, re.S)[:2]
    for table in tables.strip().split("\n\n"):
        assert table in printed, table.splitlines()[0]
    for line in verdicts.strip().splitlines():
        key, verdict = line.split(maxsplit=1)
        assert f"verdict: {verdict}" in printed, key
