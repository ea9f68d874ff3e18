"""initlab.jax: the JAX protocol, parity with jax.nn.initializers, jit/vmap determinism, Flax
models, parameter trees and sharded arrays."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

import initlab  # noqa: E402
import initlab.jax as ij  # noqa: E402
from initlab.testing import assert_orthogonal, assert_variance  # noqa: E402

JI = jax.nn.initializers
KEY = jax.random.key(0)
ALPHA = 1e-6
KURT = {"normal": "normal", "uniform": "uniform", "truncated_normal": "truncated_normal"}


def jax_fans(shape, in_axis=-2, out_axis=-1, batch_axis=()):
    """JAX's fan formula, written out (jax/_src/nn/initializers.py, _compute_fans)."""
    def size(axes):
        axes = (axes,) if isinstance(axes, int) else axes
        return math.prod(shape[a] for a in axes)
    receptive = math.prod(shape) / size(in_axis) / size(out_axis) / size(batch_axis)
    return size(in_axis) * receptive, size(out_axis) * receptive


# (jax factory, initlab spec, initlab config, JAX scale, mode, distribution)
VS_CASES = [
    ("glorot_uniform", "xavier_uniform", {}, 1.0, "fan_avg", "uniform"),
    ("glorot_normal", "xavier_normal", {"distribution": "truncated_normal"}, 1.0, "fan_avg",
     "truncated_normal"),
    ("he_uniform", "he_uniform", {}, 2.0, "fan_in", "uniform"),
    ("he_normal", "he_normal", {"distribution": "truncated_normal"}, 2.0, "fan_in",
     "truncated_normal"),
    ("lecun_uniform", "lecun_uniform", {}, 1.0, "fan_in", "uniform"),
    ("lecun_normal", "lecun_normal", {}, 1.0, "fan_in", "truncated_normal"),
    ("variance_scaling", "variance_scaling",
     {"scale": 0.5, "mode": "fan_geo_avg", "distribution": "normal"}, 0.5, "fan_geo_avg",
     "normal"),
]
SHAPES = [((64, 32), {}), ((3, 3, 16, 32), {}),
          ((32, 4, 8), {"in_axis": 0, "out_axis": (1, 2)})]


def ks_same(a, b):
    p = stats.ks_2samp(np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)).pvalue
    assert p > ALPHA, f"two-sample KS p={p:.3g} <= {ALPHA}"


@pytest.mark.parametrize("shape,axes", SHAPES, ids=["dense", "conv", "attention"])
@pytest.mark.parametrize("case", VS_CASES, ids=[c[0] for c in VS_CASES])
def test_variance_scaling_family_matches_jax(case, shape, axes):
    jax_name, spec, config, scale, mode, dist = case
    ours = np.asarray(ij.initializer(spec, **config, **axes)(KEY, shape))
    if jax_name == "variance_scaling":
        theirs_init = JI.variance_scaling(scale, mode, dist, **axes)
    else:
        theirs_init = getattr(JI, jax_name)(**axes)
    theirs = np.asarray(theirs_init(jax.random.key(1), shape, jnp.float32))
    fan_in, fan_out = jax_fans(shape, **axes)
    fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2,
           "fan_geo_avg": math.sqrt(fan_in * fan_out)}[mode]
    assert_variance(ours, scale / fan, kurtosis=KURT[dist])
    ks_same(ours, theirs)


@pytest.mark.parametrize("shape", [(64, 32), (3, 3, 16, 32), (32, 4, 8)],
                         ids=["dense", "conv", "attention"])
