"""Static architecture checks of a Python package (issue 9), read with :mod:`ast`.

Four rules, each a function returning one message per offence (``file:line: ...``), so a test
can assert the list is empty and print every offence at once:

* :func:`import_cycles`: no import cycle between the package's modules. Imports inside
  functions count; imports inside ``if TYPE_CHECKING:`` do not. The implicit import of a
  module's parent packages does not count (it would make every ``__init__`` that imports a
  submodule a cycle); ``from .pkg import name`` is an edge to ``pkg`` (its ``__init__``) and,
  when ``pkg.name`` is a module, to that module too.
* :func:`private_uses`: no module imports or reads another module's underscore name
  (``from .stats import _helper``, ``stats._helper``). Underscore *modules* are the home of
  shared internals: ``from . import _format`` and ``from ._format import number`` are fine,
  ``from ._format import _digits`` is not. Dunder names and a module's own names are fine.
* :func:`name_strings`: initializer names used as string constants outside the modules that
  declare them. Docstrings (and any bare string statement), ``__all__`` lists and f-string
  fragments are not uses; explicit ``(module, string)`` exemptions carry their reason.
* :func:`undocumented`: public names (``__all__`` of the package and of its public modules)
  missing from the API page.

The checks know nothing about initlab: ``tests/test_architecture.py`` runs them on
``src/initlab`` and on small broken packages built in ``tmp_path``.
"""

from __future__ import annotations

import ast
import importlib
import itertools
import re
import sys
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Module", "import_cycles", "load", "name_strings", "private_uses",
           "public_names", "undocumented"]


@dataclass(frozen=True)
class Module:
    """One module of the package: dotted name, file, syntax tree."""

    name: str
    path: Path
    tree: ast.Module
    is_package: bool
    shown: str  # the path shown in messages

    def where(self, node: ast.AST | int) -> str:
        line = node if isinstance(node, int) else getattr(node, "lineno", 0)
        return f"{self.shown}:{line}"


