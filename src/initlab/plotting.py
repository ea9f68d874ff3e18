r"""Figures of the signal lab (matplotlib, from the ``plot`` extra).

Everything here imports matplotlib when called, never at import time, and draws on a
:class:`matplotlib.figure.Figure` created directly (no pyplot state, no GUI backend needed), so
it runs headless. Without matplotlib the functions raise ``ImportError`` naming
``pip install "initlab[plot]"``.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ._format import number

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .engine.comparison import Comparison
    from .engine.report import Report, Trials
    from .engine.table import Table
    from .stats import Histogram

__all__ = ["plot_columns", "plot_comparison", "plot_histogram", "plot_report", "plot_trials",
           "require"]

Array = NDArray[Any]

_INSTALL = 'initlab.plotting needs matplotlib; install it with pip install "initlab[plot]"'
_STD = (("act_std", "activation std"), ("pre_std", "pre-activation std"))
_GRAD = (("dh_in_var", "Var dL/dh_in"), ("dz_var", "Var dL/dz"), ("dw_var", "Var dL/dW"))
_HEADLINE = (("act_std", "activation std"), ("dh_in_var", "Var dL/dh_in"))


def require() -> ModuleType:
    """Import matplotlib, or raise ``ImportError`` naming the ``plot`` extra.

    Returns
    -------
    module
        The ``matplotlib`` module.

    Raises
    ------
    ImportError
        Without matplotlib: ``pip install "initlab[plot]"``.

    References
    ----------
    .. [1] J. D. Hunter, "Matplotlib: A 2D Graphics Environment", Computing in Science &
       Engineering 9(3), 2007.

    Examples
    --------
    >>> import initlab.plotting
    >>> callable(initlab.plotting.require)
    True
    """
    try:
        import matplotlib
    except ImportError:
        raise ImportError(_INSTALL) from None
    return matplotlib


def _positive(values: Array) -> Array:
    """Values for a log axis: non-finite and non-positive entries become nan (not drawn)."""
    out = np.array(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        out[~(np.isfinite(out) & (out > 0))] = np.nan
    return out


def _hist_layers(depth: int, layers: Sequence[int] | None, first_bad: int | None) -> list[int]:
    if layers is not None:
        return [int(layer) for layer in layers]
    if depth <= 10:
        return list(range(1, depth + 1))
    picks = {round(float(v)) for v in np.linspace(1, depth, 10)}
    if first_bad is not None:
        picks.discard(min(picks, key=lambda p: abs(p - first_bad)))
        picks.add(first_bad)
    return sorted(picks)


def _log_panel(ax: Axes, x: Array, series: list[tuple[Array, str, Array | None]],
               ylabel: str, first_bad: int | None, note: str = "") -> None:
    """Measured series as points (joined by a line when there is no prediction), each
    prediction as a dashed line of the same colour through them."""
    drawn = predicted = missing = False
    for values, label, pred in series:
        y = _positive(values)
        p = None if pred is None else _positive(pred)
        has_pred = p is not None and bool(np.isfinite(p).any())
        if np.isfinite(y).any():
            (line,) = ax.plot(x, y, "o" if has_pred else "o-", label=label, markersize=3.5,
                              linewidth=1.0)
            color = line.get_color()
            drawn = True
        else:
            color = None
        if has_pred:
            assert p is not None
            ax.plot(x, p, "--", color=color, linewidth=1.3, alpha=0.9)
            drawn = predicted = True
        elif pred is not None:
            missing = True
    if drawn:
        _log_legend(ax, "mean-field prediction" if predicted else "")
    if missing and note:
        ax.text(0.02, 0.02, note, transform=ax.transAxes, fontsize=7, color="0.35",
                va="bottom")
    if first_bad is not None:
        ax.axvline(first_bad, color="red", linestyle=":", linewidth=1)
        ax.text(first_bad, 0.98, f" inf/nan from layer {first_bad}", color="red", fontsize=7,
                va="top", transform=ax.get_xaxis_transform())
    ax.set_xlim(0.5, max(float(x[-1]), 1.0) + 0.5)
    ax.set_xlabel("layer")
    ax.set_ylabel(ylabel)
    ax.grid(True, which="major", alpha=0.3)


def _log_legend(ax: Axes, dashed: str) -> None:
    """Log y-axis and a legend, with a grey dashed entry named ``dashed`` (if any)."""
    ax.set_yscale("log")
    handles, labels = ax.get_legend_handles_labels()
    if dashed:
        from matplotlib.lines import Line2D

        handles.append(Line2D([], [], color="0.3", linestyle="--", linewidth=1.3))
        labels.append(dashed)
    ax.legend(handles, labels, fontsize=7)


def plot_report(
    report: Report,
    *,
    path: str | os.PathLike[str] | None = None,
    layers: Sequence[int] | None = None,
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
    ax: Axes | Sequence[Axes] | None = None,
) -> Figure:
    r"""The classic figure of a probe: per-layer histograms, then std and gradients by depth.

    Parameters
    ----------
    report : Report
        From :meth:`initlab.MLP.probe`.
    path : str, optional
        Save the figure there as well (format from the extension).
    layers : sequence of int, optional
        Layers whose histograms are drawn (default: all of up to 10 layers, else 10 spread
        over the depth, including the first non-finite layer).
    title : str, optional
        Figure title (default: the report's title and verdict).
    figsize : (float, float), optional
        Size in inches.
    ax : matplotlib Axes or pair of Axes, optional
        Draw into existing axes (no histograms, no title): one Axes gets the activation std
        and :math:`\operatorname{Var}\,\partial L/\partial h^{l-1}` against depth, a pair
        gets the two depth panels (std; gradient variances).

    Returns
    -------
    matplotlib.figure.Figure
        The new figure, or the figure of ``ax``.

    Raises
    ------
    ImportError
        Without matplotlib.

    Notes
    -----
    Top row: the distribution of each layer's activations on the report's fixed edges, as
    fractions of the batch (the same x-range for every layer, so a collapsing or saturating
    signal shows at a glance). Bottom: the activation and pre-activation std, and the variances
    of :math:`\partial L/\partial h^{l-1}`, :math:`\partial L/\partial z^l` and
    :math:`\partial L/\partial W^l`, against depth on a log scale. A measured series with a
    prediction (the mean-field columns of a probe, or any column attached with
    :meth:`Report.add_column` and ``predicts=``) is drawn as points, and its prediction as a
    dashed line of the same colour through them; a prediction that is not available (the
    gradients with batch norm) is named in the panel.

    References
    ----------
    .. [1] X. Glorot and Y. Bengio, "Understanding the difficulty of training deep feedforward
       neural networks", AISTATS 2010 (figures 3-7).

    Examples
    --------
    >>> import numpy as np, initlab
    >>> rep = initlab.MLP([64] * 5, rng=0).probe(np.ones((16, 64)), rng=0)
    >>> import initlab.plotting
    >>> fig = initlab.plotting.plot_report(rep)
    >>> len(fig.axes)
    6
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> initlab.plotting.plot_report(rep, ax=ax) is ax.figure
    True
    """
    require()
    from matplotlib.figure import Figure

    if ax is not None:
        return _report_into(report, ax, path)
    depth = report.depth
    first_bad = report.first_nonfinite_layer
    picks = _hist_layers(depth, layers, first_bad)
    ncol = max(len(picks), 2)
    fig = Figure(figsize=figsize or (max(10.0, 1.5 * ncol), 6.0), layout="constrained")
    parts = np.asarray(fig.subfigures(2, 1, height_ratios=(1.0, 1.3)), dtype=object).ravel()
    top, bottom = parts[0], parts[1]
    edges = report.edges
    hist_axes = top.subplots(1, len(picks), squeeze=False)[0]
    for hax, layer in zip(hist_axes, picks, strict=True):
        h = report.histogram(layer)
        total = max(int(h.counts.sum()) + h.below + h.above, 1)
        counts, shown = _rebin(h.counts, edges)
        hax.stairs(counts / total, shown, fill=True, alpha=0.8, linewidth=0.8)
        pad = 0.04 * (edges[-1] - edges[0])      # keep spikes at the edges visible
        hax.set_xlim(edges[0] - pad, edges[-1] + pad)
        if not h.counts.any():          # everything outside the edges, or non-finite
            hax.set_ylim(0.0, 1.0)
            hax.text(0.5, 0.5, "no values\nin range", transform=hax.transAxes, ha="center",
                    va="center", fontsize=7, color="gray")
        std = float(report["act_std"][layer - 1])
        outside = (h.below + h.above) / total
        label = f"layer {layer}\nstd {_short(std)}"
        if outside > 0.005:
            label += f"\n{outside:.0%} outside"
        hax.set_title(label, fontsize=8)
        hax.tick_params(labelsize=6)
    _depth_panels(report, bottom.subplots(1, 2))
    if title is None:
        try:
            message = textwrap.fill(report.verdict().message,
                                    width=int(14 * fig.get_figwidth()))
            title = f"{report.title}\n{message}"
        except Exception:  # pragma: no cover - a title must not break a figure
            title = report.title
    fig.suptitle(title, fontsize=9)
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig


def _series(report: Report, group: Sequence[tuple[str, str]]
            ) -> list[tuple[Array, str, Array | None]]:
    preds = report.predictions
    return [(np.asarray(report[name]), label,
             np.asarray(report[preds[name]]) if name in preds else None)
            for name, label in group]


def _note(report: Report) -> str:
    mf = report.meta.get("mean_field")
    return (str(mf.get("note", "")) if isinstance(mf, dict) else "").split(":")[0]


def _depth_panels(report: Report, axes: Sequence[Axes]) -> None:
    """The std panel and the gradient panel of a report, on two axes."""
    x = np.asarray(report["layer"], dtype=np.float64)
    for ax, group, ylabel in ((axes[0], _STD, "std"), (axes[1], _GRAD, "variance")):
        _log_panel(ax, x, _series(report, group), ylabel, report.first_nonfinite_layer,
                   note=_note(report))


def _report_into(report: Report, ax: Any, path: str | os.PathLike[str] | None) -> Figure:
    """``plot_report(..., ax=...)``: one Axes (std and input-gradient variance) or two."""
    axes = list(ax) if isinstance(ax, (list, tuple, np.ndarray)) else [ax]
    if len(axes) == 2:
        _depth_panels(report, axes)
    elif len(axes) == 1:
        x = np.asarray(report["layer"], dtype=np.float64)
        _log_panel(axes[0], x, _series(report, _HEADLINE), "std / variance",
                   report.first_nonfinite_layer, note=_note(report))
    else:
        raise ValueError(f"plot_report: ax={ax!r} is not accepted; use one Axes or a pair.")
    fig: Figure = axes[0].figure
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig


def plot_columns(
    table: Table,
    *,
    path: str | os.PathLike[str] | None = None,
    ax: Axes | Sequence[Axes] | None = None,
    columns: Sequence[Sequence[str]] | None = None,
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    r"""Columns of a table against the row number, one panel per group of columns.

    Parameters
    ----------
    table : Table
        Any :class:`~initlab.engine.Table`, e.g. the :class:`initlab.torch.ModuleReport` of
        :func:`initlab.torch.probe` (``Table.plot`` calls this).
    path : str or path, optional
        Save the figure there as well (format from the extension).
    ax : matplotlib Axes or sequence of Axes, optional
        Draw into these: one Axes per panel, or a single Axes for all curves. Default: a new
        figure with one Axes per panel.
    columns : sequence of sequences of str, optional
        The panels and their columns; default ``table.meta['panels']``, else one panel of
        every real column.
    title : str, optional
        Figure title (default the table's title, except when drawing into ``ax``).
    figsize : (float, float), optional
        Size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        The new figure, or the figure of ``ax``.

    Raises
    ------
    ImportError
        Without matplotlib.
    ValueError
        For a column the table does not have, or a number of Axes that is neither one nor
        the number of panels.

    Notes
    -----
    Each panel has a log y axis when all its finite values are positive (variances, stds),
    a linear one otherwise (means). Rows are numbered from 1 in table order (forward order
    for a probe); a table whose :attr:`~initlab.engine.Table.index` is a text column (the
    module paths of a probe) labels the x ticks with it, up to 40 rows.

    References
    ----------
    .. [1] A. Brock, S. De and S. L. Smith, "Characterizing signal propagation to close the
       performance gap in unnormalized ResNets", ICLR 2021, arXiv:2101.08692 (signal
       propagation plots).

    Examples
    --------
    >>> import initlab.plotting
    >>> from initlab.engine import Table
    >>> t = Table({"std": [1.0, 0.5, 0.25], "var": [1.0, 0.25, 0.0625]})
    >>> fig = initlab.plotting.plot_columns(t, columns=[["std"], ["var"]])
    >>> [a.get_yscale() for a in fig.axes]
    ['log', 'log']
    """
    require()
    from matplotlib.figure import Figure

    func = "plot_columns"
    default = table.meta.get("panels") or [
        [n for n in table.columns if table[n].dtype.kind == "f"]]
    panels = [list(p) for p in (columns if columns is not None else default)]
    for p in panels:
        for name in p:
            if name not in table:
                raise ValueError(f"{func}: columns={name!r} is not accepted; use column "
                                 f"names of the table ({', '.join(table.columns)}).")
    if ax is None:
        fig = Figure(figsize=figsize or (5.2 * len(panels), 3.6), layout="constrained")
        axes = list(np.ravel(np.asarray(fig.subplots(1, len(panels), squeeze=False),
                                        dtype=object)))
    else:
        axes = [ax] if hasattr(ax, "plot") else list(np.ravel(np.asarray(ax, dtype=object)))
        if len(axes) == 1 and len(panels) > 1:
            panels = [[c for p in panels for c in p]]
        if len(axes) != len(panels):
            raise ValueError(f"{func}: ax=<{len(axes)} Axes> is not accepted; use one Axes "
                             f"or {len(panels)} (one per panel).")
        fig = axes[0].figure
    x = np.arange(1, table.depth + 1)
    key = table.index
    names = table[key] if key is not None and table[key].dtype.kind == "U" else None
    for a, panel in zip(axes, panels, strict=True):
        positive = True
        for name in panel:
            vals = np.asarray(table[name], dtype=np.float64)
            a.plot(x, vals, marker=".", label=name)
            positive = positive and bool(np.all(vals[np.isfinite(vals)] > 0))
        if positive:
            a.set_yscale("log")
        a.set_xlabel(f"{key or 'row'} (in order)")
        a.grid(True, alpha=0.3)
        a.legend(fontsize="small")
        if names is not None and table.depth <= 40:
            a.set_xticks(x, list(names), rotation=90, fontsize=6)
    if ax is None or title is not None:
        fig.suptitle(title if title is not None else table.title, fontsize="medium")
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig


def plot_histogram(histogram: Histogram, *, ax: Axes | None = None) -> Axes:
    r"""Draw a :class:`~initlab.stats.Histogram` as fractions of all its elements.

    Parameters
    ----------
    histogram : Histogram
        From :func:`initlab.stats.histogram` or :meth:`initlab.engine.Report.histogram`.
    ax : matplotlib Axes, optional
        Where to draw; default a new figure's single axes.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ImportError
        Without matplotlib.

    Notes
    -----
    Bar heights are counts over :attr:`~initlab.stats.Histogram.total` (below, above and
    nan included), so the bars sum to the fraction inside the edges; that fraction is noted
    when elements fall outside.

    References
    ----------
    .. [1] NumPy, ``numpy.histogram`` (bin convention).

    Examples
    --------
    >>> import numpy as np, initlab, initlab.plotting
    >>> h = initlab.stats.histogram(np.linspace(-1, 1, 101), 4)
    >>> ax = initlab.plotting.plot_histogram(h)
    >>> len(ax.patches)
    1
    """
    require()
    if ax is None:
        from matplotlib.figure import Figure

        ax = Figure(figsize=(4.0, 3.0), layout="constrained").subplots()
    total = max(histogram.total, 1)
    ax.stairs(histogram.counts / total, histogram.edges, fill=True, alpha=0.8)
    outside = (histogram.below + histogram.above + histogram.nan) / total
    if outside > 0:
        ax.text(0.98, 0.98, f"{outside:.1%} outside", transform=ax.transAxes, ha="right",
                va="top", fontsize=7, color="0.35")
    ax.set_xlabel("value")
    ax.set_ylabel("fraction")
    return ax


def plot_comparison(
    comparison: Comparison,
    *,
    ax: Axes | Sequence[Axes] | None = None,
    title: str | None = None,
    path: str | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    r"""Several initializations of one network: std and gradient variance against depth.

    Parameters
    ----------
    comparison : Comparison
        From :func:`initlab.compare`.
    ax : matplotlib Axes or pair of Axes, optional
        Draw into existing axes: a pair gets the two panels, one Axes the activation std only.
    path : str, optional
        Save the figure there as well.
    title : str, optional
        Figure title.
    figsize : (float, float), optional
        Size in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ImportError
        Without matplotlib.

    Notes
    -----
    Left: each initialization's activation std; right: its
    :math:`\operatorname{Var}\,\partial L/\partial h^{l-1}`, both on a log scale, one colour per
    initialization; its mean-field prediction is the dashed line of the same colour.

    References
    ----------
    .. [1] X. Glorot and Y. Bengio, "Understanding the difficulty of training deep feedforward
       neural networks", AISTATS 2010 (figures 6 and 7 compare initializations this way).

    Examples
    --------
    >>> import numpy as np, initlab, initlab.plotting
    >>> c = initlab.compare(["lecun_normal", "normal"], [32] * 4, np.ones((8, 32)), rng=0)
    >>> len(initlab.plotting.plot_comparison(c).axes)
    2
    """
    require()
    from matplotlib.figure import Figure

    if ax is None:
        fig = Figure(figsize=figsize or (10.0, 4.0), layout="constrained")
        axes = list(fig.subplots(1, 2))
    else:
        axes = list(ax) if isinstance(ax, (list, tuple, np.ndarray)) else [ax]
        if len(axes) not in (1, 2):
            raise ValueError(f"plot_comparison: ax={ax!r} is not accepted; use one Axes or a "
                             "pair.")
        fig = axes[0].figure
    groups = ((("act_std", "std"), "activation std"), (("dh_in_var", "variance"), "Var dL/dh_in"))
    for panel, ((name, ylabel), what) in zip(axes, groups, strict=False):
        series = []
        for label, rep in comparison.reports.items():
            pred = rep.predictions.get(name)
            series.append((np.asarray(rep[name]), label,
                           None if pred is None else np.asarray(rep[pred])))
        x = np.arange(1, comparison.depth + 1, dtype=np.float64)
        _log_panel(panel, x, series, ylabel, None)
        panel.set_title(what, fontsize=9)
    if ax is None:
        fig.suptitle(title or f"{len(comparison.reports)} initializations: "
                     f"{comparison.title}", fontsize=9)
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig


def plot_trials(
    trials: Trials,
    *,
    path: str | None = None,
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    r"""Mean and confidence band over weight draws of the std and gradient variances by depth.

    Parameters
    ----------
    trials : Trials
        From :meth:`initlab.MLP.trials`.
    path : str, optional
        Save the figure there as well.
    title : str, optional
        Figure title.
    figsize : (float, float), optional
        Size in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ImportError
        Without matplotlib.

    Notes
    -----
    Points are geometric means across draws and the bands their confidence intervals on the log
    scale (:meth:`Trials.interval` with ``log=True``); dashed lines are the draws' mean-field
    predictions, averaged (:meth:`Trials.predicted`).

    References
    ----------
    .. [1] S. S. Schoenholz, J. Gilmer, S. Ganguli and J. Sohl-Dickstein, "Deep Information
       Propagation", ICLR 2017, arXiv:1611.01232.

    Examples
    --------
    >>> import numpy as np, initlab
    >>> import initlab.plotting
    >>> t = initlab.MLP([32] * 4).trials(np.ones((8, 32)), 3, rng=0)
    >>> len(initlab.plotting.plot_trials(t).axes)
    2
    """
    require()
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize or (10.0, 4.0), layout="constrained")
    axes = fig.subplots(1, 2)
    x = np.arange(1, trials.depth + 1, dtype=np.float64)
    for ax, group, ylabel in ((axes[0], _STD, "std"), (axes[1], _GRAD, "variance")):
        drawn = predicted = False
        for name, label in group:
            mean = _positive(trials.mean(name, log=True))
            low, high = (_positive(v) for v in trials.interval(name, log=True))
            pred = trials.predicted(name)
            p = None if pred is None else _positive(pred)
            has_pred = p is not None and bool(np.isfinite(p).any())
            if np.isfinite(mean).any():
                (line,) = ax.plot(x, mean, "o" if has_pred else "o-", markersize=3.5,
                                  label=label)
                ok = np.isfinite(low) & np.isfinite(high)
                if ok.any():
                    ax.fill_between(x[ok], low[ok], high[ok], alpha=0.25,
                                    color=line.get_color())
                if has_pred:
                    assert p is not None
                    ax.plot(x, p, "--", color=line.get_color(), linewidth=1.3)
                    predicted = True
                drawn = True
        if drawn:
            _log_legend(ax, "mean-field prediction (mean over draws)" if predicted else "")
        ax.set_xlabel("layer")
        ax.set_ylabel(ylabel)
        ax.grid(True, alpha=0.3)
    rep = trials.reports[0]
    fig.suptitle(title or f"{trials.n} draws: {rep.title} (geometric mean and "
                 f"{trials.confidence:.0%} CI)", fontsize=9)
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig


def _rebin(counts: Array, edges: Array, most: int = 64) -> tuple[Array, Array]:
    """Merge neighbouring bins (pairs, repeatedly) until at most ``most`` remain, so that thin
    spikes (saturated units at the bounds) stay visible."""
    while counts.size > most and counts.size % 2 == 0:
        counts = counts[0::2] + counts[1::2]
        edges = edges[0::2]
    return counts, edges


def _short(v: float) -> str:
    return number(v, 3, small=1e-2, large=1e3, outside=2)
