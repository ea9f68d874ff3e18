r"""Weight initializers: functional form and configurable, serializable classes.

Every function takes the tensor ``shape`` and keyword-only arguments, validates all of them,
then returns a new array or fills ``out``. The random ones draw under the block scheme of
:mod:`initlab.random` (same seed, same bits, for any thread count).
"""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, ClassVar, NamedTuple

import numpy as np
import scipy.linalg
import scipy.linalg.lapack
from numpy.typing import DTypeLike, NDArray

from . import random as _random
from ._validate import (
    check_choice,
    check_dtype,
    check_int,
    check_out,
    check_real,
    check_rng,
    check_shape,
    fail,
)
from .fans import FanSpec, check_fan_args, check_layout, fans_for
from .gains import exact_gain_for, resolve_gain

__all__ = [
    "TRUNCATED_NORMAL_STD",
    "Initializer",
    "constant",
    "dirac",
    "eye",
    "get",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "identity",
    "kaiming_normal",
    "kaiming_uniform",
    "lecun_normal",
    "lecun_uniform",
    "normal",
    "ones",
    "orthogonal",
    "serialize",
    "sparse",
    "truncated_normal",
    "uniform",
    "variance_scaling",
    "xavier_normal",
    "xavier_uniform",
    "zeros",
]

Array = NDArray[Any]
Shape = int | tuple[int, ...]
Axes = int | tuple[int, ...] | None
RegionArg = tuple[slice | int, ...] | slice | int | None

#: Standard deviation of N(0, 1) truncated to [-2, 2], the correction Keras and JAX divide by.
TRUNCATED_NORMAL_STD = 0.87962566103423978

_MODES = ("fan_in", "fan_out", "fan_avg", "fan_geo_avg")
_DISTRIBUTIONS = ("truncated_normal", "normal", "uniform")
_DIST_ALIASES = {"untruncated_normal": "normal"}
_MAX_SIGMAS = 10.0  # a normal value beyond this many std is treated as possible (overflow checks)


# --------------------------------------------------------------------------------------------
# documentation fragments


_DOC = {
    "gain_parameters": """gain : float or 'exact', default 1
        Multiplies the standard deviation (> 0); see :func:`calculate_gain`. ``'exact'``
        takes the exact forward gain of ``nonlinearity`` (:func:`gain`, at unit input
        variance).
    nonlinearity : str, optional
        Activation after this layer, used only with ``gain='exact'``: any name of
        :func:`activation` (``'tanh'``, ``'gelu'``, ``'leaky_relu(0.2)'``, ...).""",
    "fan_parameters": """layout : {'in_out', 'out_in'} or alias, default 'in_out'
        ``'in_out'`` (aliases ``'keras'``, ``'jax'``, ``'tf'``): ``(*kernel, in, out)``;
        ``'out_in'`` (alias ``'torch'``): PyTorch's ``(out, in, *kernel)``.
    in_axis, out_axis, batch_axis, groups, transposed : optional
        Override the layout's axes, correct grouped/depthwise and transposed convolutions;
        see :func:`compute_fans`.""",
    "common_parameters": """dtype : {float32, float16, float64}, default float32
        Floating dtype of the result. float32 and float64 are drawn natively; float16 is drawn
        in float32 and rounded.
    rng : {None, int, numpy.random.Generator}, optional
        Source of randomness (SPEC 7). An int or ``None`` is passed to
        ``numpy.random.default_rng``; a ``Generator`` is used as given and advanced by a fixed
        amount per call. Pass an int for repeatable values: the same seed gives the same bits.
        NumPy's global random state is never touched.
    out : numpy.ndarray, optional
        Array to fill and return, of exactly the result's shape and ``dtype``. It is left
        untouched when an argument is invalid.
    threads : int, optional
        Threads that draw the blocks (default :func:`get_threads`). The values do not depend
        on it.
    region : tuple of slice or int, optional
        Produce only ``full[region]`` of the tensor of ``shape``, bit for bit equal to slicing
        the whole tensor, without drawing the rest (for sharded or out-of-core
        initialization).""",
    "returns": """numpy.ndarray
        The initialized array (``out`` if it was given). A tensor with no elements is returned
        at once, without computing a scale (no division by a zero fan, no warning).""",
    "raises": """ValueError
        For an out-of-range value (the message names the argument, the value and what is
        accepted).
    TypeError
        For an argument of the wrong type, including integer, bool or object dtypes.""",
}


def _doc(func: Callable[..., Any]) -> Callable[..., Any]:
    """Substitute ``%(name)s`` fragments into a docstring."""
    if func.__doc__:
        func.__doc__ = func.__doc__ % _DOC
    return func


# --------------------------------------------------------------------------------------------
# call plumbing


class _Call(NamedTuple):
    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    rng: object
    out: Array | None
    threads: int
    region: tuple[slice | int, ...] | None
    result_shape: tuple[int, ...]

    @property
    def empty(self) -> bool:
        return math.prod(self.result_shape) == 0 or math.prod(self.shape) == 0

    def new(self) -> Array:
        return self.out if self.out is not None else np.empty(self.result_shape, self.dtype)

    def key(self) -> _random.Key:
        return _random.derive_key(self.rng)


class _Spec(NamedTuple):
    name: str
    check: Callable[[str, dict[str, Any]], dict[str, Any]]
    run: Callable[[str, _Call, dict[str, Any]], Array]
    elementwise: bool


_SPECS: dict[str, _Spec] = {}


def _prepare(func: str, spec: _Spec, shape: object, dtype: object, rng: object, out: object,
             threads: object, region: object) -> _Call:
    dims = check_shape(func, shape)
    dt = check_dtype(func, dtype)
    check_rng(func, rng)
    nthreads = _random.check_threads(func, threads)
    norm_region = None
    result_shape = dims
    if region is not None:
        if not spec.elementwise:
            fail(func, "region", region, f"{func} is not elementwise (every value depends on "
                 "the whole tensor): draw the whole tensor and slice it")
        norm_region, result_shape = _random.check_region(func, region, dims)
    if out is not None:
        check_out(func, out, result_shape, dt)
    return _Call(dims, dt, rng, out, nthreads, norm_region, result_shape)  # type: ignore[arg-type]


def _freeze(value: object) -> object:
    """A hashable key that also tells types apart (``1``, ``1.0`` and ``True`` differ), or
    ``None`` for values that are not cached (lists, NumPy scalars)."""
    kind = type(value)
    if kind in (int, float, str, bool, type(None)):
        return (kind, value)
    if kind is tuple:
        items = tuple(_freeze(v) for v in value)  # type: ignore[attr-defined]
        return None if None in items else (kind, items)
    return None


@lru_cache(maxsize=2048)
def _checked(name: str, func: str, frozen: tuple[tuple[str, object], ...]) -> dict[str, Any]:
    params = {key: _thaw(value) for key, value in frozen}
    return _SPECS[name].check(func, params)


def _thaw(frozen: Any) -> Any:
    kind, value = frozen
    if kind is tuple:
        return tuple(_thaw(v) for v in value)
    return value


def check_config(name: str, func: str, params: dict[str, Any]) -> dict[str, Any]:
    """Validated configuration (cached for hashable parameters; never mutate the result)."""
    frozen = tuple((key, _freeze(value)) for key, value in params.items())
    if any(value is None for _, value in frozen):
        return _SPECS[name].check(func, params)
    return _checked(name, func, frozen)


def _apply(name: str, func: str, shape: object, dtype: object, rng: object, out: object,
           threads: object, region: object, params: dict[str, Any]) -> Array:
    spec = _SPECS[name]
    config = check_config(name, func, params)
    call = _prepare(func, spec, shape, dtype, rng, out, threads, region)
    return spec.run(func, call, config)


def _register(name: str, check: Callable[[str, dict[str, Any]], dict[str, Any]],
              run: Callable[[str, _Call, dict[str, Any]], Array], *, elementwise: bool) -> None:
    _SPECS[name] = _Spec(name, check, run, elementwise)


def _check_representable(func: str, name: str, value: float, magnitude: float,
                         dtype: np.dtype[Any]) -> None:
    """Refuse parameters whose values would overflow ``dtype`` (a wrong array)."""
    if magnitude > float(np.finfo(dtype).max):
        fail(func, name, value, f"values up to about {magnitude:.3g} would overflow "
             f"{dtype.name} (max {float(np.finfo(dtype).max):.4g})",
             why="is too large for the dtype")


def _sampled(func: str, call: _Call, sampler: _random.Sampler, magnitude: float,
             name: str, value: float) -> Array:
    """Shared tail of every elementwise random initializer."""
    _check_representable(func, name, value, magnitude, call.dtype)
    if call.empty:
        return call.new()
    return _random.generate(sampler, call.shape, call.dtype, call.key(), out=call.out,
                            threads=call.threads, region=call.region,
                            region_shape=call.result_shape)


# --------------------------------------------------------------------------------------------
# constants


_FAST_DTYPES: dict[object, np.dtype[Any]] = {
    np.float32: np.dtype(np.float32), np.float64: np.dtype(np.float64),
    np.float16: np.dtype(np.float16), "float32": np.dtype(np.float32),
    "float64": np.dtype(np.float64), "float16": np.dtype(np.float16),
}