def load(root: Path | str, base: Path | str | None = None) -> dict[str, Module]:
    """Parse every ``.py`` file under the package directory ``root`` (named by its folder).

    Messages show paths relative to ``base`` (default: the folder holding the package).
    """
    root = Path(root)
    base = root.parent if base is None else Path(base)
    modules: dict[str, Module] = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent).with_suffix("")
        parts = list(rel.parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        name = ".".join(parts)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        modules[name] = Module(name, path, tree, is_package, path.relative_to(base).as_posix())
    return modules


# ------------------------------------------------------------------------------------------
# imports


@dataclass(frozen=True)
class _Import:
    node: ast.Import | ast.ImportFrom
    runtime: bool  # False inside `if TYPE_CHECKING:`


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(node: ast.AST, runtime: bool = True) -> Iterator[_Import]:
    """Every import statement under ``node``, in functions too, flagged by TYPE_CHECKING."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        yield _Import(node, runtime)
        return
    if isinstance(node, ast.If) and _is_type_checking(node.test):
        for child in node.body:
            yield from _imports(child, False)
        for child in node.orelse:
            yield from _imports(child, runtime)
        return
    for child in ast.iter_child_nodes(node):
        yield from _imports(child, runtime)


def _from_base(mod: Module, node: ast.ImportFrom, modules: Mapping[str, Module]) -> str | None:
    """The dotted module a ``from X import ...`` reads from, if it is in the package."""
    if node.level == 0:
        base = node.module or ""
    else:
        parts = mod.name.split(".") if mod.is_package else mod.name.split(".")[:-1]
        if node.level > 1:
            parts = parts[: len(parts) - (node.level - 1)]
        base = ".".join(parts + ([node.module] if node.module else []))
    return base if base in modules else None


def _targets(mod: Module, node: ast.Import | ast.ImportFrom,
             modules: Mapping[str, Module]) -> list[tuple[str, str | None, str | None]]:
    """``(target module, imported name or None, bound name or None)`` for each alias."""
    out: list[tuple[str, str | None, str | None]] = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            parts = alias.name.split(".")
            found = next((".".join(parts[:i]) for i in range(len(parts), 0, -1)
                          if ".".join(parts[:i]) in modules), None)
            if found is not None:
                out.append((found, None, alias.asname))
        return out
    base = _from_base(mod, node, modules)
    if base is None:
        return out
    for alias in node.names:
        sub = f"{base}.{alias.name}"
        if sub in modules:
            out.append((sub, None, alias.asname or alias.name))
        else:
            out.append((base, alias.name, None))
    return out


def _edges(modules: Mapping[str, Module]) -> dict[str, dict[str, int]]:
    """``edges[a][b]`` = the first line where module ``a`` imports module ``b`` at run time."""
    edges: dict[str, dict[str, int]] = {name: {} for name in modules}
    for mod in modules.values():
        for imp in _imports(mod.tree):
            if not imp.runtime:
                continue
            for target, _, _ in _targets(mod, imp.node, modules):
                # importing a.b.c runs a.b's __init__ first: an edge too, unless a.b is
                # a package the importer belongs to (its own parents are always loaded)
                # (`from .. import name` reads the parent's __init__: an edge as well)
                if target != mod.name:
                    edges[mod.name].setdefault(target, imp.node.lineno)
                parts = target.split(".")
                for k in range(1, len(parts)):
                    dest = ".".join(parts[:k])
                    if dest != mod.name and not mod.name.startswith(dest + "."):
                        edges[mod.name].setdefault(dest, imp.node.lineno)
    return edges


def _strongly_connected(edges: Mapping[str, Mapping[str, int]]) -> list[list[str]]:
    """Tarjan's strongly connected components (iterative), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.append(top)
                    if top == node:
                        break
                result.append(sorted(component))
    return result


def _shortest_cycle(start: str, members: Collection[str],
                    edges: Mapping[str, Mapping[str, int]]) -> list[str]:
    """A shortest path start -> ... -> start inside one strongly connected component."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(edges[node]):
                if child not in members:
                    continue
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [*reversed(path), start]
                if child not in previous:
                    previous[child] = node
                    following.append(child)
        frontier = following
    raise AssertionError("not a cycle")  # pragma: no cover


def import_cycles(modules: Mapping[str, Module]) -> list[str]:
    """One message per import cycle (per strongly connected component), with its path."""
    edges = _edges(modules)
    messages = []
    for component in _strongly_connected(edges):
        if len(component) < 2:
            continue
        path = _shortest_cycle(component[0], set(component), edges)
        steps = [f"{a} ({modules[a].where(edges[a][b])})" for a, b in itertools.pairwise(path)]
        message = "import cycle: " + " -> ".join([*steps, path[-1]])
        if len(component) > len(path) - 1:  # more cycles in the same knot: every edge in it
            inside = [f"{a} -> {b} ({modules[a].where(line)})" for a in component
                      for b, line in sorted(edges[a].items()) if b in component]
            message += (f"; {len(component)} modules in this knot, its imports: "
                        + "; ".join(inside))
        messages.append(message)
    return messages


# ------------------------------------------------------------------------------------------
# underscore names


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def _own_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """The nodes of one scope (not descending into nested functions, lambdas, classes)."""
    for child in ast.iter_child_nodes(node):
        yield child
        if not isinstance(child, _SCOPES):
            yield from _own_nodes(child)


def _bindings(scope: ast.AST, mod: Module,
              modules: Mapping[str, Module]) -> dict[str, str | None]:
    """Names a scope binds: to a package module (by an import) or None (anything else)."""
    bound: dict[str, str | None] = {}
    if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        args = scope.args
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is not None:
                bound[arg.arg] = None
    for node in _own_nodes(scope):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for target, name, as_name in _targets(mod, node, modules):
                if as_name is not None and name is None:
                    bound[as_name] = target
            if isinstance(node, ast.Import):  # `import a.b` binds a
                for alias in node.names:
                    top = alias.name.split(".")[0]
                    if alias.asname is None and top in modules:
                        bound[top] = top
            for alias in node.names:  # names bound to something else than a module
                local = alias.asname or alias.name.split(".")[0]
                bound.setdefault(local, None)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound[node.id] = None
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound[node.name] = None
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound[node.name] = None
    return bound


def private_uses(modules: Mapping[str, Module]) -> list[str]:
    """Imports and attribute reads of another module's underscore names."""
    messages: list[str] = []
    for mod in modules.values():
        for imp in _imports(mod.tree):
            node = imp.node
            if not isinstance(node, ast.ImportFrom):
                continue
            for target, name, _ in _targets(mod, node, modules):
                if name is not None and _private(name) and target != mod.name:
                    messages.append(f"{mod.where(node)}: {mod.name} imports {name} "
                                    f"from {target}")
        _attribute_uses(mod, mod.tree, [], modules, messages)
    return messages


def _resolve(expr: ast.expr, scopes: list[dict[str, str | None]],
             modules: Mapping[str, Module]) -> str | None:
    if isinstance(expr, ast.Name):
        for scope in reversed(scopes):
            if expr.id in scope:
                return scope[expr.id]
        return None
    if isinstance(expr, ast.Attribute):
        base = _resolve(expr.value, scopes, modules)
        if base is not None and f"{base}.{expr.attr}" in modules:
            return f"{base}.{expr.attr}"
    return None


def _attribute_uses(mod: Module, scope: ast.AST, outer: list[dict[str, str | None]],
                    modules: Mapping[str, Module], messages: list[str]) -> None:
    scopes = [*outer, _bindings(scope, mod, modules)]
    for node in _own_nodes(scope):
        if isinstance(node, _SCOPES):
            _attribute_uses(mod, node, scopes, modules, messages)
        elif isinstance(node, ast.Attribute) and _private(node.attr):
            owner = _resolve(node.value, scopes, modules)
            if (owner is not None and owner != mod.name
                    and f"{owner}.{node.attr}" not in modules):
                messages.append(f"{mod.where(node)}: {mod.name} uses {owner}.{node.attr}")


# ------------------------------------------------------------------------------------------
# initializer name strings


def _skipped(tree: ast.Module) -> set[int]:
    """ids of the subtrees that are not uses: string statements, ``__all__``, f-strings."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)):
            skip.add(id(node))
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                skip.add(id(node))
        elif isinstance(node, ast.JoinedStr):
            skip.add(id(node))
    return skip


def _strings(node: ast.AST, skip: set[int]) -> Iterator[ast.Constant]:
    if id(node) in skip:
        return
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node
    for child in ast.iter_child_nodes(node):
        yield from _strings(child, skip)


def _inside(name: str, homes: Collection[str]) -> bool:
    return any(name == home or name.startswith(home + ".") for home in homes)


def _keyword_values(tree: ast.Module, keywords: Collection[str]) -> set[int]:
    """ids of the values given to ``keywords``: ``f(k=v)``, ``{"k": v}``, ``def f(k=v)``."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            found.update(id(k.value) for k in node.keywords if k.arg in keywords)
        elif isinstance(node, ast.Dict):
            found.update(id(v) for k, v in zip(node.keys, node.values, strict=True)
                         if isinstance(k, ast.Constant) and k.value in keywords)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            args = node.args
            positional = [*args.posonlyargs, *args.args]
            pairs = [*zip(positional[len(positional) - len(args.defaults):], args.defaults,
                              strict=True),
                     *zip(args.kwonlyargs, args.kw_defaults, strict=True)]
            found.update(id(d) for a, d in pairs if d is not None and a.arg in keywords)
    return found


def name_strings(modules: Mapping[str, Module], names: Collection[str],
                 allowed: Collection[str],
                 exempt: Mapping[tuple[str, str], str] | None = None,
                 keywords: Mapping[str, str] | None = None) -> list[str]:
    """String constants equal to one of ``names`` outside the ``allowed`` modules/packages.

    ``exempt`` maps ``(module, string)`` to the reason that string is not an initializer name
    in that module (e.g. an activation alias that happens to be spelled ``'identity'``);
    ``keywords`` maps an argument name to the reason its values are not initializer names
    (e.g. ``distribution='normal'`` of variance scaling), wherever they are given.
    """
    exempt = exempt or {}
    wanted = set(names)
    messages = []
    for mod in modules.values():
        if _inside(mod.name, allowed):
            continue
        skip = _skipped(mod.tree) | _keyword_values(mod.tree, keywords or {})
        for const in _strings(mod.tree, skip):
            if const.value in wanted and (mod.name, const.value) not in exempt:
                messages.append(f"{mod.where(const)}: {mod.name} uses the initializer name "
                                f"{const.value!r}")
    return messages


# ------------------------------------------------------------------------------------------
# documentation


def _literal_all(mod: Module) -> list[str] | None:
    for node in mod.tree.body:
        if (isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                return None
            return [str(v) for v in value]
    return None


def public_names(modules: Mapping[str, Module], src: Path | str) -> dict[str, list[str]]:
    """``__all__`` of the package and of each public module (no ``_`` part in its name).

    ``__all__`` is read from the source when it is a literal, else by importing the module with
    ``src`` on ``sys.path``; a module whose optional dependency is missing falls back to the
    literal (and is skipped when there is none).
    """
    result: dict[str, list[str]] = {}
    for name, mod in sorted(modules.items()):
        if any(part.startswith("_") for part in name.split(".")):
            continue
        names = _literal_all(mod)
        has_all = any(isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign))
                      and "__all__" in ast.dump(n) for n in mod.tree.body)
        if names is None and has_all:
            path = str(src)
            added = path not in sys.path
            if added:
                sys.path.insert(0, path)
            try:
                names = list(importlib.import_module(name).__all__)
            except ImportError:
                names = None
            finally:
                if added:
                    sys.path.remove(path)
        if names is not None:
            result[name] = names
    return result


def undocumented(public: Mapping[str, Collection[str]], docs: str,
                 page: str = "docs/api.md") -> list[str]:
    """Public names that appear in no code span of ``docs`` (dunder names are exempt).

    A name counts as documented when it is a whole word inside backquotes, alone
    (`` `MLP` ``), qualified (`` `stats.describe` ``) or in a signature
    (`` `describe(x, *, bounds)` ``).
    """
    spans = " ".join(re.findall(r"`([^`]+)`", docs))
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", spans))
    homes: dict[str, list[str]] = {}
    for module, names in public.items():
        for name in names:
            if not (name.startswith("__") and name.endswith("__")) and name not in words:
                homes.setdefault(name, []).append(module)
    return [f"{page}: {where[0]}.{name} is public (in the __all__ of {', '.join(where)}) but "
            "not documented" for name, where in homes.items()]
