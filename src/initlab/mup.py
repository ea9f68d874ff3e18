r"""μP (maximal update parametrization) from parameter shapes alone.

μP changes, per parameter, the initial standard deviation, the learning rate and the
multiplier of the readout's input as a model grows wider, so that hyperparameters tuned on a
small model transfer to a wide one. All of it is arithmetic on shapes: which dimensions of a
parameter grow with width ("infinite") follows from comparing a *base* model's shapes with a
*delta* model's (or the target's), and the rules of the ``mup`` package (Yang et al.) give
the rest. :func:`parametrize` computes the :class:`MuPlan` from shapes (mappings path →
shape, or any object with ``named_parameters()`` such as a ``torch.nn.Module``), without
building the base model in a framework and without losing anything on save (the plan is
JSON).

================  ==================  =========================  ==========================
kind              infinite dims       init std (``mup.init``)    lr multiplier: Adam / SGD
================  ==================  =========================  ==========================
``scalar``        none                as the base init           1 / 1
``vector``        one (a 1-d tensor)  not set (bias/norm rule)   1 / m
``input``         one (fan-out, or    as the base init (fan-in   1 / m
                  an embedding)       finite); fan-in infinite:
                                      the base fan's std
``output``        one: the readout    the base fan-in's std      1 / m
``hidden``        two                 fan-in rule: as the base   1/m / m_out/m_in
                                      init; constant-std inits
                                      times m^(-1/2)
================  ==================  =========================  ==========================

with :math:`m` the width multiplier (target / base size of the dimension; for a matrix the
fan-in's), and the readout's input multiplied by ``output_mult / m`` (``MuReadout``).

:func:`coord_check` runs μP's coordinate check on the lab's :class:`~initlab.MLP`: a few Adam
or SGD steps at several widths, and the per-layer coordinate sizes against width
(:class:`CoordCheck`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from . import initializers as _init
from ._validate import check_choice, check_real, check_shape, fail
from .fans import compute_fans

__all__ = ["KINDS", "CoordCheck", "MuParam", "MuPlan", "coord_check", "parametrize"]

#: The kinds of parameter μP distinguishes.
KINDS: tuple[str, ...] = ("input", "hidden", "output", "vector", "scalar")

_OPTIMIZERS = ("adam", "sgd")
_OPT_ALIASES = {"adamw": "adam"}
_PARAMETRIZATIONS = ("mup", "spectral")
_LAYOUTS = ("torch", "in_out")
_LAYOUT_ALIASES = {"out_in": "torch", "keras": "in_out", "jax": "in_out", "tf": "in_out"}


@dataclass(frozen=True)
class MuParam:
    """The μP decision for one parameter.

    Attributes
    ----------
    path : str
        The parameter's path.
    shape, base_shape : tuple of int
        Its shape in the target and in the base model.
    infinite : tuple of bool
        Per dimension, whether it grows with width.
    kind : str
        One of :data:`KINDS`.
    width_mult : float
        ``mup``'s ``infshape.width_mult()``: target / base size of the last infinite
        dimension in PyTorch's ``(out, in, *kernel)`` order (the fan-in of a hidden matrix);
        1 without one.
    std : float or None
        The init standard deviation (``None``: not set by the plan, e.g. biases).
    init : dict or None
        The initializer drawing it, serialized (:func:`initlab.serialize`).
    lr_adam, lr_sgd : float
        The learning-rate multipliers of ``MuAdam`` and ``MuSGD``.

    References
    ----------
    .. [1] G. Yang et al., "Tensor Programs V", 2022, arXiv:2203.03466.

    Examples
    --------
    >>> from initlab.mup import parametrize
    >>> p = parametrize({"w": (256, 256)}, {"w": (64, 64)})["w"]
    >>> p.kind, p.width_mult, p.lr_adam, p.lr_sgd
    ('hidden', 4.0, 0.25, 1.0)
    """

    path: str
    shape: tuple[int, ...]
    base_shape: tuple[int, ...]
    infinite: tuple[bool, ...]
    kind: str
    width_mult: float
    std: float | None
    init: dict[str, Any] | None
    lr_adam: float
    lr_sgd: float

    @property
    def ninf(self) -> int:
        """Number of infinite dimensions."""
        return sum(self.infinite)


class MuPlan(Sequence[MuParam]):
    r"""A μP plan: one :class:`MuParam` per parameter, the readout multiplier, rules.

    Returned by :func:`parametrize`. Index by position or path. It implements
    :class:`initlab.plan.RuleSource`: ``as_rules()`` gives one rule per weight (its exact
    path → a ``Normal``/``Uniform``/``TruncatedNormal`` with the μP std) and no default, so a
    bridge (``initlab.torch.init_(model, plan, rng=0)``) draws every weight at its μP scale
    and keeps its own defaults for biases and norms.

    Attributes
    ----------
    parametrization : str
        ``'mup'`` or ``'spectral'``.
    optimizer : str
        ``'adam'`` or ``'sgd'``: which multipliers :meth:`lr_multipliers` and
        :meth:`param_groups` use by default.
    readout : str or None
        The readout's weight path.
    output_mult : float
        ``MuReadout``'s ``output_mult``.
    output_multiplier : float
        The factor the readout's input is multiplied by: ``output_mult / width_mult`` of the
        readout (as ``mup.MuReadout.forward``); ``output_mult`` for ``'spectral'`` and
        without a readout.
    layout : str
        ``'torch'`` (``(out, in, *kernel)``) or ``'in_out'`` (``(*kernel, in, out)``).

    References
    ----------
    .. [1] microsoft/mup ``mup/optim.py``, ``mup/init.py``, ``mup/layer.py``.

    Examples
    --------
    >>> from initlab.mup import parametrize
    >>> plan = parametrize({"fc.weight": (512, 512), "out.weight": (10, 512)},
    ...                    {"fc.weight": (64, 64), "out.weight": (10, 64)}, readout="out.weight")
    >>> plan.output_multiplier, plan.lr_multipliers()
    (0.125, {'fc.weight': 0.125, 'out.weight': 1.0})
    >>> MuPlan.from_json(plan.to_json()) == plan
    True
    """

    def __init__(self, params: Sequence[MuParam], *, parametrization: str, optimizer: str,
                 readout: str | None, output_mult: float, layout: str,
                 base_init: dict[str, Any] | None) -> None:
        self._params = tuple(params)
        self._by_path = {p.path: p for p in self._params}
        self.parametrization = parametrization
        self.optimizer = optimizer
        self.readout = readout
        self.output_mult = output_mult
        self.layout = layout
        self.base_init = base_init
        if readout is not None and parametrization == "mup":
            self.output_multiplier = output_mult / self._by_path[readout].width_mult
        else:
            self.output_multiplier = output_mult

    # sequence protocol
    def __len__(self) -> int:
        return len(self._params)

    def __iter__(self) -> Iterator[MuParam]:
        return iter(self._params)

    def __getitem__(self, index: int | str) -> MuParam:  # type: ignore[override]
        if isinstance(index, str):
            if index not in self._by_path:
                fail("MuPlan", "path", index, "use one of the plan's parameter paths",
                     KeyError, why="is not in the plan")
            return self._by_path[index]
        return self._params[index]

    def __contains__(self, item: object) -> bool:
        return item in self._by_path if isinstance(item, str) else item in self._params

    @property
    def paths(self) -> list[str]:
        """Every parameter path, in order."""
        return [p.path for p in self._params]

    # what the bridges and optimizers use
    def rules(self) -> dict[str, object]:
        """One rule per weight whose std the plan sets: escaped path → initializer."""
        return {_escape(p.path): _init.get(p.init) for p in self._params if p.init is not None}

    def as_rules(self) -> tuple[object, dict[str, object]]:
        """``(None, rules())`` for a bridge (see :class:`initlab.plan.RuleSource`)."""
        return None, self.rules()

    def lr_multipliers(self, optimizer: str | None = None) -> dict[str, float]:
        """Path → learning-rate multiplier for ``'adam'`` (also AdamW) or ``'sgd'``."""
        opt = self.optimizer if optimizer is None else check_choice(
            "MuPlan.lr_multipliers", "optimizer", optimizer, _OPTIMIZERS, _OPT_ALIASES)
        return {p.path: (p.lr_adam if opt == "adam" else p.lr_sgd) for p in self._params}

    def param_groups(self, model: object, lr: float, *, weight_decay: float = 0.0,
                     optimizer: str | None = None) -> list[dict[str, Any]]:
        r"""Optimizer parameter groups for a model (``torch.optim`` style).

        Parameters
        ----------
        model : object with ``named_parameters()``
            The target model (a ``torch.nn.Module``); its parameter paths and shapes must be
            the plan's.
        lr : float
            The base learning rate (the one tuned on the base model).
        weight_decay : float, default 0
            The base weight decay; each group's is ``weight_decay / lr multiplier`` (as
            ``MuAdam``/``MuSGD`` scale it).
        optimizer : {'adam', 'sgd'}, optional
            Default: the plan's.

        Returns
        -------
        list of dict
            ``{'params': [...], 'lr': ..., 'weight_decay': ...}``, one group per distinct
            multiplier, in order of first appearance; pass to ``torch.optim.Adam`` etc.

        Raises
        ------
        TypeError
            If ``model`` has no ``named_parameters()``.
        ValueError
            If its parameters' paths or shapes differ from the plan's.
        """
        func = "MuPlan.param_groups"
        lr = check_real(func, "lr", lr, nonnegative=True)
        wd = check_real(func, "weight_decay", weight_decay, nonnegative=True)
        mults = self.lr_multipliers(optimizer)
        named = _named_shapes(func, "model", model, tensors=True)
        _same_paths(func, "model", list(named), self.paths)
        groups: dict[float, dict[str, Any]] = {}
        for path, (shape, tensor) in named.items():
            if shape != self._by_path[path].shape:
                fail(func, "model", f"<{path}: shape {shape}>", f"the plan has shape "
                     f"{self._by_path[path].shape} for {path!r}", why="has another shape")
            m = mults[path]
            group = groups.setdefault(m, {"params": [], "lr": lr * m, "weight_decay": wd / m})
            group["params"].append(tensor)
        return list(groups.values())

    # text and serialization
    def table(self) -> str:
        """A plain-text table of the plan."""
        head = ("path", "shape", "base", "kind", "width_mult", "std", "lr adam", "lr sgd")
        rows = [(p.path, _tup(p.shape), _tup(p.base_shape), p.kind, f"{p.width_mult:g}",
                 "-" if p.std is None else f"{p.std:.4g}", f"{p.lr_adam:g}", f"{p.lr_sgd:g}")
                for p in self._params]
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
        lines = [f"MuPlan({self.parametrization}, optimizer={self.optimizer}, output "
                 f"multiplier {self.output_multiplier:g})"]
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                  for r in [head, *rows]]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return f"<MuPlan {self.parametrization}: {len(self)} parameters, readout " \
               f"{self.readout!r}, output multiplier {self.output_multiplier:g}>"

    def get_config(self) -> dict[str, Any]:
        """Everything the plan holds, JSON-ready."""
        return {"parametrization": self.parametrization, "optimizer": self.optimizer,
                "readout": self.readout, "output_mult": self.output_mult,
                "layout": self.layout, "init": self.base_init,
                "params": [{**asdict(p), "shape": list(p.shape),
                            "base_shape": list(p.base_shape), "infinite": list(p.infinite)}
                           for p in self._params]}

    def to_json(self, *, indent: int | None = None) -> str:
        """The plan as JSON; :meth:`from_json` restores it exactly."""
        return json.dumps(self.get_config(), indent=indent)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MuPlan:
        """Rebuild a plan from :meth:`get_config` (recomputed and checked to agree)."""
        func = "MuPlan.from_config"
        try:
            params = config["params"]
            target = {p["path"]: tuple(p["shape"]) for p in params}
            base = {p["path"]: tuple(p["base_shape"]) for p in params}
            delta = {p["path"]: tuple(b + 1 if inf else b for b, inf in
                                      zip(p["base_shape"], p["infinite"], strict=True))
                     for p in params}
            plan = parametrize(target, base, delta=delta, readout=config["readout"],
                               optimizer=config["optimizer"], init=config["init"],
                               parametrization=config["parametrization"],
                               output_mult=config["output_mult"], layout=config["layout"])
        except (KeyError, TypeError) as exc:
            fail(func, "config", f"<{type(config).__name__}>", "use the dict get_config() "
                 f"returns ({exc})", TypeError)
        if plan.get_config() != json.loads(json.dumps(config)):
            fail(func, "config", "<dict>", "use an unmodified get_config() output",
                 why="disagrees with the plan recomputed from its shapes")
        return plan

    @classmethod
    def from_json(cls, text: str) -> MuPlan:
        """Rebuild a plan from :meth:`to_json`'s output."""
        return cls.from_config(json.loads(text))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MuPlan) and other.get_config() == self.get_config()

    def __hash__(self) -> int:
        return hash(self.to_json())


