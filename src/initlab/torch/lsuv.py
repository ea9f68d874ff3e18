r"""Layer-sequential unit-variance initialization (LSUV, Mishkin & Matas 2015) of a PyTorch
model."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

import initlab

from .._validate import check_int, check_real, check_rng, fail
from ..plan import base_seed, seed_for
from ._hooks import (
    LSUV_TYPES,
    ModelState,
    Moments,
    StopForward,
    as_inputs,
    check_module,
    cuda_indices,
    first_floating,
    run_forward,
    torch_seed,
)
from .probe import ModuleReport

__all__ = ["LSUV_COLUMNS", "lsuv_"]

#: The columns of an :func:`lsuv_` report and what each holds.
LSUV_COLUMNS: dict[str, str] = {
    "module": "the layer's path in the model",
    "kind": "the layer's class name",
    "status": "'converged', 'max_iter' (not within tol after max_iter rescalings), "
              "'dead' (zero or non-finite output variance: left as it is) or 'not_run'",
    "iterations": "number of rescalings of the weight",
    "scale": "product of the rescaling factors applied to the weight",
    "var_init": "Var of the output on x after the pre-initialization",
    "var": "Var of the output on x at the end",
}


def _resolve_init(func: str, init: object) -> Any:
    if init is None:
        return None
    try:
        obj = initlab.get(init)
    except (TypeError, ValueError, KeyError) as exc:
        raise type(exc)(f"{func}: init={init!r} is not accepted; use None or anything "
                        f"initlab.get accepts ({exc})") from exc
    if isinstance(obj, initlab.Initializer):
        config = obj.get_config()
        if "layout" in config:  # a PyTorch weight is (out, in, *kernel)
            obj = type(obj).from_config({**config, "layout": "torch"})
        return obj
    return lambda shape, **kw: obj(shape, layout="torch", **kw)


def _draw(init: Any, w: torch.Tensor, seed: int) -> torch.Tensor:
    dtype = np.float64 if w.dtype == torch.float64 else np.float32
    values = np.asarray(init(tuple(w.shape), dtype=dtype, rng=seed))
    return torch.from_numpy(values).to(device=w.device, dtype=w.dtype)


def lsuv_(module: torch.nn.Module, x: object, *, target: float = 1.0, tol: float = 0.02,
          max_iter: int = 10, init: object = "orthogonal", rng: object = None) -> ModuleReport:
    r"""Layer-sequential unit-variance initialization (LSUV) of a PyTorch model, in place.

    Pre-initializes the weight of every ``Linear`` and ``Conv``/``ConvTranspose`` layer
    (orthogonal by default) and zeroes its bias; then, in forward order, rescales each such
    weight until the variance of the layer's output on ``x`` is within ``tol`` of ``target``.

    Parameters
    ----------
    module : torch.nn.Module
        The model; its ``Linear``/``Conv`` weights and biases are written.
    x : tensor, array or tuple of them
        A batch of the model's inputs, as for :func:`initlab.torch.probe`.
    target : float, default 1.0
        The output variance to reach, > 0.
    tol : float, default 0.02
        Stop rescaling a layer when :math:`|\mathrm{Var} - \text{target}| < \text{tol}`.
    max_iter : int, default 10
        At most this many rescalings per layer (>= 1).
    init : str, initializer or None, default 'orthogonal'
        The pre-initialization: anything :func:`initlab.get` accepts, drawn in PyTorch's
        layout (a conv kernel flattened to ``(out, in/groups * prod(kernel))`` as
        ``torch.nn.init.orthogonal_`` does) with the seed
        ``initlab.seed_for(base, path + ".weight")``, so ``init(shape, layout="torch",
        rng=initlab.seed_for(base, name))`` reproduces it in NumPy; its scale does not matter
        (LSUV rescales). None keeps the current weights (the biases are still zeroed).
    rng : None, int or numpy.random.Generator
        The base seed (an int is used as is; a Generator is consumed once; None draws
        fresh entropy), also seeding PyTorch's random state (dropout) during the passes,
        which is restored afterwards.

    Returns
    -------
    ModuleReport
        One row per ``Linear``/``Conv`` layer in forward order (layers that did not run
        last, ``status='not_run'``): :data:`LSUV_COLUMNS`.

    Raises
    ------
    TypeError
        For a ``module`` that is not a ``torch.nn.Module``, an ``x`` of a wrong type or
        dtype, or arguments of the wrong type.
    ValueError
        For an ``x`` the model does not accept, a model without ``Linear``/``Conv`` layers,
        ``target`` or ``tol`` not > 0, ``max_iter < 1``, or an unknown ``init``. Nothing is
        written then: the order of the layers is found by a first forward pass before any
        weight changes.

    Notes
    -----
    The algorithm of Mishkin and Matas [1]_: with :math:`v` the variance (population, in
    float64, over every element) of the layer's output on ``x``, repeat

    .. math:: W \leftarrow W \sqrt{\text{target} / v}

    while :math:`|v - \text{target}| \ge \text{tol}`, at most ``max_iter`` times. With a zero
    bias a linear layer's output variance scales exactly with :math:`W^2`, so one rescaling
    usually converges; a layer whose output does not (weight normalization, a weight shared
    with a later call) may need more, and stops at ``max_iter`` (``status='max_iter'``). A
    layer whose output variance is zero or not finite (dead ReLU inputs, a zero input)
    cannot be rescaled to the target: it is left as it is and reported as ``'dead'``. Each
    measurement runs the model only up to the layer (the rest of the forward pass is cut
    short), without gradients, in the model's current train/eval mode, with PyTorch's
    random state seeded the same way for every pass (dropout masks repeat); put the model in
    eval mode to measure without dropout. Afterwards the modes, ``requires_grad`` flags,
    ``.grad`` fields, buffers (batch-norm running statistics) and PyTorch's random state are
    as before; only the weights and biases of the rescaled layers have changed. A layer
    called several times is measured on its first call (its first floating-point output).

    References
    ----------
    .. [1] D. Mishkin and J. Matas, "All you need is a good init", ICLR 2016,
       arXiv:1511.06422.
    .. [2] A. M. Saxe, J. L. McClelland and S. Ganguli, "Exact solutions to the nonlinear
       dynamics of learning in deep linear neural networks", ICLR 2014, arXiv:1312.6120.

    Examples
    --------
    >>> import torch, initlab.torch as it
    >>> layers = []
    >>> for _ in range(10):
    ...     layers += [torch.nn.Linear(64, 64), torch.nn.Tanh()]
    >>> model = torch.nn.Sequential(*layers)
    >>> x = torch.randn(512, 64, generator=torch.Generator().manual_seed(0))
    >>> rep = it.lsuv_(model, x, rng=0)
    >>> set(rep["status"].tolist()), bool(abs(rep["var"] - 1).max() < 0.02)
    ({'converged'}, True)
    >>> rep["iterations"].tolist()[:3]
    [0, 1, 1]
    """
    func = "lsuv_"
    model = check_module(func, module)
    inputs = as_inputs(func, model, x)
    target = check_real(func, "target", target, positive=True, finite=True)
    tol = check_real(func, "tol", tol, positive=True, finite=True)
    max_iter = check_int(func, "max_iter", max_iter, minimum=1)
    check_rng(func, rng)
    draw = _resolve_init(func, init)
    layers = {m: path for path, m in model.named_modules() if isinstance(m, LSUV_TYPES)}
    if not layers:
        fail(func, "module", type(model).__name__, "use a model with Linear or Conv layers")
    base = base_seed(func, rng)
    seed = torch_seed(seed_for(base, "lsuv/torch"))
    state = ModelState(model)
    order: list[torch.nn.Module] = []
    status = {m: "not_run" for m in layers}
    iters = dict.fromkeys(layers, 0)
    scale = dict.fromkeys(layers, 1.0)
    var_init = dict.fromkeys(layers, math.nan)
    var_end = dict.fromkeys(layers, math.nan)

    def run(hooked: torch.nn.Module | None, measure: Moments | None) -> None:
        def hook(m: torch.nn.Module, args: object, output: object) -> None:
            if measure is None:
                if m not in order:
                    order.append(m)
                return
            t = first_floating(output)
            if t is not None:
                measure.add(t, max(t.ndim - 1, 0))
            raise StopForward

        targets = list(layers) if hooked is None else [hooked]
        handles = [m.register_forward_hook(hook) for m in targets]
        try:
            torch.manual_seed(seed)
            run_forward(func, model, inputs, x)
        except StopForward:
            pass
        finally:
            for h in handles:
                h.remove()

    try:
        with torch.random.fork_rng(devices=cuda_indices(model)), torch.no_grad():
            run(None, None)  # the forward order; an unfit x fails here, before any write
            for m, path in layers.items():
                w, b = getattr(m, "weight", None), getattr(m, "bias", None)
                if draw is not None and isinstance(w, torch.Tensor):
                    w.copy_(_draw(draw, w, seed_for(base, f"{path}.weight" if path
                                                    else "weight")))
                if isinstance(b, torch.Tensor):
                    b.zero_()
            for m in order:
                w = m.weight
                assert isinstance(w, torch.Tensor)
                while True:
                    moments = Moments()
                    run(m, moments)
                    v = moments.variance()
                    if iters[m] == 0:
                        var_init[m] = v
                    var_end[m] = v
                    if not math.isfinite(v) or v <= 0.0:
                        status[m] = "dead"
                        break
                    if abs(v - target) < tol:
                        status[m] = "converged"
                        break
                    if iters[m] >= max_iter:
                        status[m] = "max_iter"
                        break
                    factor = math.sqrt(target / v)
                    w.mul_(factor)
                    scale[m] *= factor
                    iters[m] += 1
    finally:
        state.restore()
    rows = order + [m for m in layers if m not in order]
    cols: dict[str, list[Any]] = {
        "module": [layers[m] for m in rows], "kind": [type(m).__name__ for m in rows],
        "status": [status[m] for m in rows], "iterations": [iters[m] for m in rows],
        "scale": [scale[m] for m in rows], "var_init": [var_init[m] for m in rows],
        "var": [var_end[m] for m in rows],
    }
    done = sum(s == "converged" for s in status.values())
    meta = {
        "kind": "lsuv", "model": type(model).__name__,
        "title": f"LSUV of {type(model).__name__}: {done}/{len(rows)} layers converged "
                 f"(target {target:g}, tol {tol:g})",
        "target": target, "tol": tol, "max_iter": max_iter,
        "init": None if init is None else str(init), "base_seed": str(base),
        "x_shapes": [list(t.shape) for t in inputs],
        "panels": [["var_init", "var"]],
    }
    return ModuleReport(cols, meta, LSUV_COLUMNS)
