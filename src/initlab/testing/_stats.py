"""Statistical assertions for initializer outputs (private module).

The public names are re-exported by :mod:`initlab.testing`. Every check computes its statistic in
float64 and derives its threshold from a stated false-failure probability ``alpha`` (two-sided).
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import optimize, stats

from ..fans import LAYOUTS

__all__ = [
    "assert_distribution",
    "assert_mean",
    "assert_orthogonal",
    "assert_variance",
    "kurtosis_sparse",
    "kurtosis_truncated_normal",
]

#: Layout names accepted by :func:`assert_orthogonal`, mapped to their canonical form.
_LAYOUTS: dict[str, str] = LAYOUTS

#: Default ``atol`` of :func:`assert_orthogonal` per dtype (see its Notes).
_ORTHOGONAL_ATOL: dict[np.dtype[Any], float] = {
    np.dtype(np.float64): 1e-12,
    np.dtype(np.float32): 1e-5,
    np.dtype(np.float16): 5e-3,
}


# --------------------------------------------------------------------------- argument checks


def _reject(func: str, name: str, value: object, accepted: str, exc: type[Exception]) -> Exception:
    """Build the house-style error ``func: name=value is not accepted; use accepted.``."""
    return exc(f"{func}: {name}={value!r} is not accepted; use {accepted}.")


def _check_alpha(func: str, alpha: object) -> float:
    accepted = "a float in (0, 1)"
    if isinstance(alpha, (bool, np.bool_)) or not isinstance(alpha, numbers.Real):
        raise _reject(func, "alpha", alpha, accepted, TypeError)
    value = float(alpha)
    if not 0.0 < value < 1.0:  # also rejects nan
        raise _reject(func, "alpha", alpha, accepted, ValueError)
    return value


def _check_real(
    func: str, name: str, value: object, *, minimum: float | None = None, strict: bool = False
) -> float:
    """Return ``value`` as a finite float, optionally ``>= minimum`` (``> minimum`` if strict)."""
    if minimum is None:
        accepted = "a finite real number"
    else:
        accepted = f"a finite real number {'>' if strict else '>='} {minimum:g}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise _reject(func, name, value, accepted, TypeError)
    result = float(value)
    if not math.isfinite(result):
        raise _reject(func, name, value, accepted, ValueError)
    if minimum is not None and (result <= minimum if strict else result < minimum):
        raise _reject(func, name, value, accepted, ValueError)
    return result


def _describe_array(a: np.ndarray) -> str:
    return f"<array of shape {a.shape} and dtype {a.dtype}>"


class _Described:
    """Wraps a description so that ``repr`` shows it without quotes in error messages."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _check_sample(func: str, name: str, x: object, *, floating_only: bool = False) -> np.ndarray:
    """Convert ``x`` to a non-empty real numeric array; non-finite values fail the assertion."""
    accepted = (
        "a non-empty array of real floating values"
        if floating_only
        else ("a non-empty array of real numbers (float or int)")
    )
    try:
        a = np.asarray(x)
    except Exception as exc:  # ragged sequences and the like
        raise _reject(func, name, _Described(type(x).__name__), accepted, TypeError) from exc
    kinds = "f" if floating_only else "fiu"
    if a.dtype.kind not in kinds:
        raise _reject(func, name, _Described(_describe_array(a)), accepted, TypeError)
    if a.size == 0:
        raise _reject(func, name, _Described(_describe_array(a)), accepted, ValueError)
    if a.dtype.kind == "f":
        bad = int(np.count_nonzero(~np.isfinite(a)))
        if bad:
            raise AssertionError(
                f"{func}: {name} has {bad} non-finite value(s) (nan or inf) among {a.size}."
            )
    return a


def _eps(dtype: np.dtype[Any]) -> float:
    """Machine epsilon of a floating dtype; integers are exact in float64, so use its eps."""
    if dtype.kind == "f":
        return float(np.finfo(dtype).eps)
    return float(np.finfo(np.float64).eps)


def _fmt(value: float) -> str:
    return f"{value:.6g}"


# --------------------------------------------------------------------------- kurtosis helpers


def kurtosis_sparse(s: float) -> float:
    r"""Kurtosis of a sparse tensor: a fraction ``s`` of exact zeros, normal non-zeros.

    Parameters
    ----------
    s : float
        Fraction of entries that are exactly zero, in ``[0, 1)``.

    Returns
    -------
    float
        The (Pearson, non-excess) kurtosis :math:`\kappa = 3/(1 - s)`.

    Raises
    ------
    TypeError
        If ``s`` is not a real number.
    ValueError
        If ``s`` is not in ``[0, 1)``.

    See Also
    --------
    assert_variance : uses the kurtosis to size its interval.

    Notes
    -----
    With :math:`x = 0` with probability :math:`s` and :math:`x \sim \mathcal{N}(0, c^2)` otherwise,
    :math:`E x^2 = (1-s)c^2` and :math:`E x^4 = 3(1-s)c^4`, so

    .. math:: \kappa = \frac{E x^4}{(E x^2)^2} = \frac{3}{1 - s}.

    This is the element law of ``torch.nn.init.sparse_`` up to its fixed (not binomial) zero count
    per column.

    References
    ----------
    .. [1] J. Martens, "Deep learning via Hessian-free optimization", ICML 2010 (sparse
       initialization).

    Examples
    --------
    >>> from initlab.testing import kurtosis_sparse
    >>> kurtosis_sparse(0.0), kurtosis_sparse(0.5), round(kurtosis_sparse(0.9), 6)
    (3.0, 6.0, 30.0)
    """
    func = "kurtosis_sparse"
    accepted = "a float in [0, 1)"
    if isinstance(s, (bool, np.bool_)) or not isinstance(s, numbers.Real):
        raise _reject(func, "s", s, accepted, TypeError)
    value = float(s)
    if not 0.0 <= value < 1.0:
        raise _reject(func, "s", s, accepted, ValueError)
    return 3.0 / (1.0 - value)


