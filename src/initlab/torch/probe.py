r"""Per-module forward and backward statistics of any PyTorch model (signal propagation).

:func:`probe` runs one forward and one backward pass of a model with hooks on chosen modules
and returns a :class:`ModuleReport`: one row per module, in forward order, with the
signal-propagation statistics of Brock et al. (2021) and the gradient variances. The model
is left exactly as it was.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from numpy.typing import NDArray

from .._validate import check_rng, fail, is_int
from ._hooks import (
    CONV_TYPES,
    ModelState,
    Moments,
    as_inputs,
    check_module,
    cuda_indices,
    describe,
    first_floating,
    number,
    run_forward,
    spawned_seed,
    tensor_variance,
    tensors,
    torch_seed,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["PROBE_COLUMNS", "ModuleReport", "probe"]

#: The columns of a :func:`probe` report, in order, and what each holds.
PROBE_COLUMNS: dict[str, str] = {
    "module": "the module's path in the model ('' for the model itself)",
    "kind": "the module's class name",
    "out_mean": "mean of the module's output (its first floating-point tensor)",
    "out_std": "std of the output (population, over every element)",
    "ch_sq_mean": "average over channels of the squared channel mean (Brock et al. 2021)",
    "ch_var": "average over channels of the channel variance (population; Brock et al. 2021)",
    "grad_out_var": "Var dL/d output (population, over every element)",
    "w_std": "std of the module's weight (nan without one)",
    "dw_var": "Var dL/d weight (nan without one)",
}


def _json_value(v: Any) -> Any:
    if isinstance(v, float):
        if math.isnan(v):
            return None
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
    if isinstance(v, dict):
        return {str(k): _json_value(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json_value(x) for x in v]
    return v


class ModuleReport:
    r"""A table with one row per module of a PyTorch model, plus metadata.

    Made by :func:`probe` and :func:`initlab.torch.lsuv_`; rebuilt from JSON by
    :meth:`from_json`. It has the public API of :class:`initlab.engine.Report` (``table()``,
    ``to_records()``, ``to_json()``, ``from_json``, ``_repr_html_()``, ``plot()``,
    ``add_column``, ``meta``), with rows named by module path instead of layer number.

    Parameters
    ----------
    columns : mapping of str to sequence
        One value per row for each column: strings (a text column such as ``module``),
        integers (an ``int64`` column) or reals (a ``float64`` column; ``None`` is nan).
        Must include ``module``.
    meta : mapping, optional
        Settings of the measurement; ``title`` is shown above tables and plots, ``panels``
        (a list of lists of column names) chooses what :meth:`plot` draws.
    descriptions : mapping of str to str, optional
        Column name -> what it holds.

    Notes
    -----
    ``report[name]`` returns a read-only NumPy array (``str`` for a text column).
    Rows are numbered from 1 in :meth:`table` and :meth:`plot`, as layers of a
    :class:`initlab.engine.Report`; ``rows=`` also accepts module paths.

    References
    ----------
    .. [1] A. Brock, S. De and S. L. Smith, "Characterizing signal propagation to close the
       performance gap in unnormalized ResNets", ICLR 2021, arXiv:2101.08692.

    Examples
    --------
    >>> from initlab.torch import ModuleReport
    >>> rep = ModuleReport({"module": ["fc1", "fc2"], "kind": ["Linear", "Linear"],
    ...                     "out_std": [1.0, 0.5]}, meta={"title": "two layers"})
    >>> print(rep.table())
    module    kind  out_std
       fc1  Linear        1
       fc2  Linear      0.5
    >>> ModuleReport.from_json(rep.to_json())["out_std"].tolist()
    [1.0, 0.5]
    """

    def __init__(self, columns: Mapping[str, Sequence[Any]], meta: Mapping[str, Any] | None = None,
                 descriptions: Mapping[str, str] | None = None) -> None:
        func = "ModuleReport"
        if not isinstance(columns, Mapping):
            fail(func, "columns", columns, "use a mapping of column name to values", TypeError)
        if "module" not in columns:
            fail(func, "columns", sorted(columns), "include 'module' (the module paths)")
        self._cols: dict[str, NDArray[Any]] = {}
        self._depth = len(columns["module"])
        self._descriptions: dict[str, str] = dict(descriptions or {})
        for name, values in columns.items():
            self._cols[name] = self._column(func, name, values)
        self._meta: dict[str, Any] = dict(meta or {})

    def _column(self, func: str, name: object, values: Sequence[Any]) -> NDArray[Any]:
        if not isinstance(name, str) or not name:
            fail(func, "name", name, "use a non-empty string", TypeError)
        vals = list(values)
        if len(vals) != self._depth:
            fail(func, name, values, f"use {self._depth} values (one per row)")
        if vals and all(isinstance(v, str) for v in vals):
            arr = np.array(vals, dtype=str)
        elif vals and all(is_int(v) for v in vals):
            arr = np.array(vals, dtype=np.int64)
        else:
            try:
                arr = np.array([math.nan if v is None else float(v) for v in vals],
                               dtype=np.float64)
            except (TypeError, ValueError):
                fail(func, name, values, "use strings, integers or reals (None for nan)",
                     TypeError)
        arr.flags.writeable = False
        return arr

    # -- access ---------------------------------------------------------------------------

    @property
    def depth(self) -> int:
        """Number of rows (measured modules)."""
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

    @property
    def title(self) -> str:
        """A one-line description (``meta['title']``)."""
        return str(self._meta.get("title", f"{self._depth} modules"))

    def __getitem__(self, name: str) -> NDArray[Any]:
        if name not in self._cols:
            raise KeyError(f"ModuleReport: no column {name!r}; the columns are "
                           f"{', '.join(self._cols)}.")
        return self._cols[name]

    def __contains__(self, name: object) -> bool:
        return name in self._cols

    def add_column(self, name: str, values: Sequence[Any], *,
                   description: str | None = None) -> None:
        """Attach a column (one value per row, in row order).

        Raises
        ------
        ValueError
            For a name already taken or a wrong number of values.

        Examples
        --------
        >>> from initlab.torch import ModuleReport
        >>> rep = ModuleReport({"module": ["a", "b"]})
        >>> rep.add_column("depth", [1, 2], description="block number")
        >>> rep["depth"].tolist(), rep.describe_columns()["depth"]
        ([1, 2], 'block number')
        """
        if name in self._cols:
            fail("ModuleReport.add_column", "name", name, "use a name that is not a column yet")
        self._cols[name] = self._column("ModuleReport.add_column", name, values)
        if description:
            self._descriptions[name] = description

    def describe_columns(self) -> dict[str, str]:
        """Column name -> what it holds."""
        return {n: self._descriptions.get(n, PROBE_COLUMNS.get(n, "")) for n in self._cols}

    # -- formats --------------------------------------------------------------------------

    def _rows(self, rows: Iterable[int | str] | None) -> list[int]:
        if rows is None:
            return list(range(self._depth))
        paths = list(self._cols["module"])
        out = []
        for r in rows:
            if is_int(r) and 1 <= int(r) <= self._depth:
                out.append(int(r) - 1)
            elif isinstance(r, str) and r in paths:
                out.append(paths.index(r))
            else:
                fail("ModuleReport.table", "rows", r,
                     f"use row numbers in [1, {self._depth}] or module paths of the report")
        return out

    def _names(self, columns: Sequence[str] | None) -> list[str]:
        names = list(self._cols) if columns is None else list(columns)
        for n in names:
            if n not in self._cols:
                fail("ModuleReport.table", "columns", n,
                     f"use column names of the report ({', '.join(self._cols)})")
        return names

    def _cells(self, names: Sequence[str], rows: Sequence[int]) -> list[list[str]]:
        return [[number(self._cols[n][i].item()) for n in names] for i in rows]

    def table(self, columns: Sequence[str] | None = None,
              rows: Iterable[int | str] | None = None) -> str:
        """The report as an aligned text table, one line per module.

        Parameters
        ----------
        columns : sequence of str, optional
            Columns to show; default all.
        rows : iterable of int or str, optional
            Row numbers (from 1) or module paths; default all.

        Returns
        -------
        str
        """
        names = self._names(columns)
        cells = self._cells(names, self._rows(rows))
        widths = [max([len(n)] + [len(r[j]) for r in cells]) for j, n in enumerate(names)]
        lines = ["  ".join(n.rjust(w) for n, w in zip(names, widths, strict=True))]
        lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
        return "\n".join(lines)

    def __str__(self) -> str:
        return f"{self.title}\n{self.table()}"

    def __repr__(self) -> str:
        return f"<ModuleReport: {self.title}; {self._depth} rows>"

    def _repr_html_(self) -> str:
        names = self._names(None)
        out = ['<table class="initlab-report">',
               f'<caption style="text-align:left">{html.escape(self.title)}</caption>',
               "<thead><tr>" + "".join(f"<th>{html.escape(n)}</th>" for n in names)
               + "</tr></thead><tbody>"]
        for r in self._cells(names, self._rows(None)):
            out.append("<tr>" + "".join(f'<td style="text-align:right">{html.escape(c)}</td>'
                                        for c in r) + "</tr>")
        out.append("</tbody></table>")
        return "\n".join(out)

    def to_records(self) -> list[dict[str, Any]]:
        """One ``dict`` per row (str, int or float values), ready for ``pandas.DataFrame``.

        Examples
        --------
        >>> from initlab.torch import ModuleReport
        >>> ModuleReport({"module": ["fc"], "out_std": [0.5]}).to_records()
        [{'module': 'fc', 'out_std': 0.5}]
        """
        return [{n: a[i].item() for n, a in self._cols.items()} for i in range(self._depth)]

    def to_dict(self) -> dict[str, Any]:
        """Everything (meta, columns, their types, descriptions), JSON-ready: nan becomes
        None and infinities the strings ``'inf'``/``'-inf'``."""
        kinds = {"U": "str", "i": "int", "f": "float"}
        return {"meta": _json_value(self._meta),
                "columns": {n: _json_value(a.tolist()) for n, a in self._cols.items()},
                "types": {n: kinds[a.dtype.kind] for n, a in self._cols.items()},
                "descriptions": dict(self._descriptions)}

    def to_json(self, *, indent: int | None = None) -> str:
        """The report as strict JSON; :meth:`from_json` reads it back."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModuleReport:
        """Rebuild a report from :meth:`to_dict`'s output."""
        if not isinstance(data, Mapping) or not isinstance(data.get("columns"), Mapping):
            fail("ModuleReport.from_dict", "data", data,
                 "use the output of ModuleReport.to_dict (a mapping with 'columns')", TypeError)
        types = data.get("types") or {}
        cols = {n: [math.nan if v is None else float(v) if isinstance(v, str) else v
                    for v in vals] if types.get(n) == "float" else vals
                for n, vals in data["columns"].items()}
        return cls(cols, data.get("meta") or {}, data.get("descriptions") or {})

    @classmethod
    def from_json(cls, text: str) -> ModuleReport:
        """Rebuild a report from :meth:`to_json`'s output.

        Raises
        ------
        ValueError
            If ``text`` is not such JSON.
        """
        try:
            data = json.loads(text)
        except (TypeError, json.JSONDecodeError) as exc:
            raise ValueError(f"ModuleReport.from_json: text={str(text)[:40]!r} is not "
                             "accepted; use the output of ModuleReport.to_json.") from exc
        if not isinstance(data, dict) or not isinstance(data.get("columns"), dict):
            fail("ModuleReport.from_json", "text", str(text)[:40],
                 "use the output of ModuleReport.to_json")
        return cls.from_dict(data)

    def plot(self, path: str | None = None, *, ax: Axes | Sequence[Axes] | None = None,
             columns: Sequence[Sequence[str]] | None = None, title: str | None = None,
             figsize: tuple[float, float] | None = None) -> Figure:
        """Columns against depth (row number), one panel per group (matplotlib).

        Parameters
        ----------
        path : str, optional
            Also save the figure there (format from the extension).
        ax : matplotlib Axes or sequence of Axes, optional
            Draw into these: one Axes per panel, or a single Axes for all curves.
            Default: a new figure with one Axes per panel.
        columns : sequence of sequences of str, optional
            The panels and their columns; default ``meta['panels']`` (for :func:`probe`:
            ``out_std``, ``ch_sq_mean``, ``ch_var`` | ``grad_out_var``).
        title, figsize : optional
            Figure title (default :attr:`title`) and size.

        Returns
        -------
        matplotlib.figure.Figure

        Raises
        ------
        ImportError
            Without matplotlib (``pip install "initlab[plot]"``).
        """
        try:
            import matplotlib.pyplot as plt
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError('ModuleReport.plot needs matplotlib: pip install '
                              '"initlab[plot]"') from exc
        panels = [list(p) for p in (columns if columns is not None
                                    else self._meta.get("panels", [self._numeric()]))]
        for p in panels:
            self._names(p)
        if ax is None:
            fig, axes_arr = plt.subplots(1, len(panels), squeeze=False, figsize=figsize or (
                5.2 * len(panels), 3.6), layout="constrained")
            axes = list(axes_arr[0])
        else:
            axes = [ax] if hasattr(ax, "plot") else list(np.ravel(np.asarray(ax, dtype=object)))
            if len(axes) == 1 and len(panels) > 1:
                panels = [[c for p in panels for c in p]]
            if len(axes) != len(panels):
                fail("ModuleReport.plot", "ax", f"{len(axes)} Axes",
                     f"use one Axes or {len(panels)} (one per panel)")
            fig = axes[0].figure
        depth = np.arange(1, self._depth + 1)
        for a, panel in zip(axes, panels, strict=True):
            positive = True
            for name in panel:
                vals = np.asarray(self._cols[name], dtype=np.float64)
                a.plot(depth, vals, marker=".", label=name)
                fin = vals[np.isfinite(vals)]
                positive = positive and bool(np.all(fin > 0))
            if positive:
                a.set_yscale("log")
            a.set_xlabel("module (forward order)")
            a.grid(True, alpha=0.3)
            a.legend(fontsize="small")
            if self._depth <= 40:
                a.set_xticks(depth, list(self._cols["module"]), rotation=90, fontsize=6)
        fig.suptitle(title if title is not None else self.title, fontsize="medium")
        if path is not None:
            fig.savefig(path, dpi=110)
        return fig

    def _numeric(self) -> list[str]:
        return [n for n, a in self._cols.items() if a.dtype.kind == "f"]


