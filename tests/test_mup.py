"""Tests of initlab.mup against the mup package (microsoft/mup 1.0.0, installed for tests).

mup's rules (site-packages/mup): shape.py ``set_base_shapes``/``zip_infshape``; init.py
``constant_std_init_``, ``_inf_fan_adjust_kaiming``, ``_inf_fan_adjust_xavier``; optim.py
``MuAdam``, ``MuSGD``; layer.py ``MuReadout.forward`` (``output_mult * x / width_mult()``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest

import initlab
from initlab.mup import MuPlan, parametrize
from initlab.testing import assert_variance

torch = pytest.importorskip("torch")
mup = pytest.importorskip("mup")
nn = torch.nn

BASE, DELTA = 64, 128
TARGETS = [256, 1024]


class MLP(nn.Module):  # type: ignore[misc]
    def __init__(self, w: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(32, w)
        self.fc2 = nn.Linear(w, w)
        self.readout = mup.MuReadout(w, 10)

    def forward(self, x: Any) -> Any:
        return self.readout(torch.relu(self.fc2(torch.relu(self.fc1(x)))))


class Transformer(nn.Module):  # type: ignore[misc]
    """A small pre-LN transformer: embedding, packed attention, MLP, conv stem, readout."""

    def __init__(self, w: int, vocab: int = 100, heads_dim: int = 16) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, w)
        self.pos = nn.Parameter(torch.zeros(32, w))
        self.stem = nn.Conv1d(8, w, 3)
        self.mix = nn.Conv1d(w, w // 2, 5)  # a hidden convolution (two width dimensions)
        self.blocks = nn.ModuleList()
        for _ in range(2):
            b = nn.Module()
            b.ln1 = nn.LayerNorm(w)
            b.qkv = nn.Linear(w, 3 * w)
            b.proj = nn.Linear(w, w)
            b.ln2 = nn.LayerNorm(w)
            b.fc1 = nn.Linear(w, 4 * w)
            b.fc2 = nn.Linear(4 * w, w)
            self.blocks.append(b)
        self.gate = nn.Parameter(torch.ones(1))
        self.head_bias = nn.Parameter(torch.zeros(heads_dim, 4))
        self.readout = mup.MuReadout(w, vocab, output_mult=2.0)


MODELS: dict[str, Callable[[int], Any]] = {"mlp": MLP, "transformer": Transformer}


@contextmanager
def recorded_std() -> Iterator[dict[int, float]]:
    """Record the std each ``Tensor.normal_``/``uniform_`` call asks for (by tensor id)."""
    seen: dict[int, float] = {}
    normal, uniform = torch.Tensor.normal_, torch.Tensor.uniform_

    def fake_normal(self: Any, mean: float = 0.0, std: float = 1.0, **kw: Any) -> Any:
        seen[id(self)] = float(std)
        return normal(self, mean, std, **kw)

    def fake_uniform(self: Any, a: float = 0.0, b: float = 1.0, **kw: Any) -> Any:
        seen[id(self)] = (float(b) - float(a)) / math.sqrt(12.0)
        return uniform(self, a, b, **kw)

    torch.Tensor.normal_, torch.Tensor.uniform_ = fake_normal, fake_uniform
    try:
        yield seen
    finally:
        torch.Tensor.normal_, torch.Tensor.uniform_ = normal, uniform


# (initlab init, mup.init call) pairs with the same standard-parametrization distribution
INITS: list[tuple[str, object, Callable[[Any], Any]]] = [
    ("kaiming_normal", None, lambda p: mup.init.kaiming_normal_(p)),
    ("kaiming_uniform_fan_out", initlab.KaimingUniform(mode="fan_out", nonlinearity="relu"),
     lambda p: mup.init.kaiming_uniform_(p, mode="fan_out", nonlinearity="relu")),
    ("kaiming_normal_fan_out", initlab.KaimingNormal(mode="fan_out"),
     lambda p: mup.init.kaiming_normal_(p, mode="fan_out")),
    ("xavier_uniform", initlab.XavierUniform(), lambda p: mup.init.xavier_uniform_(p)),
    ("xavier_normal_gain", initlab.XavierNormal(gain=2.0),
     lambda p: mup.init.xavier_normal_(p, gain=2.0)),
    ("normal_0.02", initlab.Normal(std=0.02), lambda p: mup.init.normal_(p, std=0.02)),
    ("uniform", initlab.Uniform(low=-0.1, high=0.1), lambda p: mup.init.uniform_(p, -0.1, 0.1)),
]


def mup_model(kind: str, width: int) -> Any:
    model = MODELS[kind](width)
    mup.set_base_shapes(model, MODELS[kind](BASE), delta=MODELS[kind](DELTA))
    return model


@pytest.mark.parametrize("width", TARGETS)
@pytest.mark.parametrize("kind", list(MODELS))
@pytest.mark.parametrize(("name", "init", "reinit"), INITS, ids=[i[0] for i in INITS])
def test_init_std_equals_mup(kind: str, width: int, name: str, init: object,
                             reinit: Callable[[Any], Any]) -> None:
    model = mup_model(kind, width)
    with recorded_std() as seen:
        for _, p in model.named_parameters():
            if p.dim() >= 2:
                reinit(p)
    plan = parametrize(model, MODELS[kind](BASE), delta=MODELS[kind](DELTA),
                       readout="readout.weight", init=init)
    checked = 0
    for path, p in model.named_parameters():
        if p.dim() < 2:
            assert plan[path].std is None and plan[path].init is None
            continue
        assert plan[path].std == pytest.approx(seen[id(p)], rel=1e-12, abs=0), path
        # the rule's initializer draws exactly that std
        rule = plan.rules()[path]
        mean, second = initlab.expected_moments(rule, tuple(p.shape))
        assert math.sqrt(second - mean ** 2) == pytest.approx(seen[id(p)], rel=1e-9), path
        checked += 1
    assert checked >= 3


@pytest.mark.parametrize("width", TARGETS)
@pytest.mark.parametrize("kind", list(MODELS))
def test_learning_rates_and_weight_decay_equal_mup(kind: str, width: int) -> None:
    model = mup_model(kind, width)
    plan = parametrize(model, MODELS[kind](BASE), delta=MODELS[kind](DELTA),
                       readout="readout.weight")
    names = {id(p): n for n, p in model.named_parameters()}
    for opt_name, opt_cls in (("adam", mup.MuAdam), ("adamw", mup.MuAdamW),
                              ("sgd", mup.MuSGD)):
        opt = opt_cls(model.parameters(), lr=0.01, weight_decay=0.1)
        theirs = {names[id(p)]: (g["lr"], g["weight_decay"])
                  for g in opt.param_groups for p in g["params"]}
        mults = plan.lr_multipliers(opt_name)
        assert set(mults) == set(theirs)
        ours = {names[id(p)]: (g["lr"], g["weight_decay"])
                for g in plan.param_groups(model, 0.01, weight_decay=0.1, optimizer=opt_name)
                for p in g["params"]}
        for path, (lr, wd) in theirs.items():
            assert 0.01 * mults[path] == pytest.approx(lr, rel=1e-12), (opt_name, path)
            assert ours[path][0] == pytest.approx(lr, rel=1e-12), (opt_name, path)
            assert ours[path][1] == pytest.approx(wd, rel=1e-12), (opt_name, path)


@pytest.mark.parametrize("width", TARGETS)
@pytest.mark.parametrize("kind", list(MODELS))
def test_readout_multiplier_equals_mup(kind: str, width: int) -> None:
    model = mup_model(kind, width)
    plan = parametrize(model, MODELS[kind](BASE), delta=MODELS[kind](DELTA),
                       readout="readout.weight", output_mult=model.readout.output_mult)
    assert plan.output_multiplier == model.readout.output_mult / model.readout.width_mult()
    assert plan["readout.weight"].kind == "output"
    x = torch.randn(5, width)
    plain = torch.nn.functional.linear(x * plan.output_multiplier, model.readout.weight,
                                       model.readout.bias)
    torch.testing.assert_close(model.readout(x), plain)


def test_frameworks_md_measured_numbers() -> None:
    """frameworks.md: base 64, delta 128, target 1024 MLP, lr 0.01, normal_(std=0.02)."""
    def shapes(w: int) -> dict[str, tuple[int, ...]]:
        return {"fc1.weight": (w, 32), "fc1.bias": (w,), "fc2.weight": (w, w),
                "fc2.bias": (w,), "readout.weight": (10, w), "readout.bias": (10,)}

    plan = parametrize(shapes(1024), shapes(64), delta=shapes(128), readout="readout.weight",
                       init=initlab.Normal(std=0.02))
    assert plan.lr_multipliers("adam") == {k: (1 / 16 if k == "fc2.weight" else 1.0)
                                           for k in shapes(1)}
    assert plan.lr_multipliers("sgd") == {"fc1.weight": 16.0, "fc1.bias": 16.0,
                                          "fc2.weight": 1.0, "fc2.bias": 16.0,
                                          "readout.weight": 16.0, "readout.bias": 1.0}
    assert plan.output_multiplier == 1 / 16
    assert [plan[k].std for k in ("fc1.weight", "fc2.weight", "readout.weight")] == \
        pytest.approx([0.02, 0.005, 0.02], rel=1e-12)
    assert [plan[k].kind for k in shapes(1)] == ["input", "vector", "hidden", "vector",
                                                 "output", "scalar"]


def test_without_delta_every_differing_dim_is_width() -> None:
    plan = parametrize({"w": (256, 128), "b": (10, 3)}, {"w": (64, 64), "b": (10, 3)})
    assert plan["w"].infinite == (True, True) and plan["b"].infinite == (False, False)
    assert plan["w"].width_mult == 2.0 and plan["w"].lr_sgd == 2.0  # m_out/m_in = 4/2


def test_in_out_layout_equals_torch_layout() -> None:
    def torch_shapes(w: int) -> dict[str, tuple[int, ...]]:
        return {"a": (w, 32), "b": (w, w), "c": (w, 2 * w, 3, 3), "r": (10, w)}

    def jax_shapes(w: int) -> dict[str, tuple[int, ...]]:
        return {"a": (32, w), "b": (w, w), "c": (3, 3, 2 * w, w), "r": (w, 10)}

    for init in (None, initlab.XavierNormal(), initlab.KaimingUniform(mode="fan_out")):
        t = parametrize(torch_shapes(512), torch_shapes(64), readout="r", init=init)
        j = parametrize(jax_shapes(512), jax_shapes(64), readout="r", init=init,
                        layout="in_out")
        for pt, pj in zip(t, j, strict=True):
            assert (pt.kind, pt.width_mult, pt.lr_adam, pt.lr_sgd) == \
                (pj.kind, pj.width_mult, pj.lr_adam, pj.lr_sgd)
            assert pt.std == pytest.approx(pj.std, rel=1e-12)
        assert t.output_multiplier == j.output_multiplier == 1 / 8


@pytest.mark.parametrize("width", [256, 1024, 4096])
def test_spectral(width: int) -> None:
    def shapes(w: int) -> dict[str, tuple[int, ...]]:
        return {"inp": (w, 32), "hid": (w, w), "wide": (4 * w, w), "out": (10, w), "b": (w,)}

    plan = parametrize(shapes(width), shapes(BASE), parametrization="spectral",
                       readout="out")
    for path, (fan_out, fan_in) in {"inp": (width, 32), "hid": (width, width),
                                    "wide": (4 * width, width), "out": (10, width)}.items():
        sigma = 1 / math.sqrt(fan_in) * min(1.0, math.sqrt(fan_out / fan_in))
        assert plan[path].std == pytest.approx(sigma, rel=1e-12)
        assert plan.rules()[path] == initlab.Normal(std=sigma)
    m = width / BASE
    assert plan["hid"].lr_adam == pytest.approx(1 / m) and plan["hid"].lr_sgd == 1.0
    assert plan["inp"].lr_adam == 1.0 and plan["inp"].lr_sgd == pytest.approx(m)
    assert plan["out"].lr_adam == pytest.approx(1 / m)
    assert plan["out"].lr_sgd == pytest.approx(1 / m)
    assert plan["b"].std is None and plan.output_multiplier == 1.0


@pytest.mark.parametrize("parametrization", ["mup", "spectral"])
def test_json_round_trip_loses_nothing(parametrization: str) -> None:
    model = Transformer(256)
    init = initlab.XavierUniform() if parametrization == "mup" else None
    plan = parametrize(model, Transformer(BASE), delta=Transformer(DELTA),
                       readout="readout.weight", optimizer="sgd", init=init,
                       parametrization=parametrization, output_mult=2.0)
    text = plan.to_json()
    back = MuPlan.from_json(text)
    assert back == plan and back.to_json() == text
    assert list(back) == list(plan)
    for attr in ("parametrization", "optimizer", "readout", "output_mult", "output_multiplier",
                 "layout"):
        assert getattr(back, attr) == getattr(plan, attr)
    assert back.rules() == plan.rules() and back.lr_multipliers() == plan.lr_multipliers()
    edited = json.loads(text)
    edited["params"][0]["lr_adam"] = 3.0
    with pytest.raises(ValueError, match="config"):
        MuPlan.from_config(edited)


def test_rules_apply_and_protocol() -> None:
    model = mup_model("mlp", 1024)
    plan = parametrize(model, MLP(BASE), delta=MLP(DELTA), readout="readout.weight")
    assert isinstance(plan, initlab.plan.RuleSource)
    default, rules = plan.as_rules()
    assert default is None and list(rules) == ["fc1.weight", "fc2.weight", "readout.weight"]
    matcher = initlab.Rules("test", rules)
    for name, p in model.named_parameters():
        rule = matcher.match(name)
        if rule is None:
            continue
        values = rule.init(tuple(p.shape), dtype=np.float32, rng=initlab.seed_for(0, name))
        assert_variance(values, plan[name].std ** 2)
    assert "hidden" in str(plan) and "MuPlan" in repr(plan)
    odd = parametrize({"a.*[x]?": (8, 8), "a.b[x]c": (8, 8)}, {"a.*[x]?": (4, 4),
                                                              "a.b[x]c": (4, 4)})
    matcher = initlab.Rules("test", odd.rules())
    assert matcher.match("a.b[x]c").key != matcher.match("a.*[x]?").key  # paths are literal


def _shapes(**kw: tuple[int, ...]) -> dict[str, tuple[int, ...]]:
    return dict(kw)


BAD: list[tuple[str, Callable[[], object], type[Exception], str]] = [
    ("non-width-dim-differs", lambda: parametrize(
        _shapes(w=(256, 16)), _shapes(w=(64, 32)), delta=_shapes(w=(128, 32))),
     ValueError, "target"),
    ("readout-not-a-parameter", lambda: parametrize(
        _shapes(w=(256, 256)), _shapes(w=(64, 64)), readout="head"), ValueError, "readout"),
    ("readout-module-name", lambda: parametrize(
        {"head.weight": (10, 256)}, {"head.weight": (10, 64)}, readout="head"),
     ValueError, "head.weight"),
    ("readout-no-width-fan-in", lambda: parametrize(
        _shapes(w=(256, 10)), _shapes(w=(64, 10)), readout="w"), ValueError, "readout"),
    ("readout-type", lambda: parametrize(_shapes(w=(2, 2)), _shapes(w=(2, 2)), readout=3),
     TypeError, "readout"),
    ("paths-differ", lambda: parametrize(_shapes(a=(2, 2)), _shapes(b=(2, 2))), ValueError,
     "target"),
    ("delta-paths", lambda: parametrize(_shapes(a=(2, 2)), _shapes(a=(2, 2)),
                                        delta=_shapes(b=(2, 2))), ValueError, "delta"),
    ("rank-differs", lambda: parametrize(_shapes(a=(2, 2, 1)), _shapes(a=(2, 2))),
     ValueError, "target"),
    ("three-width-dims", lambda: parametrize(_shapes(a=(4, 4, 4)), _shapes(a=(2, 2, 2))),
     ValueError, "width dimensions"),
    ("init-orthogonal", lambda: parametrize(_shapes(a=(4, 4)), _shapes(a=(2, 2)),
                                            init=initlab.Orthogonal()), TypeError, "init"),
    ("init-spectral", lambda: parametrize(_shapes(a=(4, 4)), _shapes(a=(2, 2)),
                                          init=initlab.Normal(), parametrization="spectral"),
     ValueError, "init"),
    ("init-mean-hidden", lambda: parametrize(_shapes(a=(4, 4)), _shapes(a=(2, 2)),
                                             init=initlab.Normal(mean=1.0)), ValueError,
     "init"),
    ("optimizer", lambda: parametrize(_shapes(a=(4, 4)), _shapes(a=(2, 2)),
                                      optimizer="rmsprop"), ValueError, "optimizer"),
    ("parametrization", lambda: parametrize(_shapes(a=(4, 4)), _shapes(a=(2, 2)),
                                            parametrization="ntk"), ValueError,
     "parametrization"),
    ("target-type", lambda: parametrize([(4, 4)], _shapes(a=(2, 2))), TypeError, "target"),
    ("shape-type", lambda: parametrize(_shapes(a="4x4"), _shapes(a=(2, 2))), TypeError,
     "target"),
    ("groups-model-mismatch", lambda: parametrize(MLP(256), MLP(64)).param_groups(
        MLP(512), 0.01), ValueError, "model"),
    ("groups-not-a-model", lambda: parametrize(MLP(256), MLP(64)).param_groups(
        {"fc1.weight": (2, 2)}, 0.01), TypeError, "model"),
    ("groups-lr", lambda: parametrize(MLP(256), MLP(64)).param_groups(MLP(256), -1.0),
     ValueError, "lr"),
    ("zero-base-width", lambda: parametrize(_shapes(a=(4, 4)), _shapes(a=(0, 4))),
     ValueError, "base"),
    ("plan-path", lambda: parametrize(_shapes(a=(4, 4)), _shapes(a=(2, 2)))["b"], KeyError,
     "path"),
]


@pytest.mark.parametrize(("call", "exc", "word"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input(call: Callable[[], object], exc: type[Exception], word: str) -> None:
    with pytest.raises(exc, match=word):
        call()


def test_parameter_trees_read_as_slash_joined_paths():
    """A nested mapping of arrays (a Flax/JAX parameter tree) gives the plan of the flat
    mapping of its '/'-joined paths (the paths initlab.jax.init_params uses)."""
    def tree(w):
        return {"params": {"Dense_0": {"kernel": np.zeros((32, w)), "bias": np.zeros(w)},
                           "Dense_1": {"kernel": np.zeros((w, w)), "bias": np.zeros(w)},
                           "Dense_2": {"kernel": np.zeros((w, 10)), "bias": np.zeros(10)}}}

    def flat(w):
        return {f"params/{layer}/{name}": a.shape
                for layer, d in tree(w)["params"].items() for name, a in d.items()}

    args = {"readout": "params/Dense_2/kernel", "layout": "in_out"}
    from_tree = initlab.mup.parametrize(tree(1024), tree(64), delta=tree(128), **args)
    from_flat = initlab.mup.parametrize(flat(1024), flat(64), delta=flat(128), **args)
    assert from_tree == from_flat
    assert from_tree.output_multiplier == 1 / 16
    with pytest.raises(TypeError, match=r"parametrize: target\[.*params/Dense_0/kernel"):
        initlab.mup.parametrize({"params": {"Dense_0": {"kernel": "x"}}}, flat(64))
