r"""What the framework bridges share: path-keyed seeds, rules, and the plan of an initialization.

The bridges (``initlab.torch``, ``initlab.jax``, ``initlab.keras``) initialize every parameter
of a model in one call. Three pieces are framework-free and live here:

- :func:`seed_for` gives each parameter its own stream, keyed by ``(seed, path)``: a
  parameter's values depend on nothing but the seed and its own name (not on module order,
  on other parameters, on threads or on sharding), and NumPy reproduces them with
  ``initlab.<init>(shape, ..., rng=initlab.seed_for(seed, path))``.
- :class:`Rules`: an ordered mapping from glob patterns on parameter paths (or layer classes)
  to initializers; the first match wins, and a rule that matches nothing is an error.
- :class:`Plan`: one :class:`PlanEntry` per parameter (path, shape, dtype, layer kind,
  initializer, where the decision came from, fans, expected std), printable as a table.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol, overload, runtime_checkable

import numpy as np

from ._format import cell, html_table
from ._validate import fail, is_int

__all__ = ["Plan", "PlanEntry", "RuleSource", "Rules", "base_seed", "seed_for"]

_SEED_DOMAIN = b"initlab.seed_for/v1\x00"


def seed_for(seed: int, path: str) -> int:
    r"""The seed of one parameter: a 128-bit integer derived from ``(seed, path)``.

    Parameters
    ----------
    seed : int
        The model's seed, an integer ``>= 0``.
    path : str
        The parameter's path in the model, e.g. ``"blocks.0.attn.c_proj.weight"``
        (PyTorch's ``named_parameters()``) or ``"params/Dense_0/kernel"`` (a Flax tree).

    Returns
    -------
    int
        An integer in :math:`[0, 2^{128})`, usable as ``rng=`` of every initlab function.

    Raises
    ------
    TypeError
        If ``seed`` is not an integer or ``path`` not a string.
    ValueError
        If ``seed`` is negative.

    Notes
    -----
    The derived seed is the first 16 bytes, big-endian, of

    .. math:: \mathrm{SHA\text{-}256}(\texttt{"initlab.seed\_for/v1\textbackslash 0"}
              \,\|\, \mathrm{decimal}(seed) \,\|\, \texttt{"\textbackslash 0"}
              \,\|\, \mathrm{utf8}(path)),

    so it is the same on every machine, Python and NumPy version; the values drawn from it
    follow initlab's block scheme (``initlab.random``). Distinct paths give independent
    streams (a collision needs a SHA-256 prefix collision). The bridges call it for every
    parameter when given an int ``rng``, so a model's parameter has the values that the same
    initializer gives in NumPy with ``rng=seed_for(seed, path)``.

    References
    ----------
    .. [1] NIST FIPS 180-4, "Secure Hash Standard (SHS)", 2015 (SHA-256).
    .. [2] Scientific Python SPEC 7, "Seeding pseudo-random number generation".

    Examples
    --------
    >>> import initlab
    >>> s = initlab.seed_for(0, "fc.weight")
    >>> s == initlab.seed_for(0, "fc.weight"), s == initlab.seed_for(1, "fc.weight")
    (True, False)
    >>> w = initlab.kaiming_normal((10, 64), layout="torch", rng=s)
    >>> bool((w == initlab.kaiming_normal((10, 64), layout="torch", rng=s)).all())
    True
    """
    if not is_int(seed):
        fail("seed_for", "seed", seed, "use an integer >= 0", TypeError)
    seed = operator.index(seed)
    if seed < 0:
        fail("seed_for", "seed", seed, "use an integer >= 0")
    if not isinstance(path, str):
        fail("seed_for", "path", path, "use the parameter's path as a str", TypeError)
    digest = hashlib.sha256(_SEED_DOMAIN + str(seed).encode() + b"\x00"
                            + path.encode("utf-8")).digest()
    return int.from_bytes(digest[:16], "big")


def base_seed(func: str, rng: object) -> int:
    """The model-wide base seed of a bridge call from ``rng`` (SPEC 7).

    An int is used as is (it must be ``>= 0``); ``None`` draws fresh entropy from the
    operating system; a ``numpy.random.Generator`` is consumed once (one raw 64-bit draw), so
    that consecutive calls with one generator give different values.

    Examples
    --------
    >>> import numpy as np
    >>> from initlab.plan import base_seed
    >>> base_seed("init_", 7)
    7
    >>> base_seed("init_", np.random.default_rng(0)) == base_seed("init_", np.random.default_rng(0))
    True
    """
    if rng is None:
        return int(np.random.SeedSequence().generate_state(1, np.uint64)[0])
    if is_int(rng):
        value = operator.index(rng)  # type: ignore[arg-type]
        if value < 0:
            fail(func, "rng", rng, "use None, an integer >= 0 or a numpy.random.Generator")
        return value
    if isinstance(rng, np.random.Generator):
        return int(rng.bit_generator.random_raw())
    fail(func, "rng", rng, "use None, an integer >= 0 or a numpy.random.Generator", TypeError)


# --------------------------------------------------------------------------------------------
# rules


@dataclass(frozen=True)
class Rule:
    """One rule: a key (glob pattern or class), the initializer as given, and as resolved.

    ``init`` is ``None`` for a rule that leaves its parameters untouched.
    """

    key: str | type
    spec: object
    init: Any


class Rules:
    r"""An ordered mapping of rules: the first rule that matches a parameter decides.

    Parameters
    ----------
    func : str
        The calling function's name, for error messages.
    rules : mapping or sequence of (key, value) pairs, optional
        Keys are glob patterns on the parameter path (``fnmatch``: ``*`` matches any run of
        characters, separators included, ``?`` one character, ``[seq]`` one of ``seq``),
        or — where the bridge allows it (``classes``) — layer classes, matching the
        parameters of their instances. Values are anything :func:`initlab.get` accepts,
        or ``None`` to leave the parameters as they are.
    classes : type or tuple of type, optional
        The base class that class keys must derive from (e.g. ``torch.nn.Module``); without
        it only string keys are accepted.
    resolve : callable, optional
        Turns a value into the initializer used; default :func:`initlab.get`. A bridge may
        pass its own to accept extra spellings such as ``"torch"``.

    Raises
    ------
    TypeError
        For a key of another type, or a value :func:`initlab.get` refuses by type.
    ValueError
        For an empty pattern, or a value :func:`initlab.get` refuses.

    Notes
    -----
    :meth:`match` records which rules were used; :meth:`check_used` then raises for a rule
    that matched nothing, so that a typo in a pattern cannot pass silently.

    References
    ----------
    .. [1] Python documentation, ``fnmatch`` — Unix filename pattern matching.

    Examples
    --------
    >>> import initlab
    >>> rules = initlab.Rules("init_", {"*.bias": "zeros", "blocks.*.weight": None})
    >>> rules.match("blocks.0.bias").key, rules.match("blocks.0.weight").init
    ('*.bias', None)
    >>> rules.match("head.weight") is None
    True
    """

    def __init__(self, func: str, rules: object = None, *,
                 classes: type | tuple[type, ...] | None = None,
                 resolve: Callable[[object], Any] | None = None) -> None:
        if resolve is None:
            from .initializers import get

            resolve = get
        self._func = func
        self._classes = classes
        items: list[tuple[object, object]]
        if rules is None:
            items = []
        elif isinstance(rules, Mapping):
            items = list(rules.items())
        elif isinstance(rules, Sequence) and not isinstance(rules, (str, bytes)) and all(
                isinstance(p, tuple) and len(p) == 2 for p in rules):
            items = list(rules)
        else:
            fail(func, "rules", rules, "use a dict (or a list of (key, value) pairs) mapping "
                 "glob patterns" + (" or layer classes" if classes else "")
                 + " to initializers", TypeError)
        compiled: list[Rule] = []
        for key, value in items:
            self._check_key(key)
            init = None if value is None else self._resolve(key, value, resolve)
            compiled.append(Rule(key, value, init))  # type: ignore[arg-type]
        self._rules = tuple(compiled)
        self._used = [False] * len(compiled)

    def _check_key(self, key: object) -> None:
        func = self._func
        accepted = "use a glob pattern on parameter paths such as '*.bias'" + (
            " or a layer class" if self._classes else "")
        if isinstance(key, str):
            if not key:
                fail(func, "rules key", key, accepted)
            return
        if isinstance(key, type) and self._classes is not None and issubclass(key,
                                                                             self._classes):
            return
        fail(func, "rules key", key, accepted, TypeError)

    def _resolve(self, key: object, value: object, resolve: Callable[[object], Any]) -> Any:
        try:
            return resolve(value)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{self._func}: rules[{_key_text(key)}]: {exc}") from exc

    def __len__(self) -> int:
        return len(self._rules)

    def __iter__(self) -> Iterator[Rule]:
        return iter(self._rules)

    def match(self, path: str, owner: object = None) -> Rule | None:
        """The first rule matching ``path`` (or the class of ``owner``), or ``None``."""
        for i, rule in enumerate(self._rules):
            key = rule.key
            hit = (fnmatch.fnmatchcase(path, key) if isinstance(key, str)
                   else owner is not None and isinstance(owner, key))
            if hit:
                self._used[i] = True
                return rule
        return None

    def unused(self) -> list[Rule]:
        """The rules that have matched no parameter so far."""
        return [r for r, used in zip(self._rules, self._used, strict=True) if not used]

    def check_used(self) -> None:
        """Raise ``ValueError`` naming the first rule that matched no parameter."""
        unused = self.unused()
        if unused:
            keys = ", ".join(_key_text(r.key) for r in unused)
            fail(self._func, "rules", f"{{{keys}: ...}}", "every rule must match at least one "
                 "parameter (check the pattern against the plan's paths)",
                 why="matched no parameter")


@runtime_checkable
class RuleSource(Protocol):
    """What a bridge accepts in place of ``init``: a recipe or a μP plan.

    ``as_rules()`` returns ``(default, rules)``: ``default`` is the initializer of every weight
    that no rule matches (anything :func:`initlab.get` accepts, or ``None`` to leave such
    weights as they are), and ``rules`` an ordered mapping of glob patterns to initializers
    as :class:`Rules` takes. A bridge puts the caller's own ``rules=`` before these (the
    caller's first match wins) and keeps its layer-kind defaults for biases and norms.
    """

    def as_rules(self) -> tuple[object, Mapping[str, object]]:
        """``(default, rules)``, see the class docstring."""
        ...


def _key_text(key: object) -> str:
    return repr(key) if isinstance(key, str) else getattr(key, "__name__", repr(key))


# --------------------------------------------------------------------------------------------
# plan


@dataclass(frozen=True)
class PlanEntry:
    """The decision for one parameter.

    Attributes
    ----------
    path : str
        The parameter's path in the model.
    shape : tuple of int
        Its shape (global shape for a sharded parameter).
    dtype : str
        Its dtype name (``'float32'``, ``'bfloat16'``, ...).
    kind : str
        The owning layer's class name (``'Linear'``, ``'Conv2d'``, ...), or ``''``.
    init : str
        The initializer applied (its ``repr``), or ``'untouched'``.
    source : str
        Where the decision came from: ``'default'``, ``"rule '<key>'"`` or ``'untouched'``.
    fan_in, fan_out : float or None
        The fans used (per block for blocked parameters such as packed attention).
    std : float or None
        The expected standard deviation of one element, when known.
    blocks : int
        Number of independently drawn blocks (3 for packed q/k/v, 4 for LSTM gates, ...).
    note : str
        Anything else worth saying (e.g. ``'PyTorch default: N(0, 1)'``).

    References
    ----------
    .. [1] Python documentation, ``dataclasses`` (frozen dataclasses).

    Examples
    --------
    >>> import initlab
    >>> e = initlab.PlanEntry("fc.bias", (10,), "float32", "Linear", "Zeros()", "default")
    >>> e.touched, e.std
    (True, None)
    """

    path: str
    shape: tuple[int, ...]
    dtype: str
    kind: str
    init: str
    source: str
    fan_in: float | None = None
    fan_out: float | None = None
    std: float | None = None
    blocks: int = 1
    note: str = ""

    @property
    def touched(self) -> bool:
        """Whether the parameter is (to be) written."""
        return self.source != "untouched"


_COLUMNS = ("path", "shape", "dtype", "kind", "init", "source", "fan_in", "fan_out", "std")


def _cell(value: object) -> str:
    """A plan cell: shapes as tuples, everything else as the lab's tables show it."""
    if isinstance(value, tuple):
        return "(" + ", ".join(map(str, value)) + ("," if len(value) == 1 else "") + ")"
    return cell(value)


class Plan(Sequence[PlanEntry]):
    """The initialization plan of a model: one :class:`PlanEntry` per parameter, in order.

    Returned by the bridges' ``plan(...)`` (nothing written) and ``init_(...)`` (written).
    Index it by position or by parameter path; ``str(plan)`` is a table, ``to_records()``
    and ``to_json()`` give the data, ``_repr_html_()`` the notebook view.

    References
    ----------
    .. [1] anyinit's per-layer report and PyTorch's ``named_parameters()`` order, which the
       bridges' plans follow.

    Examples
    --------
    >>> import initlab
    >>> plan = initlab.Plan([
    ...     initlab.PlanEntry("fc.weight", (10, 64), "float32", "Linear", "HeNormal()",
    ...                       "default", 64, 10, 0.1768),
    ...     initlab.PlanEntry("fc.bias", (10,), "float32", "Linear", "Zeros()", "default"),
    ... ])
    >>> plan["fc.weight"].std
    0.1768
    >>> print(plan.table(["path", "shape", "init", "std"]))
    path       shape    init        std
    fc.weight  (10, 64) HeNormal()  0.1768
    fc.bias    (10,)    Zeros()     -
    """

    def __init__(self, entries: Sequence[PlanEntry], *, title: str = "") -> None:
        self._entries = tuple(entries)
        self._by_path = {e.path: e for e in self._entries}
        self.title = title

    @overload
    def __getitem__(self, index: int) -> PlanEntry: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[PlanEntry]: ...

    @overload
    def __getitem__(self, index: str) -> PlanEntry: ...

    def __getitem__(self, index: int | slice | str) -> PlanEntry | Sequence[PlanEntry]:
        if isinstance(index, str):
            try:
                return self._by_path[index]
            except KeyError:
                fail("Plan", "path", index, "use one of the plan's parameter paths",
                     KeyError, why="is not in the plan")
        return self._entries[index]

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, item: object) -> bool:
        return item in self._by_path if isinstance(item, str) else item in self._entries

    @property
    def paths(self) -> list[str]:
        """Every parameter path, in order."""
        return [e.path for e in self._entries]

    @property
    def untouched(self) -> list[str]:
        """Paths of the parameters left as they were."""
        return [e.path for e in self._entries if not e.touched]

    def table(self, columns: Sequence[str] | None = None) -> str:
        """A plain-text table (default columns: path, shape, dtype, kind, init, source,
        fan_in, fan_out, std)."""
        cols = list(_COLUMNS if columns is None else columns)
        bad = [c for c in cols if c not in PlanEntry.__dataclass_fields__]
        if bad:
            fail("Plan.table", "columns", bad[0], "use fields of PlanEntry: "
                 + ", ".join(PlanEntry.__dataclass_fields__))
        rows = [[_cell(getattr(e, c)) for c in cols] for e in self._entries]
        widths = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in enumerate(cols)]
        lines = [" ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)).rstrip()]
        lines += [" ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()
                  for r in rows]
        head = [self.title] if self.title else []
        return "\n".join(head + lines)

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        touched = sum(e.touched for e in self._entries)
        return f"<Plan: {len(self)} parameters, {touched} initialized, " \
               f"{len(self) - touched} untouched>"

    def _repr_html_(self) -> str:
        rows = [[_cell(getattr(e, c)) for c in _COLUMNS] for e in self._entries]
        return html_table(self.title, _COLUMNS, rows)

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per parameter (JSON-ready: shapes as lists)."""
        return [{**asdict(e), "shape": list(e.shape)} for e in self._entries]

    def to_json(self, *, indent: int | None = None) -> str:
        """The records as JSON."""
        return json.dumps({"title": self.title, "entries": self.to_records()}, indent=indent)
