"""What the passes of :class:`initlab.MLP` do with each array (internal): :class:`Recorder`
accumulates the per-layer statistics of one probe and builds its report, :class:`Keep` copies
every gradient for :meth:`initlab.MLP.backward`."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from .._moments import dyadic_params, exact_moments, fast_moments, hist_counts, saturated
from .._workspace import Workspace
from ._predict import predict_columns
from .columns import COLUMNS, PREDICTED, PREDICTED_DESCRIPTIONS, SATURATION_MARGIN
from .report import Report

if TYPE_CHECKING:  # pragma: no cover
    from .mlp import MLP

Array = NDArray[Any]


class Keep:
    """Copies every gradient (for :meth:`MLP.backward`)."""

    def __init__(self, depth: int, batch_norm: bool) -> None:
        self.batch_norm = batch_norm
        self.dw: list[Array] = [np.empty(0)] * depth
        self.db: list[Array] = [np.empty(0)] * depth
        self.dz: list[Array] = [np.empty(0)] * depth
        self.du: list[Array] = [np.empty(0)] * depth
        self.dh_out: list[Array] = [np.empty(0)] * depth  # dh_out[l] = dL/dh^l, l = 1..L-1

    def du_(self, k: int, du: Array) -> None:
        self.du[k] = du.copy()

    def dz_(self, k: int, dz: Array) -> None:
        self.dz[k] = copy = dz.copy()
        if not self.batch_norm:
            self.du[k] = copy

    def dw_(self, k: int, dw: Array, w: Array) -> None:
        self.dw[k] = dw.copy()

    def db_(self, k: int, db: Array) -> None:
        self.db[k] = db

    def dh_(self, k: int, dh: Array) -> None:
        if k:
            self.dh_out[k] = dh.copy()


class Recorder:
    """Accumulates the per-layer statistics of one probe."""

    def __init__(self, net: MLP, batch: int, edges: Array, ws: Workspace) -> None:
        depth = net.depth
        self.batch = batch
        self.ws = ws
        self.edges = edges
        self.params = dyadic_params(edges)
        self.cols: dict[str, Array] = {name: np.full(depth, np.nan) for name in COLUMNS}
        self.cols["dead_units"] = np.zeros(depth, dtype=np.int64)
        if net.bias:
            self.cols["db_var"] = np.full(depth, np.nan)
        self.finite = np.ones(depth, dtype=bool)
        self.grad_finite = np.ones(depth, dtype=bool)
        self.counts = np.zeros((depth, edges.size - 1), dtype=np.int64)
        self.below = np.zeros(depth, dtype=np.int64)
        self.above = np.zeros(depth, dtype=np.int64)
        self.bounds = [a.bounds for a in net.activations]
        self.upstream_var = math.nan
        w_norms = []
        sigma_w = []
        self.biased_weights: tuple[int, float, float] | None = None
        with np.errstate(all="ignore"):
            for k, w in enumerate(net.weights):
                mean, std, _ = moments(w, ws)
                self.cols["w_std"][k] = std
                rms = math.hypot(mean, std)
                w_norms.append(math.sqrt(w.size) * rms)
                sigma_w.append(math.sqrt(w.shape[0]) * rms)   # sqrt(fan_in * mean(W^2))
                # zero-mean weights have |mean| ~ rms / sqrt(size); 6 sd is not zero-mean
                if self.biased_weights is None and abs(mean) > 6 * rms / math.sqrt(w.size):
                    self.biased_weights = (k + 1, mean, rms)
        self.w_norms = w_norms
        self.sigma_w = sigma_w
        self.bias_mean = [0.0] * depth
        self.bias_var = [0.0] * depth
        if net.biases is not None:
            for k, b in enumerate(net.biases):
                b64 = b.astype(np.float64)
                self.bias_mean[k] = m = float(b64.mean())
                self.bias_var[k] = float(np.dot(b64, b64)) / b64.size - m * m
        self.x_second_moment = math.nan
        self.upstream_second_moment = math.nan

    # forward
    def pre(self, k: int, u: Array) -> None:
        mean, std, finite = moments(u, self.ws)
        self.cols["pre_mean"][k] = mean
        self.cols["pre_std"][k] = std
        if not finite:
            self.finite[k] = False

    def act(self, k: int, h: Array) -> None:
        cols, ws = self.cols, self.ws
        mean, std, finite = moments(h, ws)
        cols["act_mean"][k] = mean
        cols["act_std"][k] = std
        flat = h.reshape(-1)
        n = flat.size
        cols["act_min"][k] = float(np.min(flat))
        cols["act_max"][k] = float(np.max(flat))
        mask = ws.buffer("mask", n, bool).reshape(h.shape)
        np.equal(h, 0, out=mask)
        zeros = int(np.count_nonzero(mask))
        cols["zero_frac"][k] = zeros / n
        if zeros >= h.shape[0]:
            cols["dead_units"][k] = int(np.count_nonzero(np.logical_and.reduce(mask, axis=0)))
        lo, hi = self.bounds[k]
        if math.isfinite(lo) and math.isfinite(hi):
            cols["sat_frac"][k] = saturated(h, lo, hi, SATURATION_MARGIN, mask) / n
        if finite:
            cols["nonfinite_frac"][k] = 0.0
        else:
            self.finite[k] = False
            cols["nonfinite_frac"][k] = 1.0 - np.count_nonzero(np.isfinite(flat)) / n
        counts, below, above, _ = hist_counts(flat, self.edges, ws, finite=finite,
                                                      params=self.params)
        self.counts[k] = counts
        self.below[k] = below
        self.above[k] = above

    def input(self, x: Array) -> None:
        with np.errstate(all="ignore"):
            mean, std, _ = moments(x, self.ws)
            self.x_second_moment = mean * mean + std * std

    # backward
    def upstream(self, g: Array) -> None:
        with np.errstate(all="ignore"):
            mean, std, _ = moments(g, self.ws)
            self.upstream_var = std * std
            self.upstream_second_moment = mean * mean + std * std

    def du_(self, k: int, du: Array) -> None:
        pass

    def dz_(self, k: int, dz: Array) -> None:
        _, std, finite = moments(dz, self.ws)
        self.cols["dz_var"][k] = std * std
        if not finite:
            self.grad_finite[k] = False

    def dw_(self, k: int, dw: Array, w: Array) -> None:
        mean, std, _ = moments(dw, self.ws)
        self.cols["dw_var"][k] = std * std
        norm = math.sqrt(dw.size) * math.hypot(mean, std)
        self.cols["dw_ratio"][k] = norm / self.w_norms[k] if self.w_norms[k] else math.inf

    def db_(self, k: int, db: Array) -> None:
        _, std, _ = moments(db.reshape(1, -1), self.ws)
        self.cols["db_var"][k] = std * std

    def dh_(self, k: int, dh: Array) -> None:
        _, std, finite = moments(dh, self.ws)
        self.cols["dh_in_var"][k] = std * std
        if not finite:
            self.grad_finite[k] = False

    def report(self, net: MLP, grad: str) -> Report:
        cols = self.cols
        depth = net.depth
        cols["layer"] = np.arange(1, depth + 1, dtype=np.int64)
        cols["fan_in"] = np.array(net.widths[:-1], dtype=np.int64)
        cols["fan_out"] = np.array(net.widths[1:], dtype=np.int64)
        bad = np.flatnonzero(~self.finite)
        first = int(bad[0]) + 1 if bad.size else None
        bad_g = np.flatnonzero(~self.grad_finite)
        first_g = int(bad_g[-1]) + 1 if bad_g.size else None
        meta: dict[str, Any] = {
            "widths": list(net.widths),
            "activations": [a.spec for a in net.activations],
            "bounded": [a.bounded for a in net.activations],
            "init": [describe_init(i) for i in net.initializers],
            "bias": net.bias,
            "batch_norm": net.batch_norm,
            "dtype": net.dtype.name,
            "batch": self.batch,
            "grad": grad,
            "upstream_var": self.upstream_var,
            "first_nonfinite_layer": first,
            "first_nonfinite_grad_layer": first_g,
            "mean_field": self.mean_field(net, grad),
        }
        hist = {"edges": self.edges, "counts": self.counts, "below": self.below,
                "above": self.above}
        columns = {k: cols[k] for k in ordered(cols)}
        prediction, predicted, failed = predict_columns(meta, net.activations)
        if failed:
            meta["mean_field"] = {**meta["mean_field"], "note": failed}
        links = {measured: name for measured, name in PREDICTED.items() if name in predicted}
        columns.update({name: predicted[name] for name in links.values()})
        return Report(columns, hist, meta, links,
                      descriptions={n: PREDICTED_DESCRIPTIONS[n] for n in links.values()},
                      prediction=prediction, activations=net.activations)

    def mean_field(self, net: MLP, grad: str) -> dict[str, Any]:
        """The inputs of the report's mean-field prediction (what this probe saw)."""
        if self.biased_weights is not None:
            k, mean, rms = self.biased_weights
            note = (f"not predicted: the weights of layer {k} do not have zero mean (mean "
                    f"{mean:.3g}, root mean square {rms:.3g}); mean-field theory needs "
                    "independent zero-mean weights")
        elif net.batch_norm:
            note = ("gradients not predicted: batch norm couples the examples of a batch "
                    "(Yang et al. 2019)")
        elif grad in ("sum", "mse"):
            note = (f"gradients not predicted for grad={grad!r}: the upstream gradient is not "
                    "zero-mean noise independent of the forward pass")
        else:
            note = ""
        return {"x_second_moment": self.x_second_moment,
                "upstream_second_moment": self.upstream_second_moment,
                "sigma_w": list(self.sigma_w), "bias_mean": list(self.bias_mean),
                "bias_var": list(self.bias_var), "predicted": self.biased_weights is None,
                "gradients": not note, "note": note}


def ordered(cols: dict[str, Array]) -> list[str]:
    head = ["layer", "fan_in", "fan_out"]
    return head + [c for c in COLUMNS if c in cols and c not in head] + [
        c for c in cols if c not in COLUMNS and c not in head]


def moments(a: Array, ws: Workspace) -> tuple[float, float, bool]:
    """``(mean, std, finite)``; for an array holding inf/nan, the moments of its finite part."""
    mean, std, finite = fast_moments(a, ws)
    if not finite:
        flat = a.reshape(-1)
        ok = flat[np.isfinite(flat)]
        mean, std, _ = exact_moments(ok) if ok.size else (math.nan, math.nan, False)
    return mean, std, finite


def describe_init(init: Any) -> str:
    text = repr(init)
    if text.startswith("<function"):
        return getattr(init, "__name__", "callable")
    return text
