r"""Initialize any ``torch.nn.Module`` with initlab: right fans per layer kind, path-keyed seeds.

``init_(model, init, rules=..., rng=...)`` writes every parameter and returns the
:class:`~initlab.Plan`; ``plan(...)`` returns the same decisions without writing. Requires the
``torch`` extra (``pip install "initlab[torch]"``); ``import initlab`` does not import torch.
See ``docs/torch.md``.
"""

from __future__ import annotations

from ._api import init_ as init_
from ._api import plan as plan

__all__ = ["init_", "plan"]
