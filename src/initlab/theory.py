r"""Mean-field theory of signal propagation at initialization.

What a deep fully connected network does to its signal before training, in the infinite-width
limit (Poole et al. 2016; Schoenholz et al. 2017). With :math:`z^l = W^l h^{l-1} + b^l`,
:math:`h^l = \phi(z^l)`, :math:`\mathrm{Var}\,W^l_{ij} = \sigma_w^2/n_{l-1}` and
:math:`\mathrm{Var}\,b^l_i = \sigma_b^2`, every pre-activation is Gaussian with second
moment :math:`q^l` given by the *length map*, and two inputs' correlation :math:`c^l` by the
*correlation map*:

.. math::

    q^{l+1} = \sigma_w^2\,\mathbb{E}\,\phi(\sqrt{q^l}\,z)^2 + \sigma_b^2, \qquad
    c^{l+1} = \frac{\sigma_w^2\,\mathbb{E}\,\phi(u_1)\phi(u_2) + \sigma_b^2}{q^{l+1}}, \qquad
    \chi_1 = \sigma_w^2\,\mathbb{E}\,\phi'(\sqrt{q^*}\,z)^2,

with :math:`z \sim \mathcal{N}(0, 1)`, :math:`u_1 = \sqrt{q}\,z_1`,
:math:`u_2 = \sqrt{q}\,(c z_1 + \sqrt{1-c^2}\,z_2)`. :math:`\chi_1` is the slope of the
correlation map at :math:`c = 1` and the per-layer factor of the gradients' second moment:
:math:`\chi_1 < 1` is the ordered phase (inputs merge, gradients vanish), :math:`\chi_1 > 1`
the chaotic phase (inputs decorrelate, gradients explode), :math:`\chi_1 = 1` the edge of
chaos, where signals travel deepest.

========================  ===================================================================
function                  gives
========================  ===================================================================
:func:`expect`            Gaussian expectations (split Gauss-Legendre quadrature)
:func:`length_map`        :math:`q^{l+1}` from :math:`q^l`
:func:`correlation_map`   :math:`c^{l+1}` from :math:`c^l`
:func:`fixed_point`       :math:`q^*`
:func:`chi1`              :math:`\chi_1 = \sigma_w^2\,\mathbb{E}\,\phi'^2` at :math:`q^*`
:func:`depth_scales`      :math:`\xi_q`, :math:`\xi_c`
:func:`mean_field`        all of the above at once (:class:`MeanField`)
:func:`critical_sigma_w`  the :math:`\sigma_w` with :math:`\chi_1 = 1`
:func:`critical`          a :class:`~initlab.VarianceScaling` at the edge of chaos
:func:`predict`           per-layer second moments of a network's signal and gradients
========================  ===================================================================

References
----------
.. [1] B. Poole, S. Lahiri, M. Raghu, J. Sohl-Dickstein and S. Ganguli, "Exponential
   expressivity in deep neural networks through transient chaos", NeurIPS 2016,
   arXiv:1606.05340.
.. [2] S. S. Schoenholz, J. Gilmer, S. Ganguli and J. Sohl-Dickstein, "Deep Information
   Propagation", ICLR 2017, arXiv:1611.01232.

Examples
--------
>>> import initlab
>>> mf = initlab.theory.mean_field("tanh", sigma_w=5 / 3)
>>> mf.phase, round(mf.q_star, 5), round(mf.chi1, 4)
('chaotic', 1.17848, 1.2098)
>>> round(initlab.theory.critical_sigma_w("tanh", sigma_b=0.1), 6)
1.193401
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray
from scipy import optimize

from ._quadrature import evaluate, gauss_rule
from ._validate import check_int, check_real, fail, is_real
from ._widths import check_widths, per_layer
from .activations import Activation
from .gains import as_activation, expect, has_derivative
from .initializers import Initializer, VarianceScaling, expected_moments, get

__all__ = [
    "DepthScales",
    "MeanField",
    "Prediction",
    "chi1",
    "correlation_map",
    "critical",
    "critical_sigma_w",
    "depth_scales",
    "expect",
    "fixed_point",
    "length_map",
    "mean_field",
    "predict",
    "propagate",
]

Array = NDArray[Any]

_Q_GROWTH = 1e12  # growth beyond this factor over max(1, q0, sigma_b^2) is divergence (inf)
_Q_MIN = 1e-300  # the downward search stops here: the fixed point is 0
_FLAT = 1e-12  # relative size of F(q) = map(q) - q treated as 0 (marginal maps)
_CRITICAL_TOL = 1e-9  # |chi1 - 1| below this is the edge of chaos
_NODES_2D = 48  # Gauss-Legendre nodes per piece for the two-input expectations
_NSTD = 12.0  # the rules reach 12 standard deviations
_NET = ("a network (with widths, activations, weights) or at least two widths (positive "
        "integers)")
_RTOL = 4 * float(np.finfo(np.float64).eps)


# --------------------------------------------------------------------------------------------
# expectations of an activation


def _activation(func: str, activation: object, *, derivative: bool = True) -> Activation:
    act = as_activation(func, activation)
    if derivative and not has_derivative(act):
        fail(func, "activation", activation, "pass an (f, df) pair of vectorized callables or "
             "an initlab.Activation with its derivative", why="has no derivative, which "
             "chi1 and the depth scales need")
    return act


def _e(act: Activation, fn: Callable[[Array], Array], q: float, mean: float = 0.0) -> float:
    return expect(fn, q, mean=mean, kinks=act.kinks)


def _phi2(act: Activation, q: float, mean: float = 0.0) -> float:
    f = act.f
    return _e(act, lambda x: np.square(f(x)), q, mean)


def _dphi2(act: Activation, q: float, mean: float = 0.0) -> float:
    df = act.df
    return _e(act, lambda x: np.square(df(x)), q, mean)


def _map(act: Activation, q: float, sw2: float, sb2: float) -> float:
    return sw2 * _phi2(act, q) + sb2


def _slope(act: Activation, q: float, sw2: float) -> float:
    """d(length map)/dq at q: sigma_w^2 E[x phi(x) phi'(x)] / q (Stein), q -> 0+ at 0."""
    if q == 0:
        return sw2 * _dphi2(act, 0.0)
    f, df = act.f, act.df
    return sw2 * _e(act, lambda x: x * f(x) * df(x), q) / q


def _fixed_point(act: Activation, sw2: float, sb2: float, q0: float) -> float:
    """The fixed point reached from q0 in the direction the length map moves q0."""

    def gap(q: float) -> float:
        return _map(act, q, sw2, sb2) - q

    g0 = gap(q0)
    if not math.isfinite(g0):
        return math.inf
    if abs(g0) <= _FLAT * max(q0, sb2):
        return q0
    if g0 > 0:  # q grows: search upwards for the first sign change
        lo = q0
        hi = max(2.0 * q0, q0 + g0)
        q_max = _Q_GROWTH * max(1.0, q0, sb2)
        while True:
            ratio = gap(hi) / hi
            if ratio < -_FLAT:
                break
            if abs(ratio) <= _FLAT:  # map(q) = q to double precision
                return hi
            lo, hi = hi, 2.0 * hi
            if hi > q_max:
                return math.inf
    else:  # q shrinks: search downwards, geometrically, towards 0
        # q = 0 is fixed when phi(0) = 0 and sigma_b = 0; near it map(q) - q ~ (slope0 - 1) q
        dies = _map(act, 0.0, sw2, sb2) == 0
        slope0 = sw2 * _dphi2(act, 0.0) - 1 if dies else math.nan
        hi = q0
        lo = 0.5 * q0
        while True:
            ratio = gap(lo) / lo
            if ratio > _FLAT:
                break
            if abs(ratio) <= _FLAT:  # map(q) = q to double precision
                return 0.0 if dies else lo
            if dies and abs(ratio - slope0) <= 1e-3 * abs(slope0):
                return 0.0  # the linear regime around the attracting q = 0 is reached
            hi, lo = lo, 0.5 * lo
            if lo < _Q_MIN:
                return 0.0
    return float(optimize.brentq(gap, lo, hi, xtol=1e-300, rtol=_RTOL, maxiter=500))


def _expect2(act: Activation, f: Callable[[Array], Array], g: Callable[[Array], Array],
             q: float, c: float) -> float:
    r"""E f(u1) g(u2), u1 = sqrt(q) z1, u2 = sqrt(q) (c z1 + sqrt(1 - c^2) z2)."""
    s = math.sqrt(q)
    r = math.sqrt(max(0.0, 1.0 - c * c))
    cuts = list(act.kinks)
    if c != 0 and r > 0:
        # the inner expectation turns at u1 = kink / c over a width sqrt(q) r / |c|: cut there
        width = s * r / abs(c)
        for kink in act.kinks:
            step = 0.5 * width
            while step < _NSTD * s:
                cuts += [kink / c - step, kink / c + step]
                step *= 4.0
    x1, w1 = (a[0] for a in gauss_rule(0.0, s, cuts, _NODES_2D))
    outer = w1 * f(x1)
    if s * r == 0:
        return float(np.sum(outer * g(c * x1)))
    x2, w2 = gauss_rule(c * x1, s * r, act.kinks, _NODES_2D)
    return float(np.sum(outer * np.sum(w2 * g(x2), axis=1)))


def _corr(act: Activation, c: float, q: float, sw2: float, sb2: float) -> float:
    if q == 0:
        return 1.0
    return (sw2 * _expect2(act, act.f, act.f, q, c) + sb2) / _map(act, q, sw2, sb2)


def _c_star(act: Activation, q: float, sw2: float, sb2: float, chi: float) -> float:
    """Stable fixed point of the correlation map in [0, 1] (1 unless chaotic)."""
    if q == 0 or not chi > 1 + _CRITICAL_TOL:
        return 1.0

    def gap(c: float) -> float:
        return _corr(act, c, q, sw2, sb2) - c

    g0 = gap(0.0)
    if g0 <= 1e-15:
        return 0.0
    delta = 0.5
    while gap(1.0 - delta) >= 0:  # the map is convex on [0, 1] with slope chi > 1 at 1
        delta *= 0.1
        if delta < 1e-14:
            return 1.0
    return float(optimize.brentq(gap, 0.0, 1.0 - delta, xtol=1e-15, rtol=_RTOL))


def _xi(rate: float) -> float:
    """Depth scale -1/log|rate|: inf at a marginal rate, negative for a repelling one."""
    rate = abs(rate)
    if abs(rate - 1) <= _CRITICAL_TOL:
        return math.inf
    if rate == 0:
        return 0.0
    return -1.0 / math.log(rate)


# --------------------------------------------------------------------------------------------
# argument checks


def _check_sw_sb(func: str, sigma_w: object, sigma_b: object) -> tuple[float, float]:
    sw = check_real(func, "sigma_w", sigma_w, positive=True)
    sb = check_real(func, "sigma_b", sigma_b, nonnegative=True)
    return sw * sw, sb * sb


def _check_q0(func: str, q0: object) -> float:
    return check_real(func, "q0", q0, nonnegative=True)


def _q_or_star(func: str, act: Activation, q: object, sw2: float, sb2: float,
               q0: float) -> float:
    if q is not None:
        return check_real(func, "q", q, nonnegative=True)
    qs = _fixed_point(act, sw2, sb2, q0)
    if not math.isfinite(qs):
        fail(func, "sigma_w", math.sqrt(sw2), f"the length map has no finite fixed point "
             f"(q grows without bound from q0={q0:g}); lower sigma_w or pass q= explicitly",
             why="gives q* = inf")
    return qs


# --------------------------------------------------------------------------------------------
# public maps


def length_map(activation: object, q: float, sigma_w: float, sigma_b: float = 0.0) -> float:
    r"""The length map: the next layer's pre-activation second moment.

    Parameters
    ----------
    activation : str, Activation, (callable, callable) or callable
        The activation :math:`\phi` (see :func:`initlab.gain`).
    q : float
        Second moment :math:`q^l` of this layer's pre-activations (``>= 0``).
    sigma_w : float
        Weight scale: :math:`\mathrm{Var}\,W = \sigma_w^2/n_{\mathrm{in}}` (``> 0``).
    sigma_b : float, default 0
        Standard deviation of the zero-mean biases (``>= 0``).

    Returns
    -------
    float
        :math:`q^{l+1}`.

    Raises
    ------
    ValueError
        For an unknown activation or an out-of-range number.
    TypeError
        For arguments of the wrong type.

    See Also
    --------
    fixed_point, correlation_map

    Notes
    -----
    .. math::

        q^{l+1} = \sigma_w^2 \int \mathcal{D}z\; \phi\big(\sqrt{q^l}\,z\big)^2 + \sigma_b^2,
        \qquad \mathcal{D}z = \frac{e^{-z^2/2}}{\sqrt{2\pi}}\,dz.

    It is exact for the first layer of any width (given the input's second moment) and the
    infinite-width limit of the deeper ones.

    References
    ----------
    .. [1] B. Poole, S. Lahiri, M. Raghu, J. Sohl-Dickstein and S. Ganguli, "Exponential
       expressivity in deep neural networks through transient chaos", NeurIPS 2016,
       arXiv:1606.05340.

    Examples
    --------
    >>> import initlab
    >>> round(initlab.theory.length_map("relu", 3.0, sigma_w=2**0.5), 12)
    3.0
    >>> round(initlab.theory.length_map("tanh", 1.0, sigma_w=1.0), 6)
    0.394294
    """
    func = "length_map"
    act = _activation(func, activation, derivative=False)
    q = check_real(func, "q", q, nonnegative=True)
    sw2, sb2 = _check_sw_sb(func, sigma_w, sigma_b)
    return _map(act, q, sw2, sb2)


def correlation_map(activation: object, c: float, sigma_w: float, sigma_b: float = 0.0, *,
                    q: float | None = None, q0: float = 1.0) -> float:
    r"""The correlation map: the next layer's correlation between two inputs.

    Parameters
    ----------
    activation : str, Activation, (callable, callable) or callable
        The activation :math:`\phi`.
    c : float
        Correlation :math:`c^l \in [-1, 1]` of the two inputs' pre-activations.
    sigma_w, sigma_b : float
        Weight scale (``> 0``) and bias standard deviation (``>= 0``).
    q : float, optional
        Second moment of both inputs' pre-activations; default the fixed point :math:`q^*`.
    q0 : float, default 1
        Starting point of :func:`fixed_point` when ``q`` is not given.

    Returns
    -------
    float
        :math:`c^{l+1}`.

    Raises
    ------
    ValueError
        For an out-of-range argument, or when :math:`q^*` is infinite.
    TypeError
        For arguments of the wrong type.

    See Also
    --------
    chi1 : its slope at :math:`c = 1`.

    Notes
    -----
    .. math::

        c^{l+1} = \frac{\sigma_w^2 \int \mathcal{D}z_1 \mathcal{D}z_2\,
        \phi(u_1)\phi(u_2) + \sigma_b^2}{q^{l+1}},\quad
        u_1 = \sqrt{q}\,z_1,\ u_2 = \sqrt{q}\,\big(c z_1 + \sqrt{1-c^2}\,z_2\big),

    with :math:`q^{l+1}` the :func:`length_map` of :math:`q` (:math:`= q^*` at the fixed
    point). The double integral is a product of split Gauss-Legendre rules, the inner one cut
    at the kinks of :math:`\phi`. :math:`c = 1` is always a fixed point; for
    :math:`c \ge 0` the map is increasing and convex (its Hermite series has non-negative
    coefficients), so it has one other fixed point :math:`c^* < 1` exactly when
    :math:`\chi_1 > 1`. ReLU has the closed form
    :math:`c' = [\sqrt{1-c^2} + (\pi - \arccos c)\,c]/\pi` at :math:`\sigma_b = 0`
    (Cho and Saul 2009).

    References
    ----------
    .. [1] S. S. Schoenholz, J. Gilmer, S. Ganguli and J. Sohl-Dickstein, "Deep Information
       Propagation", ICLR 2017, arXiv:1611.01232.
    .. [2] Y. Cho and L. K. Saul, "Kernel Methods for Deep Learning", NeurIPS 2009.

    Examples
    --------
    >>> import math, initlab
    >>> c = initlab.theory.correlation_map("relu", 0.5, sigma_w=2**0.5)
    >>> round(c, 12), round((math.sqrt(0.75) + (math.pi - math.acos(0.5)) * 0.5) / math.pi, 12)
    (0.608997781044, 0.608997781044)
    """
    func = "correlation_map"
    act = _activation(func, activation, derivative=False)
    c = check_real(func, "c", c, low=-1.0, high=1.0)
    sw2, sb2 = _check_sw_sb(func, sigma_w, sigma_b)
    qs = _q_or_star(func, act, q, sw2, sb2, _check_q0(func, q0))
    return _corr(act, c, qs, sw2, sb2)


def fixed_point(activation: object, sigma_w: float, sigma_b: float = 0.0, *,
                q0: float = 1.0) -> float:
    r"""Fixed point :math:`q^*` of the length map.

    Parameters
    ----------
    activation : str, Activation, (callable, callable) or callable
        The activation :math:`\phi`.
    sigma_w : float
        Weight scale, :math:`\mathrm{Var}\,W = \sigma_w^2/n_{\mathrm{in}}` (``> 0``).
    sigma_b : float, default 0
        Bias standard deviation (``>= 0``).
    q0 : float, default 1
        Starting second moment (``>= 0``): the result is the fixed point that a network fed
        with pre-activations of second moment ``q0`` approaches.

    Returns
    -------
    float
        :math:`q^*`: ``0.0`` when the signal dies out, ``inf`` when it grows without bound,
        ``q0`` itself where every :math:`q` is fixed (homogeneous activations at their
        critical :math:`\sigma_w` with :math:`\sigma_b = 0`).

    Raises
    ------
    ValueError
        For an out-of-range argument or an unknown activation.
    TypeError
        For arguments of the wrong type.

    See Also
    --------
    length_map, mean_field

    Notes
    -----
    :math:`q^*` solves

    .. math:: q^* = \sigma_w^2 \int \mathcal{D}z\; \phi\big(\sqrt{q^*}\,z\big)^2 + \sigma_b^2.

    Starting from ``q0``, the first root of :math:`F(q) = \text{map}(q) - q` in the direction
    of :math:`F(q_0)` is bracketed (doubling or halving :math:`q`) and refined with Brent's
    method to full double precision. For an increasing length map (every built-in
    activation) this is the limit of iterating the map, even when it converges only
    algebraically (tanh at :math:`\sigma_w = 1`, :math:`q^l \approx 1/(2l)`, gives 0).

    Reference values: tanh at :math:`\sigma_w = 5/3` (PyTorch's gain) has
    :math:`q^* = 1.178480`; at :math:`\sigma_w = 1.2`, :math:`0.249513`; sigmoid at
    :math:`\sigma_w = 1`, :math:`0.264687`; selu at :math:`\sigma_w = 3/4` (PyTorch's gain),
    :math:`0.023034` instead of the self-normalizing 1.

    References
    ----------
    .. [1] B. Poole, S. Lahiri, M. Raghu, J. Sohl-Dickstein and S. Ganguli, "Exponential
       expressivity in deep neural networks through transient chaos", NeurIPS 2016,
       arXiv:1606.05340.

    Examples
    --------
    >>> import initlab
    >>> round(initlab.theory.fixed_point("tanh", sigma_w=5 / 3), 6)
    1.17848
    >>> round(initlab.theory.fixed_point("tanh", 1.0, 0.05), 6)
    0.037122
    >>> initlab.theory.fixed_point("tanh", sigma_w=0.9), initlab.theory.fixed_point("relu", 2.0)
    (0.0, inf)
    """
    func = "fixed_point"
    act = _activation(func, activation, derivative=False)
    sw2, sb2 = _check_sw_sb(func, sigma_w, sigma_b)
    return _fixed_point(act, sw2, sb2, _check_q0(func, q0))


def chi1(activation: object, sigma_w: float, sigma_b: float = 0.0, *, q: float | None = None,
         q0: float = 1.0) -> float:
    r"""The slope :math:`\chi_1` of the correlation map at :math:`c = 1`.

    Parameters
    ----------
    activation : str, Activation or (callable, callable)
        The activation :math:`\phi`, with its derivative.
    sigma_w : float
        Weight scale (``> 0``).
    sigma_b : float, default 0
        Bias standard deviation (``>= 0``).
    q : float, optional
        Evaluate :math:`\chi(q) = \sigma_w^2\,\mathbb{E}\,\phi'(\sqrt q z)^2` at this second
        moment instead of at :math:`q^*`.
    q0 : float, default 1
        Starting point of :func:`fixed_point`.

    Returns
    -------
    float
        :math:`\chi_1`: below 1 ordered, above 1 chaotic. It is also the factor by which the
        gradients' second moment grows per layer, going backwards through equal widths.

    Raises
    ------
    ValueError
        If :math:`q^*` is infinite (pass ``q``), the callable has no derivative, or an
        argument is out of range.
    TypeError
        For arguments of the wrong type.

    See Also
    --------
    critical_sigma_w, mean_field

    Notes
    -----
    .. math:: \chi_1 = \sigma_w^2 \int \mathcal{D}z\; \phi'\big(\sqrt{q^*}\,z\big)^2.

    Over :math:`L` layers of equal width, :math:`\mathbb{E}\,(\partial L/\partial h)^2`
    changes by :math:`\chi_1^L`: PyTorch's tanh gain 5/3 gives :math:`\chi_1 = 1.2098`, a
    factor :math:`1.9\cdot10^{8}` over 100 layers; the exact forward gain 1.5925 gives
    1.1778 (:math:`1.3\cdot10^{7}`). At :math:`q^* = 0` the value is the limit
    :math:`q \to 0^+` (:math:`\sigma_w^2\,\phi'(0)^2`).

    References
    ----------
    .. [1] S. S. Schoenholz, J. Gilmer, S. Ganguli and J. Sohl-Dickstein, "Deep Information
       Propagation", ICLR 2017, arXiv:1611.01232.

    Examples
    --------
    >>> import initlab
    >>> round(initlab.theory.chi1("tanh", sigma_w=5 / 3), 5)
    1.20983
    >>> round(initlab.theory.chi1("selu", sigma_w=0.75), 5)
    1.00367
    >>> round(initlab.theory.chi1("relu", sigma_w=2**0.5, q=7.0), 12)
    1.0
    """
    func = "chi1"
    act = _activation(func, activation)
    sw2, sb2 = _check_sw_sb(func, sigma_w, sigma_b)
    qs = _q_or_star(func, act, q, sw2, sb2, _check_q0(func, q0))
    return sw2 * _dphi2(act, qs)


class DepthScales(NamedTuple):
    r"""Depth scales :math:`(\xi_q, \xi_c)`, in layers, returned by :func:`depth_scales`.

    Attributes
    ----------
    xi_q : float
        Layers over which :math:`|q^l - q^*|` shrinks by a factor :math:`e` (negative when
        :math:`q^*` is unstable and deviations grow).
    xi_c : float
        Layers over which :math:`|c^l - c^*|` shrinks by a factor :math:`e` (``inf`` at the
        edge of chaos).

    References
    ----------
    .. [1] S. S. Schoenholz, J. Gilmer, S. Ganguli and J. Sohl-Dickstein, "Deep Information
       Propagation", ICLR 2017, arXiv:1611.01232.

    Examples
    --------
    >>> import initlab
    >>> initlab.theory.depth_scales("relu", 2**0.5)
    DepthScales(xi_q=inf, xi_c=inf)
    """

    xi_q: float
    xi_c: float


@dataclass(frozen=True)
class MeanField:
    r"""Mean-field summary of an activation at :math:`(\sigma_w, \sigma_b)`.

    Attributes
    ----------
    activation : str
        The activation's spec.
    sigma_w, sigma_b : float
        The weight scale and bias standard deviation.
    q_star : float
        Fixed point of the length map.
    chi1 : float
        Slope of the correlation map at :math:`c = 1` (the gradients' per-layer factor).
    c_star : float
        Stable fixed point of the correlation map (1 unless chaotic).
    chi_c : float
        Slope of the correlation map at :math:`c^*`.
    xi_q, xi_c : float
        Depth scales of the approach to :math:`q^*` and :math:`c^*`, in layers (a negative
        ``xi_q``: :math:`q^*` is unstable).

    Notes
    -----
    ``phase`` is ``'ordered'`` (:math:`\chi_1 < 1`), ``'critical'``
    (:math:`|\chi_1 - 1| \le 10^{-9}`), ``'chaotic'`` (:math:`\chi_1 > 1`) or ``'divergent'``
    (:math:`q^* = \infty`; the other fields are NaN).

    References
    ----------
    .. [1] S. S. Schoenholz, J. Gilmer, S. Ganguli and J. Sohl-Dickstein, "Deep Information
       Propagation", ICLR 2017, arXiv:1611.01232.

    Examples
    --------
    >>> import initlab
    >>> mf = initlab.theory.mean_field("selu", sigma_w=1.0)
    >>> mf.phase, round(mf.q_star, 9), f"{mf.gradient_growth(100):.3g}"
    ('chaotic', 1.0, '1e+03')
    """

    activation: str
    sigma_w: float
    sigma_b: float
    q_star: float
    chi1: float
    c_star: float
    chi_c: float
    xi_q: float
    xi_c: float

    @property
    def phase(self) -> str:
        """``'ordered'``, ``'critical'``, ``'chaotic'`` or ``'divergent'``."""
        if not math.isfinite(self.q_star):
            return "divergent"
        if abs(self.chi1 - 1) <= _CRITICAL_TOL:
            return "critical"
        return "ordered" if self.chi1 < 1 else "chaotic"

    def gradient_growth(self, depth: int) -> float:
        r"""Predicted factor :math:`\chi_1^{\,\text{depth}}` on the gradients' second moment
        over ``depth`` layers of equal width at :math:`q^*`."""
        depth = check_int("gradient_growth", "depth", depth, minimum=0)
        return self.chi1 ** depth


def _mean_field(act: Activation, sw2: float, sb2: float, q0: float) -> MeanField:
    sw, sb = math.sqrt(sw2), math.sqrt(sb2)
    qs = _fixed_point(act, sw2, sb2, q0)
    if not math.isfinite(qs):
        nan = math.nan
        return MeanField(act.spec, sw, sb, qs, nan, nan, nan, nan, nan)
    chi = sw2 * _dphi2(act, qs)
    cs = _c_star(act, qs, sw2, sb2, chi)
    chi_c = chi if cs == 1.0 else sw2 * _expect2(act, act.df, act.df, qs, cs)
    return MeanField(act.spec, sw, sb, qs, chi, cs, chi_c, _xi(_slope(act, qs, sw2)),
                     _xi(chi_c))


def mean_field(activation: object, sigma_w: float, sigma_b: float = 0.0, *,
               q0: float = 1.0) -> MeanField:
    r"""Fixed points, :math:`\chi_1`, phase and depth scales in one call.

    Parameters
    ----------
    activation : str, Activation or (callable, callable)
        The activation :math:`\phi`, with its derivative.
    sigma_w : float
        Weight scale (``> 0``).
    sigma_b : float, default 0
        Bias standard deviation (``>= 0``).
    q0 : float, default 1
        Starting point of :func:`fixed_point`.

    Returns
    -------
    MeanField

    Raises
    ------
    ValueError
        For an out-of-range argument, an unknown activation or a callable without derivative.
    TypeError
        For arguments of the wrong type.

    See Also
    --------
    fixed_point, chi1, depth_scales, correlation_map

    Notes
    -----
    :math:`c^*` is 1 unless :math:`\chi_1 > 1`; then it is the root of
    :math:`c = \text{cmap}(c)` in :math:`[0, 1)` (Brent's method), and
    :math:`\chi_c = \sigma_w^2 \int \mathcal{D}z_1\mathcal{D}z_2\,\phi'(u_1)\phi'(u_2)` at
    :math:`c^*`. The depth scales are

    .. math::

        \xi_q^{-1} = -\log\Big[\chi_1 + \sigma_w^2 \int \mathcal{D}z\,
        \phi''\big(\sqrt{q^*}z\big)\,\phi\big(\sqrt{q^*}z\big)\Big],\qquad
        \xi_c^{-1} = -\log \chi_c,

    the bracket being the slope of the length map at :math:`q^*`, computed as
    :math:`\sigma_w^2\,\mathbb{E}[z\,\phi\phi'(\sqrt{q^*}z)]/\sqrt{q^*}` (Stein's lemma),
    which needs no :math:`\phi''` and stays exact at kinks. A slope :math:`\ge 1` gives
    :math:`\xi = \infty` (a marginal approach, e.g. relu at :math:`\sqrt 2`); trainable depth
    is about :math:`6\,\xi_c` (Schoenholz et al.).

    References
    ----------
    .. [1] S. S. Schoenholz, J. Gilmer, S. Ganguli and J. Sohl-Dickstein, "Deep Information
       Propagation", ICLR 2017, arXiv:1611.01232.

    Examples
    --------
    >>> import initlab
    >>> mf = initlab.theory.mean_field("tanh", 2.5, 0.3)
    >>> round(mf.q_star, 5), round(mf.c_star, 6), round(mf.xi_c, 3)
    (4.07912, 0.122104, 5.109)
    """
    func = "mean_field"
    act = _activation(func, activation)
    sw2, sb2 = _check_sw_sb(func, sigma_w, sigma_b)
    return _mean_field(act, sw2, sb2, _check_q0(func, q0))


def depth_scales(activation: object, sigma_w: float, sigma_b: float = 0.0, *,
                 q0: float = 1.0) -> DepthScales:
    r"""Depth scales :math:`\xi_q` and :math:`\xi_c`, in layers.

    Parameters
    ----------
    activation : str, Activation or (callable, callable)
        The activation :math:`\phi`, with its derivative.
    sigma_w : float
        Weight scale (``> 0``).
    sigma_b : float, default 0
        Bias standard deviation (``>= 0``).
    q0 : float, default 1
        Starting point of :func:`fixed_point`.

    Returns
    -------
    DepthScales
        ``(xi_q, xi_c)``: :math:`|q^l - q^*|` and :math:`|c^l - c^*|` shrink like
        :math:`e^{-l/\xi}`; ``inf`` at a marginal fixed point; a negative ``xi_q`` means an
        unstable :math:`q^*` (gelu, silu and mish at their exact forward gain).

    Raises
    ------
    ValueError
        If :math:`q^*` is infinite, or as :func:`mean_field`.
    TypeError
        For arguments of the wrong type.

    See Also
    --------
    mean_field

    Notes
    -----
    .. math::

        \xi_q^{-1} = -\log\Big[\chi_1 + \sigma_w^2 \int \mathcal{D}z\,\phi''\phi\Big],
        \qquad \xi_c^{-1} = -\log\Big[\sigma_w^2 \int \mathcal{D}z_1 \mathcal{D}z_2\,
        \phi'(u_1^*)\phi'(u_2^*)\Big].

    :math:`\xi_c` diverges at the edge of chaos, where signals propagate deepest.

    References
    ----------
    .. [1] S. S. Schoenholz, J. Gilmer, S. Ganguli and J. Sohl-Dickstein, "Deep Information
       Propagation", ICLR 2017, arXiv:1611.01232.

    Examples
    --------
    >>> import initlab
    >>> xi = initlab.theory.depth_scales("tanh", 1.0, 0.05)
    >>> round(xi.xi_q, 3), round(xi.xi_c, 2)
    (7.266, 14.66)
    """
    func = "depth_scales"
    act = _activation(func, activation)
    sw2, sb2 = _check_sw_sb(func, sigma_w, sigma_b)
    mf = _mean_field(act, sw2, sb2, _check_q0(func, q0))
    if mf.phase == "divergent":
        fail(func, "sigma_w", sigma_w, "lower sigma_w: the length map has no finite fixed "
             "point", why="gives q* = inf")
    return DepthScales(mf.xi_q, mf.xi_c)


# --------------------------------------------------------------------------------------------
# the edge of chaos


_HOMOGENEOUS = ("linear", "relu", "leaky_relu")


def _critical_sigma_w(func: str, act: Activation, sb2: float, q0: float) -> float:
    if act.name in _HOMOGENEOUS:
        if sb2 > 0:
            fail(func, "sigma_b", math.sqrt(sb2), f"{act.spec!r} is positively homogeneous: "
                 f"chi1 = sigma_w**2 * E[phi'**2] does not depend on q, and at chi1 = 1 the "
                 f"bias makes q* grow without bound; its only critical point is sigma_b=0, "
                 f"sigma_w = initlab.gain({act.spec!r})", why="has no critical point")
        return 1.0 / math.sqrt(_dphi2(act, 1.0))

    def excess(sw: float) -> float:
        qs = _fixed_point(act, sw * sw, sb2, q0)
        return math.nan if not math.isfinite(qs) else sw * sw * _dphi2(act, qs) - 1

    def boundary(ok: float, bad: float) -> float:
        for _ in range(30):  # bisect the largest sigma_w with a finite q*, to ~1e-9
            mid = 0.5 * (ok + bad)
            if math.isnan(excess(mid)):
                bad = mid
            else:
                ok = mid
        return ok

    lo = 1.0
    e_lo = excess(lo)
    if math.isnan(e_lo):
        lo = boundary(0.0, 1.0)
        e_lo = excess(lo)
    step = 1.25
    if e_lo > 0:  # chaotic: go down
        hi, lo = lo, lo / step
        while excess(lo) > 0:
            hi, lo = lo, lo / step
            if lo < 1e-6:
                fail(func, "activation", act.spec, "chi1 > 1 for every sigma_w >= 1e-6",
                     why="has no critical point")
    else:  # ordered: go up
        hi = lo * step
        while True:
            e_hi = excess(hi)
            if math.isnan(e_hi):
                # q* diverges past an edge; chi1 may still cross 1 just before it
                edge = boundary(lo, hi)
                for k in range(1, 41):
                    probe = edge - (edge - lo) * 0.5**k
                    e_probe = excess(probe)
                    if e_probe >= 0:
                        hi, e_hi = probe, e_probe
                        break
                    if not e_probe < 0:
                        break
                    lo = probe
                if not e_hi >= 0:
                    fail(func, "activation", act.spec, f"chi1 stays below 1 up to sigma_w = "
                         f"{edge:.6g}, beyond which q* is infinite (sigma_b="
                         f"{math.sqrt(sb2):g}, q0={q0:g})", why="has no critical point")
            if e_hi >= 0:
                break
            lo, hi = hi, hi * step
            if hi > 1e6:
                fail(func, "activation", act.spec, "chi1 < 1 for every sigma_w <= 1e6",
                     why="has no critical point")
    root = float(optimize.brentq(excess, lo, hi, xtol=1e-15, rtol=_RTOL, maxiter=500))
    if sb2 == 0 and _fixed_point(act, (root * (1 - 1e-7)) ** 2, 0.0, q0) == 0.0:
        # the ordered side is the branch q* = 0, where chi1 = sigma_w**2 phi'(0)**2 exactly
        exact = 1.0 / math.sqrt(_dphi2(act, 0.0))
        if abs(exact - root) <= 1e-6 * root:
            root = exact
    if abs(excess(root)) > 1e-6:
        fail(func, "activation", act.spec, f"chi1 jumps across 1 at sigma_w = {root:.6g} "
             f"(q* changes branch there)", why="has no continuous critical point")
    return root


def critical_sigma_w(activation: object, sigma_b: float = 0.0, *, q0: float = 1.0) -> float:
    r"""The weight scale :math:`\sigma_w` at the edge of chaos, :math:`\chi_1(q^*) = 1`.

    Parameters
    ----------
    activation : str, Activation or (callable, callable)
        The activation :math:`\phi`, with its derivative.
    sigma_b : float, default 0
        Bias standard deviation (``>= 0``).
    q0 : float, default 1
        Starting point of :func:`fixed_point`.

    Returns
    -------
    float
        :math:`\sigma_w` on the critical line.

    Raises
    ------
    ValueError
        If there is no critical point: for linear, relu and leaky_relu with
        :math:`\sigma_b > 0` (see Notes), or when :math:`\chi_1` never reaches 1 with a
        finite :math:`q^*`, or jumps across 1.
    TypeError
        For arguments of the wrong type.

    See Also
    --------
    critical, chi1

    Notes
    -----
    Solves :math:`\chi_1\big(\sigma_w, q^*(\sigma_w, \sigma_b)\big) = 1` by bracketing in
    :math:`\sigma_w` and Brent's method. For positively homogeneous activations (linear, relu,
    leaky_relu) :math:`\chi_1 = \sigma_w^2\,\mathbb{E}\,\phi'^2` for every :math:`q`, so the
    edge is :math:`\sigma_w = 1/\sqrt{\mathbb{E}\,\phi'^2}` (:math:`\sqrt 2` for relu), where
    every :math:`q` is a fixed point when :math:`\sigma_b = 0`. With :math:`\sigma_b > 0`
    their fixed point :math:`q^* = \sigma_b^2/(1 - \chi_1)` diverges as :math:`\chi_1 \to 1`:
    they have no critical point, and this raises. Where :math:`q^*` diverges beyond some
    :math:`\sigma_w`, the approach to that edge is searched too: gelu, silu and mish reach
    :math:`\chi_1 = 1` only there, with a sizable bias (gelu at :math:`\sigma_b = 1`:
    :math:`\sigma_w = 1.4059`, :math:`q^* = 82.3`), and raise for small ones; softplus
    never does. When the ordered side is the branch
    :math:`q^* = 0` (:math:`\phi(0) = 0`, :math:`\sigma_b = 0`), the edge is exactly
    :math:`1/|\phi'(0)|`: 1 for tanh.

    Critical line of tanh:

    =======  ========  ========
    sigma_b  sigma_w   q*
    =======  ========  ========
    0        1         0
    0.05     1.122539  0.153692
    0.1      1.193401  0.273301
    0.3      1.395584  0.763475
    1        1.855589  3.036400
    =======  ========  ========

    References
    ----------
    .. [1] B. Poole, S. Lahiri, M. Raghu, J. Sohl-Dickstein and S. Ganguli, "Exponential
       expressivity in deep neural networks through transient chaos", NeurIPS 2016,
       arXiv:1606.05340.
    .. [2] S. S. Schoenholz, J. Gilmer, S. Ganguli and J. Sohl-Dickstein, "Deep Information
       Propagation", ICLR 2017, arXiv:1611.01232.

    Examples
    --------
    >>> import initlab
    >>> initlab.theory.critical_sigma_w("tanh")
    1.0
    >>> round(initlab.theory.critical_sigma_w("tanh", 0.05), 6)
    1.122539
    >>> round(initlab.theory.critical_sigma_w("relu") ** 2, 12)
    2.0
    """
    func = "critical_sigma_w"
    act = _activation(func, activation)
    sb = check_real(func, "sigma_b", sigma_b, nonnegative=True)
    return _critical_sigma_w(func, act, sb * sb, _check_q0(func, q0))


def critical(activation: object, sigma_b: float = 0.0, *, q0: float = 1.0) -> Initializer:
    r"""Initializer at the edge of chaos: :math:`W \sim \mathcal{N}(0, \sigma_w^2/n_{in})`.

    Parameters
    ----------
    activation : str, Activation or (callable, callable)
        The activation :math:`\phi`, with its derivative.
    sigma_b : float, default 0
        Standard deviation the biases will be drawn with (see Notes).
    q0 : float, default 1
        Starting point of :func:`fixed_point`.

    Returns
    -------
    VarianceScaling
        ``VarianceScaling(scale=sigma_w**2, mode="fan_in", distribution="normal")`` with
        :math:`\sigma_w` = :func:`critical_sigma_w`.

    Raises
    ------
    ValueError
        If the activation has no critical point at this ``sigma_b`` (relu, leaky_relu and
        linear have one only at ``sigma_b=0``).
    TypeError
        For arguments of the wrong type.

    See Also
    --------
    critical_sigma_w, initlab.gain

    Notes
    -----
    The weights alone are not the critical point: draw the biases
    :math:`b \sim \mathcal{N}(0, \sigma_b^2)`, e.g. with ``initlab.Normal(std=sigma_b)`` (or
    zeros for ``sigma_b=0``). At the edge of chaos :math:`\chi_1 = 1`, so neither the
    correlation between inputs nor the gradients' second moment changes exponentially with
    depth: :math:`\xi_c = \infty`. For tanh at :math:`\sigma_b = 0` the point is
    :math:`\sigma_w = 1` with :math:`q^* = 0`: the signal itself decays like
    :math:`1/\sqrt{2l}`; a small bias (:math:`\sigma_b = 0.05`, :math:`\sigma_w = 1.1225`)
    keeps :math:`q^* = 0.154`.

    References
    ----------
    .. [1] S. S. Schoenholz, J. Gilmer, S. Ganguli and J. Sohl-Dickstein, "Deep Information
       Propagation", ICLR 2017, arXiv:1611.01232.

    Examples
    --------
    >>> import initlab
    >>> init = initlab.critical("tanh", sigma_b=0.05)
    >>> init.get_config()["mode"], init.get_config()["distribution"]
    ('fan_in', 'normal')
    >>> round(init.get_config()["scale"] ** 0.5, 6)
    1.122539
    >>> bias = initlab.Normal(std=0.05)
    """
    func = "critical"
    act = _activation(func, activation)
    sb = check_real(func, "sigma_b", sigma_b, nonnegative=True)
    sw = _critical_sigma_w(func, act, sb * sb, _check_q0(func, q0))
    return VarianceScaling(scale=sw * sw, mode="fan_in", distribution="normal")


# --------------------------------------------------------------------------------------------
# per-layer predictions for a network


@dataclass(frozen=True, eq=False)
class Prediction:
    r"""Mean-field prediction for each layer of a network (see :func:`predict`).

    Every array has one entry per layer :math:`l = 1 \dots L`, except ``dx`` (the input).

    Attributes
    ----------
    widths : tuple of int
        :math:`n_0, \dots, n_L`.
    activations : tuple of str
        Each layer's activation spec.
    sigma_w, sigma_b : ndarray
        Effective weight scale :math:`\sqrt{n_{l-1}\,\mathbb{E}W^2}` and bias root mean
        square :math:`\sqrt{\mathbb{E}\,b^2}` of each layer.
    q : ndarray
        :math:`\mathbb{E}\,(z^l)^2`, the second moment of :math:`W^l h^{l-1} + b^l` (before
        batch norm, if any).
    h_mean, h_second_moment, h_variance : ndarray
        Mean, second moment and variance of :math:`h^l = \phi(\cdot)`; ``h_std`` is the
        square root of ``h_variance``.
    chi : ndarray
        :math:`\chi^l = \sigma_{w,l}^2\,\mathbb{E}\,\phi'(z^l)^2`, the backward factor of
        layer :math:`l` for equal widths.
    dz, dh, dw : ndarray
        Second moments (= variances: the gradients have zero mean) of
        :math:`\partial L/\partial z^l`, :math:`\partial L/\partial h^l` and
        :math:`\partial L/\partial W^l`.
    dx : float
        Second moment of :math:`\partial L/\partial h^0`, the gradient at the input.
    batch_norm : bool
        Whether the network normalizes its pre-activations (gradients are then NaN).

    References
    ----------
    .. [1] S. S. Schoenholz, J. Gilmer, S. Ganguli and J. Sohl-Dickstein, "Deep Information
       Propagation", ICLR 2017, arXiv:1611.01232.

    Examples
    --------
    >>> import initlab
    >>> p = initlab.theory.predict([64, 64, 64], "relu", "he_normal")
    >>> p.depth, p.q.round(12).tolist(), p.dh.round(12).tolist()
    (2, [2.0, 2.0], [1.0, 1.0])
    """

    widths: tuple[int, ...]
    activations: tuple[str, ...]
    sigma_w: Array
    sigma_b: Array
    q: Array
    h_mean: Array
    h_second_moment: Array
    h_variance: Array
    chi: Array
    dz: Array
    dh: Array
    dw: Array
    dx: float
    batch_norm: bool

    @property
    def depth(self) -> int:
        """Number of layers :math:`L`."""
        return len(self.widths) - 1

    @property
    def h_std(self) -> Array:
        """Standard deviation of each layer's activations."""
        return np.sqrt(self.h_variance)

    def as_dict(self) -> dict[str, list[float]]:
        """The per-layer columns as lists, keyed by name (``h_std`` included)."""
        names = ("sigma_w", "sigma_b", "q", "h_mean", "h_second_moment", "h_variance",
                 "chi", "dz", "dh", "dw")
        out = {name: [float(v) for v in getattr(self, name)] for name in names}
        out["h_std"] = [float(v) for v in self.h_std]
        return out


def _weight_sw2(func: str, init: object, n_in: int, n_out: int, layer: int) -> float:
    """sigma_w^2 = n_in E[W^2] for a (n_in -> n_out) layer drawn by ``init``."""
    try:
        resolved = get(init)
        layout = resolved.get_config().get("layout") if isinstance(resolved, Initializer) \
            else None
        shape = (n_out, n_in) if layout == "out_in" else (n_in, n_out)
        mean, second = expected_moments(resolved, shape)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{func}: init of layer {layer}: {exc}") from None
    if mean != 0:
        fail(func, "init", init, "the mean-field prediction needs zero-mean weights",
             why=f"has mean {mean:g} (layer {layer})")
    return n_in * second


def _bias_moments(func: str, bias: object, n_out: int, layer: int) -> tuple[float, float]:
    """(mean, variance) of the bias elements: a float is a normal std, else an initializer."""
    if bias is None:
        return 0.0, 0.0
    if is_real(bias):
        sb = check_real(func, "bias", bias, nonnegative=True)
        return 0.0, sb * sb
    try:
        mean, second = expected_moments(bias, (n_out, 1))
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{func}: bias of layer {layer}: {exc}") from None
    return mean, max(second - mean * mean, 0.0)


def _is_network(obj: object) -> bool:
    return all(hasattr(obj, a) for a in ("widths", "activations", "weights"))


def predict(net: object, activation: object = None, init: object = None, *,
            x_variance: float = 1.0, sigma_w: object = None, bias: object = 0.0,
            grad_variance: float = 1.0, batch: int = 1) -> Prediction:
    r"""Predict each layer's signal and gradient second moments before running the network.

    Parameters
    ----------
    net : network or sequence of int
        Either a network with attributes ``widths`` (:math:`n_0, \dots, n_L`),
        ``activations`` (one :class:`~initlab.Activation` per layer), ``weights`` (one
        array per layer: their *realized* second moments are used), ``biases`` (arrays or
        ``None``) and ``batch_norm`` (bool), such as :class:`initlab.MLP`; or the widths
        :math:`n_0, \dots, n_L` (at least two), with ``activation`` and ``init``.
    activation : activation or sequence, optional
        With widths: the activation of every layer, or a list of one per layer (e.g.
        ``[..., "linear"]`` for a linear output layer).
    init : initializer or sequence, optional
        With widths: a name, config dict or :class:`~initlab.Initializer` (or one per layer)
        whose exact second moment gives :math:`\sigma_w^2 = n_{l-1}\,\mathbb{E}\,W^2`
        (:func:`initlab.expected_moments`; the weight shape follows its ``layout``). Give
        either ``init`` or ``sigma_w``.
    x_variance : float, default 1
        Second moment :math:`\mathbb{E}\,x^2` of the input's elements (their variance when
        they have zero mean).
    sigma_w : float or sequence, optional
        With widths: the weight scale(s) directly, :math:`\mathrm{Var}\,W = \sigma_w^2/n_{l-1}`.
    bias : float, initializer or sequence, default 0
        With widths: a float is the standard deviation :math:`\sigma_b` of zero-mean normal
        biases; an initializer (``"zeros"``, ``initlab.Constant(value=0.1)``,
        ``initlab.Normal(std=0.05)``) is used through its exact mean and variance.
    grad_variance : float, default 1
        Second moment of :math:`\partial L/\partial h^L`, the gradient arriving at the
        output (i.i.d. across units and examples).
    batch : int, default 1
        Number of examples whose gradients are summed in :math:`\partial L/\partial W`.

    Returns
    -------
    Prediction

    Raises
    ------
    ValueError
        For inconsistent or out-of-range arguments: widths below 1, wrong per-layer list
        lengths, non-zero-mean weights, unknown activations.
    TypeError
        For arguments of the wrong type, or mixing a network with ``activation``/``init``.

    See Also
    --------
    length_map, chi1, initlab.expected_moments

    Notes
    -----
    Forward, with :math:`\sigma_{w,l}^2 = n_{l-1}\,\mathbb{E}\,(W^l)^2` and biases of mean
    :math:`\mu_l`, variance :math:`s_l^2`, the pre-activations of layer :math:`l` are
    :math:`\mathcal{N}(\mu_l, v_l)` with :math:`v_l = \sigma_{w,l}^2\,\mathbb{E}(h^{l-1})^2
    + s_l^2` and :math:`q^l = v_l + \mu_l^2`:

    .. math::

        \mathbb{E}\,(h^0)^2 = \mathbb{E}\,x^2, \qquad
        \mathbb{E}\,(h^l)^k = \mathbb{E}_{z \sim \mathcal{N}(\mu_l, v_l)}\,\phi_l(z)^k.

    Backward (independence of forward and backward weights, He et al. 2015; Schoenholz et
    al. 2017, section 3.5 of the theory notes):

    .. math::

        \mathbb{E}(\partial_{h^L})^2 = g, \quad
        \mathbb{E}(\partial_{z^l})^2 = \mathbb{E}(\partial_{h^l})^2\,\mathbb{E}\,\phi_l'(z^l)^2,
        \quad
        \mathbb{E}(\partial_{h^{l-1}})^2 = n_l\,\mathbb{E}(W^l)^2\,\mathbb{E}(\partial_{z^l})^2,
        \quad
        \mathbb{E}(\partial_{W^l})^2 = B\,\mathbb{E}(h^{l-1})^2\,\mathbb{E}(\partial_{z^l})^2.

    With ``fan_in`` scaling, :math:`\mathbb{E}(\partial_{h^0})^2 = g\,(n_L/n_0)\prod_l \chi^l`.
    The second moments are float64: a signal whose second moment passes :math:`10^{308}`
    (a std beyond about :math:`10^{154}`) is predicted as inf, and the layers after it as NaN.
    The first layer's forward value is exact for any width; deeper layers hold in the
    infinite-width limit. At width :math:`n \ge 256` the measured second moments of a tanh
    network stay within a few percent of these values when the fixed point is contracting
    (theory notes, section 4); relu and linear networks are marginal, and a single network's
    :math:`q^L` spreads by :math:`\sqrt{(1+5/n)^L - 1}` (relu) around the prediction.

    Batch normalization (``net.batch_norm``): each pre-activation is normalized over the
    batch before :math:`\phi`, so :math:`\phi` sees :math:`\mathcal{N}(0, 1)` whatever the
    weights (:math:`\varepsilon` neglected) and ``h_*`` are computed there; ``q`` is still the
    second moment before normalization. The gradients are **not** predicted (NaN): batch
    norm couples the examples of a batch and makes gradients explode with depth at a rate
    the independence approximation does not give (Yang et al. 2019; about
    :math:`\pi/(\pi-1)` per layer for relu, measured 1.45-1.52 depending on the batch).

    References
    ----------
    .. [1] S. S. Schoenholz, J. Gilmer, S. Ganguli and J. Sohl-Dickstein, "Deep Information
       Propagation", ICLR 2017, arXiv:1611.01232.
    .. [2] K. He, X. Zhang, S. Ren and J. Sun, "Delving Deep into Rectifiers: Surpassing
       Human-Level Performance on ImageNet Classification", ICCV 2015, arXiv:1502.01852.
    .. [3] G. Yang, J. Pennington, V. Rao, J. Sohl-Dickstein and S. S. Schoenholz, "A Mean
       Field Theory of Batch Normalization", ICLR 2019, arXiv:1902.08129.

    Examples
    --------
    >>> import initlab
    >>> p = initlab.theory.predict([256] * 101, "tanh", initlab.XavierUniform(gain=5 / 3))
    >>> round(float(p.h_std[-1]), 4), round(p.dx / 1e8, 2)
    (0.6513, 1.05)
    >>> p = initlab.theory.predict([512, 256, 10], ["relu", "linear"], "he_normal", bias=0.1)
    >>> p.q.round(4).tolist()
    [2.01, 2.02]
    """
    func = "predict"
    xv = check_real(func, "x_variance", x_variance, nonnegative=True)
    gv = check_real(func, "grad_variance", grad_variance, nonnegative=True)
    b = check_int(func, "batch", batch, minimum=1)
    if _is_network(net):
        if activation is not None or init is not None or sigma_w is not None:
            fail(func, "activation", activation, "with a network, pass only x_variance, "
                 "grad_variance and batch: its activations and weights are used", TypeError)
        widths, acts, sw2s, biases, bn = _from_network(func, net)
    else:
        widths, acts, sw2s, biases = _from_widths(func, net, activation, init, sigma_w, bias)
        bn = False
    return propagate(widths, acts, sw2s, biases, batch_norm=bn, x_second_moment=xv,
                     grad_second_moment=gv, batch=b)


def _from_widths(func: str, net: object, activation: object, init: object, sigma_w: object,
                 bias: object) -> tuple[tuple[int, ...], list[Activation], list[float],
                                        list[tuple[float, float]]]:
    widths = check_widths(func, net, name="net", what=_NET)
    depth = len(widths) - 1
    if activation is None:
        fail(func, "activation", activation, "pass the activation (or one per layer) with "
             "widths", TypeError)
    acts = [_activation(func, a) for a in per_layer(func, "activation", activation, depth)]
    if (init is None) == (sigma_w is None):
        fail(func, "init", init, "pass exactly one of init= and sigma_w= with widths",
             TypeError)
    sw2s: list[float] = []
    if init is not None:
        for layer, item in enumerate(per_layer(func, "init", init, depth), 1):
            sw2s.append(_weight_sw2(func, item, widths[layer - 1], widths[layer], layer))
    else:
        for item in per_layer(func, "sigma_w", sigma_w, depth):
            sw2s.append(check_real(func, "sigma_w", item, nonnegative=True) ** 2)
    biases = [_bias_moments(func, item, widths[layer], layer)
              for layer, item in enumerate(per_layer(func, "bias", bias, depth), 1)]
    return widths, acts, sw2s, biases


def _from_network(func: str, net: object) -> tuple[tuple[int, ...], list[Activation],
                                                   list[float], list[tuple[float, float]],
                                                   bool]:
    anynet: Any = net
    widths = check_widths(func, anynet.widths, name="net", what=_NET)
    depth = len(widths) - 1
    acts = [_activation(func, a) for a in anynet.activations]
    weights = list(anynet.weights)
    raw_biases = getattr(anynet, "biases", None)
    biases_list = [None] * depth if raw_biases is None else list(raw_biases)
    if len(acts) != depth or len(weights) != depth or len(biases_list) != depth:
        fail(func, "net", net, f"a network with {len(widths)} widths needs {depth} "
             f"activations, weights and biases", why="is inconsistent")
    sw2s = [n_in * float(np.mean(np.square(np.asarray(w, dtype=np.float64))))
            for n_in, w in zip(widths[:-1], weights, strict=True)]
    biases: list[tuple[float, float]] = []
    for bvec in biases_list:
        if bvec is None:
            biases.append((0.0, 0.0))
        else:
            arr = np.asarray(bvec, dtype=np.float64)
            biases.append((float(arr.mean()), float(arr.var())))
    return widths, acts, sw2s, biases, bool(getattr(net, "batch_norm", False))


def _layer_moments(act: Activation, var: float, mean: float) -> tuple[float, float, float]:
    """``(E phi, E phi^2, E phi'^2)`` under N(mean, var), from one quadrature rule.

    The same nodes and weights as :func:`expect` (so the same values to the last bit), with
    phi and phi' evaluated once. A non-finite ``var`` (an overflowing signal) gives NaN.
    """
    if not math.isfinite(var) or not math.isfinite(mean):
        return math.nan, math.nan, math.nan
    if var == 0:
        return _e(act, act.f, 0.0, mean), _phi2(act, 0.0, mean), _dphi2(act, 0.0, mean)
    x, w = gauss_rule(mean, math.sqrt(var), tuple(float(k) for k in act.kinks))
    fx = evaluate("predict", act.f, x)
    dfx = evaluate("predict", act.df, x)
    with np.errstate(over="ignore", invalid="ignore"):  # beyond 1e154 the moments are inf
        return (float(np.sum(w * fx)), float(np.sum(w * np.square(fx))),
                float(np.sum(w * np.square(dfx))))


def propagate(widths: Sequence[int], activations: Sequence[Activation],
              sigma_w2: Sequence[float], biases: Sequence[tuple[float, float]], *,
              batch_norm: bool = False, x_second_moment: float = 1.0,
              grad_second_moment: float = 1.0, batch: int = 1) -> Prediction:
    r"""The mean-field recursion of :func:`predict` from explicit per-layer moments.

    :func:`predict` resolves widths, activations, initializers or a network into these
    arguments and calls this; :meth:`initlab.MLP.probe` calls it with what the probe saw
    (the realized weight scales, the biases' moments, the second moments of the input and of
    the upstream gradient) to attach the predicted columns of its report. No argument is
    checked here: use :func:`predict` for user input.

    Parameters
    ----------
    widths : sequence of int
        :math:`n_0, \dots, n_L`.
    activations : sequence of Activation
        One per layer, with derivatives.
    sigma_w2 : sequence of float
        :math:`\sigma_{w,l}^2 = n_{l-1}\,\mathbb{E}\,(W^l)^2` per layer.
    biases : sequence of (float, float)
        Mean and variance of each layer's bias elements.
    batch_norm : bool, default False
        Normalized pre-activations (forward only; the gradients are NaN).
    x_second_moment, grad_second_moment : float, default 1
        :math:`\mathbb{E}\,x^2` and :math:`\mathbb{E}\,(\partial L/\partial h^L)^2`.
    batch : int, default 1
        Examples summed in :math:`\partial L/\partial W`.

    Returns
    -------
    Prediction

    See Also
    --------
    predict : the same from user-facing arguments (formulas in its Notes).

    References
    ----------
    .. [1] S. S. Schoenholz, J. Gilmer, S. Ganguli and J. Sohl-Dickstein, "Deep Information
       Propagation", ICLR 2017, arXiv:1611.01232.

    Examples
    --------
    >>> import initlab
    >>> relu = initlab.activation("relu")
    >>> p = initlab.theory.propagate([64, 64, 64], [relu, relu], [2.0, 2.0], [(0.0, 0.0)] * 2)
    >>> p.q.round(12).tolist(), p.dh.round(12).tolist()
    ([2.0, 2.0], [1.0, 1.0])
    """
    widths = tuple(widths)
    acts = list(activations)
    sw2s, bn, xv, gv = list(sigma_w2), batch_norm, x_second_moment, grad_second_moment
    depth = len(widths) - 1
    q = np.empty(depth)
    h_mean, h_m2, dphi2 = np.empty(depth), np.empty(depth), np.empty(depth)
    prev_m2 = [xv]  # E (h^{l-1})^2, l = 1 ... L + 1
    for i, (act, sw2, (mu, s2)) in enumerate(zip(acts, sw2s, biases, strict=True)):
        v = sw2 * prev_m2[-1] + s2
        q[i] = v + mu * mu
        mean, var = (0.0, 1.0) if bn else (mu, v)
        h_mean[i], h_m2[i], dphi2[i] = _layer_moments(act, var, mean)
        prev_m2.append(float(h_m2[i]))
    sw2_arr = np.asarray(sw2s, dtype=np.float64)
    chi = sw2_arr * dphi2
    dz, dh, dw = np.empty(depth), np.empty(depth), np.empty(depth)
    grad = gv
    for i in reversed(range(depth)):
        dh[i] = grad
        dz[i] = grad * dphi2[i]
        dw[i] = batch * prev_m2[i] * dz[i]
        grad = float(widths[i + 1] * (sw2_arr[i] / widths[i]) * dz[i])
    dx = grad
    if bn:
        dz[:], dh[:], dw[:], dx = math.nan, math.nan, math.nan, math.nan
    return Prediction(
        widths=widths, activations=tuple(a.spec for a in acts), sigma_w=np.sqrt(sw2_arr),
        sigma_b=np.sqrt([s2 + mu * mu for mu, s2 in biases]), q=q, h_mean=h_mean,
        h_second_moment=h_m2, h_variance=np.maximum(h_m2 - h_mean**2, 0.0), chi=chi, dz=dz,
        dh=dh, dw=dw, dx=float(dx), batch_norm=bn)