def kurtosis_truncated_normal(lower: float = -2.0, upper: float = 2.0) -> float:
    r"""Kurtosis of a normal distribution truncated to ``[lower, upper]`` (in std units).

    Parameters
    ----------
    lower, upper : float
        Truncation bounds in units of the parent normal's standard deviation, measured from its
        mean; ``lower < upper``. Infinite bounds are allowed (``-inf, inf`` gives 3).

    Returns
    -------
    float
        The (Pearson, non-excess) kurtosis of the truncated law about its own mean, computed
        exactly by :func:`scipy.stats.truncnorm`.

    Raises
    ------
    TypeError
        If a bound is not a real number.
    ValueError
        If a bound is nan or ``lower >= upper``.

    See Also
    --------
    assert_variance : ``kurtosis="truncated_normal"`` is ``kurtosis_truncated_normal(-2, 2)``.

    Notes
    -----
    .. math::

        \kappa = \frac{E(x - \mu_t)^4}{\sigma_t^4},
        \qquad x \sim \mathcal{N}(0, 1) \text{ conditioned on } a \le x \le b,

    with :math:`\mu_t, \sigma_t` the mean and standard deviation of the truncated law. For the
    symmetric :math:`\pm 2\sigma` truncation used by Keras and JAX, :math:`\kappa = 2.36554`.

    References
    ----------
    .. [1] N. L. Johnson, S. Kotz, N. Balakrishnan, "Continuous Univariate Distributions",
       vol. 1, 2nd ed., Wiley 1994, ch. 13 (truncated normal moments).

    Examples
    --------
    >>> from initlab.testing import kurtosis_truncated_normal
    >>> round(kurtosis_truncated_normal(-2, 2), 5)
    2.36554
    >>> kurtosis_truncated_normal(-float("inf"), float("inf"))
    3.0
    """
    func = "kurtosis_truncated_normal"
    bounds: list[float] = []
    for name, value in (("lower", lower), ("upper", upper)):
        accepted = "a real number (std units, infinite allowed)"
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            raise _reject(func, name, value, accepted, TypeError)
        if math.isnan(float(value)):
            raise _reject(func, name, value, accepted, ValueError)
        bounds.append(float(value))
    a, b = bounds
    if not a < b:
        raise _reject(func, "upper", upper, f"a number greater than lower={lower!r}", ValueError)
    return _truncnorm_kurtosis(a, b)


@functools.lru_cache(maxsize=64)
def _truncnorm_kurtosis(a: float, b: float) -> float:
    if math.isinf(a) and math.isinf(b):
        return 3.0
    excess = stats.truncnorm(a, b).stats(moments="k")
    return float(excess) + 3.0


_KURTOSIS_NAMES: dict[str, Callable[[], float]] = {
    "normal": lambda: 3.0,
    "uniform": lambda: 9.0 / 5.0,
    "truncated_normal": lambda: kurtosis_truncated_normal(-2.0, 2.0),
}


def _check_kurtosis(func: str, kurtosis: object) -> float:
    names = ", ".join(repr(k) for k in _KURTOSIS_NAMES)
    accepted = f"one of {names} or a finite float >= 1"
    if isinstance(kurtosis, str):
        if kurtosis not in _KURTOSIS_NAMES:
            raise _reject(func, "kurtosis", kurtosis, accepted, ValueError)
        return _KURTOSIS_NAMES[kurtosis]()
    if isinstance(kurtosis, (bool, np.bool_)) or not isinstance(kurtosis, numbers.Real):
        raise _reject(func, "kurtosis", kurtosis, accepted, TypeError)
    value = float(kurtosis)
    if not (math.isfinite(value) and value >= 1.0):
        raise _reject(func, "kurtosis", kurtosis, accepted, ValueError)
    return value


# --------------------------------------------------------------------------- critical values


@functools.lru_cache(maxsize=256)
def _z_two_sided(alpha: float) -> float:
    return float(stats.norm.isf(alpha / 2.0))


@functools.lru_cache(maxsize=256)
def _chi2_interval(alpha: float, n: int) -> tuple[float, float]:
    """Accept interval for ``mean(x**2)/var`` of ``n`` i.i.d. zero-mean normals."""
    lo = float(stats.chi2.ppf(alpha / 2.0, n)) / n
    hi = float(stats.chi2.isf(alpha / 2.0, n)) / n
    return lo, hi