def test_plain_distributions_match_jax(shape):
    cases = [
        (JI.normal(0.05), ("normal", {"std": 0.05}), 0.05 ** 2, "normal"),
        (JI.uniform(0.3), ("uniform", {"low": 0.0, "high": 0.3}), None, None),
        (JI.truncated_normal(0.02, lower=-1.5, upper=2.5),
         ("truncated_normal", {"std": 0.02, "lower": -1.5, "upper": 2.5}), None, None),
    ]
    for theirs_init, (spec, config), var, kurt in cases:
        ours = np.asarray(ij.initializer(spec, **config)(KEY, shape))
        theirs = np.asarray(theirs_init(jax.random.key(1), shape, jnp.float32))
        if var is not None:
            assert_variance(ours, var, kurtosis=kurt)
        ks_same(ours, theirs)
    # uniform's mean and variance: U[0, 0.3) has variance 0.3^2/12 about 0.15
    u = np.asarray(ij.initializer("uniform", low=0.0, high=0.3)(KEY, shape))
    assert_variance(u, 0.3 ** 2 / 12, mean=0.15, kurtosis="uniform")


@pytest.mark.parametrize("shape", [(64, 32), (3, 3, 16, 32), (32, 4, 8)],
                         ids=["dense", "conv", "attention"])
def test_orthogonal_and_constants_match_jax(shape):
    ours = np.asarray(ij.initializer("orthogonal", gain=1.5)(KEY, shape))
    theirs = np.asarray(JI.orthogonal(1.5)(jax.random.key(1), shape, jnp.float32))
    # JAX: columns on the last axis, the other axes flattened into rows, as initlab's in_out
    assert_orthogonal(ours / 1.5, layout="in_out")
    assert_orthogonal(theirs / 1.5, layout="in_out")
    ks_same(ours, theirs)
    for theirs_init, spec in [(JI.zeros, "zeros"), (JI.ones, "ones"),
                              (JI.constant(0.25), {"class_name": "Constant",
                                                   "config": {"value": 0.25}})]:
        a = ij.initializer(spec)(KEY, shape)
        assert (np.asarray(a) == np.asarray(theirs_init(KEY, shape, jnp.float32))).all()


def test_delta_orthogonal_matches_jax():
    shape = (3, 3, 16, 32)
    ours = np.asarray(ij.initializer("delta_orthogonal", gain=1.5)(KEY, shape))
    theirs = np.asarray(JI.delta_orthogonal(1.5)(jax.random.key(1), shape, jnp.float32))
    for w in (ours, theirs):
        centre = w[1, 1]
        off = w.copy()
        off[1, 1] = 0
        assert not off.any()  # zero except the spatial centre
        assert_orthogonal(centre / 1.5, layout="in_out")  # (in, out) with orthonormal rows
    ks_same(ours[1, 1], theirs[1, 1])
    with pytest.raises(ValueError, match=r"shape=\(3, 3, 32, 16\).*in <= out"):
        ij.initializer("delta_orthogonal")(KEY, (3, 3, 32, 16))  # in > out, as JAX refuses
    with pytest.raises(ValueError):
        JI.delta_orthogonal()(KEY, (3, 3, 32, 16))


def test_truncated_he_normal_is_variance_scaling():
    init = ij.initializer("he_normal", distribution="truncated_normal")
    assert init.init == initlab.VarianceScaling(scale=2.0, mode="fan_in",
                                                distribution="truncated_normal")
    xn = ij.initializer("xavier_normal", distribution="truncated_normal", gain=2.0)
    assert xn.init == initlab.VarianceScaling(scale=4.0, mode="fan_avg",
                                              distribution="truncated_normal")


def test_values_are_initlab_with_key_seed():
    w = ij.initializer("he_normal")(jax.random.key(7), (5, 3))
    assert (np.asarray(w) == initlab.he_normal((5, 3), rng=7)).all()
    assert ij.key_seed(jax.random.PRNGKey(7)) == 7


def test_same_key_eager_jit_vmap():
    init = ij.initializer("truncated_normal", std=0.02)
    shape = (6, 5)
    eager = np.asarray(init(KEY, shape))
    jitted = np.asarray(jax.jit(lambda k: init(k, shape))(KEY))
    assert (eager == jitted).all()
    legacy = np.asarray(init(jax.random.PRNGKey(0), shape))
    assert (eager == legacy).all()
    for keys in (jax.random.split(KEY, 3), jax.vmap(jax.random.PRNGKey)(jnp.arange(3))):
        for fn in (jax.vmap(lambda k: init(k, shape)),
                   jax.jit(jax.vmap(lambda k: init(k, shape)))):
            batch = np.asarray(fn(keys))
            assert batch.shape == (3, *shape)
            for i in range(3):
                assert (batch[i] == np.asarray(init(keys[i], shape))).all()
    nested = jax.vmap(jax.vmap(lambda k: init(k, shape)))(jax.random.split(KEY, (2, 2)))
    assert nested.shape == (2, 2, *shape)


