"""Every public name is documented: numpydoc docstring with References and Examples, and a
mention in the user guide (docs/*.md)."""

from __future__ import annotations

import inspect
import pathlib
import re

import pytest

import initlab

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"
CONSTANTS = {"ACTIVATIONS", "INITIALIZERS", "LAYOUTS", "TRUNCATED_NORMAL_STD", "__version__"}
PUBLIC = [name for name in initlab.__all__ if name not in CONSTANTS]


def test_all_is_sorted_unique_and_importable():
    assert len(set(initlab.__all__)) == len(initlab.__all__)
    for name in initlab.__all__:
        assert hasattr(initlab, name), name


@pytest.mark.parametrize("name", PUBLIC)
def test_docstring(name):
    obj = getattr(initlab, name)
    doc = inspect.getdoc(obj) or ""
    assert doc, f"{name} has no docstring"
    if inspect.ismodule(obj):
        return
    for section in ("References", "Examples"):
        assert re.search(rf"^{section}\n-+$", doc, re.M), f"{name}: no {section} section"
    assert ">>> " in doc


@pytest.mark.parametrize("name", [n for n in initlab.__all__ if n != "__version__"])
def test_mentioned_in_docs(name):
    text = "\n".join(p.read_text(encoding="utf-8") for p in DOCS.glob("*.md"))
    assert re.search(rf"\b{re.escape(name)}\b", text), f"{name} is not in docs/*.md"


def test_py_typed_is_shipped():
    assert (pathlib.Path(initlab.__file__).parent / "py.typed").exists()


def test_import_needs_only_numpy_and_scipy():
    import subprocess
    import sys

    code = ("import sys, initlab; bad = [m for m in ('matplotlib', 'hypothesis', 'dask', "
            "'tqdm', 'torch', 'pandas') if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def _initializer_index() -> str:
    """The docs/api.md index of initializers, rendered from the declaration table."""
    from initlab.initializers._core import DECLARATIONS

    rows = ["| function | class | other names for `get` | region | distribution |",
            "|---|---|---|---|---|"]
    for d in DECLARATIONS.values():
        aliases = ", ".join(f"`{a}`" for a in d.aliases)
        rows.append(f"| `{d.name}` | `{d.class_name}` | {aliases} | "
                    f"{'yes' if d.elementwise else 'no'} | {d.summary} |")
    return "\n".join(rows)


def test_api_index_of_initializers_is_derived_from_the_declarations():
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    begin, end = "<!-- initializer index: begin -->\n", "\n<!-- initializer index: end -->"
    current = text[text.index(begin) + len(begin):text.index(end)]
    assert current == _initializer_index(), "replace the index in docs/api.md with:\n" + (
        _initializer_index())


@pytest.mark.parametrize("module", ["initlab.initializers", "initlab.random", "initlab.dask",
                                    "initlab.testing", "initlab.testing.strategies"])
def test_submodule_public_names_are_in_api_md(module):
    import importlib

    text = (DOCS / "api.md").read_text(encoding="utf-8")
    names = importlib.import_module(module).__all__
    if module == "initlab.dask":  # the lazy forms are covered by the sentence on them
        names = ["array", "ELEMENTWISE"]
    missing = [n for n in names if not re.search(rf"\b{re.escape(n)}\b", text)]
    assert not missing, f"{module}: {missing} not in docs/api.md"