def _sparse_normal_tail(ybar: float, n: int, p: float, *, upper: bool) -> float:
    r"""Lugannani-Rice tail of the mean of ``n`` i.i.d. ``y = x**2 / var``.

    ``x`` is 0 with probability ``1 - p`` and :math:`\mathcal{N}(0, 1/p)` otherwise (kurtosis
    ``3/p``), so ``E y = 1``. Returns ``P(mean(y) >= ybar)`` if ``upper`` else
    ``P(mean(y) <= ybar)``.
    """
    if not upper and ybar <= 0.0:
        # mean(y) >= 0, and only the all-zero sample reaches 0
        return (1.0 - p) ** n if ybar == 0.0 else 0.0

    # Parametrize the saddlepoint by r = (1 - 2t/p)**-0.5 > 0: then M(t) = 1 - p + p r,
    # M'(t) = r**3 and M''(t) = 3 r**5 / p. K'(t) = ybar is the cubic r**3 = ybar (1 - p + p r),
    # whose positive root lies in (0, max(1, sqrt(ybar))].
    def g(r: float) -> float:
        return r**3 - ybar * (1.0 - p + p * r)

    r = float(optimize.brentq(g, 0.0, max(1.0, math.sqrt(ybar)), xtol=1e-15, rtol=1e-15))
    t = 0.5 * p * (1.0 - r**-2)
    m = 1.0 - p + p * r
    k = math.log(m)
    k2 = 3.0 * r**5 / (p * m) - (r**3 / m) ** 2
    w = math.copysign(math.sqrt(max(2.0 * n * (t * ybar - k), 0.0)), t)
    u = t * math.sqrt(n * k2)
    upper_tail = float(stats.norm.sf(w) + stats.norm.pdf(w) * (1.0 / u - 1.0 / w))
    return upper_tail if upper else 1.0 - upper_tail


def _sparse_normal_tail_exact(ybar: float, n: int, p: float, *, upper: bool) -> float:
    """Exact tail of the same law: ``n p mean(y)`` is chi-square with ``K ~ Bin(n, p)`` dof."""
    sd = math.sqrt(n * p * (1.0 - p))
    k = np.arange(
        max(1, math.floor(n * p - 12.0 * sd) - 10), min(n, math.ceil(n * p + 12.0 * sd) + 10) + 1
    )
    weights = stats.binom.pmf(k, n, p)
    c = ybar * n * p
    if upper:
        return float(np.sum(weights * stats.chi2.sf(c, k))) if c > 0.0 else 1.0
    if ybar < 0.0:
        return 0.0
    return float(stats.binom.pmf(0, n, p) + np.sum(weights * stats.chi2.cdf(c, k)))


@functools.lru_cache(maxsize=256)
def _kurtosis_z(alpha: float, n: int, kappa: float) -> float:
    r"""Multiplier ``z`` of the kurtosis interval :math:`1 \pm z\sqrt{(\kappa-1)/n}`.

    ``z_{alpha/2}`` for ``kappa <= 3``. For ``kappa > 3``, the smallest ``z >= z_{alpha/2}`` whose
    two-sided tail probability under the sparse-normal law of that kurtosis is at most ``alpha``
    (exact mixture or saddlepoint; see ``assert_variance``, Notes).
    """
    z0 = _z_two_sided(alpha)
    if kappa <= 3.0 or z0 < 1.0:
        return z0
    p = 3.0 / kappa
    sd = math.sqrt((kappa - 1.0) / n)

    # Exact mixture while it has few terms, saddlepoint beyond (relative error < 1e-4 there).
    tail = _sparse_normal_tail_exact if n * p * (1.0 - p) <= 2500.0 else _sparse_normal_tail

    def excess(z: float) -> float:
        upper = tail(1.0 + z * sd, n, p, upper=True)
        lower = tail(1.0 - z * sd, n, p, upper=False)
        return upper + lower - alpha

    if excess(z0) <= 0.0:
        return z0
    lo, hi = z0, z0 * 1.25
    for _ in range(100):
        if excess(hi) <= 0.0:
            return float(optimize.brentq(excess, lo, hi, xtol=1e-6))
        lo, hi = hi, hi * 1.25
    return hi  # not reached for n >= 1: the upper tail vanishes as z grows


@functools.lru_cache(maxsize=256)
def _ks_critical(alpha: float, n: int) -> float:
    return float(stats.kstwo.isf(alpha, n))


# --------------------------------------------------------------------------- assert_mean


