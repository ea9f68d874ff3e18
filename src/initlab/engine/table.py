r"""A table of rows with typed columns, metadata and a title: the one home of what every
report of initlab does with its data (access, text and HTML tables, records, JSON, plots).

:class:`Table` holds named columns (read-only NumPy arrays of ``int64``, ``float64`` or text),
a ``meta`` dict and a title. The lab's :class:`~initlab.engine.Report` (one row per layer of
an :class:`~initlab.MLP`, with histograms and mean-field predictions) and
:class:`initlab.torch.ModuleReport` (one row per module of a PyTorch model) are tables.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import numpy as np
from numpy.typing import NDArray

from .._format import align, cell, html_table
from .._json import decode_float, jsonable
from .._validate import fail, is_int

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["Table"]

Array = NDArray[Any]
T = TypeVar("T", bound="Table")

#: NumPy dtype kind -> the column type recorded in JSON.
_TYPES = {"U": "str", "i": "int", "f": "float"}


def _kind_of(values: Any) -> str:
    """The type of a column given without one: text, integers, or reals (the default)."""
    if isinstance(values, np.ndarray):
        kind = values.dtype.kind
        return "str" if kind in "US" else "int" if kind in "iu" else "float"
    vals = list(values)
    if vals and all(isinstance(v, str) for v in vals):
        return "str"
    if vals and all(is_int(v) for v in vals):
        return "int"
    return "float"


class Table:
    r"""Rows with named, typed columns, plus metadata and a title.

    The shared base of initlab's reports: :class:`~initlab.engine.Report` (a probe of an
    :class:`~initlab.MLP`, rows are layers) and :class:`initlab.torch.ModuleReport` (a probe
    or LSUV run of a PyTorch model, rows are modules) get their access, formats and JSON round
    trip from here, and add what only they have (histograms, predictions and a verdict; module
    paths as row names).

    Parameters
    ----------
    columns : mapping of str to sequence
        One value per row for each column, in column order: text (a ``str`` column),
        integers (``int64``) or reals (``float64``; ``None`` is nan). All columns have the
        same length.
    meta : mapping, optional
        Settings of the measurement. ``title`` is shown above tables and figures; ``panels``
        (a list of lists of column names) is what :meth:`plot` draws by default.
    descriptions : mapping of str to str, optional
        Column name -> what it holds (:meth:`describe_columns`).

    Attributes
    ----------
    index : str or None
        Class attribute: the column that names the rows (it must be present). Where it is a
        text column, ``rows=`` of :meth:`table` accepts its values and :meth:`plot` labels
        the x axis with them.

    Raises
    ------
    TypeError
        For ``columns`` that is not a mapping, a column name that is not a non-empty string,
        or values that are neither text, integers nor reals.
    ValueError
        For columns of different lengths.
    KeyError
        Without the :attr:`index` column.

    Notes
    -----
    ``table[name]`` returns a column (a read-only array), ``name in table`` tests for one.
    Rows are numbered from 1 in :meth:`table` (``rows=``) and in :meth:`plot`. Numbers are
    shown with 4 significant digits (``e`` notation outside :math:`[10^{-3}, 10^4)`); JSON
    is strict (nan is ``null``, infinities are the strings ``"inf"``/``"-inf"``) and records
    each column's type, so :meth:`from_json` rebuilds the same table.

    References
    ----------
    .. [1] W. McKinney, "Data Structures for Statistical Computing in Python", Proc. 9th
       Python in Science Conference, 2010 (the records of :meth:`to_records` are a
       ``pandas.DataFrame``'s rows).

    Examples
    --------
    >>> from initlab.engine import Table
    >>> t = Table({"name": ["a", "b"], "n": [1, 2], "std": [1.0, None]},
    ...           meta={"title": "two rows"})
    >>> print(t)
    two rows
    name  n  std
       a  1    1
       b  2  nan
    >>> t["n"].dtype, t.to_records()[0]
    (dtype('int64'), {'name': 'a', 'n': 1, 'std': 1.0})
    >>> Table.from_json(t.to_json()).to_json() == t.to_json()
    True
    """

    index: ClassVar[str | None] = None
    #: What one row is (messages, the default title).
    _ROW: ClassVar[str] = "row"
    #: The argument that chooses rows (in messages).
    _ROWS_ARG: ClassVar[str] = "rows"
    #: Descriptions of the columns a subclass knows (instance descriptions come first).
    _DESCRIPTIONS: ClassVar[Mapping[str, str]] = {}
    #: Table headers of known columns (the name itself otherwise).
    _LABELS: ClassVar[Mapping[str, str]] = {}
    #: The parts of :meth:`to_dict` that :meth:`from_dict` requires.
    _PARTS: ClassVar[tuple[str, ...]] = ("meta", "columns")

    def __init__(self, columns: Mapping[str, Any], meta: Mapping[str, Any] | None = None,
                 descriptions: Mapping[str, str] | None = None) -> None:
        func = type(self).__name__
        if not isinstance(columns, Mapping):
            fail(func, "columns", columns, "use a mapping of column name to values", TypeError)
        self._depth = -1
        self._cols: dict[str, Array] = {}
        for name, values in columns.items():
            arr = self._column(func, name, values)
            if self._depth < 0:
                self._depth = arr.size
            self._cols[name] = arr
        self._depth = max(self._depth, 0)
        if self.index is not None and self.index not in self._cols:
            fail(func, "columns", sorted(self._cols), f"include at least {self.index!r}",
                 KeyError)
        self._meta: dict[str, Any] = dict(meta or {})
        self._descriptions: dict[str, str] = dict(descriptions or {})

    def _kind(self, name: str) -> str | None:
        """The type of column ``name`` if fixed by the class (None: from its values)."""
        return None

    def _column(self, func: str, name: object, values: Any) -> Array:
        """``values`` as a read-only column of this table (checked against its depth)."""
        if not isinstance(name, str) or not name:
            fail(func, "name", name, "use a non-empty string", TypeError)
        kind = self._kind(name)
        try:
            kind = kind or _kind_of(values)
            if kind == "str":
                arr = np.array(list(values), dtype=str)
            elif kind == "int":
                arr = np.array(values, dtype=np.int64)
            else:
                vals = values if isinstance(values, np.ndarray) else [
                    math.nan if v is None else v for v in values]
                arr = np.array(vals, dtype=np.float64)
        except (TypeError, ValueError):
            fail(func, name, values, "use text, integers or reals (None for nan), one per "
                 f"{self._ROW}", TypeError)
        if arr.ndim != 1 or (self._depth >= 0 and arr.size != self._depth):
            count = "one value" if self._depth < 0 else f"{self._depth} values"
            fail(func, name, values, f"use {count} (one per {self._ROW})")
        arr.flags.writeable = False
        return arr

    # -- access ---------------------------------------------------------------------------

    @property
    def depth(self) -> int:
        """Number of rows."""
        return self._depth

    def __len__(self) -> int:
        return self._depth

    @property
    def columns(self) -> tuple[str, ...]:
        """The column names, in order."""
        return tuple(self._cols)

    @property
    def meta(self) -> dict[str, Any]:
        """Settings of the measurement (a copy)."""
        return dict(self._meta)

    def _default_title(self) -> str:
        return f"{self._depth} {self._ROW}s"

    @property
    def title(self) -> str:
        """A one-line description (``meta['title']`` if set); assignable."""
        if self._meta.get("title"):
            return str(self._meta["title"])
        return self._default_title()

    @title.setter
    def title(self, value: str) -> None:
        if not isinstance(value, str):
            fail(type(self).__name__, "title", value, "use a string", TypeError)
        self._meta["title"] = value

    def __getitem__(self, name: str) -> Array:
        col = self._cols.get(name)
        if col is None:
            raise KeyError(f"{type(self).__name__}: no column {name!r}; the columns are "
                           f"{', '.join(self._cols)}.")
        return col

    def __contains__(self, name: object) -> bool:
        return name in self._cols

    def _new_column(self, func: str, name: object, values: Any) -> Array:
        """A checked column for ``add_column`` (the name must be new)."""
        if isinstance(name, str) and name in self._cols:
            fail(func, "name", name, "use a name that is not already a column")
        return self._column(func, name, values)

    def add_column(self, name: str, values: Sequence[Any], *,
                   description: str | None = None) -> None:
        """Attach a column (one value per row, in row order).

        Raises
        ------
        TypeError
            For a name that is not a non-empty string, or values of no column type.
        ValueError
            For a name already taken or a wrong number of values.

        Examples
        --------
        >>> from initlab.engine import Table
        >>> t = Table({"name": ["a", "b"]})
        >>> t.add_column("block", [1, 2], description="block number")
        >>> t["block"].tolist(), t.describe_columns()["block"]
        ([1, 2], 'block number')
        """
        arr = self._new_column(f"{type(self).__name__}.add_column", name, values)
        self._cols[name] = arr
        if description:
            self._descriptions[name] = description

    def describe_columns(self) -> dict[str, str]:
        """Column name -> what it holds."""
        return {n: self._descriptions.get(n) or self._DESCRIPTIONS.get(n, "")
                for n in self._cols}

    # -- formats --------------------------------------------------------------------------

    def _index(self, row: object, func: str = "") -> int:
        """The position (from 0) of ``row``: a number from 1, or a value of a text
        :attr:`index` column."""
        if is_int(row) and 1 <= int(row) <= self._depth:  # type: ignore[call-overload]
            return int(row) - 1  # type: ignore[call-overload]
        key = self._cols.get(self.index) if self.index is not None else None
        text = key is not None and key.dtype.kind == "U"
        if key is not None and text and isinstance(row, str):
            hits = np.flatnonzero(key == row)
            if hits.size:
                return int(hits[0])
        fail(func or type(self).__name__, self._ROWS_ARG, row,
             f"use a {self._ROW} number in [1, {self._depth}]"
             + (f" or a {self.index} of the report" if text else ""))

    def _rows(self, rows: Iterable[object] | None, func: str = "") -> list[int]:
        """Positions (from 0) of the chosen rows, all by default."""
        if rows is None:
            return list(range(self._depth))
        return [self._index(r, func) for r in rows]

    def _default_columns(self) -> list[str]:
        return list(self._cols)

    def _expand(self, columns: Sequence[str] | None, func: str = "") -> list[str]:
        """The columns to show (checked), the default ones for None."""
        names = self._default_columns() if columns is None else list(columns)
        for n in names:
            if n not in self._cols:
                fail(func or f"{type(self).__name__}.table", "columns", n,
                     f"use column names of the report ({', '.join(self._cols)})")
        return names

    def _cell(self, name: str, i: int) -> str:
        return cell(self._cols[name][i].item())

    def _labels(self, names: Sequence[str]) -> list[str]:
        return [self._LABELS.get(n, n) for n in names]

    def _text(self, names: Sequence[str], rows: Sequence[int]) -> str:
        return align(self._labels(names), [[self._cell(n, i) for n in names] for i in rows])

    def table(self, columns: Sequence[str] | None = None,
              rows: Iterable[Any] | None = None) -> str:
        """The table as aligned text, one line per row.

        Parameters
        ----------
        columns : sequence of str, optional
            Columns to show; default all.
        rows : iterable of int or str, optional
            Row numbers (from 1) or values of the :attr:`index` column; default all.

        Returns
        -------
        str
        """
        func = f"{type(self).__name__}.table"
        return self._text(self._expand(columns, func), self._rows(rows, func))

    def __str__(self) -> str:
        return f"{self.title}\n{self.table()}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.title}; {self._depth} {self._ROW}s>"

    def _footer(self) -> str:
        return ""

    def _repr_html_(self) -> str:
        names = self._expand(None)
        rows = [[self._cell(n, i) for n in names] for i in self._rows(None)]
        return html_table(self.title, self._labels(names), rows, self._footer())

    def to_records(self) -> list[dict[str, Any]]:
        """One ``dict`` per row (str, int or float values), ready for ``pandas.DataFrame``.

        Examples
        --------
        >>> from initlab.engine import Table
        >>> Table({"name": ["fc"], "std": [0.5]}).to_records()
        [{'name': 'fc', 'std': 0.5}]
        """
        return [{n: a[i].item() for n, a in self._cols.items()} for i in range(self._depth)]

    def _content(self) -> dict[str, Any]:
        """The first parts of :meth:`to_dict`: ``meta`` and ``columns``, JSON-ready."""
        return {"meta": jsonable(self._meta),
                "columns": {n: jsonable(a) for n, a in self._cols.items()}}

    def to_dict(self) -> dict[str, Any]:
        """Everything (meta, columns, their types, descriptions), JSON-ready: nan becomes
        None and infinities the strings ``'inf'``/``'-inf'``."""
        return {**self._content(),
                "types": {n: _TYPES[a.dtype.kind] for n, a in self._cols.items()},
                "descriptions": dict(self._descriptions)}

    def to_json(self, *, indent: int | None = None) -> str:
        """The table as strict JSON (see :meth:`to_dict`); :meth:`from_json` reads it back."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def _expected(cls) -> str:
        *first, last = (repr(p) for p in cls._PARTS)
        return (f"use the output of {cls.__name__}.to_dict(): a dict with "
                f"{', '.join(first)} and {last}")

    @classmethod
    def _check_dict(cls, data: object) -> Mapping[str, Any]:
        if not isinstance(data, Mapping) or not all(
                isinstance(data.get(k), Mapping) for k in cls._PARTS):
            fail(f"{cls.__name__}.from_dict", "data", data, cls._expected())
        return data

    @classmethod
    def from_dict(cls: type[T], data: Mapping[str, Any]) -> T:
        """Rebuild a table from :meth:`to_dict`'s output.

        Raises
        ------
        ValueError
            When ``data`` is not such a dict.
        """
        data = cls._check_dict(data)
        types = data.get("types") or {}
        try:
            cols = {str(n): [decode_float(v) for v in vals] if types.get(n) == "float"
                    else list(vals) for n, vals in data["columns"].items()}
            return cls(cols, data["meta"], data.get("descriptions") or {})
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{cls.__name__}.from_dict: data is not a {cls.__name__}'s "
                             f"dict ({exc}); {cls._expected()}.") from None

    @classmethod
    def from_json(cls: type[T], text: str) -> T:
        """Rebuild a table from :meth:`to_json`'s output.

        Raises
        ------
        TypeError
            When ``text`` is not a ``str``.
        ValueError
            When ``text`` is not such JSON (the message says what was expected).
        """
        func = f"{cls.__name__}.from_json"
        if not isinstance(text, (str, bytes, bytearray)):
            fail(func, "text", text, f"use the str that {cls.__name__}.to_json() returned",
                 TypeError)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            *first, last = (repr(p) for p in cls._PARTS)
            fail(func, "text", text, f"use the output of {cls.__name__}.to_json() (a JSON "
                 f"object with {', '.join(first)} and {last}), not invalid JSON ({exc.msg} "
                 f"at line {exc.lineno}, column {exc.colno})")
        return cls.from_dict(data)

    def plot(self, path: str | os.PathLike[str] | None = None, *,
             ax: Axes | Sequence[Axes] | None = None,
             columns: Sequence[Sequence[str]] | None = None, title: str | None = None,
             figsize: tuple[float, float] | None = None) -> Figure:
        """Columns against the row number, one panel per group (matplotlib).

        See :func:`initlab.plotting.plot_columns` (``ax=``: one Axes per panel, or one for
        all curves; ``columns``: the panels, default ``meta['panels']`` or every real
        column).

        Raises
        ------
        ImportError
            Without matplotlib (``pip install "initlab[plot]"``).
        """
        from ..plotting import plot_columns

        return plot_columns(self, path=path, ax=ax, columns=columns, title=title,
                            figsize=figsize)
