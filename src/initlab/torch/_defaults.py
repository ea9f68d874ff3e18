r"""``init="torch"``: the distributions of PyTorch 2.13's ``reset_parameters``, per module kind.

Each function mirrors the module's own code (``torch/nn/modules/*.py``) with PyTorch's fan
formula (``fan_in = size(1)·∏kernel``, grouped and transposed weights included) and the same
floating-point expressions, so the bounds are identical:

===================================  =================================================
module                               PyTorch 2.13 ``reset_parameters``
===================================  =================================================
Linear, Conv*d, ConvTranspose*d      weight ``kaiming_uniform_(a=√5)``: U(±√3·√(2/6)/√fan_in);
                                     bias U(±1/√fan_in) (0 when fan_in = 0)
Bilinear                             weight and bias U(±1/√in1)
Embedding, EmbeddingBag              N(0, 1), ``padding_idx`` row zero
MultiheadAttention                   ``xavier_uniform_`` on the packed (3E, E) matrix (or on each
                                     of q/k/v_proj_weight); in_proj_bias and out_proj.bias 0;
                                     bias_k, bias_v ``xavier_normal_``
RNN, LSTM, GRU and cells             every parameter U(±1/√hidden_size)
LayerNorm, GroupNorm, RMSNorm,       weight 1, bias 0
BatchNorm*, InstanceNorm*
===================================  =================================================
"""

from __future__ import annotations

import math

from torch import nn

from ..initializers import Initializer, Normal, Ones, Uniform, Zeros
from ._layers import torch_fans

__all__ = ["torch_default"]

_NORMS = (nn.LayerNorm, nn.GroupNorm, nn.RMSNorm, nn.BatchNorm1d, nn.BatchNorm2d,
          nn.BatchNorm3d, nn.SyncBatchNorm, nn.InstanceNorm1d, nn.InstanceNorm2d,
          nn.InstanceNorm3d)
_KAIMING = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d,
            nn.ConvTranspose2d, nn.ConvTranspose3d)


def _uniform(bound: float) -> Initializer:
    return Zeros() if bound == 0 else Uniform(low=-bound, high=bound)


def kaiming_uniform_bound(fan_in: int, a: float = math.sqrt(5)) -> float:
    """``torch.nn.init.kaiming_uniform_``'s bound, with PyTorch's expressions."""
    gain = math.sqrt(2.0 / (1 + a**2))  # calculate_gain("leaky_relu", a)
    std = gain / math.sqrt(fan_in)
    return math.sqrt(3.0) * std


def xavier_std(shape: tuple[int, ...]) -> float:
    """``torch.nn.init.xavier_*_``'s standard deviation at gain 1."""
    fan_in, fan_out = torch_fans(shape)
    return 1.0 * math.sqrt(2.0 / float(fan_in + fan_out))


def torch_default(module: nn.Module, name: str, shapes: dict[str, tuple[int, ...]],
                  parent: nn.Module | None) -> Initializer | None:
    """PyTorch's default for parameter ``name`` of ``module``, or ``None`` if unknown.

    ``shapes`` maps the module's direct parameter names to their (global) shapes; ``name``
    is a parameter of the layer table (``_layers.slots(module)``), which the caller checks.
    """
    shape = shapes[name]
    if isinstance(module, _NORMS):
        return Ones() if name == "weight" else Zeros()
    if isinstance(module, (nn.Embedding, nn.EmbeddingBag)):
        return Normal(mean=0.0, std=1.0)
    if isinstance(module, _KAIMING):
        if (name == "bias" and isinstance(parent, nn.MultiheadAttention)
                and module is parent.out_proj and parent.in_proj_bias is not None):
            return Zeros()  # MultiheadAttention._reset_parameters zeroes out_proj.bias
        fan_in, _ = torch_fans(shapes["weight"])
        if name == "weight":
            return _uniform(kaiming_uniform_bound(fan_in) if fan_in > 0 else 0)
        return _uniform(1 / math.sqrt(fan_in) if fan_in > 0 else 0)
    if isinstance(module, nn.Bilinear):
        return _uniform(1 / math.sqrt(shapes["weight"][1]))
    if isinstance(module, nn.MultiheadAttention):
        if name.endswith("proj_weight"):  # in_proj_weight or q/k/v_proj_weight
            return _uniform(math.sqrt(3.0) * xavier_std(shape))
        if name in ("bias_k", "bias_v"):
            return Normal(mean=0.0, std=xavier_std(shape))
        return Zeros()
    if isinstance(module, (nn.RNNBase, nn.RNNCellBase)):
        hidden = module.hidden_size
        return _uniform(1.0 / math.sqrt(hidden) if hidden > 0 else 0)
    return None