def test_different_keys_independent():
    init = ij.initializer("normal")
    a = np.asarray(init(jax.random.key(0), (4096,)), np.float64)
    b = np.asarray(init(jax.random.key(1), (4096,)), np.float64)
    r = np.corrcoef(a, b)[0, 1]
    # |r| * sqrt(n) is ~N(0, 1) for independent samples; 5.33 is the two-sided 1e-7 quantile
    assert abs(r) * math.sqrt(a.size) < 5.33
    assert not (a == b).any()


@pytest.mark.parametrize("dtype", [jnp.float16, jnp.bfloat16], ids=["float16", "bfloat16"])
def test_low_precision_rounds_float32_draws_once(dtype):
    init = ij.initializer("he_uniform")
    low = init(KEY, (32, 16), dtype)
    assert low.dtype == dtype
    if dtype == jnp.bfloat16:  # float16 is drawn natively by initlab
        f32 = np.asarray(init(KEY, (32, 16), jnp.float32))
        assert (np.asarray(low) == f32.astype(np.asarray(low).dtype)).all()
    jitted = jax.jit(lambda k: init(k, (32, 16), dtype))(KEY)
    assert (np.asarray(jitted) == np.asarray(low)).all()


def test_default_dtype_and_out_sharding():
    w = ij.initializer("lecun_normal")(KEY, (4, 4))
    assert w.dtype == jnp.float32
    sharding = jax.sharding.SingleDeviceSharding(jax.devices()[0])
    w2 = ij.initializer("lecun_normal")(KEY, (4, 4), out_sharding=sharding)
    assert (np.asarray(w2) == np.asarray(w)).all()


def test_flax_linen_mlp_and_cnn_under_jit():
    import flax.linen as nn

    class Net(nn.Module):
        @nn.compact
        def __call__(self, x):
            x = nn.Conv(16, (3, 3), kernel_init=ij.initializer("he_normal"))(x)
            x = nn.relu(x).reshape(x.shape[0], -1)
            x = nn.Dense(64, kernel_init=ij.initializer("xavier_uniform"))(x)
            return nn.Dense(10, kernel_init=ij.initializer("orthogonal"))(x)

    model, x = Net(), jnp.ones((1, 6, 6, 8))
    params = jax.jit(model.init)(KEY, x)["params"]
    eager = model.init(KEY, x)["params"]
    assert jax.tree.all(jax.tree.map(lambda a, b: bool((a == b).all()), params, eager))
    conv = np.asarray(params["Conv_0"]["kernel"])
    assert conv.shape == (3, 3, 8, 16)
    assert_variance(conv, 2 / (9 * 8))
    dense = np.asarray(params["Dense_0"]["kernel"])
    assert_variance(dense, 2 / (dense.shape[0] + 64), kurtosis="uniform")
    assert_orthogonal(np.asarray(params["Dense_1"]["kernel"]), layout="in_out")


def test_flax_nnx_mlp_and_cnn_under_jit():
    from flax import nnx

    class Net(nnx.Module):
        def __init__(self, rngs):
            self.conv = nnx.Conv(8, 16, (3, 3), kernel_init=ij.initializer("he_normal"),
                                 rngs=rngs)
            self.fc = nnx.Linear(64, 32, kernel_init=ij.initializer("lecun_normal"), rngs=rngs)

    state = jax.jit(lambda k: nnx.state(Net(nnx.Rngs(k)), nnx.Param))(KEY)
    eager = nnx.state(Net(nnx.Rngs(KEY)), nnx.Param)
    same = jax.tree.map(lambda a, b: bool((a == b).all()), state, eager)
    assert all(jax.tree.leaves(same))
    assert_variance(np.asarray(state["conv"]["kernel"][...]), 2 / 72)
    assert_variance(np.asarray(state["fc"]["kernel"][...]), 1 / 64,
                    kurtosis="truncated_normal")


