r"""initlab inside Keras 3: a serializable ``keras.initializers.Initializer`` and ``init_``,
which re-initializes a built model's variables in place with the right fans per layer kind.

Works on the ``numpy``, ``jax`` and ``torch`` Keras backends (set ``KERAS_BACKEND`` before
Keras is first imported) and under the ``"mixed_bfloat16"`` and ``"bfloat16"`` dtype
policies. Install with ``pip install "initlab[keras]"``.
"""

from __future__ import annotations

import operator
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import keras  # type: ignore[import-untyped]
import numpy as np

from ._bridging import (
    draw,
    expected_std,
    fans_of,
    full_config,
    resolve,
    validate,
    with_fans,
)
from ._validate import check_shape, fail, is_int
from .initializers import Initializer as _CoreInitializer
from .initializers import Ones, Uniform, Zeros, serialize
from .plan import Plan, PlanEntry, Rules, RuleSource, base_seed, seed_for

__all__ = ["Initializer", "init_"]

_HOST = {"float16": np.float16, "float64": np.float64}


def _keras_dtype(func: str, dtype: object) -> str:
    name = keras.backend.standardize_dtype(keras.config.floatx() if dtype is None else dtype)
    if name not in ("float16", "bfloat16", "float32", "float64"):
        fail(func, "dtype", dtype, "use a floating dtype: float32, float64, float16 or "
             "bfloat16", TypeError)
    return str(name)


def _tensor(values: np.ndarray[Any, Any], dtype: str) -> Any:
    """A backend tensor of ``dtype`` from host values (rounded once for bfloat16)."""
    return keras.ops.cast(keras.ops.convert_to_tensor(values), dtype)


@keras.saving.register_keras_serializable(package="initlab")
class Initializer(keras.initializers.Initializer):  # type: ignore[misc]
    r"""Any initlab initializer as a Keras initializer: ``kernel_initializer=Initializer(...)``.

    Parameters
    ----------
    init : str, dict or initlab.Initializer
        Anything :func:`initlab.get` turns into an :class:`initlab.Initializer`.
    seed : int, optional
        An int (``>= 0``) makes every call with the same shape give the same values, like a
        Keras initializer with an int seed. ``None`` (default) draws a fresh seed at each
        call from Python's ``random`` module, the state that ``keras.utils.set_random_seed``
        seeds (Keras' own unseeded initializers draw from it too): two builds after the same
        ``set_random_seed`` are identical, and one object shared by several layers gives
        each its own values.
    **config
        Overrides of the initializer's configuration (initlab's names).

    Notes
    -----
    ``__call__(shape, dtype=None)`` draws with NumPy on the host (float32, or float64 /
    float16 natively; bfloat16 drawn in float32 and rounded once) and returns a tensor of
    ``dtype`` (``keras.config.floatx()`` when ``None``; a layer under the ``"bfloat16"``
    policy asks for bfloat16). The layout is Keras' ``in_out``: ``Dense (in, out)``,
    ``Conv2D (kh, kw, in, out)``. A layer calls its initializer with the kernel's shape only,
    so ``DepthwiseConv2D`` and ``Conv*Transpose`` kernels get Keras' (wrong) fans here; use
    :func:`init_` for those.

    The class is registered as ``"initlab>Initializer"``: ``model.save("m.keras")`` then
    ``keras.models.load_model("m.keras")`` needs no ``custom_objects`` (once
    ``initlab.keras`` is imported). ``get_config()`` is
    ``{"init": initlab.serialize(init), "seed": seed}``.

    References
    ----------
    .. [1] Keras 3, ``keras.initializers.Initializer``,
       ``keras.saving.register_keras_serializable``, ``keras.utils.set_random_seed``.

    Examples
    --------
    >>> import numpy as np, initlab.keras as ik
    >>> init = ik.Initializer("he_normal", seed=0, mode="fan_out")
    >>> w = init((64, 32))
    >>> tuple(w.shape), round(float(np.std(np.asarray(w))) * 32 ** 0.5, 1)
    ((64, 32), 1.4)
    >>> ik.Initializer.from_config(init.get_config()).get_config() == init.get_config()
    True
    """

    def __init__(self, init: object, *, seed: int | None = None, **config: Any) -> None:
        func = "Initializer"
        self.init = resolve(func, "init", init, config)
        if seed is not None:
            if not is_int(seed):
                fail(func, "seed", seed, "use None or an integer >= 0", TypeError)
            seed = operator.index(seed)
            if seed < 0:
                fail(func, "seed", seed, "use None or an integer >= 0")
        self.seed = seed

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        func = "Initializer"
        dims = check_shape(func, tuple(shape) if isinstance(shape, list) else shape)
        name = _keras_dtype(func, dtype)
        seed = self.seed if self.seed is not None else random.getrandbits(64)
        values = draw(self.init, dims, np.dtype(_HOST.get(name, np.float32)), seed)
        return _tensor(values, name)

    def get_config(self) -> dict[str, Any]:
        return {"init": serialize(self.init), "seed": self.seed}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Initializer:
        if not isinstance(config, Mapping):
            fail("Initializer.from_config", "config", config, "use get_config()'s dict",
                 TypeError)
        return cls(**config)

    def __repr__(self) -> str:
        return f"Initializer({self.init!r}, seed={self.seed!r})"


