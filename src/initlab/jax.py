r"""initlab inside JAX and Flax: ``jax.nn.initializers``-style initializers, parameter trees and
sharded arrays.

- :func:`initializer` turns any initlab initializer into a callable ``(key, shape, dtype)``
  that Flax ``linen`` and ``nnx`` accept as ``kernel_init=``; it works eagerly and under
  ``jax.jit`` and ``jax.vmap`` (through ``jax.pure_callback``), and the values are a function
  of the key only.
- :func:`init_params` draws a new parameter tree (Flax's nested dicts or any pytree) with the
  fans of each leaf read from its path and shape, rules on ``/``-joined paths, one seed per
  path (:func:`initlab.seed_for`), and returns an :class:`initlab.Plan`.
- :func:`sharded` builds a sharded global array in which each device draws only its shard,
  bit-identical to the unsharded array.

Install with ``pip install "initlab[jax]"`` (``"initlab[flax]"`` for Flax).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ._bridging import draw, expected_std, fans_of, resolve, validate, with_fans
from ._validate import check_shape, fail
from .initializers import Initializer, Ones, VarianceScaling, Zeros
from .plan import Plan, PlanEntry, Rules, RuleSource, base_seed, seed_for

__all__ = ["JaxInitializer", "init_params", "initializer", "key_seed", "sharded"]

_KEY_HELP = ("use a JAX PRNG key: jax.random.key(seed) (typed) or jax.random.PRNGKey(seed) "
             "(uint32[2])")


# --------------------------------------------------------------------------------------------
# keys and dtypes


def _key_words(func: str, key: object) -> jax.Array:
    """The raw uint32 words of one key (typed or legacy), shape ``(n_words,)``."""
    if isinstance(key, jax.Array):
        if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
            if key.shape == ():
                return jax.random.key_data(key)
        elif key.dtype == jnp.uint32 and key.ndim == 1 and key.shape[0] >= 2:
            return key
    elif isinstance(key, np.ndarray) and key.dtype == np.uint32 and key.shape == (2,):
        return jnp.asarray(key)
    fail(func, "key", key, _KEY_HELP + "; for a batch of keys use jax.vmap", TypeError)


def _seed_of(words: np.ndarray[Any, Any]) -> int:
    seed = 0
    for word in words.tolist():
        seed = (seed << 32) | int(word)
    return seed


def key_seed(key: jax.Array) -> int:
    r"""The initlab seed of a JAX PRNG key: its raw words read as one big-endian integer.

    Parameters
    ----------
    key : jax.Array
        A concrete key, typed (``jax.random.key``) or legacy (``jax.random.PRNGKey``).

    Returns
    -------
    int
        :math:`\sum_i w_i\, 2^{32(n-1-i)}` for the key's words :math:`w_0, \dots, w_{n-1}`
        (``jax.random.key_data``); for the default threefry keys of a seed
        :math:`0 \le s < 2^{32}` this is :math:`s` itself.

    Raises
    ------
    TypeError
        If ``key`` is not a key, or is a tracer (inside ``jit``; :func:`initializer` handles
        that case itself).

    Notes
    -----
    Every function of this module draws from ``rng=key_seed(key)``, so the NumPy call
    ``init(shape, rng=key_seed(key))`` gives the same values as the JAX one.

    References
    ----------
    .. [1] JAX, ``jax.random.key_data``; Scientific Python SPEC 7 (an int is a seed).

    Examples
    --------
    >>> import jax, initlab.jax as ij
    >>> ij.key_seed(jax.random.key(42)), ij.key_seed(jax.random.PRNGKey(42))
    (42, 42)
    """
    words = _key_words("key_seed", key)
    try:
        host = np.asarray(words)
    except jax.errors.TracerArrayConversionError:
        fail("key_seed", "key", key, "use a concrete key (outside jax.jit)", TypeError)
    return _seed_of(host)


def _float_dtype(func: str, dtype: object) -> np.dtype[Any]:
    accepted = "use a real floating dtype: float32, float64, float16 or bfloat16"
    if dtype is None:
        return np.dtype(jax.dtypes.canonicalize_dtype(jnp.float_))
    try:
        dt = np.dtype(dtype)  # type: ignore[call-overload]
    except TypeError:
        fail(func, "dtype", dtype, accepted, TypeError)
    if not jnp.issubdtype(dt, jnp.floating):
        fail(func, "dtype", dtype, accepted, TypeError)
    return np.dtype(jax.dtypes.canonicalize_dtype(dt))


def _host(init: Initializer, shape: tuple[int, ...], dtype: np.dtype[Any],
          words: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Draw for every key in ``words`` (shape ``(*batch, n_words)``): ``(*batch, *shape)``."""
    words = np.asarray(words)
    batch = words.shape[:-1]
    out = np.empty(batch + shape, dtype=dtype)
    for index in np.ndindex(*batch):
        out[index] = draw(init, shape, dtype, _seed_of(words[index]))
    return out