def _block_shapes():
    import flax.linen as nn

    class Block(nn.Module):
        @nn.compact
        def __call__(self, tokens):
            x = nn.Embed(100, 64)(tokens)
            x = x + nn.MultiHeadDotProductAttention(num_heads=4, qkv_features=64)(x)
            x = nn.LayerNorm()(x)
            h = nn.Dense(256)(x)
            x = x + nn.Dense(64)(nn.gelu(h))
            self.param("pos_embedding", nn.initializers.zeros, (8, 64))
            return x

    return jax.eval_shape(Block().init, KEY, jnp.zeros((2, 8), jnp.int32))


# Flax's axes, written out: leaf suffix -> (fan_in, fan_out)
BLOCK_FANS = {
    "query/kernel": (64, 64), "key/kernel": (64, 64), "value/kernel": (64, 64),
    "out/kernel": (64, 64), "Dense_0/kernel": (64, 256), "Dense_1/kernel": (256, 64),
}


@pytest.mark.parametrize("spec,kurt", [("xavier_uniform", "uniform"), ("he_normal", "normal")])
def test_init_params_transformer_block(spec, kurt):
    shapes = _block_shapes()
    params, plan = ij.init_params(shapes, spec, rng=0)
    flat = {ij_path: leaf for ij_path, leaf in zip(
        plan.paths, jax.tree.leaves(params, is_leaf=lambda x: isinstance(
            x, jax.ShapeDtypeStruct)), strict=True)}
    assert plan.untouched == ["params/pos_embedding"]
    for path, leaf in flat.items():
        entry = plan[path]
        suffix = "/".join(path.split("/")[-2:])
        if suffix in BLOCK_FANS:
            fan_in, fan_out = BLOCK_FANS[suffix]
            var = 2 / (fan_in + fan_out) if spec == "xavier_uniform" else 2 / fan_in
            assert (entry.fan_in, entry.fan_out) == (fan_in, fan_out)
            assert math.isclose(entry.std, math.sqrt(var))
            assert_variance(np.asarray(leaf), var, kurtosis=kurt)
        elif path.endswith("/embedding"):
            assert_variance(np.asarray(leaf), 1 / 64)  # Flax's default: N(0, 1/d)
        elif path.endswith(("bias", "scale")):
            assert (np.asarray(leaf) == (1.0 if path.endswith("scale") else 0.0)).all()
    # path-keyed seeds: NumPy reproduces a leaf
    q = "params/MultiHeadDotProductAttention_0/query/kernel"
    ref = initlab.get(spec)
    ref = type(ref).from_config({**ref.get_config(), "in_axis": 0, "out_axis": [1, 2]})
    assert (np.asarray(flat[q]) == ref((64, 4, 16), rng=initlab.seed_for(0, q))).all()


def test_init_params_rules_keep_dtype_and_arrays():
    tree = {"params": {"Dense_0": {"kernel": jnp.zeros((16, 8), jnp.bfloat16),
                                   "bias": jnp.ones(8)},
                       "Embed_0": {"embedding": np.zeros((20, 4), np.float32)},
                       "step": jnp.zeros((), jnp.int32)}}
    new, plan = ij.init_params(tree, "he_normal", rng=jax.random.key(3), rules={
        "*/Embed_0/embedding": initlab.Normal(std=0.02), "*/bias": None})
    assert new["params"]["Dense_0"]["kernel"].dtype == jnp.bfloat16
    assert isinstance(new["params"]["Embed_0"]["embedding"], np.ndarray)
    assert (np.asarray(new["params"]["Dense_0"]["bias"]) == 1).all()
    assert set(plan.untouched) == {"params/Dense_0/bias", "params/step"}
    assert plan["params/Embed_0/embedding"].source == "rule '*/Embed_0/embedding'"
    again, _ = ij.init_params(tree, "he_normal", rng=3)
    assert (np.asarray(again["params"]["Dense_0"]["kernel"])
            == np.asarray(new["params"]["Dense_0"]["kernel"])).all()


