"""initlab.torch: fans per layer kind, rules, 'torch' defaults, seeds, dtypes, bad input.

Statistical checks use initlab.testing (false-failure rate 1e-6 per assertion, fixed seeds).
"""

from __future__ import annotations

import inspect
import math
from pathlib import Path

import numpy as np
import pytest
import scipy.stats

import initlab
from initlab.testing import assert_orthogonal, assert_variance

torch = pytest.importorskip("torch")
nn = torch.nn
it = pytest.importorskip("initlab.torch")

ALPHA = 1e-6


class Every(nn.Module):
    """A model holding every layer kind of the table."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(300, 64, padding_idx=3)
        self.fc = nn.Linear(96, 160)
        self.conv1 = nn.Conv1d(12, 18, 5)
        self.conv = nn.Conv2d(16, 32, 3, groups=4)
        self.conv3 = nn.Conv3d(4, 8, 3, groups=2)
        self.convt1 = nn.ConvTranspose1d(12, 18, 5)
        self.convt = nn.ConvTranspose2d(32, 16, 3, groups=4)
        self.convt3 = nn.ConvTranspose3d(8, 4, 3, groups=2)
        self.bil = nn.Bilinear(10, 14, 40)
        self.mha = nn.MultiheadAttention(64, 4, add_bias_kv=True)
        self.mha_kv = nn.MultiheadAttention(64, 4, kdim=32, vdim=48)
        self.lstm = nn.LSTM(24, 40, num_layers=2, bidirectional=True, proj_size=20)
        self.gru = nn.GRU(24, 40)
        self.rnn = nn.RNN(24, 40)
        self.lstm_cell = nn.LSTMCell(24, 40)
        self.gru_cell = nn.GRUCell(24, 40)
        self.rnn_cell = nn.RNNCell(24, 40)
        self.ln = nn.LayerNorm(64)
        self.gn = nn.GroupNorm(4, 32)
        self.bn = nn.BatchNorm2d(32)
        self.rms = nn.RMSNorm(64)
        self.prelu = nn.PReLU()


def hand_fans(model: Every) -> dict[str, tuple[int, int, int]]:
    """(fan_in, fan_out, blocks) of every weight, written out by hand from the layer shapes."""
    fans = {
        "fc.weight": (96, 160, 1),
        "conv1.weight": (12 * 5, 18 * 5, 1),
        "conv.weight": (16 // 4 * 9, 32 // 4 * 9, 1),
        "conv3.weight": (4 // 2 * 27, 8 // 2 * 27, 1),
        "convt1.weight": (12 * 5, 18 * 5, 1),
        "convt.weight": (32 // 4 * 9, 16 // 4 * 9, 1),
        "convt3.weight": (8 // 2 * 27, 4 // 2 * 27, 1),
        "bil.weight": (10 * 14, 40, 1),
        "mha.in_proj_weight": (64, 64, 3),
        "mha.out_proj.weight": (64, 64, 1),
        "mha_kv.q_proj_weight": (64, 64, 1),
        "mha_kv.k_proj_weight": (32, 64, 1),
        "mha_kv.v_proj_weight": (48, 64, 1),
        "mha_kv.out_proj.weight": (64, 64, 1),
        "gru.weight_ih_l0": (24, 40, 3), "gru.weight_hh_l0": (40, 40, 3),
        "rnn.weight_ih_l0": (24, 40, 1), "rnn.weight_hh_l0": (40, 40, 1),
        "lstm_cell.weight_ih": (24, 40, 4), "lstm_cell.weight_hh": (40, 40, 4),
        "gru_cell.weight_ih": (24, 40, 3), "gru_cell.weight_hh": (40, 40, 3),
        "rnn_cell.weight_ih": (24, 40, 1), "rnn_cell.weight_hh": (40, 40, 1),
    }
    for layer in (0, 1):
        for sfx in ("", "_reverse"):
            fans[f"lstm.weight_ih_l{layer}{sfx}"] = (24 if layer == 0 else 40, 40, 4)
            fans[f"lstm.weight_hh_l{layer}{sfx}"] = (20, 40, 4)  # proj_size = 20
            fans[f"lstm.weight_hr_l{layer}{sfx}"] = (40, 20, 1)
    return fans


def values(model: nn.Module, path: str) -> np.ndarray:
    return model.get_parameter(path).detach().double().numpy()


BIASES = ["fc.bias", "conv.bias", "bil.bias", "mha.in_proj_bias", "mha.bias_k",
          "mha.out_proj.bias", "lstm.bias_ih_l1_reverse", "gru_cell.bias_hh"]


@pytest.mark.parametrize("name, var_of, kurtosis", [
    ("kaiming_normal", lambda fi, fo: 2.0 / fi, "normal"),
    ("xavier_uniform", lambda fi, fo: 2.0 / (fi + fo), "uniform"),
    ("lecun_normal", lambda fi, fo: 1.0 / fi, "truncated_normal"),
    ("truncated_normal", lambda fi, fo: initlab.TRUNCATED_NORMAL_STD ** 2, "truncated_normal"),
])
def test_variance_per_parameter_and_block(name, var_of, kurtosis):
    torch.manual_seed(0)
    model = Every()
    before = {p: values(model, p) for p in ("prelu.weight",)}
    plan = it.init_(model, name, rng=1)
    fans = hand_fans(model)
    assert set(fans) == {e.path for e in plan if e.kind and "weight" in e.path
                         and e.fan_in is not None}
    for path, (fan_in, fan_out, blocks) in fans.items():
        w = values(model, path)
        entry = plan[path]
        assert (entry.fan_in, entry.fan_out, entry.blocks) == (fan_in, fan_out, blocks), path
        for block in np.split(w.reshape(-1), blocks):
            assert_variance(block, var_of(fan_in, fan_out), kurtosis=kurtosis, alpha=ALPHA)
        assert entry.std == pytest.approx(math.sqrt(var_of(fan_in, fan_out)), rel=1e-12)
    for path in BIASES:
        assert not values(model, path).any(), path
    for norm in ("ln", "gn", "bn", "rms"):
        assert (values(model, f"{norm}.weight") == 1).all()
    for norm in ("ln", "gn", "bn"):
        assert not values(model, f"{norm}.bias").any()
    emb = values(model, "emb.weight")
    assert not emb[3].any()
    assert_variance(np.delete(emb, 3, axis=0), 1.0, alpha=ALPHA)  # PyTorch's N(0, 1) kept
    assert plan.untouched == ["prelu.weight"]
    assert (values(model, "prelu.weight") == before["prelu.weight"]).all()


def test_orthogonal_per_gate_block():
    model = Every()
    plan = it.init_(model, "orthogonal", rng=2)
    for path, (_, _, blocks) in hand_fans(model).items():
        w = model.get_parameter(path).detach().numpy()
        rows = w.shape[0] // blocks
        for b in range(blocks):
            assert_orthogonal(w[b * rows:(b + 1) * rows], layout="torch", atol=1e-5)
        assert plan[path].blocks == blocks


def test_orthogonal_on_the_whole_gate_matrix_is_not_per_gate():
    """Why the blocks matter: one orthogonal (256, 64) matrix is far from orthogonal per gate."""
    w = initlab.orthogonal((256, 64), layout="torch", rng=0)
    gate = w[:64]
    assert np.abs(gate.T @ gate - np.eye(64)).max() > 0.1


def test_depthwise_conv_xavier_normal():
    conv = nn.Conv2d(64, 64, 3, groups=64)
    plan = it.init_(conv, "xavier_normal", rng=3)
    assert (plan["weight"].fan_in, plan["weight"].fan_out) == (9, 9)
    assert_variance(values(conv, "weight"), 2.0 / (9 + 9), alpha=ALPHA)


def test_packed_attention_xavier_uniform_per_block():
    e = 128
    mha = nn.MultiheadAttention(e, 8)
    it.init_(mha, "xavier_uniform", rng=4)
    w = values(mha, "in_proj_weight")
    for block in np.split(w, 3):
        assert_variance(block, 1.0 / e, kurtosis="uniform", alpha=ALPHA)
    # PyTorch's own: 1/(2E) on the packed matrix
    torch.manual_seed(0)
    mha._reset_parameters()
    assert_variance(values(mha, "in_proj_weight"), 1.0 / (2 * e), kurtosis="uniform",
                    alpha=ALPHA)


# --------------------------------------------------------------------------------------------
# init="torch" against reset_parameters


def _torch_kinds():
    return [
        ("Linear", lambda: nn.Linear(300, 200)),
        ("Conv1d", lambda: nn.Conv1d(30, 64, 7)),
        ("Conv2d-groups", lambda: nn.Conv2d(32, 64, 3, groups=4)),
        ("Conv3d", lambda: nn.Conv3d(8, 16, 3)),
        ("ConvTranspose1d", lambda: nn.ConvTranspose1d(30, 64, 7)),
        ("ConvTranspose2d-groups", lambda: nn.ConvTranspose2d(64, 32, 3, groups=4)),
        ("ConvTranspose3d", lambda: nn.ConvTranspose3d(16, 8, 3)),
        ("Bilinear", lambda: nn.Bilinear(20, 30, 50)),
        ("Embedding", lambda: nn.Embedding(500, 64, padding_idx=0)),
        ("MultiheadAttention", lambda: nn.MultiheadAttention(96, 4, add_bias_kv=True)),
        ("MultiheadAttention-kdim", lambda: nn.MultiheadAttention(96, 4, kdim=40, vdim=50)),
        ("LSTM", lambda: nn.LSTM(40, 60, num_layers=2, proj_size=30)),
        ("GRU", lambda: nn.GRU(40, 60)),
        ("RNN", lambda: nn.RNN(40, 60)),
        ("LSTMCell", lambda: nn.LSTMCell(40, 60)),
        ("GRUCell", lambda: nn.GRUCell(40, 60)),
        ("RNNCell", lambda: nn.RNNCell(40, 60)),
        ("LayerNorm", lambda: nn.LayerNorm(64)),
        ("GroupNorm", lambda: nn.GroupNorm(4, 64)),
        ("BatchNorm1d", lambda: nn.BatchNorm1d(64)),
        ("RMSNorm", lambda: nn.RMSNorm(64)),
    ]


def _reset(module: nn.Module) -> None:
    """PyTorch's own default initialization of every module (what construction does)."""
    for m in module.modules():
        if hasattr(m, "reset_parameters"):
            m.reset_parameters()
    for m in module.modules():  # after its out_proj, as in MultiheadAttention.__init__
        if isinstance(m, nn.MultiheadAttention):
            m._reset_parameters()


