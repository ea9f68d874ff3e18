"""Tests of initlab.torch.probe, initlab.torch.lsuv_ and ModuleReport (issue 11)."""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import initlab  # noqa: E402
import initlab.torch as it  # noqa: E402

nn = torch.nn


# --------------------------------------------------------------------------------------------
# models and a hand-written hooks computation


def tanh_mlp(depth: int = 5, width: int = 32, nested: bool = False, seed: int = 0) -> Any:
    torch.manual_seed(seed)
    blocks = [nn.Sequential(nn.Linear(width, width), nn.Tanh()) for _ in range(depth)]
    if nested:
        return nn.Sequential(*blocks)
    return nn.Sequential(*[layer for b in blocks for layer in b])


class Block(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(c)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x: Any) -> Any:
        return x + self.conv2(self.relu(self.bn(self.conv1(x))))


def resnet(seed: int = 0) -> Any:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(),
        nn.Sequential(Block(8), Block(8)),
        nn.Conv2d(8, 16, 3, stride=2, padding=1),
        nn.Sequential(Block(16)),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))


def var64(t: Any) -> float:
    return float(t.detach().double().var(unbiased=False))


def hand_stats(model: Any, x: Any, paths: list[str], seed: int, axis: int = -1,
               *, no_inplace: bool = False) -> dict[str, dict[str, float]]:
    """Forward/tensor hooks that keep every activation, then the statistics in float64."""
    model = copy.deepcopy(model)
    if no_inplace:
        for m in model.modules():
            if hasattr(m, "inplace"):
                m.inplace = False
    mods = dict(model.named_modules())
    outs: dict[str, Any] = {}
    grads: dict[str, Any] = {}

    def fwd(name: str) -> Any:
        def hook(m: Any, a: Any, o: Any) -> None:
            outs[name] = o.detach().double().clone()
            o.register_hook(lambda g: grads.__setitem__(name, g.detach().double().clone()))
        return hook

    handles = [mods[p].register_forward_hook(fwd(p)) for p in paths]
    y = model(x)
    up = np.random.default_rng(seed).standard_normal(tuple(y.shape), dtype=np.float32)
    y.backward(torch.from_numpy(up))
    for h in handles:
        h.remove()
    res = {}
    for p in paths:
        o = outs[p]
        ax = axis % o.ndim
        other = [d for d in range(o.ndim) if d != ax]
        ch_mean = o.mean(dim=other)
        w = getattr(mods[p], "weight", None)
        res[p] = {
            "out_mean": float(o.mean()), "out_std": float(o.std(unbiased=False)),
            "ch_sq_mean": float((ch_mean ** 2).mean()),
            "ch_var": float(o.var(dim=other, unbiased=False).mean()),
            "grad_out_var": var64(grads[p]),
            "w_std": math.sqrt(var64(w)) if w is not None else math.nan,
            "dw_var": var64(w.grad) if w is not None else math.nan,
        }
    return res


def assert_rows(rep: Any, expected: dict[str, dict[str, float]]) -> None:
    assert rep["module"].tolist() == list(expected)
    for i, (path, stats) in enumerate(expected.items()):
        for col, want in stats.items():
            got = float(rep[col][i])
            if math.isnan(want):
                assert math.isnan(got), (path, col)
            else:
                assert got == pytest.approx(want, rel=1e-5, abs=1e-14), (path, col, got, want)


def snapshot(model: Any) -> dict[str, Any]:
    return {
        "state": {k: v.detach().clone() for k, v in model.state_dict(keep_vars=True).items()},
        "flags": [p.requires_grad for p in model.parameters()],
        "grads": [(p.grad, None if p.grad is None else p.grad.clone())
                  for p in model.parameters()],
        "modes": [m.training for m in model.modules()],
        "rng": torch.random.get_rng_state().clone(),
    }


