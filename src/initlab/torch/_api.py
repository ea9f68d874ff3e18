"""The public functions of :mod:`initlab.torch`."""

from __future__ import annotations

from ..plan import Plan
from ._apply import build, check_rng, write

__all__ = ["init_", "plan"]


def init_(module: object, init: object, *, rules: object = None, rng: object = None) -> Plan:
    r"""Initialize every parameter of a PyTorch module in place, with the right fans.

    Parameters
    ----------
    module : torch.nn.Module
        The model. Its parameters are written in place under ``torch.no_grad()``;
        ``requires_grad``, devices, dtypes and storage are kept.
    init : str, dict, Initializer, callable, 'torch' or recipe
        The initializer of the weights of known layers: anything :func:`initlab.get`
        accepts (``'kaiming_normal'``, ``initlab.Orthogonal(gain=2)``, ...); ``'torch'`` for
        PyTorch's own ``reset_parameters`` distribution of every module kind (seeded); or an
        object with ``as_rules()`` (a recipe or a μP plan, see :class:`initlab.plan.RuleSource`):
        its default initializes the weights and its rules follow ``rules``.
    rules : mapping, optional
        Ordered ``{key: value}``; the first matching rule decides a parameter. A key is a glob
        pattern on the parameter path (``fnmatch``: ``"blocks.*.attn.c_proj.weight"``,
        ``"*.bias"``) or a module class (matching the parameters its instances hold
        directly). A value is anything :func:`initlab.get` accepts, ``'torch'``, or ``None``
        to leave the parameter as it is. A rule that matches no parameter is an error.
    rng : {None, int, numpy.random.Generator}, optional
        The model's seed (SPEC 7). Parameter ``path`` is drawn with
        ``rng=initlab.seed_for(seed, path)``, so its values depend only on the seed and its
        path. ``None`` draws a fresh seed; a ``Generator`` is consumed once for the seed.

    Returns
    -------
    Plan
        One :class:`~initlab.PlanEntry` per parameter (``named_parameters()`` order): path,
        shape, dtype, layer kind, initializer, source, fans, expected std.

    Raises
    ------
    TypeError
        For a ``module`` that is not a ``torch.nn.Module``, a rule key that is neither a
        string nor a module class, or an ``init``/rule value of a wrong type.
    ValueError
        For an unknown initializer name, a rule that matches nothing, an initializer that
        does not fit a parameter (e.g. ``orthogonal`` on a vector), a parameter on the
        ``meta`` device (call ``module.to_empty(device=...)`` first) or a ``Partial``
        DTensor. The whole plan is validated before anything is written: on an error the
        parameters are untouched.

    See Also
    --------
    plan : the same decisions, nothing written.
    initlab.seed_for : the seed of one parameter.

    Notes
    -----
    Fans come from the owning module (``(out, in, *k)`` weights read in PyTorch's layout):

    ====================  ==========================================================
    layer                 fans of the weight
    ====================  ==========================================================
    Linear                fan_in = in, fan_out = out
    Conv*d (groups g)     fan_in = (in/g)·k, fan_out = (out/g)·k (PyTorch: out·k)
    ConvTranspose*d       fan_in = (in/g)·k, fan_out = (out/g)·k (transposed storage)
    Bilinear              fan_in = in1·in2, fan_out = out
    MultiheadAttention    packed ``in_proj_weight`` as three (E, E) blocks: E, E each
    RNN/LSTM/GRU (cells)  ``weight_ih/hh`` as G gate blocks (H, in): in, H each
    ====================  ==========================================================

    Without a rule: those weights get ``init``; their biases zeros; norm layers (LayerNorm,
    GroupNorm, RMSNorm, BatchNorm*, InstanceNorm*) weight 1, bias 0; ``Embedding`` keeps
    PyTorch's N(0, 1) (seeded, ``padding_idx`` row zeroed); any other parameter is left
    untouched and listed as such. An elementwise initializer draws a blocked parameter as
    one tensor with ``batch_axis=0`` (its values are then those of the whole tensor); an
    initializer without ``batch_axis`` (e.g. ``orthogonal``) draws block ``b`` alone with
    ``rng=seed_for(seed, path + f"[{b}]")``, so each gate is orthogonal.

    float32 and float64 are drawn natively (on the CPU straight into the parameter's
    storage); float16 and bfloat16 are drawn in float32 and rounded once, then clipped to the
    distribution's bounds rounded inward (a truncated normal or a uniform stays inside its
    bounds). A parameter on another device receives a copy; what cannot be written in place
    is drawn in pieces of at most 4 Mi elements (the same values). A ``DTensor`` parameter
    is filled on each rank for its local shard only (``region=``), bit-identical to the
    unsharded tensor; initializers that are not elementwise compute the whole tensor on each
    rank and keep their slice.

    References
    ----------
    .. [1] K. He et al., "Delving Deep into Rectifiers", ICCV 2015, arXiv:1502.01852.
    .. [2] X. Glorot and Y. Bengio, "Understanding the difficulty of training deep feedforward
       neural networks", AISTATS 2010.
    .. [3] PyTorch issues #23854 (grouped fan_out), #166378 (packed attention), #145498
       (bfloat16 truncated normal), #168058 (sharded initialization).

    Examples
    --------
    >>> import torch, initlab, initlab.torch as it
    >>> model = torch.nn.Sequential(torch.nn.Linear(64, 10), torch.nn.LayerNorm(10))
    >>> p = it.init_(model, "kaiming_normal", rng=0)
    >>> print(p.table(["path", "init", "fan_in", "std"]))
    Sequential: init=HeNormal()
    path     init       fan_in std
    0.weight HeNormal() 64     0.1768
    0.bias   Zeros()    -      0
    1.weight Ones()     -      0
    1.bias   Zeros()    -      0
    >>> w = initlab.kaiming_normal((10, 64), layout="torch", rng=initlab.seed_for(0, "0.weight"))
    >>> bool((model[0].weight.detach().numpy() == w).all())
    True
    """
    func = "init_"
    check_rng(func, rng)
    result, jobs = build(func, module, init, rules, writing=True)
    write(func, jobs, rng)
    return result


def plan(module: object, init: object, *, rules: object = None, rng: object = None) -> Plan:
    """The decisions :func:`init_` would take for every parameter, with nothing written.

    Same arguments, validation and result as :func:`init_`; ``rng`` is checked but not used
    (a Generator is not consumed). Works on a model on the ``meta`` device.

    Parameters
    ----------
    module : torch.nn.Module
        The model.
    init : str, dict, Initializer, callable, 'torch' or recipe
        As in :func:`init_`.
    rules : mapping, optional
        As in :func:`init_`.
    rng : {None, int, numpy.random.Generator}, optional
        As in :func:`init_` (validated only).

    Returns
    -------
    Plan

    Raises
    ------
    TypeError, ValueError
        As :func:`init_`, except for the device checks.

    See Also
    --------
    init_

    References
    ----------
    .. [1] PyTorch, ``torch.nn.Module.named_parameters`` (the order and paths of the plan).

    Examples
    --------
    >>> import torch, initlab.torch as it
    >>> lstm = torch.nn.LSTM(8, 16)
    >>> e = it.plan(lstm, "orthogonal")["weight_hh_l0"]
    >>> e.shape, e.blocks, e.fan_in, e.fan_out
    ((64, 16), 4, 16, 16)
    """
    func = "plan"
    check_rng(func, rng)
    return build(func, module, init, rules, writing=False)[0]
