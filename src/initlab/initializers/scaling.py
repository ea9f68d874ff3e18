"""Variance scaling and its named forms: xavier (glorot), kaiming (he), lecun."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache

import numpy as np
from numpy.typing import DTypeLike

from .. import _blocks as blocks
from .._validate import check_choice, check_real, fail
from ..fans import FanSpec, check_fan_args, fans_for
from ..gains import resolve_gain
from ._core import (
    MAX_SIGMAS,
    Array,
    Axes,
    Call,
    Config,
    F,
    RegionArg,
    Shape,
    apply,
    declare,
    doc,
    doc_with,
    exact,
    gain_or_exact,
    is_exact,
    sampled,
)
from .distributions import TRUNCATED_NORMAL_STD
from .objects import initializer_class

__all__ = [
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "KaimingNormal",
    "KaimingUniform",
    "LecunNormal",
    "LecunUniform",
    "VarianceScaling",
    "XavierNormal",
    "XavierUniform",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "kaiming_normal",
    "kaiming_uniform",
    "lecun_normal",
    "lecun_uniform",
    "variance_scaling",
    "xavier_normal",
    "xavier_uniform",
]

_MODES = ("fan_in", "fan_out", "fan_avg", "fan_geo_avg")
_DISTRIBUTIONS = ("truncated_normal", "normal", "uniform")
_DIST_ALIASES = {"untruncated_normal": "normal"}



_FAN_KEYS = ("layout", "in_axis", "out_axis", "batch_axis", "groups", "transposed", "fans")
#: Added after the first release: out of repr() and get_config() while at its default.
_QUIET = ("fans",)


def _check_fans(func: str, p: Config) -> Config:
    return check_fan_args(func, *(p[k] for k in _FAN_KEYS))._asdict()


def _check_vs(func: str, p: Config) -> Config:
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


def _run_vs(func: str, call: Call, p: Config) -> Array:
    fans = _fans_cached(func, call.shape, FanSpec(*(p[k] for k in _FAN_KEYS)))
    if call.empty:
        return call.new()
    var = p["scale"] / _fan_value(fans, p["mode"])
    sampler: blocks.Sampler
    if p["distribution"] == "uniform":
        limit = math.sqrt(3.0 * var)
        sampler, reach = blocks.Uniform(-limit, limit), limit
    elif p["distribution"] == "normal":
        std = math.sqrt(var)
        sampler, reach = blocks.Normal(0.0, std), MAX_SIGMAS * std
    else:
        std = math.sqrt(var) / TRUNCATED_NORMAL_STD
        sampler = blocks.TruncatedNormal(0.0, std, -2.0, 2.0, call.dtype)
        reach = 2.0 * std
    return sampled(func, call, sampler, reach, "scale", p["scale"])


def _vs_moments(func: str, p: Config, shape: tuple[int, ...]) -> tuple[float, float]:
    fans = fans_for(func, shape, FanSpec(*(p[k] for k in _FAN_KEYS)))
    return 0.0, p["scale"] / _fan_value(fans, p["mode"])


@declare(check=_check_vs, run=_run_vs, elementwise=True, class_name="VarianceScaling",
         moments=_vs_moments, summary="Var = scale / fan, the core of the next six",
         quiet=_QUIET)
@doc
def variance_scaling(shape: Shape, *, scale: float = 1.0, mode: str = "fan_in",
                     distribution: str = "truncated_normal", layout: str = "in_out",
                     in_axis: Axes = None, out_axis: Axes = None, batch_axis: Axes = (),
                     groups: int = 1, transposed: bool = False, fans: str = "exact",
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
    return apply(variance_scaling, shape, dtype, rng, out, threads,
                 region, {"scale": scale, "mode": mode, "distribution": distribution,
                          "layout": layout, "in_axis": in_axis, "out_axis": out_axis,
                          "batch_axis": batch_axis, "groups": groups,
                          "transposed": transposed, "fans": fans})


def _fan_params(layout: object, in_axis: object, out_axis: object, batch_axis: object,
                groups: object, transposed: object, fans: object) -> Config:
    return {"layout": layout, "in_axis": in_axis, "out_axis": out_axis,
            "batch_axis": batch_axis, "groups": groups, "transposed": transposed, "fans": fans}


GainOf = Callable[[str, Config], tuple[Config, float]]


class _Named:
    """A named specialization of :func:`variance_scaling`: its distribution, its default mode
    and ``gain_of``, which validates its own parameters and returns their gain."""

    def __init__(self, distribution: str, mode: str | None, gain_of: GainOf) -> None:
        self.distribution, self.mode, self.gain_of = distribution, mode, gain_of

    def vs(self, func: str, p: Config) -> Config:
        own, gain = self.gain_of(func, p)  # p is validated: cheap, and cached
        return {"scale": gain * gain, "mode": own.get("mode", self.mode),
                "distribution": self.distribution, **{k: p[k] for k in _FAN_KEYS}}

    def check(self, func: str, p: Config) -> Config:
        own, _ = self.gain_of(func, p)
        return {**own, **_check_fans(func, p)}

    def run(self, func: str, call: Call, p: Config) -> Array:
        return _run_vs(func, call, self.vs(func, p))

    def moments(self, func: str, p: Config, shape: tuple[int, ...]) -> tuple[float, float]:
        return _vs_moments(func, self.vs(func, p), shape)


def _declare_named(distribution: str, mode: str | None, gain_of: GainOf, *, class_name: str,
                   aliases: tuple[str, ...] = (), summary: str = "") -> Callable[[F], F]:
    named = _Named(distribution, mode, gain_of)
    return declare(check=named.check, run=named.run, moments=named.moments, elementwise=True,
                   class_name=class_name, aliases=aliases, summary=summary, quiet=_QUIET)


def _xavier_gain(func: str, p: Config) -> tuple[Config, float]:
    return gain_or_exact(func, p, positive=True)


def _kaiming_gain(func: str, p: Config) -> tuple[Config, float]:
    a = check_real(func, "a", p["a"])
    mode = check_choice(func, "mode", p["mode"], _MODES)
    gain, nonlinearity = p["gain"], p["nonlinearity"]
    if gain is None:
        nonlinearity, value = _resolved_gain(func, nonlinearity, a)
    elif is_exact(gain):
        nonlinearity, value = exact(func, nonlinearity, a)
    elif isinstance(gain, str):
        fail(func, "gain", gain, "use None (the gain of nonlinearity: PyTorch's table for its "
             "names, the exact gain for other activations), 'exact' (the exact gain for every "
             "activation) or a number > 0")
    else:
        value = gain = check_real(func, "gain", gain, positive=True)
        if type(nonlinearity) is not str or nonlinearity != _KAIMING_DEFAULT:
            fail(func, "nonlinearity", nonlinearity, "leave it at its default with a numeric "
                 "gain, or pass gain=None (the gain of nonlinearity) or gain='exact'",
                 why="is not used with a numeric gain")
        if a != 0.0:
            fail(func, "a", p["a"], "leave it at 0 with a numeric gain, or pass gain=None "
                 "(the gain of leaky_relu with slope a)", why="is not used with a numeric gain")
    return {"a": a, "mode": mode, "nonlinearity": nonlinearity, "gain": gain}, value


def _resolved_gain(func: str, nonlinearity: object, a: float) -> tuple[str, float]:
    if type(nonlinearity) is str:
        return _resolved_gain_cached(func, nonlinearity, a)
    return resolve_gain(func, nonlinearity, a)


@lru_cache(maxsize=256)
def _resolved_gain_cached(func: str, nonlinearity: str, a: float) -> tuple[str, float]:
    return resolve_gain(func, nonlinearity, a)


def _lecun_gain(func: str, p: Config) -> tuple[Config, float]:
    return {}, 1.0


_KAIMING_DEFAULT = "leaky_relu"
_XAVIER_REFS = """.. [1] X. Glorot and Y. Bengio, "Understanding the difficulty of training deep
       feedforward neural networks", AISTATS 2010, eqs. 12 and 16."""