def assert_unchanged(model: Any, snap: dict[str, Any], *, params: bool = True) -> None:
    now = model.state_dict(keep_vars=True)
    for k, v in snap["state"].items():
        if params or not isinstance(now[k], nn.Parameter):
            assert torch.equal(now[k].detach(), v), k
            assert now[k].dtype == v.dtype
    assert [p.requires_grad for p in model.parameters()] == snap["flags"]
    for p, (ref, val) in zip(model.parameters(), snap["grads"], strict=True):
        assert p.grad is ref
        if val is not None:
            assert torch.equal(p.grad, val)
    assert [m.training for m in model.modules()] == snap["modes"]
    assert torch.equal(torch.random.get_rng_state(), snap["rng"])
    for m in model.modules():
        assert not m._forward_hooks and not m._forward_pre_hooks
        assert not m._backward_hooks


# --------------------------------------------------------------------------------------------
# probe: values


@pytest.mark.parametrize("nested", [False, True], ids=["flat", "blocks"])
def test_mlp_rows_equal_hand_written_hooks(nested: bool) -> None:
    model = tanh_mlp(nested=nested)
    x = torch.randn(64, 32, generator=torch.Generator().manual_seed(1))
    rep = it.probe(model, x, rng=3)
    if nested:
        paths = [p for i in range(5) for p in (f"{i}.0", str(i))]
    else:
        paths = [str(2 * i) for i in range(5)]
    assert_rows(rep, hand_stats(model, x, paths, 3))
    assert rep.columns == tuple(it.PROBE_COLUMNS)
    assert rep["kind"].tolist()[:1] == ["Linear"]


def test_resnet_channel_statistics_on_nchw() -> None:
    model = resnet()
    x = torch.randn(6, 3, 12, 12, generator=torch.Generator().manual_seed(2))
    rep = it.probe(model, x, rng=5)
    paths = rep["module"].tolist()
    assert paths[:6] == ["0", "2.0.conv1", "2.0.bn", "2.0.conv2", "2.0", "2.1.conv1"]
    assert paths[-1] == "7" and "2" in paths            # the Linear head, a stage
    nchw = [p for p in paths if p != "7"]
    # conv-shaped outputs use channel axis 1; the ReLU(inplace=True) after bn is undone
    # in the reference so that the gradient with respect to bn's returned value is kept
    hand = hand_stats(model, x, nchw, 5, axis=1, no_inplace=True)
    rows = {p: i for i, p in enumerate(paths)}
    for p, stats in hand.items():
        for col in ("out_mean", "out_std", "ch_sq_mean", "ch_var", "grad_out_var", "dw_var"):
            got, want = float(rep[col][rows[p]]), stats[col]
            if math.isnan(want):
                assert math.isnan(got)
            else:
                assert got == pytest.approx(want, rel=1e-5, abs=1e-14), (p, col)
    head = hand_stats(model, x, ["7"], 5, axis=-1)["7"]
    assert float(rep["ch_var"][rows["7"]]) == pytest.approx(head["ch_var"], rel=1e-5)