def _fast_dtype(shape: object, dtype: object) -> np.dtype[Any] | None:
    """The dtype when ``shape`` and ``dtype`` are plainly valid (a fast path), else None."""
    if type(shape) is not tuple:
        return None
    for d in shape:  # a plain loop: half the cost of all() over a generator
        if type(d) is not int or d < 0:
            return None
    try:
        return _FAST_DTYPES.get(dtype)
    except TypeError:  # unhashable
        return None


def _check_none(func: str, p: dict[str, Any]) -> dict[str, Any]:
    return p


def _check_constant(func: str, p: dict[str, Any]) -> dict[str, Any]:
    return {"value": check_real(func, "value", p["value"], finite=False,
                                 allow_nan=True)}


def _run_fill(value: float) -> Callable[[str, _Call, dict[str, Any]], Array]:
    def run(func: str, call: _Call, p: dict[str, Any]) -> Array:
        v = p.get("value", value)
        if math.isfinite(v):
            _check_representable(func, "value", v, abs(v), call.dtype)
        result = call.new()
        result.fill(v)
        return result

    return run


_register("zeros", _check_none, _run_fill(0.0), elementwise=True)
_register("ones", _check_none, _run_fill(1.0), elementwise=True)
_register("constant", _check_constant, _run_fill(math.nan), elementwise=True)


@_doc
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
        dt = _fast_dtype(shape, dtype)
        if dt is not None:
            return np.zeros(shape, dt)
    return _apply("zeros", "zeros", shape, dtype, rng, out, threads, region, {})


@_doc
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
        dt = _fast_dtype(shape, dtype)
        if dt is not None:
            return np.ones(shape, dt)
    return _apply("ones", "ones", shape, dtype, rng, out, threads, region, {})


@_doc
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
    return _apply("constant", "constant", shape, dtype, rng, out, threads, region,
                  {"value": value})


# --------------------------------------------------------------------------------------------
# plain distributions


def _check_normal(func: str, p: dict[str, Any]) -> dict[str, Any]:
    return {"mean": check_real(func, "mean", p["mean"]),
            "std": check_real(func, "std", p["std"], nonnegative=True)}


def _run_normal(func: str, call: _Call, p: dict[str, Any]) -> Array:
    mean, std = p["mean"], p["std"]
    return _sampled(func, call, _random.Normal(mean, std), abs(mean) + _MAX_SIGMAS * std,
                    "std", std)


def _check_uniform(func: str, p: dict[str, Any]) -> dict[str, Any]:
    low = check_real(func, "low", p["low"])
    high = check_real(func, "high", p["high"])
    if high < low:
        fail(func, "high", p["high"], f"use a value >= low={low!r}")
    return {"low": low, "high": high}


def _run_uniform(func: str, call: _Call, p: dict[str, Any]) -> Array:
    low, high = p["low"], p["high"]
    _check_representable(func, "high", high, high - low, _random.work_dtype(call.dtype))
    return _sampled(func, call, _random.Uniform(low, high), max(abs(low), abs(high)), "high",
                    high)


def _check_truncated(func: str, p: dict[str, Any]) -> dict[str, Any]:
    mean = check_real(func, "mean", p["mean"])
    std = check_real(func, "std", p["std"], nonnegative=True)
    lower = check_real(func, "lower", p["lower"], finite=False)
    upper = check_real(func, "upper", p["upper"], finite=False)
    if not lower < upper:
        fail(func, "upper", p["upper"], f"use a value > lower={lower!r} (bounds are in "
             "standard deviations from the mean)")
    if _random.truncnorm_mass(lower, upper) <= 0:
        fail(func, "lower", p["lower"], f"the interval [{lower!r}, {upper!r}] holds no "
             "probability in float64; use bounds within about 37 standard deviations")
    return {"mean": mean, "std": std, "lower": lower, "upper": upper}


def _run_truncated(func: str, call: _Call, p: dict[str, Any]) -> Array:
    mean, std, lower, upper = p["mean"], p["std"], p["lower"], p["upper"]
    reach = max(abs(b) if math.isfinite(b) else _MAX_SIGMAS for b in (lower, upper))
    sampler = _random.TruncatedNormal(mean, std, lower, upper, call.dtype)
    return _sampled(func, call, sampler, abs(mean) + reach * std, "std", std)


_register("normal", _check_normal, _run_normal, elementwise=True)
_register("uniform", _check_uniform, _run_uniform, elementwise=True)
_register("truncated_normal", _check_truncated, _run_truncated, elementwise=True)


@_doc
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
    return _apply("normal", "normal", shape, dtype, rng, out, threads, region,
                  {"mean": mean, "std": std})


@_doc
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
    return _apply("uniform", "uniform", shape, dtype, rng, out, threads, region,
                  {"low": low, "high": high})


@_doc
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
    correction is applied here: ``std`` is the parent's.

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
    return _apply("truncated_normal", "truncated_normal", shape, dtype, rng, out, threads,
                  region, {"mean": mean, "std": std, "lower": lower, "upper": upper})


# --------------------------------------------------------------------------------------------
# variance scaling and its named specializations


_FAN_KEYS = ("layout", "in_axis", "out_axis", "batch_axis", "groups", "transposed")


def _check_fans(func: str, p: dict[str, Any]) -> dict[str, Any]:
    return check_fan_args(func, *(p[k] for k in _FAN_KEYS))._asdict()


def _check_vs(func: str, p: dict[str, Any]) -> dict[str, Any]:
    return {
        "scale": check_real(func, "scale", p["scale"], positive=True),
        "mode": check_choice(func, "mode", p["mode"], _MODES),
        "distribution": check_choice(func, "distribution", p["distribution"], _DISTRIBUTIONS,
                                     _DIST_ALIASES),
        **_check_fans(func, p),
    }


def _fan_value(fans: tuple[int, int, int], mode: str) -> float:
    fan_in, fan_out, _ = fans
    if mode == "fan_in":
        return float(fan_in)
    if mode == "fan_out":
        return float(fan_out)
    if mode == "fan_avg":
        return (fan_in + fan_out) / 2.0
    return math.sqrt(fan_in * fan_out)


@lru_cache(maxsize=1024)
def _fans_cached(func: str, shape: tuple[int, ...], spec: FanSpec) -> tuple[int, int, int]:
    return fans_for(func, shape, spec)


def _run_vs(func: str, call: _Call, p: dict[str, Any]) -> Array:
    fans = _fans_cached(func, call.shape, FanSpec(*(p[k] for k in _FAN_KEYS)))
    if call.empty:
        return call.new()
    var = p["scale"] / _fan_value(fans, p["mode"])
    sampler: _random.Sampler
    if p["distribution"] == "uniform":
        limit = math.sqrt(3.0 * var)
        sampler, reach = _random.Uniform(-limit, limit), limit
    elif p["distribution"] == "normal":
        std = math.sqrt(var)
        sampler, reach = _random.Normal(0.0, std), _MAX_SIGMAS * std
    else:
        std = math.sqrt(var) / TRUNCATED_NORMAL_STD
        sampler = _random.TruncatedNormal(0.0, std, -2.0, 2.0, call.dtype)
        reach = 2.0 * std
    return _sampled(func, call, sampler, reach, "scale", p["scale"])


_register("variance_scaling", _check_vs, _run_vs, elementwise=True)


@_doc
def variance_scaling(shape: Shape, *, scale: float = 1.0, mode: str = "fan_in",
                     distribution: str = "truncated_normal", layout: str = "in_out",
                     in_axis: Axes = None, out_axis: Axes = None, batch_axis: Axes = (),
                     groups: int = 1, transposed: bool = False,
                     dtype: DTypeLike = np.float32, rng: object = None,
                     out: Array | None = None, threads: int | None = None,
                     region: RegionArg = None) -> Array:
    r"""Variance-scaling initializer: :math:`\mathrm{Var}\,W = \text{scale} / n`.

    The one core behind every fan-based initializer (Keras' ``VarianceScaling``, JAX's
    ``variance_scaling``); the named ones fix its arguments.

    Parameters
    ----------
    shape : tuple of int
        Shape of the tensor.
    scale : float, default 1
        Target variance times the fan (> 0). For a gain :math:`g`, ``scale = g**2``.
    mode : {'fan_in', 'fan_out', 'fan_avg', 'fan_geo_avg'}, default 'fan_in'
        The fan :math:`n`: fan-in, fan-out, their mean or their geometric mean.
    distribution : {'truncated_normal', 'normal', 'uniform'}, default 'truncated_normal'
        ``'truncated_normal'`` is cut at two of its standard deviations and rescaled so the
        variance is still ``scale / n``; ``'normal'`` (alias ``'untruncated_normal'``) is not
        truncated; ``'uniform'`` is :math:`U(-\sqrt{3\,\text{scale}/n}, \sqrt{3\,\text{scale}/n})`.
    %(fan_parameters)s
    %(common_parameters)s

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    See Also
    --------
    compute_fans, xavier_uniform, xavier_normal, kaiming_uniform, kaiming_normal,
    lecun_uniform, lecun_normal

    Notes
    -----
    With :math:`n` = fan_in, fan_out, :math:`(\text{fan\_in}+\text{fan\_out})/2` or
    :math:`\sqrt{\text{fan\_in}\,\text{fan\_out}}`,

    .. math::

        \mathrm{Var}\,W = \frac{s}{n}:\quad
        \begin{cases}
        W \sim U(-a, a),\ a = \sqrt{3s/n} & \text{uniform}\\
        W \sim \mathcal{N}(0, s/n) & \text{normal}\\
        W \sim \mathcal{N}_{[-2\sigma, 2\sigma]}(0, \sigma^2),\
        \sigma = \sqrt{s/n}\,/\,0.87962566103423978 & \text{truncated\_normal}
        \end{cases}

    The constant is the standard deviation of :math:`\mathcal{N}(0,1)` truncated to
    :math:`[-2, 2]`, :math:`\sqrt{1 - 4\phi(2)/(2\Phi(2)-1)}`.

    ================  =====  ===========  ==================  =================================
    initializer       scale  mode         distribution        peers
    ================  =====  ===========  ==================  =================================
    xavier_uniform    g²     fan_avg      uniform             all agree
    xavier_normal     g²     fan_avg      normal              = PyTorch; Keras/JAX truncate
    kaiming_uniform   g²     fan_in       uniform             all agree (g = √2 default)
    kaiming_normal    g²     fan_in       normal              = PyTorch; Keras/JAX truncate
    lecun_uniform     1      fan_in       uniform             Keras/JAX
    lecun_normal      1      fan_in       truncated_normal    Keras/JAX
    ================  =====  ===========  ==================  =================================

    .. warning::
       ``distribution='normal'`` means *untruncated*, as in JAX. Keras maps ``'normal'`` to
       the truncated distribution; pass ``'truncated_normal'`` for Keras' behaviour.

    Defaults are Keras' (scale 1, 'fan_in', 'truncated_normal'). Like Keras, ``scale`` must
    be positive (JAX does not check). A tensor with no elements is returned empty without
    computing a fan (JAX raised ``ZeroDivisionError`` until 2026; Keras takes
    ``max(1, fan)``).

    References
    ----------
    .. [1] K. He, X. Zhang, S. Ren and J. Sun, "Delving Deep into Rectifiers: Surpassing
       Human-Level Performance on ImageNet Classification", ICCV 2015, arXiv:1502.01852.
    .. [2] X. Glorot and Y. Bengio, "Understanding the difficulty of training deep feedforward
       neural networks", AISTATS 2010.
    .. [3] Keras, ``keras.initializers.VarianceScaling``; JAX,
       ``jax.nn.initializers.variance_scaling``.

    Examples
    --------
    >>> import initlab
    >>> w = initlab.variance_scaling((512, 256), scale=2.0, rng=0)
    >>> round(float(w.var() * 512), 2), bool(abs(w).max() <= 2 * (2 / 512) ** 0.5 / 0.8796)
    (2.0, True)
    """
    return _apply("variance_scaling", "variance_scaling", shape, dtype, rng, out, threads,
                  region, {"scale": scale, "mode": mode, "distribution": distribution,
                           "layout": layout, "in_axis": in_axis, "out_axis": out_axis,
                           "batch_axis": batch_axis, "groups": groups,
                           "transposed": transposed})


def _fan_params(layout: object, in_axis: object, out_axis: object, batch_axis: object,
                groups: object, transposed: object) -> dict[str, Any]:
    return {"layout": layout, "in_axis": in_axis, "out_axis": out_axis,
            "batch_axis": batch_axis, "groups": groups, "transposed": transposed}


_GainOf = Callable[[str, dict[str, Any]], tuple[dict[str, Any], float]]
_NAMED_GAIN: dict[str, _GainOf] = {}
_NAMED_MODE: dict[str, str | None] = {}


def _named_gain(name: str) -> _GainOf:
    return _NAMED_GAIN[name]


def _named_vs(name: str, distribution: str, mode: str | None, gain_of: _GainOf) -> None:
    """Register a named specialization: ``gain_of`` validates its own parameters."""
    _NAMED_GAIN[name], _NAMED_MODE[name] = gain_of, mode

    def check(func: str, p: dict[str, Any]) -> dict[str, Any]:
        own, _ = gain_of(func, p)
        return {**own, **_check_fans(func, p)}

    def run(func: str, call: _Call, p: dict[str, Any]) -> Array:
        own, gain = gain_of(func, p)  # p is validated: cheap, and cached below
        vs = {"scale": gain * gain, "mode": own.get("mode", mode),
              "distribution": distribution, **{k: p[k] for k in _FAN_KEYS}}
        return _run_vs(func, call, vs)

    _register(name, check, run, elementwise=True)


@lru_cache(maxsize=256)
def _exact_cached(func: str, nonlinearity: str, a: float | None) -> tuple[str, float]:
    name, _ = resolve_gain(func, nonlinearity, a)
    return name, exact_gain_for(func, nonlinearity, a)


def _exact(func: str, nonlinearity: object, a: float | None) -> tuple[str, float]:
    """Canonical name and exact forward gain (at unit input variance) of ``nonlinearity``."""
    if type(nonlinearity) is str:
        return _exact_cached(func, nonlinearity, a)
    name, _ = resolve_gain(func, nonlinearity, a)
    return name, exact_gain_for(func, nonlinearity, a)


def _gain_or_exact(func: str, p: dict[str, Any], *, positive: bool
                   ) -> tuple[dict[str, Any], float]:
    """``gain`` is a number, or ``'exact'`` with ``nonlinearity`` naming an activation."""
    gain, nonlinearity = p["gain"], p["nonlinearity"]
    if isinstance(gain, str) and gain != "exact":
        fail(func, "gain", gain, "use a number or 'exact'")
    if gain == "exact" and type(gain) is str:
        if nonlinearity is None:
            fail(func, "gain", gain, "gain='exact' needs nonlinearity=<activation>, e.g. "
                 "nonlinearity='gelu'")
        name, value = _exact(func, nonlinearity, None)
        return {"gain": "exact", "nonlinearity": name}, value
    if nonlinearity is not None:
        fail(func, "nonlinearity", nonlinearity, "it is used only with gain='exact' (the exact "
             "gain of that activation); for PyTorch's value pass "
             "gain=initlab.calculate_gain(name)", why="is not used with a numeric gain")
    value = check_real(func, "gain", gain, positive=positive)
    return {"gain": value, "nonlinearity": None}, value


def _xavier_gain(func: str, p: dict[str, Any]) -> tuple[dict[str, Any], float]:
    return _gain_or_exact(func, p, positive=True)


def _kaiming_gain(func: str, p: dict[str, Any]) -> tuple[dict[str, Any], float]:
    a = check_real(func, "a", p["a"])
    mode = check_choice(func, "mode", p["mode"], _MODES)
    if p["gain"] is None:
        nonlinearity, gain = _resolved_gain(func, p["nonlinearity"], a)
    elif p["gain"] == "exact" and type(p["gain"]) is str:
        nonlinearity, gain = _exact(func, p["nonlinearity"], a)
    else:
        fail(func, "gain", p["gain"], "use None (the gain of nonlinearity: PyTorch's table for "
             "its names, the exact gain for other activations) or 'exact' (the exact gain "
             "for every activation); for a numeric gain use variance_scaling(scale=gain**2)",
             ValueError if isinstance(p["gain"], str) else TypeError)
    return {"a": a, "mode": mode, "nonlinearity": nonlinearity, "gain": p["gain"]}, gain


def _resolved_gain(func: str, nonlinearity: object, a: float) -> tuple[str, float]:
    if type(nonlinearity) is str:
        return _resolved_gain_cached(func, nonlinearity, a)
    return resolve_gain(func, nonlinearity, a)


@lru_cache(maxsize=256)
def _resolved_gain_cached(func: str, nonlinearity: str, a: float) -> tuple[str, float]:
    return resolve_gain(func, nonlinearity, a)


def _lecun_gain(func: str, p: dict[str, Any]) -> tuple[dict[str, Any], float]:
    return {}, 1.0


_named_vs("xavier_uniform", "uniform", "fan_avg", _xavier_gain)
_named_vs("xavier_normal", "normal", "fan_avg", _xavier_gain)
_named_vs("kaiming_uniform", "uniform", None, _kaiming_gain)
_named_vs("kaiming_normal", "normal", None, _kaiming_gain)
_named_vs("lecun_uniform", "uniform", "fan_in", _lecun_gain)
_named_vs("lecun_normal", "truncated_normal", "fan_in", _lecun_gain)

_XAVIER_REFS = """.. [1] X. Glorot and Y. Bengio, "Understanding the difficulty of training deep
       feedforward neural networks", AISTATS 2010, eqs. 12 and 16."""
_HE_REFS = """.. [1] K. He, X. Zhang, S. Ren and J. Sun, "Delving Deep into Rectifiers: Surpassing
       Human-Level Performance on ImageNet Classification", ICCV 2015, arXiv:1502.01852,
       eqs. 10 and 14."""
_LECUN_REFS = """.. [1] Y. LeCun, L. Bottou, G. B. Orr and K.-R. Müller, "Efficient BackProp", in
       Neural Networks: Tricks of the Trade, Springer 1998.
    .. [2] G. Klambauer, T. Unterthiner, A. Mayr and S. Hochreiter, "Self-Normalizing Neural
       Networks", NeurIPS 2017, arXiv:1706.02515."""
_DOC.update(xavier_refs=_XAVIER_REFS, he_refs=_HE_REFS, lecun_refs=_LECUN_REFS)


@_doc
def xavier_uniform(shape: Shape, *, gain: float | str = 1.0, nonlinearity: str | None = None,
                   layout: str = "in_out",
                   in_axis: Axes = None, out_axis: Axes = None, batch_axis: Axes = (),
                   groups: int = 1, transposed: bool = False, dtype: DTypeLike = np.float32,
                   rng: object = None, out: Array | None = None, threads: int | None = None,
                   region: RegionArg = None) -> Array:
    r"""Xavier/Glorot uniform initializer: :math:`U(-a, a)`, :math:`a = g\sqrt{6/(n_{in}+n_{out})}`.

    Keeps the variance of activations (forward) and gradients (backward) of a linear or
    tanh-near-zero layer in the compromise :math:`\mathrm{Var}\,W = 2/(n_{in}+n_{out})`.
    Alias: ``glorot_uniform``.

    Parameters
    ----------
    shape : tuple of int
        Shape of the tensor.
    %(gain_parameters)s
    %(fan_parameters)s
    %(common_parameters)s

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    See Also
    --------
    xavier_normal, variance_scaling, calculate_gain

    Notes
    -----
    .. math:: a = g\sqrt{\frac{6}{n_{in} + n_{out}}},\qquad
              \mathrm{Var}\,W = \frac{a^2}{3} = \frac{2g^2}{n_{in}+n_{out}}.

    Identical to PyTorch's ``xavier_uniform_`` (with ``layout='torch'``), Keras'
    ``GlorotUniform`` and JAX's ``glorot_uniform``; it is
    ``variance_scaling(scale=gain**2, mode='fan_avg', distribution='uniform')``.

    References
    ----------
    %(xavier_refs)s

    Examples
    --------
    >>> import initlab
    >>> w = initlab.xavier_uniform((300, 100), rng=0)
    >>> bool(abs(w).max() <= (6 / 400) ** 0.5), round(float(w.var() * 200), 2)
    (True, 1.0)
    """
    return _apply("xavier_uniform", "xavier_uniform", shape, dtype, rng, out, threads, region,
                  {"gain": gain, "nonlinearity": nonlinearity,
                   **_fan_params(layout, in_axis, out_axis, batch_axis, groups, transposed)})


@_doc
def xavier_normal(shape: Shape, *, gain: float | str = 1.0, nonlinearity: str | None = None,
                   layout: str = "in_out",
                  in_axis: Axes = None, out_axis: Axes = None, batch_axis: Axes = (),
                  groups: int = 1, transposed: bool = False, dtype: DTypeLike = np.float32,
                  rng: object = None, out: Array | None = None, threads: int | None = None,
                  region: RegionArg = None) -> Array:
    r"""Xavier/Glorot normal initializer: :math:`\mathcal{N}(0, 2g^2/(n_{in}+n_{out}))`.

    Alias: ``glorot_normal``.

    Parameters
    ----------
    shape : tuple of int
        Shape of the tensor.
    %(gain_parameters)s
    %(fan_parameters)s
    %(common_parameters)s

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    See Also
    --------
    xavier_uniform, variance_scaling

    Notes
    -----
    .. math:: \sigma = g\sqrt{\frac{2}{n_{in} + n_{out}}}.

    .. warning::
       Untruncated, as PyTorch's ``xavier_normal_``. Keras' ``GlorotNormal`` and JAX's
       ``glorot_normal`` draw a normal truncated at :math:`\pm 2\sigma'` with
       :math:`\sigma' = \sigma/0.8796`: use
       ``variance_scaling(mode='fan_avg', distribution='truncated_normal')`` for theirs.

    References
    ----------
    %(xavier_refs)s

    Examples
    --------
    >>> import initlab
    >>> w = initlab.xavier_normal((300, 100), rng=0)
    >>> round(float(w.std()), 3), round((2 / 400) ** 0.5, 3)
    (0.071, 0.071)
    """
    return _apply("xavier_normal", "xavier_normal", shape, dtype, rng, out, threads, region,
                  {"gain": gain, "nonlinearity": nonlinearity,
                   **_fan_params(layout, in_axis, out_axis, batch_axis, groups, transposed)})


@_doc
def kaiming_uniform(shape: Shape, *, a: float = 0.0, mode: str = "fan_in", gain: str | None = None,
                    nonlinearity: str = "leaky_relu", layout: str = "in_out",
                    in_axis: Axes = None, out_axis: Axes = None, batch_axis: Axes = (),
                    groups: int = 1, transposed: bool = False, dtype: DTypeLike = np.float32,
                    rng: object = None, out: Array | None = None, threads: int | None = None,
                    region: RegionArg = None) -> Array:
    r"""He/Kaiming uniform initializer: :math:`U(-b, b)`, :math:`b = g\sqrt{3/n}`.

    Keeps the second moment of ReLU-network pre-activations constant through depth. Alias:
    ``he_uniform``.

    Parameters
    ----------
    shape : tuple of int
        Shape of the tensor.
    a : float, default 0
        Negative slope of the leaky ReLU after this layer (used when
        ``nonlinearity='leaky_relu'``).
    mode : {'fan_in', 'fan_out', 'fan_avg', 'fan_geo_avg'}, default 'fan_in'
        ``'fan_in'`` preserves the forward signal, ``'fan_out'`` the backward one.
    gain : None or 'exact', default None
        ``None``: PyTorch's gain for its names (``calculate_gain(nonlinearity, a)``) and the
        exact forward gain for every other activation; ``'exact'``: the exact gain
        (:func:`gain`) for every activation, PyTorch's names included (1.5925 for tanh
        instead of 5/3).
    nonlinearity : str, default 'leaky_relu'
        Activation after this layer: PyTorch's names (``'relu'``, ``'leaky_relu'``,
        ``'tanh'``, ...) or any name of :func:`activation` (``'gelu'``, ``'silu'``, ...), for
        which PyTorch raises.
    %(fan_parameters)s
    %(common_parameters)s

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    See Also
    --------
    kaiming_normal, calculate_gain, variance_scaling

    Notes
    -----
    .. math:: b = g\sqrt{\frac{3}{n}},\quad \mathrm{Var}\,W = \frac{g^2}{n},\quad
              g = \sqrt{\frac{2}{1+a^2}}\ \text{for leaky\_relu}.

    Same defaults and formula as PyTorch's ``kaiming_uniform_`` (the defaults give
    :math:`g=\sqrt2`, i.e. Keras' and JAX's ``he_uniform``). PyTorch's ``nn.Linear`` default,
    ``kaiming_uniform_(a=sqrt(5))``, is ``kaiming_uniform(shape, a=5 ** 0.5, layout='torch')``:
    bound :math:`1/\sqrt{n}`, variance :math:`1/(3n)` — not He initialization.

    References
    ----------
    %(he_refs)s

    Examples
    --------
    >>> import initlab
    >>> w = initlab.kaiming_uniform((256, 512), nonlinearity="relu", rng=0)
    >>> round(float(w.var() * 256), 2)
    2.0
    """
    return _apply("kaiming_uniform", "kaiming_uniform", shape, dtype, rng, out, threads,
                  region, {"a": a, "mode": mode, "nonlinearity": nonlinearity, "gain": gain,
                           **_fan_params(layout, in_axis, out_axis, batch_axis, groups,
                                         transposed)})


@_doc
def kaiming_normal(shape: Shape, *, a: float = 0.0, mode: str = "fan_in", gain: str | None = None,
                   nonlinearity: str = "leaky_relu", layout: str = "in_out",
                   in_axis: Axes = None, out_axis: Axes = None, batch_axis: Axes = (),
                   groups: int = 1, transposed: bool = False, dtype: DTypeLike = np.float32,
                   rng: object = None, out: Array | None = None, threads: int | None = None,
                   region: RegionArg = None) -> Array:
    r"""He/Kaiming normal initializer: :math:`\mathcal{N}(0, g^2/n)`.

    Alias: ``he_normal``.

    Parameters
    ----------
    shape : tuple of int
        Shape of the tensor.
    a : float, default 0
        Negative slope of the leaky ReLU after this layer.
    mode : {'fan_in', 'fan_out', 'fan_avg', 'fan_geo_avg'}, default 'fan_in'
        ``'fan_in'`` preserves the forward signal, ``'fan_out'`` the backward one.
    gain : None or 'exact', default None
        ``None``: PyTorch's gain for its names (``calculate_gain(nonlinearity, a)``) and the
        exact forward gain for every other activation; ``'exact'``: the exact gain
        (:func:`gain`) for every activation, PyTorch's names included (1.5925 for tanh
        instead of 5/3).
    nonlinearity : str, default 'leaky_relu'
        Activation after this layer: PyTorch's names (``'relu'``, ``'leaky_relu'``,
        ``'tanh'``, ...) or any name of :func:`activation` (``'gelu'``, ``'silu'``, ...), for
        which PyTorch raises.
    %(fan_parameters)s
    %(common_parameters)s

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    See Also
    --------
    kaiming_uniform, calculate_gain, variance_scaling

    Notes
    -----
    .. math:: \sigma = \frac{g}{\sqrt{n}},\quad g = \sqrt{\frac{2}{1+a^2}}\ \text{(leaky\_relu)}.

    .. warning::
       Untruncated, as PyTorch's ``kaiming_normal_``. Keras' ``HeNormal`` and JAX's
       ``he_normal`` truncate at :math:`\pm 2\sigma'` with :math:`\sigma' = \sigma / 0.8796`.

    References
    ----------
    %(he_refs)s

    Examples
    --------
    >>> import initlab
    >>> w = initlab.kaiming_normal((64, 128, 3, 3), layout="torch", mode="fan_out",
    ...                            nonlinearity="relu", rng=0)
    >>> round(float(w.std()), 3), round((2 / (64 * 9)) ** 0.5, 3)
    (0.059, 0.059)
    """
    return _apply("kaiming_normal", "kaiming_normal", shape, dtype, rng, out, threads, region,
                  {"a": a, "mode": mode, "nonlinearity": nonlinearity, "gain": gain,
                   **_fan_params(layout, in_axis, out_axis, batch_axis, groups, transposed)})


@_doc
def lecun_uniform(shape: Shape, *, layout: str = "in_out", in_axis: Axes = None,
                  out_axis: Axes = None, batch_axis: Axes = (), groups: int = 1,
                  transposed: bool = False, dtype: DTypeLike = np.float32, rng: object = None,
                  out: Array | None = None, threads: int | None = None,
                  region: RegionArg = None) -> Array:
    r"""LeCun uniform initializer: :math:`U(-\sqrt{3/n_{in}}, \sqrt{3/n_{in}})`.

    Parameters
    ----------
    shape : tuple of int
        Shape of the tensor.
    %(fan_parameters)s
    %(common_parameters)s

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    See Also
    --------
    lecun_normal, variance_scaling

    Notes
    -----
    .. math:: \mathrm{Var}\,W = \frac{1}{n_{in}}.

    As Keras' ``LecunUniform`` and JAX's ``lecun_uniform``; PyTorch's equivalent is
    ``kaiming_uniform_(nonlinearity='linear')``.

    References
    ----------
    %(lecun_refs)s

    Examples
    --------
    >>> import initlab
    >>> w = initlab.lecun_uniform((400, 300), rng=0)
    >>> round(float(w.var() * 400), 2)
    1.0
    """
    return _apply("lecun_uniform", "lecun_uniform", shape, dtype, rng, out, threads, region,
                  _fan_params(layout, in_axis, out_axis, batch_axis, groups, transposed))


@_doc
def lecun_normal(shape: Shape, *, layout: str = "in_out", in_axis: Axes = None,
                 out_axis: Axes = None, batch_axis: Axes = (), groups: int = 1,
                 transposed: bool = False, dtype: DTypeLike = np.float32, rng: object = None,
                 out: Array | None = None, threads: int | None = None,
                 region: RegionArg = None) -> Array:
    r"""LeCun normal initializer: truncated normal with :math:`\mathrm{Var}\,W = 1/n_{in}`.

    The initialization of self-normalizing (SELU) networks.

    Parameters
    ----------
    shape : tuple of int
        Shape of the tensor.
    %(fan_parameters)s
    %(common_parameters)s

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    See Also
    --------
    lecun_uniform, variance_scaling

    Notes
    -----
    ``variance_scaling(scale=1, mode='fan_in', distribution='truncated_normal')``: truncated
    at :math:`\pm 2\sigma'`, :math:`\sigma' = n_{in}^{-1/2}/0.87962566103423978`, so that the
    variance is exactly :math:`1/n_{in}`. This is Keras' ``LecunNormal`` and JAX's
    ``lecun_normal`` (PyTorch has none; its ``kaiming_normal_(nonlinearity='linear')`` is
    the untruncated ``variance_scaling(distribution='normal')``).

    References
    ----------
    %(lecun_refs)s

    Examples
    --------
    >>> import initlab
    >>> w = initlab.lecun_normal((400, 300), rng=0)
    >>> round(float(w.var() * 400), 2)
    1.0
    """
    return _apply("lecun_normal", "lecun_normal", shape, dtype, rng, out, threads, region,
                  _fan_params(layout, in_axis, out_axis, batch_axis, groups, transposed))


# --------------------------------------------------------------------------------------------
# structured initializers


def _check_orthogonal(func: str, p: dict[str, Any]) -> dict[str, Any]:
    own, _ = _gain_or_exact(func, p, positive=False)
    return {**own, "layout": check_layout(func, p["layout"])}


def _matrix_dims(func: str, shape: tuple[int, ...], layout: str) -> tuple[int, int]:
    if len(shape) < 2:
        fail(func, "shape", shape, "use a shape with at least 2 dimensions",
             why=f"has {len(shape)} dimension{'s' if len(shape) != 1 else ''}")
    if layout == "out_in":
        return shape[0], math.prod(shape[1:])
    return math.prod(shape[:-1]), shape[-1]


def _haar_columns(c: Array) -> Array:
    """Orthonormal columns of a Haar-distributed matrix, from a C-ordered (k, m) Gaussian ``c``.

    Row ``i`` of ``c`` is column ``i`` of an (m, k) Gaussian matrix ``A`` (m >= k). Instead of
    factoring ``A`` (LAPACK ``geqrf``), the Householder reflector of column ``i`` is built
    directly from ``A[i:, i]``, as ``geqrf`` would build it from an i.i.d. Gaussian vector
    (Stewart 1980); ``orgqr`` then forms ``Q`` and the columns are multiplied by the signs of
    ``R``'s diagonal (Mezzadri 2007). Overwrites ``c``; returns an (m, k) Fortran-ordered array.
    """
    k = c.shape[0]
    tau = np.zeros(k, c.dtype)
    signs = np.ones(k, c.dtype)
    for i in range(k):
        column = c[i, i:]
        alpha, rest = float(column[0]), column[1:]
        xnorm = math.sqrt(float(np.dot(rest, rest))) if rest.size else 0.0
        if xnorm == 0.0:  # H = I, R_ii = alpha (LAPACK slarfg)
            signs[i] = -1.0 if alpha < 0 else 1.0
            continue
        beta = -math.copysign(math.hypot(alpha, xnorm), alpha)
        tau[i] = (beta - alpha) / beta
        rest *= 1.0 / (alpha - beta)
        signs[i] = 1.0 if beta > 0 else -1.0
    orgqr = scipy.linalg.lapack.dorgqr if c.dtype == np.float64 else scipy.linalg.lapack.sorgqr
    a = c.T  # (m, k), Fortran-ordered: no copy
    lwork = int(orgqr(a, tau, lwork=-1)[1][0])
    q, _, info = orgqr(a, tau, lwork=max(lwork, 1), overwrite_a=1)
    if info != 0:  # pragma: no cover - LAPACK argument error
        raise RuntimeError(f"orthogonal: LAPACK ?orgqr failed with info={info}")
    q *= signs
    return q


def _run_orthogonal(func: str, call: _Call, p: dict[str, Any]) -> Array:
    rows, cols = _matrix_dims(func, call.shape, p["layout"])
    _, gain = _gain_or_exact(func, p, positive=False)
    _check_representable(func, "gain", gain, abs(gain), call.dtype)
    result = call.new()
    if call.empty:
        return result
    work = _random.work_dtype(call.dtype)
    big, small = max(rows, cols), min(rows, cols)
    c = _random.generate(_random.Normal(0.0, 1.0), (small, big), work, call.key(),
                         threads=call.threads)
    q = _haar_columns(c)  # (big, small), orthonormal columns
    if gain != 1.0:
        q *= gain
    matrix = q.T if rows < cols else q
    np.copyto(result, matrix.reshape(call.shape), casting="same_kind")
    return result


_register("orthogonal", _check_orthogonal, _run_orthogonal, elementwise=False)


@_doc
def orthogonal(shape: Shape, *, gain: float | str = 1.0, nonlinearity: str | None = None,
               layout: str = "in_out",
               dtype: DTypeLike = np.float32, rng: object = None, out: Array | None = None,
               threads: int | None = None, region: RegionArg = None) -> Array:
    r"""(Semi-)orthogonal initializer, Haar-distributed, times ``gain``.

    Parameters
    ----------
    shape : tuple of int
        Shape of the tensor, at least 2-d. It is flattened to a matrix as PyTorch does for
        ``layout='out_in'`` (rows ``shape[0]``, columns the rest) and as Keras and JAX do for
        ``layout='in_out'`` (columns ``shape[-1]``, rows the rest).
    gain : float or 'exact', default 1
        Multiplies the matrix (every singular value equals ``abs(gain)``); ``'exact'`` takes
        the exact forward gain of ``nonlinearity`` (:func:`gain`).
    nonlinearity : str, optional
        Activation after this layer, used only with ``gain='exact'``.
    layout : {'in_out', 'out_in'} or alias, default 'in_out'
        How the tensor is flattened (see ``shape``).
    %(common_parameters)s
        ``region`` is not accepted: every value depends on the whole matrix.

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    See Also
    --------
    eye, dirac

    Notes
    -----
    With the flattened matrix :math:`r \times c`, :math:`Q` is the Q factor of a
    :math:`\max(r,c) \times \min(r,c)` matrix :math:`A` with i.i.d. :math:`\mathcal{N}(0,1)`
    entries, times :math:`\mathrm{diag}(\mathrm{sign}\,R_{ii})`, transposed if :math:`r < c`.
    The sign correction makes :math:`Q` Haar-distributed (Mezzadri 2007); without it LAPACK's
    Householder convention biases :math:`Q`. The factorization itself is not computed: the
    Householder vectors that LAPACK's ``geqrf`` would derive from :math:`A` are independent
    Gaussian vectors of lengths :math:`m, m-1, \ldots`, so they are drawn directly and only
    ``orgqr`` runs (Stewart 1980): half the flops of a QR, the same distribution. Then

    .. math:: W^\top W = g^2 I\ (r \ge c) \quad\text{or}\quad WW^\top = g^2 I\ (r < c),
              \qquad \mathbb{E}\,W_{ij}^2 = \frac{g^2}{\max(r, c)}\ \text{exactly}.

    LAPACK runs in float32 (SciPy's ``sorgqr``) for float16 and float32 results, then float16 is
    rounded: PyTorch, Keras and TensorFlow fail in half precision (pytorch/pytorch#9315).

    References
    ----------
    .. [1] A. M. Saxe, J. L. McClelland and S. Ganguli, "Exact solutions to the nonlinear
       dynamics of learning in deep linear neural networks", ICLR 2014, arXiv:1312.6120.
    .. [2] F. Mezzadri, "How to generate random matrices from the classical compact groups",
       Notices of the AMS 54(5), 2007, arXiv:math-ph/0609050.
    .. [3] G. W. Stewart, "The efficient generation of random orthogonal matrices with an
       application to condition estimators", SIAM J. Numer. Anal. 17(3), 403-409, 1980.

    Examples
    --------
    >>> import numpy as np, initlab
    >>> w = initlab.orthogonal((64, 32), rng=0)
    >>> bool(np.allclose(w.T @ w, np.eye(32), atol=1e-5))
    True
    """
    return _apply("orthogonal", "orthogonal", shape, dtype, rng, out, threads, region,
                  {"gain": gain, "nonlinearity": nonlinearity, "layout": layout})


def _check_eye(func: str, p: dict[str, Any]) -> dict[str, Any]:
    return {"gain": check_real(func, "gain", p["gain"])}


def _run_eye(func: str, call: _Call, p: dict[str, Any]) -> Array:
    if len(call.shape) != 2:
        fail(func, "shape", call.shape, "use a 2-d shape (see dirac for convolutions)",
             why=f"has {len(call.shape)} dimensions")
    gain = p["gain"]
    _check_representable(func, "gain", gain, abs(gain), call.dtype)
    result = call.new()
    if call.empty:
        return result
    result.fill(0)
    # the diagonal cells inside the region: rows and columns with the same index, found
    # among the region's row and column indices (O(n) work and memory, no dense mask)
    region = call.region or tuple(slice(0, d, 1) for d in call.shape)
    rows, cols = (np.atleast_1d(np.arange(r.start, r.stop, r.step) if isinstance(r, slice)
                                else np.asarray(r)) for r in region)
    _, at_row, at_col = np.intersect1d(rows, cols, assume_unique=True, return_indices=True)
    index = tuple(at for r, at in zip(region, (at_row, at_col), strict=True)
                  if isinstance(r, slice))
    if at_row.size:
        result[index] = gain
    return result


_register("eye", _check_eye, _run_eye, elementwise=True)


@_doc
def eye(shape: Shape, *, gain: float = 1.0, dtype: DTypeLike = np.float32, rng: object = None,
        out: Array | None = None, threads: int | None = None,
        region: RegionArg = None) -> Array:
    r"""Identity matrix times ``gain`` (2-d; rectangular shapes get ones on the diagonal).

    Preserves the identity of as many inputs as possible in a dense layer (PyTorch's
    ``eye_``, Keras' ``Identity``). Alias: ``identity``.

    Parameters
    ----------
    shape : tuple of int
        2-d shape.
    gain : float, default 1
        Value on the diagonal.
    %(common_parameters)s

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    See Also
    --------
    dirac, orthogonal

    Notes
    -----
    .. math:: W_{ij} = g\,\delta_{ij}.

    Symmetric in the layout: the transpose of an identity is an identity.

    References
    ----------
    .. [1] Q. V. Le, N. Jaitly and G. E. Hinton, "A Simple Way to Initialize Recurrent
       Networks of Rectified Linear Units", arXiv:1504.00941, 2015.

    Examples
    --------
    >>> import initlab
    >>> initlab.eye((2, 3))
    array([[1., 0., 0.],
           [0., 1., 0.]], dtype=float32)
    """
    return _apply("eye", "eye", shape, dtype, rng, out, threads, region, {"gain": gain})


def _check_dirac(func: str, p: dict[str, Any]) -> dict[str, Any]:
    return {"groups": check_int(func, "groups", p["groups"], minimum=1),
            "layout": check_layout(func, p["layout"])}