def _is_tracer(x: object) -> bool:
    return isinstance(x, jax.core.Tracer)


# --------------------------------------------------------------------------------------------
# the jax.nn.initializers protocol


class JaxInitializer:
    r"""An initlab initializer called the JAX way: ``init(key, shape, dtype=None)``.

    Made by :func:`initializer`; see there. ``init.init`` is the underlying
    :class:`initlab.Initializer`.

    References
    ----------
    .. [1] JAX, ``jax.nn.initializers.Initializer`` (the protocol).

    Examples
    --------
    >>> import jax, initlab.jax as ij
    >>> import initlab
    >>> init = ij.initializer("lecun_normal")
    >>> init.init == initlab.LecunNormal()
    True
    >>> init(jax.random.key(0), (4, 3)).shape
    (4, 3)
    """

    def __init__(self, init: Initializer) -> None:
        self.init = init

    def __call__(self, key: jax.Array, shape: Any, dtype: Any = None,
                 out_sharding: Any = None) -> jax.Array:
        func = "initializer"
        words = _key_words(func, key)
        dims = check_shape(func, shape)
        dt = _float_dtype(func, dtype)
        validate(self.init, dims)
        host = partial(_host, self.init, dims, dt)
        if _is_tracer(words):
            result = jax.pure_callback(host, jax.ShapeDtypeStruct(dims, dt),  # type: ignore[no-untyped-call]
                                       words, vmap_method="expand_dims")
        else:
            result = jnp.asarray(host(np.asarray(words)))
        if out_sharding is not None:
            result = jax.lax.with_sharding_constraint(  # type: ignore[no-untyped-call]
                result, out_sharding)
        return result

    def __repr__(self) -> str:
        return f"initializer({self.init!r})"


