r"""initlab inside PyTorch training code.

- :func:`init_` / :func:`plan`: initialize any ``torch.nn.Module`` in one call, with the right
  fans per layer kind (grouped and transposed convolutions, packed attention, RNN gates drawn
  per block), rules on parameter paths or module classes, path-keyed seeds and sharded
  (DTensor) parameters bit-identical to unsharded ones; ``plan`` returns the same decisions
  without writing.
- :func:`probe`: per-module forward and backward statistics of any model on a batch.
- :func:`lsuv_`: layer-sequential unit-variance initialization from data.

Requires the ``torch`` extra (``pip install "initlab[torch]"``); ``import initlab`` does not
import torch. See ``docs/torch.md``.
"""

from __future__ import annotations

from ._api import init_ as init_
from ._api import plan as plan
from .lsuv import LSUV_COLUMNS as LSUV_COLUMNS
from .lsuv import lsuv_ as lsuv_
from .probe import PROBE_COLUMNS as PROBE_COLUMNS
from .probe import ModuleReport as ModuleReport
from .probe import probe as probe

__all__ = ["LSUV_COLUMNS", "PROBE_COLUMNS", "ModuleReport", "init_", "lsuv_", "plan", "probe"]