def test_init_params_boxed_leaves():
    import flax.linen as nn
    from flax import nnx

    class M(nn.Module):
        @nn.compact
        def __call__(self, x):
            return nn.Dense(4, kernel_init=nn.with_partitioning(nn.initializers.zeros,
                                                                (None, None)))(x)

    boxed = jax.eval_shape(M().init, KEY, jnp.ones((1, 3)))
    new, plan = ij.init_params(boxed, "he_normal", rng=0)
    ref = initlab.he_normal((3, 4), rng=initlab.seed_for(0, "params/Dense_0/kernel"))
    assert (np.asarray(new["params"]["Dense_0"]["kernel"].value) == ref).all()
    assert plan["params/Dense_0/kernel"].kind == "Dense"
    state = nnx.state(nnx.Linear(3, 4, rngs=nnx.Rngs(0)), nnx.Param)
    new, plan = ij.init_params(state, "he_normal", rng=0)
    ref = initlab.he_normal((3, 4), rng=initlab.seed_for(0, "kernel"))
    assert (np.asarray(new["kernel"][...]) == ref).all()


class _Recipe:
    def as_rules(self):
        return initlab.Normal(std=0.02), {"Dense_1/*": "zeros", "*/nothing": "ones"}


def test_init_params_rule_source():
    tree = {"Dense_0": {"kernel": np.ones((4, 4))}, "Dense_1": {"kernel": np.ones((4, 4))}}
    new, plan = ij.init_params(tree, _Recipe(), rng=0, rules={"Dense_0/*": "ones"})
    assert (new["Dense_0"]["kernel"] == 1).all() and (new["Dense_1"]["kernel"] == 0).all()
    new, plan = ij.init_params(tree, _Recipe(), rng=0)
    assert plan["Dense_0/kernel"].init.startswith("Normal(")


BAD = [
    ("int key", lambda: ij.initializer("normal")(0, (3, 3)), TypeError, "key"),
    ("float key", lambda: ij.initializer("normal")(jnp.zeros(2), (3, 3)), TypeError, "key"),
    ("batched key", lambda: ij.initializer("normal")(jax.random.split(KEY, 2), (3, 3)),
     TypeError, "key"),
    ("1-d shape", lambda: ij.initializer("he_normal")(KEY, (5,)), ValueError, "shape"),
    ("1-d shape jit", lambda: jax.jit(lambda k: ij.initializer("he_normal")(k, (5,)))(KEY),
     ValueError, "shape"),
    ("bad shape", lambda: ij.initializer("normal")(KEY, (3, -1)), ValueError, "shape"),
    ("int dtype", lambda: ij.initializer("normal")(KEY, (3,), jnp.int32), TypeError, "dtype"),
    ("unknown name", lambda: ij.initializer("he_nromal"), ValueError, "identifier"),
    ("unknown config", lambda: ij.initializer("normal", stddev=0.1), TypeError, "stddev"),
    ("callable init", lambda: ij.initializer(lambda s, **k: np.zeros(s)), TypeError, "init"),
    ("distribution on normal", lambda: ij.initializer("orthogonal", distribution="normal"),
     TypeError, "distribution"),
    ("unused rule", lambda: ij.init_params({"a": {"kernel": np.zeros((2, 2))}}, "zeros",
                                           rules={"*/kernle": "ones"}), ValueError, "rules"),
    ("bad rng", lambda: ij.init_params({"kernel": np.zeros((2, 2))}, "zeros", rng=1.5),
     TypeError, "rng"),
    ("non-array leaf", lambda: ij.init_params({"kernel": [1.0, 2.0]}, "zeros"), TypeError,
     "params"),
    ("bad rule leaf", lambda: ij.init_params({"bias": np.zeros(3)}, "zeros",
                                             rules={"bias": "he_normal"}), ValueError, "shape"),
    ("sharding type", lambda: ij.sharded("normal", (4, 4), "x", KEY), TypeError, "sharding"),
]