def initializer(init: object, **config: Any) -> JaxInitializer:
    r"""An initlab initializer following ``jax.nn.initializers``' protocol.

    Parameters
    ----------
    init : str, dict or Initializer
        Anything :func:`initlab.get` turns into an :class:`initlab.Initializer`:
        ``"he_normal"``, ``initlab.Normal(std=0.02)``, a config dict.
    **config
        Overrides of the initializer's configuration (initlab's names: ``std=``, ``gain=``,
        ``mode=``, ``in_axis=``...). ``distribution=`` on a fan-based initializer that has
        none (``he_normal``, ``xavier_normal``) gives the equal ``VarianceScaling`` with that
        distribution: ``initializer("he_normal", distribution="truncated_normal")`` is JAX's
        ``he_normal``.

    Returns
    -------
    JaxInitializer
        ``f(key, shape, dtype=None, out_sharding=None) -> jax.Array``. ``dtype=None`` is
        JAX's default float (float32 unless ``jax_enable_x64``); float32 and float64 (and
        float16) are drawn natively, bfloat16 in float32 and rounded once. ``out_sharding``
        (which recent JAX passes) is applied with ``jax.lax.with_sharding_constraint``.

    Raises
    ------
    TypeError
        For an ``init`` that is not an initializer, an unknown configuration key, a ``key``
        that is not a single PRNG key, a non-float ``dtype``.
    ValueError
        For an unknown name, an invalid configuration, or a ``shape`` the initializer
        refuses (e.g. a 1-d shape for a fan-based initializer); raised when called, before
        any drawing (under ``jit``: while tracing).

    See Also
    --------
    init_params, sharded, key_seed

    Notes
    -----
    The values are ``init(shape, rng=key_seed(key))`` computed by NumPy on the host:
    eagerly directly, under ``jit``/``vmap`` through ``jax.pure_callback`` (with
    ``vmap_method='expand_dims'``: one host call per batch of keys). So the same key gives
    the same array eagerly, under ``jit`` and as one slice of a ``vmap``; keys differing in
    any word give independent streams (initlab's block scheme). The callback is not
    differentiable, which initialization does not need.

    Fans follow JAX: layout ``in_out`` (``(in, out)``, convolutions ``(*spatial, in, out)``)
    and the ``in_axis``/``out_axis``/``batch_axis`` arguments of
    ``jax.nn.initializers.variance_scaling``, with the same meaning (an attention kernel
    ``(E, heads, head_dim)`` takes ``in_axis=0, out_axis=(1, 2)``).

    .. warning::
       initlab's ``he_normal``/``kaiming_normal`` and ``xavier_normal``/``glorot_normal``
       are untruncated (as PyTorch); JAX's truncate at two standard deviations. Pass
       ``distribution="truncated_normal"`` for JAX's. JAX's ``normal(stddev)`` is
       ``"normal", std=stddev`` (JAX's default stddev is 0.01, initlab's 1), JAX's
       ``uniform(scale)`` is ``"uniform", low=0, high=scale``, ``orthogonal(scale)`` is
       ``"orthogonal", gain=scale`` (columns on the last axis) and ``delta_orthogonal(scale)``
       is ``"delta_orthogonal", gain=scale``.

    References
    ----------
    .. [1] JAX, ``jax.nn.initializers`` and ``jax.pure_callback``.
    .. [2] K. He et al., "Delving Deep into Rectifiers", ICCV 2015, arXiv:1502.01852.

    Examples
    --------
    >>> import jax, jax.numpy as jnp, initlab, initlab.jax as ij
    >>> init = ij.initializer("he_normal", distribution="truncated_normal")
    >>> key = jax.random.key(0)
    >>> w = init(key, (256, 128), jnp.bfloat16)
    >>> w.dtype, bool((w == jax.jit(init, static_argnums=(1, 2))(key, (256, 128),
    ...                                                           jnp.bfloat16)).all())
    (dtype(bfloat16), True)
    >>> bool((init(key, (3, 2)) == initlab.variance_scaling((3, 2), scale=2.0, rng=0)).all())
    True
    """
    return JaxInitializer(resolve("initializer", "init", init, config))


# --------------------------------------------------------------------------------------------
# parameter trees

#: Flax's default ``Embed`` initializer, ``variance_scaling(1.0, 'fan_in', 'normal',
#: out_axis=0)``: with ``in_axis=-2`` also 0, JAX's fan_in of an ``(n, d)`` table is ``d``.
_FLAX_EMBED = VarianceScaling(scale=1.0, mode="fan_in", distribution="normal", in_axis=1,
                              out_axis=0)
_ATTENTION_IN = ("query", "key", "value")


def _path_text(path: tuple[Any, ...]) -> str:
    """``/``-joined path; the ``.value`` of a boxed leaf (``nn.Partitioned``, an ``nnx``
    variable) is dropped, so boxed and plain trees share paths, rules and seeds."""
    if path and isinstance(path[-1], jax.tree_util.GetAttrKey) and path[-1].name == "value":
        path = path[:-1]
    parts = []
    for entry in path:
        for attr in ("key", "name", "idx"):
            if hasattr(entry, attr):
                parts.append(str(getattr(entry, attr)))
                break
        else:
            parts.append(str(entry))
    return "/".join(parts)


