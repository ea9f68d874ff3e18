"""The layer-kind table: what each parameter of a known ``torch.nn`` module is, and its fans.

For every parameter held directly by a module, :func:`slots` gives its role (a weight drawn
by the initializer, a bias, a norm scale or shift, an embedding table), the shape it is drawn
in (a view of the parameter: ``(3, E, E)`` for packed attention, ``(G, H, in)`` for the gates
of a recurrent layer) and the fan arguments of initlab's initializers that describe it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from torch import nn

__all__ = ["FAN_KEYS", "TORCH_FANS", "Slot", "slots", "torch_fans"]

#: The configuration keys of initlab's initializers that describe a tensor's fans.
FAN_KEYS = ("layout", "in_axis", "out_axis", "batch_axis", "groups", "transposed")

#: Roles of a parameter.
WEIGHT, BIAS, NORM_WEIGHT, NORM_BIAS, EMBEDDING = (
    "weight", "bias", "norm weight", "norm bias", "embedding")

_NORMS: tuple[type[nn.Module], ...] = (
    nn.LayerNorm, nn.GroupNorm, nn.RMSNorm, nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d,
    nn.SyncBatchNorm, nn.InstanceNorm1d, nn.InstanceNorm2d, nn.InstanceNorm3d)
_CONVS = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
_CONV_TRANSPOSES = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
#: Gate blocks stacked in a recurrent weight: RNN 1, LSTM 4 (i, f, g, o), GRU 3 (r, z, n).
_GATES: dict[type[nn.Module], int] = {nn.RNN: 1, nn.LSTM: 4, nn.GRU: 3, nn.RNNCell: 1,
                                      nn.LSTMCell: 4, nn.GRUCell: 3}

#: Fan arguments of a PyTorch ``(out, in, *kernel)`` weight.
TORCH_FANS: dict[str, Any] = {"layout": "torch", "in_axis": None, "out_axis": None,
                               "batch_axis": (), "groups": 1, "transposed": False}


@dataclass(frozen=True)
class Slot:
    """What one parameter is.

    ``view`` is the shape it is drawn in (same number of elements, C order), ``fans`` the
    fan arguments (every key of :data:`FAN_KEYS`) for that view, ``blocks`` the number of
    independent blocks along axis 0 of ``view`` (``fans['batch_axis'] == 0`` then).
    """

    role: str
    kind: str
    view: tuple[int, ...]
    fans: dict[str, Any] = field(default_factory=dict)
    blocks: int = 1
    padding_idx: int | None = None
    note: str = ""


def _weight(kind: str, shape: tuple[int, ...], **fans: Any) -> Slot:
    return Slot(WEIGHT, kind, shape, {**TORCH_FANS, **fans})


def _gated(kind: str, shape: tuple[int, ...], gates: int, note: str) -> Slot:
    """A ``(G*H, in)`` weight drawn as ``G`` independent ``(H, in)`` blocks."""
    if gates == 1:
        return _weight(kind, shape)
    rows, cols = shape
    view = (gates, rows // gates, cols)
    fans = {**TORCH_FANS, "in_axis": 2, "out_axis": 1, "batch_axis": 0}
    return Slot(WEIGHT, kind, view, fans, gates, note=note)


def slots(module: nn.Module) -> dict[str, Slot]:
    """The slots of the parameters ``module`` holds directly (known layer kinds only)."""
    kind = type(module).__name__
    params = {name: tuple(p.shape) for name, p in module.named_parameters(recurse=False)}
    out: dict[str, Slot] = {}
    for name, shape in params.items():
        slot = _slot(module, kind, name, shape)
        if slot is not None:
            out[name] = slot
    return out


def _slot(module: nn.Module, kind: str, name: str, shape: tuple[int, ...]) -> Slot | None:
    bias = Slot(BIAS, kind, shape)
    if isinstance(module, _NORMS):
        return Slot(NORM_WEIGHT if name == "weight" else NORM_BIAS, kind, shape) if name in (
            "weight", "bias") else None
    if isinstance(module, (nn.Embedding, nn.EmbeddingBag)):
        return Slot(EMBEDDING, kind, shape, padding_idx=module.padding_idx) if (
            name == "weight") else None
    if isinstance(module, (nn.Linear, *_CONVS, *_CONV_TRANSPOSES, nn.Bilinear)):
        if name == "bias":
            return bias
        if name != "weight":
            return None
        if isinstance(module, nn.Linear):
            return _weight(kind, shape)
        if isinstance(module, _CONVS):
            return _weight(kind, shape, groups=module.groups)
        if isinstance(module, _CONV_TRANSPOSES):
            return _weight(kind, shape, groups=module.groups, transposed=True)
        # Bilinear: y_k = x1ᵀ W_k x2 + b_k sums in1·in2 products: fan_in = in1·in2,
        # fan_out = out
        return _weight(kind, shape, in_axis=(1, 2), out_axis=0)
    if isinstance(module, nn.MultiheadAttention):
        if name == "in_proj_weight":
            return _gated(kind, shape, 3, "q, k, v drawn as three (E, E) blocks")
        if name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
            return _weight(kind, shape)
        return bias if name in ("in_proj_bias", "bias_k", "bias_v") else None
    if isinstance(module, (nn.RNNBase, nn.RNNCellBase)):
        gates = _gates_of(module)
        if name.startswith(("weight_ih", "weight_hh")):
            return _gated(kind, shape, gates, f"{gates} gate blocks" if gates > 1 else "")
        if name.startswith("weight_hr"):
            return _weight(kind, shape)
        return bias if name.startswith("bias_") else None
    return None


def _gates_of(module: nn.Module) -> int:
    """Gate blocks of a recurrent layer: from its class, else from its ``mode``."""
    for base, gates in _GATES.items():
        if isinstance(module, base):
            return gates
    mode = getattr(module, "mode", "")
    return 4 if mode == "LSTM" else 3 if mode == "GRU" else 1


def torch_fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """PyTorch's ``_calculate_fan_in_and_fan_out``: ``(size(1)·k, size(0)·k)``."""
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive
