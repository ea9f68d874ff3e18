"""Initializers of published model recipes: ZerO's Hadamard identity, Mamba's ``A_log`` and
time-step bias."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.integrate
from numpy.typing import DTypeLike

from .. import _blocks as blocks
from .._validate import check_int, check_real, fail
from .._workspace import Workspace
from ..fans import check_layout
from ._core import Array, Call, Config, RegionArg, Shape, apply, check_representable, declare, doc
from ._core import sampled as sampled_values
from .objects import initializer_class

__all__ = [
    "HadamardIdentity",
    "InverseSoftplusLogUniform",
    "LogArange",
    "hadamard_identity",
    "inverse_softplus_log_uniform",
    "log_arange",
]


def _region_indices(call: Call) -> list[Array]:
    """Per axis, the indices of the region (or the whole axis), as int64 vectors."""
    region = call.region or tuple(slice(0, d, 1) for d in call.shape)
    return [np.arange(r.start, r.stop, r.step, dtype=np.int64) if isinstance(r, slice)
            else np.asarray([r], dtype=np.int64) for r in region]


def _odd_popcount(x: Array) -> Array:
    """Whether each non-negative int64 has an odd number of set bits (in place on ``x``)."""
    for shift in (32, 16, 8, 4, 2, 1):
        x ^= x >> shift
    x &= 1
    return x.astype(bool)


# --------------------------------------------------------------------------------------------
# hadamard_identity (ZerO, Zhao et al. 2022, Algorithm 1)


def _check_hadamard_identity(func: str, p: Config) -> Config:
    return {"layout": check_layout(func, p["layout"])}


def _run_hadamard_identity(func: str, call: Call, p: Config) -> Array:
    if len(call.shape) != 2:
        fail(func, "shape", call.shape, "use a 2-d shape (a dense layer's weight)",
             why=f"has {len(call.shape)} dimension{'s' if len(call.shape) != 1 else ''}")
    result = call.new()
    if call.empty:
        return result
    a, b = _region_indices(call)
    if p["layout"] == "out_in":  # (out, in): rows are outputs
        m, n = call.shape
        rows, cols = a[:, None], b[None, :]
    else:  # (in, out): the transpose
        n, m = call.shape
        rows, cols = b[None, :], a[:, None]
    if m <= n:
        values: Array = rows == cols
    else:
        p2 = 1 << (m - 1).bit_length()  # 2^ceil(log2 m)
        s = 1.0 / math.sqrt(p2)
        values = np.where(_odd_popcount(rows & cols), -s, s)
    np.copyto(result, values.reshape(result.shape), casting="unsafe")
    return result


@declare(check=_check_hadamard_identity, run=_run_hadamard_identity, elementwise=True,
         class_name="HadamardIdentity", moments=None,
         summary="ZerO: partial identity, or a Hadamard block / √p when out > in")
@doc
def hadamard_identity(shape: Shape, *, layout: str = "in_out", dtype: DTypeLike = np.float32,
                      rng: object = None, out: Array | None = None,
                      threads: int | None = None, region: RegionArg = None) -> Array:
    r"""ZerO's deterministic matrix: a partial identity, or a scaled Hadamard block.

    Zhao et al. (2022) initialize every dense layer with zeros and ones only: the identity
    when the layer does not grow the width, and, when it does (where a partial identity would
    leave outputs dead), a block of the Sylvester Hadamard matrix, so that the layer is
    injective and every output receives signal.

    Parameters
    ----------
    shape : tuple of int
        2-d shape: ``(in, out)`` for ``layout='in_out'``, ``(out, in)`` for ``'out_in'``.
    layout : {'in_out', 'out_in'} or alias, default 'in_out'
        Where the input and output axes are (``'torch'`` is ``'out_in'``).
    %(common_parameters)s
        ``rng`` is accepted and ignored: the values are deterministic.

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    See Also
    --------
    eye, orthogonal

    Notes
    -----
    For the weight :math:`W \in \mathbb R^{m\times n}` mapping :math:`n` inputs to
    :math:`m` outputs (Algorithm 1 of [1]_),

    .. math::

        W = \begin{cases} I_{m\times n} & m \le n,\\
        I_{m\times p}\, H_p\, I_{p\times n} / \sqrt{p},\quad p = 2^{\lceil\log_2 m\rceil}
        & m > n,\end{cases}
        \qquad (H_p)_{ij} = (-1)^{\operatorname{popcount}(i \wedge j)},

    with :math:`H_p` the Sylvester Hadamard matrix (``scipy.linalg.hadamard``) and
    :math:`I_{a\times b}` the partial identity: ``hadamard(p)[:m, :n] / sqrt(p)``. For
    ``layout='in_out'`` the array is :math:`W^\top`. Every entry is computed from its own
    indices, so any ``region`` is produced alone.

    References
    ----------
    .. [1] J. Zhao, F. Schäfer and A. Anandkumar, "ZerO Initialization: Initializing Neural
       Networks with only Zeros and Ones", TMLR 2022, arXiv:2110.12661, Algorithm 1;
       jiaweizzhao/ZerO-initialization ``example_mnist.ipynb`` (``ZerO_Init_on_matrix``).
    .. [2] J. J. Sylvester, "Thoughts on inverse orthogonal matrices", Philosophical
       Magazine 34, 1867.

    Examples
    --------
    >>> import initlab
    >>> initlab.hadamard_identity((2, 3), layout="torch").tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    >>> initlab.hadamard_identity((3, 2), layout="torch").tolist()
    [[0.5, 0.5], [0.5, -0.5], [0.5, 0.5]]
    >>> initlab.hadamard_identity((2, 3)).tolist()  # (in, out): 3 outputs from 2 inputs
    [[0.5, 0.5, 0.5], [0.5, -0.5, 0.5]]
    """
    return apply(hadamard_identity, shape, dtype, rng, out, threads, region,
                 {"layout": layout})


# --------------------------------------------------------------------------------------------
# log_arange (S4D-Real's A_log, Mamba)


def _check_log_arange(func: str, p: Config) -> Config:
    return {"start": check_int(func, "start", p["start"], minimum=1)}


def _run_log_arange(func: str, call: Call, p: Config) -> Array:
    if not call.shape:
        fail(func, "shape", call.shape, "use a shape with at least one axis")
    start = p["start"]
    check_representable(func, "start", start, math.log(start + call.shape[-1]), call.dtype)
    result = call.new()
    if call.empty:
        return result
    last = _region_indices(call)[-1]
    values = np.log(last.astype(np.float64) + start)  # float64, rounded once
    if call.region is not None and not isinstance(call.region[-1], slice):
        values = values[0]
    np.copyto(result, values, casting="same_kind")
    return result


@declare(check=_check_log_arange, run=_run_log_arange, elementwise=True,
         class_name="LogArange", moments=None,
         summary="log(start + j) along the last axis (Mamba's A_log)")
@doc
def log_arange(shape: Shape, *, start: int = 1, dtype: DTypeLike = np.float32,
               rng: object = None, out: Array | None = None, threads: int | None = None,
               region: RegionArg = None) -> Array:
    r"""The logarithms of ``start, start + 1, ...`` along the last axis, in every row.

    S4D-Real's state matrix :math:`A = -\operatorname{diag}(1, 2, \ldots, N)`, stored as
    :math:`\log(-A)`: Mamba's ``A_log`` of shape ``(d_inner, d_state)``.

    Parameters
    ----------
    shape : tuple of int
        At least one axis; the values run along the last.
    start : int, default 1
        The first value inside the logarithm (``>= 1``).
    %(common_parameters)s
        ``rng`` is accepted and ignored: the values are deterministic.

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    See Also
    --------
    inverse_softplus_log_uniform : Mamba's time-step bias.

    Notes
    -----
    .. math:: W_{\ldots, j} = \log(\text{start} + j),\qquad j = 0, \ldots, n - 1,

    computed in float64 and rounded once (correctly rounded; PyTorch's float32 ``log`` of the
    reference is within one ulp).

    References
    ----------
    .. [1] A. Gu, K. Goel, A. Gupta and C. Ré, "On the Parameterization and Initialization
       of Diagonal State Space Models", NeurIPS 2022, arXiv:2206.11893 (S4D-Real).
    .. [2] A. Gu and T. Dao, "Mamba: Linear-Time Sequence Modeling with Selective State
       Spaces", 2023, arXiv:2312.00752; state-spaces/mamba
       ``mamba_ssm/modules/mamba_simple.py`` (``A_log``, lines 104-110).

    Examples
    --------
    >>> import initlab
    >>> initlab.log_arange((2, 3), dtype="float64").round(4).tolist()
    [[0.0, 0.6931, 1.0986], [0.0, 0.6931, 1.0986]]
    """
    return apply(log_arange, shape, dtype, rng, out, threads, region, {"start": start})


# --------------------------------------------------------------------------------------------
# inverse_softplus_log_uniform (Mamba's dt bias)


def _check_isplu(func: str, p: Config) -> Config:
    low = check_real(func, "low", p["low"], positive=True)
    high = check_real(func, "high", p["high"], positive=True)
    if high < low:
        fail(func, "high", p["high"], f"use a value >= low={low!r}")
    floor = check_real(func, "floor", p["floor"], nonnegative=True)
    return {"low": low, "high": high, "floor": floor}


def _softplus_inverse(dt: Any) -> Any:
    r""":math:`\log(e^{\Delta} - 1) = \Delta + \log(1 - e^{-\Delta})`, without overflow."""
    return dt + np.log(-np.expm1(-dt))


class _SoftplusLogUniform:
    r"""Sampler: :math:`\Delta = \max(e^u, \text{floor})`, :math:`u \sim U[a, b)` drawn in
    float64 (as :class:`initlab._blocks.Uniform` in float64), then
    :math:`\operatorname{softplus}^{-1}(\Delta)` in float64, rounded once."""

    def __init__(self, low: float, high: float, floor: float) -> None:
        self.a = math.log(low)
        self.width = math.log(high) - self.a
        self.floor = floor

    def draw(self, gen: np.random.Generator, buf: Array, ws: Workspace) -> None:
        n = buf.size
        u = buf if buf.dtype == np.float64 else blocks.scratch(ws, "log_dt", n, np.float64)
        gen.random(out=u)
        if self.width != 1.0:
            u *= self.width
        u += self.a
        np.exp(u, out=u)
        if self.floor > 0.0:
            np.maximum(u, self.floor, out=u)
        t = blocks.scratch(ws, "softplus_t", n, np.float64)
        np.negative(u, out=t)
        np.expm1(t, out=t)
        np.negative(t, out=t)
        np.log(t, out=t)
        u += t
        if u is not buf:
            buf[...] = u


def _run_isplu(func: str, call: Call, p: Config) -> Array:
    low, high, floor = p["low"], p["high"], p["floor"]
    big = max(abs(float(_softplus_inverse(max(v, floor)))) for v in (low, high))
    return sampled_values(func, call, _SoftplusLogUniform(low, high, floor), big, "high", high)


def _isplu_moments(func: str, p: Config, shape: tuple[int, ...]) -> tuple[float, float]:
    """Mean and second moment by adaptive quadrature over :math:`u` (exact to ~1e-12)."""
    a, b, floor = math.log(p["low"]), math.log(p["high"]), p["floor"]

    def value(u: float) -> float:
        return float(_softplus_inverse(max(math.exp(u), floor)))

    if a == b:
        v = value(a)
        return v, v * v
    cut = min(max(math.log(floor), a), b) if floor > 0 else a
    moments = []
    for k in (1, 2):
        total = value(a) ** k * (cut - a)  # below the floor: constant
        if cut < b:
            total += scipy.integrate.quad(lambda u, k=k: value(u) ** k, cut, b,
                                          epsabs=0.0, epsrel=1e-12, limit=200)[0]
        moments.append(total / (b - a))
    return moments[0], moments[1]


@declare(check=_check_isplu, run=_run_isplu, elementwise=True,
         class_name="InverseSoftplusLogUniform", moments=_isplu_moments,
         summary="softplus⁻¹ of a log-uniform draw, floored (Mamba's dt bias)")
@doc
def inverse_softplus_log_uniform(shape: Shape, *, low: float = 0.001, high: float = 0.1,
                                 floor: float = 1e-4, dtype: DTypeLike = np.float32,
                                 rng: object = None, out: Array | None = None,
                                 threads: int | None = None,
                                 region: RegionArg = None) -> Array:
    r"""Mamba's time-step bias: the inverse softplus of a log-uniform draw.

    Mamba computes its time steps as :math:`\Delta = \operatorname{softplus}(x W + b)`; the
    bias :math:`b` is initialized so that the initial time steps are log-uniform on
    ``[low, high]`` (``dt_min``, ``dt_max``), never below ``floor`` (``dt_init_floor``).

    Parameters
    ----------
    shape : tuple of int
        Shape of the tensor (Mamba: ``(d_inner,)``).
    low, high : float, default 0.001, 0.1
        ``dt_min`` and ``dt_max``, ``0 < low <= high`` (Mamba's defaults).
    floor : float, default 1e-4
        ``dt_init_floor`` (``>= 0``).
    %(common_parameters)s

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    See Also
    --------
    log_arange : Mamba's ``A_log``.
    uniform

    Notes
    -----
    .. math::

        \Delta = \max\bigl(e^{u},\ \text{floor}\bigr),\quad
        u \sim U[\log \text{low}, \log \text{high}),\qquad
        W = \Delta + \log\bigl(-\operatorname{expm1}(-\Delta)\bigr)
          = \operatorname{softplus}^{-1}(\Delta),

    so that :math:`\operatorname{softplus}(W) = \Delta`. The uniform is drawn in float64
    under the block scheme (the same values as ``uniform(shape, low=log(low),
    high=log(high), dtype=float64)``) for every ``dtype``; the transform is done in float64
    and rounded once, so the float32 result is the float64 one rounded. The expected moments
    are computed by quadrature over :math:`u`.

    References
    ----------
    .. [1] A. Gu and T. Dao, "Mamba: Linear-Time Sequence Modeling with Selective State
       Spaces", 2023, arXiv:2312.00752; state-spaces/mamba
       ``mamba_ssm/modules/mamba_simple.py`` lines 91-99.

    Examples
    --------
    >>> import numpy as np, initlab
    >>> b = initlab.inverse_softplus_log_uniform((1000,), low=0.001, high=0.1,
    ...                                          dtype="float64", rng=0)
    >>> dt = np.log1p(np.exp(b))  # softplus
    >>> bool(dt.min() >= 0.001 - 1e-12 and dt.max() <= 0.1 + 1e-12)
    True
    """
    return apply(inverse_softplus_log_uniform, shape, dtype, rng, out, threads, region,
                 {"low": low, "high": high, "floor": floor})


HadamardIdentity = initializer_class(hadamard_identity)
LogArange = initializer_class(log_arange)
InverseSoftplusLogUniform = initializer_class(inverse_softplus_log_uniform)