# --------------------------------------------------------------------------------------------
# init_


@dataclass
class _Slot:
    """How one variable is drawn by default."""

    init: _CoreInitializer | None
    fans: dict[str, Any] = field(default_factory=dict)
    blocks: int = 1  # gates: drawn as (rows, blocks, cols) with batch_axis=1
    note: str = ""
    post: Callable[[np.ndarray[Any, Any]], None] | None = None


def _layer(name: str) -> type | None:
    return getattr(keras.layers, name, None)


def _kinds(*names: str) -> tuple[type, ...]:
    return tuple(c for c in (_layer(n) for n in names) if c is not None)


_DEPTHWISE = _kinds("DepthwiseConv1D", "DepthwiseConv2D")
_SEPARABLE = _kinds("SeparableConv1D", "SeparableConv2D")
_TRANSPOSE = _kinds("Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose")
_CONV = _kinds("Conv1D", "Conv2D", "Conv3D")
_NORMS = _kinds("BatchNormalization", "LayerNormalization", "GroupNormalization",
                "RMSNormalization")
_KERAS_EMBEDDING = Uniform(low=-0.05, high=0.05)


def _einsum_axes(equation: str) -> dict[str, Any]:
    """Fan axes of an ``EinsumDense`` kernel: contracted letters are inputs, letters only in
    the output are outputs, letters in input and output index independent matrices."""
    inputs, rest = equation.replace("...", "").split(",")
    kernel, output = rest.split("->")
    return {"in_axis": tuple(i for i, c in enumerate(kernel) if c in inputs and c not in output),
            "out_axis": tuple(i for i, c in enumerate(kernel) if c in output and c not in inputs),
            "batch_axis": tuple(i for i, c in enumerate(kernel) if c in inputs and c in output)}


def _depthwise(ndim: int) -> dict[str, Any]:
    # (*k, in, multiplier): each input channel is its own matrix, fan_in = prod(k)
    return {"in_axis": (), "out_axis": ndim - 1, "batch_axis": ndim - 2}


def _slot(layer: Any, role: str, ndim: int, default: _CoreInitializer | None) -> _Slot:
    cell: Any = layer  # keras is untyped: keep attribute access on Any after isinstance
    """Keras' conventions for variable ``role`` of ``layer``."""
    if role == "bias":
        slot = _Slot(Zeros())
        if isinstance(layer, _kinds("LSTMCell")) and getattr(layer, "unit_forget_bias", False):
            units = int(cell.units)

            def forget_ones(values: np.ndarray[Any, Any]) -> None:
                values[units:2 * units] = 1.0

            slot.post, slot.note = forget_ones, "unit_forget_bias: forget gate 1"
        return slot
    if isinstance(layer, _NORMS):
        if role in ("gamma", "scale", "moving_variance"):
            return _Slot(Ones())
        if role in ("beta", "moving_mean"):
            return _Slot(Zeros())
        return _Slot(None, note="unknown normalization variable")
    if isinstance(layer, _kinds("Embedding")) and role == "embeddings":
        return _Slot(_KERAS_EMBEDDING, note="Keras default: U(-0.05, 0.05)")
    if isinstance(layer, _kinds("LSTMCell", "GRUCell")) and role in ("kernel",
                                                                     "recurrent_kernel"):
        gates = 4 if isinstance(layer, _kinds("LSTMCell")) else 3
        return _Slot(default, {"in_axis": 0, "out_axis": 2, "batch_axis": 1}, gates,
                     "per gate")
    if isinstance(layer, _SEPARABLE):
        if role == "depthwise_kernel":
            return _Slot(default, _depthwise(ndim), note="depthwise")
        return _Slot(default)
    if role != "kernel":
        return _Slot(None, note="no convention for this variable")
    if isinstance(layer, _DEPTHWISE):
        return _Slot(default, _depthwise(ndim), note="depthwise")
    if isinstance(layer, _TRANSPOSE):
        return _Slot(default, {"transposed": True}, note="transposed (*k, out, in)")
    if isinstance(layer, _CONV):
        groups = int(getattr(layer, "groups", 1) or 1)
        return _Slot(default, {"groups": groups} if groups > 1 else {})
    if isinstance(layer, _kinds("EinsumDense")):
        return _Slot(default, _einsum_axes(cell.equation), note=cell.equation)
    if isinstance(layer, _kinds("Dense")):
        return _Slot(default)
    return _Slot(None, note="no convention for this layer kind")