def _run_dirac(func: str, call: _Call, p: dict[str, Any]) -> Array:
    shape, groups, layout = call.shape, p["groups"], p["layout"]
    if len(shape) not in (3, 4, 5):
        fail(func, "shape", shape, "use a 3-, 4- or 5-d convolution kernel",
             why=f"has {len(shape)} dimensions")
    if layout == "out_in":
        n_out, n_in, kernel = shape[0], shape[1], shape[2:]
    else:
        n_out, n_in, kernel = shape[-1], shape[-2], shape[:-2]
    if n_out % groups:
        fail(func, "groups", groups, f"groups must divide the {n_out} output channels of "
             f"shape {shape}")
    result = call.new()
    if call.empty:
        return result
    full = np.zeros(shape, call.dtype)
    per_group = n_out // groups
    centre = tuple(k // 2 for k in kernel)
    d = np.arange(min(per_group, n_in))
    outs = (np.arange(groups)[:, None] * per_group + d[None, :]).ravel()
    ins = np.tile(d, groups)
    index = (outs, ins, *centre) if layout == "out_in" else (*centre, ins, outs)
    full[index] = 1
    np.copyto(result, full if call.region is None else full[call.region])
    return result


_register("dirac", _check_dirac, _run_dirac, elementwise=True)


@_doc
def dirac(shape: Shape, *, groups: int = 1, layout: str = "in_out",
          dtype: DTypeLike = np.float32, rng: object = None, out: Array | None = None,
          threads: int | None = None, region: RegionArg = None) -> Array:
    r"""Dirac delta for 3-, 4- and 5-d convolution kernels: an identity convolution.

    Output channel :math:`g\cdot m + d` copies input channel :math:`d` at the kernel's centre
    tap (index ``k // 2`` along every spatial axis), for :math:`d < \min(m, C_{in})` in each
    of the ``groups`` groups of :math:`m = C_{out}/\text{groups}` output channels. As
    PyTorch's ``dirac_``.

    Parameters
    ----------
    shape : tuple of int
        ``(out, in, *kernel)`` for ``layout='out_in'``, ``(*kernel, in, out)`` for
        ``'in_out'``.
    groups : int, default 1
        Number of groups; must divide the output channels.
    layout : {'in_out', 'out_in'} or alias, default 'in_out'
        Where the channel axes are.
    %(common_parameters)s

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
    .. math:: W[g m + d,\ d,\ \lfloor k/2 \rfloor] = 1,\ \text{all other entries } 0.

    For an even kernel size the "centre" is ``k // 2``, one past the middle, as in PyTorch.

    References
    ----------
    .. [1] S. Zagoruyko and N. Komodakis, "DiracNets: Training Very Deep Neural Networks
       Without Skip-Connections", arXiv:1706.00388, 2017.

    Examples
    --------
    >>> import initlab
    >>> w = initlab.dirac((2, 2, 3), layout="torch")
    >>> w[:, :, 1]
    array([[1., 0.],
           [0., 1.]], dtype=float32)
    """
    return _apply("dirac", "dirac", shape, dtype, rng, out, threads, region,
                  {"groups": groups, "layout": layout})


def _check_sparse(func: str, p: dict[str, Any]) -> dict[str, Any]:
    return {"sparsity": check_real(func, "sparsity", p["sparsity"], low=0.0, high=1.0),
            "std": check_real(func, "std", p["std"], nonnegative=True),
            "layout": check_layout(func, p["layout"])}


def sparse_zeros(sparsity: float, n: int) -> int:
    """Zeros per column: ``ceil(sparsity * n)``, free of float round-up (0.3 * 10 -> 3)."""
    return min(n, math.ceil(round(sparsity * n, 9)))


def _run_sparse(func: str, call: _Call, p: dict[str, Any]) -> Array:
    if len(call.shape) != 2:
        fail(func, "shape", call.shape, "use a 2-d shape",
             why=f"has {len(call.shape)} dimensions")
    std = p["std"]
    _check_representable(func, "std", std, _MAX_SIGMAS * std, call.dtype)
    result = call.new()
    if call.empty:
        return result
    key = call.key()
    direct = result.flags.c_contiguous
    values = result if direct else np.empty(call.shape, call.dtype)
    _random.generate(_random.Normal(0.0, std), call.shape, call.dtype, key, out=values,
                     threads=call.threads)
    # columns[j] are the outgoing weights of input unit j (PyTorch: a column of (out, in)).
    columns = values.T if p["layout"] == "out_in" else values
    n_in, n_out = columns.shape
    zeros_per = sparse_zeros(p["sparsity"], n_out)
    if zeros_per:
        gen = _random.aux_generator(key, 0)
        step = max(1, _random.CHUNK // n_out)
        for start in range(0, n_in, step):
            stop = min(n_in, start + step)
            keys = gen.random((stop - start) * n_out).reshape(stop - start, n_out)
            if zeros_per < n_out:
                picked = np.argpartition(keys, zeros_per - 1, axis=1)[:, :zeros_per]
                np.put_along_axis(columns[start:stop], picked, 0, axis=1)
            else:
                columns[start:stop] = 0
    if not direct:
        np.copyto(result, values)
    return result


_register("sparse", _check_sparse, _run_sparse, elementwise=False)


@_doc
def sparse(shape: Shape, *, sparsity: float, std: float = 0.01, layout: str = "in_out",
           dtype: DTypeLike = np.float32, rng: object = None, out: Array | None = None,
           threads: int | None = None, region: RegionArg = None) -> Array:
    r"""Sparse initializer: each input unit keeps a random subset of its outgoing weights.

    Each input unit (a column of PyTorch's ``(out, in)`` weight, a row of the ``(in, out)``
    layout) gets exactly :math:`\lceil s\, n_{out} \rceil` zeros at positions drawn uniformly
    without replacement; the other weights are :math:`\mathcal{N}(0, \text{std}^2)`.

    Parameters
    ----------
    shape : tuple of int
        2-d shape.
    sparsity : float
        Fraction of zeros per input unit, in [0, 1] (PyTorch's meaning; Lasagne's ``Sparse``
        takes the fraction of non-zeros).
    std : float, default 0.01
        Standard deviation of the non-zero weights.
    layout : {'in_out', 'out_in'} or alias, default 'in_out'
        Which axis indexes the input units.
    %(common_parameters)s
        ``region`` is not accepted: the zero pattern of a unit spans all its outputs.

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    See Also
    --------
    normal

    Notes
    -----
    .. math:: \mathrm{Var}\,W = \left(1 - \frac{z}{n_{out}}\right)\sigma^2,\quad
              z = \lceil s\,n_{out} \rceil,\quad
              \text{kurtosis} = \frac{3\,n_{out}}{n_{out} - z}.

    Differences from PyTorch's ``sparse_``: the zero mask is drawn from ``rng`` too (PyTorch's
    uses the global generator, pytorch/pytorch PR #196941), the mask is drawn for all columns
    at once (PyTorch loops over columns, pytorch/pytorch#6021), and :math:`z` is computed
    without floating round-up (PyTorch's ``ceil(0.3 * 10)`` is 4).

    References
    ----------
    .. [1] J. Martens, "Deep learning via Hessian-free optimization", ICML 2010.

    Examples
    --------
    >>> import initlab
    >>> w = initlab.sparse((100, 50), sparsity=0.9, rng=0)
    >>> sorted(set((w == 0).sum(axis=1).tolist()))
    [45]
    """
    return _apply("sparse", "sparse", shape, dtype, rng, out, threads, region,
                  {"sparsity": sparsity, "std": std, "layout": layout})


# --------------------------------------------------------------------------------------------
# aliases

glorot_uniform = xavier_uniform
glorot_normal = xavier_normal
he_uniform = kaiming_uniform
he_normal = kaiming_normal
identity = eye


# --------------------------------------------------------------------------------------------
# classes

_REQUIRED = inspect.Parameter.empty
_CALL_ARGS = ("dtype", "rng", "out", "threads", "region")


def _config_parameters(function: Callable[..., Any]) -> dict[str, Any]:
    """Configuration parameters of an initializer function and their defaults."""
    return {name: par.default for name, par in inspect.signature(function).parameters.items()
            if par.kind is inspect.Parameter.KEYWORD_ONLY and name not in _CALL_ARGS}


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


class Initializer:
    """Base class of the configurable initializers.

    An initializer object holds configuration only; randomness comes per call through
    ``rng``, so one object can be shared by many layers. Calling it with the same int seed
    repeats its values; calling it with one ``Generator`` gives fresh values each call.

    Call as ``init(shape, *, dtype=None, rng=None, out=None, threads=None, region=None)``;
    ``dtype=None`` means ``out.dtype`` when ``out`` is given, else float32.

    Notes
    -----
    ``get_config()`` returns the JSON-ready constructor arguments; ``from_config(c)`` is
    ``cls(**c)`` and validates again; ``repr()`` evaluates back to an equal object in the
    ``initlab`` namespace. The class attribute ``elementwise`` says whether a ``region=``
    (e.g. one shard of a sharded parameter) can be drawn alone: ``False`` for
    :class:`Orthogonal` and :class:`Sparse`, whose values depend on the whole tensor.

    References
    ----------
    .. [1] Keras, ``keras.initializers.Initializer`` (``get_config``/``from_config``).

    Examples
    --------
    >>> import initlab
    >>> init = initlab.HeNormal(mode="fan_out")
    >>> init((3, 4), rng=0).shape
    (3, 4)
    >>> initlab.get(initlab.serialize(init)) == init
    True
    """

    #: Whether every value is a function of the seed and its own index only, so that a
    #: ``region=`` (a shard) can be drawn without the rest of the tensor (False for
    #: orthogonal and sparse, whose values depend on the whole tensor).
    elementwise: ClassVar[bool] = True
    _name: ClassVar[str] = ""
    _function: ClassVar[Callable[..., Array]]
    _defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, **config: Any) -> None:
        cls = type(self)
        func = cls.__name__
        unknown = [k for k in config if k not in cls._defaults]
        if unknown:
            fail(func, unknown[0], config[unknown[0]], "use one of "
                 + ", ".join(cls._defaults) if cls._defaults else "it takes no arguments",
                 TypeError, why="is not a parameter")
        params = {**cls._defaults, **config}
        missing = [k for k, v in params.items() if v is _REQUIRED]
        if missing:
            raise TypeError(f"{func}: missing required argument {missing[0]!r}.")
        self._config = check_config(cls._name, func, params)

    def __call__(self, shape: Shape, *, dtype: DTypeLike | None = None, rng: object = None,
                 out: Array | None = None, threads: int | None = None,
                 region: RegionArg = None) -> Array:
        if dtype is None:
            dtype = out.dtype if isinstance(out, np.ndarray) else np.float32
        spec = _SPECS[type(self)._name]
        call = _prepare(type(self).__name__, spec, shape, dtype, rng, out, threads, region)
        return spec.run(type(self).__name__, call, self._config)

    def get_config(self) -> dict[str, Any]:
        """JSON-ready constructor arguments (tuples become lists)."""
        return {k: _jsonable(v) for k, v in self._config.items()}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Initializer:
        """Rebuild from :meth:`get_config`'s output (validated again)."""
        if not isinstance(config, Mapping):
            fail(cls.__name__, "config", config, "use a dict of constructor arguments",
                 TypeError)
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._config.items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other._config == self._config

    def __hash__(self) -> int:
        return hash((type(self).__name__, repr(self)))


_CLASSES: dict[str, type[Initializer]] = {}


def _make_class(cls_name: str, function: Callable[..., Array]) -> type[Initializer]:
    name = function.__name__
    defaults = _config_parameters(function)
    references = re.search(r"References\n    -+\n(.*?)\n\n    Examples", function.__doc__ or "",
                           re.S)
    signature = ", ".join(f"{k}={v!r}" if v is not _REQUIRED else k
                          for k, v in defaults.items())
    example_arg = "value=0.5" if name == "constant" else (
        "sparsity=0.5" if name == "sparse" else "")
    example_shape = "(2, 2, 3)" if name == "dirac" else "(4, 6)"
    doc = f"""Configurable, serializable form of :func:`{name}`.

    ``{cls_name}({signature})``

    Parameters
    ----------
    **config
        The configuration arguments of :func:`{name}` (everything after ``shape`` except
        ``dtype``, ``rng``, ``out``, ``threads`` and ``region``), validated on construction.

    Notes
    -----
    Calling the object as ``init(shape, dtype=None, rng=None, out=None, threads=None,
    region=None)`` returns ``{name}(shape, **config, ...)``; see :func:`{name}` for the
    formula. See :class:`Initializer` for serialization.

    References
    ----------
{references.group(1) if references else "    .. [1] See the function form."}

    Examples
    --------
    >>> import initlab
    >>> init = initlab.{cls_name}({example_arg})
    >>> init({example_shape}, rng=0).shape
    {eval(example_shape)}
    >>> initlab.{cls_name}.from_config(init.get_config()) == init
    True
    """
    cls = type(cls_name, (Initializer,), {
        "__doc__": doc, "_name": name, "_defaults": defaults,
        "elementwise": name not in ("orthogonal", "sparse"),
        "_function": staticmethod(function), "__module__": "initlab",
    })
    _CLASSES[cls_name] = cls
    return cls


Zeros = _make_class("Zeros", zeros)
Ones = _make_class("Ones", ones)
Constant = _make_class("Constant", constant)
Normal = _make_class("Normal", normal)
Uniform = _make_class("Uniform", uniform)
TruncatedNormal = _make_class("TruncatedNormal", truncated_normal)
VarianceScaling = _make_class("VarianceScaling", variance_scaling)
GlorotUniform = _make_class("GlorotUniform", xavier_uniform)
GlorotNormal = _make_class("GlorotNormal", xavier_normal)
HeUniform = _make_class("HeUniform", kaiming_uniform)
HeNormal = _make_class("HeNormal", kaiming_normal)
LecunUniform = _make_class("LecunUniform", lecun_uniform)
LecunNormal = _make_class("LecunNormal", lecun_normal)
Orthogonal = _make_class("Orthogonal", orthogonal)
Eye = _make_class("Eye", eye)
Dirac = _make_class("Dirac", dirac)
Sparse = _make_class("Sparse", sparse)
XavierUniform = GlorotUniform
XavierNormal = GlorotNormal
KaimingUniform = HeUniform
KaimingNormal = HeNormal
Identity = Eye

__all__ += [
    "Constant", "Dirac", "Eye", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform",
    "Identity", "KaimingNormal", "KaimingUniform", "LecunNormal", "LecunUniform", "Normal",
    "Ones", "Orthogonal", "Sparse", "TruncatedNormal", "Uniform", "VarianceScaling",
    "XavierNormal", "XavierUniform", "Zeros",
]


# --------------------------------------------------------------------------------------------
# lookup and serialization


def _squash(name: str) -> str:
    return name.replace("_", "").lower()


_BY_NAME: dict[str, type[Initializer]] = {}
for _cls in _CLASSES.values():
    _BY_NAME[_squash(_cls.__name__)] = _cls
    _BY_NAME[_squash(_cls._name)] = _cls
for _alias, _target in {
    "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal, "xavier_uniform":
    GlorotUniform, "xavier_normal": GlorotNormal, "he_uniform": HeUniform, "he_normal":
    HeNormal, "kaiming_uniform": HeUniform, "kaiming_normal": HeNormal, "identity": Eye,
    "random_normal": Normal, "random_uniform": Uniform,
}.items():
    _BY_NAME[_squash(_alias)] = _target
_FUNCTION_CLASS = {cls._function: cls for cls in _CLASSES.values()}


def _lookup(name: object) -> type[Initializer]:
    accepted = ("use an initializer name such as 'he_normal', 'xavier_uniform', "
                "'orthogonal' or a class name such as 'HeNormal' (see initlab.INITIALIZERS)")
    if not isinstance(name, str):
        fail("get", "identifier", name, accepted, TypeError)
    cls = _BY_NAME.get(_squash(name))
    if cls is None:
        fail("get", "identifier", name, accepted)
    return cls


#: Names accepted by :func:`get`, one per initializer (aliases and class names work too).
INITIALIZERS: tuple[str, ...] = tuple(cls._name for cls in _CLASSES.values())
__all__ += ["INITIALIZERS", "expected_moments"]


def get(identifier: object) -> Initializer | Callable[..., Array]:
    """Resolve a name, a config dict, an initializer object or a callable to an initializer.

    Parameters
    ----------
    identifier : str, dict, Initializer or callable
        - a name: ``'he_normal'``, ``'kaiming_normal'``, ``'HeNormal'``, ``'xavier_uniform'``
          ... (case and underscores are ignored); gives the class with its defaults;
        - a dict ``{'class_name': name, 'config': {...}}`` as :func:`serialize` returns;
        - an :class:`Initializer`, returned as is;
        - any other callable ``f(shape, *, dtype, rng, out)``, returned as is.

    Returns
    -------
    Initializer or callable

    Raises
    ------
    ValueError
        For an unknown name or an invalid config.
    TypeError
        For another type, or a dict without ``'class_name'``.

    See Also
    --------
    serialize

    Notes
    -----
    Names that need an argument (``'constant'``, ``'sparse'``) must come as a config dict.

    References
    ----------
    .. [1] Keras, ``keras.initializers.get``.

    Examples
    --------
    >>> import initlab
    >>> init = initlab.get("he_normal")
    >>> type(init).__name__, init.get_config()["nonlinearity"]
    ('HeNormal', 'leaky_relu')
    >>> initlab.get({"class_name": "Orthogonal", "config": {"gain": 2.0}})
    Orthogonal(gain=2.0, nonlinearity=None, layout='in_out')
    """
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str):
        return _lookup(identifier)()
    if isinstance(identifier, Mapping):
        if "class_name" not in identifier:
            fail("get", "identifier", identifier, "a config dict needs a 'class_name' key "
                 "(and optionally 'config'), as serialize() returns", TypeError)
        extra = set(identifier) - {"class_name", "config", "module"}
        if extra:
            fail("get", "identifier", identifier, "use only the keys 'class_name' and "
                 "'config'")
        return _lookup(identifier["class_name"]).from_config(identifier.get("config", {}))
    if callable(identifier):
        return identifier
    fail("get", "identifier", identifier, "use a name, a config dict, an Initializer or a "
         "callable", TypeError)


