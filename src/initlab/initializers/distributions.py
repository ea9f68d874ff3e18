"""Constant and plain-distribution initializers: zeros, ones, constant, normal, uniform,
truncated_normal."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import DTypeLike

from .. import _blocks as blocks
from .._validate import check_real, fail
from ._core import (
    MAX_SIGMAS,
    Array,
    Call,
    Config,
    RegionArg,
    Shape,
    apply,
    check_representable,
    declare,
    doc,
    fast_dtype,
    filled,
    sampled,
)
from .objects import initializer_class

__all__ = [
    "TRUNCATED_NORMAL_STD",
    "Constant",
    "Normal",
    "Ones",
    "TruncatedNormal",
    "Uniform",
    "Zeros",
    "constant",
    "normal",
    "ones",
    "truncated_normal",
    "uniform",
    "zeros",
]

#: Standard deviation of N(0, 1) truncated to [-2, 2], the correction Keras and JAX divide by.
TRUNCATED_NORMAL_STD = 0.87962566103423978

def _check_none(func: str, p: Config) -> Config:
    return p


def _check_constant(func: str, p: Config) -> Config:
    return {"value": check_real(func, "value", p["value"], finite=False,
                                 allow_nan=True)}


def _run_fill(value: float) -> Callable[[str, Call, Config], Array]:
    def run(func: str, call: Call, p: Config) -> Array:
        v = p.get("value", value)
        if math.isfinite(v):
            check_representable(func, "value", v, abs(v), call.dtype)
        return filled(call, v)

    return run


def _constant_moments(func: str, p: Config, shape: tuple[int, ...]) -> tuple[float, float]:
    return p["value"], p["value"] ** 2


def _value_moments(value: float) -> Callable[[str, Config, tuple[int, ...]],
                                              tuple[float, float]]:
    def moments(func: str, p: Config, shape: tuple[int, ...]) -> tuple[float, float]:
        return value, value * value

    return moments


@declare(check=_check_none, run=_run_fill(0.0), elementwise=True, class_name="Zeros",
         moments=_value_moments(0.0), summary="constant 0")
@doc
def zeros(shape: Shape, *, dtype: DTypeLike = np.float32, rng: object = None,
          out: Array | None = None, threads: int | None = None,
          region: RegionArg = None) -> Array:
    r"""Fill with zeros: :math:`W = 0`.

    The usual initialization of biases (Keras, Flax, Haiku); zero weights make every unit of a
    layer compute the same function, so they never break the symmetry.

    Parameters
    ----------
    shape : tuple of int
        Shape of the tensor.
    %(common_parameters)s

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    See Also
    --------
    ones, constant

    Notes
    -----
    ``rng`` and ``threads`` are validated and ignored, so every initializer shares one call
    signature.

    References
    ----------
    .. [1] PyTorch, ``torch.nn.init.zeros_``; Keras, ``keras.initializers.Zeros``.

    Examples
    --------
    >>> import initlab
    >>> initlab.zeros((2, 3))
    array([[0., 0., 0.],
           [0., 0., 0.]], dtype=float32)
    """
    if out is None and region is None and threads is None and rng is None:
        dt = fast_dtype(shape, dtype)
        if dt is not None:
            return np.zeros(shape, dt)
    return apply(zeros, shape, dtype, rng, out, threads, region, {})


@declare(check=_check_none, run=_run_fill(1.0), elementwise=True, class_name="Ones",
         moments=_value_moments(1.0), summary="constant 1")
@doc
def ones(shape: Shape, *, dtype: DTypeLike = np.float32, rng: object = None,
         out: Array | None = None, threads: int | None = None,
         region: RegionArg = None) -> Array:
    r"""Fill with ones: :math:`W = 1`.

    For batch-normalization scales and multiplicative gates.

    Parameters
    ----------
    shape : tuple of int
        Shape of the tensor.
    %(common_parameters)s

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    See Also
    --------
    zeros, constant

    Notes
    -----
    ``rng`` and ``threads`` are validated and ignored.

    References
    ----------
    .. [1] PyTorch, ``torch.nn.init.ones_``; Keras, ``keras.initializers.Ones``.

    Examples
    --------
    >>> import initlab
    >>> initlab.ones(3, dtype="float64")
    array([1., 1., 1.])
    """
    if out is None and region is None and threads is None and rng is None:
        dt = fast_dtype(shape, dtype)
        if dt is not None:
            return np.ones(shape, dt)
    return apply(ones, shape, dtype, rng, out, threads, region, {})


@declare(check=_check_constant, run=_run_fill(math.nan), elementwise=True,
         class_name="Constant", moments=_constant_moments, example={"value": 0.5},
         summary="constant `value`")
@doc
def constant(shape: Shape, *, value: float, dtype: DTypeLike = np.float32, rng: object = None,
             out: Array | None = None, threads: int | None = None,
             region: RegionArg = None) -> Array:
    r"""Fill with a constant: :math:`W = \text{value}`.

    For example an LSTM forget-gate bias of 1 (Jozefowicz et al. 2015).

    Parameters
    ----------
    shape : tuple of int
        Shape of the tensor.
    value : float
        The value; NaN and infinities are allowed (useful to catch use of uninitialized
        weights), a finite value too large for ``dtype`` raises.
    %(common_parameters)s

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    See Also
    --------
    zeros, ones

    Notes
    -----
    Unlike Keras (``Constant(value=0)``) ``value`` has no default, as in PyTorch's
    ``constant_(tensor, val)``.

    References
    ----------
    .. [1] R. Jozefowicz, W. Zaremba and I. Sutskever, "An Empirical Exploration of Recurrent
       Network Architectures", ICML 2015.

    Examples
    --------
    >>> import initlab
    >>> initlab.constant((2,), value=0.5)
    array([0.5, 0.5], dtype=float32)
    """
    return apply(constant, shape, dtype, rng, out, threads, region,
                 {"value": value})


# --------------------------------------------------------------------------------------------
# plain distributions


def _check_normal(func: str, p: Config) -> Config:
    return {"mean": check_real(func, "mean", p["mean"]),
            "std": check_real(func, "std", p["std"], nonnegative=True)}


def _point_mass(func: str, call: Call, mean: float) -> Array:
    """``std=0``: every value is ``mean`` exactly (no ``-0.0`` from ``0 * -x``); the key is
    still drawn, so a ``Generator`` advances as for any other ``std``."""
    check_representable(func, "mean", mean, abs(mean), call.dtype)
    if call.empty:
        return call.new()
    call.key()
    return filled(call, mean)


def _run_normal(func: str, call: Call, p: Config) -> Array:
    mean, std = p["mean"], p["std"]
    if std == 0.0:
        return _point_mass(func, call, mean)
    return sampled(func, call, blocks.Normal(mean, std), abs(mean) + MAX_SIGMAS * std,
                   "std", std)


def _normal_moments(func: str, p: Config, shape: tuple[int, ...]) -> tuple[float, float]:
    return p["mean"], p["mean"] ** 2 + p["std"] ** 2


def _check_uniform(func: str, p: Config) -> Config:
    low = check_real(func, "low", p["low"])
    high = check_real(func, "high", p["high"])
    if high < low:
        fail(func, "high", p["high"], f"use a value >= low={low!r}")
    return {"low": low, "high": high}


def _run_uniform(func: str, call: Call, p: Config) -> Array:
    low, high = p["low"], p["high"]
    check_representable(func, "high", high, high - low, blocks.work_dtype(call.dtype))
    return sampled(func, call, blocks.Uniform(low, high), max(abs(low), abs(high)), "high",
                   high)


def _uniform_moments(func: str, p: Config, shape: tuple[int, ...]) -> tuple[float, float]:
    low, high = p["low"], p["high"]
    return (low + high) / 2, (low * low + low * high + high * high) / 3


def _check_truncated(func: str, p: Config) -> Config:
    mean = check_real(func, "mean", p["mean"])
    std = check_real(func, "std", p["std"], nonnegative=True)
    lower = check_real(func, "lower", p["lower"], finite=False)
    upper = check_real(func, "upper", p["upper"], finite=False)
    if not lower < upper:
        fail(func, "upper", p["upper"], f"use a value > lower={lower!r} (bounds are in "
             "standard deviations from the mean)")
    if blocks.truncnorm_mass(lower, upper) <= 0:
        fail(func, "lower", p["lower"], f"the interval [{lower!r}, {upper!r}] holds no "
             "probability in float64; use bounds within about 37 standard deviations")
    return {"mean": mean, "std": std, "lower": lower, "upper": upper}


def _run_truncated(func: str, call: Call, p: Config) -> Array:
    mean, std, lower, upper = p["mean"], p["std"], p["lower"], p["upper"]
    if std == 0.0:
        return _point_mass(func, call, mean)
    reach = max(abs(b) if math.isfinite(b) else MAX_SIGMAS for b in (lower, upper))
    sampler = blocks.TruncatedNormal(mean, std, lower, upper, call.dtype)
    return sampled(func, call, sampler, abs(mean) + reach * std, "std", std)


def _truncated_moments(func: str, p: Config, shape: tuple[int, ...]) -> tuple[float, float]:
    """Mean and second moment of N(mean, std^2) truncated to [mean+a*std, mean+b*std]."""
    from scipy import stats

    mean, std, a, b = p["mean"], p["std"], p["lower"], p["upper"]
    m, v = float(stats.truncnorm.mean(a, b)), float(stats.truncnorm.var(a, b))
    mu = mean + std * m
    return mu, std * std * v + mu * mu




@declare(check=_check_normal, run=_run_normal, elementwise=True, class_name="Normal",
         moments=_normal_moments, aliases=("random_normal",), summary="N(mean, std²)")
@doc
def normal(shape: Shape, *, mean: float = 0.0, std: float = 1.0,
           dtype: DTypeLike = np.float32, rng: object = None, out: Array | None = None,
           threads: int | None = None, region: RegionArg = None) -> Array:
    r"""Draw from a normal distribution :math:`\mathcal{N}(\text{mean}, \text{std}^2)`.

    Parameters
    ----------
    shape : tuple of int
        Shape of the tensor.
    mean : float, default 0
        Mean.
    std : float, default 1
        Standard deviation (>= 0).
    %(common_parameters)s

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s
        A ``std`` whose values would overflow ``dtype`` raises too.

    See Also
    --------
    truncated_normal, variance_scaling

    Notes
    -----
    .. math:: W_{ij} \sim \mathcal{N}(\mu, \sigma^2),\quad
              \mathbb{E}W = \mu,\quad \mathrm{Var}\,W = \sigma^2.

    Defaults follow PyTorch's ``normal_`` (mean 0, std 1); Keras' ``RandomNormal`` uses
    std 0.05 and JAX's ``normal`` 0.01.

    ``std=0`` returns ``mean`` exactly in every element (never a mix of ``+0.0`` and
    ``-0.0``).

    References
    ----------
    .. [1] PyTorch, ``torch.nn.init.normal_``; Keras, ``keras.initializers.RandomNormal``.

    Examples
    --------
    >>> import initlab
    >>> w = initlab.normal((1000, 100), std=0.02, rng=0)
    >>> w.dtype, round(float(w.std()), 3)
    (dtype('float32'), 0.02)
    """
    return apply(normal, shape, dtype, rng, out, threads, region,
                 {"mean": mean, "std": std})


@declare(check=_check_uniform, run=_run_uniform, elementwise=True, class_name="Uniform",
         moments=_uniform_moments, aliases=("random_uniform",), summary="U[low, high)")
@doc
def uniform(shape: Shape, *, low: float = 0.0, high: float = 1.0,
            dtype: DTypeLike = np.float32, rng: object = None, out: Array | None = None,
            threads: int | None = None, region: RegionArg = None) -> Array:
    r"""Draw from a uniform distribution on :math:`[\text{low}, \text{high})`.

    Parameters
    ----------
    shape : tuple of int
        Shape of the tensor.
    low, high : float, default 0, 1
        Bounds, ``low <= high``.
    %(common_parameters)s

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    See Also
    --------
    variance_scaling, xavier_uniform, kaiming_uniform

    Notes
    -----
    .. math:: W_{ij} = \text{low} + (\text{high}-\text{low})\,u,\ u \sim U[0, 1),\qquad
              \mathrm{Var}\,W = (\text{high} - \text{low})^2 / 12.

    In float32 the rounding of this affine map can return ``high`` itself (as
    ``numpy.random.Generator.uniform`` can). Defaults follow PyTorch's ``uniform_``; Keras
    uses U(-0.05, 0.05), JAX's ``uniform(scale)`` is U[0, scale).

    References
    ----------
    .. [1] PyTorch, ``torch.nn.init.uniform_``; Keras, ``keras.initializers.RandomUniform``.

    Examples
    --------
    >>> import initlab
    >>> w = initlab.uniform((1000, 100), low=-1, high=1, rng=0)
    >>> bool(w.min() >= -1 and w.max() <= 1), round(float(w.var()), 2)
    (True, 0.33)
    """
    return apply(uniform, shape, dtype, rng, out, threads, region,
                 {"low": low, "high": high})


@declare(check=_check_truncated, run=_run_truncated, elementwise=True,
         class_name="TruncatedNormal", moments=_truncated_moments,
         summary="N(mean, std²) cut at [lower, upper] std")
@doc
def truncated_normal(shape: Shape, *, mean: float = 0.0, std: float = 1.0,
                     lower: float = -2.0, upper: float = 2.0, dtype: DTypeLike = np.float32,
                     rng: object = None, out: Array | None = None,
                     threads: int | None = None, region: RegionArg = None) -> Array:
    r"""Draw from a normal distribution truncated to ``[mean + lower*std, mean + upper*std]``.

    The bounds are in **standard deviations** from the mean (as TensorFlow, Keras, JAX and
    SciPy's ``truncnorm``), not in absolute units as PyTorch's ``trunc_normal_``.

    Parameters
    ----------
    shape : tuple of int
        Shape of the tensor.
    mean : float, default 0
        Mean of the parent normal (and of the result when the bounds are symmetric).
    std : float, default 1
        Standard deviation of the parent normal (>= 0). The result's own standard deviation is
        smaller: 0.8796 std at the default bounds.
    lower, upper : float, default -2, 2
        Truncation bounds in units of ``std``; ``lower < upper``; either may be infinite.
    %(common_parameters)s

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    See Also
    --------
    variance_scaling : corrects the variance for the truncation.

    Notes
    -----
    With :math:`\alpha, \beta` = ``lower``, ``upper``, :math:`\phi, \Phi` the standard
    normal density and CDF and :math:`Z = \Phi(\beta) - \Phi(\alpha)`,

    .. math::

        \mathbb{E}W = \mu + \sigma\frac{\phi(\alpha)-\phi(\beta)}{Z},\qquad
        \mathrm{Var}\,W = \sigma^2\left[1 + \frac{\alpha\phi(\alpha) - \beta\phi(\beta)}{Z}
        - \left(\frac{\phi(\alpha)-\phi(\beta)}{Z}\right)^2\right].

    The sampler is exact, and no value ever falls outside the bounds: when the interval holds
    at least a quarter of the probability, only the normals that fall outside are re-drawn;
    otherwise the inverse CDF is applied in float64 on the tail where it is accurate. PyTorch
    before 2.12 used an inverse-CDF-and-clamp method that produced out-of-range outliers in
    float32 (pytorch/pytorch#155588). Unlike JAX and Keras' ``TruncatedNormal``, no variance
    correction is applied here: ``std`` is the parent's. ``std=0`` returns ``mean`` exactly in every
    element.

    References
    ----------
    .. [1] C. P. Robert, "Simulation of truncated normal variables", Statistics and
       Computing 5, 121-125, 1995, arXiv:0907.4010.
    .. [2] N. L. Johnson, S. Kotz and N. Balakrishnan, "Continuous Univariate Distributions",
       vol. 1, 2nd ed., Wiley 1994, ch. 13.

    Examples
    --------
    >>> import initlab
    >>> w = initlab.truncated_normal((1000, 100), std=0.02, rng=0)
    >>> bool(abs(w).max() <= 0.04), round(float(w.std() / 0.02), 2)
    (True, 0.88)
    """
    return apply(truncated_normal, shape, dtype, rng, out, threads, region,
                 {"mean": mean, "std": std, "lower": lower, "upper": upper})

Zeros = initializer_class(zeros)
Ones = initializer_class(ones)
Constant = initializer_class(constant)
Normal = initializer_class(normal)
Uniform = initializer_class(uniform)
TruncatedNormal = initializer_class(truncated_normal)
