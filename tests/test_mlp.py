"""Tests of initlab.engine.mlp: the forward and backward passes, probe statistics, overflow,
randomness, trials and argument validation.

Gradients are checked against central finite differences in float64. Step h = 1e-6 * max(1,
abs(theta)); the truncation error is O(h^2 phi''') ~ 1e-12 and the rounding error about
eps * abs(L) / h ~ 1e-9 for losses of order 1-10, so each gradient tensor must satisfy
max abs(fd - analytic) <= 1e-6 * max abs(analytic) + 1e-8. For activations with a kink at 0
(relu, leaky_relu, elu, selu) the network seed is the first in 0..199 for which every
pre-activation is at least 1e-3 away from 0, far beyond any perturbation (~1e-5), so no
difference straddles the kink.
"""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np
import pytest

import initlab
from initlab import MLP
from initlab.engine._kernels import kernel_kind

ACTIVATIONS = ["linear", "tanh", "sigmoid", "relu", "leaky_relu(0.2)", "elu(0.7)", "selu",
               "gelu", "silu", "softplus", "mish"]
KINKED = ("relu", "leaky_relu", "elu", "selu")
BIAS_INIT = {"class_name": "Normal", "config": {"std": 0.5}}
# seed 0 in the fast set, the others behind the slow marker (same assertions)
FIVE_SEEDS = [0, *(pytest.param(s, marks=pytest.mark.slow) for s in range(1, 5))]


# --------------------------------------------------------------------------------------------
# an independent reference implementation (float64), with additive hooks on z, u and h


def ref_forward(net: MLP, x: np.ndarray, add: dict[tuple[str, int], np.ndarray] | None = None,
                ) -> tuple[np.ndarray, list[np.ndarray]]:
    """Return the output and the pre-activations u of every layer."""
    add = add or {}
    h = x.astype(np.float64)
    us = []
    for k, (w, act) in enumerate(zip(net.weights, net.activations, strict=True)):
        z = h @ w.astype(np.float64)
        if net.biases is not None:
            z = z + net.biases[k]
        z = z + add.get(("z", k), 0.0)
        if net.batch_norm:
            mu = z.mean(axis=0)
            var = z.var(axis=0)
            u = (z - mu) / np.sqrt(var + net.bn_eps)
        else:
            u = z
        u = u + add.get(("u", k), 0.0)
        us.append(u)
        h = act.f(u) + add.get(("h", k), 0.0)
    return h, us


def make_net(act: str, bias: bool, bn: bool) -> tuple[MLP, np.ndarray, np.ndarray]:
    """A [5, 4, 3] float64 net, batch 6, away from kinks (see the module docstring)."""
    kinked = act.split("(")[0] in KINKED
    for seed in range(200):
        net = MLP([5, 4, 3], activation=act, bias=bias, batch_norm=bn, bias_init=BIAS_INIT,
                  dtype=np.float64, rng=seed)
        gen = np.random.default_rng(1000 + seed)
        x = gen.standard_normal((6, 5))
        g = gen.standard_normal((6, 3))
        _, us = ref_forward(net, x)
        if not kinked or min(np.abs(u).min() for u in us) > 1e-3:
            return net, x, g
    raise AssertionError("no seed keeps the pre-activations away from the kink")


def fd_grad(loss: Any, arr: np.ndarray) -> np.ndarray:
    """Central differences of loss() with respect to every element of arr (in place)."""
    out = np.zeros_like(arr)
    for idx in np.ndindex(arr.shape):
        old = arr[idx]
        h = 1e-6 * max(1.0, abs(old))
        arr[idx] = old + h
        lp = loss()
        arr[idx] = old - h
        lm = loss()
        arr[idx] = old
        out[idx] = (lp - lm) / (2 * h)
    return out


def assert_grad(fd: np.ndarray, an: np.ndarray, what: str) -> None:
    err = float(np.max(np.abs(fd - an)))
    bound = 1e-6 * float(np.max(np.abs(an))) + 1e-8
    assert err <= bound, f"{what}: max abs error {err:.3e} > {bound:.3e}"


@pytest.mark.parametrize("bn", [False, True], ids=["plain", "bn"])
@pytest.mark.parametrize("bias", [False, True], ids=["nobias", "bias"])
@pytest.mark.parametrize("act", [*ACTIVATIONS, "custom"])
def test_gradients_match_finite_differences(act: str, bias: bool, bn: bool) -> None:
    spec: Any = (np.sin, np.cos) if act == "custom" else act
    net, x, g = make_net("tanh" if act == "custom" else act, bias, bn)
    if act == "custom":
        net = MLP([5, 4, 3], activation=spec, bias=bias, batch_norm=bn, bias_init=BIAS_INIT,
                  dtype=np.float64, rng=0)
    out = net.forward(x)
    ref, _ = ref_forward(net, x)
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)
    grads = net.backward(g)

    def loss() -> float:
        return float(np.sum(g * net.forward(x)))

    for k in range(net.depth):
        assert_grad(fd_grad(loss, net.weights[k]), grads.dW[k], f"dW[{k}]")
        if bias:
            assert net.biases is not None and grads.db is not None
            assert_grad(fd_grad(loss, net.biases[k]), grads.db[k], f"db[{k}]")
    xc = x.copy()
    assert_grad(fd_grad(lambda: float(np.sum(g * net.forward(xc))), xc), grads.dh[0], "dL/dx")

    # intermediate gradients: perturb z (the batch-norm input), u and h of every layer
    for kind, field in (("z", grads.dz), ("u", grads.du), ("h", grads.dh[1:])):
        for k in range(net.depth):
            delta = np.zeros((x.shape[0], net.widths[k + 1]))

            def loss_at(kind: str = kind, k: int = k, delta: np.ndarray = delta) -> float:
                h, _ = ref_forward(net, x, {(kind, k): delta})
                return float(np.sum(g * h))

            assert_grad(fd_grad(loss_at, delta), field[k], f"dL/d{kind}[{k}]")
    assert grads.dh[-1] is not g and np.array_equal(grads.dh[-1], g)