def assert_mean(x: npt.ArrayLike, mean: float, std: float, *, alpha: float = 1e-6) -> None:
    r"""Assert that the sample mean of ``x`` is consistent with a known mean and element std.

    Two-sided z-test on the mean of all elements (flattened), accumulated in float64.

    Parameters
    ----------
    x : array_like
        The sample, e.g. an initializer's output; any shape, real float or integer dtype,
        at least one element.
    mean : float
        The true mean of every element.
    std : float
        The true standard deviation of every element, ``>= 0``. ``0`` asks for exact equality
        up to the rounding of ``x``'s dtype.
    alpha : float, optional
        False-failure probability of the check, in ``(0, 1)``. Default ``1e-6``.

    Returns
    -------
    None
        Returns silently when the check passes.

    Raises
    ------
    AssertionError
        If the sample mean lies outside the accept interval, or ``x`` holds nan or inf. The
        message gives the observed mean, the interval, ``n``, ``alpha`` and the deviation in
        standard errors.
    TypeError
        If ``x`` is not a real numeric array, or an argument is not a real number.
    ValueError
        If ``x`` is empty, ``std < 0``, ``mean`` or ``std`` is not finite, or ``alpha`` is not
        in ``(0, 1)``.

    See Also
    --------
    assert_variance : the companion check on the second moment.

    Notes
    -----
    With :math:`n` = ``x.size`` and :math:`z_{\alpha/2}` = ``scipy.stats.norm.isf(alpha/2)``,
    accept iff

    .. math:: |\bar{x} - \mu| \le z_{\alpha/2}\, \frac{\sigma}{\sqrt{n}}.

    This is exact for normal elements and a central-limit approximation otherwise (elements are
    assumed independent). At ``alpha=1e-6``, :math:`z_{\alpha/2} = 4.8916`, i.e. a band of
    :math:`0.0155\sigma` at :math:`n = 10^5`.

    With ``std == 0`` every element must equal ``mean`` up to the rounding of ``x``'s dtype:
    :math:`\max_i |x_i - \mu| \le \varepsilon\,|\mu|`, :math:`\varepsilon` the dtype's machine
    epsilon (float64's for integer arrays).

    References
    ----------
    .. [1] G. Casella, R. L. Berger, "Statistical Inference", 2nd ed., Duxbury 2002, ch. 8-9
       (z-tests and the central limit theorem).

    Examples
    --------
    >>> import numpy as np
    >>> from initlab.testing import assert_mean
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(0.5, 2.0, size=100_000)
    >>> assert_mean(x, 0.5, 2.0)  # passes: returns None
    >>> try:
    ...     assert_mean(x + 0.1, 0.5, 2.0)
    ... except AssertionError:
    ...     print("rejected")
    rejected
    """
    func = "assert_mean"
    alpha = _check_alpha(func, alpha)
    a = _check_sample(func, "x", x)
    mu = _check_real(func, "mean", mean)
    sigma = _check_real(func, "std", std, minimum=0.0)
    n = a.size
    if sigma == 0.0:
        dev = np.abs(a.astype(np.float64, copy=False) - mu)
        tol = _eps(a.dtype) * abs(mu)
        worst = int(np.argmax(dev))
        if float(dev.flat[worst]) > tol:
            index = np.unravel_index(worst, a.shape)
            raise AssertionError(
                f"{func}: x{list(map(int, index))} = {_fmt(float(a.flat[worst]))} differs from "
                f"mean={_fmt(mu)} by {float(dev.flat[worst]):.3g} > {tol:.3g} (std=0 asks for "
                f"equality up to the rounding of {a.dtype}; n={n})."
            )
        return
    xbar = float(np.mean(a, dtype=np.float64))
    z = _z_two_sided(alpha)
    se = sigma / math.sqrt(n)
    half = z * se
    if not abs(xbar - mu) <= half:
        raise AssertionError(
            f"{func}: mean(x) = {_fmt(xbar)} is outside [{_fmt(mu - half)}, {_fmt(mu + half)}] "
            f"for mean={_fmt(mu)}, std={_fmt(sigma)} (n={n}, alpha={alpha:g}, z={z:.4f}); "
            f"deviation = {(xbar - mu) / se:.2f} standard errors."
        )


# --------------------------------------------------------------------------- assert_variance


