"""The signal lab: a reference MLP that measures every layer, its reports, and the demo.

* :class:`MLP` -- a dense network with exact forward/backward passes (optionally batch norm)
  initialised by initlab's initializers; :meth:`MLP.probe` measures every layer and
  :meth:`MLP.trials` repeats that over independent weight draws.
* :class:`Report`, :class:`LayerStats`, :class:`Trials` -- the measurements, beside their
  mean-field predictions (:data:`PREDICTED`), as text tables, records, JSON, HTML and
  matplotlib figures; :mod:`initlab.engine.columns` lists the columns. :class:`Table` is
  their base (typed columns, metadata, formats, JSON), shared with
  ``initlab.torch.ModuleReport``.
* :func:`verdict` (:mod:`initlab.engine.verdicts`) -- vanishing, saturating, exploding or
  healthy, and where.
* :func:`compare` -- several initializations of one network, side by side.
* :mod:`initlab.engine.experiments` -- the classic initialization experiments behind
  ``initlab demo``.

The modules depend on each other in one direction (``docs/architecture.md``): ``columns`` <-
``verdicts``, ``table`` <- ``report`` <- ``_recorders`` <- ``mlp`` <- ``experiments``,
``comparison``.
"""

from __future__ import annotations

from .columns import COLUMNS as COLUMNS
from .columns import DESCRIPTIONS as DESCRIPTIONS
from .columns import PREDICTED as PREDICTED
from .comparison import Comparison as Comparison
from .comparison import compare as compare
from .experiments import EXPERIMENTS as EXPERIMENTS
from .experiments import Experiment as Experiment
from .experiments import run_demo as run_demo
from .mlp import MLP as MLP
from .mlp import Gradients as Gradients
from .report import LayerStats as LayerStats
from .report import Report as Report
from .report import Trials as Trials
from .table import Table as Table
from .verdicts import Verdict as Verdict
from .verdicts import verdict as verdict

__all__ = [
    "COLUMNS",
    "DESCRIPTIONS",
    "EXPERIMENTS",
    "MLP",
    "PREDICTED",
    "Comparison",
    "Experiment",
    "Gradients",
    "LayerStats",
    "Report",
    "Table",
    "Trials",
    "Verdict",
    "compare",
    "run_demo",
    "verdict",
]