def test_gradients_without_batch_norm_share_du_and_dz() -> None:
    net, x, g = make_net("tanh", False, False)
    net.forward(x)
    grads = net.backward(g)
    assert all(a is b for a, b in zip(grads.du, grads.dz, strict=True))
    assert grads.db is None


@pytest.mark.parametrize("name", ["linear", "tanh", "relu", "sigmoid"])
def test_fast_kernels_equal_the_activation_functions(name: str) -> None:
    act = initlab.activation(name)
    assert kernel_kind(act) == name
    for dtype in (np.float32, np.float64):
        net = MLP([16, 16], activation=name, init="orthogonal", dtype=dtype, rng=0)
        x = np.random.default_rng(0).standard_normal((8, 16)).astype(dtype) * 3
        z = x @ net.weights[0]
        out = net.forward(x)
        assert out.dtype == dtype
        np.testing.assert_array_equal(out, act.f(z))


def test_user_activation_named_tanh_is_not_the_fast_kernel() -> None:
    fake = initlab.Activation("tanh", f=np.sin, df=np.cos)
    assert kernel_kind(fake) == "input"
    net = MLP([4, 4], activation=fake, init="ones", dtype=np.float64)
    np.testing.assert_allclose(net.forward(np.ones((1, 4))), np.sin(4.0) * np.ones((1, 4)))


def test_float32_forward_matches_float64_reference() -> None:
    net = MLP([64, 48, 32], activation="gelu", bias=True, bias_init=BIAS_INIT,
              batch_norm=True, rng=0)
    x = np.random.default_rng(1).standard_normal((40, 64), dtype=np.float32)
    out = net.forward(x)
    ref, _ = ref_forward(net, x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-5)


# --------------------------------------------------------------------------------------------
# probe statistics against direct NumPy computations


def _direct_stats(net: MLP, x: np.ndarray, g: np.ndarray) -> dict[str, list[float]]:
    """Every statistic recomputed with plain NumPy in float64 from the same arrays."""
    _, us = ref_forward(net, x)
    hs = [act.f(u) for act, u in zip(net.activations, us, strict=True)]
    net.forward(x)
    grads = net.backward(g)
    out: dict[str, list[float]] = {k: [] for k in (
        "pre_mean", "pre_std", "act_mean", "act_std", "act_min", "act_max", "zero_frac",
        "dead_units", "sat_frac", "dz_var", "dh_in_var", "dw_var", "dw_ratio", "w_std")}
    for k in range(net.depth):
        u, h = us[k].astype(np.float64), hs[k].astype(np.float64)
        out["pre_mean"].append(u.mean())
        out["pre_std"].append(u.std())
        out["act_mean"].append(h.mean())
        out["act_std"].append(h.std())
        out["act_min"].append(h.min())
        out["act_max"].append(h.max())
        out["zero_frac"].append(np.mean(h == 0))
        out["dead_units"].append(np.sum(np.all(h == 0, axis=0)))
        lo, hi = net.activations[k].bounds
        band = 0.01 * (hi - lo) / 2
        out["sat_frac"].append(np.mean((h < lo + band) | (h > hi - band))
                               if math.isfinite(lo + hi) else math.nan)
        out["dz_var"].append(grads.dz[k].var())
        out["dh_in_var"].append(grads.dh[k].var())
        out["dw_var"].append(grads.dW[k].var())
        out["dw_ratio"].append(np.linalg.norm(grads.dW[k]) / np.linalg.norm(net.weights[k]))
        out["w_std"].append(net.weights[k].std())
    return out


@pytest.mark.parametrize("act, bn", [("tanh", False), ("relu", False), ("relu", True),
                                     ("sigmoid", True)])
def test_probe_statistics_match_numpy(act: str, bn: bool) -> None:
    net = MLP([30, 40, 40, 20], activation=act, init="he_normal", batch_norm=bn,
              dtype=np.float64, rng=3)
    gen = np.random.default_rng(4)
    x = gen.standard_normal((50, 30)) * 2
    g = gen.standard_normal((50, 20))
    report = net.probe(x, grad=g)
    direct = _direct_stats(net, x, g)
    for name, values in direct.items():
        # means near 0 (batch norm) are compared up to rounding of O(1) data
        atol = 1e-13 if name.endswith("_mean") else 0.0
        np.testing.assert_allclose(report[name], values, rtol=1e-10, atol=atol,
                                   err_msg=name, equal_nan=True)
    assert report.meta["upstream_var"] == pytest.approx(g.var(), rel=1e-12)
    # histograms: exact counts on the report's edges, like numpy.histogram
    _, us = ref_forward(net, x)
    for k in range(net.depth):
        h = net.activations[k].f(us[k])
        hist = report.histogram(k + 1)
        expected, _ = np.histogram(h, bins=report.edges)
        np.testing.assert_array_equal(hist.counts, expected)
        assert hist.below == np.sum(h < report.edges[0])
        assert hist.above == np.sum(h > report.edges[-1])