def assert_variance(
    x: npt.ArrayLike,
    var: float,
    *,
    mean: float = 0.0,
    kurtosis: float | str = 3.0,
    alpha: float = 1e-6,
) -> None:
    r"""Assert that the second moment of ``x`` about a known mean matches a variance.

    Tests :math:`S_0^2 = \operatorname{mean}((x - \mu)^2)`, accumulated in float64, against
    ``var`` with an interval sized for the element distribution's kurtosis.

    Parameters
    ----------
    x : array_like
        The sample (flattened), real float or integer dtype, at least one element. Elements
        are assumed independent: do not use this on orthogonal matrices (see
        :func:`assert_orthogonal`).
    var : float
        The true element variance, ``>= 0``. ``0`` asks for exact equality to ``mean`` up to
        the rounding of ``x``'s dtype.
    mean : float, optional
        The known true mean :math:`\mu` of the elements (not estimated). Default ``0.0``.
    kurtosis : float or str, optional
        The Pearson kurtosis :math:`\kappa = E(x-\mu)^4/\sigma^4` of the element law (``>= 1``),
        or one of the names ``"normal"`` (3), ``"uniform"`` (9/5) and ``"truncated_normal"``
        (:math:`\pm 2\sigma` truncation, 2.36554). Use :func:`kurtosis_sparse` and
        :func:`kurtosis_truncated_normal` for other shapes. Default 3 (normal).
    alpha : float, optional
        False-failure probability of the check, in ``(0, 1)``. Default ``1e-6``.

    Returns
    -------
    None
        Returns silently when the check passes.

    Raises
    ------
    AssertionError
        If :math:`S_0^2` lies outside the accept interval, or ``x`` holds nan or inf. The
        message gives the statistic, the interval, ``n``, ``alpha``, the method and the ratio
        observed/expected.
    TypeError
        If ``x`` is not a real numeric array or an argument has the wrong type.
    ValueError
        If ``x`` is empty, ``var < 0``, ``kurtosis`` is an unknown name or below 1, or
        ``alpha`` is not in ``(0, 1)``.

    See Also
    --------
    assert_mean : test the mean separately.
    assert_distribution : test the shape (KS), which is weak against scale errors.

    Notes
    -----
    Let :math:`n` = ``x.size`` and :math:`\sigma^2` = ``var``. Three rules, by kurtosis:

    * :math:`\kappa = 3` (normal): :math:`n S_0^2/\sigma^2 \sim \chi^2_n` exactly, so accept iff

      .. math::

          \chi^{2\,-1}_n(\alpha/2) \le n S_0^2/\sigma^2 \le \chi^{2\,-1}_n(1 - \alpha/2),

      e.g. :math:`[0.97828, 1.02203]` at :math:`n = 10^5`, ``alpha=1e-6``.
    * :math:`\kappa \ne 1, 3`: :math:`\operatorname{Var}(S_0^2)/\sigma^4 = (\kappa - 1)/n`, and
      accept iff

      .. math:: |S_0^2/\sigma^2 - 1| \le z\,\sqrt{(\kappa - 1)/n}.

      For :math:`\kappa < 3`, :math:`z = z_{\alpha/2}` (``norm.isf(alpha/2)``, 4.8916 at
      ``alpha=1e-6``). For :math:`\kappa > 3` the normal approximation runs over at small
      :math:`n`, because the law of :math:`x^2` is skewed: a 90 %-sparse tensor at
      :math:`n = 10^4` fails 2.3e-6 of the time, 1.9e-5 at :math:`n = 10^3`. A fixed
      :math:`z = 5.3` below :math:`n = 10^5` over-corrects at :math:`10^4` (3.8e-7) and
      under-corrects at :math:`10^3` (5.1e-6). Instead, :math:`z` is the smallest value
      :math:`\ge z_{\alpha/2}` whose two-sided tail probability is exactly :math:`\alpha` when the
      elements are sparse-normal with that kurtosis: zero with probability :math:`1 - p`,
      :math:`p = 3/\kappa`, and normal otherwise, the heavy-tailed shape an initializer
      produces. Under that law :math:`n p S_0^2/\sigma^2` is :math:`\chi^2_K` with
      :math:`K \sim \mathrm{Bin}(n, p)`; the tail is summed exactly while
      :math:`np(1-p) \le 2500` and taken from the Lugannani-Rice saddlepoint approximation
      beyond (relative error below 1e-4 there). At ``alpha=1e-6``:

      ============  ===========  ===========  ===========  ===========
      sparsity      n = 1e3      n = 1e4      n = 1e5      n = 1e6
      ============  ===========  ===========  ===========  ===========
      0.5 (κ = 6)   5.206        4.936        4.896        4.892
      0.9 (κ = 30)  5.792        5.084        4.915        4.894
      ============  ===========  ===========  ===========  ===========

      :math:`z` tends to :math:`z_{\alpha/2}` as :math:`n` grows. Other heavy-tailed shapes
      (Laplace, Student t) have heavier sixth moments, so their rate can still exceed
      :math:`\alpha` at small :math:`n`: use :math:`n \ge 10^5`.
    * :math:`\kappa = 1` (constant magnitude, :math:`x = \mu \pm c`): :math:`S_0^2` is
      deterministic. Accept iff :math:`|S_0^2 - \sigma^2| \le \tau\,(\sigma + |\mu|)^2` with
      :math:`\tau = 8\varepsilon + \varepsilon_{64}\log_2 n`, :math:`\varepsilon` the dtype's
      machine epsilon: 9.5e-7 for float32, 7.8e-3 for float16, about 2e-15 for float64. Each
      stored element is off by at most half an ulp, which moves :math:`S_0^2` by at most
      :math:`\varepsilon(\sigma + |\mu|)^2`. ``var == 0`` is handled the same way for any
      kurtosis.

    Sample size: catching a 5 % variance error with probability :math:`1 - 10^{-6}` needs
    :math:`n \ge 78{,}144` for a normal (use :math:`10^5`), 31k uniform, 53k truncated normal,
    195k 50 %-sparse, 1.13M 90 %-sparse. The plain :math:`\chi^2` interval is only right for
    normal data: on a 90 %-sparse tensor it fails 20 % of the time.

    References
    ----------
    .. [1] R. Lugannani, S. Rice, "Saddle point approximation for the distribution of the sum of
       independent random variables", Adv. Appl. Probab. 12, 1980, doi:10.2307/1426607.
    .. [2] E. L. Lehmann, J. P. Romano, "Testing Statistical Hypotheses", 3rd ed., Springer
       2005 (chi-square interval for a normal variance; asymptotic variance of the sample second
       moment, :math:`(\kappa - 1)\sigma^4/n`).

    Examples
    --------
    >>> import numpy as np
    >>> from initlab.testing import assert_variance
    >>> rng = np.random.default_rng(0)
    >>> w = rng.standard_normal(100_000, dtype=np.float32) * np.float32(0.1)
    >>> assert_variance(w, 0.01)  # chi-square interval: passes
    >>> try:
    ...     assert_variance(w * np.float32(1.05**0.5), 0.01)  # 5 % too large
    ... except AssertionError as exc:
    ...     print(str(exc).split("; ")[-1])
    observed/expected = 1.0422
    >>> u = rng.uniform(-1.0, 1.0, 100_000)
    >>> assert_variance(u, 1 / 3, kurtosis="uniform")
    """
    func = "assert_variance"
    alpha = _check_alpha(func, alpha)
    a = _check_sample(func, "x", x)
    sigma2 = _check_real(func, "var", var, minimum=0.0)
    mu = _check_real(func, "mean", mean)
    kappa = _check_kurtosis(func, kurtosis)
    n = a.size
    centred = a.astype(np.float64) - mu
    s02 = float(np.mean(centred * centred))
    statistic = f"mean((x - {mu:g})**2) = {_fmt(s02)}"
    if sigma2 == 0.0 or kappa == 1.0:
        tau = 8.0 * _eps(a.dtype) + _eps(np.dtype(np.float64)) * math.log2(n + 1)
        tol = tau * (math.sqrt(sigma2) + abs(mu)) ** 2
        lo, hi = sigma2 - tol, sigma2 + tol
        method = f"exact: kurtosis 1 or var 0, rounding tolerance {tol:.3g}"
    elif kappa == 3.0:
        rlo, rhi = _chi2_interval(alpha, n)
        lo, hi = sigma2 * rlo, sigma2 * rhi
        method = "chi-square"
    else:
        z = _kurtosis_z(alpha, n, kappa)
        half = z * math.sqrt((kappa - 1.0) / n)
        lo, hi = sigma2 * (1.0 - half), sigma2 * (1.0 + half)
        method = f"kurtosis {kappa:.6g} normal approximation, z={z:.4f}"
    if not lo <= s02 <= hi:
        digits = 9 if sigma2 == 0.0 or kappa == 1.0 else 4
        ratio = f"{s02 / sigma2:.{digits}f}" if sigma2 > 0.0 else "inf"
        raise AssertionError(
            f"{func}: {statistic} is outside [{_fmt(lo)}, {_fmt(hi)}] for var={sigma2:g} "
            f"(n={n}, alpha={alpha:g}, {method}); observed/expected = {ratio}"
        )


