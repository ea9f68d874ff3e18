r"""A reference multilayer perceptron that measures its signal, layer by layer.

:class:`MLP` is a plain dense network ``h^l = phi(BN(h^{l-1} W^l + b^l))`` in NumPy, with an exact
forward and backward pass, initialised by any initlab initializer. :meth:`MLP.probe` runs both
passes once and returns a :class:`~initlab.engine.report.Report` of per-layer statistics;
:meth:`MLP.trials` repeats that over independent weight draws.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from .._moments import dyadic_edges, edges_from
from .._validate import (
    check_bool,
    check_choice,
    check_dtype,
    check_int,
    check_real,
    check_rng,
    fail,
    is_int,
)
from .._widths import check_widths, per_layer
from .._workspace import Workspace
from ..activations import Activation
from ..activations import activation as _activation
from ..initializers import get as _get_initializer
from ._kernels import Kernel, bn_backward, bn_forward
from ._recorders import Keep, Recorder
from .optim import SGD, Adam
from .report import Report, Trials

__all__ = ["MLP", "Gradients"]

Array = NDArray[Any]

_LOSSES = ("normal", "sum", "mse")
_HIST_RANGE = 4.0  # default histogram half-range for unbounded activations


@dataclass(frozen=True, eq=False)
class Gradients:
    r"""Gradients of a scalar loss, as :meth:`MLP.backward` returns them.

    With :math:`z^l = h^{l-1} W^l + b^l`, :math:`u^l = \mathrm{BN}(z^l)` (or :math:`u^l = z^l`
    without batch norm) and :math:`h^l = \phi(u^l)`, for layers :math:`l = 1 \dots L`:

    Attributes
    ----------
    dW : tuple of numpy.ndarray
        :math:`\partial L / \partial W^l = (h^{l-1})^\top\,\partial L/\partial z^l`, summed over
        the batch, shape ``(fan_in, fan_out)``.
    db : tuple of numpy.ndarray or None
        :math:`\partial L / \partial b^l`, or ``None`` for a network without biases.
    dz : tuple of numpy.ndarray
        :math:`\partial L / \partial z^l` (the batch-norm input when there is batch norm).
    du : tuple of numpy.ndarray
        :math:`\partial L / \partial u^l`, the gradient at the activation's input (the same
        arrays as ``dz`` without batch norm).
    dh : tuple of numpy.ndarray
        The state gradients :math:`\partial L / \partial h^l` for :math:`l = 0 \dots L`:
        ``dh[0]`` is the gradient with respect to the input ``x`` and ``dh[L]`` the upstream
        gradient given to :meth:`MLP.backward`.

    References
    ----------
    .. [1] S. Ioffe and C. Szegedy, "Batch Normalization: Accelerating Deep Network Training
       by Reducing Internal Covariate Shift", ICML 2015, arXiv:1502.03167.

    Examples
    --------
    >>> import numpy as np, initlab
    >>> net = initlab.MLP([4, 3, 2], dtype=np.float64, rng=0)
    >>> _ = net.forward(np.ones((5, 4)))
    >>> g = net.backward(np.ones((5, 2)))
    >>> [d.shape for d in g.dW], g.dh[0].shape
    ([(4, 3), (3, 2)], (5, 4))
    """

    dW: tuple[Array, ...]
    db: tuple[Array, ...] | None
    dz: tuple[Array, ...]
    du: tuple[Array, ...]
    dh: tuple[Array, ...]


# --------------------------------------------------------------------------------------------
# buffers


class _Buffers:
    """Per-batch-size arrays reused by every pass (no fresh pages per call)."""

    def __init__(self, net: MLP, batch: int) -> None:
        dt = net.dtype
        self.batch = batch
        self.u: list[Array] = []
        self.h: list[Array] = []
        for k, n in enumerate(net.widths[1:]):
            u = np.empty((batch, n), dtype=dt)
            keep_u = net.batch_norm or not net._kernels[k].inplace
            self.u.append(u)
            self.h.append(np.empty((batch, n), dtype=dt) if keep_u else u)
        self.inv: list[Array | None] = [None] * net.depth
        widest = max(net.widths)
        self.g = [np.empty(batch * widest, dtype=dt), np.empty(batch * widest, dtype=dt)]
        self.tmp = np.empty(batch * widest, dtype=dt)
        self.mask = np.empty(batch * widest, dtype=bool)
        self.dw = np.empty(max(a * b for a, b in zip(net.widths[:-1], net.widths[1:],
                                                     strict=True)), dtype=dt)


def _view(flat: Array, shape: tuple[int, ...]) -> Array:
    return flat[: math.prod(shape)].reshape(shape)


# --------------------------------------------------------------------------------------------
# the network


class MLP:
    r"""A dense network with exact forward/backward passes and per-layer statistics.

    Layer :math:`l = 1 \dots L` computes

    .. math::

        z^l = h^{l-1} W^l + b^l, \qquad u^l = \mathrm{BN}(z^l), \qquad h^l = \phi_l(u^l),

    with :math:`h^0 = x` of shape ``(batch, widths[0])``, :math:`W^l` of shape
    ``(widths[l-1], widths[l])`` (fan_in, fan_out: the ``x @ W`` layout), no bias unless
    ``bias=True``, and :math:`\mathrm{BN}` the identity unless ``batch_norm=True``.

    Parameters
    ----------
    widths : sequence of int
        Layer widths, input first: ``[800, 750, ..., 350]`` gives ``len(widths) - 1`` layers.
    activation : str, Activation, (f, df) pair, or list of them, default 'tanh'
        The activation of every layer (the last one included), anything
        :func:`initlab.activation` accepts, or a list with one per layer.
    init : initializer spec or list of them, default 'xavier_normal'
        Weight initializer: anything :func:`initlab.get` accepts (a name, a config dict, an
        :class:`~initlab.Initializer`, a callable ``f(shape, *, dtype, rng)``), or a list with
        one per layer. Called with shape ``(fan_in, fan_out)``.
    bias : bool, default False
        Whether the layers have biases.
    bias_init : initializer spec or list of them, default 'zeros'
        Bias initializer, called with shape ``(fan_out,)`` (fan-based initializers need
        explicit ``in_axis``/``out_axis`` for a vector).
    batch_norm : bool, default False
        Batch normalization before each activation: batch statistics, :math:`\gamma = 1`,
        :math:`\beta = 0`, :math:`\epsilon` = ``bn_eps``.
        A batch of one example is refused (``ValueError`` naming ``x``), as PyTorch's
        ``BatchNorm1d`` refuses it in training mode: it would normalize to all zeros.
    bn_eps : float, default 1e-5
        The batch-norm :math:`\epsilon`.
    dtype : {float32, float64}, default float32
        dtype of the weights and of all the network's arithmetic. Statistics are always
        accumulated in float64.
    readout_multiplier : float, default 1
        :math:`\alpha`, the factor the last layer's input is multiplied by,
        :math:`z^L = (\alpha\, h^{L-1}) W^L + b^L`, as μP's ``MuReadout`` multiplies its input
        by ``output_mult / width_mult`` (:attr:`initlab.mup.MuPlan.output_multiplier`).
        Used by :meth:`forward`, :meth:`backward`, :meth:`step`, :meth:`loss` and
        :meth:`coordinates`; :meth:`probe` and :meth:`trials` (whose mean-field prediction
        has no such factor) need 1.
    rng : {None, int, numpy.random.Generator}, optional
        Source of randomness for the weights (SPEC 7). An int or ``None`` is passed to
        ``numpy.random.default_rng``; a ``Generator`` is used as given. The initializers are
        called in layer order (:math:`W^1, b^1, W^2, \dots`), each with this one generator.

    Attributes
    ----------
    widths : tuple of int
    depth : int
        Number of layers :math:`L`.
    activations : tuple of Activation
    initializers, bias_initializers : tuple
        The resolved initializers (``bias_initializers`` is ``None`` without bias).
    weights : tuple of numpy.ndarray
        :math:`W^1 \dots W^L` (the arrays may be modified in place).
    biases : tuple of numpy.ndarray or None
    batch_norm : bool
    bn_eps : float
    dtype : numpy.dtype
    readout_multiplier : float

    Raises
    ------
    ValueError, TypeError
        For an invalid argument (the message names it); errors of the initializers propagate.

    See Also
    --------
    MLP.probe, MLP.trials, initlab.engine.Report, MLP.step, initlab.mup.coord_check

    Notes
    -----
    The backward pass gets an upstream gradient :math:`G = \partial L/\partial h^L` and
    computes, from the top,

    .. math::

        \frac{\partial L}{\partial u^l} = \frac{\partial L}{\partial h^l} \odot \phi'(u^l),
        \quad
        \frac{\partial L}{\partial W^l} = (h^{l-1})^\top \frac{\partial L}{\partial z^l},
        \quad
        \frac{\partial L}{\partial h^{l-1}} = \frac{\partial L}{\partial z^l} (W^l)^\top,

    and through batch norm, with :math:`\hat z = u`, :math:`\sigma_B^2` the batch variance of
    :math:`z` and the means over the batch,

    .. math::

        \frac{\partial L}{\partial z} = \frac{1}{\sqrt{\sigma_B^2 + \epsilon}}
        \Big(\frac{\partial L}{\partial \hat z}
        - \operatorname{mean}\frac{\partial L}{\partial \hat z}
        - \hat z\,\operatorname{mean}\big(\hat z \odot \frac{\partial L}{\partial \hat z}\big)
        \Big).

    :math:`\phi'` is computed from the output :math:`h` when possible (tanh:
    :math:`1 - h^2`), so the forward pass overwrites :math:`u` with :math:`h` and keeps one
    array per layer. The arrays are reused between calls with the same batch size. Inf and
    nan are results, not errors: the arithmetic runs under ``np.errstate(all='ignore')``.

    With a readout multiplier :math:`\alpha \ne 1` the last layer computes
    :math:`\alpha (h^{L-1} W^L) + b^L` (equal to ``MuReadout``'s
    :math:`(\alpha h^{L-1}) W^L + b^L` up to rounding), and its gradients are
    :math:`\partial L/\partial W^L = \alpha (h^{L-1})^\top \partial L/\partial z^L` and
    :math:`\partial L/\partial h^{L-1} = \alpha\, \partial L/\partial z^L (W^L)^\top`.

    :meth:`step` trains the network on its own backward pass (SGD or Adam from
    :mod:`initlab.engine.optim`, per-parameter learning rates by the names of
    :meth:`named_parameters`), which :func:`initlab.mup.coord_check` uses.

    References
    ----------
    .. [1] X. Glorot and Y. Bengio, "Understanding the difficulty of training deep feedforward
       neural networks", AISTATS 2010.
    .. [2] K. He, X. Zhang, S. Ren and J. Sun, "Delving Deep into Rectifiers: Surpassing
       Human-Level Performance on ImageNet Classification", ICCV 2015, arXiv:1502.01852.
    .. [3] S. Ioffe and C. Szegedy, "Batch Normalization: Accelerating Deep Network Training
       by Reducing Internal Covariate Shift", ICML 2015, arXiv:1502.03167.

    Examples
    --------
    >>> import numpy as np, initlab
    >>> net = initlab.MLP([800, 750, 700], activation="tanh", init="lecun_normal", rng=0)
    >>> net.depth, net.weights[0].shape, net.weights[0].dtype
    (2, (800, 750), dtype('float32'))
    >>> x = np.random.default_rng(1).standard_normal((500, 800), dtype=np.float32)
    >>> net.forward(x).shape
    (500, 700)
    >>> report = net.probe(x, rng=2)
    >>> print(f"{report['act_std'][0]:.2f}", report.first_nonfinite_layer)
    0.63 None
    """

    def __init__(
        self,
        widths: Sequence[int],
        *,
        activation: object = "tanh",
        init: object = "xavier_normal",
        bias: bool = False,
        bias_init: object = "zeros",
        batch_norm: bool = False,
        bn_eps: float = 1e-5,
        dtype: DTypeLike = np.float32,
        readout_multiplier: float = 1.0,
        rng: object = None,
    ) -> None:
        func = "MLP"
        self._widths = check_widths(func, widths)
        depth = len(self._widths) - 1
        acts = per_layer(func, "activation", activation, depth)
        self._activations = tuple(_activation(a, func=func) for a in acts)
        self._bias = check_bool(func, "bias", bias)
        self._batch_norm = check_bool(func, "batch_norm", batch_norm)
        self._bn_eps = check_real(func, "bn_eps", bn_eps, positive=True)
        self._readout_mult = check_real(func, "readout_multiplier", readout_multiplier)
        dt = check_dtype(func, dtype)
        if dt not in (np.float32, np.float64):
            fail(func, "dtype", dtype, "use float32 or float64 (float16 matrix products have "
                 "no BLAS path)", TypeError)
        self._dtype = dt
        check_rng(func, rng)
        self._inits = tuple(_resolve_init(func, "init", i) for i in
                            per_layer(func, "init", init, depth))
        self._bias_inits = (tuple(_resolve_init(func, "bias_init", i) for i in
                                  per_layer(func, "bias_init", bias_init, depth))
                            if self._bias else None)
        self._kernels = [Kernel(a) for a in self._activations]
        self._buffers: _Buffers | None = None
        self._ws = Workspace()
        self._state: tuple[Array, int] | None = None  # (input, batch) of the last forward
        self._weights: list[Array] = []
        self._biases: list[Array] | None = None
        self.reinitialize(rng)

    # -- configuration --------------------------------------------------------------------

    @property
    def widths(self) -> tuple[int, ...]:
        """Layer widths, input first."""
        return self._widths

    @property
    def depth(self) -> int:
        """Number of layers (weight matrices)."""
        return len(self._widths) - 1

    @property
    def activations(self) -> tuple[Activation, ...]:
        """The activation of each layer."""
        return self._activations

    @property
    def initializers(self) -> tuple[Any, ...]:
        """The weight initializer of each layer."""
        return self._inits

    @property
    def bias_initializers(self) -> tuple[Any, ...] | None:
        """The bias initializer of each layer, or None without bias."""
        return self._bias_inits

    @property
    def weights(self) -> tuple[Array, ...]:
        """The weight matrices, shape ``(fan_in, fan_out)``."""
        return tuple(self._weights)

    @property
    def biases(self) -> tuple[Array, ...] | None:
        """The bias vectors, or None without bias."""
        return None if self._biases is None else tuple(self._biases)

    @property
    def bias(self) -> bool:
        """Whether the layers have biases."""
        return self._bias

    @property
    def batch_norm(self) -> bool:
        """Whether batch normalization precedes each activation."""
        return self._batch_norm

    @property
    def bn_eps(self) -> float:
        """The batch-norm epsilon."""
        return self._bn_eps

    @property
    def dtype(self) -> np.dtype[Any]:
        """dtype of the weights and of the arithmetic."""
        return self._dtype

    @property
    def readout_multiplier(self) -> float:
        """The factor the last layer's input is multiplied by (1: none)."""
        return self._readout_mult

    def named_parameters(self) -> list[tuple[str, Array]]:
        """The parameters by name: ``layer1.weight``, ``layer1.bias``, ``layer2.weight``, ...

        The arrays are the network's own (shape ``(fan_in, fan_out)`` for a weight): the
        names key the learning-rate multipliers of :class:`~initlab.engine.optim.SGD` and
        :class:`~initlab.engine.optim.Adam`, and :func:`initlab.mup.parametrize` reads the
        shapes (with ``layout='in_out'``).

        Examples
        --------
        >>> import initlab
        >>> net = initlab.MLP([3, 4, 2], bias=True, rng=0)
        >>> [(name, p.shape) for name, p in net.named_parameters()]
        [('layer1.weight', (3, 4)), ('layer1.bias', (4,)), ('layer2.weight', (4, 2)), \
('layer2.bias', (2,))]
        """
        out: list[tuple[str, Array]] = []
        for k, w in enumerate(self._weights):
            out.append((f"layer{k + 1}.weight", w))
            if self._biases is not None:
                out.append((f"layer{k + 1}.bias", self._biases[k]))
        return out

    def __repr__(self) -> str:
        acts = [a.spec for a in self._activations]
        act: object = acts[0] if len(set(acts)) == 1 else acts
        inits = [repr(i) for i in self._inits]
        init = inits[0] if len(set(inits)) == 1 else "[" + ", ".join(inits) + "]"
        extra = ", bias=True" if self._bias else ""
        extra += ", batch_norm=True" if self._batch_norm else ""
        extra += (f", readout_multiplier={self._readout_mult!r}" if self._readout_mult != 1.0
                  else "")
        return (f"MLP({list(self._widths)}, activation={act!r}, init={init}{extra}, "
                f"dtype=np.{self._dtype.name})")

    def reinitialize(self, rng: object = None) -> None:
        """Draw new weights (and biases) from the initializers, in layer order.

        Parameters
        ----------
        rng : {None, int, numpy.random.Generator}, optional
            Source of randomness (SPEC 7), as in the constructor.

        Examples
        --------
        >>> import initlab
        >>> net = initlab.MLP([3, 2], rng=0)
        >>> before = net.weights[0].copy()
        >>> net.reinitialize(0)
        >>> bool((net.weights[0] == before).all())
        True
        """
        check_rng("MLP.reinitialize", rng)
        gen = np.random.default_rng(rng)  # type: ignore[arg-type]
        weights: list[Array] = []
        biases: list[Array] = []
        for k in range(self.depth):
            shape = (self._widths[k], self._widths[k + 1])
            weights.append(_draw(self._inits[k], shape, self._dtype, gen, "init", k))
            if self._bias_inits is not None:
                biases.append(_draw(self._bias_inits[k], shape[1:], self._dtype, gen,
                                    "bias_init", k))
        self._weights = weights
        self._biases = biases if self._bias_inits is not None else None
        self._state = None

    # -- passes ---------------------------------------------------------------------------

    def _input(self, func: str, x: object) -> Array:
        if not isinstance(x, np.ndarray):
            try:
                x = np.asarray(x)
            except Exception:  # pragma: no cover - exotic objects
                fail(func, "x", x, "use a 2-d array of real numbers", TypeError)
        assert isinstance(x, np.ndarray)
        if x.dtype.kind not in "fiub":
            fail(func, "x", x, "use a 2-d array of real numbers", TypeError)
        if x.ndim != 2 or x.shape[1] != self._widths[0] or x.shape[0] < 1:
            fail(func, "x", x, f"use a 2-d array of shape (batch, {self._widths[0]}) with "
                 "batch >= 1")
        if self._batch_norm and x.shape[0] < 2:
            # as PyTorch's BatchNorm1d in training mode: one example normalizes to all zeros
            fail(func, "x", x, f"use a batch of at least 2 examples, shape (batch, "
                 f"{self._widths[0]}): batch norm normalizes over the batch, and a batch of 1 "
                 "gives all-zero activations", why="has batch 1")
        return np.ascontiguousarray(x, dtype=self._dtype)

    def _buffers_for(self, batch: int) -> _Buffers:
        if self._buffers is None or self._buffers.batch != batch:
            self._buffers = None  # free the old arrays first
            self._buffers = _Buffers(self, batch)
        return self._buffers

    def forward(self, x: ArrayLike) -> Array:
        r"""Run the network on a batch and keep what the backward pass needs.

        Parameters
        ----------
        x : array_like, shape (batch, widths[0])
            The input (converted to the network's dtype).

        Returns
        -------
        numpy.ndarray, shape (batch, widths[-1])
            The output :math:`h^L` (a new array).

        Raises
        ------
        ValueError, TypeError
            For an input of the wrong shape or type.

        Examples
        --------
        >>> import numpy as np, initlab
        >>> net = initlab.MLP([2, 2], activation="linear", init="ones")
        >>> net.forward(np.array([[1.0, 2.0]]))
        array([[3., 3.]], dtype=float32)
        """
        xin = self._input("MLP.forward", x)
        return self._forward(xin, None).copy()

    def backward(self, grad_out: ArrayLike) -> Gradients:
        r"""Backpropagate an upstream gradient through the last :meth:`forward` batch.

        Parameters
        ----------
        grad_out : array_like, shape (batch, widths[-1])
            :math:`G = \partial L / \partial h^L`; for the loss
            :math:`L = \sum G \odot h^L` this is :math:`G` itself.

        Returns
        -------
        Gradients
            New arrays: weights, biases, :math:`z`, :math:`u` and state gradients.

        Raises
        ------
        RuntimeError
            If :meth:`forward` has not been called (or the weights were redrawn since).
        ValueError
            If ``grad_out`` does not have the output's shape.

        Examples
        --------
        >>> import numpy as np, initlab
        >>> net = initlab.MLP([2, 2], activation="linear", init="ones", dtype=np.float64)
        >>> _ = net.forward(np.array([[1.0, 2.0]]))
        >>> net.backward(np.array([[1.0, 0.0]])).dW[0]
        array([[1., 0.],
               [2., 0.]])
        """
        func = "MLP.backward"
        if self._state is None:
            raise RuntimeError(f"{func}: call forward(x) first; backward uses its batch.")
        xin, batch = self._state
        g = _as_grad(func, grad_out, (batch, self._widths[-1]), self._dtype)
        rec = Keep(self.depth, self._batch_norm)
        dx = self._backward(xin, g, rec)
        dh = [dx, *rec.dh_out[1:], g.copy()]
        return Gradients(dW=tuple(rec.dw), db=tuple(rec.db) if self._bias else None,
                         dz=tuple(rec.dz), du=tuple(rec.du), dh=tuple(dh))

    def _forward(self, xin: Array, rec: Recorder | _Coordinates | None) -> Array:
        batch = xin.shape[0]
        buf = self._buffers_for(batch)
        h = xin
        with np.errstate(all="ignore"):
            for k in range(self.depth):
                u = buf.u[k]
                np.matmul(h, self._weights[k], out=u)
                if k == self.depth - 1 and self._readout_mult != 1.0:
                    np.multiply(u, self._readout_mult, out=u)
                if self._biases is not None:
                    np.add(u, self._biases[k], out=u)
                if self._batch_norm:
                    buf.inv[k] = bn_forward(u, self._bn_eps)
                if rec is not None:
                    rec.pre(k, u)
                out = buf.h[k]
                self._kernels[k].forward(u, out)
                if rec is not None:
                    rec.act(k, out)
                h = out
        self._state = (xin, batch)
        return h

    def _backward(self, xin: Array, g: Array, rec: Recorder | Keep) -> Array:
        """Backward pass from the upstream gradient ``g``; returns dL/dx (a buffer view)."""
        batch = xin.shape[0]
        buf = self._buffers_for(batch)
        widths = self._widths
        with np.errstate(all="ignore"):
            dh = _view(buf.g[0], g.shape)
            np.copyto(dh, g)
            side = 0
            for k in reversed(range(self.depth)):
                n_in, n_out = widths[k], widths[k + 1]
                u, h = buf.u[k], buf.h[k]
                tmp = _view(buf.tmp, u.shape)
                mask = _view(buf.mask, u.shape)
                self._kernels[k].backward(dh, u, h, tmp, mask)   # dh -> dL/du (in place)
                if self._batch_norm:
                    rec.du_(k, dh)
                    inv = buf.inv[k]
                    assert inv is not None
                    bn_backward(dh, u, inv, tmp)              # dL/du -> dL/dz (in place)
                dz = dh
                rec.dz_(k, dz)
                hin = buf.h[k - 1] if k else xin
                dw = _view(buf.dw, (n_in, n_out))
                np.matmul(hin.T, dz, out=dw)
                readout = k == self.depth - 1 and self._readout_mult != 1.0
                if readout:
                    np.multiply(dw, self._readout_mult, out=dw)
                rec.dw_(k, dw, self._weights[k])
                if self._biases is not None:
                    db = np.add.reduce(dz, axis=0, dtype=np.float64).astype(self._dtype)
                    rec.db_(k, db)
                side = 1 - side
                dprev = _view(buf.g[side], (batch, n_in))
                np.matmul(dz, self._weights[k].T, out=dprev)
                if readout:
                    np.multiply(dprev, self._readout_mult, out=dprev)
                rec.dh_(k, dprev)
                dh = dprev
        return dh

    # -- training -------------------------------------------------------------------------

    def _target(self, func: str, target: object, batch: int) -> Array:
        return _as_grad(func, target, (batch, self._widths[-1]), self._dtype, name="target")

    def loss(self, x: ArrayLike, target: ArrayLike) -> float:
        r"""The mean squared error of the network on a batch.

        .. math:: L = \frac{1}{B\,n_L} \sum_{b, i} \bigl(h^L_{bi} - T_{bi}\bigr)^2,

        PyTorch's ``nn.MSELoss()`` (``reduction='mean'``), accumulated in float64.

        Parameters
        ----------
        x : array_like, shape (batch, widths[0])
            The input.
        target : array_like, shape (batch, widths[-1])
            The target :math:`T`.

        Returns
        -------
        float

        Raises
        ------
        ValueError, TypeError
            For an input or target of the wrong shape or type.

        Examples
        --------
        >>> import numpy as np, initlab
        >>> net = initlab.MLP([2, 1], activation="linear", init="ones", dtype=np.float64)
        >>> net.loss([[1.0, 2.0], [0.0, 1.0]], [[1.0], [1.0]])
        2.0
        """
        func = "MLP.loss"
        xin = self._input(func, x)
        t = self._target(func, target, xin.shape[0])
        out = self._forward(xin, None)
        with np.errstate(all="ignore"):
            d = out.astype(np.float64) - t
            return float(np.mean(d * d))

    def step(self, x: ArrayLike, target: ArrayLike, optimizer: SGD | Adam) -> float:
        r"""One training step on a batch: forward, mean squared error, backward, update.

        The upstream gradient of :math:`L = \operatorname{mean}((h^L - T)^2)` is
        :math:`G = 2 (h^L - T) / (B\,n_L)` (as ``probe(grad='mse')``); :meth:`backward`
        turns it into the gradients of every weight and bias (the readout multiplier
        included), and ``optimizer.update`` changes the parameters in place, each with its
        learning rate ``optimizer.lr_of(name)`` (names of :meth:`named_parameters`).

        Parameters
        ----------
        x : array_like, shape (batch, widths[0])
            The input batch.
        target : array_like, shape (batch, widths[-1])
            The target :math:`T`.
        optimizer : SGD or Adam
            From :mod:`initlab.engine.optim`; it keeps its state (Adam's moments) between
            steps.

        Returns
        -------
        float
            The loss before the update (float64 accumulation).

        Raises
        ------
        ValueError, TypeError
            For an invalid argument (the parameters are then unchanged); an optimizer whose
            ``lr_mult`` names a parameter the network does not have.

        Notes
        -----
        :meth:`backward` needs a new :meth:`forward` after a step (the weights changed).

        References
        ----------
        .. [1] D. P. Kingma and J. Ba, "Adam: A Method for Stochastic Optimization", ICLR
           2015, arXiv:1412.6980.

        Examples
        --------
        >>> import numpy as np, initlab
        >>> from initlab.engine.optim import Adam
        >>> net = initlab.MLP([4, 8, 1], activation=["tanh", "linear"], bias=True, rng=0)
        >>> x = np.random.default_rng(1).standard_normal((16, 4))
        >>> y = x[:, :1] ** 2
        >>> opt = Adam(1e-2)
        >>> losses = [net.step(x, y, opt) for _ in range(50)]
        >>> bool(losses[-1] < losses[0] / 2), opt.steps
        (True, 50)
        """
        func = "MLP.step"
        if not isinstance(optimizer, (SGD, Adam)):
            fail(func, "optimizer", optimizer, "use initlab.engine.optim.SGD or Adam", TypeError)
        xin = self._input(func, x)
        batch = xin.shape[0]
        t = self._target(func, target, batch)
        out = self._forward(xin, None)
        with np.errstate(all="ignore"):
            diff = out - t
            loss = float(np.mean(np.square(diff, dtype=np.float64)))
            g = (diff * self._dtype.type(2.0 / (batch * self._widths[-1]))).astype(self._dtype)
        rec = Keep(self.depth, self._batch_norm)
        self._backward(xin, g, rec)
        params = dict(self.named_parameters())
        grads: dict[str, Array] = {}
        for k in range(self.depth):
            grads[f"layer{k + 1}.weight"] = rec.dw[k]
            if self._biases is not None:
                grads[f"layer{k + 1}.bias"] = rec.db[k]
        with np.errstate(all="ignore"):
            optimizer.update(params, grads)
        self._state = None
        return loss

    def coordinates(self, x: ArrayLike, *, of: str = "pre") -> Array:
        r"""The mean absolute coordinate of every layer on a batch.

        Per layer :math:`l`, :math:`\frac{1}{B\,n_l} \sum_{b,i} |u^l_{bi}|` for
        ``of='pre'`` (the pre-activation: :math:`z^l` after the readout multiplier and the
        bias, batch-normalized with batch norm; for the last layer of a regression network,
        the output) or of :math:`h^l` for ``of='act'``, accumulated in float64. This is the
        "coordinate size" of μP's coordinate checks (``mup``'s ``l1``: ``x.abs().mean()``).

        Parameters
        ----------
        x : array_like, shape (batch, widths[0])
            The input.
        of : {'pre', 'act'}, default 'pre'
            Pre-activations or activations.

        Returns
        -------
        numpy.ndarray of float64, shape (depth,)

        Raises
        ------
        ValueError, TypeError
            For an invalid argument.

        References
        ----------
        .. [1] G. Yang, E. J. Hu et al., "Tensor Programs V", 2022, arXiv:2203.03466
           (Section D.1, coordinate checks).

        Examples
        --------
        >>> import numpy as np, initlab
        >>> net = initlab.MLP([2, 2], activation="relu", init="ones", dtype=np.float64)
        >>> net.coordinates([[1.0, -3.0]]), net.coordinates([[1.0, -3.0]], of="act")
        (array([2.]), array([0.]))
        """
        func = "MLP.coordinates"
        which = check_choice(func, "of", of, ("pre", "act"))
        xin = self._input(func, x)
        rec = _Coordinates(self.depth, which)
        self._forward(xin, rec)
        return rec.sizes

    # -- measurement ----------------------------------------------------------------------

    def probe(
        self,
        x: ArrayLike,
        *,
        grad: str | ArrayLike = "normal",
        target: ArrayLike | None = None,
        rng: object = None,
        bins: int | Sequence[float] | Array | None = None,
    ) -> Report:
        r"""Run forward and backward once and measure every layer.

        Parameters
        ----------
        x : array_like, shape (batch, widths[0])
            The input batch.
        grad : {'normal', 'sum', 'mse'} or array_like, default 'normal'
            The upstream gradient :math:`G = \partial L / \partial h^L`. ``'normal'``: standard
            normal noise drawn from ``rng``, i.e. the loss :math:`L = \sum G \odot h^L`;
            ``'sum'``: :math:`G = 1` (:math:`L = \sum h^L`); ``'mse'``:
            :math:`L = \operatorname{mean}((h^L - T)^2)` against ``target`` :math:`T`
            (default zeros), :math:`G = 2 (h^L - T) / (B\,n_L)`; an array: :math:`G` itself.
        target : array_like, optional
            Target of the ``'mse'`` loss, shape ``(batch, widths[-1])``.
        rng : {None, int, numpy.random.Generator}, optional
            Source of the ``'normal'`` upstream noise (SPEC 7); unused otherwise.
        bins : int or sequence of float, optional
            Histogram edges shared by all layers. Default: equal bins of width :math:`2^{-j}`
            (at most 128) over the activations' bounds, ``[-4, 4]`` on unbounded sides (tanh:
            128 bins over ``[-1, 1]``; relu: 128 over ``[0, 4]``); an int sets the maximum
            number of such bins.

        Returns
        -------
        Report
            Per-layer statistics; see :class:`~initlab.engine.report.Report` for the columns.

        Raises
        ------
        ValueError, TypeError
            For an invalid argument.

        Notes
        -----
        Per layer :math:`l` (numbered from 1), with statistics over all :math:`B \times n_l`
        entries, ``ddof=0``, accumulated in float64: the pre-activation :math:`u^l` (mean,
        std), the activation :math:`h^l` (mean, std, min, max, saturated fraction for a
        bounded :math:`\phi` -- within 1 % of the half-range of a bound, :math:`|h| > 0.99`
        for tanh --, fraction exactly zero, dead units, histogram), the variances of
        :math:`\partial L/\partial z^l`, of the state gradient at the layer's input
        :math:`\partial L/\partial h^{l-1}` and of :math:`\partial L/\partial W^l` (summed over
        the batch), and :math:`\lVert \partial L/\partial W^l\rVert_F / \lVert W^l\rVert_F`.

        A layer whose pre-activation or activation holds inf or nan is non-finite; the first
        one is ``report.first_nonfinite_layer`` and every later layer is marked non-finite too.
        The moments of a non-finite layer cover its finite entries. No ``RuntimeWarning`` is
        emitted.

        The report also carries the mean-field prediction of these measurements
        (``pre_std_pred``, ``act_std_pred``, ``dh_in_var_pred``, ... and
        ``report.prediction``; :func:`initlab.theory.predict`), from the weights, the second
        moments of ``x`` and of :math:`G`, and the batch size this probe used (recorded in
        ``report.meta['mean_field']``), computed here by :func:`initlab.theory.propagate`
        (a few milliseconds for 100 layers of a moderate signal; more for an exploding one,
        whose quadrature needs more pieces).

        References
        ----------
        .. [1] X. Glorot and Y. Bengio, "Understanding the difficulty of training deep
           feedforward neural networks", AISTATS 2010.
        .. [2] S. S. Schoenholz, J. Gilmer, S. Ganguli and J. Sohl-Dickstein, "Deep
           Information Propagation", ICLR 2017, arXiv:1611.01232.

        Examples
        --------
        >>> import numpy as np, initlab
        >>> net = initlab.MLP([256] * 41, activation="linear", init="normal", rng=0)
        >>> x = np.random.default_rng(0).standard_normal((16, 256), dtype=np.float32)
        >>> rep = net.probe(x, rng=0)
        >>> rep.first_nonfinite_layer
        32
        >>> f"{rep['act_std'][30]:.2g}", f"{rep['act_std_pred'][30]:.2g}"  # x16 per layer
        ('1.9e+37', '2.1e+37')
        """
        func = "MLP.probe"
        self._no_readout_multiplier(func)
        xin = self._input(func, x)
        batch = xin.shape[0]
        check_rng(func, rng)
        edges = self._edges(func, bins)
        grad_kind = _grad_kind(func, grad)
        rec = Recorder(self, batch, edges, self._ws)
        rec.input(xin)
        out = self._forward(xin, rec)
        shape = (batch, self._widths[-1])
        g = self._upstream(func, grad, grad_kind, target, out, rng, shape)
        rec.upstream(g)
        self._backward(xin, g, rec)
        return rec.report(self, grad_kind)

    def _no_readout_multiplier(self, func: str) -> None:
        if self._readout_mult != 1.0:
            fail(func, "readout_multiplier", self._readout_mult, "probe a network with "
                 "readout_multiplier=1 (the mean-field prediction has no readout factor)",
                 why="is not supported by the probe")

    def _edges(self, func: str, bins: object) -> Array:
        if bins is None:
            los = [a.bounds[0] if math.isfinite(a.bounds[0]) else -_HIST_RANGE
                   for a in self._activations]
            his = [a.bounds[1] if math.isfinite(a.bounds[1]) else _HIST_RANGE
                   for a in self._activations]
            return dyadic_edges(min(los), max(his))
        if is_int(bins) and not isinstance(bins, bool):
            count = check_int(func, "bins", bins, minimum=1)
            edges = self._edges(func, None)
            return dyadic_edges(float(edges[0]), float(edges[-1]), max_bins=count)
        return edges_from(func, bins, None, np.zeros(0))

    def _upstream(self, func: str, grad: object, kind: str, target: object, out: Array,
                  rng: object, shape: tuple[int, int]) -> Array:
        dt = self._dtype
        if kind == "normal":
            gen = np.random.default_rng(rng)  # type: ignore[arg-type]
            return gen.standard_normal(shape, dtype=dt)
        if kind == "sum":
            return np.ones(shape, dtype=dt)
        if kind == "mse":
            t = (np.zeros(shape, dtype=dt) if target is None
                 else _as_grad(func, target, shape, dt, name="target"))
            with np.errstate(all="ignore"):
                return ((out - t) * dt.type(2.0 / (shape[0] * shape[1]))).astype(dt)
        return _as_grad(func, grad, shape, dt)

    def trials(
        self,
        x: ArrayLike,
        n: int,
        *,
        grad: str | ArrayLike = "normal",
        target: ArrayLike | None = None,
        rng: object = None,
        bins: int | Sequence[float] | Array | None = None,
        progress: bool | None = None,
    ) -> Trials:
        r"""Probe ``n`` independent weight draws of this architecture.

        The network itself is left unchanged: a copy with the same configuration redraws its
        weights for each trial.

        Parameters
        ----------
        x : array_like, shape (batch, widths[0])
            The input batch (the same for every trial).
        n : int
            Number of independent draws, ``>= 1``.
        grad, target, bins
            As in :meth:`probe`.
        rng : {None, int, numpy.random.Generator}, optional
            Source of randomness (SPEC 7), used in order: for each trial, the weights in layer
            order, then the upstream noise.
        progress : bool, optional
            Show a progress bar (``tqdm.auto``: a widget in Jupyter, text on stderr
            elsewhere; needs ``tqdm``). Default: shown once the run has lasted 2 s, when
            tqdm is installed.

        Returns
        -------
        Trials
            Each statistic's mean and confidence interval across the draws, per layer; each
            draw's report carries its own mean-field prediction (:meth:`Trials.predicted`).

        References
        ----------
        .. [1] S. S. Schoenholz, J. Gilmer, S. Ganguli and J. Sohl-Dickstein, "Deep Information
           Propagation", ICLR 2017, arXiv:1611.01232 (finite-width fluctuations).

        Examples
        --------
        >>> import numpy as np, initlab
        >>> net = initlab.MLP([64, 64, 64], activation="relu", init="he_normal")
        >>> x = np.random.default_rng(0).standard_normal((128, 64), dtype=np.float32)
        >>> t = net.trials(x, 5, rng=0)
        >>> t.n, t.mean("act_std").shape
        (5, (2,))
        """
        func = "MLP.trials"
        self._no_readout_multiplier(func)
        count = check_int(func, "n", n, minimum=1)
        xin = self._input(func, x)
        check_rng(func, rng)
        if progress is not None:
            check_bool(func, "progress", progress)
        _grad_kind(func, grad)
        gen = np.random.default_rng(rng)  # type: ignore[arg-type]
        clone = MLP.__new__(MLP)
        clone.__dict__.update(self.__dict__)
        clone._buffers = None
        clone._state = None
        clone._ws = Workspace()
        reports = []
        for _ in _progress(range(count), progress, desc="initlab trials"):
            clone.reinitialize(gen)
            reports.append(clone.probe(xin, grad=grad, target=target, rng=gen, bins=bins))
        return Trials(reports)


# --------------------------------------------------------------------------------------------
# helpers


class _Coordinates:
    """Forward-pass hooks recording the mean absolute pre-activation or activation."""

    def __init__(self, depth: int, which: str) -> None:
        self.which = which
        self.sizes = np.full(depth, np.nan)

    def _record(self, k: int, a: Array) -> None:
        self.sizes[k] = np.add.reduce(np.abs(a), axis=None, dtype=np.float64) / max(a.size, 1)

    def pre(self, k: int, u: Array) -> None:
        if self.which == "pre":
            self._record(k, u)

    def act(self, k: int, h: Array) -> None:
        if self.which == "act":
            self._record(k, h)


def _resolve_init(func: str, name: str, spec: object) -> Any:
    try:
        return _get_initializer(spec)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{func}: {name}: {exc}") from None


def _draw(init: Any, shape: tuple[int, ...], dtype: np.dtype[Any], gen: np.random.Generator,
          name: str, layer: int) -> Array:
    try:
        arr = init(shape, dtype=dtype, rng=gen)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"MLP: {name} failed for layer {layer + 1} (shape {shape}): "
                        f"{exc}") from None
    arr = np.asarray(arr)
    if arr.shape != shape:
        fail("MLP", name, init, f"it returned shape {arr.shape} for shape {shape}",
             why="returned the wrong shape")
    return np.ascontiguousarray(arr, dtype=dtype)