# --------------------------------------------------------------------------------------------
# probe


def _default_modules(model: torch.nn.Module) -> dict[torch.nn.Module, str]:
    chosen: dict[torch.nn.Module, str] = {}
    for path, m in model.named_modules():
        if next(m.parameters(recurse=False), None) is not None:
            chosen.setdefault(m, path)
        if isinstance(m, (torch.nn.Sequential, torch.nn.ModuleList)):
            for name, child in m.named_children():
                if next(child.children(), None) is not None:
                    chosen.setdefault(child, f"{path}.{name}" if path else name)
    return chosen


def _chosen_modules(func: str, model: torch.nn.Module,
                    modules: object) -> dict[torch.nn.Module, str]:
    if modules is None:
        return _default_modules(model)
    accepted = "use module paths of the model (as named_modules() gives) or its submodules"
    entries = [modules] if isinstance(modules, (str, torch.nn.Module)) else modules
    if not isinstance(entries, Iterable):
        fail(func, "modules", modules, accepted, TypeError)
    entries = list(entries)
    if not entries:
        fail(func, "modules", modules, accepted + " (at least one)")
    by_path = dict(model.named_modules())
    paths = {m: p for p, m in reversed(list(by_path.items()))}
    chosen: dict[torch.nn.Module, str] = {}
    for e in entries:
        if isinstance(e, str):
            if e not in by_path:
                fail(func, "modules", e, accepted + ": it names no module of "
                     f"{type(model).__name__}")
            chosen.setdefault(by_path[e], e)
        elif isinstance(e, torch.nn.Module):
            if e not in paths:
                fail(func, "modules", type(e).__name__, accepted + ": this module is not "
                     f"part of {type(model).__name__}")
            chosen.setdefault(e, paths[e])
        else:
            fail(func, "modules", e, accepted, TypeError)
    return chosen