@pytest.mark.parametrize("call,exc,word", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input(call, exc, word):
    with pytest.raises(exc, match=word):
        call()


def test_bad_input_writes_nothing():
    tree = {"a": {"kernel": np.full((4, 4), 7.0)}, "b": {"bias": np.zeros(3)}}
    with pytest.raises(ValueError):
        ij.init_params(tree, "he_normal", rules={"b/bias": "he_normal"})
    assert (tree["a"]["kernel"] == 7.0).all()


SHARDED_SCRIPT = r"""
import itertools, numpy as np, jax, jax.numpy as jnp, initlab.jax as ij
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
assert len(jax.devices()) == 4, jax.devices()
key = jax.random.key(11)
checked = 0
for mesh_shape, names in [((4,), ("x",)), ((2, 2), ("x", "y"))]:
    mesh = Mesh(np.array(jax.devices()).reshape(mesh_shape), names)
    specs = [P("x"), P(None, "x")]
    if len(names) == 2:
        specs += [P("x", "y"), P(("x", "y")), P(None, ("x", "y"))]
    for spec, (init, cfg), dtype in itertools.product(
            specs, [("he_normal", {}), ("truncated_normal", {"std": 0.02}),
                    ("orthogonal", {}), ("xavier_uniform", {"in_axis": 0})],
            [jnp.float32, jnp.bfloat16]):
        shape = (8, 12)
        ref = np.asarray(ij.initializer(init, **cfg)(key, shape, dtype))
        arr = ij.sharded(init, shape, NamedSharding(mesh, spec), key, dtype=dtype, **cfg)
        assert arr.sharding == NamedSharding(mesh, spec) and arr.dtype == dtype
        assert (np.asarray(arr) == ref).all(), (mesh_shape, spec, init)
        for shard in arr.addressable_shards:
            assert (np.asarray(shard.data) == ref[shard.index]).all()
        checked += 1
mesh = Mesh(np.array(jax.devices()).reshape(2, 2), ("x", "y"))
# a shape the sharding does not divide: JAX's own error, before drawing
try:
    ij.sharded("normal", (6, 5), NamedSharding(mesh, P(("x", "y"))), key)
except ValueError as exc:
    assert "evenly divide" in str(exc), exc
else:
    raise AssertionError("no error for a non-dividing sharding")
# init_params keeps a leaf's sharding and fills it shard by shard
s = NamedSharding(mesh, P("x", "y"))
leaf = jax.device_put(jnp.zeros((8, 12)), s)
new, plan = ij.init_params({"Dense_0": {"kernel": leaf}}, "he_normal", rng=5)
k = new["Dense_0"]["kernel"]
assert k.sharding == s
import initlab
ref = initlab.he_normal((8, 12), rng=initlab.seed_for(5, "Dense_0/kernel"))
assert (np.asarray(k) == ref).all()
# out_sharding as recent JAX passes it
w = ij.initializer("he_normal")(key, (8, 12), out_sharding=s)
assert w.sharding == s
w2 = jax.jit(lambda kk: ij.initializer("he_normal")(kk, (8, 12), out_sharding=s))(key)
assert (np.asarray(w2) == np.asarray(w)).all()
print("sharded ok", checked)
"""


def test_sharded_bit_identical_on_4_cpu_devices():
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=4",
           "JAX_PLATFORMS": "cpu",
           "PYTHONPATH": os.pathsep.join([str(Path(initlab.__file__).parents[1]),
                                          os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(SHARDED_SCRIPT)], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "sharded ok 56" in result.stdout


def test_import_initlab_needs_no_framework():
    code = ("import sys, initlab, initlab.plan, initlab.testing\n"
            "loaded = {'jax', 'flax', 'keras', 'torch'} & set(sys.modules)\n"
            "print('ok' if not loaded else loaded)\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(Path(initlab.__file__).parents[1]), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr[-2000:]