def _pytorch_bound(module: nn.Module, path: str) -> float | None:
    """The uniform bound of PyTorch 2.13's reset_parameters, written from its source."""
    owner_path, _, name = path.rpartition(".")
    owner = module.get_submodule(owner_path) if owner_path else module
    if isinstance(owner, (nn.RNNBase, nn.RNNCellBase)):
        return 1.0 / math.sqrt(owner.hidden_size)
    if isinstance(owner, nn.Bilinear):
        return 1 / math.sqrt(owner.weight.size(1))
    if isinstance(owner, nn.MultiheadAttention):
        if name.endswith("proj_weight"):
            fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(owner.get_parameter(name))
            return math.sqrt(3.0) * 1.0 * math.sqrt(2.0 / float(fan_in + fan_out))
        return None
    if isinstance(owner, (nn.Linear, nn.modules.conv._ConvNd)):
        if owner_path.endswith("out_proj") and name == "bias":
            return None
        fan_in, _ = nn.init._calculate_fan_in_and_fan_out(owner.weight)
        if name == "weight":
            gain = math.sqrt(2.0 / (1 + math.sqrt(5) ** 2))
            return math.sqrt(3.0) * (gain / math.sqrt(fan_in))
        return 1 / math.sqrt(fan_in)
    return None


@pytest.mark.parametrize("kind, make", _torch_kinds(), ids=[k for k, _ in _torch_kinds()])
def test_torch_defaults_match_reset_parameters(kind, make):
    ours = make()
    plan = it.init_(ours, "torch", rng=5)
    theirs = make()
    torch.manual_seed(5)
    _reset(theirs)
    for path, p in ours.named_parameters():
        a, b = values(ours, path), values(theirs, path)
        bound = _pytorch_bound(ours, path)
        if bound is not None:
            limit = float(np.float32(bound))
            assert plan[path].std == pytest.approx(bound / math.sqrt(3), rel=1e-12), path
            assert np.abs(a).max() <= limit and np.abs(b).max() <= limit, path
        if np.unique(b).size <= 2:  # constants (norms, zero biases) and padding rows
            assert (a == b).all(), path
            continue
        if kind == "Embedding":
            a, b = a[1:], b[1:]
            assert not values(ours, path)[0].any()
        pvalue = scipy.stats.ks_2samp(a.ravel(), b.ravel()).pvalue
        assert pvalue > ALPHA, (path, pvalue)
        assert p.requires_grad


