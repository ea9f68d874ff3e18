"""The architecture rules of docs/architecture.md, checked on ``src/initlab`` with ``ast``.

Two halves:

* the four ``test_tree_*`` tests hold ``src/initlab`` and ``docs/api.md`` to the rules, and list
  every offence (``file:line``) when they fail;
* the ``test_check_*`` tests build small packages in ``tmp_path`` and show that each check fails
  on a deliberately broken one and passes on a clean one (the checks themselves live in
  ``tests/architecture.py``).
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

import architecture as arch  # tests/architecture.py (tests/ is on sys.path, as same_bits)
import initlab

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
PACKAGE = SRC / "initlab"
API = ROOT / "docs" / "api.md"

#: Modules (or packages, with everything inside) where initializer names may be strings.
NAME_HOMES = {
    "initlab.initializers": "the declaration table of the initializers",
    "initlab.testing.strategies": "hypothesis strategies: the valid arguments of each "
                                  "initializer, the test-side twin of the table",
}
#: Arguments whose string values are never initializer names, wherever they are written.
NAME_KEYWORDS = {
    "distribution": "variance scaling's distribution ('truncated_normal', 'normal', "
                    "'uniform': Keras's spelling), not an initializer",
    "grad": "grad='normal' of the lab: a standard-normal upstream gradient",
    "init": "an initializer spec handed to the API (a default such as MLP's "
            "init='xavier_normal'): resolved through initlab.get, i.e. the table; nothing "
            "branches on it",
    "bias_init": "as init",
}
#: (module, string) pairs where the string is spelled like an initializer but is not one.
NAME_EXEMPT = {
    ("initlab.activations", "identity"): "the activation alias identity -> linear",
    ("initlab.engine.mlp", "normal"): "the grad kinds ('normal', 'sum', 'mse') it accepts",
    ("initlab.cli", "normal"): "--grad normal: standard-normal upstream gradient",
    ("initlab.torch.probe", "normal"): "grad='normal': a standard-normal upstream gradient",
    ("initlab.testing._stats", "normal"): "kurtosis='normal' names a distribution",
    ("initlab.testing._stats", "uniform"): "kurtosis='uniform' names a distribution",
    ("initlab.testing._stats", "truncated_normal"): "kurtosis='truncated_normal' names a "
                                                    "distribution",
}


def initializer_names() -> set[str]:
    """Every name in ``initlab.INITIALIZERS`` and every public alias of one (``he_normal``)."""
    functions = {id(getattr(initlab, name)) for name in initlab.INITIALIZERS}
    aliases = {name for name in initlab.__all__ if id(getattr(initlab, name)) in functions}
    return set(initlab.INITIALIZERS) | aliases


def _report(messages: list[str]) -> str:
    return f"{len(messages)} offence(s):\n" + "\n".join(messages)


# ------------------------------------------------------------------------------------------
# the real tree


def test_tree_has_no_import_cycles() -> None:
    cycles = arch.import_cycles(arch.load(PACKAGE, ROOT))
    assert not cycles, _report(cycles)


def test_tree_uses_no_private_name_of_another_module() -> None:
    uses = arch.private_uses(arch.load(PACKAGE, ROOT))
    assert not uses, _report(uses)


def test_tree_writes_initializer_names_only_in_the_table() -> None:
    modules = arch.load(PACKAGE, ROOT)
    names = initializer_names()
    assert {"kaiming_normal", "he_normal", "glorot_uniform", "identity"} <= names
    found = arch.name_strings(modules, names, NAME_HOMES, NAME_EXEMPT, NAME_KEYWORDS)
    # an exemption that no longer matches anything is removed, so the list stays minimal
    stale = [f"NAME_EXEMPT: ({module!r}, {value!r}) matches nothing; remove it"
             for module, value in NAME_EXEMPT
             if not arch.name_strings({module: modules[module]}, {value}, ())
             if module in modules] + [
        f"NAME_EXEMPT: module {module!r} does not exist; remove or rename the entry"
        for module, _ in NAME_EXEMPT if module not in modules]
    assert not found + stale, _report(found + stale)


def test_tree_documents_every_public_name() -> None:
    public = arch.public_names(arch.load(PACKAGE, ROOT), SRC)
    assert set(public["initlab"]) == set(initlab.__all__)
    assert {"initlab.stats", "initlab.theory", "initlab.engine", "initlab.testing"} <= set(public)
    missing = arch.undocumented(public, API.read_text(encoding="utf-8"))
    assert not missing, _report(missing)


# ------------------------------------------------------------------------------------------
# the checks on broken and clean packages


def make_package(tmp_path: Path, files: dict[str, str], name: str = "pkg") -> Path:
    """Write ``files`` (paths relative to the package, ``__init__.py`` files added)."""
    root = tmp_path / name
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    for folder in [root, *(p for p in root.rglob("*") if p.is_dir())]:
        (folder / "__init__.py").touch()
    return root


CLEAN = {
    "__init__.py": """
        '''A clean package.'''
        from . import stats as stats
        from .table import he_normal as he_normal
        from .stats import describe as describe

        __version__ = "1.0"
        __all__ = ["__version__", "describe", "he_normal", "stats"]
        """,
    "_format.py": """
        def number(x):
            return f"{x:.4g}"

        def _digits(x):
            return len(str(x))
        """,
    "table.py": """
        NAMES = ("he_normal", "normal")

        def he_normal(shape):
            '''Draw "he_normal" weights (names in docstrings do not count).'''
            return shape
        """,
    "stats.py": """
        from typing import TYPE_CHECKING

        from ._format import number
        from . import _format

        if TYPE_CHECKING:
            from .engine import Report

        __all__ = ["describe"]

        def describe(x):
            return number(x) + str(_helper(x)) + _format.number(x)

        def _helper(x):
            return x
        """,
    "engine/__init__.py": """
        from .report import Report as Report

        __all__ = ["Report"]
        """,
    "engine/report.py": """
        from .. import stats
        from ..table import he_normal

        def report(x, init=None):
            '''Describe ``x`` drawn by "he_normal".'''
            init = he_normal if init is None else init
            return stats.describe(x), init, scale(x, distribution="normal")

        def scale(x, *, distribution="uniform"):
            return x, {"distribution": "normal", "grad": "sum"}

        class Report:
            pass
        """,
}
CLEAN_DOCS = "`he_normal`, `describe(x)`, `stats`, `engine.Report`"


def test_check_passes_on_a_clean_package(tmp_path: Path) -> None:
    root = make_package(tmp_path, CLEAN)
    modules = arch.load(root)
    assert set(modules) == {"pkg", "pkg._format", "pkg.table", "pkg.stats", "pkg.engine",
                            "pkg.engine.report"}
    assert arch.import_cycles(modules) == []
    assert arch.private_uses(modules) == []
    assert arch.name_strings(modules, {"he_normal", "normal", "uniform"}, {"pkg.table"},
                             keywords={"distribution": "a distribution"}) == []
    public = arch.public_names(modules, tmp_path)
    assert public == {"pkg": ["__version__", "describe", "he_normal", "stats"],
                      "pkg.engine": ["Report"], "pkg.stats": ["describe"]}
    assert arch.undocumented(public, CLEAN_DOCS) == []


CYCLES = {
    "import inside a function": (
        {"a.py": "from .b import g\n", "b.py": "def g():\n    from . import a\n"},
        "import cycle: pkg.a (pkg/a.py:1) -> pkg.b (pkg/b.py:2) -> pkg.a"),
    "else branch of TYPE_CHECKING": (
        {"a.py": "from .b import g\n",
         "b.py": "import typing\nif typing.TYPE_CHECKING:\n    pass\nelse:\n"
                 "    from .a import f\n"},
        "pkg.b (pkg/b.py:5) -> pkg.a"),
    "from .sub import name reads sub/__init__": (
        {"a.py": "from .sub import C\n", "sub/__init__.py": "from .c import C\n",
         "sub/c.py": "from ..a import f\n"},
        "import cycle: pkg.a (pkg/a.py:1) -> pkg.sub (pkg/sub/__init__.py:1) -> pkg.sub.c "
        "(pkg/sub/c.py:1) -> pkg.a"),
    "from .sub import module": (
        {"a.py": "from .sub import c\n", "sub/c.py": "from .. import a\n"},
        "import cycle: pkg.a (pkg/a.py:1) -> pkg.sub.c (pkg/sub/c.py:1) -> pkg.a"),
    "importing a module runs its package's __init__": (
        {"a.py": "from .sub.c import C\n", "sub/__init__.py": "from .d import D\n",
         "sub/c.py": "C = 1\n", "sub/d.py": "import pkg.a\nD = 1\n"},
        "import cycle: pkg.a (pkg/a.py:1) -> pkg.sub (pkg/sub/__init__.py:1) -> pkg.sub.d "
        "(pkg/sub/d.py:1) -> pkg.a"),
    "a name from the parent's __init__": (
        {"__init__.py": "from .a import f\nVERSION = '1'\n",
         "a.py": "def f():\n    from . import VERSION\n    return VERSION\n"},
        "import cycle: pkg (pkg/__init__.py:1) -> pkg.a (pkg/a.py:2) -> pkg"),
    "absolute imports": (
        {"a.py": "import pkg.b as b\n", "b.py": "from pkg import a\n"},
        "import cycle: pkg.a (pkg/a.py:1) -> pkg.b (pkg/b.py:1) -> pkg.a"),
    "three modules, two cycles": (
        {"a.py": "from . import b, c\n", "b.py": "from . import a\n",
         "c.py": "def f():\n    from .b import g\n"},
        "3 modules in this knot, its imports: pkg.a -> pkg.b (pkg/a.py:1); pkg.a -> pkg.c "
        "(pkg/a.py:1); pkg.b -> pkg.a (pkg/b.py:1); pkg.c -> pkg.b (pkg/c.py:2)"),
}


@pytest.mark.parametrize("files, expected", CYCLES.values(), ids=CYCLES)
def test_check_finds_import_cycles(tmp_path: Path, files: dict[str, str],
                                   expected: str) -> None:
    cycles = arch.import_cycles(arch.load(make_package(tmp_path, files)))
    assert len(cycles) == 1 and expected in cycles[0], cycles


NOT_CYCLES = {
    "TYPE_CHECKING": {"a.py": "from .b import g\n",
                      "b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                              "    from .a import f\ndef g(): pass\n"},
    "a package importing its submodules": {"__init__.py": "from .a import f\n",
                                           "a.py": "from .b import g\nf = 1\n",
                                           "b.py": "from .sub import c\ng = 1\n",
                                           "sub/c.py": "x = 1\n"},
    "imports outside the package": {"a.py": "import os\nfrom numpy import b\n", "b.py": ""},
}


@pytest.mark.parametrize("files", NOT_CYCLES.values(), ids=NOT_CYCLES)
def test_check_cycles_ignores(tmp_path: Path, files: dict[str, str]) -> None:
    assert arch.import_cycles(arch.load(make_package(tmp_path, files))) == []


PRIVATE = {
    "helper.py": """
        import pkg
        import pkg.stats as st
        from . import stats, _format
        from .stats import _helper, describe
        from ._format import number, _digits
        from . import _hidden

        def f(x, obj):
            stats._helper(x)
            st._CACHE.clear()
            pkg.stats._helper(x)
            _format._digits(x)
            obj._private, describe(x), number(x), stats.__name__, pkg.__version__
            return _own(x)

        def g(stats):
            return stats._fine    # a parameter, not the module

        def h():
            from . import stats as s
            return s._inner

        def _own(x):
            return x
        """,
    "__init__.py": "_hidden = 1\n__version__ = '1'\n",
    "stats.py": "def describe(x): pass\ndef _helper(x): pass\n_CACHE = {}\n",
    "_format.py": "def number(x): pass\ndef _digits(x): pass\n",
}


def test_check_finds_private_names(tmp_path: Path) -> None:
    uses = arch.private_uses(arch.load(make_package(tmp_path, PRIVATE)))
    assert sorted(uses) == sorted([
        "pkg/helper.py:4: pkg.helper imports _helper from pkg.stats",
        "pkg/helper.py:5: pkg.helper imports _digits from pkg._format",
        "pkg/helper.py:6: pkg.helper imports _hidden from pkg",
        "pkg/helper.py:9: pkg.helper uses pkg.stats._helper",
        "pkg/helper.py:10: pkg.helper uses pkg.stats._CACHE",
        "pkg/helper.py:11: pkg.helper uses pkg.stats._helper",
        "pkg/helper.py:12: pkg.helper uses pkg._format._digits",
        "pkg/helper.py:21: pkg.helper uses pkg.stats._inner",
    ])


NAMES = {
    "table.py": "SPECS = {'he_normal': 1, 'normal': 2}\n",
    "use.py": '''
        """Module docstring naming "he_normal"."""
        __all__ = ["he_normal"]

        def f(x, *, init="he_normal"):
            """Docstring: 'he_normal'."""
            "a bare string statement: he_normal"
            if x == "normal":
                return f"{x}normal"
            return scale(x, distribution="normal"), {"distribution": "uniform"}, "identity"
        ''',
}


def test_check_finds_initializer_name_strings(tmp_path: Path) -> None:
    modules = arch.load(make_package(tmp_path, NAMES))
    names = {"he_normal", "normal", "uniform", "identity"}
    found = arch.name_strings(modules, names, {"pkg.table"})
    assert found == [
        "pkg/use.py:4: pkg.use uses the initializer name 'he_normal'",
        "pkg/use.py:7: pkg.use uses the initializer name 'normal'",
        "pkg/use.py:9: pkg.use uses the initializer name 'normal'",
        "pkg/use.py:9: pkg.use uses the initializer name 'uniform'",
        "pkg/use.py:9: pkg.use uses the initializer name 'identity'",
    ]
    exempt = arch.name_strings(modules, names, {"pkg.table"},
                               {("pkg.use", "identity"): "an activation"},
                               {"distribution": "a distribution"})
    assert exempt == found[:2]
    defaults = arch.name_strings(modules, names, {"pkg.table"}, keywords={"init": "a spec"})
    assert defaults == found[1:]  # the default of the parameter init= is exempt
    assert len(arch.name_strings(modules, names, ())) == len(found) + 2  # the table too
    assert arch.name_strings(modules, names, {"pkg"}) == []  # a package covers its modules


def test_check_finds_undocumented_names(tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_package(tmp_path, {
        "__init__.py": "__all__ = ['f', 'sub', 'dyn', '__version__']\n__version__ = '1'\n",
        "sub.py": "__all__ = ['g', 'f']\n",
        "dyn.py": "__all__ = [n.upper() for n in ('k',)]\n",
        "_private.py": "__all__ = ['hidden']\n",
        "noall.py": "x = 1\n",
    }, name="archtest_docs_pkg")
    monkeypatch.setattr(sys, "modules", dict(sys.modules))  # forget the imported package
    public = arch.public_names(arch.load(root), tmp_path)
    assert public == {"archtest_docs_pkg": ["f", "sub", "dyn", "__version__"],
                      "archtest_docs_pkg.dyn": ["K"], "archtest_docs_pkg.sub": ["g", "f"]}
    docs = "Functions `f(x)` and `mod.g`; modules sub, dyn and K are mentioned outside code."
    assert arch.undocumented(public, docs, page="api.md") == [
        "api.md: archtest_docs_pkg.sub is public (in the __all__ of archtest_docs_pkg) but not "
        "documented",
        "api.md: archtest_docs_pkg.dyn is public (in the __all__ of archtest_docs_pkg) but not "
        "documented",
        "api.md: archtest_docs_pkg.dyn.K is public (in the __all__ of archtest_docs_pkg.dyn) "
        "but not documented",
    ]
    assert arch.undocumented(public, docs + " `sub`, `dyn`, `K`") == []