def _leaf_default(path: str, shape: tuple[int, ...], default: Initializer | None
                  ) -> tuple[Initializer | None, dict[str, Any], str, str]:
    """Flax's conventions: (initializer, fan arguments, layer kind, note) of one leaf."""
    parts = path.split("/")
    name, parent = parts[-1], (parts[-2] if len(parts) > 1 else "")
    ndim = len(shape)
    if "batch_stats" in parts and name in ("mean", "var"):
        return (Zeros() if name == "mean" else Ones()), {}, "BatchNorm", "running statistics"
    if name == "kernel" and ndim >= 2:
        if ndim == 3 and parent in _ATTENTION_IN:
            return default, {"in_axis": 0, "out_axis": (1, 2)}, "DenseGeneral", \
                "attention (E, heads, head_dim)"
        if ndim == 3 and parent == "out":
            return default, {"in_axis": (0, 1), "out_axis": 2}, "DenseGeneral", \
                "attention (heads, head_dim, E)"
        return default, {}, "Dense" if ndim == 2 else "Conv", ""
    if name == "embedding" and ndim == 2:
        return _FLAX_EMBED, {}, "Embed", "Flax default: N(0, 1/d)"
    if name == "bias":
        return Zeros(), {}, "", ""
    if name == "scale":
        return Ones(), {}, "Norm", ""
    return None, {}, "", "no Flax convention for this leaf"


def _split_init(func: str, init: object) -> tuple[Initializer | None, Mapping[str, object]]:
    if isinstance(init, RuleSource):
        default, extra = init.as_rules()
        return (None if default is None else resolve(func, "init", default, {})), extra
    return resolve(func, "init", init, {}), {}


