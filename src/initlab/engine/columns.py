"""The columns of a probe's :class:`~initlab.engine.Report`: one table, read by the recorder
that fills them, the report that formats them and the prediction that is attached to them.

Adding a column means one entry in :data:`COLUMNS`, :data:`DESCRIPTIONS` and :data:`LABELS`
(and in :data:`PREDICTED` if the mean field predicts it), then the line of
``initlab.engine._recorders.Recorder`` that measures it (``docs/architecture.md``).
"""

from __future__ import annotations

__all__ = ["COLUMNS", "DESCRIPTIONS", "INT_COLUMNS", "LABELS", "PREDICTED",
           "PREDICTED_DESCRIPTIONS", "SATURATION_MARGIN"]

#: The measured columns of a :class:`Report`, in order (``db_var`` only with biases).
COLUMNS: tuple[str, ...] = (
    "layer", "fan_in", "fan_out", "w_std",
    "pre_mean", "pre_std",
    "act_mean", "act_std", "act_min", "act_max",
    "sat_frac", "zero_frac", "dead_units", "nonfinite_frac",
    "dz_var", "dh_in_var", "dw_var", "dw_ratio",
)

#: ``sat_frac`` counts the activations within this fraction of the half-range of a bound
#: (:func:`initlab.stats.describe` uses the same band by default).
SATURATION_MARGIN = 0.01

#: What each measured column holds.
DESCRIPTIONS: dict[str, str] = {
    "layer": "layer number l, from 1",
    "fan_in": "fan-in of W^l (rows)",
    "fan_out": "fan-out of W^l (columns)",
    "w_std": "std of the weights W^l",
    "pre_mean": "mean of the pre-activation u^l (the activation's input, after batch norm)",
    "pre_std": "std of the pre-activation u^l",
    "act_mean": "mean of the activation h^l",
    "act_std": "std of the activation h^l",
    "act_min": "smallest activation",
    "act_max": "largest activation",
    "sat_frac": "fraction of activations within 1% of the half-range of a bound "
                "(bounded activations; nan otherwise)",
    "zero_frac": "fraction of activations exactly zero",
    "dead_units": "units that are zero for the whole batch",
    "nonfinite_frac": "fraction of activations that are inf or nan",
    "dz_var": "Var dL/dz^l, z^l = h^{l-1} W^l + b^l (the batch-norm input)",
    "dh_in_var": "Var dL/dh^{l-1}, the state gradient at the layer's input",
    "dw_var": "Var dL/dW^l (summed over the batch)",
    "dw_ratio": "||dL/dW^l||_F / ||W^l||_F",
    "db_var": "Var dL/db^l",
}

#: Measured column -> the column of a probe's report that holds its mean-field prediction.
PREDICTED: dict[str, str] = {
    "pre_std": "pre_std_pred",
    "act_mean": "act_mean_pred",
    "act_std": "act_std_pred",
    "dz_var": "dz_var_pred",
    "dh_in_var": "dh_in_var_pred",
    "dw_var": "dw_var_pred",
}

#: What each predicted column holds.
PREDICTED_DESCRIPTIONS: dict[str, str] = {
    "pre_std_pred": "mean-field std of u^l: sqrt(Var z^l) (1 after batch norm)",
    "act_mean_pred": "mean-field mean of h^l = phi(u^l)",
    "act_std_pred": "mean-field std of h^l",
    "dz_var_pred": "mean-field Var dL/dz^l (nan: not predicted)",
    "dh_in_var_pred": "mean-field Var dL/dh^{l-1} (nan: not predicted)",
    "dw_var_pred": "mean-field Var dL/dW^l, summed over the batch (nan: not predicted)",
}

#: The integer columns (the others are float64).
INT_COLUMNS: tuple[str, ...] = ("layer", "fan_in", "fan_out", "dead_units")

#: Table headers of the columns (the name itself when absent).
LABELS: dict[str, str] = {
    "layer": "layer", "shape": "fan_in x out", "w_std": "W std",
    "pre_mean": "pre mean", "pre_std": "pre std", "act_mean": "act mean",
    "act_std": "act std", "act_min": "act min", "act_max": "act max",
    "sat_frac": "saturated", "zero_frac": "zero", "dead_units": "dead",
    "nonfinite_frac": "non-finite", "dz_var": "Var dL/dz", "dh_in_var": "Var dL/dh_in",
    "dw_var": "Var dL/dW", "dw_ratio": "|dW|/|W|", "db_var": "Var dL/db",
}