def test_float32_statistics_are_accurate() -> None:
    """float32 arrays, statistics combined in float64: relative error ~1e-7."""
    net = MLP([256] * 6, activation="tanh", init="xavier_uniform", rng=0)
    gen = np.random.default_rng(0)
    x = gen.standard_normal((500, 256), dtype=np.float32)
    g = gen.standard_normal((500, 256), dtype=np.float32)
    report = net.probe(x, grad=g)
    net.forward(x)
    grads = net.backward(g)
    for k in range(net.depth):
        for name, arr in (("dz_var", grads.dz[k]), ("dh_in_var", grads.dh[k]),
                          ("dw_var", grads.dW[k])):
            exact = arr.astype(np.float64).var()
            assert report[name][k] == pytest.approx(exact, rel=1e-6), name


def test_dead_units_and_zero_fraction() -> None:
    net = MLP([4, 3], activation="relu", init="ones", dtype=np.float64)
    w = net.weights[0]
    w[:, 0] = -1.0        # unit 0 is negative for every positive input: dead
    report = net.probe(np.abs(np.random.default_rng(0).standard_normal((10, 4))) + 0.1,
                       grad="sum")
    assert report["dead_units"][0] == 1
    assert report["zero_frac"][0] == pytest.approx(1 / 3)
    assert math.isnan(report["sat_frac"][0])


