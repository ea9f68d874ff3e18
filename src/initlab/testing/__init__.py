"""Statistical assertions and Hypothesis strategies for testing weight initializers.

The assertions need only numpy and scipy. Each has a stated false-failure probability ``alpha``
(default ``1e-6``, two-sided) and computes its statistic in float64:

* :func:`assert_mean` -- z-test of the sample mean against a known mean and element std.
* :func:`assert_variance` -- second moment about a known mean: exact chi-square interval for
  normal data, kurtosis-corrected interval otherwise (:func:`kurtosis_sparse`,
  :func:`kurtosis_truncated_normal`, or the names ``"normal"``, ``"uniform"``,
  ``"truncated_normal"``).
* :func:`assert_distribution` -- Kolmogorov-Smirnov test of the shape, exact critical value,
  rounding-aware for float16/float32 data.
* :func:`assert_orthogonal` -- orthonormal rows or columns after the ``"in_out"`` or ``"out_in"``
  flattening, with a per-dtype tolerance.

:mod:`initlab.testing.strategies` holds Hypothesis strategies (shapes, layouts, fan arguments,
initializer configurations, ``rng`` arguments). It needs ``hypothesis``
(``pip install "initlab[test]"``) and is imported on first access of
``initlab.testing.strategies``, so importing this package does not import Hypothesis.

Examples
--------
>>> import numpy as np
>>> import initlab.testing as it
>>> rng = np.random.default_rng(0)
>>> w = rng.standard_normal((256, 512)) * (2 / 256) ** 0.5
>>> it.assert_mean(w, 0.0, (2 / 256) ** 0.5)
>>> it.assert_variance(w, 2 / 256)
>>> it.assert_distribution(w, "norm", scale=(2 / 256) ** 0.5)
"""

from __future__ import annotations

import importlib
from types import ModuleType

from ._stats import assert_distribution as assert_distribution
from ._stats import assert_mean as assert_mean
from ._stats import assert_orthogonal as assert_orthogonal
from ._stats import assert_variance as assert_variance
from ._stats import kurtosis_sparse as kurtosis_sparse
from ._stats import kurtosis_truncated_normal as kurtosis_truncated_normal

__all__ = [
    "assert_distribution",
    "assert_mean",
    "assert_orthogonal",
    "assert_variance",
    "kurtosis_sparse",
    "kurtosis_truncated_normal",
]


def __getattr__(name: str) -> ModuleType:
    """Import :mod:`initlab.testing.strategies` (and so Hypothesis) on first access."""
    if name == "strategies":
        return importlib.import_module(f"{__name__}.strategies")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), "strategies"])