def serialize(initializer: object) -> dict[str, Any]:
    """The JSON-ready dict ``{'class_name': ..., 'config': {...}}`` of an initializer.

    Parameters
    ----------
    initializer : Initializer or initlab function
        An initializer object, or one of initlab's initializer functions (serialized with
        its defaults).

    Returns
    -------
    dict

    Raises
    ------
    TypeError
        For anything else (an arbitrary callable has no configuration to save).

    See Also
    --------
    get

    Notes
    -----
    ``get(serialize(x)) == x`` and ``json.loads(json.dumps(serialize(x)))`` round-trips.

    References
    ----------
    .. [1] Keras, ``keras.initializers.serialize``.

    Examples
    --------
    >>> import initlab
    >>> initlab.serialize(initlab.Orthogonal(gain=2.0))
    {'class_name': 'Orthogonal', 'config': {'gain': 2.0, 'nonlinearity': None, 'layout': 'in_out'}}
    """
    if callable(initializer) and initializer in _FUNCTION_CLASS:
        try:
            initializer = _FUNCTION_CLASS[initializer]()
        except TypeError:
            fail("serialize", "initializer", initializer, "a function with a required "
                 "argument cannot be serialized bare; use its class, e.g. "
                 "initlab.Constant(value=1.0)", TypeError)
    if not isinstance(initializer, Initializer):
        fail("serialize", "initializer", initializer, "use an initlab.Initializer object or "
             "an initlab initializer function", TypeError)
    return {"class_name": type(initializer).__name__, "config": initializer.get_config()}


def _truncnorm_moments(mean: float, std: float, a: float, b: float) -> tuple[float, float]:
    """Mean and second moment of N(mean, std^2) truncated to [mean+a*std, mean+b*std]."""
    from scipy import stats

    m, v = float(stats.truncnorm.mean(a, b)), float(stats.truncnorm.var(a, b))
    mu = mean + std * m
    return mu, std * std * v + mu * mu


def expected_moments(identifier: object, shape: Shape) -> tuple[float, float]:
    r"""Exact mean and second moment of one element of an initializer's output.

    Parameters
    ----------
    identifier : str, dict or Initializer
        Anything :func:`get` accepts except arbitrary callables.
    shape : tuple of int
        Shape of the tensor (the fans depend on it).

    Returns
    -------
    (float, float)
        :math:`\mathbb{E}\,W_{ij}` and :math:`\mathbb{E}\,W_{ij}^2`, averaged over the
        elements for the structured initializers (eye, dirac, sparse, orthogonal).

    Raises
    ------
    TypeError
        For a callable that is not an initlab initializer.
    ValueError
        For an invalid shape for that initializer, or a tensor with no elements.

    Notes
    -----
    These are the targets of the statistical tests and the weight variances used by the
    mean-field predictions (:math:`\sigma_w^2 = n_{in}\,\mathbb{E}W^2` for zero-mean weights).
    For orthogonal matrices the second moment is deterministic:
    :math:`g^2/\max(r, c)`.

    References
    ----------
    .. [1] A. M. Saxe, J. L. McClelland and S. Ganguli, "Exact solutions to the nonlinear
       dynamics of learning in deep linear neural networks", ICLR 2014, arXiv:1312.6120.

    Examples
    --------
    >>> import initlab
    >>> initlab.expected_moments("he_normal", (256, 128))
    (0.0, 0.0078125)
    >>> initlab.expected_moments(initlab.Uniform(low=0, high=1), (3, 3))
    (0.5, 0.3333333333333333)
    """
    func = "expected_moments"
    init = get(identifier)
    if not isinstance(init, Initializer):
        fail(func, "identifier", identifier, "use a name, a config dict or an Initializer "
             "(a plain callable has no known moments)", TypeError)
    dims = check_shape(func, shape)
    size = math.prod(dims)
    if size == 0:
        fail(func, "shape", shape, "use a shape with at least one element",
             why="has no elements")
    name, p = type(init)._name, init._config
    if name in ("zeros", "ones", "constant"):
        v = {"zeros": 0.0, "ones": 1.0}.get(name, p.get("value", 0.0))
        return v, v * v
    if name == "normal":
        return p["mean"], p["mean"] ** 2 + p["std"] ** 2
    if name == "uniform":
        low, high = p["low"], p["high"]
        return (low + high) / 2, (low * low + low * high + high * high) / 3
    if name == "truncated_normal":
        return _truncnorm_moments(p["mean"], p["std"], p["lower"], p["upper"])
    if name in ("orthogonal", "eye", "dirac", "sparse"):
        probe = init(dims, dtype=np.float64, rng=0)
        if name == "orthogonal":
            rows, cols = _matrix_dims(func, dims, p["layout"])
            return 0.0, _gain_or_exact(func, p, positive=False)[1] ** 2 / max(rows, cols)
        if name == "sparse":
            n_out = dims[0] if p["layout"] == "out_in" else dims[1]
            return 0.0, (1 - sparse_zeros(p["sparsity"], n_out) / n_out) * p["std"] ** 2
        return float(probe.mean()), float(np.mean(probe * probe))
    # variance scaling and its specializations
    cfg = dict(p)
    if name != "variance_scaling":
        own, gain = _named_gain(name)(func, cfg)
        cfg = {"scale": gain * gain, "mode": own.get("mode", _NAMED_MODE[name]), **cfg}
    fans = fans_for(func, dims, FanSpec(*(cfg[k] for k in _FAN_KEYS)))
    return 0.0, cfg["scale"] / _fan_value(fans, cfg["mode"])