def test_channel_axis_override_and_modules_selection() -> None:
    model = resnet()
    x = torch.randn(4, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    rep = it.probe(model, x, rng=0, modules=["2.0.conv1", model[0]], channel_axis=-1)
    assert rep["module"].tolist() == ["0", "2.0.conv1"]
    hand = hand_stats(model, x, ["0", "2.0.conv1"], 0, axis=-1)
    assert float(rep["ch_var"][1]) == pytest.approx(hand["2.0.conv1"]["ch_var"], rel=1e-5)


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_streaming_moments_match_direct_computation(monkeypatch: Any, dtype: str) -> None:
    from initlab.torch import _hooks

    monkeypatch.setattr(_hooks, "CHUNK", 7)          # half dtypes: many uneven chunks
    t = (torch.randn(5, 6, 3, 4, generator=torch.Generator().manual_seed(0)) * 3 + 100
         ).to(getattr(torch, dtype))
    m = _hooks.Moments()
    m.add(t, 1)
    m.add(t[:2] * 2, 1)                             # a second call is pooled
    both = torch.cat([t, t[:2] * 2]).double()
    # float32 on the CPU: one float64-accumulated reduction per call, rounded to float32;
    # half dtypes: float64 chunks
    rel = 1e-7 if dtype == "float32" else 1e-12
    sq, cv = m.channel_stats()
    assert sq == pytest.approx(float((both.mean(dim=(0, 2, 3)) ** 2).mean()), rel=rel)
    assert cv == pytest.approx(float(both.var(dim=(0, 2, 3), unbiased=False).mean()), rel=rel)
    assert m.variance() == pytest.approx(float(both.var(unbiased=False)), rel=rel)
    flat = _hooks.Moments()
    flat.add_flat(both.to(t.dtype))
    assert flat.variance() == pytest.approx(float(both.var(unbiased=False)), rel=rel)


class Tiny(nn.Module):
    """Token ids in, a dict of tensors out (a transformer block between)."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(50, 16)
        self.blocks = nn.ModuleList(
            [nn.TransformerEncoderLayer(16, 2, 32, dropout=0.1, batch_first=True)
             for _ in range(2)])
        self.head = nn.Linear(16, 50)

    def forward(self, ids: Any, scale: Any) -> Any:
        h = self.emb(ids) * scale
        for b in self.blocks:
            h = b(h)
        return {"logits": self.head(h), "hidden": h, "ids": ids}


def test_token_ids_tuple_input_dict_output_and_target() -> None:
    torch.manual_seed(0)
    model = Tiny()
    ids = torch.randint(0, 50, (3, 7), generator=torch.Generator().manual_seed(0))
    x = (ids, torch.ones(()))
    snap = snapshot(model)
    rep = it.probe(model, x, rng=0)
    assert_unchanged(model, snap)
    paths = rep["module"].tolist()
    assert paths[0] == "emb" and "blocks.0" in paths and "blocks.0.self_attn" in paths
    assert paths[-1] == "head"
    assert "blocks.0.self_attn.out_proj" in rep.meta["not_run"]   # MHA uses its weight
    assert np.all(np.isfinite(rep["grad_out_var"]))
    has_weight = np.isfinite(rep["w_std"])             # not MHA (in_proj_weight), not blocks
    assert np.all(np.isfinite(rep["dw_var"][has_weight]))
    assert np.all(np.isnan(rep["dw_var"][~has_weight]))
    # the same seed repeats (dropout included), another one does not
    assert it.probe(model, x, rng=0).to_json() == rep.to_json()
    assert it.probe(model, x, rng=1).to_json() != rep.to_json()
    labels = torch.randint(0, 50, (3, 7), generator=torch.Generator().manual_seed(1))
    ce = it.probe(model, x, rng=0, target=labels)
    assert ce.meta["loss"] == "cross_entropy" and ce.meta["grad"] is None
    # mean cross-entropy over 21 tokens: the head's output gradient is (softmax - onehot)/21
    assert 0 < float(ce["grad_out_var"][-1]) < 1 / 21 ** 2
    assert_unchanged(model, snap)


def test_mse_target_and_sum_gradient() -> None:
    model = tanh_mlp(2)
    x = torch.randn(16, 32, generator=torch.Generator().manual_seed(0))
    y = model(x).detach()
    rep = it.probe(model, x, target=y)             # zero loss: zero gradients
    assert rep.meta["loss"] == "mse"
    assert np.all(rep["grad_out_var"] == 0)
    ones = it.probe(model, x, grad="sum", modules=["3"])
    assert float(ones["grad_out_var"][-1]) == 0.0   # dL/dy = 1 everywhere
    fwd = it.probe(model, x, grad=None)
    assert np.all(np.isnan(fwd["grad_out_var"])) and np.all(np.isnan(fwd["dw_var"]))
    assert np.array_equal(fwd["out_std"], it.probe(model, x, rng=0)["out_std"])


def test_model_unchanged_after_probe() -> None:
    model = resnet()
    model.add_module("drop", nn.Dropout(0.5))
    model[2].eval()                                  # a mixed train/eval model
    model[0].weight.requires_grad_(False)            # a frozen layer is measured too
    model[7].weight.grad = torch.full_like(model[7].weight, 3.0)
    x = torch.randn(4, 3, 8, 8)
    snap = snapshot(model)
    rep = it.probe(model, x, rng=0)
    assert_unchanged(model, snap)
    assert math.isfinite(float(rep["dw_var"][0]))   # the frozen conv's weight gradient
    assert rep.meta["training"] is True


# --------------------------------------------------------------------------------------------
# probe: bad input


class Fails(nn.Module):
    """Raises in the middle of its forward pass, after hooked layers have run."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(8, 8)
        self.bn = nn.BatchNorm1d(8)
        self.b = nn.Linear(9, 2)

    def forward(self, x: Any) -> Any:
        return self.b(self.bn(self.a(x)))


FOREIGN = nn.Linear(2, 2)


BAD_PROBE = [
    ("not-a-module", lambda m: it.probe("model", torch.ones(4, 8)), TypeError, "module"),
    ("x-str", lambda m: it.probe(m, "abc"), TypeError, "x="),
    ("x-float64", lambda m: it.probe(m, torch.ones(4, 8, dtype=torch.float64)), TypeError,
     "x="),
    ("x-complex", lambda m: it.probe(m, torch.ones(4, 8, dtype=torch.complex64)), TypeError,
     "x="),
    ("x-empty", lambda m: it.probe(m, torch.ones(0, 8)), ValueError, "x="),
    ("x-shape-in-forward", lambda m: it.probe(m, torch.ones(4, 8)), ValueError, "x="),
    ("modules-unknown", lambda m: it.probe(m, torch.ones(4, 8), modules=["nope"]), ValueError,
     "modules="),
    ("modules-type", lambda m: it.probe(m, torch.ones(4, 8), modules=[3]), TypeError,
     "modules="),
    ("modules-foreign", lambda m: it.probe(m, torch.ones(4, 8), modules=[FOREIGN]),
     ValueError, "modules="),
    ("modules-empty", lambda m: it.probe(m, torch.ones(4, 8), modules=[]), ValueError,
     "modules="),
    ("channel-axis-range", lambda m: it.probe(m, torch.ones(4, 8), channel_axis=2),
     ValueError, "channel_axis="),
    ("channel-axis-type", lambda m: it.probe(m, torch.ones(4, 8), channel_axis=1.0),
     TypeError, "channel_axis="),
    ("grad", lambda m: it.probe(m, torch.ones(4, 8), grad="uniform"), ValueError, "grad="),
    ("rng", lambda m: it.probe(m, torch.ones(4, 8), rng="seed"), TypeError, "rng="),
]


@pytest.mark.parametrize(("case", "call", "exc", "name"), BAD_PROBE,
                         ids=[c[0] for c in BAD_PROBE])
def test_probe_bad_input_names_argument_and_leaves_model(case: str, call: Any, exc: Any,
                                                         name: str) -> None:
    model = Fails()
    model.a.weight.grad = torch.ones(8, 8)
    if case == "channel-axis-range":
        model.b = nn.Linear(8, 2)                    # the forward itself works
    if case.startswith("x-shape"):
        model.b.weight.requires_grad_(False)
    snap = snapshot(model)
    with pytest.raises(exc, match=name):
        call(model)
    assert_unchanged(model, snap)


@pytest.mark.parametrize("target", [torch.ones(4, 3), torch.tensor([0, 1, 2, 9]),
                                    torch.zeros(4, 2, dtype=torch.long), "labels"],
                         ids=["shape", "label-range", "label-shape", "type"])
def test_probe_bad_target(target: Any) -> None:
    model = nn.Sequential(nn.Linear(8, 8), nn.BatchNorm1d(8), nn.Linear(8, 2))
    x = torch.randn(4, 8)
    snap = snapshot(model)
    with pytest.raises((TypeError, ValueError), match="target="):
        it.probe(model, x, target=target)
    assert_unchanged(model, snap)


def test_numpy_inputs_are_converted() -> None:
    model = tanh_mlp(2)
    x = np.random.default_rng(0).standard_normal((8, 32))      # float64 array
    rep = it.probe(model, x, rng=0)
    ref = it.probe(model, torch.from_numpy(x).float(), rng=0)
    assert rep.to_json() == ref.to_json()
    emb = nn.Sequential(nn.Embedding(10, 4), nn.Linear(4, 4))
    assert it.probe(emb, np.arange(6).reshape(2, 3), rng=0).depth == 2


# --------------------------------------------------------------------------------------------
# ModuleReport


def test_report_formats_round_trip_and_plot() -> None:
    model = tanh_mlp(3)
    rep = it.probe(model, torch.randn(16, 32), rng=0)
    back = it.ModuleReport.from_json(rep.to_json())
    assert back.to_json() == rep.to_json() and back.meta == rep.meta
    assert isinstance(back, it.ModuleReport) and isinstance(rep, initlab.engine.Table)
    assert list(json.loads(rep.to_json())) == ["meta", "columns", "types", "descriptions"]
    assert rep.describe_columns()["ch_var"] == it.PROBE_COLUMNS["ch_var"]
    assert json.loads(rep.to_json(indent=1))["columns"]["module"] == ["0", "2", "4"]
    recs = rep.to_records()
    assert recs[0]["module"] == "0" and isinstance(recs[0]["out_std"], float)
    assert rep.table(["module", "out_std"], rows=[1, "4"]).splitlines()[1].split()[0] == "0"
    assert "<table" in rep._repr_html_() and "Linear" in rep._repr_html_()
    assert str(rep).startswith("probe of Sequential")
    with pytest.raises(ValueError, match="text="):
        it.ModuleReport.from_json("garbage")
    with pytest.raises(ValueError, match="columns="):
        rep.table(["nope"])
    with pytest.raises(ValueError, match="rows="):
        rep.table(rows=[9])
    rep.add_column("extra", [1.0, 2.0, None])
    assert math.isnan(float(rep["extra"][2]))
    rep.add_column("infs", [math.inf, -math.inf, math.inf])
    rep.add_column("names", ["inf", "a", "b"])
    back = it.ModuleReport.from_json(rep.to_json())
    assert back["infs"].tolist() == [math.inf, -math.inf, math.inf]
    assert back["names"].tolist() == ["inf", "a", "b"] and math.isnan(back["extra"][2])
    with pytest.raises(ValueError, match="name="):
        rep.add_column("extra", [1, 2, 3])
    with pytest.raises(ValueError, match="more="):
        rep.add_column("more", [1, 2])
    plt = pytest.importorskip("matplotlib.pyplot")
    fig = rep.plot()
    assert len(fig.axes) == 2
    plt.close(fig)
    fig, axes = plt.subplots(1, 2)
    assert rep.plot(ax=axes) is fig
    assert rep.plot(ax=axes[0]) is fig
    with pytest.raises(ValueError, match="ax="):
        rep.plot(ax=[axes[0], axes[1], axes[0]])
    plt.close(fig)


# --------------------------------------------------------------------------------------------
# lsuv_


def output_variances(model: Any, x: Any, kinds: tuple[type, ...] = (nn.Linear, nn.Conv2d),
                     ) -> dict[str, float]:
    out: dict[str, float] = {}

    def hook(path: str) -> Any:
        def record(m: Any, a: Any, o: Any) -> None:
            out.setdefault(path, float(o.detach().double().var(unbiased=False)))
        return record

    handles = [m.register_forward_hook(hook(p))
               for p, m in model.named_modules() if isinstance(m, kinds)]
    with torch.no_grad():
        model(x)
    for h in handles:
        h.remove()
    return out


def test_lsuv_tanh_mlp_20_layers() -> None:
    torch.manual_seed(0)
    layers: list[Any] = []
    for _ in range(20):
        layers += [nn.Linear(64, 64), nn.Tanh()]
    model = nn.Sequential(*layers)
    x = torch.randn(256, 64, generator=torch.Generator().manual_seed(1))
    rep = it.lsuv_(model, x, rng=7)
    assert rep.depth == 20 and set(rep["status"].tolist()) == {"converged"}
    variances = output_variances(model, x)
    assert len(variances) == 20
    for path, v in variances.items():
        assert abs(v - 1) < 0.02, (path, v)
    assert np.allclose(rep["var"], list(variances.values()), rtol=1e-6)
    for path, m in model.named_modules():
        if isinstance(m, nn.Linear):
            assert torch.count_nonzero(m.bias) == 0
            s = float(rep["scale"][rep["module"].tolist().index(path)])
            q = initlab.orthogonal((64, 64), layout="torch", dtype=np.float32,
                                   rng=initlab.seed_for(7, f"{path}.weight"))
            np.testing.assert_allclose(m.weight.detach().numpy(), s * q, rtol=1e-5,
                                       atol=1e-6 * s)


def test_lsuv_small_cnn_orthogonal_kernels() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(),
        nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))
    x = torch.randn(32, 3, 16, 16, generator=torch.Generator().manual_seed(1))
    rep = it.lsuv_(model, x, rng=0)
    assert rep["module"].tolist() == ["0", "2", "4", "6", "10"]
    assert set(rep["status"].tolist()) == {"converged"}
    for path, v in output_variances(model, x).items():
        assert abs(v - 1) < 0.02, (path, v)
    # (out, in*k*k) rows orthonormal up to the recorded scale: 16 x 27 and 32 x 144
    for i, path in enumerate(rep["module"].tolist()[:3]):
        w = dict(model.named_modules())[path].weight.detach().double()
        w = w.reshape(w.shape[0], -1) / float(rep["scale"][i])
        eye = torch.eye(w.shape[0], dtype=torch.float64)
        assert torch.allclose(w @ w.T, eye, atol=1e-5)


