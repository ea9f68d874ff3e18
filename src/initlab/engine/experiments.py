r"""The classic initialization experiments, and a verdict computed from the measurements.

The experiments follow the blog set-up of the theory notes (``docs/lab.md``): E1-E6 are nine
dense layers ``800 -> 750 -> ... -> 350`` on a ``2000 x 800`` standard-normal batch, E7 is a
stack of 100 layers of width 256 on a batch of 16. Every run draws, from one
``numpy.random.default_rng(seed)``, the input, then the weights in layer order, then the upstream
gradient :math:`G \sim \mathcal{N}(0, 1)` of the loss :math:`L = \sum G \odot h^L`.

The verdict printed for each (:func:`initlab.engine.verdict`) lives in
:mod:`initlab.engine.verdicts`; ``Verdict`` and ``verdict`` are re-exported here.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any

import numpy as np

from .._validate import check_int, fail
from .mlp import MLP
from .report import Report
from .verdicts import Verdict, verdict

__all__ = ["EXPERIMENTS", "Experiment", "Verdict", "run_demo", "verdict"]

#: Widths of the blog network: 800, 750, ..., 350 (nine weight matrices, layout ``blog9``).
BLOG9: tuple[int, ...] = tuple(800 - 50 * i for i in range(10))
#: Widths of the deep stack: 100 layers of width 256.
DEEP: tuple[int, ...] = (256,) * 101

_N001 = {"class_name": "Normal", "config": {"std": 0.01}}
_N1 = {"class_name": "Normal", "config": {"std": 1.0}}
_FAN_IN = {"class_name": "VarianceScaling",
           "config": {"scale": 1.0, "mode": "fan_in", "distribution": "normal"}}
_HE = {"class_name": "HeNormal", "config": {}}
_XAVIER = {"class_name": "GlorotNormal", "config": {}}
_XAVIER_53 = {"class_name": "GlorotUniform", "config": {"gain": 5 / 3}}


@dataclass(frozen=True)
class Experiment:
    r"""One classic experiment: a network, an input batch and a seed give a report.

    Attributes
    ----------
    key : str
        Short name (``'E1'`` ... ``'E7f'``).
    title : str
        What is being shown.
    activation : str
        Activation of every layer.
    init : dict
        Weight initializer as an :func:`initlab.get` config.
    widths : tuple of int
        Layer widths, input first.
    batch : int
        Batch size of the standard-normal input.
    batch_norm : bool
        Batch normalization before each activation.
    dtype : str
        ``'float32'`` or ``'float64'``.
    rows : tuple of int, optional
        Layers the demo prints (default all); the layers around the first non-finite one
        are added.

    References
    ----------
    .. [1] X. Glorot and Y. Bengio, "Understanding the difficulty of training deep feedforward
       neural networks", AISTATS 2010.
    .. [2] K. He, X. Zhang, S. Ren and J. Sun, "Delving Deep into Rectifiers", ICCV 2015,
       arXiv:1502.01852.

    Examples
    --------
    >>> from initlab.engine import EXPERIMENTS
    >>> e1 = EXPERIMENTS["E1"]
    >>> e1.title, e1.widths[:3], e1.batch
    ('tanh, W ~ N(0, 0.01^2)', (800, 750, 700), 2000)
    """

    key: str
    title: str
    activation: str
    init: dict[str, Any]
    widths: tuple[int, ...] = BLOG9
    batch: int = 2000
    batch_norm: bool = False
    dtype: str = "float32"
    rows: tuple[int, ...] | None = None

    def network(self, rng: object = None) -> MLP:
        """The :class:`~initlab.MLP` of this experiment, weights drawn from ``rng``."""
        return MLP(list(self.widths), activation=self.activation, init=self.init,
                   batch_norm=self.batch_norm, dtype=np.dtype(self.dtype), rng=rng)

    def run(self, seed: int = 0, *, batch: int | None = None) -> Report:
        """Draw input, weights and upstream noise from ``default_rng(seed)`` and probe.

        Parameters
        ----------
        seed : int, default 0
            Seed of the one generator used, in the order input, weights, upstream gradient.
        batch : int, optional
            Override the batch size (e.g. for quicker tests).

        Returns
        -------
        Report
            With ``meta['title']`` set to ``'<key>: <title>'``.
        """
        b = self.batch if batch is None else check_int("Experiment.run", "batch", batch,
                                                       minimum=1)
        gen = np.random.default_rng(seed)
        dt = np.dtype(self.dtype)
        x = gen.standard_normal((b, self.widths[0]), dtype=dt)
        net = self.network(gen)
        report = net.probe(x, rng=gen)
        report.title = f"{self.key}: {self.title}"
        return report


def _catalogue() -> dict[str, Experiment]:
    deep_rows = (1, 2, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100)
    items = [
        Experiment("E1", "tanh, W ~ N(0, 0.01^2)", "tanh", _N001),
        Experiment("E2", "tanh, W ~ N(0, 1)", "tanh", _N1),
        Experiment("E3", "tanh, Xavier W ~ N(0, 1/fan_in)", "tanh", _FAN_IN),
        Experiment("E4", "relu, Xavier W ~ N(0, 1/fan_in)", "relu", _FAN_IN),
        Experiment("E5", "relu, He W ~ N(0, 2/fan_in)", "relu", _HE),
        Experiment("E6", "relu with batch norm, W ~ N(0, 0.01^2)", "relu", _N001,
                   batch_norm=True),
        Experiment("E6b", "relu with batch norm, W ~ N(0, 1)", "relu", _N1, batch_norm=True),
        Experiment("E7a", "100 linear layers, W ~ N(0, 1), float32", "linear", _N1,
                   widths=DEEP, batch=16, rows=deep_rows),
        Experiment("E7b", "100 linear layers, W ~ N(0, 1), float64", "linear", _N1,
                   widths=DEEP, batch=16, dtype="float64", rows=deep_rows),
        Experiment("E7c", "100 linear layers, W ~ N(0, 1/n)", "linear", _FAN_IN,
                   widths=DEEP, batch=16, rows=deep_rows),
        Experiment("E7d", "100 tanh layers, Xavier normal (gain 1)", "tanh", _XAVIER,
                   widths=DEEP, batch=16, rows=deep_rows),
        Experiment("E7e", "100 tanh layers, Xavier uniform with torch's gain 5/3", "tanh",
                   _XAVIER_53, widths=DEEP, batch=16, rows=deep_rows),
        Experiment("E7f", "100 relu layers, He normal", "relu", _HE, widths=DEEP, batch=16,
                   rows=deep_rows),
    ]
    return {e.key: e for e in items}


#: The demo's experiments by key, in order.
EXPERIMENTS: dict[str, Experiment] = _catalogue()


# --------------------------------------------------------------------------------------------
# the demo


#: The demo's columns; the predictions shown are those of the activation std and the
#: gradients (``report.table()`` shows them all).
_DEMO_COLUMNS = ("layer", "pre_std", "act_mean", "act_std", "act_std_pred", "{frac}",
                 "dh_in_var", "dh_in_var_pred", "dw_var", "dw_var_pred")


def _rows_for(exp: Experiment, report: Report) -> list[int] | None:
    if exp.rows is None:
        return None
    rows = set(exp.rows)
    first = report.first_nonfinite_layer
    if first is not None:
        rows |= {k for k in (first - 1, first, first + 1) if 1 <= k <= report.depth}
    return sorted(r for r in rows if 1 <= r <= report.depth)


def run_demo(
    keys: Sequence[str] | None = None,
    *,
    seed: int = 0,
    out: str | os.PathLike[str] | None = None,
    file: IO[str] | None = None,
    batch: int | None = None,
) -> list[tuple[Experiment, Report, Verdict]]:
    r"""Run the classic experiments; print a per-layer table and a verdict for each.

    Parameters
    ----------
    keys : sequence of str, optional
        Experiments to run (keys of :data:`EXPERIMENTS`); default all of them.
    seed : int, default 0
        Seed of every experiment's generator.
    out : path, optional
        Directory for one PNG figure per experiment (``<key>.png``; created if needed).
        Needs matplotlib; without it a note is printed and no figure is written.
    file : text stream, optional
        Where to print (default ``sys.stdout``).
    batch : int, optional
        Override the batch size of the blog experiments (E1-E6; default 2000).

    Returns
    -------
    list of (Experiment, Report, Verdict)

    Raises
    ------
    ValueError
        For an unknown key.

    Notes
    -----
    The verdicts are computed from the measurements by :func:`verdict`. Expected outcomes
    (theory notes, section 2): E1 vanishes (the std shrinks about x0.25 per layer), E2
    saturates (about 90 % of units at :math:`|a| > 0.99`), E3 is healthy, E4 vanishes, E5 is
    healthy, E6/E6b hold the activation std at 0.584 whatever the weight scale, E7a first
    overflows at layer 32 in float32 while float64 (E7b) reaches about :math:`10^{120}`
    without overflowing.

    References
    ----------
    .. [1] X. Glorot and Y. Bengio, "Understanding the difficulty of training deep feedforward
       neural networks", AISTATS 2010.
    .. [2] K. He, X. Zhang, S. Ren and J. Sun, "Delving Deep into Rectifiers", ICCV 2015,
       arXiv:1502.01852.
    .. [3] S. Ioffe and C. Szegedy, "Batch Normalization", ICML 2015, arXiv:1502.03167.

    Examples
    --------
    >>> import io
    >>> from initlab.engine import run_demo
    >>> results = run_demo(["E7a"], file=io.StringIO())
    >>> [(e.key, v.kind, v.layer) for e, _, v in results]
    [('E7a', 'exploding', 32)]
    """
    func = "run_demo"
    stream = sys.stdout if file is None else file
    chosen = list(EXPERIMENTS) if keys is None else list(keys)
    for k in chosen:
        if k not in EXPERIMENTS:
            fail(func, "keys", k, "use keys among " + ", ".join(EXPERIMENTS))
    seed = check_int(func, "seed", seed, minimum=0)
    blog_batch = None if batch is None else check_int(func, "batch", batch, minimum=1)
    figures = False
    if out is not None:
        try:
            from ..plotting import require

            require()
            figures = True
            os.makedirs(out, exist_ok=True)
        except ImportError as exc:
            print(f"note: {exc}; no figures written", file=stream)
    start = time.perf_counter()
    results = []
    for k in chosen:
        exp = EXPERIMENTS[k]
        b = blog_batch if (blog_batch is not None and exp.widths == BLOG9) else None
        report = exp.run(seed, batch=b)
        v = verdict(report)
        frac = "sat_frac" if any(report.meta["bounded"]) else "zero_frac"
        cols = [frac if c == "{frac}" else c for c in _DEMO_COLUMNS if c in report or
                c == "{frac}"]
        if report.first_nonfinite_layer is not None:
            cols.insert(cols.index(frac) + 1, "nonfinite_frac")
        print(f"{exp.key}  {exp.title}", file=stream)
        print(f"    {_setup(report)}", file=stream)
        table = report.table(cols, layers=_rows_for(exp, report), predictions=False)
        print("\n".join("    " + line for line in table.splitlines()), file=stream)
        print(f"    verdict: {v.message}", file=stream)
        if figures:
            assert out is not None
            path = os.path.join(os.fspath(out), f"{exp.key}.png")
            report.plot(path)
            print(f"    figure: {path}", file=stream)
        print(file=stream)
        results.append((exp, report, v))
    elapsed = time.perf_counter() - start
    hint = "" if out is not None else " (figures: initlab demo --out DIR, with matplotlib)"
    print(f"{len(results)} experiments in {elapsed:.1f} s{hint}", file=stream)
    return results


def _setup(report: Report) -> str:
    m = report.meta
    widths = m["widths"]
    shape = (f"{len(widths) - 1} layers of width {widths[1]}" if len(set(widths)) == 1
             else f"{len(widths) - 1} layers {widths[0]}->{widths[-1]}")
    bn = ", batch norm" if m["batch_norm"] else ""
    return f"{shape}{bn}, batch {m['batch']}, {m['dtype']}, upstream G ~ N(0, 1)"