# --------------------------------------------------------------------------- assert_distribution


def _format_call(name: str, args: tuple[Any, ...], kwds: dict[str, Any]) -> str:
    parts = [repr(v) for v in args] + [f"{k}={v!r}" for k, v in kwds.items()]
    return f"{name}({', '.join(parts)})"


def _resolve_cdf(
    func: str, dist: object, args: tuple[Any, ...], kwds: dict[str, Any]
) -> tuple[Callable[[np.ndarray], np.ndarray], str]:
    """Turn ``dist`` (+ shape arguments) into a vectorized float64 CDF and a description."""
    accepted = (
        "a frozen scipy.stats continuous distribution, the name of one (e.g. 'norm') "
        "or a CDF callable"
    )
    if isinstance(dist, str):
        obj = getattr(stats, dist, None)
        if not isinstance(obj, stats.rv_continuous):
            raise _reject(func, "dist", dist, accepted, ValueError)
        try:
            frozen = obj(*args, **kwds)
        except TypeError as exc:
            raise _reject(
                func, "args", (args, kwds), f"the shape arguments of scipy.stats.{dist}", TypeError
            ) from exc
        return frozen.cdf, _format_call(dist, args, kwds)
    if isinstance(dist, stats.rv_discrete) or isinstance(
        getattr(dist, "dist", None), stats.rv_discrete
    ):
        raise _reject(func, "dist", dist, accepted + " (KS needs a continuous law)", TypeError)
    if isinstance(dist, stats.rv_continuous):
        return dist(*args, **kwds).cdf, _format_call(str(dist.name), args, kwds)
    cdf = getattr(dist, "cdf", None)
    if callable(cdf) and not isinstance(dist, type):
        if args or kwds:
            raise _reject(
                func,
                "args",
                (args, kwds),
                "no extra arguments with a frozen distribution",
                TypeError,
            )
        inner = getattr(dist, "dist", None)
        if inner is not None and hasattr(inner, "name"):
            desc = _format_call(
                str(inner.name), tuple(getattr(dist, "args", ())), dict(getattr(dist, "kwds", {}))
            )
        else:
            desc = repr(dist)
        return cdf, desc
    if callable(dist):
        name = getattr(dist, "__name__", repr(dist))

        def bound(v: np.ndarray) -> np.ndarray:
            return np.asarray(dist(v, *args, **kwds), dtype=np.float64)

        return bound, _format_call(str(name), args, kwds)
    raise _reject(func, "dist", dist, accepted, TypeError)


