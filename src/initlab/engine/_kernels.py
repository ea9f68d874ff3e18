"""The per-layer arithmetic of :class:`initlab.MLP` (internal): activations applied in place
and their derivatives, and batch normalization forward and backward."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import special

from ..activations import Activation

Array = NDArray[Any]


class Kernel:
    """Applies one layer's activation in place and multiplies a gradient by its derivative."""

    def __init__(self, act: Activation) -> None:
        self.act = act
        self.kind = kernel_kind(act)
        # can h overwrite u? (u is then not needed by the backward pass)
        self.inplace = self.kind != "input"

    def forward(self, u: Array, h: Array) -> None:
        kind = self.kind
        if kind == "linear":
            if h is not u:
                np.copyto(h, u)
        elif kind == "tanh":
            np.tanh(u, out=h)
        elif kind == "relu":
            np.maximum(u, 0, out=h)
        elif kind == "sigmoid":
            special.expit(u, out=h)
        else:
            res = np.asarray(self.act.f(u))
            if res.shape != u.shape:
                raise ValueError(f"MLP: the activation {self.act.spec!r} returned shape "
                                 f"{res.shape} for an input of shape {u.shape}; it must be "
                                 "elementwise.")
            np.copyto(h, res, casting="unsafe")

    def backward(self, dh: Array, u: Array, h: Array, tmp: Array, mask: Array) -> None:
        kind = self.kind
        if kind == "linear":
            return
        if kind == "tanh":
            np.multiply(h, h, out=tmp)
            np.subtract(1, tmp, out=tmp)
            np.multiply(dh, tmp, out=dh)
        elif kind == "relu":
            np.greater(h, 0, out=mask)
            np.multiply(dh, mask, out=dh)
        elif kind == "sigmoid":
            np.subtract(1, h, out=tmp)
            np.multiply(tmp, h, out=tmp)
            np.multiply(dh, tmp, out=dh)
        else:
            if kind == "output":
                assert self.act.df_from_output is not None
                d = np.asarray(self.act.df_from_output(h))
            else:
                d = np.asarray(self.act.df(u))
            np.multiply(dh, d, out=dh, casting="unsafe")


def kernel_kind(act: Activation) -> str:
    """Fast in-place kernels for the built-in linear, tanh, relu and sigmoid (identified by
    their functions, not only by name, so a user's Activation named 'tanh' is not
    misread); otherwise the Activation's own functions."""
    builtin = getattr(act.f, "__module__", None) == "initlab.activations"
    if act.name == "linear" and builtin:
        return "linear"
    if act.name == "tanh" and act.f is np.tanh:
        return "tanh"
    if act.name == "relu" and builtin:
        return "relu"
    if act.name == "sigmoid" and act.f is special.expit:
        return "sigmoid"
    return "output" if act.df_from_output is not None else "input"


def bn_forward(z: Array, eps: float) -> Array:
    """Normalize ``z`` in place over the batch; return 1/sqrt(var + eps) (float64)."""
    batch = z.shape[0]
    dt = z.dtype
    mu = np.add.reduce(z, axis=0, dtype=np.float64) / batch
    np.subtract(z, mu.astype(dt), out=z)
    m1 = np.add.reduce(z, axis=0, dtype=np.float64) / batch
    m2 = np.add.reduce(np.square(z), axis=0, dtype=np.float64) / batch
    inv = 1.0 / np.sqrt(np.maximum(m2 - m1 * m1, 0.0) + eps)
    np.multiply(z, inv.astype(dt), out=z)
    return inv


def bn_backward(d: Array, xhat: Array, inv: Array, tmp: Array) -> None:
    """In place: ``d`` = dL/dxhat -> dL/dz for xhat = (z - mean) * inv."""
    batch = d.shape[0]
    dt = d.dtype
    g1 = np.add.reduce(d, axis=0, dtype=np.float64) / batch
    np.multiply(d, xhat, out=tmp)
    g2 = np.add.reduce(tmp, axis=0, dtype=np.float64) / batch
    np.multiply(xhat, g2.astype(dt), out=tmp)
    np.subtract(d, tmp, out=d)
    np.subtract(d, g1.astype(dt), out=d)
    np.multiply(d, inv.astype(dt), out=d)