def test_torch_defaults_plan_bounds_identical():
    """The plan's Uniform bounds are PyTorch's expressions, bit for bit."""
    model = nn.Sequential(nn.Linear(300, 200), nn.Conv2d(32, 64, 3, groups=4), nn.LSTM(8, 60))
    plan = it.plan(model, "torch")
    for path, _ in model.named_parameters():
        bound = _pytorch_bound(model, path)
        text = plan[path].init
        assert text == f"Uniform(low={-bound!r}, high={bound!r})", path


def test_torch_rule_value_and_mha_out_proj_bias():
    mha = nn.MultiheadAttention(16, 2)
    plan = it.init_(mha, "xavier_uniform", rules={"out_proj.*": "torch"}, rng=0)
    assert plan["out_proj.bias"].init == "Zeros()"  # MultiheadAttention zeroes it
    assert plan["out_proj.weight"].init.startswith("Uniform(")


# --------------------------------------------------------------------------------------------
# seeds


class Head(nn.Module):
    def __init__(self, extra: bool) -> None:
        super().__init__()
        if extra:
            self.pre = nn.Linear(7, 7)
        self.fc = nn.Linear(33, 17)
        self.conv = nn.Conv2d(8, 16, 3, groups=2)
        self.lstm = nn.LSTM(5, 6)
        self.mha = nn.MultiheadAttention(16, 2)


