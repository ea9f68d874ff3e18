"""Shared internals of :mod:`initlab.torch.probe` and :mod:`initlab.torch.lsuv` (private).

Argument checks for a model and its inputs, a snapshot of everything a measurement may touch
(train/eval mode, ``requires_grad`` flags, ``.grad`` fields, buffers), streaming float64
moments that keep only per-channel scalars.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from .._validate import fail

#: Elements converted to float64 at a time when a statistic streams over a tensor.
CHUNK = 1 << 20

CONV_TYPES: tuple[type[torch.nn.Module], ...] = (
    torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Conv3d,
    torch.nn.ConvTranspose1d, torch.nn.ConvTranspose2d, torch.nn.ConvTranspose3d,
)
#: The layers that :func:`initlab.torch.lsuv_` rescales.
LSUV_TYPES: tuple[type[torch.nn.Module], ...] = (torch.nn.Linear, *CONV_TYPES)


class StopForward(Exception):
    """Raised by a hook to end a forward pass early (caught by the caller)."""


def check_module(func: str, module: object) -> torch.nn.Module:
    """A ``torch.nn.Module`` whose parameters are all materialized."""
    if not isinstance(module, torch.nn.Module):
        fail(func, "module", module, "use a torch.nn.Module", TypeError)
    for name, p in module.named_parameters():
        if p.is_meta or isinstance(p, torch.nn.parameter.UninitializedParameter):
            fail(func, "module", type(module).__name__, f"parameter {name!r} holds no values "
                 "(meta device or lazy module): call the model once or "
                 "module.to_empty(device=...) and initialize it first")
    return module


def describe(x: object) -> str:
    """A short description of an input for error messages."""
    if isinstance(x, (torch.Tensor, np.ndarray)):
        return f"<{type(x).__name__} shape={tuple(x.shape)} dtype={x.dtype}>"
    if isinstance(x, (tuple, list)):
        return "(" + ", ".join(describe(v) for v in x) + ")"
    return repr(x)[:80]


def model_dtypes(module: torch.nn.Module) -> set[torch.dtype]:
    """The floating dtypes of the model's parameters."""
    return {p.dtype for p in module.parameters() if p.is_floating_point()}


def model_device(module: torch.nn.Module) -> torch.device:
    for p in module.parameters():
        return p.device
    return torch.device("cpu")


def as_inputs(func: str, module: torch.nn.Module, x: object) -> tuple[torch.Tensor, ...]:
    """The model's positional inputs as tensors on its device.

    ``x`` is a tensor, a NumPy array or a tuple/list of them. A floating NumPy array is
    converted to the model's dtype; a floating tensor must already have one of the model's
    parameter dtypes (as PyTorch's layers require); integer and bool inputs pass unchanged.
    """
    items = tuple(x) if isinstance(x, (tuple, list)) else (x,)
    accepted = ("use a tensor or NumPy array (integer token ids included), or a tuple of them, "
                "that the model accepts")
    if not items:
        fail(func, "x", x, accepted)
    dtypes = model_dtypes(module)
    first = sorted(dtypes, key=str)[0] if len(dtypes) == 1 else None
    device = model_device(module)
    out = []
    for item in items:
        if isinstance(item, np.ndarray):
            if item.dtype.kind not in "biuf":
                fail(func, "x", describe(x), accepted + f" (dtype {item.dtype} is not)", TypeError)
            t = torch.from_numpy(np.ascontiguousarray(item))
            if t.is_floating_point():
                t = t.to(first or torch.get_default_dtype())
        elif isinstance(item, torch.Tensor):
            t = item
            if t.is_complex():
                fail(func, "x", describe(x), accepted + " (complex inputs are not)", TypeError)
            if t.is_floating_point() and dtypes and t.dtype not in dtypes:
                fail(func, "x", describe(x), "use floating inputs of the model's dtype "
                     f"({', '.join(sorted(str(d) for d in dtypes))})", TypeError)
        else:
            fail(func, "x", describe(x), accepted, TypeError)
        if t.numel() == 0:
            fail(func, "x", describe(x), "use inputs with at least one element")
        out.append(t.detach().to(device))
    return tuple(out)


