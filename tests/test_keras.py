"""initlab.keras on the numpy, jax and torch Keras backends.

The backend is fixed when Keras is first imported, so each backend runs in its own
subprocess: one script per backend doing every check, which prints ``ok`` at the end.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import initlab

if importlib.util.find_spec("keras") is None:
    pytest.skip("keras is not installed", allow_module_level=True)

BACKENDS = [b for b, module in [("numpy", "numpy"), ("jax", "jax"), ("torch", "torch")]
            if importlib.util.find_spec(module) is not None]

SCRIPT = r'''
import math, os, tempfile, warnings
import ml_dtypes
import numpy as np
import keras
import initlab, initlab.keras as ik
from initlab.testing import assert_orthogonal, assert_variance

BACKEND = keras.backend.backend()
assert BACKEND == os.environ["KERAS_BACKEND"]
L = keras.layers
np_ = keras.ops.convert_to_numpy


def values(v):
    return np_(keras.ops.cast(v, "float32")).astype(np.float64)


# -- Initializer: the Keras protocol, seeds, dtypes ---------------------------------------
init = ik.Initializer("he_normal", seed=3)
a = np_(init((64, 32)))
assert a.shape == (64, 32) and a.dtype == np.float32
assert (a == initlab.he_normal((64, 32), rng=3)).all()          # int seed: same values
assert (np_(init((64, 32))) == a).all()
b16 = np_(keras.ops.cast(init((64, 32), dtype="bfloat16"), "float32"))
assert (b16 == a.astype(ml_dtypes.bfloat16).astype(np.float32)).all()  # rounded once
if BACKEND != "jax":  # JAX without jax_enable_x64 has no float64
    f64 = np_(ik.Initializer("normal", seed=1)((4, 4), dtype="float64"))
    assert f64.dtype == np.float64


def build():
    inp = keras.Input((6, 6, 4))
    x = L.Conv2D(8, 3, kernel_initializer=ik.Initializer("he_normal"), name="c")(inp)
    x = L.Flatten()(x)
    x = L.Dense(16, kernel_initializer=ik.Initializer("xavier_uniform"), name="d1")(x)
    x = L.Dense(16, kernel_initializer=ik.Initializer("xavier_uniform"), name="d2")(x)
    return keras.Model(inp, x)


keras.utils.set_random_seed(0)
m1 = build()
keras.utils.set_random_seed(0)
m2 = build()
m3 = build()
same = [bool((np_(u) == np_(v)).all()) for u, v in zip(m1.weights, m2.weights)]
assert all(same), same
assert not (np_(m1.get_layer("c").kernel) == np_(m3.get_layer("c").kernel)).all()
# one shared-config object per layer, yet d1 and d2 (same shape) differ
assert not (np_(m1.get_layer("d1").kernel)[:16] == np_(m1.get_layer("d2").kernel)).all()

# -- save / load without custom_objects ---------------------------------------------------
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "m.keras")
    m1.save(path)
    loaded = keras.models.load_model(path)
k = loaded.get_layer("c").kernel_initializer
assert isinstance(k, ik.Initializer) and k.get_config() == \
    m1.get_layer("c").kernel_initializer.get_config()
assert all(bool((np_(u) == np_(v)).all()) for u, v in zip(m1.weights, loaded.weights))
cfg = keras.initializers.serialize(ik.Initializer("orthogonal", seed=2, gain=2.0))
assert cfg["registered_name"] == "initlab>Initializer"
again = keras.initializers.deserialize(cfg)
assert again.get_config() == {"init": {"class_name": "Orthogonal",
                                       "config": {**again.init.get_config()}}, "seed": 2}

# -- dtype policies -----------------------------------------------------------------------
for policy, var_dtype in [("bfloat16", "bfloat16"), ("mixed_bfloat16", "float32")]:
    keras.config.set_dtype_policy(policy)
    try:
        keras.utils.set_random_seed(1)
        inp = keras.Input((5, 8))
        x = L.Dense(16, kernel_initializer=ik.Initializer("he_normal", seed=4), name="d")(inp)
        x = L.LSTM(8, kernel_initializer=ik.Initializer("xavier_uniform"),
                   recurrent_initializer=ik.Initializer("orthogonal"))(x)
        m = keras.Model(inp, x)
        kernel = m.get_layer("d").kernel
        assert keras.backend.standardize_dtype(kernel.dtype) == var_dtype, kernel.dtype
        w = values(kernel)
        ref = initlab.he_normal((8, 16), rng=4)
        if var_dtype == "float32":
            assert (w == ref).all()
        else:
            assert (w == ref.astype(ml_dtypes.bfloat16).astype(np.float64)).all()
        assert np.isfinite(w).all()
        plan = ik.init_(m, "he_normal", rng=0)  # init_ under the policy too
        assert plan["d/kernel"].dtype == var_dtype
    finally:
        keras.config.set_dtype_policy("float32")

# -- init_: every layer kind, per-layer fans ----------------------------------------------
# (the numpy backend only: the layer kinds and fans are backend-independent, and the
# jax and torch backends compile every layer op, which costs CI time)
if BACKEND == "numpy":
    E, H, D, U = 32, 4, 16, 32


    def zoo():
        img = keras.Input((10, 10, 16))
        x = L.Conv2D(32, 3, name="conv")(img)
        x = L.Conv2D(32, 3, groups=4, name="grouped")(x)
        x = L.DepthwiseConv2D(3, depth_multiplier=4, name="depthwise")(x)
        x = L.SeparableConv2D(24, 1, depth_multiplier=2, name="separable")(x)
        x = L.Conv2DTranspose(16, 3, name="transpose")(x)
        x = L.Conv1D(8, 3, name="conv1d")(L.Reshape((-1, 16))(x))
        x = L.Dense(E, name="dense")(x)
        x = L.MultiHeadAttention(H, D, name="mha")(x, x)
        x = L.LSTM(U, return_sequences=True, name="lstm")(x)
        x = L.GRU(U, name="gru")(x)
        x = L.BatchNormalization(name="bn")(x)
        tok = keras.Input((5,), dtype="int32")
        e = L.LayerNormalization(name="ln")(L.Embedding(100, E, name="emb")(tok))
        return keras.Model([img, tok], [x, e])


    # path -> (fan_in, fan_out, blocks), from the layer definitions above
    FANS = {
        "conv/kernel": (9 * 16, 9 * 32, 1),
        "grouped/kernel": (9 * 8, 9 * 32 // 4, 1),
        "depthwise/kernel": (9, 9 * 4, 1),
        "separable/depthwise_kernel": (1, 2, 1),
        "separable/pointwise_kernel": (256, 24, 1),
        "transpose/kernel": (9 * 24, 9 * 16, 1),
        "conv1d/kernel": (3 * 16, 3 * 8, 1),
        "dense/kernel": (8, E, 1),
        "mha/query/kernel": (E, H * D, 1), "mha/key/kernel": (E, H * D, 1),
        "mha/value/kernel": (E, H * D, 1), "mha/attention_output/kernel": (H * D, E, 1),
        "lstm/lstm_cell/kernel": (E, U, 4), "lstm/lstm_cell/recurrent_kernel": (U, U, 4),
        "gru/gru_cell/kernel": (U, U, 3), "gru/gru_cell/recurrent_kernel": (U, U, 3),
    }
    model = zoo()
    for spec, kurt in [("he_normal", "normal"), ("xavier_uniform", "uniform")]:
        plan = ik.init_(model, spec, rng=0)
        for path, (fan_in, fan_out, blocks) in FANS.items():
            entry = plan[path]
            assert (entry.fan_in, entry.fan_out, entry.blocks) == (fan_in, fan_out, blocks), \
                (path, entry)
            var = 2 / fan_in if spec == "he_normal" else 2 / (fan_in + fan_out)
            variable = [v for v in model.variables if v.path == path][0]
            assert_variance(values(variable), var, kurtosis=kurt)
        weights = {v.path: values(v) for v in model.variables}
        assert_variance(weights["emb/embeddings"], 0.05 ** 2 / 3, kurtosis="uniform")
        bias = weights["lstm/lstm_cell/bias"]
        assert (bias[U:2 * U] == 1).all() and (np.delete(bias, np.s_[U:2 * U]) == 0).all()
        for p in ("bn/gamma", "bn/moving_variance", "ln/gamma"):
            assert (weights[p] == 1).all()
        for p in ("bn/beta", "bn/moving_mean", "ln/beta", "mha/query/bias", "dense/bias"):
            assert (weights[p] == 0).all()
        assert all(p.endswith("seed_generator_state") for p in plan.untouched), plan.untouched
        # path-keyed seeds: NumPy reproduces a variable
        ref = initlab.get(spec)((8, E), rng=initlab.seed_for(0, "dense/kernel"))
        assert (weights["dense/kernel"] == ref).all()

    # rules: glob, layer class, None; recipes
    plan = ik.init_(model, "he_normal", rng=1, rules={
        "mha/*/kernel": initlab.Normal(std=0.02), L.Embedding: "zeros", "bn/*": None})
    assert plan["mha/value/kernel"].source == "rule 'mha/*/kernel'"
    assert (values(model.get_layer("emb").embeddings) == 0).all()
    assert "bn/gamma" in plan.untouched

# -- bad input: clear errors, nothing written ---------------------------------------------
if BACKEND != "numpy":
    inp = keras.Input((4,))
    model = keras.Model(inp, L.Dense(3, name="dense")(inp))
before = {v.path: values(v) for v in model.variables}
bad = [
    (lambda: ik.init_(model, "he_normal", rules={"mha/*/kernle": "zeros"}), ValueError,
     "rules"),
    (lambda: ik.init_(model, "he_nromal"), ValueError, "identifier"),
    (lambda: ik.init_(model, "he_normal", rules={"dense/bias": "he_normal"}), ValueError,
     "shape"),
    (lambda: ik.init_(model, "he_normal", rng="0"), TypeError, "rng"),
    (lambda: ik.init_(model, "he_normal", rules={3: "zeros"}), TypeError, "rules key"),
    (lambda: ik.init_("model", "he_normal"), TypeError, "model"),
    (lambda: ik.init_(L.Dense(3), "he_normal"), ValueError, "built"),
    (lambda: ik.Initializer("he_normal", stddev=1.0), TypeError, "stddev"),
    (lambda: ik.Initializer("he_normal", seed=-1), ValueError, "seed"),
    (lambda: ik.Initializer("he_normal")((5,)), ValueError, "shape"),
    (lambda: ik.Initializer("he_normal")((5, 5), dtype="int32"), TypeError, "dtype"),
]
for call, exc, word in bad:
    try:
        call()
    except exc as err:
        assert word in str(err), (word, err)
    else:
        raise AssertionError(f"no {exc.__name__} mentioning {word!r}")
after = {v.path: values(v) for v in model.variables}
assert all((before[p] == after[p]).all() for p in before)
print("ok", BACKEND)
'''


PER_GATE = r"""
import numpy as np, keras, initlab.keras as ik
from initlab.testing import assert_orthogonal
inp = keras.Input((5, 16))
model = keras.Model(inp, keras.layers.LSTM(32, name="lstm")(inp))
ik.init_(model, "orthogonal", rng=0)
for name in ("kernel", "recurrent_kernel"):
    k = keras.ops.convert_to_numpy(getattr(model.get_layer("lstm").cell, name))
    for g in range(4):
        assert_orthogonal(k[:, g * 32:(g + 1) * 32], layout="in_out")
print("ok numpy")
"""


def run(script, backend, cwd):
    src = str(Path(initlab.__file__).parents[1])
    env = {**os.environ, "KERAS_BACKEND": backend, "JAX_PLATFORMS": "cpu",
           "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    # Keras' own saving code converts variables with np.array(copy=False) (NumPy 2 warns)
    cmd = [sys.executable, "-W", "error", "-W",
           "ignore:__array__ implementation:DeprecationWarning", "-c", textwrap.dedent(script)]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600,
                            cwd=cwd)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert f"ok {backend}" in result.stdout


@pytest.mark.parametrize("backend", BACKENDS)
def test_keras_backend(backend, tmp_path):
    run(SCRIPT, backend, tmp_path)


def test_orthogonal_per_gate(tmp_path):
    run(PER_GATE, "numpy", tmp_path)
