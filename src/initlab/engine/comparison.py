r"""Several initializations of one network, probed on the same input and shown side by side."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .._format import align, cell, html_table
from .._json import jsonable
from .._validate import check_rng, fail
from .columns import LABELS
from .mlp import MLP
from .report import Report

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from .verdicts import Verdict

__all__ = ["Comparison", "compare"]

_DEFAULT = ("act_std", "dh_in_var")


def compare(
    inits: Sequence[object] | Mapping[str, object],
    widths: Sequence[int],
    x: ArrayLike,
    *,
    activation: object = "tanh",
    bias: bool = False,
    batch_norm: bool = False,
    dtype: DTypeLike = np.float32,
    grad: str | ArrayLike = "normal",
    rng: object = None,
) -> Comparison:
    r"""Probe one architecture under several initializations and compare them layer by layer.

    Parameters
    ----------
    inits : sequence of initializer specs, or mapping of label to spec
        Anything :func:`initlab.get` accepts (names, config dicts, initializer objects,
        callables), or per-layer lists of them, as :class:`~initlab.MLP`'s ``init``. Labels
        are the names (class names for objects and configs, ``#2``... for repeats) unless a
        mapping gives them.
    widths : sequence of int
        Layer widths, input first, as in :class:`~initlab.MLP`.
    x : array_like, shape (batch, widths[0])
        The input batch, the same for every initialization.
    activation : activation or sequence of them, default 'tanh'
        As in :class:`~initlab.MLP` (one per layer allowed).
    bias, batch_norm, dtype
        As in :class:`~initlab.MLP`.
    grad : {'normal', 'sum', 'mse'} or array_like, default 'normal'
        The upstream gradient, as in :meth:`~initlab.MLP.probe`.
    rng : {None, int, numpy.random.Generator}, optional
        Source of randomness (SPEC 7): one generator, used in order, for each initialization,
        for its weights (in layer order) and then its upstream noise.

    Returns
    -------
    Comparison
        ``comparison.table()`` has one row per initialization and layer (measurements and
        their mean-field predictions), ``comparison.plot()`` overlays the initializations
        (std and gradient variance against depth, predictions dashed), and
        ``comparison.reports`` holds each :class:`~initlab.engine.Report`.

    Raises
    ------
    TypeError, ValueError
        For invalid arguments (the message names the argument, as :class:`~initlab.MLP` and
        :meth:`~initlab.MLP.probe` do).

    See Also
    --------
    initlab.MLP.probe : one initialization; initlab.MLP.trials : many draws of one.

    References
    ----------
    .. [1] X. Glorot and Y. Bengio, "Understanding the difficulty of training deep feedforward
       neural networks", AISTATS 2010.
    .. [2] S. S. Schoenholz, J. Gilmer, S. Ganguli and J. Sohl-Dickstein, "Deep Information
       Propagation", ICLR 2017, arXiv:1611.01232.

    Examples
    --------
    >>> import numpy as np, initlab
    >>> x = np.random.default_rng(0).standard_normal((64, 128), dtype=np.float32)
    >>> c = initlab.compare(["lecun_normal", "normal"], [128] * 6, x, rng=0)
    >>> print(c.table(layers=[1, 5]))
            init  layer  act std  (pred)  Var dL/dh_in  (pred)
    lecun_normal      1   0.6239  0.6244        0.1316  0.1342
    lecun_normal      5    0.315  0.3186        0.8072  0.8002
          normal      1   0.9639  0.9639     1.172e+04    9170
          normal      5   0.9627  0.9624         6.281   6.249
    >>> [v.kind for v in c.verdicts().values()]
    ['healthy', 'saturating']
    """
    func = "compare"
    if isinstance(inits, Mapping):
        items = [(str(k), v) for k, v in inits.items()]
    elif isinstance(inits, (str, bytes)) or not isinstance(inits, Iterable):
        fail(func, "inits", inits, "use a list of initializers (or a dict label -> "
             "initializer)", TypeError)
    else:
        items = [(_label(v), v) for v in inits]
    if not items:
        fail(func, "inits", inits, "use at least one initializer")
    check_rng(func, rng)
    gen = np.random.default_rng(rng)  # type: ignore[arg-type]
    reports: dict[str, Report] = {}
    for label, spec in items:
        unique, k = label, 2
        while unique in reports:
            unique, k = f"{label} #{k}", k + 1
        try:
            net = MLP(widths, activation=activation, init=spec, bias=bias,
                      batch_norm=batch_norm, dtype=dtype, rng=gen)
            rep = net.probe(x, grad=grad, rng=gen)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{func}: init {unique!r}: {exc}") from None
        rep.title = unique
        reports[unique] = rep
    return Comparison(reports)


def _label(spec: object) -> str:
    """A name for an initializer spec: the name string, a config's or an object's class name,
    a function's name (a mapping given to :func:`compare` sets its own labels)."""
    if isinstance(spec, str):
        return spec
    if isinstance(spec, (list, tuple)):
        return "/".join(_label(v) for v in spec)
    if isinstance(spec, Mapping) and "class_name" in spec:
        return str(spec["class_name"])
    if hasattr(spec, "get_config"):
        return type(spec).__name__
    return str(getattr(spec, "__name__", type(spec).__name__))


class Comparison:
    r"""Reports of one network under several initializations (from :func:`initlab.compare`).

    Parameters
    ----------
    reports : mapping of str to Report
        Label -> report, all of the same depth.

    Notes
    -----
    ``comparison[label]`` is one report; :meth:`table`, :meth:`to_records`, :meth:`to_json`,
    HTML and :meth:`plot` show them together, one row per initialization and layer.

    References
    ----------
    .. [1] X. Glorot and Y. Bengio, "Understanding the difficulty of training deep feedforward
       neural networks", AISTATS 2010.

    Examples
    --------
    >>> import numpy as np, initlab
    >>> c = initlab.compare({"He": "he_normal", "Xavier": "xavier_normal"}, [32] * 3,
    ...                     np.ones((8, 32)), activation="relu", rng=0)
    >>> c.labels, c.depth, c["He"].depth
    (('He', 'Xavier'), 2, 2)
    """

    def __init__(self, reports: Mapping[str, Report]) -> None:
        func = "Comparison"
        reps = dict(reports)
        if not reps or not all(isinstance(r, Report) for r in reps.values()):
            fail(func, "reports", reports, "use a non-empty dict of label -> Report", TypeError)
        depths = {r.depth for r in reps.values()}
        if len(depths) != 1:
            fail(func, "reports", sorted(depths), "use reports of the same depth")
        self._reports = reps

    @property
    def reports(self) -> dict[str, Report]:
        """Label -> report, in the order given."""
        return dict(self._reports)

    @property
    def labels(self) -> tuple[str, ...]:
        """The initializations' labels."""
        return tuple(self._reports)

    @property
    def depth(self) -> int:
        """Number of layers."""
        return next(iter(self._reports.values())).depth

    @property
    def title(self) -> str:
        """The network, without the initialization (from the first report's metadata)."""
        m = next(iter(self._reports.values())).meta
        acts = "/".join(sorted(set(m.get("activations", [])))) or "?"
        widths = m.get("widths", [])
        shape = f"{widths[0]}->{widths[-1]}" if widths else "?"
        return f"{self.depth} layers {shape}, {acts}, batch {m.get('batch', '?')}"

    def __getitem__(self, label: str) -> Report:
        if label not in self._reports:
            raise KeyError(f"Comparison: no initialization {label!r}; the labels are "
                           f"{', '.join(map(repr, self._reports))}.")
        return self._reports[label]

    def __len__(self) -> int:
        return len(self._reports)

    def __repr__(self) -> str:
        return f"<Comparison of {', '.join(self._reports)}: {self.title}>"

    def verdicts(self) -> dict[str, Verdict]:
        """Label -> :meth:`Report.verdict` of each initialization."""
        return {label: rep.verdict() for label, rep in self._reports.items()}

    def _names(self, columns: Sequence[str] | None) -> list[str]:
        first = next(iter(self._reports.values()))
        names = list(columns) if columns is not None else list(_DEFAULT)
        out: list[str] = []
        for n in names:
            if n in ("init", "layer"):
                continue
            if n not in first:
                fail("Comparison.table", "columns", n, "use column names of the reports")
            out.append(n)
            pred = first.predictions.get(n)
            if columns is None and pred is not None:
                out.append(pred)
        return out

    def _rows(self, names: Sequence[str], layers: Iterable[int] | None) -> list[list[str]]:
        picks = list(range(1, self.depth + 1)) if layers is None else [int(v) for v in layers]
        for layer in picks:
            if not 1 <= layer <= self.depth:
                fail("Comparison.table", "layers", layer,
                     f"use layer numbers in [1, {self.depth}]")
        rows = []
        for label, rep in self._reports.items():
            predicted = set(rep.predictions.values())
            for layer in picks:
                row = [label, str(layer)]
                for n in names:
                    v = rep[n][layer - 1]
                    row.append("-" if n in predicted and np.isnan(v) else cell(v.item()))
                rows.append(row)
        return rows

    def _header(self, names: Sequence[str]) -> list[str]:
        first = next(iter(self._reports.values()))
        owner = {p: m for m, p in first.predictions.items()}
        header = ["init", "layer"]
        for i, n in enumerate(names):
            if n in owner:
                header.append("(pred)" if i and names[i - 1] == owner[n]
                              else f"{LABELS.get(owner[n], owner[n])} (pred)")
            else:
                header.append(LABELS.get(n, n))
        return header

    def table(self, columns: Sequence[str] | None = None,
              layers: Iterable[int] | None = None) -> str:
        """Aligned text, one row per initialization and layer.

        Parameters
        ----------
        columns : sequence of str, optional
            Report columns to show; default the activation std and the input-gradient
            variance, each followed by its mean-field prediction (``-``: not predicted).
        layers : iterable of int, optional
            Layer numbers (from 1); default all.

        Returns
        -------
        str
        """
        names = self._names(columns)
        return align(self._header(names), self._rows(names, layers))

    def __str__(self) -> str:
        return f"{len(self)} initializations: {self.title}\n{self.table()}"

    def _repr_html_(self) -> str:
        names = self._names(None)
        return html_table(f"{len(self)} initializations: {self.title}", self._header(names),
                          self._rows(names, None))

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per initialization and layer: ``init`` and the report's record."""
        return [{"init": label, **row} for label, rep in self._reports.items()
                for row in rep.to_records()]

    def to_json(self, *, indent: int | None = None) -> str:
        """Strict JSON: label -> the report's :meth:`~Report.to_dict`."""
        data = {label: rep.to_dict() for label, rep in self._reports.items()}
        return json.dumps(jsonable(data), indent=indent, allow_nan=False)

    def plot(self, path: str | None = None, *, ax: Any = None, **kwargs: Any) -> Figure:
        """Overlay the initializations: std and gradient variance against depth, each
        prediction dashed (:func:`initlab.plotting.plot_comparison`; ``title``, ``figsize``).

        Raises
        ------
        ImportError
            Without matplotlib (``pip install "initlab[plot]"``).
        """
        from ..plotting import plot_comparison

        return plot_comparison(self, path=path, ax=ax, **kwargs)