def assert_distribution(
    x: npt.ArrayLike,
    dist: object,
    *args: Any,
    alpha: float = 1e-6,
    **kwds: Any,
) -> None:
    r"""Assert that ``x`` is a sample of a given continuous distribution (Kolmogorov-Smirnov).

    One-sample two-sided KS test of the flattened sample against a fully specified CDF, with the
    exact finite-:math:`n` critical value. Checks the *shape*; pair it with
    :func:`assert_variance` for the scale.

    Parameters
    ----------
    x : array_like
        The sample, real floating dtype (float16, float32 or float64), at least one element.
        Pass it in the dtype it was generated in: the test accounts for that dtype's rounding.
    dist : str, scipy.stats distribution or callable
        A frozen continuous distribution (``scipy.stats.norm(0, 0.1)``), an unfrozen one
        (``scipy.stats.norm``) or its name (``"norm"``, ``"uniform"``, ``"truncnorm"``) frozen
        with ``*args, **kwds``, or a CDF callable ``cdf(values, *args, **kwds)`` taking a
        float64 array.
    *args, **kwds
        Shape, ``loc`` and ``scale`` arguments of ``dist`` (not with a frozen distribution).
    alpha : float, optional
        False-failure probability of the check, in ``(0, 1)``. Default ``1e-6``.

    Returns
    -------
    None
        Returns silently when the check passes.

    Raises
    ------
    AssertionError
        If :math:`D > D_{crit}` or ``x`` holds nan or inf. The message gives :math:`D`,
        :math:`D_{crit}`, ``n``, ``alpha`` and the distribution.
    TypeError
        If ``x`` is not a real floating array (integer data is discrete: KS does not apply), or
        ``dist`` is not one of the accepted kinds, is discrete, or gets unusable arguments.
    ValueError
        If ``x`` is empty, ``dist`` names no continuous scipy distribution, the CDF returns
        values outside ``[0, 1]``, or ``alpha`` is not in ``(0, 1)``.

    See Also
    --------
    assert_variance : the scale check KS cannot replace.

    Notes
    -----
    With sorted values :math:`v_1 \le \dots \le v_n` and the null CDF :math:`F`,

    .. math::

        D = \max_i \max\Bigl(\frac{i}{n} - F(v_i^{+}),\; F(v_i^{-}) - \frac{i - 1}{n}\Bigr),
        \qquad D_{crit} = \texttt{kstwo.isf}(\alpha, n),

    and the check fails iff :math:`D > D_{crit}` (:math:`\approx 2.6934/\sqrt{n}` at
    ``alpha=1e-6`` and :math:`n \ge 10^4`). Everything is computed in float64.

    **Rounding and ties (deliberate choice).** :math:`v_i^{-}, v_i^{+}` are the dtype's
    neighbours of :math:`v_i` (``numpy.nextafter``), not :math:`v_i` itself. A stored value is a
    faithful rounding of a continuous draw, so the draw lies in :math:`[v_i^-, v_i^+]`; this
    :math:`D` is then never larger than the KS statistic of the unrounded draws, and the
    false-failure rate stays :math:`\le \alpha` for every dtype and every :math:`n`. The plain
    statistic would not: on the float16 grid (relative spacing :math:`2^{-11}`) the rounding
    shifts the CDF by up to :math:`f(x)\,\mathrm{ulp}(x)/2`, e.g. 0.02 for
    :math:`\mathcal{N}(1, 0.01^2)` (:math:`D_{crit} = 0.0085` at :math:`n = 10^5`) and
    :math:`1.2\times10^{-4}` for a zero-mean normal, so a correct float16 sample is rejected
    once :math:`n` is large enough. The price is a power loss of the same size, which is
    negligible for float32/float64 (:math:`\sim 10^{-7}`) and means float16 shapes are only
    resolved to about :math:`f\,\mathrm{ulp}`. Ties need no special handling.

    KS has little power against scale errors: a 5 % variance error moves :math:`D` by only
    0.0059 for a normal, below :math:`D_{crit} = 0.0085` at :math:`n = 10^5` (detected 1-2 %
    of the time), reliable only from :math:`n \approx 10^6`. It does tell a normal from a
    uniform of the same variance (:math:`D = 0.057`, :math:`n = 10^4`) or from a
    :math:`\pm 2\sigma` truncated normal rescaled to the same variance (:math:`D = 0.017`,
    :math:`n = 10^5`). Parameters must not be estimated from ``x`` (that would need Lilliefors'
    critical values).

    References
    ----------
    .. [1] A. N. Kolmogorov, "Sulla determinazione empirica di una legge di distribuzione",
       G. Ist. Ital. Attuari 4, 1933.
    .. [2] R. Simard, P. L'Ecuyer, "Computing the two-sided Kolmogorov-Smirnov distribution",
       J. Stat. Softw. 39(11), 2011, doi:10.18637/jss.v039.i11 (``scipy.stats.kstwo``).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> from initlab.testing import assert_distribution
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal(10_000)
    >>> assert_distribution(x, "norm")
    >>> assert_distribution(x * 0.5, stats.norm(0, 0.5))
    >>> u = rng.uniform(-3**0.5, 3**0.5, 10_000)  # same variance, wrong shape
    >>> try:
    ...     assert_distribution(u, "norm")
    ... except AssertionError as exc:
    ...     print(str(exc)[:45])
    assert_distribution: KS statistic D = 0.06124
    """
    func = "assert_distribution"
    alpha = _check_alpha(func, alpha)
    a = _check_sample(func, "x", x, floating_only=True)
    cdf, desc = _resolve_cdf(func, dist, args, kwds)
    n = a.size
    v = np.sort(a, axis=None)
    below = np.nextafter(v, v.dtype.type(-np.inf)).astype(np.float64)
    above = np.nextafter(v, v.dtype.type(np.inf)).astype(np.float64)
    f_lo = np.asarray(cdf(below), dtype=np.float64)
    f_hi = np.asarray(cdf(above), dtype=np.float64)
    if f_lo.shape != v.shape or f_hi.shape != v.shape:
        raise _reject(
            func, "dist", dist, "a CDF that maps an array to an array of the same shape", TypeError
        )
    if not (np.all((f_lo >= 0.0) & (f_lo <= 1.0)) and np.all((f_hi >= 0.0) & (f_hi <= 1.0))):
        raise _reject(func, "dist", dist, "a CDF with values in [0, 1]", ValueError)
    i = np.arange(1, n + 1, dtype=np.float64)
    d_plus = float(np.max(i / n - f_hi))
    d_minus = float(np.max(f_lo - (i - 1.0) / n))
    d = max(d_plus, d_minus, 0.0)
    d_crit = _ks_critical(alpha, n)
    if d > d_crit:
        side = "above" if d_plus >= d_minus else "below"
        raise AssertionError(
            f"{func}: KS statistic D = {d:.4g} exceeds D_crit = {d_crit:.4g} for {desc} "
            f"(n={n}, alpha={alpha:g}, exact kstwo; {a.dtype} rounding accounted for); "
            f"the empirical CDF lies {side} the null CDF, sqrt(n)*D = {d * math.sqrt(n):.3f}."
        )


# --------------------------------------------------------------------------- assert_orthogonal