@pytest.mark.parametrize("init", ["kaiming_normal", "torch", "orthogonal", "truncated_normal"])
def test_extra_leading_layer_changes_no_other_parameter(init):
    a, b = Head(False), Head(True)
    it.init_(a, init, rng=11)
    it.init_(b, init, rng=11)
    for path, p in a.named_parameters():
        assert torch.equal(p, b.get_parameter(path)), path


def test_threads_do_not_change_values():
    results = []
    try:
        for threads in (1, 2, 7):
            initlab.set_threads(threads)
            model = nn.Sequential(nn.Linear(700, 600), nn.Embedding(1000, 300))
            it.init_(model, "kaiming_uniform", rng=12)
            results.append([p.detach().clone() for p in model.parameters()])
    finally:
        initlab.set_threads(None)
    for other in results[1:]:
        assert all(torch.equal(x, y) for x, y in zip(results[0], other, strict=True))


def test_seed_for_reproduces_weights_in_numpy():
    model = nn.Sequential(nn.Linear(64, 10), nn.Conv2d(8, 16, 3, groups=4),
                          nn.ConvTranspose2d(16, 8, 3, groups=2))
    it.init_(model, "kaiming_normal", rng=13)
    seed = initlab.seed_for
    w0 = initlab.kaiming_normal((10, 64), layout="torch", rng=seed(13, "0.weight"))
    w1 = initlab.kaiming_normal((16, 2, 3, 3), layout="torch", groups=4,
                                rng=seed(13, "1.weight"))
    w2 = initlab.kaiming_normal((16, 4, 3, 3), layout="torch", groups=2, transposed=True,
                                rng=seed(13, "2.weight"))
    for i, w in enumerate((w0, w1, w2)):
        assert np.array_equal(model[i].weight.detach().numpy(), w)
    torch_mode = nn.Linear(64, 10)
    plan = it.init_(torch_mode, "torch", rng=13)
    bound = 1 / math.sqrt(64)
    w = initlab.uniform((10, 64), low=-bound, high=bound, rng=seed(13, "weight"))
    assert plan["weight"].init.startswith("Uniform(")
    assert np.allclose(torch_mode.weight.detach().numpy(), w, rtol=0, atol=1e-7)


def test_blocked_elementwise_parameter_equals_the_whole_tensor_draw():
    """With batch_axis the fans change, not the stream: NumPy reproduces it on the view."""
    lstm = nn.LSTM(5, 6)
    it.init_(lstm, "lecun_normal", rng=14)
    w = initlab.lecun_normal((4, 6, 5), in_axis=2, out_axis=1, batch_axis=0,
                             rng=initlab.seed_for(14, "weight_ih_l0"))
    assert np.array_equal(lstm.weight_ih_l0.detach().numpy(), w.reshape(24, 5))