def _grad_kind(func: str, grad: object) -> str:
    if isinstance(grad, str):
        if grad not in _LOSSES:
            fail(func, "grad", grad, "use 'normal', 'sum', 'mse' or an array")
        return grad
    return "array"


def _as_grad(func: str, value: object, shape: tuple[int, int], dtype: np.dtype[Any],
             name: str = "grad") -> Array:
    try:
        arr = np.asarray(value)
    except Exception:  # pragma: no cover - exotic objects
        fail(func, name, value, f"use an array of shape {shape}", TypeError)
    if arr.dtype.kind not in "fiub":
        fail(func, name, value, f"use a real array of shape {shape}", TypeError)
    if arr.shape != shape:
        fail(func, name, value, f"use an array of shape {shape} (batch, widths[-1])")
    return np.ascontiguousarray(arr, dtype=dtype)


def _progress(it: range, progress: bool | None, desc: str) -> Iterable[int]:
    """Wrap ``it`` in a ``tqdm.auto`` bar (a widget in Jupyter, text on stderr elsewhere) when
    tqdm is installed and wanted; by default it appears only once the run has lasted 2 s."""
    if progress is False:
        return it
    try:
        from tqdm.auto import tqdm  # type: ignore[import-untyped, import-not-found, unused-ignore]
    except ImportError:
        return it
    delay = 2.0 if progress is None else 0.0
    return tqdm(it, desc=desc, disable=False, delay=delay, leave=False)  # type: ignore[no-any-return, unused-ignore]
