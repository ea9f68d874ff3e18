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
    assert lines[blocks[1] + 1].endswith("python -m pytest -n auto")
    assert lines[blocks[0] - 1] == "<!-- demo-command -->"
    assert lines[blocks[1] - 1] == "<!-- test-command -->"


_NUMBER = re.compile(r"(\d+(?:\.\d*)?)(?:e([-+]\d+))?")
#: Relative tolerance of the README's demo figures (see the test's docstring).
_RTOL = 0.05


def _close(expected: str, printed: str) -> bool:
    """Same words, same layout of numbers, numbers equal to _RTOL plus display rounding."""
    words = _NUMBER.split(expected), _NUMBER.split(printed)
    if len(words[0]) != len(words[1]):
        return False
    for k, (a, b) in enumerate(zip(*words, strict=True)):
        if k % 3 == 0:  # text between numbers
            if a != b:
                return False
        elif k % 3 == 1:  # mantissa; k % 3 == 2 is its exponent (compared through the value)
            ea, eb = (int(w[k + 1] or 0) for w in words)
            unit = sum(10.0 ** (e - len(m.partition(".")[2])) for m, e in ((a, ea), (b, eb)))
            va, vb = float(a) * 10.0 ** ea, float(b) * 10.0 ** eb
            if abs(va - vb) > _RTOL * max(abs(va), abs(vb)) + unit / 2:
                return False
    return True


def test_close() -> None:
    assert _close("x1.3e+08 (pred) 0.7612", "x1.2e+08 (pred) 0.7603")
    assert _close("layer 75 down", "layer 75 down")
    assert not _close("layer 75 down", "layer 76 up")
    assert not _close("1.225e+08", "1.4e+08")
    assert not _close("0.5 0.6", "0.5")


def test_readme_demo_output_is_what_the_demo_prints():
    """The README's demo tables and verdicts are what ``initlab demo`` prints.

    Words, columns and layer numbers agree exactly; numbers to 5 % (plus the rounding of the
    printed digits): float32 matrix products round differently with each processor's BLAS
    kernels, and the chaotic experiments (E2, E7e: chi1 > 1) amplify that rounding to a few
    percent in the gradient figures (2.6 % measured between two processors).
    """
    import io

    from initlab.engine import run_demo

    buffer = io.StringIO()
    results = run_demo(seed=0, file=buffer)
    blocks = {b.splitlines()[0]: b for b in buffer.getvalue().split("\n\n") if b.strip()}
    verdicts = {exp.key: v.message for exp, _, v in results}
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## What the demo prints"):text.index("## Differences")]
    tables, lines = re.findall(r"```\n(.*?)```", section, re.S)[:2]
    for table in tables.strip().split("\n\n"):
        title = table.splitlines()[0]
        assert title in blocks, title
        printed = blocks[title].strip("\n")
        assert _close(table.strip("\n"), printed), (table, printed)
    for line in lines.strip().splitlines():
        key, verdict = line.split(maxsplit=1)
        assert _close(verdict, verdicts[key]), (verdict, verdicts[key])


def test_training_code_block_runs(capsys):
    import pytest

    pytest.importorskip("torch")
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## In training code"):]
    block = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict[str, object] = {}
    exec(compile(block, "README.md", "exec"), namespace)
    assert "0.weight" in capsys.readouterr().out
    # the comment's claim: seed_for reproduces the weight that init_ wrote
    import numpy as np

    it = namespace["it"]
    model = namespace["model"]
    it.init_(model, "kaiming_normal", rng=0)
    assert np.array_equal(model[0].weight.detach().numpy(), namespace["w"])
