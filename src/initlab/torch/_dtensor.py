"""Sharded parameters: the region of the global tensor that a rank's local shard holds."""

from __future__ import annotations

from typing import Any

import torch

__all__ = ["is_dtensor", "local_part"]


def _dtensor_class() -> type | None:
    try:
        from torch.distributed.tensor import DTensor
    except ImportError:  # pragma: no cover - torch built without distributed
        return None
    return DTensor


def is_dtensor(t: torch.Tensor) -> bool:
    """Whether ``t`` is a ``torch.distributed.tensor.DTensor`` (an FSDP2/TP parameter)."""
    cls = _dtensor_class()
    return cls is not None and isinstance(t, cls)


def local_part(t: Any) -> tuple[torch.Tensor, tuple[slice, ...]]:
    """The local shard of a DTensor and the region ``global[region]`` it holds.

    Placements: ``Shard(d)`` and ``Replicate()`` on any mesh (uneven shards follow
    ``torch.chunk``: leading ranks hold the larger pieces); ``Partial`` is refused (a partial
    tensor is a sum of per-rank terms, not a slice of the initialized one).
    """
    from torch.distributed.tensor import Replicate, Shard
    from torch.distributed.tensor._utils import compute_local_shape_and_global_offset

    for placement in t.placements:
        if not isinstance(placement, (Shard, Replicate)):
            raise ValueError(
                f"init_: a DTensor parameter with placement {placement!r} is not accepted; "
                "use Shard(dim) or Replicate() placements (a Partial tensor is not a slice "
                "of the initialized tensor)")
    shape, offset = compute_local_shape_and_global_offset(t.shape, t.device_mesh,
                                                          t.placements)
    region = tuple(slice(o, o + s) for o, s in zip(offset, shape, strict=True))
    return t.to_local(), region
