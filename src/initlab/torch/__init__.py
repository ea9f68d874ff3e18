"""initlab inside PyTorch: measure any ``torch.nn.Module`` (:func:`probe`) and initialize it
layer by layer from data (:func:`lsuv_`).

Needs PyTorch (``pip install "initlab[torch]"``); ``import initlab`` does not import it.
"""

from __future__ import annotations

from .lsuv import LSUV_COLUMNS as LSUV_COLUMNS
from .lsuv import lsuv_ as lsuv_
from .probe import PROBE_COLUMNS as PROBE_COLUMNS
from .probe import ModuleReport as ModuleReport
from .probe import probe as probe

__all__ = ["LSUV_COLUMNS", "PROBE_COLUMNS", "ModuleReport", "lsuv_", "probe"]
