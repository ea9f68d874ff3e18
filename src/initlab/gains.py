r"""Gains: the factor by which an initializer's standard deviation is multiplied.

:func:`calculate_gain` reproduces PyTorch's ``torch.nn.init.calculate_gain`` table exactly.
"""

from __future__ import annotations

import math

from ._validate import fail, is_real

__all__ = ["TORCH_GAIN_NAMES", "calculate_gain"]

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


def resolve_gain(func: str, nonlinearity: object, param: float | None) -> tuple[str, float]:
    """Validate ``nonlinearity`` for an initializer and return ``(name, gain)`` (private).

    Initializers that take a ``nonlinearity`` accept exactly the names of
    :func:`calculate_gain`.
    """
    accepted = "use one of " + ", ".join(repr(n) for n in TORCH_GAIN_NAMES)
    if not isinstance(nonlinearity, str):
        fail(func, "nonlinearity", nonlinearity, accepted, TypeError)
    if nonlinearity not in TORCH_GAIN_NAMES:
        fail(func, "nonlinearity", nonlinearity, accepted)
    return nonlinearity, calculate_gain(nonlinearity, param)