def init_params(params: Any, init: object, *, rules: object = None,
                rng: object = None) -> tuple[Any, Plan]:
    r"""A new parameter tree drawn leaf by leaf with Flax's fans, and its plan.

    Parameters
    ----------
    params : pytree
        A tree of arrays: Flax's ``{"params": {...}}`` variables, a bare params dict, any
        pytree; leaves may be ``jax.Array``, ``numpy.ndarray`` or ``jax.ShapeDtypeStruct``
        (as ``jax.eval_shape(model.init, ...)`` returns, so the model's own init never runs).
        Boxed leaves (``nn.with_partitioning``'s ``Partitioned``, ``nnx.state(model)``'s
        variables) are paths without their ``.value``.
    init : str, dict, Initializer or RuleSource
        The initializer of every ``kernel`` (anything :func:`initlab.get` accepts), or a
        recipe / μP plan (:class:`initlab.plan.RuleSource`) whose rules follow ``rules``.
    rules : mapping, optional
        Glob pattern on the ``/``-joined leaf path (``"params/Embed_0/embedding"``,
        ``"*/out/kernel"``) to initializer, or ``None`` to keep the leaf; first match wins;
        a rule that matches nothing is an error. Rules get the leaf's fans too, unless they
        set their own axes.
    rng : None, int, numpy.random.Generator or JAX key, optional
        The model's seed (SPEC 7; a key counts as :func:`key_seed`). Leaf ``path`` draws
        from ``initlab.seed_for(seed, path)``: it does not depend on other leaves.

    Returns
    -------
    (pytree, Plan)
        The new tree (same structure; every leaf keeps its dtype, and a ``jax.Array`` its
        sharding, a sharded one filled shard by shard) and one :class:`initlab.PlanEntry`
        per leaf, untouched leaves included (kept as they were).

    Raises
    ------
    TypeError, ValueError
        For a bad ``init``, ``rules`` or ``rng``, a rule that matches nothing, or a leaf its
        initializer refuses; raised before anything is drawn.

    See Also
    --------
    initializer, sharded, initlab.Plan

    Notes
    -----
    Flax's conventions, by the leaf's name and its parent's:

    =========================================  ==================================  ============
    leaf                                       fans                                default
    =========================================  ==================================  ============
    ``kernel`` 2-d ``(in, out)``               Dense                               ``init``
    ``kernel`` n-d ``(*k, in/groups, out)``    Conv, ConvTranspose                 ``init``
    ``query|key|value/kernel (E, h, d)``       ``in_axis=0, out_axis=(1, 2)``      ``init``
    ``out/kernel (h, d, E)``                   ``in_axis=(0, 1), out_axis=2``      ``init``
    ``embedding (n, d)``                       fan_in ``d``                        N(0, 1/d)
    ``bias`` / ``scale``                                                           0 / 1
    ``batch_stats/.../mean`` / ``var``                                             0 / 1
    =========================================  ==================================  ============

    The embedding keeps Flax's default (``variance_scaling(1, 'fan_in', 'normal',
    out_axis=0)``), as the PyTorch bridge keeps PyTorch's; override it with a rule. A
    grouped convolution's ``feature_group_count`` is not in the tree: fan_out is counted
    without it, as Flax does (pass ``groups=`` in a rule for the true fan_out). Any other
    leaf is left as it is and listed in ``plan.untouched``.

    References
    ----------
    .. [1] Flax, ``flax.linen.Dense``, ``Conv``, ``DenseGeneral``, ``Embed``,
       ``MultiHeadDotProductAttention`` (parameter names and default initializers).

    Examples
    --------
    >>> import numpy as np, initlab, initlab.jax as ij
    >>> tree = {"params": {"Dense_0": {"kernel": np.zeros((64, 32), np.float32),
    ...                                "bias": np.zeros(32, np.float32)},
    ...                    "Embed_0": {"embedding": np.zeros((100, 16), np.float32)}}}
    >>> new, plan = ij.init_params(tree, "he_normal", rng=0)
    >>> print(plan.table(["path", "kind", "fan_in", "fan_out", "std"]))
    init_params
    path                     kind  fan_in fan_out std
    params/Dense_0/bias            -      -       0
    params/Dense_0/kernel    Dense 64     32      0.1768
    params/Embed_0/embedding Embed 16     100     0.25
    >>> w = initlab.he_normal((64, 32), rng=initlab.seed_for(0, "params/Dense_0/kernel"))
    >>> bool((new["params"]["Dense_0"]["kernel"] == w).all())
    True
    """
    func = "init_params"
    default, extra = _split_init(func, init)
    user_rules = Rules(func, rules)
    source_rules = Rules(func, extra)
    if isinstance(rng, jax.Array):
        rng = key_seed(rng)
    seed = base_seed(func, rng)
    leaves, treedef = jax.tree_util.tree_flatten_with_path(params)
    entries: list[PlanEntry] = []
    todo: list[tuple[int, Initializer, tuple[int, ...], np.dtype[Any], str]] = []
    for i, (key_path, leaf) in enumerate(leaves):
        path = _path_text(key_path)
        shape, dtype = getattr(leaf, "shape", None), getattr(leaf, "dtype", None)
        if shape is None or dtype is None:
            fail(func, "params", leaf, f"every leaf must be an array; the leaf at {path!r} "
                 "is not", TypeError)
        shape, dt = tuple(int(d) for d in shape), np.dtype(dtype)
        base, fans, kind, note = _leaf_default(path, shape, default)
        source = "default"
        rule = user_rules.match(path) or source_rules.match(path)
        if rule is not None:
            base, source = rule.init, f"rule {rule.key!r}"
        if base is None or not jnp.issubdtype(dt, jnp.floating):
            entries.append(PlanEntry(path, shape, dt.name, kind, "untouched", "untouched",
                                     note=note if base is None else "not a float leaf"))
            continue
        chosen = with_fans(base, fans)
        try:
            validate(chosen, shape)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{func}: leaf {path!r}: {exc}") from exc
        fan_in, fan_out = fans_of(chosen, shape)
        entries.append(PlanEntry(path, shape, dt.name, kind, repr(chosen), source, fan_in,
                                 fan_out, expected_std(chosen, shape), note=note))
        todo.append((i, chosen, shape, dt, path))
    user_rules.check_used()
    new_leaves = [leaf for _, leaf in leaves]
    for i, chosen, shape, dt, path in todo:
        new_leaves[i] = _make_like(leaves[i][1], chosen, shape, dt, seed_for(seed, path))
    return jax.tree_util.tree_unflatten(treedef, new_leaves), Plan(entries, title=func)


