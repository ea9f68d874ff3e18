r"""The verdict on a report: is the signal vanishing, saturating, exploding or healthy?

:func:`verdict` reads the measured columns of a :class:`~initlab.engine.Report` (and its
mean-field prediction, when it has one) and names the first layer where the signal goes wrong,
with the figures behind the call. It reads the report through its public attributes only, so
any object with the same interface (a report of another probe) can be judged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .._format import number
from .._validate import check_real, fail
from ..theory import chi1, fixed_point

if TYPE_CHECKING:  # pragma: no cover
    from .report import Report

__all__ = ["Verdict", "verdict"]



@dataclass(frozen=True)
class Verdict:
    r"""What a report says about the signal, with the layer where it happens.

    Attributes
    ----------
    kind : {'vanishing', 'saturating', 'exploding', 'healthy'}
    layer : int or None
        The layer where it happens (from 1): the first non-finite layer, the first saturated
        layer, the first layer whose activation std is 10x off layer 1's, or for gradients the
        highest layer whose input-gradient std is 10x off the upstream gradient's.
    message : str
        One line, starting with ``kind``, with the measured figures behind it.
    details : dict
        The figures: ``std_ratio`` and ``std_rate`` (last over first activation std, and its
        per-layer geometric rate), ``grad_ratio`` and ``grad_rate`` (std of the input gradient
        over the upstream gradient's, per layer), ``max_saturation``; and, from the report's
        mean-field prediction when it has one, ``pred_std_rate`` and ``pred_grad_ratio`` (the
        same figures predicted), ``chi1`` and ``q_star`` (at the root-mean-square weight scale
        ``sigma_w`` and bias ``sigma_b`` of the network, by :mod:`initlab.theory`).

    References
    ----------
    .. [1] S. Hochreiter, "Untersuchungen zu dynamischen neuronalen Netzen", diploma thesis,
       TU Munich, 1991 (vanishing gradients).

    Examples
    --------
    >>> from initlab.engine import EXPERIMENTS, verdict
    >>> v = verdict(EXPERIMENTS["E7a"].run(seed=0))
    >>> v.kind, v.layer
    ('exploding', 32)
    """

    kind: str
    layer: int | None
    message: str
    details: dict[str, float] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message


def _g(v: float) -> str:
    """3 significant digits, 2 outside [1e-3, 1e4)."""
    return number(v, 3, outside=2)


def _rate(ratio: float, steps: int) -> float:
    if steps <= 0 or not ratio > 0 or not math.isfinite(ratio):
        return 0.0 if ratio == 0 else (math.inf if ratio == math.inf else 1.0)
    return float(ratio ** (1.0 / steps))


def _classify(ratio: float, rate: float, big: float, strong: float, step: float) -> str:
    """'vanishing', 'exploding' or '' for an end-to-end std ratio and its per-layer rate."""
    if ratio < 1 / strong or (ratio < 1 / big and rate < step):
        return "vanishing"
    if ratio > strong or (ratio > big and rate > 1 / step):
        return "exploding"
    return ""


def verdict(
    report: Report,
    *,
    ratio: float = 10.0,
    strong: float = 100.0,
    rate: float = 0.9,
    saturated: float = 0.5,
) -> Verdict:
    r"""Classify a report as vanishing, saturating, exploding or healthy.

    Parameters
    ----------
    report : Report
        A probe's report.
    ratio, strong : float, default 10, 100
        End-to-end change (in standard deviation) that counts as vanishing or exploding when
        it happens at a per-layer ``rate`` (``ratio``), or at any rate (``strong``).
    rate : float, default 0.9
        Per-layer geometric rate of the std below which (or above whose inverse) a ``ratio``
        change counts: an exponential trend, not a slow drift over many layers.
    saturated : float, default 0.5
        Fraction of a bounded activation's units in its 1 % saturation band that makes a
        layer saturated.

    Returns
    -------
    Verdict

    Notes
    -----
    With :math:`s_l` the activation std of layer :math:`l` (of :math:`L`),
    :math:`R = s_L / s_1` and :math:`r = R^{1/(L-1)}`, the forward signal vanishes when

    .. math:: R < 1/\text{strong} \quad\text{or}\quad (R < 1/\text{ratio}
              \text{ and } r < \text{rate}),

    and explodes symmetrically. For the gradients the same test is applied to
    :math:`R_g = \sqrt{\operatorname{Var}(\partial L/\partial x) /
    \operatorname{Var}(\partial L/\partial h^L)}` over :math:`L` layers. The first rule that
    holds wins: a non-finite layer (exploding), a saturated layer, the forward trend, the
    backward trend; otherwise the signal is healthy.

    When the report carries a mean-field prediction (every probe's report does), the message
    cites it beside the measurement: the predicted per-layer rate of the activation std, and a
    clause ``mean field: chi1 = ... at q* = ... (phase): gradients grow x... over L layers
    (predicted), measured x...``. :math:`\chi_1` and :math:`q^*` come from
    :func:`initlab.theory.chi1` and :func:`initlab.theory.fixed_point` at the network's
    root-mean-square realized weight scale :math:`\sigma_w = (\overline{n_{l-1} W_l^2})^{1/2}`
    and bias, when all layers share one activation; the phase is called critical when
    :math:`|\chi_1 - 1| < 0.01`, and a critical network whose :math:`q^*` is 0 (tanh at
    :math:`\sigma_w = 1`) has a signal that decays algebraically. The gradient figures are the
    predicted and measured :math:`\operatorname{Var}(\partial L/\partial x)` over the
    upstream gradient's. With batch norm the clause says that the gradients are not predicted.

    With the defaults, tanh with :math:`\mathcal{N}(0, 0.01^2)` vanishes (E1),
    :math:`\mathcal{N}(0,1)` saturates (E2), Xavier is healthy (E3, and E7d although it drifts
    down algebraically over 100 layers), relu with Xavier vanishes (E4) and with He is healthy
    (E5).

    References
    ----------
    .. [1] X. Glorot and Y. Bengio, "Understanding the difficulty of training deep feedforward
       neural networks", AISTATS 2010.
    .. [2] S. S. Schoenholz, J. Gilmer, S. Ganguli and J. Sohl-Dickstein, "Deep Information
       Propagation", ICLR 2017, arXiv:1611.01232.

    Examples
    --------
    >>> import numpy as np, initlab
    >>> net = initlab.MLP([64] * 11, activation="tanh", init="normal", rng=0)
    >>> v = initlab.engine.verdict(net.probe(np.ones((32, 64), dtype=np.float32), rng=0))
    >>> v.kind, v.layer
    ('saturating', 1)
    """
    func = "verdict"
    if not all(hasattr(report, a) for a in ("depth", "meta", "predictions", "activations",
                                             "first_nonfinite_layer", "__getitem__")):
        fail(func, "report", report, "use a Report (from MLP.probe)", TypeError)
    big = check_real(func, "ratio", ratio, low=1.0, high=math.inf)
    strong_ = check_real(func, "strong", strong, low=1.0, high=math.inf)
    step = check_real(func, "rate", rate, low=0.0, high=1.0)
    sat_level = check_real(func, "saturated", saturated, low=0.0, high=1.0)
    depth = report.depth
    std = np.asarray(report["act_std"], dtype=np.float64)
    layers = np.arange(1, depth + 1)
    first_bad = report.first_nonfinite_layer
    last_ok = (first_bad - 1) if first_bad is not None else depth
    details: dict[str, float] = {}

    # forward trend over the finite layers
    s1 = float(std[0])
    s_last = float(std[last_ok - 1]) if last_ok >= 1 else math.nan
    with np.errstate(all="ignore"):
        f_ratio = s_last / s1 if s1 > 0 else (1.0 if s_last == 0 else math.inf)
    f_rate = _rate(f_ratio, last_ok - 1)
    details["std_ratio"], details["std_rate"] = f_ratio, f_rate
    mf = _MeanFieldNote(report, last_ok)
    details.update(mf.details)
    predicted_rate = f", predicted x{_g(mf.std_rate)}" if mf.std_rate is not None else ""
    trend = (f"activation std {_g(s1)} at layer 1, {_g(s_last)} at layer {last_ok}"
             f" (x{_g(f_rate)} per layer{predicted_rate})")

    # backward trend
    up = float(report.meta.get("upstream_var", math.nan))
    g_in = float(report["dh_in_var"][0])
    with np.errstate(all="ignore"):
        g_ratio = math.sqrt(g_in / up) if up > 0 and g_in >= 0 else math.nan
    g_rate = _rate(g_ratio, depth)
    details["grad_ratio"], details["grad_rate"] = g_ratio, g_rate
    g_kind = _classify(g_ratio, g_rate, big, strong_, step) if math.isfinite(g_ratio) else (
        "exploding" if g_ratio == math.inf or math.isnan(g_ratio) else "")
    g_var = g_in / up if math.isfinite(up) and up > 0 else math.nan  # Var dL/dx / Var G
    grad_note = {
        "vanishing": f"gradients vanish toward the input (Var dL/dx = {_g(g_var)} x upstream)",
        "exploding": f"gradients explode toward the input (Var dL/dx = {_g(g_var)} x upstream)",
        "": f"Var dL/dx = {_g(g_var)} x upstream",
    }[g_kind] if math.isfinite(up) and up > 0 else ""

    # saturation
    sat = np.asarray(report["sat_frac"], dtype=np.float64)
    bounded = np.isfinite(sat)
    max_sat = float(np.max(sat[bounded])) if bounded.any() else math.nan
    details["max_saturation"] = max_sat
    sat_layers = layers[bounded & (sat > sat_level)]

    def grad_layer() -> int | None:
        var = np.asarray(report["dh_in_var"], dtype=np.float64)
        with np.errstate(all="ignore"):
            rel = np.sqrt(var / up)
        off = (rel < 1 / big) if g_kind == "vanishing" else (rel > big) | ~np.isfinite(rel)
        hits = layers[off]
        return int(hits.max()) if hits.size else None

    def join(*parts: str) -> str:
        return "; ".join(p for p in parts if p)

    theory_note = mf.message(g_var)
    if first_bad is not None:
        paren = f" (predicted x{_g(mf.std_rate)})" if mf.std_rate is not None else ""
        before = (f"activation std x{_g(f_rate)} per layer before it{paren}, "
                  f"{_g(s_last)} at layer {last_ok}" if last_ok >= 2 else "")
        msg = join(f"exploding: inf/nan from layer {first_bad}", before, theory_note)
        return Verdict("exploding", first_bad, msg, details)
    if sat_layers.size:
        k = int(sat_layers[0])
        lo = float(np.min(sat[sat_layers - 1]))
        msg = join(f"saturating: {lo:.0%}-{max_sat:.0%} of units within 1% of a bound from "
                   f"layer {k}", grad_note, theory_note)
        return Verdict("saturating", k, msg, details)
    f_kind = _classify(f_ratio, f_rate, big, strong_, step) if s1 > 0 else "vanishing"
    if f_kind:
        if s1 > 0:
            vanish = f_kind == "vanishing"
            off = (std / s1 < 1 / big) if vanish else (std / s1 > big)
            hits = layers[off]
            k = int(hits[0]) if hits.size else depth
            where = (f"{'below' if vanish else 'above'} {1 / big if vanish else big:g} x "
                     f"layer 1 from layer {k}") if hits.size else ""
        else:
            k, where = 1, "every activation is zero"
        return Verdict(f_kind, k, join(f"{f_kind}: {trend}", where, grad_note, theory_note),
                       details)
    if g_kind:
        k_g = grad_layer()
        where = (f"the input-gradient std is {'below' if g_kind == 'vanishing' else 'above'} "
                 f"{1 / big if g_kind == 'vanishing' else big:g} x the upstream's from layer "
                 f"{k_g} down") if k_g is not None else ""
        return Verdict(g_kind, k_g, join(f"{g_kind}: {grad_note}", where, trend, theory_note),
                       details)
    sat_note = (f"max saturation {max_sat:.1%}" if bounded.any() and max_sat > 0 else "")
    return Verdict("healthy", None, join(f"healthy: {trend}", grad_note, sat_note,
                                         theory_note), details)


_CRITICAL_BAND = 0.01  # |chi1 - 1| below this is called critical in a verdict


class _MeanFieldNote:
    """What a report's mean-field prediction says, for the verdict (from ``initlab.theory``)."""

    def __init__(self, report: Report, last_ok: int) -> None:
        self.report = report
        self.details: dict[str, float] = {}
        self.std_rate: float | None = None
        preds = report.predictions
        meta = report.meta
        mf = meta.get("mean_field")
        self.mf: dict[str, Any] = dict(mf) if isinstance(mf, dict) else {}
        self.depth = report.depth
        if "act_std" in preds and last_ok >= 2:
            p = np.asarray(report[preds["act_std"]], dtype=np.float64)
            p1, pl = float(p[0]), float(p[last_ok - 1])
            if p1 > 0 and math.isfinite(p1) and math.isfinite(pl):
                self.std_rate = _rate(pl / p1, last_ok - 1)
                self.details["pred_std_rate"] = self.std_rate
        self.grad_ratio = math.nan  # predicted Var dL/dx over the upstream's second moment
        g2 = float(self.mf.get("upstream_second_moment", math.nan))
        if "dh_in_var" in preds and g2 > 0:
            self.grad_ratio = float(report[preds["dh_in_var"]][0]) / g2
            if math.isfinite(self.grad_ratio):
                self.details["pred_grad_ratio"] = math.sqrt(self.grad_ratio)
        self.chi1, self.q_star, self.q1, self.phase = math.nan, math.nan, math.nan, ""
        if self.mf.get("predicted", False) and not meta.get("batch_norm"):
            self._fixed_point(meta)

    def _fixed_point(self, meta: dict[str, Any]) -> None:
        """chi1 and q* at the network's root-mean-square weight scale and bias."""
        acts = self.report.activations
        if acts is None or len({a.spec for a in acts}) != 1:
            return
        mf = self.mf
        sw2 = np.square(np.asarray(mf["sigma_w"], dtype=np.float64))
        b2 = (np.square(np.asarray(mf["bias_mean"], dtype=np.float64))
              + np.asarray(mf["bias_var"], dtype=np.float64))
        sw, sb = math.sqrt(float(sw2.mean())), math.sqrt(float(b2.mean()))
        q1 = float(sw2[0] * float(mf["x_second_moment"]) + b2[0])
        q0 = q1 if math.isfinite(q1) and q1 > 0 else 1.0
        try:
            qs = fixed_point(acts[0], sw, sb, q0=q0)
            chi_q0 = chi1(acts[0], sw, sb, q=q0)
            chi = chi1(acts[0], sw, sb, q=qs) if math.isfinite(qs) else chi_q0
        except (ArithmeticError, TypeError, ValueError):
            return
        self.q_star, self.chi1, self.q1 = qs, chi, q0
        self.details["q_star"], self.details["chi1"] = qs, chi
        self.details["sigma_w"], self.details["sigma_b"] = sw, sb
        if abs(chi - 1) < _CRITICAL_BAND:
            # marginal maps (relu, linear at their gain) have q* = 0 or inf by a hair
            self.phase = "critical"
        elif not math.isfinite(qs):
            self.phase = "divergent"
        else:
            self.phase = "ordered" if chi < 1 else "chaotic"

    def _signal_dies(self) -> bool:
        """q* is (close to) 0 and the predicted signal does shrink towards it."""
        preds = self.report.predictions
        if not self.q_star < 0.05 * self.q1 or "pre_std" not in preds:
            return False
        p = np.asarray(self.report[preds["pre_std"]], dtype=np.float64)
        return bool(p[-1] ** 2 < 0.5 * p[0] ** 2)

    def message(self, measured_grad_ratio: float) -> str:
        """One clause: chi1 and the phase, and the predicted against the measured gradients."""
        preds = self.report.predictions
        if not preds:
            return ""
        if self.report.meta.get("batch_norm"):
            p = np.asarray(self.report[preds["act_std"]], dtype=np.float64)
            p = p[np.isfinite(p)]
            std = f" (act std {_g(float(p.mean()))})" if p.size else ""
            return (f"mean field: predicts the forward pass after batch norm{std}, not the "
                    f"gradients (batch norm couples the examples of a batch)")
        head, tail = "", ""
        if self.phase == "divergent":
            head = f"chi1 = {_g3(self.chi1)} (q* = inf: the signal grows without bound)"
        elif self.phase:
            dies = self._signal_dies()
            qs = "0" if self.q_star <= 1e-2 * self.q1 else _g(self.q_star)
            # a marginal map (relu, linear at their gain) has q* = 0 or inf by a hair: no q*
            marginal = self.phase == "critical" and not dies and qs in ("0", "inf")
            at = "" if marginal else f" at q* = {qs}"
            head = f"chi1 = {_g3(self.chi1)}{at} ({self.phase})"
            if self.phase == "critical" and dies:
                tail = "; the signal decays algebraically, not exponentially"
        if math.isfinite(self.grad_ratio):
            verb = "grow" if self.grad_ratio >= 1 else "shrink"
            measured = (f"x{_g(measured_grad_ratio)}" if math.isfinite(measured_grad_ratio)
                        else "inf/nan")
            grads = (f"gradients {verb} x{_g(self.grad_ratio)} over {self.depth} layers "
                     f"(predicted), measured {measured}")
        else:
            grads = str(self.mf.get("note", "")).split(":")[0]
        text = ": ".join(p for p in (head, grads) if p) + tail
        return f"mean field: {text}" if text else ""


def _g3(v: float) -> str:
    """Three significant digits, trailing zeros kept (chi1 = 1.00)."""
    return number(v, 3, small=0.0, large=math.inf, trailing_zeros=True)