_HE_REFS = """.. [1] K. He, X. Zhang, S. Ren and J. Sun, "Delving Deep into Rectifiers: Surpassing
       Human-Level Performance on ImageNet Classification", ICCV 2015, arXiv:1502.01852,
       eqs. 10 and 14."""
_LECUN_REFS = """.. [1] Y. LeCun, L. Bottou, G. B. Orr and K.-R. Müller, "Efficient BackProp", in
       Neural Networks: Tricks of the Trade, Springer 1998.
    .. [2] G. Klambauer, T. Unterthiner, A. Mayr and S. Hochreiter, "Self-Normalizing Neural
       Networks", NeurIPS 2017, arXiv:1706.02515."""
_KAIMING_PARAMETERS = """a : float, default 0
        Negative slope of the leaky ReLU after this layer (used when
        ``nonlinearity='leaky_relu'``).
    mode : {'fan_in', 'fan_out', 'fan_avg', 'fan_geo_avg'}, default 'fan_in'
        ``'fan_in'`` preserves the forward signal, ``'fan_out'`` the backward one.
    gain : None, float or 'exact', default None
        ``None``: PyTorch's gain for its names (``calculate_gain(nonlinearity, a)``) and the
        exact forward gain for every other activation; a number > 0: that gain (then
        ``nonlinearity`` and ``a`` stay at their defaults); ``'exact'``: the exact gain
        (:func:`gain`) for every activation, PyTorch's names included (1.5925 for tanh
        instead of 5/3).
    nonlinearity : str, default 'leaky_relu'
        Activation after this layer: PyTorch's names (``'relu'``, ``'leaky_relu'``,
        ``'tanh'``, ...) or any name of :func:`activation` (``'gelu'``, ``'silu'``, ...), for
        which PyTorch raises."""