def _make_like(leaf: Any, init: Initializer, shape: tuple[int, ...], dtype: np.dtype[Any],
               seed: int) -> Any:
    if isinstance(leaf, np.ndarray):
        return draw(init, shape, dtype, seed)
    sharding = getattr(leaf, "sharding", None)
    if sharding is not None and not sharding.is_fully_replicated:
        return _build_sharded(init, shape, sharding, dtype, seed)
    values = draw(init, shape, dtype, seed)
    return jnp.asarray(values) if sharding is None else jax.device_put(values, sharding)


# --------------------------------------------------------------------------------------------
# sharded arrays


def _build_sharded(init: Initializer, shape: tuple[int, ...], sharding: Any,
                   dtype: np.dtype[Any], seed: int) -> jax.Array:
    whole: list[np.ndarray[Any, Any]] = []

    def fill(index: tuple[slice, ...] | None) -> np.ndarray[Any, Any]:
        index = (slice(None),) * len(shape) if index is None else index
        if type(init).elementwise:
            return draw(init, shape, dtype, seed, region=tuple(index))
        if not whole:
            whole.append(draw(init, shape, dtype, seed))
        return whole[0][tuple(index)]

    return jax.make_array_from_callback(shape, sharding, fill)


def sharded(init: object, shape: Any, sharding: jax.sharding.Sharding, key: jax.Array, *,
            dtype: Any = None, **config: Any) -> jax.Array:
    r"""A sharded global array in which each device draws only its own shard.

    Parameters
    ----------
    init : str, dict or Initializer
        Anything :func:`initlab.get` accepts.
    shape : tuple of int
        The global shape.
    sharding : jax.sharding.Sharding
        E.g. ``NamedSharding(mesh, PartitionSpec('x', None))``.
    key : jax.Array
        A concrete PRNG key (typed or legacy).
    dtype : dtype, optional
        As in :func:`initializer` (default: JAX's default float).
    **config
        Configuration overrides, as in :func:`initializer`.

    Returns
    -------
    jax.Array
        Bit-identical to ``initializer(init, **config)(key, shape, dtype)``, laid out by
        ``sharding``.

    Raises
    ------
    TypeError, ValueError
        As :func:`initializer`; a ``sharding`` that does not divide ``shape`` gets JAX's own
        error (from ``sharding.shard_shape``) before anything is drawn.

    See Also
    --------
    initializer, init_params

    Notes
    -----
    Built with ``jax.make_array_from_callback``: the callback draws the shard's index
    region through initlab's ``region=`` (every value is a function of the seed and its
    element index), so no device materializes the global array and the result does not
    depend on the mesh or the partition spec. Non-elementwise initializers (orthogonal,
    sparse) compute the whole tensor once per process and slice it. Call it outside
    ``jit``.

    References
    ----------
    .. [1] JAX, ``jax.make_array_from_callback`` and "Distributed arrays and automatic
       parallelization".

    Examples
    --------
    >>> import jax, numpy as np, initlab.jax as ij
    >>> from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
    >>> mesh = Mesh(np.array(jax.devices()[:1]), ("x",))
    >>> key = jax.random.key(0)
    >>> a = ij.sharded("he_normal", (8, 4), NamedSharding(mesh, P("x")), key)
    >>> bool((a == ij.initializer("he_normal")(key, (8, 4))).all())
    True
    """
    func = "sharded"
    resolved = resolve(func, "init", init, config)
    words = _key_words(func, key)
    if _is_tracer(words):
        fail(func, "key", key, "call sharded outside jax.jit (it builds a concrete array)",
             TypeError)
    dims = check_shape(func, shape)
    dt = _float_dtype(func, dtype)
    if not isinstance(sharding, jax.sharding.Sharding):
        fail(func, "sharding", sharding, "use a jax.sharding.Sharding such as "
             "NamedSharding(mesh, PartitionSpec(...))", TypeError)
    sharding.shard_shape(dims)
    validate(resolved, dims)
    return _build_sharded(resolved, dims, sharding, dt, _seed_of(np.asarray(words)))

