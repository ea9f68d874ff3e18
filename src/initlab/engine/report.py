r"""Per-layer measurements of a probe, and their spread over independent weight draws.

A :class:`Report` is a :class:`~initlab.engine.Table` (the base it shares with
``initlab.torch.ModuleReport``: columns, metadata, text and HTML tables, records, JSON) with one
row per layer and int64/float64 columns, plus per-layer histograms. A probe's report also
carries the mean-field prediction of its measurements (:data:`PREDICTED`), which the probe
computed with :mod:`initlab.theory` from the network's realized weights and attached: a report
is data plus formatting (the verdict is :mod:`initlab.engine.verdicts`, the figures
:mod:`initlab.plotting`). Extra columns can be attached with :meth:`Report.add_column`; a column
that ``predicts`` a measured one is shown beside it by :meth:`Report.table` and drawn as a
dashed line by :meth:`Report.plot`. :class:`Trials` collects
reports of independent draws and gives each statistic's mean and confidence interval.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._format import align, cell, html_table
from .._json import decode_float, jsonable
from .._validate import check_bool, check_real, fail
from ..stats import Histogram
from ._predict import predict_columns, resolve_activations
from .columns import (
    COLUMNS,
    DESCRIPTIONS,
    INT_COLUMNS,
    LABELS,
    PREDICTED,
    PREDICTED_DESCRIPTIONS,
)
from .table import Table
from .verdicts import verdict as judge

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from ..activations import Activation
    from ..theory import Prediction
    from .verdicts import Verdict

__all__ = ["COLUMNS", "DESCRIPTIONS", "PREDICTED", "LayerStats", "Report", "Trials"]

_MF_FLOATS = ("x_second_moment", "upstream_second_moment")

Array = NDArray[Any]

# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerStats:
    r"""The measurements of one layer (a row of a :class:`Report`).

    Attributes
    ----------
    layer, fan_in, fan_out : int
        Layer number (from 1) and the shape of :math:`W^l`.
    w_std, pre_mean, pre_std, act_mean, act_std, act_min, act_max : float
        See :data:`DESCRIPTIONS`.
    sat_frac, zero_frac, nonfinite_frac : float
        Fractions of the :math:`B \times n_l` activations.
    dead_units : int
        Units that are zero for the whole batch.
    dz_var, dh_in_var, dw_var, dw_ratio : float
        Gradient statistics.
    finite : bool
        False for the first non-finite layer and every layer after it.
    histogram : Histogram
        Counts of the activations on the report's fixed edges.
    extra : dict
        The mean-field predictions (``act_std_pred``, ...), columns attached with
        :meth:`Report.add_column`, and ``db_var`` with biases.

    References
    ----------
    .. [1] X. Glorot and Y. Bengio, "Understanding the difficulty of training deep feedforward
       neural networks", AISTATS 2010.

    Examples
    --------
    >>> import numpy as np, initlab
    >>> net = initlab.MLP([32, 32, 32], activation="relu", init="he_normal", rng=0)
    >>> row = net.probe(np.ones((8, 32)), rng=0).layers[0]
    >>> row.layer, row.fan_in, row.finite
    (1, 32, True)
    """

    layer: int
    fan_in: int
    fan_out: int
    w_std: float
    pre_mean: float
    pre_std: float
    act_mean: float
    act_std: float
    act_min: float
    act_max: float
    sat_frac: float
    zero_frac: float
    dead_units: int
    nonfinite_frac: float
    dz_var: float
    dh_in_var: float
    dw_var: float
    dw_ratio: float
    finite: bool
    histogram: Histogram = field(repr=False)
    extra: dict[str, float] = field(default_factory=dict)


class Report(Table):
    r"""Per-layer statistics of one probe of an :class:`~initlab.MLP`.

    Created by :meth:`initlab.MLP.probe`; rebuilt from JSON by :meth:`from_json`. A
    :class:`~initlab.engine.Table` whose rows are layers (its ``index`` is ``layer``), with
    histograms, mean-field predictions and a verdict; its columns are int64 (those in
    ``INT_COLUMNS``) or float64, and its JSON holds ``meta``, ``columns``, ``histograms`` and
    ``predictions``.

    Parameters
    ----------
    columns : mapping of str to array
        One value per layer for each column (see :data:`COLUMNS`, :data:`DESCRIPTIONS`).
    histograms : mapping
        ``edges`` (shared by all layers), ``counts`` (layers x bins), ``below``, ``above``.
    meta : mapping
        Network and probe settings: ``widths``, ``activations``, ``bounded``, ``init``,
        ``bias``, ``batch_norm``, ``dtype``, ``batch``, ``grad``, ``upstream_var``,
        ``first_nonfinite_layer``, ``first_nonfinite_grad_layer``, ``mean_field`` (the inputs
        of the prediction, see Notes), and an optional ``title``.
    predictions : mapping of str to str, optional
        Measured column -> the column (given in ``columns``) that predicts it.
    descriptions : mapping of str to str, optional
        What the extra columns hold (:meth:`describe_columns`).
    prediction : initlab.theory.Prediction, optional
        The mean-field prediction behind the predicted columns (:attr:`prediction`).
    activations : sequence of Activation, optional
        The layers' activations (:attr:`activations`; the verdict's mean-field clause uses
        them).

    Notes
    -----
    ``report[name]`` returns a column (a read-only float64 or int64 array, layer 1 first).
    Layers are numbered from 1 everywhere, as ``report.layer(1)`` and ``report.histogram(1)``.
    The moments of a non-finite layer cover its finite entries.

    **Predicted columns.** A report made by :meth:`initlab.MLP.probe` also holds the mean-field
    prediction (:func:`initlab.theory.predict`) of the measured columns in :data:`PREDICTED`:
    ``pre_std_pred``, ``act_mean_pred``, ``act_std_pred``, ``dz_var_pred``, ``dh_in_var_pred``
    and ``dw_var_pred``. It is computed from what the probe saw, recorded in
    ``meta['mean_field']``: each layer's realized weight scale
    ``sigma_w`` :math:`= \sqrt{n_{l-1}\,\overline{W^2}}`, the mean and variance of its biases
    (``bias_mean``, ``bias_var``), the input's second moment ``x_second_moment``
    :math:`\overline{x^2}` and the upstream gradient's ``upstream_second_moment``
    :math:`\overline{G^2}`; the weight gradients are summed over ``batch`` examples. The probe
    runs the quadratures once (:func:`initlab.theory.propagate`, a few milliseconds for 100
    layers) and passes the columns, the :class:`~initlab.theory.Prediction` and the
    activations to the constructor (``predictions``, ``descriptions``, ``prediction``,
    ``activations``); nothing is computed later. Not predicted (nan, shown as ``-``; the
    reason is in ``meta['mean_field']['note']``): the gradients with batch norm (it couples
    the examples of a batch, Yang et al. 2019) and for ``grad='sum'`` or ``'mse'`` (the
    upstream gradient is then not zero-mean noise independent of the forward pass). A network
    whose weights do not have zero mean (e.g. ``init='ones'``) gets no predicted columns at
    all (``meta['mean_field']['predicted']`` is false). With batch norm the forward
    columns are predicted after normalization: :math:`\phi` of :math:`\mathcal{N}(0, 1)`
    (:math:`\varepsilon` neglected). A report rebuilt by :meth:`from_json` keeps the predicted
    columns.

    References
    ----------
    .. [1] X. Glorot and Y. Bengio, "Understanding the difficulty of training deep feedforward
       neural networks", AISTATS 2010.
    .. [2] S. S. Schoenholz, J. Gilmer, S. Ganguli and J. Sohl-Dickstein, "Deep Information
       Propagation", ICLR 2017, arXiv:1611.01232.
    .. [3] G. Yang, J. Pennington, V. Rao, J. Sohl-Dickstein and S. S. Schoenholz, "A Mean
       Field Theory of Batch Normalization", ICLR 2019, arXiv:1902.08129.

    Examples
    --------
    >>> import numpy as np, initlab
    >>> net = initlab.MLP([64, 64, 64, 64], activation="tanh", init="normal", rng=0)
    >>> rep = net.probe(np.ones((32, 64), dtype=np.float32), rng=0)
    >>> rep.depth, rep.columns[:4]
    (3, ('layer', 'fan_in', 'fan_out', 'w_std'))
    >>> bool(rep["sat_frac"].min() > 0.5)
    True
    >>> rep.predictions["act_std"], rep["act_std_pred"].round(2).tolist()
    ('act_std_pred', [0.95, 0.95, 0.95])
    >>> rep.add_column("sat_guess", [0.9, 0.9, 0.9], predicts="sat_frac")
    >>> rep.predictions["sat_frac"]
    'sat_guess'
    """

    index = "layer"
    _ROW = "layer"
    _ROWS_ARG = "layer"
    _DESCRIPTIONS = DESCRIPTIONS
    _LABELS = LABELS
    _PARTS = ("meta", "columns", "histograms")

    def __init__(
        self,
        columns: Mapping[str, ArrayLike],
        histograms: Mapping[str, ArrayLike],
        meta: Mapping[str, Any],
        predictions: Mapping[str, str] | None = None,
        *,
        descriptions: Mapping[str, str] | None = None,
        prediction: Prediction | None = None,
        activations: Sequence[Activation] | None = None,
    ) -> None:
        super().__init__(columns, meta, descriptions)
        edges = np.array(histograms["edges"], dtype=np.float64)
        counts = np.array(histograms["counts"], dtype=np.int64).reshape(self._depth, -1)
        self._hist = {
            "edges": edges, "counts": counts,
            "below": np.array(histograms.get("below", np.zeros(self._depth)), dtype=np.int64),
            "above": np.array(histograms.get("above", np.zeros(self._depth)), dtype=np.int64),
        }
        for arr in self._hist.values():
            arr.flags.writeable = False
        self._predictions: dict[str, str] = dict(predictions or {})
        for measured, name in self._predictions.items():
            if measured not in self._cols or name not in self._cols:
                fail("Report", "predictions", dict(self._predictions), "map measured columns "
                     "to columns of the report")
        self._prediction = prediction
        self._activations = None if activations is None else tuple(activations)

    def _kind(self, name: str) -> str:
        return "int" if name in INT_COLUMNS else "float"

    @property
    def prediction(self) -> Prediction | None:
        """The mean-field prediction behind the predicted columns.

        Returns
        -------
        initlab.theory.Prediction or None
            :func:`initlab.theory.predict` of the probed network with what the probe saw
            (``meta['mean_field']``); None for a report without one (built by hand, or of a
            network whose weights do not have zero mean). :meth:`initlab.MLP.probe` computes
            it with its report; for a report read from JSON, :meth:`from_dict` recomputes it
            from ``meta['mean_field']`` when the activations are known by name.

        References
        ----------
        .. [1] S. S. Schoenholz, J. Gilmer, S. Ganguli and J. Sohl-Dickstein, "Deep
           Information Propagation", ICLR 2017, arXiv:1611.01232.

        Examples
        --------
        >>> import numpy as np, initlab
        >>> net = initlab.MLP([128] * 21, activation="tanh", init="xavier_normal",
        ...                   dtype=np.float64, rng=0)
        >>> rep = net.probe(np.random.default_rng(1).standard_normal((64, 128)), rng=2)
        >>> p = rep.prediction
        >>> p.depth, bool(np.allclose(np.sqrt(p.q), rep["pre_std_pred"]))
        (20, True)
        >>> round(float(p.chi[-1]), 3), f"{p.dx:.3f}", f"{rep['dh_in_var'][0]:.3f}"
        (0.953, '0.037', '0.040')
        """
        return self._prediction

    @property
    def activations(self) -> tuple[Activation, ...] | None:
        """The layers' :class:`~initlab.Activation` objects when known (a probe's report, or
        a report read from JSON whose activations have names), else None."""
        return self._activations

    # -- access ---------------------------------------------------------------------------

    def _default_title(self) -> str:
        m = self._meta
        acts = sorted(set(m.get("activations", [])))
        widths = m.get("widths", [])
        shape = (f"{widths[0]}->{widths[-1]}" if widths else "?")
        parts = [f"{self._depth} layers {shape}", "/".join(acts) or "?"]
        if m.get("batch_norm"):
            parts.append("batch norm")
        parts += [str(m.get("dtype", "?")), f"batch {m.get('batch', '?')}"]
        return ", ".join(parts)

    @property
    def first_nonfinite_layer(self) -> int | None:
        """The first layer (from 1) whose pre-activation or activation holds inf or nan."""
        v = self._meta.get("first_nonfinite_layer")
        return None if v is None else int(v)

    @property
    def first_nonfinite_grad_layer(self) -> int | None:
        """The layer nearest the output whose backward pass produced inf or nan."""
        v = self._meta.get("first_nonfinite_grad_layer")
        return None if v is None else int(v)

    @property
    def finite(self) -> Array:
        """Per layer: False from the first non-finite layer on."""
        first = self.first_nonfinite_layer
        out = np.ones(self._depth, dtype=bool)
        if first is not None:
            out[first - 1:] = False
        return out

    @property
    def predictions(self) -> dict[str, str]:
        """Measured column -> the attached column that predicts it."""
        return dict(self._predictions)

    def histogram(self, layer: int) -> Histogram:
        """The activation histogram of ``layer`` (numbered from 1)."""
        i = self._index(layer)
        h = self._hist
        return Histogram(edges=h["edges"], counts=h["counts"][i], below=int(h["below"][i]),
                         above=int(h["above"][i]), nan=0)

    @property
    def edges(self) -> Array:
        """The histogram edges shared by all layers."""
        return self._hist["edges"]

    @property
    def counts(self) -> Array:
        """Histogram counts, shape ``(depth, bins)``."""
        return self._hist["counts"]

    def layer(self, layer: int) -> LayerStats:
        """The measurements of ``layer`` (numbered from 1)."""
        i = self._index(layer)
        c = self._cols
        std: dict[str, Any] = {
            name: (int(c[name][i]) if name in INT_COLUMNS else float(c[name][i]))
            for name in COLUMNS if name in c}
        for name in COLUMNS:
            std.setdefault(name, 0 if name in INT_COLUMNS else math.nan)
        extra = {name: float(c[name][i]) for name in c if name not in COLUMNS}
        return LayerStats(**std, finite=bool(self.finite[i]), histogram=self.histogram(i + 1),
                          extra=extra)

    @property
    def layers(self) -> list[LayerStats]:
        """All layers as :class:`LayerStats`, layer 1 first."""
        return [self.layer(i) for i in range(1, self._depth + 1)]

    # -- extension ------------------------------------------------------------------------

    def add_column(self, name: str, values: ArrayLike, *, predicts: str | None = None,
                   description: str | None = None) -> None:
        """Attach a column (one value per layer), e.g. a prediction of a measured one.

        Parameters
        ----------
        name : str
            New column name (not a measured column's).
        values : array_like
            One real value per layer, layer 1 first.
        predicts : str, optional
            The measured column that ``values`` predicts: :meth:`table` shows the two side by
            side and :meth:`plot` draws the prediction as a dashed line.
        description : str, optional
            What the column holds (shown by :meth:`describe_columns`).

        Raises
        ------
        ValueError
            For a taken name, a wrong number of values, or a ``predicts`` column that is
            unknown or already predicted (a probe's report predicts the columns of
            :data:`PREDICTED`).

        Examples
        --------
        >>> import numpy as np, initlab
        >>> rep = initlab.MLP([8, 8], rng=0).probe(np.ones((4, 8)), rng=0)
        >>> rep.add_column("zero_guess", [0.5], predicts="zero_frac")
        >>> rep["zero_guess"]
        array([0.5])
        """
        arr = self._new_column("Report.add_column", name, values)
        if predicts is not None:
            if predicts not in self._cols or predicts in self._predictions:
                taken = self._predictions.get(str(predicts))
                fail("Report.add_column", "predicts", predicts, "use a column without a "
                     "prediction yet"
                     + (f" ({predicts!r} is predicted by {taken!r})" if taken else ""))
        self._attach(name, arr, predicts, description)

    def _attach(self, name: str, arr: Array, predicts: str | None,
                description: str | None) -> None:
        self._cols[name] = arr
        if predicts is not None:
            self._predictions[predicts] = name
        if description:
            self._descriptions[name] = description

    def describe_columns(self) -> dict[str, str]:
        """Column name -> what it holds."""
        out = super().describe_columns()
        for measured, pred in self._predictions.items():
            if not out[pred]:
                out[pred] = f"prediction of {measured}"
        return out

    # -- formats --------------------------------------------------------------------------

    def _default_columns(self) -> list[str]:
        cols = ["layer", "shape", "pre_std", "act_mean", "act_std"]
        if any(self._meta.get("bounded", [])):
            cols.append("sat_frac")
        if not all(self._meta.get("bounded", [])):
            cols.append("zero_frac")
        nonfinite = self._cols.get("nonfinite_frac")
        if nonfinite is not None and bool(np.any(nonfinite > 0)):
            cols.append("nonfinite_frac")
        cols += ["dz_var", "dh_in_var", "dw_var", "dw_ratio"]
        return cols

    def _expand(self, columns: Sequence[str] | None, func: str = "",
                predictions: bool = True) -> list[str]:
        names = list(columns) if columns is not None else self._default_columns()
        out: list[str] = []
        for n in names:
            if n != "shape" and n not in self._cols:
                fail("Report.table", "columns", n, "use column names of the report "
                     "(or 'shape')")
            out.append(n)
            if predictions and n in self._predictions and (
                    columns is None or self._predictions[n] not in names):
                out.append(self._predictions[n])
        return out

    def _cell(self, name: str, i: int) -> str:
        if name == "shape":
            return f"{self._cols['fan_in'][i]}x{self._cols['fan_out'][i]}"
        if name in self._predictions.values() and math.isnan(float(self._cols[name][i])):
            return "-"                                  # not predicted
        return super()._cell(name, i)

    def _label(self, name: str) -> str:
        for measured, pred in self._predictions.items():
            if pred == name:
                return f"{LABELS.get(measured, measured)} (pred)"
        return LABELS.get(name, name)

    def _labels(self, names: Sequence[str]) -> list[str]:
        """Column headers; a prediction right after its measurement is just ``(pred)``."""
        return ["(pred)" if i and self._predictions.get(names[i - 1]) == n
                else self._label(n) for i, n in enumerate(names)]

    def table(self, columns: Sequence[str] | None = None,
              layers: Iterable[int] | None = None, *, predictions: bool = True) -> str:
        """The report as an aligned text table, one row per layer.

        Parameters
        ----------
        columns : sequence of str, optional
            Columns to show (``'shape'`` gives ``fan_in x fan_out``). Default: layer, shape,
            pre-activation std, activation mean and std, saturated (bounded activations) or
            zero fraction, the gradient variances and :math:`\\|dW\\|/\\|W\\|`.
        layers : iterable of int, optional
            Layer numbers (from 1) to show; default all.
        predictions : bool, default True
            Follow each shown column by its prediction (headed ``(pred)``; ``-`` where
            nothing is predicted). With False only the listed columns are shown, so a
            prediction can be picked by name (``'act_std_pred'``).

        Returns
        -------
        str

        Examples
        --------
        >>> import numpy as np, initlab
        >>> rep = initlab.MLP([8, 8, 8], init="ones", rng=0).probe(np.ones((4, 8)), grad="sum")
        >>> print(rep.table(["layer", "act_std", "zero_frac"]))
        layer  act std  zero
            1        0     0
            2        0     0
        """
        names = self._expand(columns, predictions=check_bool("Report.table", "predictions",
                                                              predictions))
        return self._text(names, self._rows(layers))

    def __repr__(self) -> str:
        first = self.first_nonfinite_layer
        return (f"<Report: {self.title}; first non-finite layer: "
                f"{'none' if first is None else first}>")

    def to_records(self, *, histograms: bool = False) -> list[dict[str, Any]]:
        """One ``dict`` per layer (ints for counts, floats otherwise), ready for pandas.

        Parameters
        ----------
        histograms : bool, default False
            Also include ``hist_counts`` (a list) for each layer.

        Returns
        -------
        list of dict

        Examples
        --------
        >>> import numpy as np, initlab
        >>> rec = initlab.MLP([8, 8], rng=0).probe(np.ones((4, 8)), rng=0).to_records()
        >>> rec[0]["layer"], "act_std" in rec[0], rec[0]["finite"]
        (1, True, True)
        """
        out = super().to_records()
        finite = self.finite
        for i, row in enumerate(out):
            row["finite"] = bool(finite[i])
            if histograms:
                row["hist_counts"] = self._hist["counts"][i].tolist()
        return out

    def to_dict(self) -> dict[str, Any]:
        """Everything (meta, columns, histograms, predictions), JSON-ready: nan becomes None
        and infinities the strings ``'inf'``/``'-inf'``."""
        return {**self._content(),
                "histograms": {k: jsonable(v) for k, v in self._hist.items()},
                "predictions": dict(self._predictions)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Report:
        """Rebuild a report from :meth:`to_dict`'s output.

        The mean-field :attr:`prediction` is recomputed from ``meta['mean_field']`` when the
        activations are known by name (the predicted columns themselves are read as stored).

        Raises
        ------
        ValueError
            When ``data`` is not a report's dict (the message says which part is missing).
        """
        data = cls._check_dict(data)
        try:
            cols = {str(n): [decode_float(v) for v in vals]
                    for n, vals in data["columns"].items()}
            meta = dict(data["meta"])
            if isinstance(meta.get("upstream_var"), (str, type(None))):
                meta["upstream_var"] = decode_float(meta.get("upstream_var"))
            mf = meta.get("mean_field")
            if isinstance(mf, Mapping):
                meta["mean_field"] = {
                    k: ([decode_float(x) for x in v] if isinstance(v, list)
                        else decode_float(v) if k in _MF_FLOATS else v)
                    for k, v in mf.items()}
            preds = dict(data.get("predictions", {}))
            acts = resolve_activations(meta)
            prediction = predict_columns(meta, acts)[0] if preds else None
            ordered = {n: v for n, v in cols.items() if n not in preds.values()}
            rep = cls(ordered, data["histograms"], meta, prediction=prediction,
                      activations=acts)
            for measured, name in preds.items():
                rep.add_column(name, cols[name], predicts=measured,
                               description=PREDICTED_DESCRIPTIONS.get(name))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"Report.from_dict: data is not a report's dict ({exc}); "
                             f"{cls._expected()}.") from None
        for name, vals in cols.items():
            if name not in rep._cols:
                rep.add_column(name, vals)
        return rep

    def _footer(self) -> str:
        try:
            return "verdict: " + self.verdict().message
        except Exception:  # pragma: no cover - never let a display fail
            return ""

    def verdict(self) -> Verdict:
        """Classify the signal: vanishing, saturating, exploding or healthy.

        See :func:`initlab.engine.verdict` (module :mod:`initlab.engine.verdicts`).
        """
        return judge(self)

    def plot(self, path: str | os.PathLike[str] | None = None, *, ax: Any = None,
             **kwargs: Any) -> Figure:
        """Per-layer histograms and std / gradient variance against depth (matplotlib).

        Parameters
        ----------
        path : str, optional
            Also save the figure there (format from the extension, e.g. ``.png``).
        ax : matplotlib Axes or pair of Axes, optional
            Draw into existing axes instead of a new figure: one Axes gets the activation std
            and the input-gradient variance against depth, a pair gets the two depth panels
            (std; gradient variances). No histograms then. The figure of the axes is returned.
        **kwargs
            Passed to :func:`initlab.plotting.plot_report` (``layers``, ``title``,
            ``figsize``).

        Returns
        -------
        matplotlib.figure.Figure

        Raises
        ------
        ImportError
            Without matplotlib (``pip install "initlab[plot]"``).
        """
        from ..plotting import plot_report

        return plot_report(self, path=path, ax=ax, **kwargs)


# --------------------------------------------------------------------------------------------


class Trials:
    r"""Reports of independent weight draws, with each statistic's mean and interval.

    Created by :meth:`initlab.MLP.trials`.

    Parameters
    ----------
    reports : sequence of Report
        Probes of the same architecture (same depth and columns).
    confidence : float, default 0.95
        Default confidence level of :meth:`interval`.

    Notes
    -----
    For a statistic with values :math:`s_1 \dots s_n` over the finite draws,
    :meth:`interval` is the Student-t interval for the mean across draws,

    .. math:: \bar s \pm t_{n-1,\,(1+c)/2}\,\frac{\mathrm{sd}(s)}{\sqrt n},

    or, with ``log=True``, the same on :math:`\log s` mapped back (a geometric mean; better for
    variances spanning orders of magnitude). Draws where the statistic is not finite are left
    out (:meth:`n_finite`).

    References
    ----------
    .. [1] W. S. Gosset ("Student"), "The probable error of a mean", Biometrika 6, 1908.

    Examples
    --------
    >>> import numpy as np, initlab
    >>> net = initlab.MLP([64, 64, 64], activation="tanh", init="lecun_normal")
    >>> t = net.trials(np.ones((16, 64)), 4, rng=0)
    >>> low, high = t.interval("act_std")
    >>> bool(np.all(low <= t.mean("act_std"))), bool(np.all(t.mean("act_std") <= high))
    (True, True)
    """

    def __init__(self, reports: Sequence[Report], confidence: float = 0.95) -> None:
        func = "Trials"
        reps = list(reports)
        if not reps or not all(isinstance(r, Report) for r in reps):
            fail(func, "reports", reports, "use a non-empty list of Report", TypeError)
        depth = reps[0].depth
        if any(r.depth != depth for r in reps):
            fail(func, "reports", [r.depth for r in reps], "use reports of the same depth")
        self._reports = reps
        self._confidence = check_real(func, "confidence", confidence, low=0.0, high=1.0)

    @property
    def n(self) -> int:
        """Number of draws."""
        return len(self._reports)

    @property
    def depth(self) -> int:
        """Number of layers."""
        return self._reports[0].depth

    @property
    def confidence(self) -> float:
        """Default confidence level of :meth:`interval`."""
        return self._confidence

    @property
    def reports(self) -> list[Report]:
        """The individual reports, in draw order."""
        return list(self._reports)

    @property
    def columns(self) -> tuple[str, ...]:
        """Columns present in every report."""
        first = self._reports[0].columns
        return tuple(c for c in first if all(c in r for r in self._reports))

    @property
    def first_nonfinite_layers(self) -> list[int | None]:
        """Each draw's first non-finite layer."""
        return [r.first_nonfinite_layer for r in self._reports]

    def values(self, name: str) -> Array:
        """The statistic ``name`` of every draw, shape ``(n, depth)``."""
        return np.stack([np.asarray(r[name], dtype=np.float64) for r in self._reports])

    def n_finite(self, name: str) -> Array:
        """Per layer, the number of draws where ``name`` is finite."""
        return np.isfinite(self.values(name)).sum(axis=0)

    def _finite_stats(self, name: str, log: bool) -> tuple[Array, Array, Array]:
        vals = self.values(name)
        with np.errstate(all="ignore"):
            if log:
                vals = np.where(vals > 0, np.log(np.where(vals > 0, vals, 1.0)), np.nan)
            ok = np.isfinite(vals)
            cnt = ok.sum(axis=0)
            safe = np.where(ok, vals, 0.0)
            mean = np.where(cnt > 0, safe.sum(axis=0) / np.maximum(cnt, 1), np.nan)
            dev = np.where(ok, vals - mean, 0.0)
            var = np.where(cnt > 1, (dev * dev).sum(axis=0) / np.maximum(cnt - 1, 1), np.nan)
        return mean, np.sqrt(var), cnt

    def mean(self, name: str, *, log: bool = False) -> Array:
        """Per-layer mean over the finite draws (geometric mean with ``log=True``)."""
        mean, _, _ = self._finite_stats(name, log)
        return np.exp(mean) if log else mean

    def std(self, name: str) -> Array:
        """Per-layer standard deviation across the finite draws (``ddof=1``)."""
        return self._finite_stats(name, False)[1]

    def interval(self, name: str, *, confidence: float | None = None,
                 log: bool = False) -> tuple[Array, Array]:
        """Per-layer confidence interval for the mean of ``name`` across draws.

        Parameters
        ----------
        name : str
            A column.
        confidence : float, optional
            Level in (0, 1); default the one given at construction (0.95).
        log : bool, default False
            Interval for the geometric mean (computed on the log scale).

        Returns
        -------
        (numpy.ndarray, numpy.ndarray)
            Lower and upper bounds (nan with fewer than 2 finite draws).
        """
        from scipy import stats as sps

        level = self._confidence if confidence is None else check_real(
            "Trials.interval", "confidence", confidence, low=0.0, high=1.0)
        mean, sd, cnt = self._finite_stats(name, log)
        with np.errstate(all="ignore"):
            t = np.where(cnt > 1, sps.t.ppf(0.5 + level / 2, np.maximum(cnt - 1, 1)), np.nan)
            half = t * sd / np.sqrt(np.maximum(cnt, 1))
            low, high = mean - half, mean + half
        if log:
            return np.exp(low), np.exp(high)
        return low, high

    def predicted(self, name: str) -> Array | None:
        """Per layer, the mean over the draws of the prediction of the measured column
        ``name`` (each draw's mean-field prediction uses its own weights), or None.

        References
        ----------
        .. [1] S. S. Schoenholz, J. Gilmer, S. Ganguli and J. Sohl-Dickstein, "Deep
           Information Propagation", ICLR 2017, arXiv:1611.01232.

        Examples
        --------
        >>> import numpy as np, initlab
        >>> net = initlab.MLP([64, 64, 64], activation="relu", init="he_normal")
        >>> t = net.trials(np.ones((16, 64)), 4, rng=0)
        >>> t.predicted("pre_std").round(2).tolist(), t.predicted("zero_frac")
        ([1.41, 1.41], None)
        """
        pred = self._reports[0].predictions.get(name)
        if pred is None or not all(pred in r for r in self._reports):
            return None
        return self.mean(pred)

    def table(self, columns: Sequence[str] | None = None,
              layers: Iterable[int] | None = None) -> str:
        """Aligned text: ``mean [low, high]`` per layer for each column, each followed by the
        mean of its mean-field prediction when the reports have one.

        Examples
        --------
        >>> import numpy as np, initlab
        >>> t = initlab.MLP([8, 8], init="ones").trials(np.ones((4, 8)), 3, grad="sum")
        >>> print(t.table(["layer", "fan_in", "act_std"]))
        layer  fan_in  act std (mean [95% CI])
            1       8                 0 [0, 0]

        The layer is always the first column; ``fan_in`` and ``fan_out`` are the same in
        every draw and shown as plain numbers.
        """
        names = list(columns) if columns is not None else ["act_std", "dh_in_var", "dw_var"]
        first = self._reports[0]
        rows_idx = first._rows(layers)
        header = ["layer"]
        cells: list[tuple[str, Array, Array | None, Array | None]] = []
        for n in names:
            if n == "layer":
                continue
            if n in ("fan_in", "fan_out"):
                header.append(LABELS.get(n, n))
                cells.append(("int", np.asarray(first[n]), None, None))
                continue
            header.append(f"{LABELS.get(n, n)} (mean [{self._confidence:.0%} CI])")
            cells.append(("ci", self.mean(n), *self.interval(n)))
            pred = self.predicted(n)
            if pred is not None and n not in first.predictions.values():
                header.append(f"{LABELS.get(n, n)} (pred)")
                cells.append(("pred", pred, None, None))
        rows = []
        for i in rows_idx:
            row = [str(i + 1)]
            for kind, m, lo, hi in cells:
                if kind == "int":
                    row.append(str(int(m[i])))
                elif kind == "pred":
                    row.append("-" if math.isnan(float(m[i])) else cell(float(m[i])))
                else:
                    assert lo is not None and hi is not None
                    row.append(f"{cell(float(m[i]))} [{cell(float(lo[i]))}, "
                               f"{cell(float(hi[i]))}]")
            rows.append(row)
        return align(header, rows)

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per layer: ``<col>_mean``, ``<col>_low``, ``<col>_high`` for each column."""
        out: list[dict[str, Any]] = [{"layer": i + 1} for i in range(self.depth)]
        for name in self.columns:
            if name in ("layer", "fan_in", "fan_out"):
                for i, row in enumerate(out):
                    row[name] = int(self._reports[0][name][i])
                continue
            mean = self.mean(name)
            low, high = self.interval(name)
            for i, row in enumerate(out):
                row[f"{name}_mean"] = float(mean[i])
                row[f"{name}_low"] = float(low[i])
                row[f"{name}_high"] = float(high[i])
        return out

    def to_json(self, *, indent: int | None = None) -> str:
        """Strict JSON: the per-layer summary (``records``), the confidence level and each
        draw's first non-finite layer (nan -> null, infinities -> strings)."""
        data = {"n": self.n, "confidence": self._confidence,
                "first_nonfinite_layers": self.first_nonfinite_layers,
                "meta": jsonable(self._reports[0].meta),
                "records": jsonable(self.to_records())}
        return json.dumps(data, indent=indent, allow_nan=False)

    def __repr__(self) -> str:
        return f"<Trials: {self.n} draws of {self._reports[0].title}>"

    def _repr_html_(self) -> str:
        names = ["act_std", "dh_in_var", "dw_var"]
        stats = {n: (self.mean(n), *self.interval(n)) for n in names}
        rows = [[str(i + 1)] + [f"{cell(float(stats[n][0][i]))} [{cell(float(stats[n][1][i]))}"
                                f", {cell(float(stats[n][2][i]))}]" for n in names]
                for i in range(self.depth)]
        header = ["layer"] + [LABELS.get(n, n) for n in names]
        return html_table(f"{self.n} draws: {self._reports[0].title} (mean "
                           f"[{self._confidence:.0%} CI])", header, rows)

    def plot(self, path: str | None = None, **kwargs: Any) -> Figure:
        """Mean and confidence band of std and gradient variances against depth.

        Raises
        ------
        ImportError
            Without matplotlib (``pip install "initlab[plot]"``).
        """
        from ..plotting import plot_trials

        return plot_trials(self, path=path, **kwargs)