def test_generator_is_consumed_once_and_int_seeds_repeat():
    a, b = nn.Linear(20, 20), nn.Linear(20, 20)
    gen = np.random.default_rng(21)
    it.init_(a, "kaiming_normal", rng=gen)
    it.init_(b, "kaiming_normal", rng=gen)
    assert not torch.equal(a.weight, b.weight)
    base = initlab.plan.base_seed("init_", np.random.default_rng(21))
    it.init_(b, "kaiming_normal", rng=base)
    assert torch.equal(a.weight, b.weight)


# --------------------------------------------------------------------------------------------
# rules


def test_rules_globs_classes_none_and_order():
    model = nn.Sequential(nn.Embedding(50, 16), nn.Linear(16, 16), nn.Linear(16, 4),
                          nn.LayerNorm(4))
    before = model[2].weight.detach().clone()
    plan = it.init_(model, "xavier_uniform", rng=0, rules={
        "2.weight": None,
        nn.Linear: initlab.Normal(std=0.5),
        "*.bias": "ones",  # never reached for Linear biases: the class rule comes first
        nn.Embedding: initlab.Normal(std=0.02),
    })
    assert torch.equal(model[2].weight, before)
    assert plan["2.weight"].source == "rule '2.weight'" and plan["2.weight"].init == "untouched"
    assert plan["1.weight"].source == "rule Linear"
    assert plan["1.bias"].init == "Normal(std=0.5)"
    assert plan["0.weight"].std == pytest.approx(0.02)
    assert (model[3].bias == 1).all() and plan["3.bias"].source == "rule '*.bias'"


def test_rule_source_default_and_rules():
    class Recipe:
        def as_rules(self):
            return initlab.Normal(std=0.02), {"*c_proj.weight": initlab.Normal(std=0.001)}

    model = nn.ModuleDict({"c_fc": nn.Linear(8, 8), "c_proj": nn.Linear(8, 8)})
    plan = it.plan(model, Recipe(), rules={"c_fc.weight": "zeros"})
    assert plan["c_fc.weight"].init == "Zeros()"
    assert plan["c_proj.weight"].std == pytest.approx(0.001)
    assert plan["c_proj.bias"].init == "Zeros()"


def test_plan_writes_nothing_and_works_on_meta():
    model = nn.Linear(4, 3)
    before = [p.detach().clone() for p in model.parameters()]
    gen = np.random.default_rng(0)
    state = gen.bit_generator.state
    it.plan(model, "orthogonal", rng=gen)
    assert gen.bit_generator.state == state  # a Generator is not consumed by plan
    assert all(torch.equal(x, y) for x, y in zip(before, model.parameters(), strict=True))
    with torch.device("meta"):
        big = nn.Linear(4096, 4096)
    assert it.plan(big, "kaiming_normal")["weight"].fan_in == 4096


def test_plan_table_and_records():
    plan = it.plan(nn.Linear(64, 10), "kaiming_normal")
    text = str(plan)
    assert "weight" in text and "HeNormal()" in text and "0.1768" in text
    assert plan.to_records()[0]["shape"] == [10, 64]


# --------------------------------------------------------------------------------------------
# dtypes and devices


def _edge_fraction(w: torch.Tensor, edge: float) -> float:
    return float((w.float() == edge).double().mean())


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_low_precision_truncated_normal(dtype):
    std = 0.01
    rows = 4096
    model = nn.Linear(512, rows).to(dtype)
    ref = nn.Linear(512, rows)
    init = initlab.TruncatedNormal(std=std)
    it.init_(model, "zeros", rules={"weight": init}, rng=15)
    it.init_(ref, "zeros", rules={"weight": init}, rng=15)
    w, w32 = model.weight.detach(), ref.weight.detach()
    assert w.dtype == dtype and model.weight.requires_grad
    assert torch.isfinite(w).all()
    assert w.float().abs().max() <= 2 * std
    # the extreme representable values inside [-2σ, 2σ]
    hi = float(torch.tensor(2 * std, dtype=torch.float64).to(dtype))
    if hi > 2 * std:
        hi = float(torch.nextafter(torch.tensor(hi, dtype=dtype), torch.tensor(0.0, dtype=dtype)))
    below = float(torch.nextafter(torch.tensor(hi, dtype=dtype), torch.tensor(0.0, dtype=dtype)))
    # Rounding exact draws puts P(X >= (below + hi) / 2) at the edge or beyond it: the edge
    # may hold no more (binomial upper bound at false-failure rate 1e-6 per tail).
    z, mass = scipy.stats.norm, scipy.stats.norm.cdf(2) - scipy.stats.norm.cdf(-2)
    p_edge = (z.sf((below + hi) / 2 / std) - z.sf(2)) / mass
    n = w.numel()
    limit = scipy.stats.binom.isf(ALPHA / 2, n, p_edge) / n
    assert _edge_fraction(w, hi) <= limit and _edge_fraction(w, -hi) <= limit
    if dtype == torch.bfloat16:
        assert p_edge < 1.5e-3  # about 0.1 %, where PyTorch has had 0.4 % (pytorch#145498)
    assert float(w.float().std()) == pytest.approx(float(w32.std()), rel=0.01)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16, torch.float64])