def assert_orthogonal(
    q: npt.ArrayLike,
    *,
    gain: float = 1.0,
    layout: str = "in_out",
    atol: float | None = None,
) -> None:
    r"""Assert that ``q``, flattened like an orthogonal initializer does, is ``gain`` x orthonormal.

    Parameters
    ----------
    q : array_like
        Real array with at least 2 dimensions.
    gain : float, optional
        The scale of the orthonormal matrix, ``> 0``. Default 1.
    layout : str, optional
        How ``q`` is flattened to a matrix :math:`M`: ``"in_out"`` (aliases ``"keras"``,
        ``"jax"``, ``"tf"``) gives rows ``prod(shape[:-1])`` and columns ``shape[-1]``;
        ``"out_in"`` (alias ``"torch"``) gives rows ``shape[0]`` and columns
        ``prod(shape[1:])``. Default ``"in_out"``.
    atol : float, optional
        Tolerance on the largest deviation, ``>= 0``. Default by dtype: 1e-12 for float64 and
        integer arrays, 1e-5 for float32, 5e-3 for float16.

    Returns
    -------
    None
        Returns silently when the check passes.

    Raises
    ------
    AssertionError
        If the deviation exceeds ``atol`` or ``q`` holds nan or inf. The message gives the
        largest deviation, its position in the Gram matrix, the flattening and the tolerance.
    TypeError
        If ``q`` is not a real numeric array or an argument has the wrong type.
    ValueError
        If ``q`` has fewer than 2 dimensions, ``layout`` is unknown, ``gain <= 0`` or
        ``atol < 0``.

    See Also
    --------
    assert_variance : for i.i.d. initializers; the second moment of an orthogonal matrix is
        exactly ``gain**2 / max(rows, cols)``, so a variance interval is meaningless here.

    Notes
    -----
    With :math:`M` of shape :math:`r \times c` (in float64) and :math:`g` = ``gain``, the check
    is

    .. math::

        \max_{ij} \bigl|(M M^\top)_{ij}/g^2 - \delta_{ij}\bigr| \le \mathrm{atol}
        \quad (r \le c), \qquad
        \max_{ij} \bigl|(M^\top M)_{ij}/g^2 - \delta_{ij}\bigr| \le \mathrm{atol}
        \quad (r > c),

    i.e. orthonormal rows when there are no more rows than columns, orthonormal columns
    otherwise. An empty matrix passes.

    Default tolerances: a float64 QR factor deviates by at most :math:`0.56\sqrt{k}\,\varepsilon`
    (measured, :math:`k = \min(r, c)`), far below 1e-12. A float32 factor computed natively
    deviates by :math:`0.56\sqrt{k}\,\varepsilon_{32}`, within 1e-5 up to :math:`k \approx
    2\times10^4`; pass ``atol=8 * k**0.5 * 1.2e-7`` beyond. Rounding an exactly orthonormal
    matrix to float16 changes each Gram entry by at most :math:`2u + u^2 = 9.8\times10^{-4}`
    (:math:`u = 2^{-11}`) whatever :math:`k`, hence 5e-3.

    References
    ----------
    .. [1] A. M. Saxe, J. L. McClelland, S. Ganguli, "Exact solutions to the nonlinear dynamics
       of learning in deep linear neural networks", ICLR 2014, arXiv:1312.6120.
    .. [2] F. Mezzadri, "How to generate random matrices from the classical compact groups",
       Notices of the AMS 54(5), 2007, arXiv:math-ph/0609050.

    Examples
    --------
    >>> import numpy as np
    >>> from initlab.testing import assert_orthogonal
    >>> rng = np.random.default_rng(0)
    >>> qm, _ = np.linalg.qr(rng.standard_normal((48, 16)))  # 48 x 16, orthonormal columns
    >>> assert_orthogonal(2.0 * qm.reshape(3, 16, 16), gain=2.0)  # in_out: 48 rows, 16 cols
    >>> assert_orthogonal(qm.T.reshape(16, 3, 16), layout="torch")  # 16 rows, 48 cols
    >>> try:
    ...     assert_orthogonal(qm.reshape(3, 16, 16), layout="torch")
    ... except AssertionError:
    ...     print("rejected: rows of the 3 x 256 matrix are not orthonormal")
    rejected: rows of the 3 x 256 matrix are not orthonormal
    """
    func = "assert_orthogonal"
    a = _check_sample(func, "q", q) if np.size(q) else np.asarray(q)
    if a.dtype.kind not in "fiu":
        raise _reject(
            func,
            "q",
            _Described(_describe_array(a)),
            "an array of real numbers with at least 2 dimensions",
            TypeError,
        )
    if a.ndim < 2:
        raise _reject(
            func,
            "q",
            _Described(_describe_array(a)),
            "an array with at least 2 dimensions",
            ValueError,
        )
    if not isinstance(layout, str):
        raise _reject(func, "layout", layout, "a str", TypeError)
    if layout not in _LAYOUTS:
        names = ", ".join(repr(k) for k in _LAYOUTS)
        raise _reject(func, "layout", layout, f"one of {names}", ValueError)
    canonical = _LAYOUTS[layout]
    g = _check_real(func, "gain", gain, minimum=0.0, strict=True)
    if atol is None:
        tol = _ORTHOGONAL_ATOL.get(a.dtype, 1e-12)
    else:
        tol = _check_real(func, "atol", atol, minimum=0.0)
    shape = a.shape
    if canonical == "in_out":
        rows, cols = math.prod(shape[:-1]), shape[-1]
    else:
        rows, cols = shape[0], math.prod(shape[1:])
    if min(rows, cols) == 0:
        return
    m = a.reshape(rows, cols).astype(np.float64)
    if rows <= cols:
        gram, what, product = m @ m.T, "rows", "M M^T"
    else:
        gram, what, product = m.T @ m, "columns", "M^T M"
    dev = np.abs(gram / (g * g) - np.eye(gram.shape[0]))
    worst = int(np.argmax(dev))
    worst_dev = float(dev.flat[worst])
    if not worst_dev <= tol:
        i, j = np.unravel_index(worst, dev.shape)
        raise AssertionError(
            f"{func}: max |{product} / gain**2 - I| = {worst_dev:.4g} at ({int(i)}, {int(j)}) "
            f"exceeds atol={tol:g}: the {what} of M are not orthonormal up to gain={g:g} "
            f"(M is {rows} x {cols} from shape {tuple(shape)} with layout {layout!r}, "
            f"dtype {a.dtype})."
        )