def run_forward(func: str, module: torch.nn.Module, inputs: tuple[torch.Tensor, ...],
                x: object) -> Any:
    """``module(*inputs)``; an error of the model is re-raised naming ``x``."""
    try:
        return module(*inputs)
    except (StopForward, KeyboardInterrupt):
        raise
    except TypeError as exc:
        raise TypeError(f"{func}: x={describe(x)} is not accepted by the model "
                        f"({type(module).__name__}); its forward pass raised TypeError: "
                        f"{exc}") from exc
    except (RuntimeError, ValueError, IndexError, AssertionError) as exc:
        raise ValueError(f"{func}: x={describe(x)} is not accepted by the model "
                         f"({type(module).__name__}); its forward pass raised "
                         f"{type(exc).__name__}: {exc}") from exc


def tensors(obj: object) -> Iterator[torch.Tensor]:
    """The tensors in a (nested) tuple, list or dict, in order."""
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, (tuple, list)):
        for v in obj:
            yield from tensors(v)
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from tensors(v)


def first_floating(obj: object) -> torch.Tensor | None:
    """The first floating-point tensor of a module's output, or None."""
    return next((t for t in tensors(obj) if t.is_floating_point()), None)


def spawned_seed(gen: np.random.Generator) -> int:
    """A 64-bit seed from a child of ``gen`` (its own stream is not advanced when it can
    spawn; otherwise one raw draw is taken)."""
    try:
        child = gen.spawn(1)[0]
    except (TypeError, ValueError):
        return int(gen.bit_generator.random_raw())
    return int(child.integers(0, 1 << 63, dtype=np.uint64))


def torch_seed(seed: int) -> int:
    """A ``torch.manual_seed`` value from a 128-bit initlab seed."""
    return seed % (1 << 63)


def cuda_indices(module: torch.nn.Module) -> list[int]:
    return sorted({p.device.index or 0 for p in module.parameters() if p.device.type == "cuda"})


class ModelState:
    """Mode, ``requires_grad`` flags, ``.grad`` fields and buffers of a model, restorable.

    Parameters are not copied (a probe never writes them); buffers are (batch-norm running
    statistics move in a training-mode forward pass).
    """

    def __init__(self, module: torch.nn.Module) -> None:
        self.modes = [(m, m.training) for m in module.modules()]
        self.params = list(module.parameters())
        self.flags = [p.requires_grad for p in self.params]
        self.grads = [p.grad for p in self.params]
        with torch.no_grad():
            self.buffers = [(b, b.detach().clone()) for b in module.buffers()]

    def restore(self) -> None:
        for m, mode in self.modes:
            m.training = mode
        for p, flag, grad in zip(self.params, self.flags, self.grads, strict=True):
            p.requires_grad_(flag)
            p.grad = grad
        with torch.no_grad():
            for b, saved in self.buffers:
                b.copy_(saved)


def accumulates_in_float64(t: torch.Tensor) -> bool:
    """True where PyTorch's reductions of ``t`` already accumulate in float64: on the CPU,
    the accumulate type of float32 and float64 is double (ATen's ``acc_type``)."""
    return t.device.type == "cpu" and t.dtype in (torch.float32, torch.float64)