def _weight(m: torch.nn.Module) -> torch.Tensor | None:
    w = getattr(m, "weight", None)
    return w if isinstance(w, torch.Tensor) and w.is_floating_point() else None


def _conv_ndims(model: torch.nn.Module) -> set[int]:
    return {len(tuple(m.kernel_size)) + 2  # type: ignore[arg-type]
            for m in model.modules() if isinstance(m, CONV_TYPES)}


def _loss(func: str, output: object, target: object,
          conv_ndims: set[int]) -> tuple[torch.Tensor, str]:
    out = first_floating(output)
    if out is None:
        fail(func, "target", describe(target), "give a model whose output holds a "
             "floating-point tensor")
    if isinstance(target, np.ndarray):
        if target.dtype.kind not in "iuf":
            fail(func, "target", describe(target), "use integer class labels or floating "
                 "values", TypeError)
        target = torch.from_numpy(np.ascontiguousarray(target))
    if not isinstance(target, torch.Tensor):
        fail(func, "target", describe(target), "use a tensor or NumPy array", TypeError)
    t = target.to(out.device)
    if t.is_floating_point():
        if tuple(t.shape) != tuple(out.shape):
            fail(func, "target", describe(target), "use floating values of the output's "
                 f"shape {tuple(out.shape)} (mean squared error) or integer class labels")
        return torch.nn.functional.mse_loss(out, t.to(out.dtype)), "mse"
    if t.is_complex() or t.dtype == torch.bool:
        fail(func, "target", describe(target), "use integer class labels or floating values",
             TypeError)
    axis = 1 if out.ndim in conv_ndims and out.ndim >= 3 else out.ndim - 1
    logits = out.movedim(axis, -1)
    if tuple(t.shape) != tuple(logits.shape[:-1]):
        fail(func, "target", describe(target), "use integer class labels of shape "
             f"{tuple(logits.shape[:-1])} (the output without its class axis {axis})")
    classes = logits.shape[-1]
    if t.numel() and (int(t.min()) < 0 or int(t.max()) >= classes):
        fail(func, "target", describe(target), f"use class labels in [0, {classes})")
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, classes), t.reshape(-1).long())
    return loss, "cross_entropy"