def test_low_and_high_precision_values_round_the_float32_draw(dtype):
    a, b = nn.Linear(30, 20).to(dtype), nn.Linear(30, 20)
    it.init_(a, "xavier_uniform", rng=16)
    it.init_(b, "xavier_uniform", rng=16)
    if dtype == torch.float64:  # drawn natively in float64: same law, different bits
        assert_variance(values(a, "weight"), 2 / 50, kurtosis="uniform", alpha=ALPHA)
        return
    bound = math.sqrt(6 / 50)
    assert a.weight.detach().float().abs().max() <= bound
    rounded = b.weight.detach().to(dtype)
    inside = rounded.float().abs() <= bound
    assert torch.equal(a.weight.detach()[inside], rounded[inside])


def test_non_contiguous_parameter_gets_a_copy():
    lin = nn.Linear(6, 5)
    lin.weight = nn.Parameter(torch.empty(6, 5).t())  # a strided (5, 6) view
    assert not lin.weight.is_contiguous()
    it.init_(lin, "kaiming_normal", rng=17)
    w = initlab.kaiming_normal((5, 6), layout="torch", rng=initlab.seed_for(17, "weight"))
    assert np.array_equal(lin.weight.detach().numpy(), w)


def test_meta_parameters_are_refused_with_a_hint():
    with torch.device("meta"):
        model = nn.Linear(4, 4)
    with pytest.raises(ValueError, match=r"init_: .*'weight'.*meta.*to_empty\(device="):
        it.init_(model, "kaiming_normal")
    model = model.to_empty(device="cpu")
    it.init_(model, "kaiming_normal", rng=0)
    assert torch.isfinite(model.weight).all()


def test_requires_grad_kept_and_no_autograd_history():
    model = nn.Linear(4, 4)
    model.bias.requires_grad_(False)
    it.init_(model, "kaiming_normal", rng=0)
    assert model.weight.requires_grad and not model.bias.requires_grad
    assert model.weight.grad_fn is None and model.weight.is_leaf


# --------------------------------------------------------------------------------------------
# bad input: validated before anything is written


def _bad_calls():
    return [
        ("non-module", lambda m: it.init_({"w": m[0].weight}, "kaiming_normal"), TypeError,
         r"init_: module="),
        ("rule-key-type", lambda m: it.init_(m, "kaiming_normal", rules={3: "zeros"}),
         TypeError, r"rules key"),
        ("rule-key-class", lambda m: it.init_(m, "kaiming_normal", rules={int: "zeros"}),
         TypeError, r"rules key"),
        ("rule-unused", lambda m: it.init_(m, "kaiming_normal", rules={"fc.wieght": "zeros"}),
         ValueError, r"rules.*matched no parameter"),
        ("unknown-init", lambda m: it.init_(m, "kaiming_nromal"), ValueError, r"init="),
        ("init-type", lambda m: it.init_(m, 3.5), TypeError, r"init="),
        ("init-none", lambda m: it.init_(m, None), TypeError, r"init="),
        ("unknown-rule-value", lambda m: it.init_(m, "zeros", rules={"*": "nope"}),
         ValueError, r"rules\['\*'\]"),
        ("rules-type", lambda m: it.init_(m, "zeros", rules="*.bias"), TypeError, r"rules="),
        ("rng", lambda m: it.init_(m, "zeros", rng=-1), ValueError, r"rng=-1"),
        ("rng-type", lambda m: it.init_(m, "zeros", rng="0"), TypeError, r"rng="),
        ("orthogonal-vector", lambda m: it.init_(m, "zeros", rules={"*.bias": "orthogonal"}),
         ValueError, r"rules\['\*\.bias'\].*'0\.bias'"),
        ("torch-unknown", lambda m: it.init_(m, "zeros", rules={"2.weight": "torch"}),
         ValueError, r"PReLU"),
    ]


