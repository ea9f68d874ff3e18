r"""Activation functions with exact first and second derivatives.

Shared by the MLP engine (forward and backward passes) and by the exact-gain and mean-field
computations (Gaussian expectations of :math:`\phi`, :math:`\phi'` and :math:`\phi''`). Every
function is vectorized, keeps the input's floating dtype and does not warn on large inputs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import special

from ._validate import check_real, fail, is_real

__all__ = ["ACTIVATIONS", "ALIASES", "Activation", "activation"]

Array = NDArray[Any]
Fn = Callable[[Array], Array]

#: SELU constants (Klambauer et al. 2017), to the precision of PyTorch's implementation.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT2PI = 1.0 / math.sqrt(2.0 * math.pi)


@dataclass(frozen=True)
class Activation:
    r"""An activation :math:`\phi` with its derivatives.

    Parameters
    ----------
    name : str
        Name (``'custom'`` for user functions).
    f, df : callable
        :math:`\phi` and :math:`\phi'`, vectorized over NumPy arrays.
    d2f : callable, optional
        :math:`\phi''` where it exists almost everywhere (used for the depth scale
        :math:`\xi_q`); ``None`` if unknown.
    df_from_output : callable, optional
        :math:`\phi'` written as a function of :math:`h = \phi(z)` when that is possible (tanh:
        :math:`1 - h^2`), so a backward pass need not keep :math:`z`.
    params : dict
        Parameters such as ``{'slope': 0.01}``.
    kinks : tuple of float
        Points where :math:`\phi'` or :math:`\phi''` jumps (quadrature splits there).
    bounds : (float, float)
        Infimum and supremum of :math:`\phi` (``-inf``/``inf`` if unbounded).

    Notes
    -----
    ``bounded`` is true when both bounds are finite (tanh, sigmoid); only then does a
    "saturated" fraction make sense.

    References
    ----------
    .. [1] D.-A. Clevert, T. Unterthiner and S. Hochreiter, "Fast and Accurate Deep Network
       Learning by Exponential Linear Units (ELUs)", ICLR 2016, arXiv:1511.07289.
    .. [2] G. Klambauer, T. Unterthiner, A. Mayr and S. Hochreiter, "Self-Normalizing Neural
       Networks", NeurIPS 2017, arXiv:1706.02515.
    .. [3] D. Hendrycks and K. Gimpel, "Gaussian Error Linear Units (GELUs)",
       arXiv:1606.08415, 2016.
    .. [4] P. Ramachandran, B. Zoph and Q. V. Le, "Searching for Activation Functions",
       arXiv:1710.05941, 2017 (SiLU/swish).
    .. [5] D. Misra, "Mish: A Self Regularized Non-Monotonic Activation Function", BMVC 2020,
       arXiv:1908.08681.

    Examples
    --------
    >>> import numpy as np, initlab
    >>> act = initlab.activation("tanh")
    >>> act.f(np.array([0.0, 1.0])).round(4)
    array([0.    , 0.7616])
    >>> act.df(np.array([0.0])), act.bounded
    (array([1.]), True)
    """

    name: str
    f: Fn
    df: Fn
    d2f: Fn | None = None
    df_from_output: Fn | None = None
    params: Mapping[str, float] = field(default_factory=dict)
    kinks: tuple[float, ...] = ()
    bounds: tuple[float, float] = (-math.inf, math.inf)

    @property
    def bounded(self) -> bool:
        """True when :math:`\\phi` has finite lower and upper bounds."""
        return math.isfinite(self.bounds[0]) and math.isfinite(self.bounds[1])

    @property
    def spec(self) -> str:
        """A string that :func:`activation` parses back, e.g. ``'leaky_relu(slope=0.2)'``."""
        if not self.params:
            return self.name
        inner = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{self.name}({inner})"

    def __call__(self, x: Array) -> Array:
        return self.f(x)

    def __repr__(self) -> str:
        return f"activation({self.spec!r})"


def _linear() -> Activation:
    return Activation(
        "linear",
        f=lambda x: np.array(x, copy=True),
        df=np.ones_like,
        d2f=np.zeros_like,
        df_from_output=np.ones_like,
    )


def _tanh() -> Activation:
    def df(x: Array) -> Array:
        t = np.tanh(x)
        return 1 - t * t

    def d2f(x: Array) -> Array:
        t = np.tanh(x)
        return -2 * t * (1 - t * t)

    return Activation("tanh", f=np.tanh, df=df, d2f=d2f, df_from_output=lambda h: 1 - h * h,
                      bounds=(-1.0, 1.0))


def _sigmoid() -> Activation:
    def df(x: Array) -> Array:
        s = special.expit(x)
        return s * (1 - s)

    def d2f(x: Array) -> Array:
        s = special.expit(x)
        return s * (1 - s) * (1 - 2 * s)

    return Activation("sigmoid", f=special.expit, df=df, d2f=d2f,
                      df_from_output=lambda h: h * (1 - h), bounds=(0.0, 1.0))


def _relu() -> Activation:
    return Activation(
        "relu",
        f=lambda x: np.maximum(x, 0),
        df=lambda x: (x > 0).astype(np.result_type(x, np.float16)),
        d2f=np.zeros_like,
        df_from_output=lambda h: (h > 0).astype(h.dtype),
        kinks=(0.0,),
        bounds=(0.0, math.inf),
    )


def _leaky_relu(slope: float) -> Activation:
    def f(x: Array) -> Array:
        return np.where(x > 0, x, slope * x)

    def df(x: Array) -> Array:
        one = np.ones_like(x)
        return np.where(x > 0, one, slope * one)

    def df_h(h: Array) -> Array:
        one = np.ones_like(h)
        return np.where(h > 0, one, slope * one)

    return Activation("leaky_relu", f=f, df=df, d2f=np.zeros_like,
                      df_from_output=df_h if slope > 0 else None,
                      params={"slope": slope}, kinks=(0.0,))


def _elu_like(name: str, alpha: float, scale: float, params: dict[str, float]) -> Activation:
    def f(x: Array) -> Array:
        return scale * np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))

    def df(x: Array) -> Array:
        return scale * np.where(x > 0, np.ones_like(x), alpha * np.exp(np.minimum(x, 0)))

    def d2f(x: Array) -> Array:
        return scale * np.where(x > 0, np.zeros_like(x), alpha * np.exp(np.minimum(x, 0)))

    def df_h(h: Array) -> Array:
        return np.where(h > 0, scale * np.ones_like(h), h + scale * alpha)

    return Activation(name, f=f, df=df, d2f=d2f, df_from_output=df_h if alpha > 0 else None,
                      params=params, kinks=(0.0,), bounds=(-scale * alpha, math.inf))


def _gelu() -> Activation:
    def f(x: Array) -> Array:
        return 0.5 * x * (1 + special.erf(x * _INV_SQRT2))

    def pdf(x: Array) -> Array:
        return _INV_SQRT2PI * np.exp(-0.5 * np.minimum(x * x, 1e4))

    def df(x: Array) -> Array:
        return 0.5 * (1 + special.erf(x * _INV_SQRT2)) + x * pdf(x)

    def d2f(x: Array) -> Array:
        return pdf(x) * (2 - x * x)

    return Activation("gelu", f=f, df=df, d2f=d2f, bounds=(-0.16997120747990369, math.inf))


def _silu() -> Activation:
    def df(x: Array) -> Array:
        s = special.expit(x)
        return s * (1 + x * (1 - s))

    def d2f(x: Array) -> Array:
        s = special.expit(x)
        return s * (1 - s) * (2 + x * (1 - 2 * s))

    return Activation("silu", f=lambda x: x * special.expit(x), df=df, d2f=d2f,
                      bounds=(-0.27846454276107374, math.inf))


def _softplus() -> Activation:
    def d2f(x: Array) -> Array:
        s = special.expit(x)
        return s * (1 - s)

    return Activation("softplus", f=lambda x: np.logaddexp(np.zeros_like(x), x),
                      df=special.expit, d2f=d2f, df_from_output=lambda h: -np.expm1(-h),
                      bounds=(0.0, math.inf))


def _mish() -> Activation:
    def parts(x: Array) -> tuple[Array, Array]:
        t = np.tanh(np.logaddexp(np.zeros_like(x), x))
        return t, special.expit(x)

    def df(x: Array) -> Array:
        t, s = parts(x)
        return t + x * (1 - t * t) * s

    def d2f(x: Array) -> Array:
        t, s = parts(x)
        return (1 - t * t) * s * (2 + x * ((1 - s) - 2 * t * s))

    return Activation("mish", f=lambda x: x * parts(x)[0], df=df, d2f=d2f,
                      bounds=(-0.30884341301725043, math.inf))


#: Built-in activation names and their parameters with defaults.
ACTIVATIONS: dict[str, dict[str, float]] = {
    "linear": {},
    "tanh": {},
    "sigmoid": {},
    "relu": {},
    "leaky_relu": {"slope": 0.01},
    "elu": {"alpha": 1.0},
    "selu": {},
    "gelu": {},
    "silu": {},
    "softplus": {},
    "mish": {},
}

#: Other names :func:`activation` accepts, and the activation each one means.
ALIASES: dict[str, str] = {"identity": "linear", "swish": "silu", "gelu_erf": "gelu"}

_SPEC_RE = re.compile(r"^\s*([a-z_]+)\s*(?:\((.*)\))?\s*$")


def _build(name: str, params: dict[str, float]) -> Activation:
    if name == "linear":
        return _linear()
    if name == "tanh":
        return _tanh()
    if name == "sigmoid":
        return _sigmoid()
    if name == "relu":
        return _relu()
    if name == "leaky_relu":
        return _leaky_relu(params["slope"])
    if name == "elu":
        return _elu_like("elu", params["alpha"], 1.0, params)
    if name == "selu":
        return _elu_like("selu", SELU_ALPHA, SELU_SCALE, {})
    if name == "gelu":
        return _gelu()
    if name == "silu":
        return _silu()
    if name == "softplus":
        return _softplus()
    return _mish()


def _parse_params(func: str, spec: str, name: str, text: str) -> dict[str, float]:
    """Parse ``'0.2'`` or ``'slope=0.2'`` inside ``name(...)``."""
    known = list(ACTIVATIONS[name])
    result: dict[str, float] = {}
    for i, item in enumerate(p.strip() for p in text.split(",") if p.strip()):
        key, _, value = item.rpartition("=")
        key = key.strip() or (known[i] if i < len(known) else "")
        if key not in known:
            fail(func, "activation", spec, f"{name!r} takes "
                 + (", ".join(known) if known else "no parameters"))
        try:
            result[key] = float(value)
        except ValueError:
            fail(func, "activation", spec, f"parameter {key!r} must be a number")
    return result


def activation(spec: object, func: str = "activation", **params: float) -> Activation:
    r"""Look up an activation by name, or wrap a user's ``(f, df)`` pair.

    Parameters
    ----------
    spec : str, Activation or (callable, callable)
        A name from ``ACTIVATIONS`` (``'linear'``, ``'tanh'``, ``'sigmoid'``, ``'relu'``,
        ``'leaky_relu'``, ``'elu'``, ``'selu'``, ``'gelu'``, ``'silu'``, ``'softplus'``,
        ``'mish'``; aliases ``'identity'``, ``'swish'``), optionally with parameters as in
        ``'leaky_relu(0.2)'`` or ``'elu(alpha=0.5)'``; an :class:`Activation`; or a pair
        ``(f, df)`` of vectorized callables.
    func : str, optional
        Name used in error messages (for callers that forward their own argument).
    **params : float
        Parameters: ``slope`` for leaky_relu (default 0.01), ``alpha`` for elu (default 1).

    Returns
    -------
    Activation

    Raises
    ------
    ValueError
        For an unknown name or parameter.
    TypeError
        For anything that is neither a string, an Activation nor a pair of callables.

    Notes
    -----
    ==========  ===========================================================================
    name        :math:`\phi(x)`
    ==========  ===========================================================================
    linear      :math:`x`
    tanh        :math:`\tanh x`
    sigmoid     :math:`1/(1+e^{-x})`
    relu        :math:`\max(x, 0)`
    leaky_relu  :math:`x` for :math:`x>0`, else :math:`s x`
    elu         :math:`x` for :math:`x>0`, else :math:`\alpha(e^x-1)`
    selu        :math:`\lambda\,\mathrm{elu}_{\alpha}(x)`, :math:`\lambda=1.0507\ldots`,
                :math:`\alpha=1.6733\ldots`
    gelu        :math:`x\,\Phi(x)` (the erf form)
    silu        :math:`x/(1+e^{-x})`
    softplus    :math:`\log(1+e^x)`
    mish        :math:`x\tanh(\mathrm{softplus}(x))`
    ==========  ===========================================================================

    At a kink the derivative takes the value of the branch for :math:`x \le 0`
    (:math:`\mathrm{relu}'(0) = 0`, as in PyTorch).

    References
    ----------
    .. [1] See :class:`Activation`.

    Examples
    --------
    >>> import initlab
    >>> initlab.activation("leaky_relu(0.2)").params
    {'slope': 0.2}
    >>> initlab.activation("elu", alpha=0.5).spec
    'elu(alpha=0.5)'
    """
    if isinstance(spec, Activation):
        if params:
            fail(func, "activation", spec, "pass parameters with a name, not an Activation")
        return spec
    if isinstance(spec, tuple) and len(spec) == 2 and all(callable(s) for s in spec):
        if params:
            fail(func, "activation", spec, "a custom (f, df) pair takes no parameters")
        return Activation("custom", f=spec[0], df=spec[1])
    accepted = ("use a name among " + ", ".join(repr(n) for n in ACTIVATIONS)
                + ", an Activation or a pair (f, df) of callables")
    if not isinstance(spec, str):
        fail(func, "activation", spec, accepted, TypeError)
    match = _SPEC_RE.match(spec.lower())
    name = match.group(1) if match else ""
    name = ALIASES.get(name, name)
    if name not in ACTIVATIONS:
        fail(func, "activation", spec, accepted)
    assert match is not None
    merged = dict(ACTIVATIONS[name])
    merged.update(_parse_params(func, spec, name, match.group(2) or ""))
    for key, value in params.items():
        if key not in ACTIVATIONS[name]:
            fail(func, key, value, f"{name!r} takes "
                 + (", ".join(ACTIVATIONS[name]) or "no parameters"))
        if not is_real(value):
            fail(func, key, value, "use a finite real number", TypeError)
        merged[key] = float(value)
    for key, value in merged.items():
        check_real(func, key, value, nonnegative=(key == "alpha"))
    return _build(name, merged)