class _Record:
    __slots__ = ("bwd", "calls", "fwd", "order")

    def __init__(self) -> None:
        self.fwd = Moments()
        self.bwd = Moments()
        self.order = -1
        self.calls = 0


class _AxisError(Exception):
    pass


def probe(module: torch.nn.Module, x: object, *, grad: str | None = "normal",
          target: object = None, rng: object = None, modules: object = None,
          channel_axis: int | None = None) -> ModuleReport:
    r"""Per-module forward and backward statistics of a PyTorch model on one batch.

    Runs ``module(*x)`` once and one backward pass, with hooks on the chosen modules that
    reduce each output and its gradient to a few float64 scalars on the fly (no activation is
    kept), and returns one row per module in forward order.

    Parameters
    ----------
    module : torch.nn.Module
        The model.
    x : tensor, array or tuple of them
        The model's positional inputs: floating inputs (a NumPy float array is converted to
        the model's dtype; a tensor must have it), integer token ids, or a tuple of inputs.
    grad : {'normal', 'sum'} or None, default 'normal'
        The upstream gradient sent into every floating-point tensor of the output (a tensor,
        or the tensors of a tuple, list or dict, in order): ``'normal'`` draws
        :math:`\mathcal N(0, 1)` values with ``numpy.random.default_rng(rng)``
        (``standard_normal(shape, dtype=float32)`` per output tensor, in order, cast to its
        dtype; PyTorch's seed for the pass comes from a spawned child, which leaves this
        stream as it is), ``'sum'`` sends ones (the gradient of the sum), None runs no backward pass
        (the gradient columns are nan).
    target : tensor or array, optional
        A loss target, replacing ``grad``: integer class labels (shape of the output without
        its class axis, the channel axis below) give the mean cross-entropy of the output's
        logits; floating values of the output's shape give the mean squared error. The loss
        is taken on the first floating-point tensor of the output.
    rng : None, int or numpy.random.Generator
        Seeds the upstream gradient and PyTorch's random state during the pass (dropout),
        which is restored afterwards. If None, fresh entropy is drawn from the operating
        system. An int seed or a Generator is passed to ``numpy.random.default_rng``
        (SPEC 7).
    modules : str, module or iterable of them, optional
        The modules to measure (paths as ``named_modules()`` gives them, or submodules).
        Default: every module with parameters of its own (every leaf layer with parameters,
        and e.g. ``MultiheadAttention``) plus every direct child of a ``Sequential`` or
        ``ModuleList`` that has children itself (the blocks of a ResNet stage or a
        transformer).
    channel_axis : int, optional
        The channel axis of the outputs for ``ch_sq_mean`` and ``ch_var``. Default: 1 for an
        output with as many dimensions as a convolution's output in the model
        (:math:`N, C, *\text{spatial}`), the last axis otherwise.

    Returns
    -------
    ModuleReport
        Columns :data:`PROBE_COLUMNS`: ``module``, ``kind``, ``out_mean``, ``out_std``,
        ``ch_sq_mean``, ``ch_var``, ``grad_out_var``, ``w_std``, ``dw_var``. Modules that
        did not run are listed in ``meta['not_run']``.

    Raises
    ------
    TypeError
        For a ``module`` that is not a ``torch.nn.Module``, ``x`` of a wrong type or
        floating dtype, a ``modules`` entry or ``channel_axis`` of a wrong type, or a bad
        ``rng``.
    ValueError
        For ``x`` the model does not accept (its forward pass fails: the error is chained),
        a ``modules`` entry naming no module of the model, a ``channel_axis`` out of range
        for an output, a ``grad`` not listed above, or a ``target`` that does not fit the
        output.

    Notes
    -----
    For an output :math:`x` with channels :math:`c = 1 \dots C` along the channel axis and
    :math:`n` values per channel (every other axis),

    .. math::

        \mu_c = \frac1n \sum_i x_{ic}, \qquad
        \texttt{ch\_sq\_mean} = \frac1C \sum_c \mu_c^2, \qquad
        \texttt{ch\_var} = \frac1C \sum_c \frac1n \sum_i (x_{ic} - \mu_c)^2,

    the average squared channel mean and average channel variance of Brock et al. [1]_;
    ``out_std`` is the population std over all elements
    (:math:`\texttt{out\_std}^2 = \texttt{ch\_var} + \mathrm{Var}_c\,\mu_c`). Moments are
    accumulated in float64 and only a few numbers per channel are kept: float32 and float64
    tensors on the CPU are reduced in place by ``torch.var_mean``, which accumulates in
    float64 there (the per-channel results of a float32 tensor are rounded to float32);
    other dtypes and devices are converted to float64 in chunks of :math:`2^{20}` elements;
    partial moments are merged with the pairwise update of Chan et al. [2]_. A module
    called several times gets one row, at its first call, with moments pooled over its
    calls (channel statistics nan if the channel counts differ). Only the first
    floating-point tensor of a module's output is measured.

    ``grad_out_var`` is measured with a hook on the output tensor
    (``Tensor.register_hook``), so an in-place operation after the module (``ReLU(inplace=
    True)``) does not disturb it: it is the gradient with respect to the value the module
    returned. Gradients flow with respect to the chosen modules' weights (and a floating
    ``x``) through ``torch.autograd.grad``, so no ``.grad`` field is written; every floating
    parameter's ``requires_grad`` is switched on during the pass, so frozen layers are
    measured too. The model runs in its current train/eval mode. Afterwards the modes,
    ``requires_grad`` flags, ``.grad`` fields, buffers (batch-norm running statistics) and
    PyTorch's random state are as before, and every hook is removed, even after an error.

    .. warning:: timm's ``avg_ch_var`` uses the unbiased channel variance
       (``torch.var``), larger than ``ch_var`` here by :math:`n/(n-1)`.

    References
    ----------
    .. [1] A. Brock, S. De and S. L. Smith, "Characterizing signal propagation to close the
       performance gap in unnormalized ResNets", ICLR 2021, arXiv:2101.08692.
    .. [2] T. F. Chan, G. H. Golub and R. J. LeVeque, "Updating formulae and a pairwise
       algorithm for computing sample variances", Stanford CS report STAN-CS-79-773, 1979.

    Examples
    --------
    >>> import torch, initlab.torch as it
    >>> _ = torch.manual_seed(0)
    >>> model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.Tanh(),
    ...                             torch.nn.Linear(64, 10))
    >>> rep = it.probe(model, torch.randn(256, 64), rng=0)
    >>> rep.columns[:4], rep["module"].tolist()
    (('module', 'kind', 'out_mean', 'out_std'), ['0', '2'])
    >>> bool(rep["out_std"][0] < 1), bool(rep["grad_out_var"][1] > 0.9)
    (True, True)
    """
    func = "probe"
    model = check_module(func, module)
    inputs = as_inputs(func, model, x)
    if grad is not None and grad not in ("normal", "sum"):
        fail(func, "grad", grad, "use 'normal', 'sum' or None")
    check_rng(func, rng)
    if channel_axis is not None and not is_int(channel_axis):
        fail(func, "channel_axis", channel_axis, "use an int or None", TypeError)
    chosen = _chosen_modules(func, model, modules)
    gen = np.random.default_rng(rng)  # type: ignore[arg-type]
    seed = torch_seed(spawned_seed(gen))
    conv_ndims = _conv_ndims(model)
    records = {m: _Record() for m in chosen}
    counter = [0]
    backward = grad is not None or target is not None
    tensor_handles: list[Any] = []

    def axis_of(t: torch.Tensor) -> int:
        if channel_axis is None:
            return 1 if t.ndim >= 3 and t.ndim in conv_ndims else max(t.ndim - 1, 0)
        nd = max(t.ndim, 1)
        if not -nd <= int(channel_axis) < nd:
            raise _AxisError(f"{func}: channel_axis={channel_axis!r} is not accepted; "
                             f"the output of a module has {t.ndim} dimension(s): use an axis "
                             f"in [{-nd}, {nd}).")
        return int(channel_axis) % nd

    def hook(m: torch.nn.Module, args: object, output: object) -> None:
        t = first_floating(output)
        rec = records[m]
        rec.calls += 1
        if rec.order < 0:
            rec.order = counter[0]
            counter[0] += 1
        if t is None:
            return
        axis = axis_of(t)
        rec.fwd.add(t, axis)
        if backward and t.requires_grad:
            def grad_hook(g: torch.Tensor, rec: _Record = rec) -> None:
                rec.bwd.add_flat(g)
            tensor_handles.append(t.register_hook(grad_hook))  # type: ignore[no-untyped-call]

    w_std = {m: (tensor_variance(w) ** 0.5 if (w := _weight(m)) is not None else math.nan)
             for m in chosen}
    state = ModelState(model)
    handles = []
    dw_var: dict[torch.nn.Module, float] = {}
    loss_kind = None
    try:
        handles = [m.register_forward_hook(hook) for m in chosen]
        with torch.random.fork_rng(devices=cuda_indices(model)), \
                torch.enable_grad() if backward else torch.no_grad():
            torch.manual_seed(seed)
            if backward:
                for p in state.params:
                    if p.is_floating_point():
                        p.requires_grad_(True)
            leaves = tuple(t.requires_grad_(True) if t.is_floating_point() and backward else t
                           for t in (i.clone() if i.is_floating_point() else i
                                     for i in inputs))
            try:
                output = run_forward(func, model, leaves, x)
            except _AxisError as exc:
                raise ValueError(str(exc)) from None
            if backward:
                if target is not None:
                    loss, loss_kind = _loss(func, output, target, conv_ndims)
                    roots = [loss]
                    upstream: list[torch.Tensor | None] = [None]
                else:
                    roots = [t for t in tensors(output) if t.is_floating_point()
                             and t.requires_grad]
                    upstream = [torch.ones_like(t) if grad == "sum" else
                                torch.from_numpy(gen.standard_normal(tuple(t.shape),
                                                 dtype=np.float32)).to(t.device, t.dtype)
                                for t in roots]
                del output
                weights = {id(w): w for m in chosen if (w := _weight(m)) is not None}
                wrt = list(weights.values()) + [t for t in leaves if t.requires_grad]
                if roots and wrt:
                    grads = torch.autograd.grad(roots, wrt, upstream, allow_unused=True)
                    by_id = {id(w): g for w, g in zip(wrt, grads, strict=False)}
                    del grads
                    for m in chosen:
                        w = _weight(m)
                        g = by_id.get(id(w)) if w is not None else None
                        dw_var[m] = tensor_variance(g) if g is not None else math.nan
                    del by_id
                del roots, upstream
    finally:
        for h in handles + tensor_handles:
            h.remove()
        state.restore()
    ran = sorted((m for m in chosen if records[m].order >= 0), key=lambda m: records[m].order)
    cols: dict[str, list[Any]] = {name: [] for name in PROBE_COLUMNS}
    for m in ran:
        rec = records[m]
        sq, cv = rec.fwd.channel_stats()
        cols["module"].append(chosen[m])
        cols["kind"].append(type(m).__name__)
        cols["out_mean"].append(rec.fwd.mean_value())
        cols["out_std"].append(rec.fwd.variance() ** 0.5)
        cols["ch_sq_mean"].append(sq)
        cols["ch_var"].append(cv)
        cols["grad_out_var"].append(rec.bwd.variance())
        cols["w_std"].append(w_std[m])
        cols["dw_var"].append(dw_var.get(m, math.nan))
    shapes = [list(t.shape) for t in inputs]
    meta = {
        "kind": "probe", "model": type(model).__name__,
        "title": f"probe of {type(model).__name__}: {len(ran)} modules, x "
                 f"{' + '.join('x'.join(map(str, s)) for s in shapes)}, "
                 + (f"target {type(target).__name__}" if target is not None else f"grad {grad}"),
        "x_shapes": shapes, "x_dtypes": [str(t.dtype) for t in inputs],
        "grad": None if target is not None else grad, "loss": loss_kind,
        "channel_axis": channel_axis, "training": bool(model.training),
        "not_run": [chosen[m] for m in chosen if records[m].order < 0],
        "calls": {chosen[m]: records[m].calls for m in ran if records[m].calls > 1},
        "panels": [["out_std", "ch_sq_mean", "ch_var"], ["grad_out_var"]],
    }
    return ModuleReport(cols, meta)
