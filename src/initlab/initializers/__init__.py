"""Weight initializers: functional form and configurable, serializable classes.

Every function takes the tensor ``shape`` and keyword-only arguments, validates all of them,
then returns a new array or fills ``out``. The random ones draw under the block scheme of
:mod:`initlab.random` (same seed, same bits, for any thread count).

One module per concern: :mod:`~initlab.initializers.distributions` (constants and plain
distributions), :mod:`~initlab.initializers.scaling` (``variance_scaling`` and its named
forms), :mod:`~initlab.initializers.structured` (orthogonal, eye, dirac, sparse),
:mod:`~initlab.initializers.special` (the initializers of published recipes: ZerO's Hadamard
identity, Mamba's ``A_log`` and time-step bias) and
:mod:`~initlab.initializers.objects` (the classes, :func:`get`, :func:`serialize`,
:func:`expected_moments`). Each initializer is declared once, next to its function; the
classes, :data:`INITIALIZERS` and everything else that lists initializers derive from those
declarations.
"""

from __future__ import annotations

from . import distributions, objects, scaling, special, structured
from ._core import DECLARATIONS
from .distributions import *  # noqa: F403
from .objects import *  # noqa: F403
from .scaling import *  # noqa: F403
from .special import *  # noqa: F403
from .structured import *  # noqa: F403

#: Names accepted by :func:`get`, one per initializer (aliases and class names work too).
INITIALIZERS: tuple[str, ...] = tuple(decl.name for decl in DECLARATIONS.values())

__all__ = sorted(["INITIALIZERS", *distributions.__all__, *objects.__all__, *scaling.__all__,
                  *special.__all__, *structured.__all__])