def _own_variables(layer: Any) -> list[Any]:
    return [*getattr(layer, "_trainable_variables", ()),
            *getattr(layer, "_non_trainable_variables", ())]


def _split_init(func: str, init: object) -> tuple[_CoreInitializer | None, Mapping[str, object]]:
    if isinstance(init, RuleSource):
        default, extra = init.as_rules()
        return (None if default is None else resolve(func, "init", default, {})), extra
    return resolve(func, "init", init, {}), {}


def init_(model: Any, init: object, *, rules: object = None, rng: object = None) -> Plan:
    r"""Re-initialize a built Keras model's variables in place, with per-layer fans.

    Parameters
    ----------
    model : keras.Model or keras.layers.Layer
        A built model (its variables exist).
    init : str, dict, Initializer or RuleSource
        The initializer of every kernel (anything :func:`initlab.get` accepts), or a recipe
        / μP plan (:class:`initlab.plan.RuleSource`) whose rules follow ``rules``.
    rules : mapping, optional
        Glob pattern on the variable path (``variable.path`` without the model's own name,
        e.g. ``"dense_1/kernel"``,
        ``"*/query/kernel"``) or a Keras layer class, to an initializer, or ``None`` to keep
        the variable; first match wins; a rule that matches nothing is an error. Rules get
        the layer's fans too, unless they set their own axes.
    rng : None, int or numpy.random.Generator, optional
        The model's seed (SPEC 7). Variable ``path`` draws from
        ``initlab.seed_for(seed, path)``.

    Returns
    -------
    Plan
        One entry per model variable (untouched ones included: unknown layer kinds, seed
        generator states).

    Raises
    ------
    TypeError, ValueError
        For a non-model, an unbuilt model, a bad ``init``/``rules``/``rng``, a rule that
        matches nothing, or a variable its initializer refuses; raised before any variable
        is written.

    See Also
    --------
    Initializer, initlab.jax.init_params

    Notes
    -----
    ===================================  ==================================  ====================
    layer, variable                      fans (``in_out``)                   default
    ===================================  ==================================  ====================
    Dense ``kernel (in, out)``           in, out                             ``init``
    EinsumDense ``kernel``               contracted axes in, output-only     ``init``
                                         axes out, shared axes batch
    Conv1-3D ``kernel (*k, in/g, out)``  ``groups=g``: fan_out = k·out/g     ``init``
    DepthwiseConv ``(*k, in, m)``        fan_in = k, fan_out = k·m           ``init``
    SeparableConv                        depthwise as above, pointwise conv  ``init``
    Conv*Transpose ``(*k, out, in)``     ``transposed=True``                 ``init``
    MultiHeadAttention                   its EinsumDense query/key/value/    ``init``
                                         attention_output kernels
    LSTM/GRU ``kernel``,                 per gate: ``(in, units)`` blocks    ``init``
    ``recurrent_kernel``
    Embedding ``embeddings``                                                 U(±0.05), Keras'
    biases; norms' gamma/beta,                                               0; 1/0; 0/1
    moving mean/variance
    ===================================  ==================================  ====================

    Paths are relative to the model (a ``Sequential`` named ``"sequential_3"`` gives
    ``"fc/kernel"``, not ``"sequential_3/fc/kernel"``); Keras numbers unnamed layers in
    creation order (``dense``, ``dense_1``...), so name the layers whose values must not
    depend on what else the session built.

    Keras itself computes a depthwise kernel's fan_in as ``k·in`` (``in`` times too large)
    and a transposed kernel's fans swapped. LSTM biases keep ``unit_forget_bias`` (forget
    gate 1). Per-gate blocks are drawn as ``(rows, gates, units)`` with ``batch_axis=1``
    when the initializer takes ``batch_axis``; otherwise (``orthogonal`` before its
    ``batch_axis``) on the whole matrix, as Keras does.

    References
    ----------
    .. [1] Keras 3 layers' ``build`` methods (variable names and shapes) and
       ``keras.initializers`` (defaults).

    Examples
    --------
    >>> import keras, numpy as np, initlab, initlab.keras as ik
    >>> model = keras.Sequential([keras.Input((16,)), keras.layers.Dense(8, name="fc")])
    >>> plan = ik.init_(model, "he_normal", rng=0)
    >>> print(plan.table(["path", "kind", "fan_in", "std"]))
    init_
    path      kind  fan_in std
    fc/kernel Dense 16     0.3536
    fc/bias   Dense -      0
    >>> w = initlab.he_normal((16, 8), rng=initlab.seed_for(0, "fc/kernel"))
    >>> bool((np.asarray(model.get_layer("fc").kernel) == w).all())
    True
    """
    func = "init_"
    if not isinstance(model, keras.layers.Layer):
        fail(func, "model", model, "use a built keras.Model or keras.layers.Layer", TypeError)
    if not model.built:
        fail(func, "model", model, "build it first (call it on data or model.build(shape))",
             why="is not built")
    default, extra = _split_init(func, init)
    user_rules = Rules(func, rules, classes=keras.layers.Layer)
    source_rules = Rules(func, extra, classes=keras.layers.Layer)
    seed = base_seed(func, rng)

    owners: dict[int, Any] = {}
    for layer in model._flatten_layers(include_self=True, recursive=True):
        for variable in _own_variables(layer):
            owners.setdefault(id(variable), layer)
    entries: list[PlanEntry] = []
    todo: list[tuple[Any, _CoreInitializer, tuple[int, ...], _Slot, str]] = []
    seen: set[str] = set()
    prefix = f"{model.name}/"
    for variable in model.variables:
        path = variable.path.removeprefix(prefix)
        if path in seen:
            fail(func, "model", model, "give layers unique names: two variables share the "
                 f"path {path!r} (seeds are keyed by path)")
        seen.add(path)
        shape = tuple(int(d) for d in variable.shape)
        dtype = keras.backend.standardize_dtype(variable.dtype)
        layer = owners.get(id(variable))
        kind = type(layer).__name__ if layer is not None else ""
        role = path.rsplit("/", 1)[-1]
        slot = (_slot(layer, role, len(shape), default) if layer is not None
                else _Slot(None, note="no owning layer"))
        source = "default"
        rule = user_rules.match(path, layer) or source_rules.match(path, layer)
        if rule is not None:
            slot.init, slot.post, source = rule.init, None, f"rule {rule.key!r}"
        if slot.init is None or dtype not in ("float16", "bfloat16", "float32", "float64"):
            entries.append(PlanEntry(path, shape, dtype, kind, "untouched", "untouched",
                                     note=slot.note if slot.init is None else "not a float"))
            continue
        draw_shape = shape
        if slot.blocks > 1:
            if "batch_axis" in full_config(slot.init) and len(shape) == 2:
                draw_shape = (shape[0], slot.blocks, shape[1] // slot.blocks)
            else:
                slot.blocks, slot.fans = 1, {}
                slot.note = "whole matrix: this initializer has no batch_axis"
        chosen = with_fans(slot.init, slot.fans)
        try:
            validate(chosen, draw_shape)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{func}: variable {path!r}: {exc}") from exc
        fan_in, fan_out = fans_of(chosen, draw_shape)
        entries.append(PlanEntry(path, shape, dtype, kind, repr(chosen), source, fan_in,
                                 fan_out, expected_std(chosen, draw_shape), slot.blocks,
                                 slot.note))
        todo.append((variable, chosen, draw_shape, slot, path))
    user_rules.check_used()

    drawn = []
    for variable, chosen, draw_shape, slot, path in todo:
        dtype = keras.backend.standardize_dtype(variable.dtype)
        values = draw(chosen, draw_shape, np.dtype(_HOST.get(dtype, np.float32)),
                      seed_for(seed, path)).reshape(tuple(variable.shape))
        if slot.post is not None:
            slot.post(values)
        drawn.append((variable, _tensor(values, dtype)))
    for variable, value in drawn:
        variable.assign(value)
    return Plan(entries, title=func)