class WeightNormLinear(nn.Linear):
    """Output variance independent of the weight's scale: LSUV cannot move it."""

    def forward(self, x: Any) -> Any:
        w = self.weight / self.weight.norm() * 0.1
        return nn.functional.linear(x, w, self.bias)


class Unused(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), WeightNormLinear(8, 8),
                                 nn.Linear(8, 8))
        self.unused = nn.Linear(8, 8)

    def forward(self, x: Any) -> Any:
        return self.net(x)


def test_lsuv_reports_what_cannot_converge() -> None:
    torch.manual_seed(0)
    model = Unused()
    rep = it.lsuv_(model, torch.randn(64, 8), max_iter=4, rng=0)
    assert rep["module"].tolist() == ["net.0", "net.2", "net.3", "unused"]
    by_path = {r["module"]: r for r in rep.to_records()}
    assert by_path["net.0"]["status"] == "converged"
    assert by_path["net.2"]["status"] == "max_iter" and by_path["net.2"]["iterations"] == 4
    assert by_path["net.3"]["status"] == "converged"
    assert by_path["unused"]["status"] == "not_run" and math.isnan(by_path["unused"]["var"])
    dead = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 4))
    rep = it.lsuv_(dead, torch.zeros(16, 4), rng=0)         # zero input: zero variance
    assert rep["status"].tolist() == ["dead", "dead"]
    assert rep["iterations"].tolist() == [0, 0]
    assert all(torch.isfinite(p).all() for p in dead.parameters())


