"""initlab: neural-network weight initializers in pure NumPy, and a lab to measure them.

The whole public API is re-exported here; see the user guide in ``docs/``.
"""

from __future__ import annotations

__version__ = "0.1.0"

from . import engine as engine
from . import mup as mup
from . import recipes as recipes
from . import stats as stats
from . import theory as theory
from .activations import ACTIVATIONS as ACTIVATIONS
from .activations import Activation as Activation
from .activations import activation as activation
from .engine import MLP as MLP
from .engine import compare as compare
from .fans import LAYOUTS as LAYOUTS
from .fans import Fans as Fans
from .fans import compute_fans as compute_fans
from .gains import calculate_gain as calculate_gain
from .gains import gain as gain
from .initializers import INITIALIZERS as INITIALIZERS
from .initializers import TRUNCATED_NORMAL_STD as TRUNCATED_NORMAL_STD
from .initializers import Constant as Constant
from .initializers import ConvOrthogonal as ConvOrthogonal
from .initializers import DeltaOrthogonal as DeltaOrthogonal
from .initializers import Dirac as Dirac
from .initializers import Eye as Eye
from .initializers import GlorotNormal as GlorotNormal
from .initializers import GlorotUniform as GlorotUniform
from .initializers import HadamardIdentity as HadamardIdentity
from .initializers import HeNormal as HeNormal
from .initializers import HeUniform as HeUniform
from .initializers import Identity as Identity
from .initializers import Initializer as Initializer
from .initializers import InverseSoftplusLogUniform as InverseSoftplusLogUniform
from .initializers import KaimingNormal as KaimingNormal
from .initializers import KaimingUniform as KaimingUniform
from .initializers import LecunNormal as LecunNormal
from .initializers import LecunUniform as LecunUniform
from .initializers import LogArange as LogArange
from .initializers import Normal as Normal
from .initializers import Ones as Ones
from .initializers import Orthogonal as Orthogonal
from .initializers import Sparse as Sparse
from .initializers import TruncatedNormal as TruncatedNormal
from .initializers import Uniform as Uniform
from .initializers import VarianceScaling as VarianceScaling
from .initializers import XavierNormal as XavierNormal
from .initializers import XavierUniform as XavierUniform
from .initializers import Zeros as Zeros
from .initializers import constant as constant
from .initializers import conv_orthogonal as conv_orthogonal
from .initializers import delta_orthogonal as delta_orthogonal
from .initializers import dirac as dirac
from .initializers import expected_moments as expected_moments
from .initializers import eye as eye
from .initializers import get as get
from .initializers import glorot_normal as glorot_normal
from .initializers import glorot_uniform as glorot_uniform
from .initializers import hadamard_identity as hadamard_identity
from .initializers import he_normal as he_normal
from .initializers import he_uniform as he_uniform
from .initializers import identity as identity
from .initializers import inverse_softplus_log_uniform as inverse_softplus_log_uniform
from .initializers import kaiming_normal as kaiming_normal
from .initializers import kaiming_uniform as kaiming_uniform
from .initializers import lecun_normal as lecun_normal
from .initializers import lecun_uniform as lecun_uniform
from .initializers import log_arange as log_arange
from .initializers import normal as normal
from .initializers import ones as ones
from .initializers import orthogonal as orthogonal
from .initializers import serialize as serialize
from .initializers import sparse as sparse
from .initializers import truncated_normal as truncated_normal
from .initializers import uniform as uniform
from .initializers import variance_scaling as variance_scaling
from .initializers import xavier_normal as xavier_normal
from .initializers import xavier_uniform as xavier_uniform
from .initializers import zeros as zeros
from .plan import Plan as Plan
from .plan import PlanEntry as PlanEntry
from .plan import Rules as Rules
from .plan import seed_for as seed_for
from .random import get_threads as get_threads
from .random import set_threads as set_threads
from .theory import critical as critical

__all__ = [
    "ACTIVATIONS",
    "INITIALIZERS",
    "LAYOUTS",
    "MLP",
    "TRUNCATED_NORMAL_STD",
    "Activation",
    "Constant",
    "ConvOrthogonal",
    "DeltaOrthogonal",
    "Dirac",
    "Eye",
    "Fans",
    "GlorotNormal",
    "GlorotUniform",
    "HadamardIdentity",
    "HeNormal",
    "HeUniform",
    "Identity",
    "Initializer",
    "InverseSoftplusLogUniform",
    "KaimingNormal",
    "KaimingUniform",
    "LecunNormal",
    "LecunUniform",
    "LogArange",
    "Normal",
    "Ones",
    "Orthogonal",
    "Plan",
    "PlanEntry",
    "Rules",
    "Sparse",
    "TruncatedNormal",
    "Uniform",
    "VarianceScaling",
    "XavierNormal",
    "XavierUniform",
    "Zeros",
    "__version__",
    "activation",
    "calculate_gain",
    "compare",
    "compute_fans",
    "constant",
    "conv_orthogonal",
    "critical",
    "delta_orthogonal",
    "dirac",
    "engine",
    "expected_moments",
    "eye",
    "gain",
    "get",
    "get_threads",
    "glorot_normal",
    "glorot_uniform",
    "hadamard_identity",
    "he_normal",
    "he_uniform",
    "identity",
    "inverse_softplus_log_uniform",
    "kaiming_normal",
    "kaiming_uniform",
    "lecun_normal",
    "lecun_uniform",
    "log_arange",
    "mup",
    "normal",
    "ones",
    "orthogonal",
    "recipes",
    "seed_for",
    "serialize",
    "set_threads",
    "sparse",
    "stats",
    "theory",
    "truncated_normal",
    "uniform",
    "variance_scaling",
    "xavier_normal",
    "xavier_uniform",
    "zeros",
]
