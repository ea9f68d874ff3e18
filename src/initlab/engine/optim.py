r"""Optimizers for the lab's :class:`~initlab.MLP`: SGD and Adam, as ``torch.optim`` does them.

An optimizer holds its hyperparameters, a learning-rate multiplier per parameter name (μP's
per-parameter learning rates, :meth:`initlab.mup.MuPlan.lr_multipliers`) and its state (Adam's
moments, SGD's momentum buffers), keyed by parameter name. :meth:`initlab.MLP.step` hands it
the network's parameters and their gradients; :meth:`SGD.update` / :meth:`Adam.update` change
the parameters in place. The arithmetic is PyTorch's, operation by operation, in the
parameters' dtype (``torch.optim.SGD`` and ``torch.optim.Adam``, single-tensor path).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._validate import check_real, fail

__all__ = ["SGD", "Adam"]

Array = NDArray[Any]


def _check_mult(func: str, lr_mult: object) -> dict[str, float]:
    if lr_mult is None:
        return {}
    if not isinstance(lr_mult, Mapping):
        fail(func, "lr_mult", lr_mult, "use a mapping of parameter name -> multiplier (such "
             "as MuPlan.lr_multipliers())", TypeError)
    out: dict[str, float] = {}
    for name, m in lr_mult.items():
        if not isinstance(name, str):
            fail(func, "lr_mult", lr_mult, "use str parameter names as keys", TypeError,
                 why=f"has the key {name!r}")
        out[name] = check_real(func, f"lr_mult[{name!r}]", m, nonnegative=True)
    return out


class _Optimizer:
    """Shared bookkeeping: hyperparameters, multipliers, per-name state, input checks."""

    _name = "Optimizer"

    def __init__(self, lr: float, lr_mult: object) -> None:
        self._lr = check_real(self._name, "lr", lr, nonnegative=True)
        self._mult = _check_mult(self._name, lr_mult)
        self._state: dict[str, dict[str, Any]] = {}
        self._steps = 0

    @property
    def lr(self) -> float:
        """The base learning rate."""
        return self._lr

    @property
    def lr_mult(self) -> dict[str, float]:
        """Parameter name → learning-rate multiplier (names not listed: 1)."""
        return dict(self._mult)

    @property
    def steps(self) -> int:
        """Number of updates made so far."""
        return self._steps

    def lr_of(self, name: str) -> float:
        """The learning rate of parameter ``name``: ``lr * lr_mult.get(name, 1)``."""
        return self._lr * self._mult.get(name, 1.0)

    def reset(self) -> None:
        """Forget the state (moments, momentum buffers, step count)."""
        self._state = {}
        self._steps = 0

    def _check(self, params: Mapping[str, Array], grads: Mapping[str, Array]) -> None:
        func = f"{self._name}.update"
        unknown = sorted(set(self._mult) - set(params))
        if unknown:
            fail(self._name, "lr_mult", self._mult, f"use names of the parameters "
                 f"({', '.join(params)})", why=f"names {unknown[:3]}, not parameters")
        if set(grads) != set(params):
            fail(func, "grads", f"<{len(grads)} gradients>", "give one gradient per parameter, "
                 "under the same names")
        for name, p in params.items():
            g = grads[name]
            if not isinstance(p, np.ndarray) or not isinstance(g, np.ndarray):
                fail(func, "params", name, "use NumPy arrays", TypeError)
            if g.shape != p.shape or g.dtype != p.dtype:
                fail(func, "grads", f"<{name}: {g.shape} {g.dtype}>", f"use the parameter's "
                     f"shape {p.shape} and dtype {p.dtype}")
            state = self._state.get(name)
            if state is not None and state["shape"] != (p.shape, p.dtype):
                fail(func, "params", f"<{name}: {p.shape} {p.dtype}>", "use the parameters "
                     "this optimizer has been updating (or call reset())",
                     why=f"differs from the {state['shape']} it holds state for")

    def __repr__(self) -> str:
        extra = f", lr_mult={self._mult!r}" if self._mult else ""
        return f"{self._name}(lr={self._lr!r}{self._repr_extra()}{extra})"

    def _repr_extra(self) -> str:
        return ""


class SGD(_Optimizer):
    r"""Stochastic gradient descent, as ``torch.optim.SGD`` (optionally with momentum).

    Per parameter :math:`p` with gradient :math:`g` and learning rate
    :math:`\eta_p = \eta\,m_p` (``lr`` times its multiplier):

    .. math::

        b \leftarrow \mu b + g \ (b = g \text{ at the first step}), \qquad
        p \leftarrow p - \eta_p\, b

    (:math:`b = g` without momentum, :math:`\mu = 0`).

    Parameters
    ----------
    lr : float
        The base learning rate, ``>= 0``.
    momentum : float, default 0
        :math:`\mu`, in ``[0, 1]`` (no dampening, no Nesterov).
    lr_mult : mapping of str to float, optional
        Parameter name → learning-rate multiplier (e.g.
        ``plan.lr_multipliers("sgd")``); parameters not listed use 1.

    Raises
    ------
    TypeError, ValueError
        For an argument of the wrong type or value.

    Notes
    -----
    Weight decay, dampening and Nesterov momentum are not implemented.

    References
    ----------
    .. [1] PyTorch, ``torch/optim/sgd.py``, ``_single_tensor_sgd``.

    Examples
    --------
    >>> import numpy as np
    >>> from initlab.engine.optim import SGD
    >>> p = {"w": np.array([1.0, 2.0])}
    >>> opt = SGD(0.1, lr_mult={"w": 2.0})
    >>> opt.update(p, {"w": np.array([1.0, -1.0])})
    >>> p["w"]
    array([0.8, 2.2])
    """

    _name = "SGD"

    def __init__(self, lr: float, *, momentum: float = 0.0, lr_mult: object = None) -> None:
        super().__init__(lr, lr_mult)
        self._momentum = check_real("SGD", "momentum", momentum, low=0.0, high=1.0)

    @property
    def momentum(self) -> float:
        """The momentum :math:`\\mu`."""
        return self._momentum

    def _repr_extra(self) -> str:
        return f", momentum={self._momentum!r}" if self._momentum else ""

    def update(self, params: Mapping[str, Array], grads: Mapping[str, Array]) -> None:
        """Update ``params`` in place from ``grads`` (same names, shapes and dtypes).

        Raises
        ------
        TypeError, ValueError
            For gradients that do not match the parameters, or parameters that differ from
            those the optimizer holds state for; nothing is changed then.
        """
        self._check(params, grads)
        self._steps += 1
        for name, p in params.items():
            g = grads[name]
            if self._momentum:
                state = self._state.get(name)
                if state is None:
                    buf = g.copy()
                    self._state[name] = {"shape": (p.shape, p.dtype), "buf": buf}
                else:
                    buf = state["buf"]
                    np.multiply(buf, self._momentum, out=buf)
                    np.add(buf, g, out=buf)
                g = buf
            np.add(p, g * -self.lr_of(name), out=p)


class Adam(_Optimizer):
    r"""Adam, as ``torch.optim.Adam`` (bias-corrected, no weight decay, no AMSGrad).

    Per parameter :math:`p` with gradient :math:`g`, at step :math:`t = 1, 2, \dots` and
    learning rate :math:`\eta_p = \eta\,m_p` (``lr`` times its multiplier):

    .. math::

        m &\leftarrow \beta_1 m + (1 - \beta_1)\, g, \qquad
        v \leftarrow \beta_2 v + (1 - \beta_2)\, g^2, \\
        p &\leftarrow p - \frac{\eta_p}{1 - \beta_1^t}\;
        \frac{m}{\sqrt{v} / \sqrt{1 - \beta_2^t} + \epsilon},

    with :math:`m = v = 0` before the first step. The operations are PyTorch's, in its order
    and in the parameter's dtype: :math:`m` by ``lerp`` (``m + (1-β₁)(g - m)``), :math:`v` by
    ``v·β₂ + ((1-β₂)·g)·g``, the update by ``p + ((-η_p/(1-β₁ᵗ))·m) / denom``.

    Parameters
    ----------
    lr : float, default 1e-3
        The base learning rate, ``>= 0``.
    betas : (float, float), default (0.9, 0.999)
        :math:`\beta_1, \beta_2`, each in ``[0, 1)``.
    eps : float, default 1e-8
        :math:`\epsilon`, ``>= 0``.
    lr_mult : mapping of str to float, optional
        Parameter name → learning-rate multiplier (e.g. ``plan.lr_multipliers("adam")``);
        parameters not listed use 1.

    Raises
    ------
    TypeError, ValueError
        For an argument of the wrong type or value.

    Notes
    -----
    Equal to ``torch.optim.Adam(..., foreach=False)`` with one parameter group per
    learning rate, up to the rounding of fused operations (PyTorch's CPU kernels may fuse a
    multiply and an add): ``tests/test_mlp.py`` compares both over several steps.

    References
    ----------
    .. [1] D. P. Kingma and J. Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015,
       arXiv:1412.6980.
    .. [2] PyTorch, ``torch/optim/adam.py``, ``_single_tensor_adam``.

    Examples
    --------
    >>> import numpy as np
    >>> from initlab.engine.optim import Adam
    >>> p = {"w": np.array([1.0, 2.0])}
    >>> opt = Adam(0.1)
    >>> opt.update(p, {"w": np.array([3.0, -1e-3])})  # the first step is lr * sign(g)
    >>> p["w"].round(4), opt.steps
    (array([0.9, 2.1]), 1)
    """

    _name = "Adam"

    def __init__(self, lr: float = 1e-3, *, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, lr_mult: object = None) -> None:
        super().__init__(lr, lr_mult)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            fail("Adam", "betas", betas, "use a pair (beta1, beta2)", TypeError)
        b1 = check_real("Adam", "betas[0]", betas[0], low=0.0, high=math.nextafter(1.0, 0.0))
        b2 = check_real("Adam", "betas[1]", betas[1], low=0.0, high=math.nextafter(1.0, 0.0))
        self._betas = (b1, b2)
        self._eps = check_real("Adam", "eps", eps, nonnegative=True)

    @property
    def betas(self) -> tuple[float, float]:
        """:math:`(\\beta_1, \\beta_2)`."""
        return self._betas

    @property
    def eps(self) -> float:
        """:math:`\\epsilon`."""
        return self._eps

    def _repr_extra(self) -> str:
        return f", betas={self._betas!r}, eps={self._eps!r}"

    def update(self, params: Mapping[str, Array], grads: Mapping[str, Array]) -> None:
        """Update ``params`` in place from ``grads`` (same names, shapes and dtypes).

        Raises
        ------
        TypeError, ValueError
            For gradients that do not match the parameters, or parameters that differ from
            those the optimizer holds state for; nothing is changed then.
        """
        self._check(params, grads)
        self._steps += 1
        b1, b2 = self._betas
        w1 = 1.0 - b1
        for name, p in params.items():
            g = grads[name]
            state = self._state.get(name)
            if state is None:
                state = self._state[name] = {"shape": (p.shape, p.dtype), "t": 0,
                                             "m": np.zeros_like(p), "v": np.zeros_like(p)}
            state["t"] += 1
            t, m, v = state["t"], state["m"], state["v"]
            # m.lerp_(g, 1 - beta1), torch's two branches
            tmp = g - m
            if w1 < 0.5:
                tmp *= w1
                m += tmp
            else:
                tmp *= 1.0 - w1
                np.subtract(g, tmp, out=m)
            # v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
            v *= b2
            np.multiply(g, 1.0 - b2, out=tmp)
            tmp *= g
            v += tmp
            step_size = self.lr_of(name) / (1.0 - b1 ** t)
            bc2_sqrt = (1.0 - b2 ** t) ** 0.5
            # denom = v.sqrt() / bc2_sqrt + eps; p.addcdiv_(m, denom, value=-step_size)
            denom = np.sqrt(v)
            denom /= bc2_sqrt
            denom += self._eps
            np.multiply(m, -step_size, out=tmp)
            tmp /= denom
            p += tmp