@pytest.mark.parametrize("call, exc, match", [c[1:] for c in _bad_calls()],
                         ids=[c[0] for c in _bad_calls()])
def test_bad_input_leaves_parameters_untouched(call, exc, match):
    model = nn.Sequential(nn.Linear(4, 3), nn.LayerNorm(3), nn.PReLU())
    model[0].weight.data.fill_(0.5)
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(exc, match=match):
        call(model)
    for x, y in zip(before, model.parameters(), strict=True):
        assert torch.equal(x, y)


def test_overflow_found_before_writing():
    model = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2)).half()
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(ValueError, match=r"init_: rules\['1\.weight'\].*overflow"):
        it.init_(model, "kaiming_normal", rules={"1.weight": initlab.Normal(std=1e6)})
    for x, y in zip(before, model.parameters(), strict=True):
        assert torch.equal(x, y)


# --------------------------------------------------------------------------------------------
# the core features the bridge builds on: orthogonal(batch_axis=...) and fans='torch'


def test_orthogonal_gates_use_the_core_batch_axis():
    lstm = nn.LSTM(5, 6)
    plan = it.init_(lstm, "orthogonal", rng=18)
    w = initlab.orthogonal((4, 6, 5), layout="torch", batch_axis=0,
                           rng=initlab.seed_for(18, "weight_ih_l0"))
    assert np.array_equal(lstm.weight_ih_l0.detach().numpy(), w.reshape(24, 5))
    assert "separately" not in plan["weight_ih_l0"].note


def test_callable_rule_value_gets_the_parameter_shape_and_its_seed():
    calls = []

    def fill(shape, *, dtype, rng):
        calls.append((shape, np.dtype(dtype), rng))
        return np.full(shape, 0.25, dtype)

    lin = nn.Linear(3, 2)
    plan = it.init_(lin, "zeros", rules={"weight": fill}, rng=5)
    assert calls == [((2, 3), np.dtype(np.float32), initlab.seed_for(5, "weight"))]
    assert (lin.weight == 0.25).all() and plan["weight"].std is None


def test_rule_source_none_default_leaves_weights():
    class OnlyRules:
        def as_rules(self):
            return None, {"*.weight": initlab.Normal(std=1.0)}

    model = nn.Sequential(nn.Linear(3, 2), nn.PReLU())
    plan = it.plan(model, OnlyRules())
    assert plan["0.weight"].std == 1.0 and plan["1.weight"].source == "rule '*.weight'"
    assert plan["0.bias"].init == "Zeros()"


def test_lazy_parameters_listed_by_plan_refused_by_init():
    model = nn.Sequential(nn.LazyLinear(4))
    assert it.plan(model, "kaiming_normal").untouched == ["0.weight", "0.bias"]
    with pytest.raises(ValueError, match=r"init_: .*'0\.weight'.*forward pass"):
        it.init_(model, "kaiming_normal")


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_low_precision_uniform_and_lecun_stay_inside_their_bounds(dtype):
    model = nn.Sequential(nn.Linear(7, 3000), nn.Linear(3000, 3)).to(dtype)
    it.init_(model, "zeros", rules={"0.weight": initlab.Uniform(low=-0.3, high=0.3),
                                    "1.weight": "lecun_normal"}, rng=6)
    assert model[0].weight.detach().float().abs().max() <= 0.3
    limit = 2 / math.sqrt(3000) / initlab.TRUNCATED_NORMAL_STD
    assert model[1].weight.detach().float().abs().max() <= limit


def test_partial_placement_is_refused():
    pytest.importorskip("torch.distributed.tensor")
    from types import SimpleNamespace

    from torch.distributed.tensor import Partial

    from initlab.torch import _dtensor

    with pytest.raises(ValueError, match="Partial"):
        _dtensor.local_part(SimpleNamespace(placements=[Partial()]))