def test_upstream_gradient_kinds() -> None:
    net = MLP([6, 5, 4], activation="tanh", dtype=np.float64, rng=0)
    x = np.random.default_rng(0).standard_normal((7, 6))
    out = net.forward(x)
    target = np.full((7, 4), 0.25)
    rep = net.probe(x, grad="mse", target=target)
    g = 2 * (out - target) / out.size
    np.testing.assert_allclose(rep["dh_in_var"], net.probe(x, grad=g)["dh_in_var"], rtol=1e-12)
    assert rep.meta["grad"] == "mse"
    rep_sum = net.probe(x, grad="sum")
    assert rep_sum.meta["upstream_var"] == 0.0
    np.testing.assert_allclose(rep_sum["dw_var"], net.probe(x, grad=np.ones((7, 4)))["dw_var"])
    a = net.probe(x, rng=5)
    b = net.probe(x, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(a["dw_var"], b["dw_var"])


# --------------------------------------------------------------------------------------------
# overflow is a result


@pytest.mark.parametrize("seed", FIVE_SEEDS)
def test_float32_linear_stack_first_overflows_at_layer_32(seed: int) -> None:
    """theory.md E7: N(0, 1) weights, width 256, batch 16 -> first inf/nan at layer 32."""
    gen = np.random.default_rng(seed)
    x = gen.standard_normal((16, 256), dtype=np.float32)
    net = MLP([256] * 41, activation="linear", init="normal", rng=gen)
    rep = net.probe(x, rng=gen)     # filterwarnings=error: any RuntimeWarning fails
    assert rep.first_nonfinite_layer == 32
    assert rep.finite.tolist() == [True] * 31 + [False] * 9
    assert np.all(np.isfinite(rep["act_std"][:31]))
    # np.std in float32 overflows from layer ~15; ours stays finite up to layer 31
    assert rep["act_std"][30] > 1e36
    assert rep["nonfinite_frac"][31] > 0 and rep["nonfinite_frac"][30] == 0
    assert rep.layer(33).finite is False
    assert rep.first_nonfinite_grad_layer is not None


@pytest.mark.parametrize("seed", FIVE_SEEDS)
def test_float32_relu_stack_first_overflows_at_layer_36_or_37(seed: int) -> None:
    """theory.md E7 (relu, N(0, 1)): x sqrt(128) per layer, first inf at layer 36-37."""
    gen = np.random.default_rng(seed)
    x = gen.standard_normal((16, 256), dtype=np.float32)
    net = MLP([256] * 45, activation="relu", init="normal", rng=gen)
    assert net.probe(x, rng=gen).first_nonfinite_layer in (36, 37)


def test_float64_statistics_survive_overflowing_squares() -> None:
    """In float64 the squares overflow from about layer 127 (std ~1e154); the std must not."""
    gen = np.random.default_rng(0)
    x = gen.standard_normal((16, 256))
    net = MLP([256] * 201, activation="linear", init="normal", dtype=np.float64, rng=gen)
    rep = net.probe(x, rng=gen)
    assert rep.first_nonfinite_layer is None
    std = rep["act_std"]
    assert np.all(np.isfinite(std))
    assert std[149] > 1e170
    growth = np.diff(np.log(std))
    assert 2.5 < np.median(growth) < 3.1          # x16 per layer, log 16 = 2.77
    assert np.all(np.isinf(rep["dw_var"][:5]))     # a variance beyond 1.8e308 is inf


@pytest.mark.parametrize("seed", [0, *(pytest.param(s, marks=pytest.mark.slow) for s in (1, 2))])
def test_float64_linear_stack_first_overflows_at_layer_255_or_256(seed: int) -> None:
    gen = np.random.default_rng(seed)
    x = gen.standard_normal((16, 256))
    net = MLP([256] * 261, activation="linear", init="normal", dtype=np.float64, rng=gen)
    assert net.probe(x, rng=gen).first_nonfinite_layer in (255, 256)


def test_nonfinite_input_is_reported_not_raised() -> None:
    net = MLP([4, 4, 4], activation="tanh", rng=0)
    x = np.ones((3, 4), dtype=np.float32)
    x[0, 0] = np.nan
    rep = net.probe(x, rng=0)
    assert rep.first_nonfinite_layer == 1
    assert "non-finite" in rep.table()
    # the moments cover the finite entries (rows 1 and 2 stay finite through both layers)
    h1 = np.tanh(x[1:] @ net.weights[0])
    assert rep["act_std"][0] == pytest.approx(h1.astype(np.float64).std(), rel=1e-5)
    assert rep["nonfinite_frac"][1] == pytest.approx(1 / 3)


# --------------------------------------------------------------------------------------------
# randomness


def test_rng_reproducibility_and_global_state() -> None:
    state = np.random.get_state()[1].copy()  # noqa: NPY002 - checking it is untouched
    a = MLP([10, 8, 6], rng=123)
    b = MLP([10, 8, 6], rng=123)
    for wa, wb in zip(a.weights, b.weights, strict=True):
        np.testing.assert_array_equal(wa, wb)
    gen = np.random.default_rng(123)
    c = MLP([10, 8, 6], rng=gen)
    np.testing.assert_array_equal(c.weights[0], a.weights[0])
    # the generator was advanced: a second net from it differs
    d = MLP([10, 8, 6], rng=gen)
    assert not np.array_equal(d.weights[0], c.weights[0])
    # layer order: W1 is drawn with the generator first
    w1 = initlab.get("xavier_normal")((10, 8), dtype=np.float32, rng=np.random.default_rng(123))
    np.testing.assert_array_equal(a.weights[0], w1)
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # noqa: NPY002


def test_reinitialize_and_trials_leave_the_net_unchanged() -> None:
    net = MLP([8, 8, 8], activation="relu", init="he_normal", rng=0)
    before = [w.copy() for w in net.weights]
    x = np.random.default_rng(0).standard_normal((32, 8), dtype=np.float32)
    t1 = net.trials(x, 4, rng=7, progress=False)
    t2 = net.trials(x, 4, rng=7, progress=False)
    for w, w0 in zip(net.weights, before, strict=True):
        np.testing.assert_array_equal(w, w0)
    np.testing.assert_array_equal(t1.values("act_std"), t2.values("act_std"))
    assert t1.values("act_std").shape == (4, 2)
    assert len({float(r["act_std"][0]) for r in t1.reports}) == 4   # independent draws
    low, high = t1.interval("act_std")
    mean = t1.mean("act_std")
    assert np.all(low < mean) and np.all(mean < high)
    net.reinitialize(0)
    np.testing.assert_array_equal(net.weights[0], before[0])


def test_trials_progress_bar(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("tqdm")
    net = MLP([8, 8], rng=0)
    net.trials(np.ones((4, 8)), 3, rng=0, progress=True)
    assert "initlab trials" in capsys.readouterr().err


def test_trials_without_tqdm(monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    t = MLP([8, 8], rng=0).trials(np.ones((4, 8)), 2, rng=0, progress=True)
    assert t.n == 2
    assert capsys.readouterr().err == ""


_BAR_CALLS: list[dict[str, Any]] = []


class _FakeBar:
    """Stands in for tqdm.auto: records how the bar was asked for."""

    def __init__(self, it: Any, **kwargs: Any) -> None:
        _BAR_CALLS.append(kwargs)
        self.it = it

    def __iter__(self) -> Any:
        return iter(self.it)


@pytest.mark.parametrize("progress, delay", [(None, 2.0), (True, 0.0)])
def test_trials_progress_uses_tqdm_auto_and_is_on_by_default(
        monkeypatch: pytest.MonkeyPatch, progress: bool | None, delay: float) -> None:
    """tqdm.auto (a widget in Jupyter, where stderr is no terminal), enabled by default: shown
    once the run has lasted 2 s; progress=False asks for no bar at all."""
    import types

    fake = types.ModuleType("tqdm.auto")
    fake.tqdm = _FakeBar  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tqdm.auto", fake)
    _BAR_CALLS.clear()
    MLP([8, 8], rng=0).trials(np.ones((4, 8)), 2, rng=0, progress=progress)
    assert len(_BAR_CALLS) == 1
    assert _BAR_CALLS[0]["disable"] is False and _BAR_CALLS[0]["delay"] == delay
    _BAR_CALLS.clear()
    MLP([8, 8], rng=0).trials(np.ones((4, 8)), 2, rng=0, progress=False)
    assert _BAR_CALLS == []


# --------------------------------------------------------------------------------------------
# configuration and validation


def test_per_layer_activation_tuple_equals_single_activation_layers() -> None:
    """MLP takes per-layer activations as theory.predict does (a tuple or a list), and the
    network equals two one-layer networks of those activations with the same weights."""
    x = np.random.default_rng(0).standard_normal((5, 4))
    net = MLP([4, 4, 4], activation=("tanh", "relu"), init="xavier_normal",
              dtype=np.float64, rng=0)
    assert [a.name for a in net.activations] == ["tanh", "relu"]
    as_list = MLP([4, 4, 4], activation=["tanh", "relu"], dtype=np.float64, rng=0)
    assert [a.spec for a in as_list.activations] == [a.spec for a in net.activations]
    first = MLP([4, 4], activation="tanh", init="zeros", dtype=np.float64)
    second = MLP([4, 4], activation="relu", init="zeros", dtype=np.float64)
    first.weights[0][...] = net.weights[0]
    second.weights[0][...] = net.weights[1]
    np.testing.assert_array_equal(net.forward(x), second.forward(first.forward(x)))
    # the same spelling gives theory.predict's per-layer activations
    pred = initlab.theory.predict([4, 4, 4], ("tanh", "relu"), "xavier_normal")
    assert pred.activations == tuple(a.spec for a in net.activations)
    # a (f, df) pair is one activation, not two layers
    pair = (np.tanh, lambda u: 1 - np.tanh(u) ** 2)
    assert MLP([4, 4, 4], activation=pair, rng=0).activations[1].name == "custom"


@pytest.mark.parametrize("call", [
    lambda net: net.forward(np.ones((1, 4))),
    lambda net: net.probe(np.ones((1, 4)), rng=0),
    lambda net: net.trials(np.ones((1, 4)), 2, rng=0),
], ids=["forward", "probe", "trials"])
def test_batch_norm_refuses_a_batch_of_one(call: Any) -> None:
    """PyTorch's BatchNorm1d refuses one example in training mode ("Expected more than 1 value
    per channel"); initlab too, naming x, instead of all-zero activations."""
    net = MLP([4, 4, 4], activation="relu", batch_norm=True, rng=0)
    with pytest.raises(ValueError, match=r"MLP\.\w+: x=.*has batch 1.*at least 2 examples"):
        call(net)
    assert MLP([4, 4], batch_norm=False, rng=0).probe(np.ones((1, 4)), rng=0).depth == 1
    assert net.probe(np.ones((2, 4)), rng=0).depth == 2



def test_per_layer_lists_and_attributes() -> None:
    net = MLP([6, 5, 4], activation=["relu", "linear"], init=["he_normal", "zeros"],
              bias=True, bias_init=["zeros", "ones"], dtype=np.float64, rng=0)
    assert [a.name for a in net.activations] == ["relu", "linear"]
    assert net.widths == (6, 5, 4) and net.depth == 2 and net.bias
    assert net.biases is not None and net.biases[1].tolist() == [1.0] * 4
    assert np.all(net.weights[1] == 0)
    assert net.dtype == np.float64 and not net.batch_norm and net.bn_eps == 1e-5
    assert net.bias_initializers is not None and len(net.initializers) == 2
    assert "activation=['relu', 'linear']" in repr(net)
    out = net.forward(np.ones((2, 6)))
    np.testing.assert_array_equal(out, np.ones((2, 4)))


def test_forward_returns_a_copy_and_backward_needs_forward() -> None:
    net = MLP([4, 4], rng=0)
    with pytest.raises(RuntimeError, match="call forward"):
        net.backward(np.ones((2, 4)))
    a = net.forward(np.ones((2, 4)))
    b = net.forward(2 * np.ones((2, 4)))
    assert not np.array_equal(a, b)
    with pytest.raises(ValueError, match=r"grad=.*shape \(2, 4\)"):
        net.backward(np.ones((3, 4)))


BAD_CALLS = [
    ("widths-short", lambda: MLP([3]), ValueError, "widths=[3]"),
    ("widths-zero", lambda: MLP([3, 0]), ValueError, "widths"),
    ("widths-float", lambda: MLP([3, 2.5]), TypeError, "widths"),
    ("widths-str", lambda: MLP("34"), TypeError, "widths"),
    ("activation", lambda: MLP([3, 2], activation="tanhh"), ValueError, "activation"),
    ("activation-list", lambda: MLP([3, 2], activation=["tanh", "relu"]), ValueError,
     "activation"),
    ("init", lambda: MLP([3, 2], init="xavier"), ValueError, "init"),
    ("init-type", lambda: MLP([3, 2], init=3), TypeError, "init"),
    ("bias", lambda: MLP([3, 2], bias=1), TypeError, "bias"),
    ("bias-init-vector", lambda: MLP([3, 2], bias=True, bias_init="he_normal"), ValueError,
     "bias_init"),
    ("batch-norm", lambda: MLP([3, 2], batch_norm="yes"), TypeError, "batch_norm"),
    ("bn-eps", lambda: MLP([3, 2], bn_eps=0.0), ValueError, "bn_eps"),
    ("dtype-int", lambda: MLP([3, 2], dtype=np.int32), TypeError, "dtype"),
    ("dtype-half", lambda: MLP([3, 2], dtype=np.float16), TypeError, "dtype"),
    ("rng", lambda: MLP([3, 2], rng=-1), ValueError, "rng"),
    ("x-shape", lambda: MLP([3, 2]).forward(np.ones((2, 4))), ValueError, "x="),
    ("x-1d", lambda: MLP([3, 2]).forward(np.ones(3)), ValueError, "x="),
    ("x-str", lambda: MLP([3, 2]).probe(np.array([["a", "b", "c"]])), TypeError, "x="),
    ("grad-name", lambda: MLP([3, 2]).probe(np.ones((2, 3)), grad="l2"), ValueError, "grad="),
    ("grad-shape", lambda: MLP([3, 2]).probe(np.ones((2, 3)), grad=np.ones((2, 3))),
     ValueError, "grad="),
    ("target-shape", lambda: MLP([3, 2]).probe(np.ones((2, 3)), grad="mse",
                                               target=np.ones(2)), ValueError, "target="),
    ("bins", lambda: MLP([3, 2]).probe(np.ones((2, 3)), bins=[1.0, 0.0]), ValueError,
     "bins="),
    ("trials-n", lambda: MLP([3, 2]).trials(np.ones((2, 3)), 0), ValueError, "n=0"),
    ("trials-progress", lambda: MLP([3, 2]).trials(np.ones((2, 3)), 1, progress="no"),
     TypeError, "progress"),
]


@pytest.mark.parametrize("call, exc, words", [c[1:] for c in BAD_CALLS],
                         ids=[c[0] for c in BAD_CALLS])
def test_bad_arguments(call: Any, exc: type[Exception], words: str) -> None:
    with pytest.raises(exc) as info:
        call()
    message = str(info.value)
    assert words in message
    assert message.startswith(("MLP", "activation")), message


def test_error_message_format() -> None:
    with pytest.raises(ValueError) as info:
        MLP([3])
    assert str(info.value) == ("MLP: widths=[3] is not accepted; use a list of at least 2 "
                               "positive integers.")


def test_buffers_follow_the_batch_size() -> None:
    net = MLP([8, 8, 8], activation="tanh", rng=0)
    a = net.probe(np.ones((4, 8)), rng=0)
    b = net.probe(np.ones((6, 8)), rng=0)
    c = net.probe(np.ones((4, 8)), rng=0)
    assert a.meta["batch"] == 4 and b.meta["batch"] == 6
    np.testing.assert_array_equal(a["act_std"], c["act_std"])


def test_bins_argument() -> None:
    net = MLP([8, 8], activation="relu", rng=0)
    x = np.random.default_rng(0).standard_normal((16, 8))
    rep = net.probe(x, rng=0, bins=[-1.0, 0.0, 0.5, 10.0])
    assert rep.edges.tolist() == [-1.0, 0.0, 0.5, 10.0]
    assert int(rep.counts.sum()) == 16 * 8
    rep16 = net.probe(x, rng=0, bins=16)
    assert rep16.counts.shape[1] <= 16
    default = net.probe(x, rng=0)
    assert default.edges[0] == 0.0 and default.edges[-1] == 4.0 and default.counts.shape[1] == 128


# --------------------------------------------------------------------------------------------
# training: MLP.step, the readout multiplier, initlab.engine.optim (issue 13)

from initlab.engine.optim import SGD, Adam  # noqa: E402


def _train_net(act: str, bias: bool, mult: float, dtype: Any = np.float64) -> MLP:
    return MLP([5, 7, 6, 3], activation=[act, act, "linear"], init="xavier_normal", bias=bias,
               bias_init=BIAS_INIT, readout_multiplier=mult, dtype=dtype, rng=3)


@pytest.mark.parametrize("mult", [1.0, 0.3], ids=["mult1", "mult0.3"])
@pytest.mark.parametrize("bias", [False, True], ids=["nobias", "bias"])
@pytest.mark.parametrize("act", ["tanh", "sigmoid", "gelu"])
def test_training_step_matches_finite_differences(act: str, bias: bool, mult: float) -> None:
    """An SGD step moves every weight and bias by -lr * multiplier * (central finite
    difference of the MSE loss), float64, with the readout multiplier."""
    net = _train_net(act, bias, mult)
    gen = np.random.default_rng(4)
    x = gen.standard_normal((6, 5))
    y = gen.standard_normal((6, 3))
    names = [name for name, _ in net.named_parameters()]
    lr_mult = {name: 0.5 + i for i, name in enumerate(names)}
    before = {name: p.copy() for name, p in net.named_parameters()}
    fd = {name: fd_grad(lambda: net.loss(x, y), p) for name, p in net.named_parameters()}
    loss0 = net.loss(x, y)
    lr = 1e-3
    got = net.step(x, y, SGD(lr, lr_mult=lr_mult))
    assert got == pytest.approx(loss0, rel=1e-14)
    for name, p in net.named_parameters():
        step = (p - before[name]) / (-lr * lr_mult[name])
        assert_grad(fd[name], step, name)
    # the loss is PyTorch's MSELoss (mean over batch and outputs)
    net2 = _train_net(act, bias, mult)
    out = net2.forward(x)
    assert net2.loss(x, y) == pytest.approx(float(np.mean((out - y) ** 2)), rel=1e-14)


def test_readout_multiplier_scales_the_last_layer_input() -> None:
    """z^L = (alpha h) W + b, MuReadout's place for the multiplier; backward consistent."""
    a = _train_net("tanh", True, 1.0)
    b = _train_net("tanh", True, 0.25)
    x = np.random.default_rng(0).standard_normal((4, 5))
    out_a, out_b = a.forward(x), b.forward(x)
    assert a.biases is not None and b.biases is not None
    np.testing.assert_allclose(out_b - b.biases[-1], 0.25 * (out_a - a.biases[-1]),
                               rtol=1e-13)
    g = np.ones_like(out_a)
    ga, gb = a.backward(g), b.backward(g)
    np.testing.assert_allclose(gb.dW[-1], 0.25 * ga.dW[-1], rtol=1e-13)
    np.testing.assert_allclose(gb.dh[-2], 0.25 * ga.dh[-2], rtol=1e-13)
    np.testing.assert_allclose(gb.db[-1], ga.db[-1], rtol=1e-13)  # type: ignore[index]
    assert "readout_multiplier=0.25" in repr(b) and b.readout_multiplier == 0.25
    with pytest.raises(ValueError, match=r"MLP\.probe: readout_multiplier=0\.25"):
        b.probe(x)
    with pytest.raises(ValueError, match=r"MLP\.trials: readout_multiplier"):
        b.trials(x, 2)


def test_coordinates_match_numpy() -> None:
    net = MLP([5, 7, 3], activation=["relu", "linear"], bias=True, bias_init=BIAS_INIT,
              readout_multiplier=0.5, dtype=np.float64, rng=1)
    x = np.random.default_rng(2).standard_normal((9, 5))
    assert net.biases is not None
    z1 = x @ net.weights[0] + net.biases[0]
    z2 = 0.5 * (np.maximum(z1, 0) @ net.weights[1]) + net.biases[1]
    np.testing.assert_allclose(net.coordinates(x), [np.abs(z1).mean(), np.abs(z2).mean()],
                               rtol=1e-13)
    np.testing.assert_allclose(net.coordinates(x, of="act"),
                               [np.maximum(z1, 0).mean(), np.abs(z2).mean()], rtol=1e-13)


def test_named_parameters_are_the_networks_arrays() -> None:
    net = MLP([3, 4, 2], bias=True, rng=0)
    named = dict(net.named_parameters())
    assert list(named) == ["layer1.weight", "layer1.bias", "layer2.weight", "layer2.bias"]
    assert named["layer2.weight"] is net.weights[1]
    assert net.biases is not None and named["layer1.bias"] is net.biases[0]
    assert [n for n, _ in MLP([3, 4, 2], rng=0).named_parameters()] == [
        "layer1.weight", "layer2.weight"]


def test_step_trains_and_needs_a_new_forward_for_backward() -> None:
    net = MLP([4, 16, 1], activation=["tanh", "linear"], bias=True, rng=0)
    x = np.random.default_rng(1).standard_normal((32, 4)).astype(np.float32)
    y = np.sin(x[:, :1])
    opt = Adam(1e-2)
    losses = [net.step(x, y, opt) for _ in range(100)]
    assert losses[-1] < 0.1 * losses[0] and opt.steps == 100
    assert net.weights[0].dtype == np.float32
    with pytest.raises(RuntimeError, match="forward"):
        net.backward(np.ones((32, 1)))


def _torch_reference(net: MLP, x: np.ndarray, y: np.ndarray, lr: float,
                     lr_mult: dict[str, float], steps: int, torch: Any) -> list[np.ndarray]:
    """The same network and steps in PyTorch: torch.optim.Adam, one group per parameter."""
    params = [torch.tensor(p.copy(), requires_grad=True) for _, p in net.named_parameters()]
    names = [n for n, _ in net.named_parameters()]
    groups = [{"params": [p], "lr": lr * lr_mult.get(n, 1.0)}
              for n, p in zip(names, params, strict=True)]
    opt = torch.optim.Adam(groups, lr=lr, foreach=False)
    xt, yt = torch.tensor(x), torch.tensor(y)
    per = 2 if net.bias else 1
    for _ in range(steps):
        opt.zero_grad()
        h = xt
        for k in range(net.depth):
            w = params[per * k]
            if k == net.depth - 1:
                h = h * net.readout_multiplier
            h = h @ w
            if net.bias:
                h = h + params[per * k + 1]
            if k < net.depth - 1:
                h = torch.tanh(h)
        loss = torch.nn.functional.mse_loss(h, yt)
        loss.backward()
        opt.step()
    return [p.detach().numpy() for p in params]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_adam_matches_torch_optim_adam(dtype: Any) -> None:
    """Five Adam steps of the whole network (forward, MSE, backward, update) equal
    torch.optim.Adam's on the same weights, per-parameter learning rates included."""
    torch = pytest.importorskip("torch")
    net = _train_net("tanh", True, 0.5, dtype)
    gen = np.random.default_rng(7)
    x = gen.standard_normal((8, 5)).astype(dtype)
    y = gen.standard_normal((8, 3)).astype(dtype)
    lr_mult = {"layer2.weight": 0.25, "layer3.bias": 2.0}
    want = _torch_reference(net, x, y, 1e-2, lr_mult, 5, torch)
    opt = Adam(1e-2, lr_mult=lr_mult)
    for _ in range(5):
        net.step(x, y, opt)
    rtol = 1e-12 if dtype == np.float64 else 2e-5
    for (name, p), w in zip(net.named_parameters(), want, strict=True):
        np.testing.assert_allclose(p, w, rtol=rtol, atol=rtol, err_msg=name)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", ["adam", "sgd", "sgd_momentum"])
def test_optimizers_match_torch_on_the_same_gradients(kind: str, dtype: Any) -> None:
    """The update alone, fed the same gradient sequence: equal to torch.optim up to the
    rounding of fused operations."""
    torch = pytest.importorskip("torch")
    gen = np.random.default_rng(11)
    p0 = gen.standard_normal((6, 5)).astype(dtype)
    grads = [gen.standard_normal((6, 5)).astype(dtype) * 10.0 ** -k for k in range(6)]
    ours = {"w": p0.copy()}
    theirs = torch.tensor(p0.copy(), requires_grad=True)
    if kind == "adam":
        opt: SGD | Adam = Adam(3e-3, betas=(0.8, 0.99), eps=1e-7, lr_mult={"w": 0.5})
        ref = torch.optim.Adam([theirs], lr=3e-3 * 0.5, betas=(0.8, 0.99), eps=1e-7,
                               foreach=False)
    else:
        mom = 0.9 if kind == "sgd_momentum" else 0.0
        opt = SGD(0.1, momentum=mom, lr_mult={"w": 0.5})
        ref = torch.optim.SGD([theirs], lr=0.1 * 0.5, momentum=mom, foreach=False)
    for g in grads:
        opt.update(ours, {"w": g})
        theirs.grad = torch.tensor(g)
        ref.step()
    got, want = ours["w"], theirs.detach().numpy()
    # PyTorch's CPU kernels may fuse a multiply and an add (one rounding less per step):
    # a few units in the last place of the largest entry
    ulp = float(np.spacing(np.abs(want).max()))
    assert np.max(np.abs(got - want)) <= 16 * ulp, np.max(np.abs(got - want)) / ulp


def test_adam_first_step_is_lr_times_sign_and_bias_correction() -> None:
    p = {"w": np.zeros(3)}
    opt = Adam(0.1)
    g = np.array([2.0, -3.0, 0.5])
    opt.update(p, {"w": g})
    np.testing.assert_allclose(p["w"], -0.1 * g / (np.abs(g) + 1e-8), rtol=1e-15)
    opt.update(p, {"w": g})  # the same gradient again: bias correction keeps the step lr
    np.testing.assert_allclose(p["w"], -0.2 * g / (np.abs(g) + 1e-8), rtol=1e-12)
    assert opt.steps == 2
    opt.reset()
    assert opt.steps == 0


TRAIN_BAD = [
    (lambda net, x, y: net.step(x, y, "adam"), TypeError, "MLP.step: optimizer='adam'"),
    (lambda net, x, y: net.step(x, y[:, :1], Adam()), ValueError, "MLP.step: target="),
    (lambda net, x, y: net.step(x[:, :2], y, Adam()), ValueError, "MLP.step: x="),
    (lambda net, x, y: net.step(x, y, Adam(lr_mult={"fc.weight": 2.0})), ValueError,
     "Adam: lr_mult="),
    (lambda net, x, y: net.loss(x, y.astype(str)), TypeError, "MLP.loss: target="),
    (lambda net, x, y: net.coordinates(x, of="post"), ValueError, "MLP.coordinates: of="),
    (lambda net, x, y: Adam(-1.0), ValueError, "Adam: lr=-1.0"),
    (lambda net, x, y: Adam(betas=(0.9, 1.0)), ValueError, "Adam: betas[1]=1.0"),
    (lambda net, x, y: Adam(betas=0.9), TypeError, "Adam: betas=0.9"),
    (lambda net, x, y: Adam(eps=-1e-8), ValueError, "Adam: eps="),
    (lambda net, x, y: SGD(0.1, momentum=1.5), ValueError, "SGD: momentum=1.5"),
    (lambda net, x, y: SGD(0.1, lr_mult=[1.0]), TypeError, "SGD: lr_mult="),
    (lambda net, x, y: SGD(0.1, lr_mult={"a": -1.0}), ValueError, "SGD: lr_mult['a']"),
    (lambda net, x, y: MLP([2, 2], readout_multiplier="x"), TypeError,
     "MLP: readout_multiplier='x'"),
]


@pytest.mark.parametrize(("call", "exc", "words"), TRAIN_BAD,
                         ids=[w.split("=")[0] for _, _, w in TRAIN_BAD])
def test_training_bad_arguments_leave_the_weights_unchanged(call: Any, exc: type[Exception],
                                                            words: str) -> None:
    net = _train_net("tanh", True, 0.5)
    before = [p.copy() for _, p in net.named_parameters()]
    x = np.ones((4, 5))
    y = np.ones((4, 3))
    with pytest.raises(exc) as info:
        call(net, x, y)
    assert words in str(info.value)
    for (_, p), b in zip(net.named_parameters(), before, strict=True):
        assert np.array_equal(p, b)


def test_optimizer_refuses_other_parameters_after_the_first_step() -> None:
    opt = Adam(0.1)
    opt.update({"w": np.zeros(3)}, {"w": np.ones(3)})
    p = {"w": np.zeros(4)}
    with pytest.raises(ValueError, match=r"Adam\.update: params"):
        opt.update(p, {"w": np.ones(4)})
    assert (p["w"] == 0).all()
    with pytest.raises(ValueError, match=r"Adam\.update: grads"):
        opt.update({"w": np.zeros(3)}, {"v": np.ones(3)})
    assert "Adam(lr=0.1" in repr(opt) and "momentum=0.9" in repr(SGD(1.0, momentum=0.9))