class Moments:
    r"""Streaming per-channel count, mean and sum of squared deviations, in float64.

    Each call's moments are reduced in float64: in one ``torch.var_mean`` over every axis but
    the channel axis where PyTorch accumulates in float64 anyway (float32 and float64 on the
    CPU: no copy of the tensor is made), otherwise chunk by chunk, each chunk of at most
    :data:`CHUNK` elements converted to float64. Partial moments are merged with the pairwise
    update of Chan, Golub and LeVeque (1979): :math:`\delta = \bar x_b - \bar x_a`,
    :math:`\bar x = \bar x_a + \delta\,n_b/n`,
    :math:`M_2 = M_{2,a} + M_{2,b} + \delta^2 n_a n_b / n`. Only ``C`` numbers per channel
    axis of length ``C`` are kept, never the tensor.
    """

    def __init__(self) -> None:
        self.n = 0                              # rows (elements per channel)
        self.mean: torch.Tensor | None = None   # (C,) float64
        self.m2: torch.Tensor | None = None
        self.mixed = False                      # calls with different channel counts
        self.total = (0, 0.0, 0.0)              # elements, mean, M2 over everything

    def add(self, t: torch.Tensor, axis: int) -> None:
        """Merge the per-channel moments of ``t`` (channels along ``axis``)."""
        t = t.detach()
        if t.ndim == 0:
            t = t.reshape(1, 1)
            axis = 1
        if t.ndim == 1:
            t = t.unsqueeze(0)
            axis = 1
        c = t.shape[axis]
        if t.numel() == 0:
            return
        if accumulates_in_float64(t):
            dims = [d for d in range(t.ndim) if d != axis]
            var, mean = torch.var_mean(t, dim=dims, correction=0)
            nb = t.numel() // c
            self._merge(nb, mean.double(), var.double() * nb)
            return
        t = t.movedim(axis, -1)
        if t.is_contiguous():
            t = t.reshape(-1, c)
        per_row = max(1, math.prod(t.shape[1:]))
        step = max(1, CHUNK // per_row)
        for start in range(0, t.shape[0], step):
            rows = t[start:start + step].reshape(-1, c).to(torch.float64)
            var, mean = torch.var_mean(rows, dim=0, correction=0)
            self._merge(rows.shape[0], mean, var * rows.shape[0])

    def add_flat(self, t: torch.Tensor) -> None:
        """Merge every element of ``t`` into the overall moments only (no channels)."""
        t = t.detach()
        if accumulates_in_float64(t):
            if t.numel():
                var, mean = torch.var_mean(t, correction=0)
                self._merge_total(t.numel(), float(mean), float(var) * t.numel())
            return
        flat = t.reshape(-1)
        for start in range(0, flat.shape[0], CHUNK):
            chunk = flat[start:start + CHUNK].to(torch.float64)
            var, mean = torch.var_mean(chunk, correction=0)
            self._merge_total(chunk.shape[0], float(mean), float(var) * chunk.shape[0])

    def _merge_total(self, nb: int, mean_b: float, m2_b: float) -> None:
        n_a, mean_a, m2_a = self.total
        n = n_a + nb
        delta = mean_b - mean_a
        self.total = (n, mean_a + delta * nb / n, m2_a + m2_b + delta * delta * n_a * nb / n)

    def _merge(self, nb: int, mb: torch.Tensor, m2b: torch.Tensor) -> None:
        """Merge ``nb`` rows with per-channel means ``mb`` and squared deviations ``m2b``."""
        c = mb.shape[0]
        mean_b = float(mb.mean())
        self._merge_total(nb * c, mean_b,
                          float(m2b.sum()) + nb * float((mb - mean_b).square().sum()))
        if self.mixed:
            return
        if self.mean is None or self.m2 is None:
            self.n, self.mean, self.m2 = nb, mb, m2b
            return
        if self.mean.shape[0] != c:
            self.mixed = True
            return
        na = self.n
        n_ch = na + nb
        d = mb - self.mean
        self.mean = self.mean + d * (nb / n_ch)
        self.m2 = self.m2 + m2b + d.square() * (na * nb / n_ch)
        self.n = n_ch

    @property
    def count(self) -> int:
        return self.total[0]

    def variance(self) -> float:
        """Population variance of every element seen (nan if none)."""
        n, _, m2 = self.total
        return m2 / n if n else math.nan

    def mean_value(self) -> float:
        return self.total[1] if self.total[0] else math.nan

    def channel_stats(self) -> tuple[float, float]:
        """(average squared channel mean, average channel variance), population moments."""
        if self.mixed or self.mean is None or self.m2 is None or self.n == 0:
            return math.nan, math.nan
        return float(self.mean.square().mean()), float((self.m2 / self.n).mean())


def tensor_variance(t: torch.Tensor) -> float:
    """Population variance of all elements of ``t`` in float64, streamed."""
    m = Moments()
    m.add_flat(t)
    return m.variance()