def test_lsuv_keeps_modes_flags_grads_buffers_and_repeats() -> None:
    def build() -> Any:
        torch.manual_seed(0)
        return nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.Dropout(0.2),
                             nn.Linear(16, 4))
    model = build()
    model[3].weight.requires_grad_(False)
    model[0].weight.grad = torch.ones(16, 8)
    snap = snapshot(model)
    x = torch.randn(32, 8, generator=torch.Generator().manual_seed(0))
    rep = it.lsuv_(model, x, rng=np.random.default_rng(3))
    assert_unchanged(model, snap, params=False)
    assert rep.meta["kind"] == "lsuv"
    plt = pytest.importorskip("matplotlib.pyplot")
    fig = rep.plot()                                   # var_init and var against depth
    assert [line.get_label() for line in fig.axes[0].lines] == ["var_init", "var"]
    plt.close(fig)
    a, b = build(), build()
    it.lsuv_(a, x, rng=11)
    it.lsuv_(b, x, rng=11)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    keep = build()
    w0 = keep[0].weight.detach().clone()
    r = it.lsuv_(keep, x, init=None, rng=0)
    assert torch.allclose(keep[0].weight, w0 * float(r["scale"][0]))


BAD_LSUV = [
    ("module", lambda m, x: it.lsuv_(3, x), TypeError, "module"),
    ("x-shape", lambda m, x: it.lsuv_(m, torch.ones(4, 5)), ValueError, "x="),
    ("x-dtype", lambda m, x: it.lsuv_(m, x.double()), TypeError, "x="),
    ("target", lambda m, x: it.lsuv_(m, x, target=0), ValueError, "target="),
    ("tol", lambda m, x: it.lsuv_(m, x, tol=-1), ValueError, "tol="),
    ("max-iter", lambda m, x: it.lsuv_(m, x, max_iter=0), ValueError, "max_iter="),
    ("max-iter-type", lambda m, x: it.lsuv_(m, x, max_iter=2.5), TypeError, "max_iter="),
    ("init", lambda m, x: it.lsuv_(m, x, init="no_such_init"), ValueError, "init="),
    ("rng", lambda m, x: it.lsuv_(m, x, rng=-1), ValueError, "rng="),
    ("no-layers", lambda m, x: it.lsuv_(nn.Sequential(nn.Tanh()), x), ValueError, "module"),
]