def _tup(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def _escape(path: str) -> str:
    """A glob pattern matching exactly ``path`` (``*``, ``?``, ``[`` escaped)."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in path)


# --------------------------------------------------------------------------------------------
# shapes in


def _named_shapes(func: str, name: str, value: object, *, tensors: bool = False
                  ) -> dict[str, Any]:
    """Path → shape (or → (shape, tensor) with ``tensors``) from a mapping or a module."""
    if hasattr(value, "named_parameters") and callable(value.named_parameters):
        out: dict[str, Any] = {}
        for path, tensor in value.named_parameters():
            shape = tuple(int(d) for d in tensor.shape)
            out[path] = (shape, tensor) if tensors else shape
        return out
    if tensors:
        fail(func, name, value, "use a model with named_parameters() (a torch.nn.Module)",
             TypeError)
    if not isinstance(value, Mapping):
        fail(func, name, value, "use a mapping of parameter path -> shape, a nested mapping "
             "of arrays (a Flax parameter tree), or a model with named_parameters() (a "
             "torch.nn.Module)", TypeError)
    shapes: dict[str, tuple[int, ...]] = {}
    for path, shape in _flatten_tree(value).items():
        if not isinstance(path, str):
            fail(func, name, value, "use str parameter paths as keys", TypeError,
                 why=f"has the key {path!r}")
        shapes[path] = check_shape(func, shape, f"{name}[{path!r}]")
    return shapes


def _flatten_tree(tree: Mapping[Any, Any], prefix: str = "") -> dict[Any, Any]:
    """A nested mapping whose leaves have a ``shape`` (a Flax/JAX parameter tree of arrays or
    ``ShapeDtypeStruct``; a boxed leaf's ``.value``) flattened to ``/``-joined paths, the
    paths ``initlab.jax.init_params`` uses; a flat path -> shape mapping is returned as is."""
    out: dict[Any, Any] = {}
    for key, value in tree.items():
        path = f"{prefix}/{key}" if prefix else key
        if isinstance(value, Mapping):
            out.update(_flatten_tree(value, str(path)))
        else:
            leaf = getattr(value, "value", value)  # nn.Partitioned / nnx boxed parameters
            shape = getattr(leaf, "shape", None)
            out[path] = tuple(shape) if shape is not None and not isinstance(leaf, tuple) \
                else value
    return out


def _same_paths(func: str, name: str, got: list[str], want: list[str]) -> None:
    missing = [p for p in want if p not in set(got)]
    extra = [p for p in got if p not in set(want)]
    if missing or extra:
        what = (f"lacks {missing[:3]}" if missing else "") + (" and " if missing and extra
                                                              else "") + (
            f"has extra {extra[:3]}" if extra else "")
        fail(func, name, f"<{len(got)} parameters>", "use the same parameter paths as the "
             "base shapes", why=what)


def _to_torch(shape: tuple[int, ...], layout: str) -> tuple[int, ...]:
    """Reorder an ``in_out`` shape ``(*k, in, out)`` to PyTorch's ``(out, in, *k)``."""
    if layout == "torch" or len(shape) < 2:
        return shape
    return (shape[-1], shape[-2], *shape[:-2])


# --------------------------------------------------------------------------------------------
# the rules of mup


#: The three rules of ``mup.init``: a constant std, a fan-in/fan-out std, Xavier's.
_CONST, _FAN, _XAVIER = "const_std", "fan", "xavier"


def _vs_draws(init: Any) -> type:
    """The constant-std class drawing like a ``VarianceScaling``'s distribution.

    The class is found by comparing the configuration with reference objects (their
    ``distribution=`` values), so no distribution spelling is written here."""
    dist = init.get_config()["distribution"]
    for cls, ref in ((_init.Normal, _init.VarianceScaling(distribution="normal")),
                     (_init.Uniform, _init.VarianceScaling(distribution="uniform"))):
        if dist == ref.get_config()["distribution"]:
            return cls
    return _init.TruncatedNormal


def _family(init: object) -> tuple[str, str | None, type]:
    """(rule, mode, class of its distribution) of a supported initializer, as ``mup.init``
    treats it; the distribution is one of ``Normal``, ``Uniform``, ``TruncatedNormal``,
    ``Zeros``."""
    if isinstance(init, (_init.Normal, _init.Uniform, _init.TruncatedNormal, _init.Zeros)):
        return _CONST, None, type(init)
    named: tuple[tuple[type, str, type], ...] = (
        (_init.XavierNormal, "fan_avg", _init.Normal),
        (_init.XavierUniform, "fan_avg", _init.Uniform),
        (_init.LecunNormal, "fan_in", _init.TruncatedNormal),
        (_init.LecunUniform, "fan_in", _init.Uniform),
        (_init.KaimingNormal, "", _init.Normal),
        (_init.KaimingUniform, "", _init.Uniform),
        (_init.VarianceScaling, "", object))
    for cls, fixed_mode, dist in named:
        if isinstance(init, cls):
            mode = fixed_mode or init.get_config()["mode"]  # type: ignore[attr-defined]
            if mode == "fan_geo_avg":
                fail("parametrize", "init", init, "use a fan_in, fan_out or fan_avg "
                     "initializer (mup has no rule for fan_geo_avg)")
            if dist is object:
                dist = _vs_draws(init)
            return (_XAVIER if mode == "fan_avg" else _FAN), mode, dist
    fail("parametrize", "init", init, "use Normal, Uniform, TruncatedNormal, Zeros or a "
         "variance-scaling initializer (KaimingNormal, XavierUniform, LecunNormal, "
         "VarianceScaling, ...): mup.init has rules for these only", TypeError)


def _sp_std(init: Any, shape: tuple[int, ...]) -> float:
    """Std of ``init`` at ``shape`` (PyTorch layout), as standard parametrization draws it."""
    cfg = init.get_config()
    if "layout" in cfg:
        cfg["layout"] = "torch"
        if "in_axis" in cfg:
            cfg["in_axis"] = cfg["out_axis"] = None
        init = type(init).from_config(cfg)
    mean, second = _init.expected_moments(init, shape)
    return math.sqrt(max(second - mean * mean, 0.0))


def _draw_with(init: Any, dist: type, std: float, factor: float) -> Any:
    """An initializer of class ``dist`` with the given std (a constant-std ``init`` scaled by
    ``factor``, keeping its mean and bounds)."""
    if isinstance(init, (_init.Normal, _init.Uniform, _init.TruncatedNormal, _init.Zeros)):
        cfg = init.get_config()
        if isinstance(init, _init.Normal):
            return _init.Normal(mean=cfg["mean"] * factor, std=cfg["std"] * factor)
        if isinstance(init, _init.Uniform):
            return _init.Uniform(low=cfg["low"] * factor, high=cfg["high"] * factor)
        if isinstance(init, _init.TruncatedNormal):
            return _init.TruncatedNormal(mean=cfg["mean"] * factor, std=cfg["std"] * factor,
                                         lower=cfg["lower"], upper=cfg["upper"])
        return _init.Zeros()
    if dist is _init.Normal:
        return _init.Normal(std=std)
    if dist is _init.Uniform:
        a = math.sqrt(3.0) * std
        return _init.Uniform(low=-a, high=a)
    return _init.TruncatedNormal(std=std / _init.TRUNCATED_NORMAL_STD)


def parametrize(target: object, base: object, *, delta: object = None,
                readout: str | None = None, optimizer: str = "adam", init: object = None,
                parametrization: str = "mup", output_mult: float = 1.0,
                layout: str = "torch") -> MuPlan:
    r"""The μP plan of a target model from its shapes and a base model's (and a delta's).

    Parameters
    ----------
    target : mapping or model
        The model to train: parameter path → shape, a nested mapping of arrays (a Flax or
        JAX parameter tree: paths are ``/``-joined, as :func:`initlab.jax.init_params`
        names them, shapes in the ``in_out`` layout: pass ``layout="in_out"``), or an object
        with ``named_parameters()`` (a ``torch.nn.Module``; read, never modified).
    base : mapping or model
        The base model, whose hyperparameters are tuned; same paths and ranks.
    delta : mapping or model, optional
        A model differing from ``base`` exactly in the width dimensions, as ``mup``'s
        ``set_base_shapes(..., delta=)``; without it a dimension is a width dimension when
        its size differs between ``base`` and ``target``.
    readout : str, optional
        Path of the readout (output layer) weight, as ``mup.MuReadout``: its input is
        multiplied by :attr:`MuPlan.output_multiplier`.
    optimizer : {'adam', 'adamw', 'sgd'}, default 'adam'
        The default multipliers of :meth:`MuPlan.lr_multipliers` and
        :meth:`MuPlan.param_groups` (both are kept in the plan).
    init : initializer, optional
        The standard-parametrization init of the weights, default
        ``initlab.KaimingNormal()``; μP rescales it as ``mup.init`` does. Anything
        :func:`initlab.get` accepts that is a ``Normal``, ``Uniform``, ``TruncatedNormal``,
        ``Zeros`` or variance-scaling initializer. Not used by ``'spectral'``.
    parametrization : {'mup', 'spectral'}, default 'mup'
        ``'spectral'``: :math:`\sigma = \frac{1}{\sqrt{\text{fan\_in}}}
        \min\bigl(1, \sqrt{\text{fan\_out}/\text{fan\_in}}\bigr)` (normal), learning rates
        :math:`\propto 1/\text{fan\_in}` (Adam) and :math:`\propto
        \text{fan\_out}/\text{fan\_in}` (SGD) relative to the base, no output multiplier.
    output_mult : float, default 1
        ``MuReadout``'s ``output_mult``.
    layout : {'torch', 'in_out'}, default 'torch'
        The shapes' layout: PyTorch's ``(out, in, *kernel)`` or Keras/JAX's
        ``(*kernel, in, out)``.

    Returns
    -------
    MuPlan

    Raises
    ------
    TypeError
        For an argument of the wrong type, an unsupported ``init``.
    ValueError
        For paths or ranks that differ between ``target``, ``base`` and ``delta``; a
        non-width dimension (equal in ``base`` and ``delta``) whose size differs in
        ``target``; more than two width dimensions; a ``readout`` that is not a parameter
        or does not have exactly one width dimension, its fan-in.

    Notes
    -----
    Exactly ``mup`` 1.0.0's rules (``mup/init.py``, ``mup/optim.py``, ``mup/layer.py``),
    with :math:`n_\infty` the number of width dimensions and :math:`m` the width multiplier
    of the last one in PyTorch order (the fan-in for a hidden matrix):

    - init (after ``set_base_shapes`` and a ``mup.init`` re-init; weights of rank ≥ 2 only,
      biases and norms keep the bridge's defaults): constant-std inits (``Normal``,
      ``Uniform``, ``TruncatedNormal``) unchanged for :math:`n_\infty \le 1`, times
      :math:`m^{-1/2}` for :math:`n_\infty = 2`; fan-in/fan-out inits (He, LeCun) computed on
      the target and multiplied by :math:`\sqrt{m_{fan}}` when only the used fan is
      infinite, by :math:`\sqrt{m_{out}/m_{in}}` for ``fan_out`` when both are; Xavier times
      :math:`\sqrt{(d_{out}+d_{in})/(b_{out}+b_{in})}` and :math:`m_{in}^{-1/2}` when both
      are infinite.
    - Adam (``MuAdam``, ``MuAdamW``): lr :math:`/m` for :math:`n_\infty = 2`, else 1.
    - SGD (``MuSGD``): lr :math:`\times m` for :math:`n_\infty = 1`, :math:`\times
      m_{out}/m_{in}` for :math:`n_\infty = 2`, else 1.
    - weight decay: divided by the lr multiplier (as ``MuAdam``/``MuSGD``).
    - readout: input times ``output_mult / m`` (``MuReadout.forward``).

    Shapes alone do not say how a tensor is used: a PyTorch ``Embedding`` weight
    ``(num_embeddings, dim)`` reads like a ``Linear(dim, num_embeddings)`` weight, its fan-in
    the width. ``mup`` treats it the same way (this plan reproduces it). With ``'spectral'``
    an embedding therefore gets the σ of a ``Linear(dim, num_embeddings)``; when its fan-in
    should be the vocabulary, give it your own rule (the bridges' ``rules=`` come first).

    References
    ----------
    .. [1] G. Yang, E. J. Hu et al., "Tensor Programs V: Tuning Large Neural Networks via
       Zero-Shot Hyperparameter Transfer", NeurIPS 2021, arXiv:2203.03466.
    .. [2] G. Yang, J. B. Simon and J. Bernstein, "A Spectral Condition for Feature
       Learning", 2023, arXiv:2310.17813.
    .. [3] microsoft/mup 1.0.0, ``mup/shape.py``, ``mup/infshape.py``, ``mup/init.py``,
       ``mup/optim.py``, ``mup/layer.py``.

    Examples
    --------
    >>> import initlab
    >>> from initlab.mup import parametrize
    >>> def mlp(w):
    ...     return {"fc1.weight": (w, 32), "fc1.bias": (w,), "fc2.weight": (w, w),
    ...             "readout.weight": (10, w), "readout.bias": (10,)}
    >>> plan = parametrize(mlp(1024), mlp(64), delta=mlp(128), readout="readout.weight",
    ...                    init=initlab.Normal(std=0.02))
    >>> [round(plan[p].std, 4) for p in ("fc1.weight", "fc2.weight", "readout.weight")]
    [0.02, 0.005, 0.02]
    >>> plan.lr_multipliers("adam")["fc2.weight"], plan.lr_multipliers("sgd")["fc1.weight"]
    (0.0625, 16.0)
    >>> plan.output_multiplier
    0.0625
    """
    func = "parametrize"
    opt = check_choice(func, "optimizer", optimizer, _OPTIMIZERS, _OPT_ALIASES)
    kind_p = check_choice(func, "parametrization", parametrization, _PARAMETRIZATIONS)
    lay = check_choice(func, "layout", layout, _LAYOUTS, _LAYOUT_ALIASES)
    omult = check_real(func, "output_mult", output_mult)
    if init is None:
        base_init: Any = _init.KaimingNormal()
        init_config = None
    else:
        if kind_p == "spectral":
            fail(func, "init", init, "leave init=None with parametrization='spectral' (it "
                 "sets the std itself)")
        base_init = _init.get(init)
        if not isinstance(base_init, _init.Initializer):
            fail(func, "init", init, "use an initlab initializer (a plain callable has no "
                 "known scale)", TypeError)
        init_config = _init.serialize(base_init)
    rule, mode, dist = _family(base_init)
    if rule == _CONST and kind_p == "mup":
        cfg = base_init.get_config()
        zero_mean = cfg.get("mean", 0.0) == 0.0 and cfg.get("low", 0.0) == -cfg.get("high",
                                                                                    0.0)
    else:
        zero_mean = True
    tshapes = _named_shapes(func, "target", target)
    bshapes = _named_shapes(func, "base", base)
    _same_paths(func, "target", list(tshapes), list(bshapes))
    dshapes = None
    if delta is not None:
        dshapes = _named_shapes(func, "delta", delta)
        _same_paths(func, "delta", list(dshapes), list(bshapes))
    if readout is not None:
        if not isinstance(readout, str):
            fail(func, "readout", readout, "use the readout weight's path (a str)", TypeError)
        if readout not in tshapes:
            hint = f" (did you mean {readout + '.weight'!r}?)" if readout + ".weight" in \
                tshapes else ""
            fail(func, "readout", readout, "use the path of a parameter of target" + hint,
                 why="is not a parameter")
    params = []
    for path in bshapes:
        t, b = tshapes[path], bshapes[path]
        for name, other in (("target", t), ("delta", None if dshapes is None
                                               else dshapes[path])):
            if other is not None and len(other) != len(b):
                fail(func, name, f"<{path}: {other}>", f"use the base's rank ({path!r} has "
                     f"shape {b} in base)", why="has another rank")
        if dshapes is None:
            inf = tuple(bd != td for bd, td in zip(b, t, strict=True))
        else:
            d = dshapes[path]
            inf = tuple(bd != dd for bd, dd in zip(b, d, strict=True))
            for i, (bd, td, isinf) in enumerate(zip(b, t, inf, strict=True)):
                if not isinf and bd != td:
                    fail(func, "target", f"<{path}: {t}>", f"dimension {i} is not a width "
                         f"dimension (equal in base and delta: {bd}), so target must have "
                         f"{bd} there too", why="disagrees with base in a non-width dimension")
        params.append(_one(path, t, b, inf, lay, kind_p, rule, mode, dist, base_init,
                           zero_mean, readout))
    if readout is not None:
        rp = next(p for p in params if p.path == readout)
        tinf = _perm_flags(rp.infinite, lay)
        if rp.ninf != 1 or len(tinf) < 2 or not tinf[1]:
            fail(func, "readout", readout, "use the readout weight: exactly one width "
                 "dimension, its fan-in (a Linear(width, n_out))",
                 why=f"has width dimensions {rp.infinite}")
    return MuPlan(params, parametrization=kind_p, optimizer=opt, readout=readout,
                  output_mult=omult, layout=lay, base_init=init_config)


def _perm_flags(flags: tuple[bool, ...], layout: str) -> tuple[bool, ...]:
    if layout == "torch" or len(flags) < 2:
        return flags
    return (flags[-1], flags[-2], *flags[:-2])


def _one(path: str, t: tuple[int, ...], b: tuple[int, ...], inf: tuple[bool, ...], lay: str,
         kind_p: str, rule: str, mode: str | None, dist: type, base_init: Any,
         zero_mean: bool, readout: str | None) -> MuParam:
    func = "parametrize"
    ninf = sum(inf)
    if ninf > 2:
        fail(func, "target", f"<{path}: {t}>", "give at most two width dimensions per "
             "parameter (mup has no rule for more)", why=f"has {ninf} width dimensions")
    tt, bt, it = _to_torch(t, lay), _to_torch(b, lay), _perm_flags(inf, lay)
    if any(f and bd == 0 for bd, f in zip(bt, it, strict=True)):
        fail(func, "base", f"<{path}: {b}>", "give width dimensions a positive base size",
             why="has a width dimension of size 0")
    mults = [td / bd if f else 1.0 for td, bd, f in zip(tt, bt, it, strict=True)]
    main = [i for i, f in enumerate(it) if f]
    wm = mults[main[-1]] if main else 1.0
    if ninf == 0:
        kind = "scalar"
    elif ninf == 2:
        kind = "hidden"
    elif path == readout:
        kind = "output"
    elif len(t) >= 2:
        kind = "input"
    else:
        kind = "vector"
    # learning rates (mup/optim.py)
    if kind_p == "mup":
        lr_adam = 1.0 / wm if ninf == 2 else 1.0
        if ninf == 1:
            lr_sgd = wm
        elif ninf == 2:
            lr_sgd = 1.0 / (mults[1] / mults[0])
        else:
            lr_sgd = 1.0
    else:
        fi, fo = _fans(tt)
        bfi, bfo = _fans(bt)
        lr_adam = bfi / fi
        lr_sgd = (fo / fi) / (bfo / bfi)
    std: float | None = None
    init_out: dict[str, Any] | None = None
    if len(t) >= 2 and math.prod(t) > 0:
        if kind_p == "spectral":
            fi, fo = _fans(tt)
            std = 1 / math.sqrt(fi) * min(1.0, math.sqrt(fo / fi))
            init_out = _init.serialize(_init.Normal(std=std))
        else:
            if ninf == 2 and len(main) == 2 and main != [0, 1] and rule != _CONST:
                fail(func, "target", f"<{path}: {t}>", "put the two width dimensions on the "
                     "fan-in and fan-out axes (mup's fan rules need them there)",
                     why="has width dimensions elsewhere")
            if ninf == 2 and not zero_mean:
                fail(func, "init", base_init, f"use a zero-mean init: {path!r} has two "
                     "width dimensions (mup requires mean 0 there)")
            sp = _sp_std(base_init, tt)
            factor = 1.0
            if rule == _CONST:
                factor = wm ** -0.5 if ninf == 2 else 1.0
            elif rule == _FAN:
                fin, fout = mults[1], mults[0]
                if ninf == 1:
                    if mode == "fan_in" and it[1]:
                        factor = math.sqrt(fin)
                    elif mode == "fan_out" and it[0]:
                        factor = math.sqrt(fout)
                elif ninf == 2 and mode == "fan_out":
                    factor = math.sqrt(fout / fin)
            else:  # xavier (mup's _inf_fan_adjust_xavier); finite dims equal the base's
                factor = math.sqrt((tt[0] + tt[1]) / (bt[0] + bt[1]))
                if ninf == 2:
                    factor /= math.sqrt(mults[1])
            std = sp * factor
            init_out = _init.serialize(_draw_with(base_init, dist, std, factor))
    return MuParam(path, t, b, inf, kind, wm, std, init_out, lr_adam, lr_sgd)


def _fans(shape: tuple[int, ...]) -> tuple[float, float]:
    """(fan_in, fan_out) of a PyTorch-layout shape; a vector is (1, n)."""
    if len(shape) < 2:
        return 1.0, float(math.prod(shape))
    f = compute_fans(shape, layout="torch")
    return float(f.fan_in), float(f.fan_out)


# --------------------------------------------------------------------------------------------
# coordinate checks


_COORD_LR = {"adam": 0.02, "sgd": 0.1}


def _mlp_shapes(width: int, depth: int, d_in: int, d_out: int, bias: bool
                ) -> dict[str, tuple[int, ...]]:
    """The lab MLP's parameter shapes (``MLP.named_parameters`` names, ``in_out`` layout)."""
    sizes = [d_in] + [width] * depth + [d_out]
    out: dict[str, tuple[int, ...]] = {}
    for k in range(depth + 1):
        out[f"layer{k + 1}.weight"] = (sizes[k], sizes[k + 1])
        if bias:
            out[f"layer{k + 1}.bias"] = (sizes[k + 1],)
    return out


class CoordCheck:
    r"""The coordinate sizes of a network trained a few steps at several widths.

    Returned by :func:`coord_check`. ``sizes[t, i, j]`` is the mean absolute pre-activation
    coordinate of layer ``layers[i]`` at width ``widths[j]`` after ``t`` optimizer steps
    (``t = 0`` at initialization), averaged over the seeds.

    Attributes
    ----------
    widths : tuple of int
    layers : tuple of int
        ``1 … depth + 1``; the last is the readout (the network's output).
    steps : int
    sizes : numpy.ndarray, shape (steps + 1, depth + 1, len(widths))
    losses : numpy.ndarray, shape (steps + 1, len(widths))
        The training loss (mean squared error on the fixed batch) after ``t`` steps,
        averaged over the seeds.
    slopes : dict of int to float
        Layer → least-squares slope of :math:`\log(\text{size})` against
        :math:`\log(\text{width})` after the last step.
    config : dict
        The arguments of the run (parametrization, optimizer, lr, base width, ...).

    References
    ----------
    .. [1] G. Yang, E. J. Hu et al., "Tensor Programs V: Tuning Large Neural Networks via
       Zero-Shot Hyperparameter Transfer", NeurIPS 2021, arXiv:2203.03466, Section D.1.

    Examples
    --------
    >>> from initlab.mup import coord_check
    >>> check = coord_check([64, 128], depth=1, steps=1, seeds=1, batch=16)
    >>> check.sizes.shape, sorted(check.slopes)
    ((2, 2, 2), [1, 2])
    """

    def __init__(self, widths: Sequence[int], sizes: Any, losses: Any,
                 config: Mapping[str, Any]) -> None:
        import numpy as np

        self.widths = tuple(int(w) for w in widths)
        self.sizes = np.asarray(sizes, dtype=np.float64)
        self.losses = np.asarray(losses, dtype=np.float64)
        self.steps = self.sizes.shape[0] - 1
        self.layers = tuple(range(1, self.sizes.shape[1] + 1))
        self.config = dict(config)
        self.slopes = self.slopes_at(self.steps)

    def slopes_at(self, step: int) -> dict[int, float]:
        r"""Layer → fitted log-log slope of the coordinate size against width after ``step``
        steps (ordinary least squares on :math:`(\log w, \log \text{size})`)."""
        import numpy as np

        t = self._step("CoordCheck.slopes_at", step)
        logw = np.log(np.asarray(self.widths, dtype=np.float64))
        out: dict[int, float] = {}
        for i, layer in enumerate(self.layers):
            with np.errstate(all="ignore"):
                logs = np.log(self.sizes[t, i])
            if len(self.widths) < 2 or not np.isfinite(logs).all():
                out[layer] = math.nan
            else:
                out[layer] = float(np.polyfit(logw, logs, 1)[0])
        return out

    def _step(self, func: str, step: int | None) -> int:
        if step is None:
            return self.steps
        if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step <= self.steps:
            fail(func, "step", step, f"use an integer in [0, {self.steps}]",
                 TypeError if not isinstance(step, int) else ValueError)
        return step

    def table(self, step: int | None = None) -> str:
        """A text table: one row per layer, the coordinate size at each width and the
        fitted slope, after ``step`` steps (default: the last)."""
        from ._format import align, number

        t = self._step("CoordCheck.table", step)
        slopes = self.slopes_at(t)
        head = ["layer", *(str(w) for w in self.widths), "slope"]
        rows = []
        for i, layer in enumerate(self.layers):
            name = f"{layer} (readout)" if layer == self.layers[-1] else str(layer)
            rows.append([name, *(number(v, 3, exponent=True) for v in self.sizes[t, i]),
                         f"{slopes[layer]:+.3f}"])
        c = self.config
        title = (f"coordinate check: {c['parametrization']}, {c['optimizer']} lr={c['lr']:g}, "
                 f"mean |pre-activation| after {t} step{'s' if t != 1 else ''} "
                 f"({c['seeds']} seed{'s' if c['seeds'] != 1 else ''})")
        return title + "\n" + align(head, rows)

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        slopes = ", ".join(f"{k}: {v:+.3f}" for k, v in self.slopes.items())
        return (f"<CoordCheck {self.config['parametrization']}, widths {list(self.widths)}, "
                f"{self.steps} steps, slopes {{{slopes}}}>")

    def to_dict(self) -> dict[str, Any]:
        """The check as JSON-ready data (config, widths, sizes, losses, slopes)."""
        from ._json import jsonable

        return jsonable({"config": self.config, "widths": self.widths, "layers": self.layers,
                         "steps": self.steps, "sizes": self.sizes, "losses": self.losses,
                         "slopes": {str(k): v for k, v in self.slopes.items()}})

    def to_json(self, *, indent: int | None = None) -> str:
        """:meth:`to_dict` as a JSON string (nan as ``null``)."""
        return json.dumps(self.to_dict(), indent=indent)

    def plot(self, step: int | None = None, *, fig: Any = None) -> Any:
        """Coordinate size against width, log-log, one line per layer (slope in the legend).

        Parameters
        ----------
        step : int, optional
            One panel after that many steps; default one panel per step ``0 … steps``.
        fig : matplotlib Figure, optional
            Draw into this figure (default: a new one).

        Returns
        -------
        matplotlib.figure.Figure

        Raises
        ------
        ImportError
            Without matplotlib.
        """
        from . import _format
        from .plotting import require

        require()
        import matplotlib.pyplot as plt
        import numpy as np

        panels = list(range(self.steps + 1)) if step is None else [
            self._step("CoordCheck.plot", step)]
        if fig is None:
            fig = plt.figure(figsize=(3.2 * len(panels) + 0.6, 3.4), layout="constrained")
        axes = fig.subplots(1, len(panels), sharey=True, squeeze=False)[0]
        c = self.config
        for ax, t in zip(axes, panels, strict=True):
            slopes = self.slopes_at(t)
            for i, layer in enumerate(self.layers):
                name = "readout" if layer == self.layers[-1] else f"layer {layer}"
                y = np.where(self.sizes[t, i] > 0, self.sizes[t, i], np.nan)  # log axis
                ax.plot(self.widths, y, "o-", markersize=3.5, linewidth=1.2,
                        label=f"{name} ({_format.number(slopes[layer], 2)})"
                        if math.isnan(slopes[layer]) else f"{name} ({slopes[layer]:+.2f})")
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            ax.set_xlabel("width")
            ax.set_title(f"{'init' if t == 0 else f'after step {t}'}", fontsize=9)
            ax.grid(True, which="major", alpha=0.3)
            ax.legend(fontsize=7, title="layer (slope)", title_fontsize=7)
        axes[0].set_ylabel("mean |pre-activation|")
        fig.suptitle(f"{c['parametrization']}: {c['optimizer']} lr={c['lr']:g}, "
                     f"{c['activation']} MLP depth {c['depth']}", fontsize=10)
        return fig


def coord_check(widths: Sequence[int], *, parametrization: str = "mup", steps: int = 3,
                optimizer: str = "adam", lr: float | None = None, depth: int = 2,
                activation: object = "relu", init: object = None,
                base_width: int | None = None, input_dim: int = 32, output_dim: int = 10,
                batch: int = 64, bias: bool = True, readout_zero_init: bool | None = None,
                seeds: int = 3, dtype: Any = None, rng: object = 0) -> CoordCheck:
    r"""μP's coordinate check on the lab's :class:`~initlab.MLP`.

    Trains, at each width :math:`n` of ``widths``, an MLP ``input_dim → n → … → n →
    output_dim`` (``depth`` hidden layers with ``activation``, a linear readout) for ``steps``
    steps on one fixed batch (mean squared error against fixed random targets) and measures
    after each step the mean absolute pre-activation coordinate of every layer,
    :math:`\frac{1}{B n_l}\sum |z^l|` (:meth:`MLP.coordinates`; the readout's is the
    network's output). In μP these sizes do not depend on the width; in standard
    parametrization the updates make them grow with it.

    Parameters
    ----------
    widths : sequence of int
        The hidden widths, at least two, each ``>= 2``.
    parametrization : {'mup', 'sp'}, default 'mup'
        ``'mup'``: init std, per-parameter learning rates and readout multiplier from
        :func:`parametrize` (base ``base_width``, delta twice that, readout the last layer):
        the hidden matrices' Adam rate divided by :math:`m = n / n_{base}`, the readout's
        input multiplied by :math:`1/m`. ``'sp'``: standard parametrization, the same init
        formula at every width, one learning rate, no readout multiplier (the plan of a
        model against itself).
    steps : int, default 3
        Optimizer steps, ``>= 1``.
    optimizer : {'adam', 'sgd'}, default 'adam'
        :class:`initlab.engine.optim.Adam` (PyTorch's defaults) or
        :class:`~initlab.engine.optim.SGD`.
    lr : float, optional
        The base learning rate; default 0.02 for Adam and 0.1 for SGD (large enough that the
        updates, not the initial weights, set the coordinate sizes after three steps).
    depth : int, default 2
        Hidden layers; the report has layers ``1 … depth + 1``.
    activation : activation spec, default 'relu'
        The hidden layers' activation (anything :func:`initlab.activation` accepts).
    init : initializer, optional
        The standard-parametrization weight init (default ``initlab.KaimingNormal()``), as
        :func:`parametrize` takes it. Biases start at zero.
    base_width : int, optional
        μP's base width; default the smallest of ``widths``.
    input_dim, output_dim : int, default 32, 10
        The fixed (finite) input and output dimensions.
    batch : int, default 64
        The fixed batch's size.
    bias : bool, default True
        Whether the layers have biases.
    seeds : int, default 3
        Independent runs (data and weights) averaged per width.
    dtype : {float32, float64}, optional
        The networks' dtype; default float32.
    rng : {None, int, numpy.random.Generator}, default 0
        Source of randomness for the data and the weights (SPEC 7).

    Returns
    -------
    CoordCheck
        ``sizes``, ``losses``, ``slopes`` (layer → log-log slope after the last step),
        ``table()``, ``plot()``, ``to_json()``.

    Raises
    ------
    TypeError, ValueError
        For an invalid argument (the message names it).

    Notes
    -----
    With Adam the first update of a weight is about :math:`\eta\,\mathrm{sign}(g)` in every
    entry. For a hidden matrix it moves the pre-activation of the next layer by
    :math:`\sim \eta\, n\, |h|` in standard parametrization (growing linearly with the
    width) and by :math:`\eta\, n_{base}|h|` in μP, whose hidden learning rate is
    :math:`\eta/m`; the readout, multiplied by :math:`1/m`, likewise. After a few steps the
    updates dominate the initial values, and the fitted log-log slopes are near 0 for μP
    and near 1 for standard parametrization (``tests/test_mup.py`` checks
    :math:`|\text{slope}| < 0.1` over widths 128 … 2048 for μP and a readout slope
    :math:`> 0.4` for standard parametrization).

    References
    ----------
    .. [1] G. Yang, E. J. Hu et al., "Tensor Programs V: Tuning Large Neural Networks via
       Zero-Shot Hyperparameter Transfer", NeurIPS 2021, arXiv:2203.03466, Section D.1.
    .. [2] microsoft/mup 1.0.0, ``mup/coord_check.py`` (``get_coord_data``, ``l1``).

    Examples
    --------
    >>> from initlab.mup import coord_check
    >>> mu = coord_check([64, 128, 256], steps=2, seeds=1, batch=16)
    >>> sp = coord_check([64, 128, 256], parametrization="sp", steps=2, seeds=1, batch=16)
    >>> max(abs(s) for s in mu.slopes.values()) < 0.2, sp.slopes[3] > 0.5
    (True, True)
    """
    import numpy as np

    from ._validate import check_bool, check_dtype, check_int, check_rng
    from .activations import activation as _activation
    from .engine.mlp import MLP
    from .engine.optim import SGD, Adam

    func = "coord_check"
    if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence):
        fail(func, "widths", widths, "use a sequence of at least two int widths", TypeError)
    ws = [check_int(func, f"widths[{i}]", w, minimum=2) for i, w in enumerate(widths)]
    if len(ws) < 2 or len(set(ws)) != len(ws):
        fail(func, "widths", widths, "use at least two distinct widths")
    kind = check_choice(func, "parametrization", parametrization, ("mup", "sp"))
    n_steps = check_int(func, "steps", steps, minimum=1)
    opt = check_choice(func, "optimizer", optimizer, _OPTIMIZERS, _OPT_ALIASES)
    rate = _COORD_LR[opt] if lr is None else check_real(func, "lr", lr, positive=True)
    n_depth = check_int(func, "depth", depth, minimum=1)
    base = min(ws) if base_width is None else check_int(func, "base_width", base_width,
                                                        minimum=1)
    d_in = check_int(func, "input_dim", input_dim, minimum=1)
    d_out = check_int(func, "output_dim", output_dim, minimum=1)
    n_batch = check_int(func, "batch", batch, minimum=1)
    use_bias = check_bool(func, "bias", bias)
    zero_readout = kind == "mup" if readout_zero_init is None else check_bool(
        func, "readout_zero_init", readout_zero_init)
    n_seeds = check_int(func, "seeds", seeds, minimum=1)
    dt = np.dtype(np.float32) if dtype is None else check_dtype(func, dtype)
    if dt not in (np.float32, np.float64):
        fail(func, "dtype", dtype, "use float32 or float64", TypeError)
    check_rng(func, rng)
    readout = f"layer{n_depth + 1}.weight"
    acts: list[object] = [activation] * n_depth + ["linear"]
    act = _activation(activation, func=func)

    def shapes(n: int) -> dict[str, tuple[int, ...]]:
        return _mlp_shapes(n, n_depth, d_in, d_out, use_bias)

    plans = []
    for n in ws:
        ref = base if kind == "mup" else n
        plans.append(parametrize(shapes(n), shapes(ref), delta=shapes(2 * ref),
                                 readout=readout, optimizer=opt, init=init, layout="in_out"))
    gen = np.random.default_rng(rng)  # type: ignore[arg-type]
    sizes = np.zeros((n_steps + 1, n_depth + 1, len(ws)))
    losses = np.zeros((n_steps + 1, len(ws)))
    for _ in range(n_seeds):
        x = gen.standard_normal((n_batch, d_in)).astype(dt)
        y = gen.standard_normal((n_batch, d_out)).astype(dt)
        seeds_w = gen.integers(0, 2**63, size=len(ws))
        for j, plan in enumerate(plans):
            inits = [_init.get(plan[f"layer{k + 1}.weight"].init) for k in range(n_depth + 1)]
            if zero_readout:
                inits[-1] = _init.Zeros()
            net = MLP([d_in] + [ws[j]] * n_depth + [d_out], activation=acts, init=inits,
                      bias=use_bias, bias_init=_init.Zeros(), dtype=dt,
                      readout_multiplier=plan.output_multiplier, rng=int(seeds_w[j]))
            mults = plan.lr_multipliers(opt)
            optim: SGD | Adam = Adam(rate, lr_mult=mults) if opt == "adam" else SGD(
                rate, lr_mult=mults)
            for t in range(n_steps + 1):
                sizes[t, :, j] += net.coordinates(x)
                if t < n_steps:
                    losses[t, j] += net.step(x, y, optim)
                else:
                    losses[t, j] += net.loss(x, y)
    config = {"parametrization": kind, "optimizer": opt, "lr": rate, "depth": n_depth,
              "activation": act.spec if isinstance(act.spec, str) else act.name,
              "init": plans[0].base_init, "base_width": base if kind == "mup" else None,
              "input_dim": d_in, "output_dim": d_out, "batch": n_batch, "bias": use_bias,
              "readout_zero_init": zero_readout, "seeds": n_seeds, "dtype": dt.name,
              "measure": "mean |pre-activation|"}
    return CoordCheck(ws, sizes / n_seeds, losses / n_seeds, config)
