"""The mean-field prediction of a probe's measurements (internal): from what the probe saw
(``meta['mean_field']``) and the layers' activations, :func:`initlab.theory.propagate` gives
the :class:`~initlab.theory.Prediction` and the predicted columns of the report."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..activations import Activation, activation
from ..theory import Prediction, propagate
from .columns import PREDICTED

Array = NDArray[Any]


def resolve_activations(meta: Mapping[str, Any]) -> tuple[Activation, ...] | None:
    """The layers' activations from their specs in ``meta['activations']`` (a report read from
    JSON), or None when one of them cannot be resolved (a custom function)."""
    try:
        return tuple(activation(spec) for spec in meta.get("activations", []))
    except (TypeError, ValueError):
        return None


def predict_columns(meta: Mapping[str, Any], activations: Sequence[Activation] | None
            ) -> tuple[Prediction | None, dict[str, Array], str]:
    """``(prediction, columns, note)``: the prediction (None when there is none), the
    predicted columns keyed by their names (:data:`~initlab.engine.columns.PREDICTED`
    order), and the reason when the quadratures failed (else ``""``)."""
    mf = meta.get("mean_field")
    if not isinstance(mf, Mapping) or not mf.get("predicted", True) or activations is None:
        return None, {}, ""
    try:
        widths = tuple(int(w) for w in meta["widths"])
        sw2 = [float(v) ** 2 for v in mf["sigma_w"]]
        biases = [(float(a), float(b)) for a, b in
                  zip(mf["bias_mean"], mf["bias_var"], strict=True)]
        grad = float(mf["upstream_second_moment"]) if mf.get("gradients") else math.nan
        with np.errstate(all="ignore"):
            pred = propagate(
                widths, list(activations), sw2, biases, batch_norm=bool(meta.get("batch_norm")),
                x_second_moment=float(mf["x_second_moment"]), grad_second_moment=grad,
                batch=int(meta["batch"]))
    except (ArithmeticError, KeyError, NotImplementedError, TypeError, ValueError) as exc:
        return None, {}, f"not predicted: {exc}"
    depth = len(widths) - 1
    with np.errstate(all="ignore"):
        mu = np.asarray(mf["bias_mean"], dtype=np.float64)
        pre = (np.ones(depth) if pred.batch_norm
               else np.sqrt(np.maximum(pred.q - mu * mu, 0.0)))
        dh_in = np.concatenate([[pred.dx], pred.dh[:-1]])
        # E phi of an odd phi under a centred Gaussian is 0: drop the quadrature's 1e-17
        h_mean = np.where(np.abs(pred.h_mean) <= 1e-13 * np.sqrt(pred.h_second_moment),
                          0.0, pred.h_mean)
    values = {"pre_std": pre, "act_mean": h_mean, "act_std": pred.h_std,
              "dz_var": pred.dz, "dh_in_var": dh_in, "dw_var": pred.dw}
    return pred, {name: values[measured] for measured, name in PREDICTED.items()}, ""