@pytest.mark.parametrize("make", [lambda: nn.Conv2d(8, 16, 3, groups=4),
                                  lambda: nn.ConvTranspose2d(16, 8, 3, groups=2),
                                  lambda: nn.Linear(30, 20)])
def test_core_fans_torch_reproduces_pytorch_scale(make):
    """``fans="torch"`` gives PyTorch's own fan formula, grouped and transposed included."""
    w = make().weight
    fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(w)
    for mode, fan in (("fan_in", fan_in), ("fan_out", fan_out)):
        init = initlab.KaimingUniform(a=math.sqrt(5), mode=mode, layout="torch", fans="torch")
        assert initlab.expected_moments(init, tuple(w.shape))[1] == pytest.approx(
            2.0 / (1 + 5) / fan, rel=1e-12)


@pytest.mark.parametrize("init", ["kaiming_normal", "orthogonal", "torch"])
def test_pieces_of_a_copied_parameter_equal_one_draw(init, monkeypatch):
    """bfloat16 (or off-CPU) parameters are drawn in row pieces: same values as one draw."""
    from initlab.torch import _apply

    def build():
        return nn.ModuleDict({"fc": nn.Linear(50, 300), "lstm": nn.LSTMCell(20, 40),
                              "emb": nn.Embedding(200, 30, padding_idx=150)}).to(torch.bfloat16)

    whole, pieces = build(), build()
    it.init_(whole, init, rng=19)
    monkeypatch.setattr(_apply, "CHUNK_ELEMENTS", 777)
    it.init_(pieces, init, rng=19)
    for path, p in whole.named_parameters():
        assert torch.equal(p, pieces.get_parameter(path)), path
    assert not pieces.emb.weight[150].any()


def test_custom_parameter_gets_rules_in_pytorch_layout_and_is_otherwise_untouched():
    class Custom(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(torch.full((10, 64), 3.0))
            self.scale = nn.Parameter(torch.full((4,), 3.0))

    m = Custom()
    plan = it.init_(m, "kaiming_normal", rules={"w": "kaiming_normal"}, rng=20)
    assert (plan["w"].fan_in, plan["w"].fan_out) == (64, 10) and "PyTorch" in plan["w"].note
    w = initlab.kaiming_normal((10, 64), layout="torch", rng=initlab.seed_for(20, "w"))
    assert np.array_equal(m.w.detach().numpy(), w)
    assert plan.untouched == ["scale"] and (m.scale == 3).all()


@pytest.mark.parametrize("name", [n for n in it.__all__ if inspect.isfunction(getattr(it, n))])
def test_public_functions_documented(name):
    import re

    doc = inspect.getdoc(getattr(it, name)) or ""
    for section in ("Parameters", "Returns", "Raises", "References", "Examples"):
        assert re.search(rf"^{section}\n-+$", doc, re.M), f"{name}: no {section} section"


@pytest.mark.parametrize("name", [n for n in it.__all__ if inspect.isclass(getattr(it, n))])
def test_public_classes_documented(name):
    import re

    doc = inspect.getdoc(getattr(it, name)) or ""
    for section in ("References", "Examples"):
        assert re.search(rf"^{section}\n-+$", doc, re.M), f"{name}: no {section} section"


@pytest.mark.parametrize("name", [n for n in it.__all__ if n.isupper()])
def test_public_constants_are_column_names_described_in_the_docs(name):
    value = getattr(it, name)
    assert isinstance(value, dict) and all(isinstance(c, str) and isinstance(d, str) and d
                                           for c, d in value.items())
    text = (Path(__file__).resolve().parent.parent / "docs" / "torch.md").read_text()
    assert name in text


@pytest.mark.parametrize("init", [initlab.Orthogonal(gain=2.0),
                                  initlab.Orthogonal(gain="exact", nonlinearity="tanh")])
def test_orthogonal_std_of_large_matrices_without_a_probe(init):
    model = nn.Sequential(nn.Linear(100, 700), nn.Linear(700, 100), nn.Linear(3, 2))
    plan = it.plan(model, init)
    for i in range(3):
        shape = tuple(model[i].weight.shape)
        m2 = initlab.expected_moments(initlab.Orthogonal(**{**init.get_config(),
                                                            "layout": "torch"}), shape)[1]
        assert plan[f"{i}.weight"].std == pytest.approx(math.sqrt(m2), rel=1e-12)