_doc_refs = doc_with(xavier_refs=_XAVIER_REFS, he_refs=_HE_REFS, lecun_refs=_LECUN_REFS,
                     kaiming_parameters=_KAIMING_PARAMETERS)


@_declare_named("uniform", "fan_avg", _xavier_gain, class_name="GlorotUniform",
                aliases=("glorot_uniform",), summary="U(±a), Var = 2g²/(fan_in + fan_out)")
@_doc_refs
def xavier_uniform(shape: Shape, *, gain: float | str = 1.0, nonlinearity: str | None = None,
                   layout: str = "in_out",
                   in_axis: Axes = None, out_axis: Axes = None, batch_axis: Axes = (),
                   groups: int = 1, transposed: bool = False, fans: str = "exact",
                   dtype: DTypeLike = np.float32,
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
    return apply(xavier_uniform, shape, dtype, rng, out, threads, region,
                 {"gain": gain, "nonlinearity": nonlinearity,
                  **_fan_params(layout, in_axis, out_axis, batch_axis, groups, transposed, fans)})


@_declare_named("normal", "fan_avg", _xavier_gain, class_name="GlorotNormal",
                aliases=("glorot_normal",), summary="N(0, 2g²/(fan_in + fan_out))")
@_doc_refs
def xavier_normal(shape: Shape, *, gain: float | str = 1.0, nonlinearity: str | None = None,
                   layout: str = "in_out",
                  in_axis: Axes = None, out_axis: Axes = None, batch_axis: Axes = (),
                  groups: int = 1, transposed: bool = False, fans: str = "exact",
                  dtype: DTypeLike = np.float32,
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
    return apply(xavier_normal, shape, dtype, rng, out, threads, region,
                 {"gain": gain, "nonlinearity": nonlinearity,
                  **_fan_params(layout, in_axis, out_axis, batch_axis, groups, transposed, fans)})


@_declare_named("uniform", None, _kaiming_gain, class_name="HeUniform",
                aliases=("he_uniform",), summary="U(±b), Var = g²/fan")
@_doc_refs
def kaiming_uniform(shape: Shape, *, a: float = 0.0, mode: str = "fan_in",
                    gain: float | str | None = None, nonlinearity: str = "leaky_relu",
                    layout: str = "in_out",
                    in_axis: Axes = None, out_axis: Axes = None, batch_axis: Axes = (),
                    groups: int = 1, transposed: bool = False, fans: str = "exact",
                    dtype: DTypeLike = np.float32,
                    rng: object = None, out: Array | None = None, threads: int | None = None,
                    region: RegionArg = None) -> Array:
    r"""He/Kaiming uniform initializer: :math:`U(-b, b)`, :math:`b = g\sqrt{3/n}`.

    Keeps the second moment of ReLU-network pre-activations constant through depth. Alias:
    ``he_uniform``.

    Parameters
    ----------
    shape : tuple of int
        Shape of the tensor.
    %(kaiming_parameters)s
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
    return apply(kaiming_uniform, shape, dtype, rng, out, threads,
                 region, {"a": a, "mode": mode, "nonlinearity": nonlinearity, "gain": gain,
                          **_fan_params(layout, in_axis, out_axis, batch_axis, groups,
                                        transposed, fans)})


@_declare_named("normal", None, _kaiming_gain, class_name="HeNormal",
                aliases=("he_normal",), summary="N(0, g²/fan)")
@_doc_refs
def kaiming_normal(shape: Shape, *, a: float = 0.0, mode: str = "fan_in",
                   gain: float | str | None = None, nonlinearity: str = "leaky_relu",
                   layout: str = "in_out",
                   in_axis: Axes = None, out_axis: Axes = None, batch_axis: Axes = (),
                   groups: int = 1, transposed: bool = False, fans: str = "exact",
                   dtype: DTypeLike = np.float32,
                   rng: object = None, out: Array | None = None, threads: int | None = None,
                   region: RegionArg = None) -> Array:
    r"""He/Kaiming normal initializer: :math:`\mathcal{N}(0, g^2/n)`.

    Alias: ``he_normal``.

    Parameters
    ----------
    shape : tuple of int
        Shape of the tensor.
    %(kaiming_parameters)s
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
    >>> w = initlab.kaiming_normal((256, 128), gain=1.3, rng=0)  # std = 1.3 / sqrt(256)
    >>> round(float(w.std()), 3), round(1.3 / 256 ** 0.5, 3)
    (0.081, 0.081)
    """
    return apply(kaiming_normal, shape, dtype, rng, out, threads, region,
                 {"a": a, "mode": mode, "nonlinearity": nonlinearity, "gain": gain,
                  **_fan_params(layout, in_axis, out_axis, batch_axis, groups, transposed, fans)})


@_declare_named("uniform", "fan_in", _lecun_gain, class_name="LecunUniform",
                summary="U(±√(3/fan_in)), Var = 1/fan_in")
@_doc_refs
def lecun_uniform(shape: Shape, *, layout: str = "in_out", in_axis: Axes = None,
                  out_axis: Axes = None, batch_axis: Axes = (), groups: int = 1,
                  transposed: bool = False, fans: str = "exact",
                  dtype: DTypeLike = np.float32, rng: object = None,
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
    return apply(lecun_uniform, shape, dtype, rng, out, threads, region,
                 _fan_params(layout, in_axis, out_axis, batch_axis, groups, transposed, fans))


@_declare_named("truncated_normal", "fan_in", _lecun_gain, class_name="LecunNormal",
                summary="truncated normal, Var = 1/fan_in")
@_doc_refs
def lecun_normal(shape: Shape, *, layout: str = "in_out", in_axis: Axes = None,
                 out_axis: Axes = None, batch_axis: Axes = (), groups: int = 1,
                 transposed: bool = False, fans: str = "exact",
                 dtype: DTypeLike = np.float32, rng: object = None,
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
    return apply(lecun_normal, shape, dtype, rng, out, threads, region,
                 _fan_params(layout, in_axis, out_axis, batch_axis, groups, transposed, fans))


glorot_uniform = xavier_uniform
glorot_normal = xavier_normal
he_uniform = kaiming_uniform
he_normal = kaiming_normal

VarianceScaling = initializer_class(variance_scaling)
GlorotUniform = initializer_class(xavier_uniform)
GlorotNormal = initializer_class(xavier_normal)
HeUniform = initializer_class(kaiming_uniform)
HeNormal = initializer_class(kaiming_normal)
LecunUniform = initializer_class(lecun_uniform)
LecunNormal = initializer_class(lecun_normal)
XavierUniform = GlorotUniform
XavierNormal = GlorotNormal
KaimingUniform = HeUniform
KaimingNormal = HeNormal
