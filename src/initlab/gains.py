r"""Gains: the factor by which an initializer's standard deviation is multiplied.

:func:`calculate_gain` reproduces PyTorch's ``torch.nn.init.calculate_gain`` table exactly;
:func:`gain` computes the exact gain of any activation from Gaussian expectations, which
:func:`expect` evaluates by split Gauss-Legendre quadrature (also used by
:mod:`initlab.theory`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._quadrature import evaluate, gauss_rule
from ._validate import check_choice, check_real, fail, is_real
from .activations import ACTIVATIONS, ALIASES, Activation
from .activations import activation as _activation

__all__ = ["TORCH_GAIN_NAMES", "calculate_gain", "expect", "gain"]

Array = NDArray[Any]

_LINEAR = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
)

#: The names PyTorch's ``calculate_gain`` accepts, in its order.
TORCH_GAIN_NAMES: tuple[str, ...] = (*_LINEAR, "sigmoid", "tanh", "relu", "leaky_relu", "selu")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    r"""Recommended gain for a nonlinearity, identical to PyTorch's table.

    Parameters
    ----------
    nonlinearity : str
        One of ``'linear'``, ``'conv1d'``, ``'conv2d'``, ``'conv3d'``, ``'conv_transpose1d'``,
        ``'conv_transpose2d'``, ``'conv_transpose3d'``, ``'sigmoid'``, ``'tanh'``, ``'relu'``,
        ``'leaky_relu'``, ``'selu'``.
    param : float, optional
        Negative slope of ``'leaky_relu'`` (default 0.01); ignored by every other name, as in
        PyTorch.

    Returns
    -------
    float
        The gain :math:`g`.

    Raises
    ------
    ValueError
        For an unknown name (the message lists the accepted ones), or for a ``param`` of
        ``'leaky_relu'`` that is not a number (a bool, a string) or is not finite.
    TypeError
        If ``nonlinearity`` is not a string.

    See Also
    --------
    kaiming_normal, kaiming_uniform, xavier_normal, xavier_uniform : initializers that take it.

    Notes
    -----
    ============================  ==============================================
    nonlinearity                  gain
    ============================  ==============================================
    linear, conv*, conv_transpose*  :math:`1`
    sigmoid                       :math:`1`
    tanh                          :math:`5/3`
    relu                          :math:`\sqrt{2}`
    leaky_relu                    :math:`\sqrt{2 / (1 + \text{slope}^2)}`
    selu                          :math:`3/4`
    ============================  ==============================================

    Only the relu and leaky-relu entries are derived (He et al. 2015: they keep the second
    moment of the pre-activations, :math:`n\,\mathrm{Var}(W)\,g^{-2} = 1`, for every input
    scale). The others are conventions: 1 for sigmoid is not variance preserving (the exact
    forward gain at unit input variance is 1.8462), 5/3 for tanh is an empirical value that
    puts deep tanh networks in the chaotic phase, and 3/4 for selu (PyTorch PR #50664) trades
    self-normalisation for gradient stability; PyTorch's own docs recommend ``'linear'`` for
    self-normalizing networks.

    Differences from PyTorch: the value is always a ``float`` (PyTorch returns the ``int`` 1
    for the linear names); NumPy real scalars are accepted as ``param`` (PyTorch rejects
    ``np.float32``); a non-finite slope raises instead of returning NaN or 0.

    References
    ----------
    .. [1] K. He, X. Zhang, S. Ren and J. Sun, "Delving Deep into Rectifiers: Surpassing
       Human-Level Performance on ImageNet Classification", ICCV 2015, arXiv:1502.01852.
    .. [2] PyTorch, ``torch.nn.init.calculate_gain``, https://pytorch.org/docs/stable/nn.init.html.

    Examples
    --------
    >>> import initlab
    >>> initlab.calculate_gain("relu")
    1.4142135623730951
    >>> initlab.calculate_gain("tanh")
    1.6666666666666667
    >>> round(initlab.calculate_gain("leaky_relu", 0.2), 6)
    1.38675
    """
    func = "calculate_gain"
    accepted = "use one of " + ", ".join(repr(n) for n in TORCH_GAIN_NAMES)
    if not isinstance(nonlinearity, str):
        fail(func, "nonlinearity", nonlinearity, accepted, TypeError)
    if nonlinearity in _LINEAR or nonlinearity == "sigmoid":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif is_real(param) and math.isfinite(float(param)):
            slope = float(param)
        else:
            fail(func, "param", param, "the negative slope of 'leaky_relu' must be a finite real "
                 "number (or None for 0.01)")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    fail(func, "nonlinearity", nonlinearity, accepted)


# --------------------------------------------------------------------------------------------
# Gaussian expectations: split Gauss-Legendre quadrature (initlab._quadrature)


def expect(fn: Callable[[Array], Array], q: float = 1.0, *, mean: float = 0.0,
           kinks: Sequence[float] = ()) -> float:
    r"""Gaussian expectation :math:`\mathbb{E}\,f(z)`, :math:`z \sim \mathcal{N}(\mu, q)`.

    Parameters
    ----------
    fn : callable
        Vectorized function of a float64 array, finite on the real line and of at most
        polynomial growth (every activation, its derivatives and their products qualify).
    q : float, default 1
        Variance of :math:`z` (``>= 0``). ``q = 0`` gives the limit :math:`q \to 0^+`:
        ``fn(mean)``, or the mean of its two one-sided values when ``mean`` is a kink.
    mean : float, default 0
        Mean :math:`\mu` of :math:`z`.
    kinks : sequence of float, optional
        Points where ``fn`` or a derivative jumps (an activation's ``kinks``); the rule cuts
        the line there.

    Returns
    -------
    float
        The expectation.

    Raises
    ------
    ValueError
        If ``q`` is negative or not finite, or ``fn`` is not vectorized or is not finite.
    TypeError
        If ``q`` or ``mean`` is not a real number.

    See Also
    --------
    gain : exact gains, :math:`g^2 = q/\mathbb{E}\,\phi(z)^2`.

    Notes
    -----
    .. math::

        \mathbb{E}\,f(z) = \int_{\mu - 12\sqrt q}^{\mu + 12\sqrt q}
        f(x)\,\frac{e^{-(x-\mu)^2/2q}}{\sqrt{2\pi q}}\,dx + O(10^{-32})

    The interval is cut into pieces of at most :math:`3\sqrt q`, at the kinks and at
    :math:`0, \pm 6, \pm 12, \pm 24, \dots`, and each piece is integrated with 96-node
    Gauss-Legendre quadrature (about 1 000 function values). For :math:`\phi^2` and
    :math:`\phi'^2` of every built-in activation the relative error against 30-digit
    adaptive quadrature (mpmath) is below :math:`2\cdot10^{-14}` for
    :math:`10^{-2} \le q \le 10^4`. Probabilists' Gauss-Hermite quadrature converges only
    algebraically at a kink (elu needs 1 000 nodes for :math:`3\cdot10^{-7}`) and
    ``hermegauss`` returns NaN from 375 nodes on, which is why it is not used.

    References
    ----------
    .. [1] G. H. Golub and J. H. Welsch, "Calculation of Gauss Quadrature Rules", Math.
       Comp. 23 (1969) 221-230, doi:10.1090/S0025-5718-69-99647-1.

    Examples
    --------
    >>> import numpy as np
    >>> from initlab.theory import expect
    >>> round(expect(lambda x: np.maximum(x, 0) ** 2, 1.0, kinks=[0.0]), 15)
    0.5
    >>> round(expect(np.tanh, 4.0, mean=1.0), 6)
    0.352344
    """
    func = "expect"
    if not callable(fn):
        fail(func, "fn", fn, "use a vectorized callable", TypeError)
    q = check_real(func, "q", q, nonnegative=True)
    mu = check_real(func, "mean", mean)
    cuts = tuple(float(k) for k in kinks)
    if q == 0:  # the limit q -> 0+: the mean of both sides at a kink
        at = np.array([np.nextafter(mu, -np.inf), np.nextafter(mu, np.inf)]) if mu in cuts \
            else np.array([mu])
        return float(np.mean(evaluate(func, fn, at)))
    x, w = gauss_rule(mu, math.sqrt(q), cuts)
    return float(np.sum(w * evaluate(func, fn, x)))


# --------------------------------------------------------------------------------------------
# exact gains


def _missing_derivative(x: Array) -> Array:
    """Placeholder ``df`` of a bare callable (never called: checked by ``has_derivative``)."""
    raise NotImplementedError("this activation has no derivative")


def has_derivative(act: Activation) -> bool:
    """False for a bare callable wrapped by :func:`as_activation` (private)."""
    return act.df is not _missing_derivative


def as_activation(func: str, spec: object, name: str = "activation") -> Activation:
    """Resolve a name, Activation, ``(f, df)`` pair or bare callable (private).

    PyTorch's layer names (``'conv2d'``, ``'conv_transpose1d'``, ...) mean ``'linear'``. A
    bare callable becomes an Activation without a derivative.
    """
    if isinstance(spec, str) and spec.strip().lower() in _LINEAR:
        return _activation("linear")
    if callable(spec) and not isinstance(spec, Activation):
        return Activation("custom", f=spec, df=_missing_derivative)
    try:
        return _activation(spec, func=func)
    except (TypeError, ValueError) as exc:
        if name == "activation":
            raise
        text = str(exc).replace(f"{func}: activation=", f"{func}: {name}=", 1)
        raise type(exc)(text) from None


def _second_moment(func: str, act: Activation, q: float, direction: str,
                   moment: str) -> float:
    if direction == "backward":
        if not has_derivative(act):
            fail(func, "activation", act.f, "pass an (f, df) pair of vectorized callables or "
                 "an initlab.Activation with its derivative",
                 why="has no derivative, which direction='backward' needs")
        df = act.df
        return expect(lambda x: evaluate(func, df, x) ** 2, q, kinks=act.kinks)
    f = act.f
    values = functools.partial(evaluate, func, f)
    if moment == "variance":
        mean = expect(values, q, kinks=act.kinks)
        return expect(lambda x: (values(x) - mean) ** 2, q, kinks=act.kinks)
    return expect(lambda x: values(x) ** 2, q, kinks=act.kinks)


def forward_gain(act: Activation, q: float = 1.0) -> float:
    r"""Exact forward gain :math:`\sqrt{q / \mathbb{E}\,\phi(z)^2}` of an Activation (private)."""
    return _gain_of("gain", act, q, "forward", "second")


_PROBE = np.array([-2.5, -0.5, 0.75, 3.0])


def _homogeneous_slope(act: Activation) -> float | None:
    """The negative slope s of a built-in linear (s = 1), relu (0) or leaky_relu, else None."""
    if act.name not in ("linear", "relu", "leaky_relu"):
        return None
    slope = {"linear": 1.0, "relu": 0.0}.get(act.name, act.params.get("slope", math.nan))
    expected = np.where(_PROBE > 0, _PROBE, slope * _PROBE)
    derivative = np.where(_PROBE > 0, 1.0, slope)
    if not (np.array_equal(act.f(_PROBE), expected)
            and np.array_equal(act.df(_PROBE), derivative)):
        return None  # an Activation that only borrows the name
    return slope


def _gain_of(func: str, act: Activation, q: float, direction: str, moment: str) -> float:
    slope = _homogeneous_slope(act)
    if moment == "second" and slope is not None:
        # E phi^2 = q (1 + s^2)/2 and E phi'^2 = (1 + s^2)/2 for every q
        return 1.0 if slope == 1.0 else math.sqrt(2.0 / (1.0 + slope * slope))
    m2 = _second_moment(func, act, q, direction, moment)
    value = (q if direction == "forward" else 1.0) / m2 if m2 > 0 else math.inf
    if not math.isfinite(value):
        what = "phi'(z)**2" if direction == "backward" else (
            "the variance of phi(z)" if moment == "variance" else "phi(z)**2")
        fail(func, "activation", act.spec if act.name != "custom" else act.f,
             f"the gain needs E[{what}] > 0 under z ~ N(0, q={q:g})",
             why="has no finite gain")
    return math.sqrt(value)


def gain(activation: object, *, q: float = 1.0, direction: str = "forward",
         moment: str = "second") -> float:
    r"""Exact gain of any activation: the :math:`g` that keeps the signal's second moment.

    Parameters
    ----------
    activation : str, Activation, (callable, callable) or callable
        A name :func:`activation` accepts (``'tanh'``, ``'gelu'``, ``'silu'``,
        ``'leaky_relu(0.2)'``, ``'elu(alpha=0.5)'`` ...) or one of PyTorch's layer names
        (``'conv2d'`` ... mean ``'linear'``); an :class:`Activation`; a pair ``(f, df)`` of
        vectorized callables; or a vectorized callable ``f`` (forward only).
    q : float, default 1
        Second moment of the pre-activations :math:`z \sim \mathcal{N}(0, q)` (``> 0``).
    direction : {'forward', 'backward'}, default 'forward'
        ``'forward'`` keeps :math:`\mathbb{E}\,z^2` from layer to layer (use it with
        ``mode='fan_in'``); ``'backward'`` keeps the gradients' second moment (use it with
        ``mode='fan_out'``).
    moment : {'second', 'variance'}, default 'second'
        ``'variance'`` gives the forward gain computed from :math:`\mathrm{Var}\,\phi` instead
        of :math:`\mathbb{E}\,\phi^2` (see Notes); forward only.

    Returns
    -------
    float
        The gain :math:`g > 0`: initialize with :math:`\mathrm{Var}\,W = g^2/n`.

    Raises
    ------
    ValueError
        For an unknown activation name, ``direction``, ``moment``, a ``q <= 0``,
        ``direction='backward'`` with a callable that has no derivative, or
        ``moment='variance'`` with ``direction='backward'``.
    TypeError
        For an ``activation`` of another type, or a ``q`` that is not a real number.

    See Also
    --------
    calculate_gain : PyTorch's fixed table.
    initlab.theory.fixed_point, initlab.theory.chi1 : what the gain does to a deep network.

    Notes
    -----
    With :math:`\mathrm{Var}\,W = g^2/n` and zero-mean weights, a layer maps the input second
    moment :math:`\mathbb{E}\,h^2` to :math:`\mathbb{E}\,z^2 = g^2\,\mathbb{E}\,h^2` (forward)
    and the gradient second moment by :math:`g^2\,\mathbb{E}\,\phi'(z)^2` (backward), so

    .. math::

        g_{\mathrm{fwd}}(q)^2 = \frac{q}{\mathbb{E}_{z\sim\mathcal{N}(0,q)}\,\phi(z)^2},
        \qquad
        g_{\mathrm{bwd}}(q)^2 = \frac{1}{\mathbb{E}_{z\sim\mathcal{N}(0,q)}\,\phi'(z)^2},
        \qquad
        g_{\mathrm{var}}(q)^2 = \frac{q}{\mathrm{Var}_{z\sim\mathcal{N}(0,q)}\,\phi(z)}.

    :math:`g_{\mathrm{fwd}}` makes :math:`q` a fixed point of the mean-field length map
    (:func:`initlab.theory.fixed_point`); :math:`g_{\mathrm{bwd}}` makes
    :math:`\chi_1 = 1` at that :math:`q`. The expectations are computed with
    :func:`expect` (relative error below :math:`10^{-13}`); for the built-in linear, relu and
    leaky_relu the closed form :math:`\sqrt{2/(1+s^2)}` is returned, bit for bit equal to
    :func:`calculate_gain`.

    At :math:`q = 1`:

    ================  ========  ========  ========  =============  ==========================
    activation        forward   backward  variance  PyTorch        :math:`\chi_1` at forward
    ================  ========  ========  ========  =============  ==========================
    linear            1         1         1         1              1
    relu              1.414214  1.414214  1.712859  1.414214       1
    leaky_relu(0.2)   1.386750  1.386750  1.546460  1.386750       1
    tanh              1.592537  1.467414  1.592537  5/3            1.177807
    sigmoid           1.846229  4.722646  4.801313  1              0.152827
    selu              1         0.966026  1         3/4            1.071575
    elu               1.245198  1.223429  1.270843                 1.035905
    gelu              1.533530  1.481114  1.700926                 1.072032
    silu              1.676532  1.623320  1.787187                 1.066634
    mish              1.486848  1.444755  1.592025                 1.059118
    softplus          1.041867  1.846229  1.919126                 0.318459
    ================  ========  ========  ========  =============  ==========================

    Positively homogeneous activations (linear, relu, leaky_relu) have the same gain for
    every :math:`q`. The others do not: tanh's forward gain is 1.2003 at :math:`q = 1/4`
    and 2.5093 at :math:`q = 4`, gelu's 1.7303 and 1.4397. Pass the second moment your
    pre-activations will have.

    .. warning::
       The forward condition is on the *second moment* :math:`\mathbb{E}\,\phi^2`, because
       zero-mean weights propagate :math:`\mathbb{E}\,h^2`, not :math:`\mathrm{Var}\,h`
       (LeCun et al. 1998, He et al. 2015). ``moment='variance'`` is what comparing
       ``z.std()`` with ``phi(z).std()`` measures; it is larger whenever
       :math:`\mathbb{E}\,\phi \ne 0` (relu 1.7129 instead of :math:`\sqrt 2`; sigmoid
       4.8013 instead of 1.8462) and over-amplifies a deep network. It is right only for
       zero-mean activations, where the two agree (tanh, selu at :math:`q = 1`).

    Differences from :func:`calculate_gain` (PyTorch): that table is exact only for the
    homogeneous activations. Its 5/3 for tanh is above the exact 1.5925 and puts deep tanh
    networks in the chaotic phase (:math:`\chi_1 = 1.21`); its 3/4 for selu gives up
    self-normalisation; its 1 for sigmoid is far below 1.8462. :func:`calculate_gain` is
    kept for parity; initializers take ``nonlinearity=`` names outside PyTorch's table
    (``'gelu'``, ``'silu'`` ...) with this exact gain.

    References
    ----------
    .. [1] Y. LeCun, L. Bottou, G. B. Orr and K.-R. Müller, "Efficient BackProp", in Neural
       Networks: Tricks of the Trade, Springer 1998.
    .. [2] K. He, X. Zhang, S. Ren and J. Sun, "Delving Deep into Rectifiers: Surpassing
       Human-Level Performance on ImageNet Classification", ICCV 2015, arXiv:1502.01852.
    .. [3] B. Poole, S. Lahiri, M. Raghu, J. Sohl-Dickstein and S. Ganguli, "Exponential
       expressivity in deep neural networks through transient chaos", NeurIPS 2016,
       arXiv:1606.05340.
    .. [4] S. K. Kumar, "On weight initialization in deep neural networks", 2017,
       arXiv:1704.08863.

    Examples
    --------
    >>> import numpy as np, initlab
    >>> round(initlab.gain("tanh"), 6), initlab.calculate_gain("tanh")
    (1.592537, 1.6666666666666667)
    >>> round(initlab.gain("gelu"), 6), round(initlab.gain("silu", direction="backward"), 6)
    (1.53353, 1.62332)
    >>> round(initlab.gain("relu") ** 2, 12), round(initlab.gain("selu"), 12)
    (2.0, 1.0)
    >>> round(initlab.gain("tanh", q=4.0), 6)
    2.509307
    >>> round(initlab.gain(lambda x: np.maximum(x, 0.0)), 12)
    1.414213562373
    """
    func = "gain"
    direction = check_choice(func, "direction", direction, ("forward", "backward"))
    moment = check_choice(func, "moment", moment, ("second", "variance"))
    q = check_real(func, "q", q, positive=True)
    act = as_activation(func, activation)
    if moment == "variance" and direction == "backward":
        fail(func, "moment", moment, "moment='variance' applies to direction='forward' only "
             "(the backward gain uses E[phi'(z)**2])")
    return _gain_of(func, act, q, direction, moment)


# --------------------------------------------------------------------------------------------
# hooks for the initializers (private)


_NONLINEARITY_HELP = ("use one of PyTorch's names " + ", ".join(repr(n) for n in TORCH_GAIN_NAMES)
                      + ", or an activation name among " + ", ".join(repr(n) for n in ACTIVATIONS)
                      + " with optional parameters, e.g. 'leaky_relu(0.2)', 'elu(alpha=0.5)'")


def _nonlinearity_activation(func: str, nonlinearity: object,
                             param: float | None) -> Activation:
    """The Activation that ``nonlinearity`` (+ the leaky slope ``param``) names."""
    if isinstance(nonlinearity, Activation):
        if nonlinearity.name not in ACTIVATIONS:
            fail(func, "nonlinearity", nonlinearity, "a custom activation has no name to "
                 "store in the configuration; pass its name, or use variance_scaling(scale="
                 "initlab.gain(act)**2, ...)")
        act = nonlinearity
    elif not isinstance(nonlinearity, str):
        fail(func, "nonlinearity", nonlinearity, _NONLINEARITY_HELP, TypeError)
    else:
        base = nonlinearity.split("(")[0].strip().lower()
        if base not in ACTIVATIONS and base not in ALIASES and base not in _LINEAR:
            fail(func, "nonlinearity", nonlinearity, _NONLINEARITY_HELP)
        act = as_activation(func, nonlinearity, "nonlinearity")
    if act.name != "leaky_relu":
        return act  # as in PyTorch, param is ignored
    if param is not None and not (is_real(param) and math.isfinite(float(param))):
        fail(func, "a", param, "the negative slope of 'leaky_relu' must be a finite real "
             "number")
    if isinstance(nonlinearity, str) and nonlinearity == "leaky_relu":
        # PyTorch's name: the slope is param, 0.01 when None
        return _activation("leaky_relu", slope=0.01 if param is None else float(param))
    if param is not None and param != 0 and float(param) != act.params["slope"]:
        fail(func, "a", param, f"nonlinearity={act.spec!r} already sets the slope; leave a=0 "
             "or pass the same slope", why="conflicts with nonlinearity")
    return act


def resolve_gain(func: str, nonlinearity: object, param: float | None) -> tuple[str, float]:
    """Validate ``nonlinearity`` for an initializer and return ``(name, gain)`` (private).

    A name in PyTorch's table gives PyTorch's value (peer parity: ``'tanh'`` gives 5/3,
    ``'selu'`` 3/4, ``'leaky_relu'`` with slope ``param``, 0.01 when ``None``) and is returned
    unchanged. Any other activation :func:`activation` knows (``'gelu'``, ``'silu'``,
    ``'mish'``, ``'elu'``, ``'softplus'``, ``'elu(alpha=0.5)'``, ``'leaky_relu(0.2)'``,
    aliases, other spellings of PyTorch's names) gives its exact forward gain at ``q = 1``,
    and its canonical spec is returned (``'elu(alpha=1.0)'``, ``'leaky_relu(slope=0.2)'``,
    ``'silu'`` for ``'swish'``). For PyTorch's activations under another spelling (``'Tanh'``,
    ``'identity'``) the value is still PyTorch's. ``param`` is the leaky slope (kaiming's
    ``a``): it must agree with a slope given in the name; other activations ignore it, as in
    PyTorch.
    """
    if isinstance(nonlinearity, str) and nonlinearity in TORCH_GAIN_NAMES:
        return nonlinearity, calculate_gain(nonlinearity, param)
    act = _nonlinearity_activation(func, nonlinearity, param)
    if act.name in TORCH_GAIN_NAMES:
        return act.spec, calculate_gain(act.name, act.params.get("slope"))
    return act.spec, forward_gain(act, 1.0)


def exact_gain_for(func: str, nonlinearity: object, param: float | None) -> float:
    """Exact forward gain at ``q = 1`` of ``nonlinearity`` for ``gain='exact'`` (private).

    Accepts what :func:`resolve_gain` accepts, PyTorch's names included, with the same
    meaning of ``param``, but always returns :func:`gain`'s value: 1.5925 for ``'tanh'``,
    1.8462 for ``'sigmoid'``, 1 for ``'selu'`` and the linear names, :math:`\\sqrt{2/(1+a^2)}`
    for ``'leaky_relu'`` (slope ``param``, 0.01 when ``None``).
    """
    return forward_gain(_nonlinearity_activation(func, nonlinearity, param), 1.0)
