"""The signal lab: a reference MLP that measures every layer, its reports, and the demo.

* :class:`MLP` -- a dense network with exact forward/backward passes (optionally batch norm)
  initialised by initlab's initializers; :meth:`MLP.probe` measures every layer and
  :meth:`MLP.trials` repeats that over independent weight draws.
* :class:`Report`, :class:`LayerStats`, :class:`Trials` -- the measurements, beside their
  mean-field predictions (:data:`PREDICTED`), as text tables, records, JSON, HTML and
  matplotlib figures.
* :mod:`initlab.engine.experiments` -- the classic initialization experiments behind
  ``initlab demo`` and the verdict (vanishing, saturating, exploding, healthy).
"""

from __future__ import annotations

from .experiments import EXPERIMENTS as EXPERIMENTS
from .experiments import Experiment as Experiment
from .experiments import Verdict as Verdict
from .experiments import run_demo as run_demo
from .experiments import verdict as verdict
from .mlp import MLP as MLP
from .mlp import Gradients as Gradients
from .report import COLUMNS as COLUMNS
from .report import DESCRIPTIONS as DESCRIPTIONS
from .report import PREDICTED as PREDICTED
from .report import LayerStats as LayerStats
from .report import Report as Report
from .report import Trials as Trials

__all__ = [
    "COLUMNS",
    "DESCRIPTIONS",
    "EXPERIMENTS",
    "MLP",
    "PREDICTED",
    "Experiment",
    "Gradients",
    "LayerStats",
    "Report",
    "Trials",
    "Verdict",
    "run_demo",
    "verdict",
]
