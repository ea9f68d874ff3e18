r"""Per-module forward and backward statistics of any PyTorch model (signal propagation).

:func:`probe` runs one forward and one backward pass of a model with hooks on chosen modules
and returns a :class:`ModuleReport`: one row per module, in forward order, with the
signal-propagation statistics of Brock et al. (2021) and the gradient variances. The model
is left exactly as it was.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import torch

from .._validate import check_rng, fail, is_int
from ..engine.table import Table
from ._hooks import (
    CONV_TYPES,
    ModelState,
    Moments,
    as_inputs,
    check_module,
    cuda_indices,
    describe,
    first_floating,
    run_forward,
    spawned_seed,
    tensor_variance,
    tensors,
    torch_seed,
)

__all__ = ["PROBE_COLUMNS", "ModuleReport", "probe"]

#: The columns of a :func:`probe` report, in order, and what each holds.
PROBE_COLUMNS: dict[str, str] = {
    "module": "the module's path in the model ('' for the model itself)",
    "kind": "the module's class name",
    "out_mean": "mean of the module's output (its first floating-point tensor)",
    "out_std": "std of the output (population, over every element)",
    "ch_sq_mean": "average over channels of the squared channel mean (Brock et al. 2021)",
    "ch_var": "average over channels of the channel variance (population; Brock et al. 2021)",
    "grad_out_var": "Var dL/d output (population, over every element)",
    "w_std": "std of the module's weight (nan without one)",
    "dw_var": "Var dL/d weight (nan without one)",
}


class ModuleReport(Table):
    r"""A table with one row per module of a PyTorch model, plus metadata.

    Made by :func:`probe` and :func:`initlab.torch.lsuv_`; rebuilt from JSON by
    :meth:`~initlab.engine.Table.from_json`. A :class:`initlab.engine.Table`, the base it
    shares with the lab's :class:`initlab.engine.Report`, so it has the same API
    (``table()``, ``to_records()``, ``to_json()``, ``from_json``, ``_repr_html_()``,
    ``plot()``, ``add_column``, ``describe_columns``, ``meta``, ``title``): its rows are
    named by module path (the ``module`` column, which ``rows=`` of :meth:`table` accepts and
    :meth:`plot` writes under the x axis). It is not a ``Report``: a ``Report`` is the probe
    of initlab's reference MLP, whose rows are layers with fans, histograms on fixed edges
    and a mean-field prediction and verdict, none of which a module of any model has.

    Parameters
    ----------
    columns : mapping of str to sequence
        One value per row for each column: strings (a text column such as ``module``),
        integers (an ``int64`` column) or reals (a ``float64`` column; ``None`` is nan).
        Must include ``module``.
    meta : mapping, optional
        Settings of the measurement; ``title`` is shown above tables and plots, ``panels``
        (a list of lists of column names) chooses what :meth:`plot` draws.
    descriptions : mapping of str to str, optional
        Column name -> what it holds (default: :data:`PROBE_COLUMNS`).

    Notes
    -----
    ``report[name]`` returns a read-only NumPy array (``str`` for a text column).
    Rows are numbered from 1 in :meth:`table` and :meth:`plot`, as layers of a
    :class:`initlab.engine.Report`; ``rows=`` also accepts module paths.

    References
    ----------
    .. [1] A. Brock, S. De and S. L. Smith, "Characterizing signal propagation to close the
       performance gap in unnormalized ResNets", ICLR 2021, arXiv:2101.08692.

    Examples
    --------
    >>> from initlab.torch import ModuleReport
    >>> rep = ModuleReport({"module": ["fc1", "fc2"], "kind": ["Linear", "Linear"],
    ...                     "out_std": [1.0, 0.5]}, meta={"title": "two layers"})
    >>> print(rep.table())
    module    kind  out_std
       fc1  Linear        1
       fc2  Linear      0.5
    >>> ModuleReport.from_json(rep.to_json())["out_std"].tolist()
    [1.0, 0.5]
    >>> rep.table(["out_std"], rows=["fc2"]).splitlines()[1].strip()
    '0.5'
    """

    index = "module"
    _ROW = "module"
    _DESCRIPTIONS = PROBE_COLUMNS


# --------------------------------------------------------------------------------------------
# probe


def _default_modules(model: torch.nn.Module) -> dict[torch.nn.Module, str]:
    chosen: dict[torch.nn.Module, str] = {}
    for path, m in model.named_modules():
        if next(m.parameters(recurse=False), None) is not None:
            chosen.setdefault(m, path)
        if isinstance(m, (torch.nn.Sequential, torch.nn.ModuleList)):
            for name, child in m.named_children():
                if next(child.children(), None) is not None:
                    chosen.setdefault(child, f"{path}.{name}" if path else name)
    return chosen


def _chosen_modules(func: str, model: torch.nn.Module,
                    modules: object) -> dict[torch.nn.Module, str]:
    if modules is None:
        return _default_modules(model)
    accepted = "use module paths of the model (as named_modules() gives) or its submodules"
    entries = [modules] if isinstance(modules, (str, torch.nn.Module)) else modules
    if not isinstance(entries, Iterable):
        fail(func, "modules", modules, accepted, TypeError)
    entries = list(entries)
    if not entries:
        fail(func, "modules", modules, accepted + " (at least one)")
    by_path = dict(model.named_modules())
    paths = {m: p for p, m in reversed(list(by_path.items()))}
    chosen: dict[torch.nn.Module, str] = {}
    for e in entries:
        if isinstance(e, str):
            if e not in by_path:
                fail(func, "modules", e, accepted + ": it names no module of "
                     f"{type(model).__name__}")
            chosen.setdefault(by_path[e], e)
        elif isinstance(e, torch.nn.Module):
            if e not in paths:
                fail(func, "modules", type(e).__name__, accepted + ": this module is not "
                     f"part of {type(model).__name__}")
            chosen.setdefault(e, paths[e])
        else:
            fail(func, "modules", e, accepted, TypeError)
    return chosen


def _weight(m: torch.nn.Module) -> torch.Tensor | None:
    w = getattr(m, "weight", None)
    return w if isinstance(w, torch.Tensor) and w.is_floating_point() else None


def _conv_ndims(model: torch.nn.Module) -> set[int]:
    return {len(tuple(m.kernel_size)) + 2  # type: ignore[arg-type]
            for m in model.modules() if isinstance(m, CONV_TYPES)}


def _loss(func: str, output: object, target: object,
          conv_ndims: set[int]) -> tuple[torch.Tensor, str]:
    out = first_floating(output)
    if out is None:
        fail(func, "target", describe(target), "give a model whose output holds a "
             "floating-point tensor")
    if isinstance(target, np.ndarray):
        if target.dtype.kind not in "iuf":
            fail(func, "target", describe(target), "use integer class labels or floating "
                 "values", TypeError)
        target = torch.from_numpy(np.ascontiguousarray(target))
    if not isinstance(target, torch.Tensor):
        fail(func, "target", describe(target), "use a tensor or NumPy array", TypeError)
    t = target.to(out.device)
    if t.is_floating_point():
        if tuple(t.shape) != tuple(out.shape):
            fail(func, "target", describe(target), "use floating values of the output's "
                 f"shape {tuple(out.shape)} (mean squared error) or integer class labels")
        return torch.nn.functional.mse_loss(out, t.to(out.dtype)), "mse"
    if t.is_complex() or t.dtype == torch.bool:
        fail(func, "target", describe(target), "use integer class labels or floating values",
             TypeError)
    axis = 1 if out.ndim in conv_ndims and out.ndim >= 3 else out.ndim - 1
    logits = out.movedim(axis, -1)
    if tuple(t.shape) != tuple(logits.shape[:-1]):
        fail(func, "target", describe(target), "use integer class labels of shape "
             f"{tuple(logits.shape[:-1])} (the output without its class axis {axis})")
    classes = logits.shape[-1]
    if t.numel() and (int(t.min()) < 0 or int(t.max()) >= classes):
        fail(func, "target", describe(target), f"use class labels in [0, {classes})")
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, classes), t.reshape(-1).long())
    return loss, "cross_entropy"


class _Record:
    __slots__ = ("bwd", "calls", "fwd", "order")

    def __init__(self) -> None:
        self.fwd = Moments()
        self.bwd = Moments()
        self.order = -1
        self.calls = 0


class _AxisError(Exception):
    pass


def probe(module: torch.nn.Module, x: object, *, grad: str | None = "normal",
          target: object = None, rng: object = None, modules: object = None,
          channel_axis: int | None = None) -> ModuleReport:
    r"""Per-module forward and backward statistics of a PyTorch model on one batch.

    Runs ``module(*x)`` once and one backward pass, with hooks on the chosen modules that
    reduce each output and its gradient to a few float64 scalars on the fly (no activation is
    kept), and returns one row per module in forward order.

    Parameters
    ----------
    module : torch.nn.Module
        The model.
    x : tensor, array or tuple of them
        The model's positional inputs: floating inputs (a NumPy float array is converted to
        the model's dtype; a tensor must have it), integer token ids, or a tuple of inputs.
    grad : {'normal', 'sum'} or None, default 'normal'
        The upstream gradient sent into every floating-point tensor of the output (a tensor,
        or the tensors of a tuple, list or dict, in order): ``'normal'`` draws
        :math:`\mathcal N(0, 1)` values with ``numpy.random.default_rng(rng)``
        (``standard_normal(shape, dtype=float32)`` per output tensor, in order, cast to its
        dtype; PyTorch's seed for the pass comes from a spawned child, which leaves this
        stream as it is), ``'sum'`` sends ones (the gradient of the sum), None runs no backward pass
        (the gradient columns are nan).
    target : tensor or array, optional
        A loss target, replacing ``grad``: integer class labels (shape of the output without
        its class axis, the channel axis below) give the mean cross-entropy of the output's
        logits; floating values of the output's shape give the mean squared error. The loss
        is taken on the first floating-point tensor of the output.
    rng : None, int or numpy.random.Generator
        Seeds the upstream gradient and PyTorch's random state during the pass (dropout),
        which is restored afterwards. If None, fresh entropy is drawn from the operating
        system. An int seed or a Generator is passed to ``numpy.random.default_rng``
        (SPEC 7).
    modules : str, module or iterable of them, optional
        The modules to measure (paths as ``named_modules()`` gives them, or submodules).
        Default: every module with parameters of its own (every leaf layer with parameters,
        and e.g. ``MultiheadAttention``) plus every direct child of a ``Sequential`` or
        ``ModuleList`` that has children itself (the blocks of a ResNet stage or a
        transformer).
    channel_axis : int, optional
        The channel axis of the outputs for ``ch_sq_mean`` and ``ch_var``. Default: 1 for an
        output with as many dimensions as a convolution's output in the model
        (:math:`N, C, *\text{spatial}`), the last axis otherwise.

    Returns
    -------
    ModuleReport
        Columns :data:`PROBE_COLUMNS`: ``module``, ``kind``, ``out_mean``, ``out_std``,
        ``ch_sq_mean``, ``ch_var``, ``grad_out_var``, ``w_std``, ``dw_var``. Modules that
        did not run are listed in ``meta['not_run']``.

    Raises
    ------
    TypeError
        For a ``module`` that is not a ``torch.nn.Module``, ``x`` of a wrong type or
        floating dtype, a ``modules`` entry or ``channel_axis`` of a wrong type, or a bad
        ``rng``.
    ValueError
        For ``x`` the model does not accept (its forward pass fails: the error is chained),
        a ``modules`` entry naming no module of the model, a ``channel_axis`` out of range
        for an output, a ``grad`` not listed above, or a ``target`` that does not fit the
        output.

    Notes
    -----
    For an output :math:`x` with channels :math:`c = 1 \dots C` along the channel axis and
    :math:`n` values per channel (every other axis),

    .. math::

        \mu_c = \frac1n \sum_i x_{ic}, \qquad
        \texttt{ch\_sq\_mean} = \frac1C \sum_c \mu_c^2, \qquad
        \texttt{ch\_var} = \frac1C \sum_c \frac1n \sum_i (x_{ic} - \mu_c)^2,

    the average squared channel mean and average channel variance of Brock et al. [1]_;
    ``out_std`` is the population std over all elements
    (:math:`\texttt{out\_std}^2 = \texttt{ch\_var} + \mathrm{Var}_c\,\mu_c`). Moments are
    accumulated in float64 and only a few numbers per channel are kept: float32 and float64
    tensors on the CPU are reduced in place by ``torch.var_mean``, which accumulates in
    float64 there (the per-channel results of a float32 tensor are rounded to float32);
    other dtypes and devices are converted to float64 in chunks of :math:`2^{20}` elements;
    partial moments are merged with the pairwise update of Chan et al. [2]_. A module
    called several times gets one row, at its first call, with moments pooled over its
    calls (channel statistics nan if the channel counts differ). Only the first
    floating-point tensor of a module's output is measured.

    ``grad_out_var`` is measured with a hook on the output tensor
    (``Tensor.register_hook``), so an in-place operation after the module (``ReLU(inplace=
    True)``) does not disturb it: it is the gradient with respect to the value the module
    returned. Gradients flow with respect to the chosen modules' weights (and a floating
    ``x``) through ``torch.autograd.grad``, so no ``.grad`` field is written; every floating
    parameter's ``requires_grad`` is switched on during the pass, so frozen layers are
    measured too. The model runs in its current train/eval mode. Afterwards the modes,
    ``requires_grad`` flags, ``.grad`` fields, buffers (batch-norm running statistics) and
    PyTorch's random state are as before, and every hook is removed, even after an error.

    .. warning:: timm's ``avg_ch_var`` uses the unbiased channel variance
       (``torch.var``), larger than ``ch_var`` here by :math:`n/(n-1)`.

    References
    ----------
    .. [1] A. Brock, S. De and S. L. Smith, "Characterizing signal propagation to close the
       performance gap in unnormalized ResNets", ICLR 2021, arXiv:2101.08692.
    .. [2] T. F. Chan, G. H. Golub and R. J. LeVeque, "Updating formulae and a pairwise
       algorithm for computing sample variances", Stanford CS report STAN-CS-79-773, 1979.

    Examples
    --------
    >>> import torch, initlab.torch as it
    >>> _ = torch.manual_seed(0)
    >>> model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.Tanh(),
    ...                             torch.nn.Linear(64, 10))
    >>> rep = it.probe(model, torch.randn(256, 64), rng=0)
    >>> rep.columns[:4], rep["module"].tolist()
    (('module', 'kind', 'out_mean', 'out_std'), ['0', '2'])
    >>> bool(rep["out_std"][0] < 1), bool(rep["grad_out_var"][1] > 0.9)
    (True, True)
    """
    func = "probe"
    model = check_module(func, module)
    inputs = as_inputs(func, model, x)
    if grad is not None and grad not in ("normal", "sum"):
        fail(func, "grad", grad, "use 'normal', 'sum' or None")
    check_rng(func, rng)
    if channel_axis is not None and not is_int(channel_axis):
        fail(func, "channel_axis", channel_axis, "use an int or None", TypeError)
    chosen = _chosen_modules(func, model, modules)
    gen = np.random.default_rng(rng)  # type: ignore[arg-type]
    seed = torch_seed(spawned_seed(gen))
    conv_ndims = _conv_ndims(model)
    records = {m: _Record() for m in chosen}
    counter = [0]
    backward = grad is not None or target is not None
    tensor_handles: list[Any] = []

    def axis_of(t: torch.Tensor) -> int:
        if channel_axis is None:
            return 1 if t.ndim >= 3 and t.ndim in conv_ndims else max(t.ndim - 1, 0)
        nd = max(t.ndim, 1)
        if not -nd <= int(channel_axis) < nd:
            raise _AxisError(f"{func}: channel_axis={channel_axis!r} is not accepted; "
                             f"the output of a module has {t.ndim} dimension(s): use an axis "
                             f"in [{-nd}, {nd}).")
        return int(channel_axis) % nd

    def hook(m: torch.nn.Module, args: object, output: object) -> None:
        t = first_floating(output)
        rec = records[m]
        rec.calls += 1
        if rec.order < 0:
            rec.order = counter[0]
            counter[0] += 1
        if t is None:
            return
        axis = axis_of(t)
        rec.fwd.add(t, axis)
        if backward and t.requires_grad:
            def grad_hook(g: torch.Tensor, rec: _Record = rec) -> None:
                rec.bwd.add_flat(g)
            tensor_handles.append(t.register_hook(grad_hook))  # type: ignore[no-untyped-call]

    w_std = {m: (tensor_variance(w) ** 0.5 if (w := _weight(m)) is not None else math.nan)
             for m in chosen}
    state = ModelState(model)
    handles = []
    dw_var: dict[torch.nn.Module, float] = {}
    loss_kind = None
    try:
        handles = [m.register_forward_hook(hook) for m in chosen]
        with torch.random.fork_rng(devices=cuda_indices(model)), \
                torch.enable_grad() if backward else torch.no_grad():
            torch.manual_seed(seed)
            if backward:
                for p in state.params:
                    if p.is_floating_point():
                        p.requires_grad_(True)
            leaves = tuple(t.requires_grad_(True) if t.is_floating_point() and backward else t
                           for t in (i.clone() if i.is_floating_point() else i
                                     for i in inputs))
            try:
                output = run_forward(func, model, leaves, x)
            except _AxisError as exc:
                raise ValueError(str(exc)) from None
            if backward:
                if target is not None:
                    loss, loss_kind = _loss(func, output, target, conv_ndims)
                    roots = [loss]
                    upstream: list[torch.Tensor | None] = [None]
                else:
                    roots = [t for t in tensors(output) if t.is_floating_point()
                             and t.requires_grad]
                    upstream = [torch.ones_like(t) if grad == "sum" else
                                torch.from_numpy(gen.standard_normal(tuple(t.shape),
                                                 dtype=np.float32)).to(t.device, t.dtype)
                                for t in roots]
                del output
                weights = {id(w): w for m in chosen if (w := _weight(m)) is not None}
                wrt = list(weights.values()) + [t for t in leaves if t.requires_grad]
                if roots and wrt:
                    grads = torch.autograd.grad(roots, wrt, upstream, allow_unused=True)
                    by_id = {id(w): g for w, g in zip(wrt, grads, strict=False)}
                    del grads
                    for m in chosen:
                        w = _weight(m)
                        g = by_id.get(id(w)) if w is not None else None
                        dw_var[m] = tensor_variance(g) if g is not None else math.nan
                    del by_id
                del roots, upstream
    finally:
        for h in handles + tensor_handles:
            h.remove()
        state.restore()
    ran = sorted((m for m in chosen if records[m].order >= 0), key=lambda m: records[m].order)
    cols: dict[str, list[Any]] = {name: [] for name in PROBE_COLUMNS}
    for m in ran:
        rec = records[m]
        sq, cv = rec.fwd.channel_stats()
        cols["module"].append(chosen[m])
        cols["kind"].append(type(m).__name__)
        cols["out_mean"].append(rec.fwd.mean_value())
        cols["out_std"].append(rec.fwd.variance() ** 0.5)
        cols["ch_sq_mean"].append(sq)
        cols["ch_var"].append(cv)
        cols["grad_out_var"].append(rec.bwd.variance())
        cols["w_std"].append(w_std[m])
        cols["dw_var"].append(dw_var.get(m, math.nan))
    shapes = [list(t.shape) for t in inputs]
    meta = {
        "kind": "probe", "model": type(model).__name__,
        "title": f"probe of {type(model).__name__}: {len(ran)} modules, x "
                 f"{' + '.join('x'.join(map(str, s)) for s in shapes)}, "
                 + (f"target {type(target).__name__}" if target is not None else f"grad {grad}"),
        "x_shapes": shapes, "x_dtypes": [str(t.dtype) for t in inputs],
        "grad": None if target is not None else grad, "loss": loss_kind,
        "channel_axis": channel_axis, "training": bool(model.training),
        "not_run": [chosen[m] for m in chosen if records[m].order < 0],
        "calls": {chosen[m]: records[m].calls for m in ran if records[m].calls > 1},
        "panels": [["out_std", "ch_sq_mean", "ch_var"], ["grad_out_var"]],
    }
    return ModuleReport(cols, meta)
