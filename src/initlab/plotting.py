r"""Figures of the signal lab (matplotlib, from the ``plot`` extra).

Everything here imports matplotlib when called, never at import time, and draws on a
:class:`matplotlib.figure.Figure` created directly (no pyplot state, no GUI backend needed), so
it runs headless. Without matplotlib the functions raise ``ImportError`` naming
``pip install "initlab[plot]"``.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .engine.report import Report, Trials

__all__ = ["plot_report", "plot_trials", "require"]

Array = NDArray[Any]

_INSTALL = 'initlab.plotting needs matplotlib; install it with pip install "initlab[plot]"'
_STD = (("act_std", "activation std"), ("pre_std", "pre-activation std"))
_GRAD = (("dh_in_var", "Var dL/dh_in"), ("dz_var", "Var dL/dz"), ("dw_var", "Var dL/dW"))


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
        ax.set_yscale("log")
        handles, labels = ax.get_legend_handles_labels()
        if predicted:
            from matplotlib.lines import Line2D

            handles.append(Line2D([], [], color="0.3", linestyle="--", linewidth=1.3))
            labels.append("mean-field prediction")
        ax.legend(handles, labels, fontsize=7)
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


def plot_report(
    report: Report,
    *,
    path: str | None = None,
    layers: Sequence[int] | None = None,
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
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

    Returns
    -------
    matplotlib.figure.Figure

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
    """
    require()
    from matplotlib.figure import Figure

    depth = report.depth
    first_bad = report.first_nonfinite_layer
    picks = _hist_layers(depth, layers, first_bad)
    ncol = max(len(picks), 2)
    fig = Figure(figsize=figsize or (max(10.0, 1.5 * ncol), 6.0), layout="constrained")
    parts = np.asarray(fig.subfigures(2, 1, height_ratios=(1.0, 1.3)), dtype=object).ravel()
    top, bottom = parts[0], parts[1]
    edges = report.edges
    hist_axes = top.subplots(1, len(picks), squeeze=False)[0]
    for ax, layer in zip(hist_axes, picks, strict=True):
        h = report.histogram(layer)
        total = max(int(h.counts.sum()) + h.below + h.above, 1)
        counts, shown = _rebin(h.counts, edges)
        ax.stairs(counts / total, shown, fill=True, alpha=0.8, linewidth=0.8)
        pad = 0.04 * (edges[-1] - edges[0])      # keep spikes at the edges visible
        ax.set_xlim(edges[0] - pad, edges[-1] + pad)
        if not h.counts.any():          # everything outside the edges, or non-finite
            ax.set_ylim(0.0, 1.0)
            ax.text(0.5, 0.5, "no values\nin range", transform=ax.transAxes, ha="center",
                    va="center", fontsize=7, color="gray")
        std = float(report["act_std"][layer - 1])
        outside = (h.below + h.above) / total
        label = f"layer {layer}\nstd {_short(std)}"
        if outside > 0.005:
            label += f"\n{outside:.0%} outside"
        ax.set_title(label, fontsize=8)
        ax.tick_params(labelsize=6)
    x = np.asarray(report["layer"], dtype=np.float64)
    preds = report.predictions
    ax_std, ax_grad = bottom.subplots(1, 2)
    for ax, group, ylabel in ((ax_std, _STD, "std"), (ax_grad, _GRAD, "variance")):
        series = [(report[name], label, report[preds[name]] if name in preds else None)
                  for name, label in group]
        mf = report.meta.get("mean_field")
        note = str(mf.get("note", "")) if isinstance(mf, dict) else ""
        _log_panel(ax, x, series, ylabel, first_bad, note=note.split(":")[0])
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
            ax.set_yscale("log")
            handles, labels = ax.get_legend_handles_labels()
            if predicted:
                from matplotlib.lines import Line2D

                handles.append(Line2D([], [], color="0.3", linestyle="--", linewidth=1.3))
                labels.append("mean-field prediction (mean over draws)")
            ax.legend(handles, labels, fontsize=7)
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
    if not math.isfinite(v):
        return str(v)
    return f"{v:.2g}" if (v != 0 and (abs(v) < 1e-2 or abs(v) >= 1e3)) else f"{v:.3g}"