@pytest.mark.parametrize(("case", "call", "exc", "name"), BAD_LSUV,
                         ids=[c[0] for c in BAD_LSUV])
def test_lsuv_bad_input_writes_nothing(case: str, call: Any, exc: Any, name: str) -> None:
    model = nn.Sequential(nn.Linear(8, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 2))
    x = torch.randn(4, 8)
    snap = snapshot(model)
    with pytest.raises(exc, match=name):
        call(model, x)
    assert_unchanged(model, snap)


def test_lsuv_init_variants_and_conv_layouts() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(4, 8, 3, groups=2, padding=1), nn.Tanh(),
                          nn.ConvTranspose2d(8, 6, 3, padding=1), nn.Tanh(),
                          nn.Conv2d(6, 6, 1))
    x = torch.randn(16, 4, 6, 6, generator=torch.Generator().manual_seed(0))
    rep = it.lsuv_(model, x, rng=5)
    assert set(rep["status"].tolist()) == {"converged"}
    for i, path in enumerate(rep["module"].tolist()):
        w = dict(model.named_modules())[path].weight.detach()
        # initlab's layout="torch" flattens (shape[0], rest) as torch.nn.init.orthogonal_
        q = initlab.orthogonal(tuple(w.shape), layout="torch", dtype=np.float32,
                               rng=initlab.seed_for(5, f"{path}.weight"))
        np.testing.assert_allclose(w.numpy(), float(rep["scale"][i]) * q, rtol=1e-5,
                                   atol=1e-6)
    he = it.lsuv_(model, x, init="he_normal", rng=5)
    fn = it.lsuv_(model, x, init=initlab.orthogonal, rng=5)
    assert set(he["status"].tolist()) == set(fn["status"].tolist()) == {"converged"}
    assert np.allclose(fn["scale"], rep["scale"], rtol=1e-6)


@pytest.mark.slow
def test_example_makes_the_figures(tmp_path: Any) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, MPLBACKEND="Agg",
               PYTHONPATH=str(root / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-W", "error", str(root / "examples/torch_probe.py"),
                          "--out", str(tmp_path)], capture_output=True, text=True, env=env,
                         timeout=600, check=False)
    assert out.returncode == 0, out.stderr
    assert "LSUV of Sequential: 20/20 layers converged" in out.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "torch_lsuv.png", "torch_probe_resnet.png", "torch_probe_transformer.png"]
