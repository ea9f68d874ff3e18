"""Split Gauss-Legendre quadrature of Gaussian expectations (internal, shared by
:mod:`initlab.gains` and :mod:`initlab.theory`): the rule's nodes and weights and the checked
evaluation of an activation on them."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from ._validate import fail

Array = NDArray[Any]

NODES = 96  # Gauss-Legendre nodes per piece
REACH = 12.0  # the line is cut at mean +- 12 std: the rest has mass 3.6e-33
PIECES = 8  # pieces of 3 std each between the cuts
ANCHOR = 6.0  # extra cuts at 0, +-6, +-12, +-24, ...: the activations' singularities are near 0


@cache
def legendre(n: int) -> tuple[Array, Array]:
    x, w = np.polynomial.legendre.leggauss(n)
    return x, w


def gauss_rule(mean: npt.ArrayLike, std: float, kinks: Sequence[float] = (),
               n: int = NODES) -> tuple[Array, Array]:
    r"""Nodes and weights with :math:`E f(m_i + sZ) \approx \sum_j w_{ij} f(x_{ij})`.

    One row per mean :math:`m_i`, all with the same ``std`` :math:`s > 0`. The interval
    :math:`m_i \pm 12 s` is cut into 3-std pieces, at ``kinks``, and at 0, :math:`\pm 6`,
    :math:`\pm 12`, :math:`\pm 24`, ... (so that no piece longer than 6 touches the complex
    singularities of tanh, sigmoid, softplus ..., which lie near the imaginary axis); each
    piece gets ``n`` Gauss-Legendre nodes. Cuts outside a row's interval become empty pieces
    with zero weight, so every row has the same number of nodes.
    """
    means = np.atleast_1d(np.asarray(mean, dtype=np.float64))
    reach = float(np.max(np.abs(means))) + REACH * std
    fixed = [0.0, *(float(k) for k in kinks if math.isfinite(k))]
    anchor = ANCHOR
    while anchor < reach:
        fixed += [-anchor, anchor]
        anchor *= 2
    lo, hi = means - REACH * std, means + REACH * std
    cuts = np.clip(np.asarray(fixed)[None, :], lo[:, None], hi[:, None])
    grid = means[:, None] + std * np.linspace(-REACH, REACH, PIECES + 1)[None, :]
    edges = np.sort(np.concatenate([grid, cuts], axis=1), axis=1)
    x, w = legendre(n)
    half = 0.5 * (edges[:, 1:] - edges[:, :-1])
    nodes = (edges[:, :-1] + half)[..., None] + half[..., None] * x
    z = (nodes - means[:, None, None]) / std
    weights = half[..., None] * w * np.exp(-0.5 * z * z) / (math.sqrt(2 * math.pi) * std)
    return nodes.reshape(len(means), -1), weights.reshape(len(means), -1)


def evaluate(func: str, fn: Callable[[Array], Array], x: Array) -> Array:
    """``fn(x)`` as float64, checked to be a vectorized, finite result."""
    values = np.asarray(fn(x), dtype=np.float64)
    if values.shape != x.shape:
        fail(func, "activation", fn, "use a vectorized callable that maps an array to an "
             "array of the same shape", why="does not return an array of its input's shape")
    if not np.all(np.isfinite(values)):
        fail(func, "activation", fn, "use a function that is finite on the real line",
             why="returns inf or nan under the Gaussian")
    return values
