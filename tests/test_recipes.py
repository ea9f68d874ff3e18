"""Tests of initlab.recipes: every recipe's stds against its reference implementation.

Reference files (commits as stored by the search tool's snapshots):

- karpathy/nanoGPT model.py @3adf61e: GPT.__init__ lines 141-145, _init_weights lines 162-168.
- huggingface/transformers models/t5/modeling_t5.py, T5PreTrainedModel._init_weights
  (``q``: factor*((d_model*key_value_proj_dim)**-0.5); ``k``, ``v``: factor*(d_model**-0.5);
  ``o``: factor*((n_heads*key_value_proj_dim)**-0.5); ``wi``: factor*(d_model**-0.5);
  ``wo``: factor*(d_ff**-0.5); ``shared``/untied ``lm_head``: factor*1.0; T5LayerNorm: factor).
- huggingface/transformers models/bert/modeling_bert.py, BertPreTrainedModel._init_weights.
- huggingface/pytorch-image-models timm/models/vision_transformer.py @aa4b585: init_weights
  lines 920-941, init_weights_vit_timm 1305-1320, init_weights_vit_jax 1323-1352.
- microsoft/torchscale @4d1e0e8: architecture/encoder.py lines 78-89 (alpha), 235-252
  (init_scale); decoder.py lines 89-95, 286-298; component/multihead_attention.py 61-66.
- layer6ai-labs/T-Fixup @b17e166: fairseq/modules/transformer_layer.py lines 36-44, 161-170;
  fairseq/models/transformer.py lines 378-381, 908-918.
- hongyi-zhang/Fixup @f3fa449: cifar/models/fixup_resnet_cifar.py lines 66-72.
- majumderb/rezero @e2c94a8: rezero/transformer/rztx.py lines 47, 115.
- jiaweizzhao/ZerO-initialization @cf2bf5d: example_mnist.ipynb cell 4 (ZerO_Init_on_matrix).
- state-spaces/mamba @e9594ce: mamba_ssm/modules/mamba_simple.py lines 57-117;
  mamba_ssm/models/mixer_seq_simple.py lines 92-121.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import scipy.linalg
import scipy.stats

import initlab
import initlab.recipes as R
from initlab.testing import assert_distribution, assert_variance

SQ3 = math.sqrt(3.0)


def torch_layout(init: object) -> object:
    """``init`` reading PyTorch's ``(out, in, *kernel)`` shapes, as ``initlab.torch`` sets it
    (recipes leave the layout to the bridge)."""
    if isinstance(init, initlab.Initializer) and "layout" in init.get_config():
        return type(init).from_config({**init.get_config(), "layout": "torch"})
    return init


def rule_std(recipe: R.Recipe, pattern: str, shape: tuple[int, ...]) -> float:
    """Std of the initializer a recipe puts on ``pattern``, at the PyTorch shape ``shape``."""
    init = torch_layout(recipe.rules()[pattern])
    mean, second = initlab.expected_moments(init, shape)
    return math.sqrt(second - mean * mean)


def default_std(recipe: R.Recipe, shape: tuple[int, ...]) -> float:
    mean, second = initlab.expected_moments(torch_layout(recipe.as_rules()[0]), shape)
    return math.sqrt(second - mean * mean)


# --------------------------------------------------------------------------------------------
# the reference formulas at three model sizes


@pytest.mark.parametrize("n_layer", [12, 24, 48])  # GPT-2 small, medium, xl
def test_gpt2_formula(n_layer: int) -> None:
    r = R.gpt2(n_layer)
    # nanoGPT model.py:145: std=0.02/math.sqrt(2 * config.n_layer)
    assert rule_std(r, "*c_proj.weight", (768, 768)) == pytest.approx(
        0.02 / math.sqrt(2 * n_layer), rel=1e-12)
    assert r.entries[0].std == pytest.approx(0.02 / math.sqrt(2 * n_layer), rel=1e-12)
    # nanoGPT model.py:164, 168: normal_(std=0.02) for Linear and Embedding
    assert default_std(r, (768, 3072)) == pytest.approx(0.02, rel=1e-12)


@pytest.mark.parametrize("r", [0.02, 0.01, 0.05])
def test_bert_formula(r: float) -> None:
    # modeling_bert.py BertPreTrainedModel._init_weights: normal_(std=initializer_range)
    assert default_std(R.bert(initializer_range=r), (768, 768)) == pytest.approx(r, rel=1e-12)


T5_SIZES = [(512, 64, 8, 2048), (768, 64, 12, 3072), (1024, 64, 16, 4096)]  # small/base/large


@pytest.mark.parametrize("factor", [1.0, 0.5])
@pytest.mark.parametrize(("d_model", "d_kv", "n_heads", "d_ff"), T5_SIZES)
def test_t5_formula(d_model: int, d_kv: int, n_heads: int, d_ff: int, factor: float) -> None:
    r = R.t5(d_model, d_kv, n_heads, d_ff, factor)
    inner = n_heads * d_kv
    expected = {  # modeling_t5.py T5PreTrainedModel._init_weights
        "*Attention.q.weight": factor * (d_model * d_kv) ** -0.5,
        "*Attention.k.weight": factor * d_model ** -0.5,
        "*Attention.v.weight": factor * d_model ** -0.5,
        "*Attention.o.weight": factor * inner ** -0.5,
        "*.relative_attention_bias.weight": factor * d_model ** -0.5,
        "*.DenseReluDense.wi*.weight": factor * d_model ** -0.5,
        "*.DenseReluDense.wo.weight": factor * d_ff ** -0.5,
        "shared.weight": factor, "lm_head.weight": factor,
    }
    for pattern, std in expected.items():
        assert rule_std(r, pattern, (64, 64)) == pytest.approx(std, rel=1e-12), pattern
    assert r.rules()["*layer_norm.weight"]((4,), rng=0).tolist() == [factor] * 4


@pytest.mark.parametrize("embed", [384, 768, 1024])  # ViT-S, -B, -L
def test_vit_formula(embed: int) -> None:
    timm, jax = R.vit("timm"), R.vit("jax", head_bias=-math.log(1000))
    # init_weights_vit_timm (line 1314): trunc_normal_(std=.02), bounds -2..2 absolute
    init = timm.as_rules()[0]
    assert init.get_config()["lower"] * 0.02 == -2.0 and init.get_config()["upper"] * 0.02 == 2.0
    exact = scipy.stats.truncnorm(-100, 100, scale=0.02).std()
    assert default_std(timm, (3 * embed, embed)) == pytest.approx(exact, rel=1e-12)
    # the patch embedding keeps Conv2d's default: U(±1/√fan_in), fan_in = 3·16·16
    assert rule_std(timm, "patch_embed.proj.weight", (embed, 3, 16, 16)) == pytest.approx(
        1 / math.sqrt(768) / SQ3, rel=1e-12)
    assert rule_std(timm, "patch_embed.proj.bias", (embed,)) == pytest.approx(
        1 / math.sqrt(768) / SQ3, rel=1e-12)
    # init_weights_vit_jax (line 1342): xavier_uniform_ on the packed qkv (3E, E)
    assert default_std(jax, (3 * embed, embed)) == pytest.approx(
        math.sqrt(2 / (4 * embed)), rel=1e-12)
    # line 1346: lecun_normal_ (timm's: truncated normal, fan_in) on the patch embedding
    assert rule_std(jax, "patch_embed.proj.weight", (embed, 3, 16, 16)) == pytest.approx(
        1 / math.sqrt(768), rel=1e-9)
    assert jax.rules()["head.bias"]((3,), rng=0).tolist() == pytest.approx(
        [-math.log(1000)] * 3)
    assert rule_std(jax, "blocks.*.mlp.fc?.bias", (embed,)) == pytest.approx(1e-6, rel=1e-12)


def _torchscale_xavier(fan_in: int, fan_out: int, gain: float) -> float:
    return gain * math.sqrt(2 / (fan_in + fan_out))


@pytest.mark.parametrize(("n", "m"), [(6, 0), (0, 12), (18, 18), (100, 100)])
def test_deepnorm_formula(n: int, m: int) -> None:
    d, f = 512, 2048
    r = R.deepnorm(n, m, d_model=d, d_ffn=f)
    stacks = []
    if n and m:  # encoder.py 237-242 (init_scale), 80-85 (alpha); decoder.py 288, 91
        stacks = [("encoder.*", 1.15 / (n ** 4 * m) ** 0.0625, "encoder",
                   0.81 * (n ** 4 * m) ** 0.0625),
                  ("decoder.*", 1 / (12 * m) ** 0.25, "decoder", (3 * m) ** 0.25)]
    elif n:  # encoder.py 244, 87
        stacks = [("*", 1 / (8 * n) ** 0.25, "encoder", (2 * n) ** 0.25)]
    else:  # decoder.py 290, 93
        stacks = [("*", 1 / (8 * m) ** 0.25, "decoder", (2 * m) ** 0.25)]
    for prefix, beta, which, alpha in stacks:
        assert r.constants[f"beta_{which}"] == pytest.approx(beta, rel=1e-12)
        assert r.constants[f"alpha_{which}"] == pytest.approx(alpha, rel=1e-12)
        # multihead_attention.py 62-65, then p.data.div_(init_scale) for v_proj, out_proj
        g = 1 / math.sqrt(2)
        for name, std in {"q_proj.weight": _torchscale_xavier(d, d, g),
                          "k_proj.weight": _torchscale_xavier(d, d, g),
                          "v_proj.weight": _torchscale_xavier(d, d, g) * beta,
                          "out_proj.weight": _torchscale_xavier(d, d, 1.0) * beta}.items():
            assert rule_std(r, prefix + name, (d, d)) == pytest.approx(std, rel=1e-12)
        # fc1/fc2: nn.Linear default U(±1/√fan_in) (weight and bias), divided by init_scale
        assert rule_std(r, prefix + "fc1.weight", (f, d)) == pytest.approx(
            beta / math.sqrt(d) / SQ3, rel=1e-12)
        assert rule_std(r, prefix + "fc2.weight", (d, f)) == pytest.approx(
            beta / math.sqrt(f) / SQ3, rel=1e-12)
        assert rule_std(r, prefix + "fc2.bias", (d,)) == pytest.approx(
            beta / math.sqrt(f) / SQ3, rel=1e-12)
        assert rule_std(r, prefix + "v_proj.bias", (d,)) == pytest.approx(
            beta / math.sqrt(d) / SQ3, rel=1e-12)
        assert rule_std(r, prefix + "q_proj.bias", (d,)) == pytest.approx(
            1 / math.sqrt(d) / SQ3, rel=1e-12)


@pytest.mark.parametrize("n", [6, 12, 24])
def test_t_fixup_formula(n: int) -> None:
    d, f = 512, 2048
    r = R.t_fixup(n, d_model=d)
    xav = math.sqrt(2 / (d + d))
    enc = 0.67 * n ** -0.25  # transformer_layer.py:42
    dec = (9 * n) ** -0.25  # transformer_layer.py:168
    assert rule_std(r, "encoder.layers.*.self_attn.q_proj.weight", (d, d)) == pytest.approx(
        xav / math.sqrt(2), rel=1e-12)  # multihead_attention.py:91
    # transformer_layer.py:44: v_proj (xavier gain 1/√2) * √2 * 0.67 N^-1/4
    assert rule_std(r, "encoder.layers.*.self_attn.v_proj.weight", (d, d)) == pytest.approx(
        xav / math.sqrt(2) * math.sqrt(2) * enc, rel=1e-12)
    assert rule_std(r, "encoder.layers.*.fc1.weight", (f, d)) == pytest.approx(
        math.sqrt(2 / (d + f)) * enc, rel=1e-12)
    assert rule_std(r, "decoder.layers.*.encoder_attn.v_proj.weight", (d, d)) == pytest.approx(
        xav * dec, rel=1e-12)
    assert rule_std(r, "decoder.layers.*.self_attn.out_proj.weight", (d, d)) == pytest.approx(
        xav * dec, rel=1e-12)
    # transformer.py:910 normal_(std=embedding_dim**-0.5), line 380 times (9N)^(-1/4)
    assert rule_std(r, "encoder.embed_tokens.weight", (100, d)) == pytest.approx(
        d ** -0.5 * (9 * n) ** -0.25, rel=1e-12)


@pytest.mark.parametrize("layers", [[3, 3, 3], [6, 6, 6], [18, 18, 18]])  # ResNet-20/38/110
def test_fixup_formula(layers: list[int]) -> None:
    L = sum(layers)
    r = R.fixup(L)
    # fixup_resnet_cifar.py:68: std = sqrt(2 / (shape[0] * prod(shape[2:]))) * L ** -0.5
    for c in (16, 32, 64):
        shape = (c, c, 3, 3)
        assert rule_std(r, "layer*.*.conv1.weight", shape) == pytest.approx(
            math.sqrt(2 / (c * 9)) * L ** -0.5, rel=1e-12)
    # lines 69, 71-72: conv2 and the classifier zero
    assert not r.rules()["layer*.*.conv2.weight"]((4, 4, 3, 3)).any()
    assert not r.rules()["fc.weight"]((10, 64)).any()
    r3 = R.fixup(L, m=3)  # the paper's general rule L^(-1/(2m-2))
    assert rule_std(r3, "layer*.*.conv2.weight", (16, 16, 3, 3)) == pytest.approx(
        math.sqrt(2 / (16 * 9)) * L ** (-1 / 4), rel=1e-12)


MAMBA_SIZES = [(768, 24), (1024, 48), (2560, 64)]  # mamba-130m, -370m, -2.8b


@pytest.mark.parametrize(("d_model", "n_layer"), MAMBA_SIZES)
def test_mamba_formula(d_model: int, n_layer: int) -> None:
    r = R.mamba(d_model, 16, n_layer)
    d_inner = 2 * d_model
    dt_rank = math.ceil(d_model / 16)  # mamba_simple.py:58
    # mamba_simple.py:83, 87: uniform_(-dt_init_std, dt_init_std), dt_init_std = dt_rank**-0.5
    assert rule_std(r, "*.mixer.dt_proj.weight", (d_inner, dt_rank)) == pytest.approx(
        dt_rank ** -0.5 / SQ3, rel=1e-12)
    # mixer_seq_simple.py:119-121: kaiming_uniform_(a=√5) then / sqrt(1 * n_layer)
    assert rule_std(r, "*.mixer.out_proj.weight", (d_model, d_inner)) == pytest.approx(
        d_inner ** -0.5 / SQ3 / math.sqrt(n_layer), rel=1e-12)
    # mixer_seq_simple.py:104: embedding normal_(std=0.02)
    assert rule_std(r, "*.embedding.weight", (1000, d_model)) == pytest.approx(0.02)
    # nn.Linear / nn.Conv1d(groups=d_inner) defaults: U(±1/√fan_in)
    assert rule_std(r, "*.mixer.in_proj.weight", (2 * d_inner, d_model)) == pytest.approx(
        d_model ** -0.5 / SQ3, rel=1e-12)
    assert rule_std(r, "*.mixer.conv1d.weight", (d_inner, 1, 4)) == pytest.approx(
        0.5 / SQ3, rel=1e-12)


def test_mamba_a_log_and_dt_bias_match_the_reference() -> None:
    torch = pytest.importorskip("torch")
    r = R.mamba(64, 16, 2)
    d_inner, d_state = 128, 16
    # mamba_simple.py:104-109: A = arange(1, d_state + 1) repeated over d_inner; A_log = log A
    a = torch.arange(1, d_state + 1, dtype=torch.float32).repeat(d_inner, 1)
    ours = r.rules()["*.mixer.A_log"]((d_inner, d_state), dtype=np.float32)
    # correctly rounded (log in float64, rounded once); torch's float32 log is within 1 ulp
    np.testing.assert_array_equal(ours, torch.log(a.double()).float().numpy())
    np.testing.assert_array_max_ulp(ours, torch.log(a).numpy(), maxulp=1)
    # mamba_simple.py:92-97: softplus(bias) = dt, log dt ~ U[log dt_min, log dt_max]
    b = r.rules()["*.mixer.dt_proj.bias"]((200_000,), dtype=np.float64, rng=3)
    dt = np.log1p(np.exp(b))
    assert dt.min() >= 0.001 * (1 - 1e-12) and dt.max() <= 0.1 * (1 + 1e-12)
    assert_distribution(np.log(dt), "uniform", loc=math.log(0.001),
                        scale=math.log(0.1) - math.log(0.001))
    # the reference's own transform on the same uniform draws gives the same values
    u = initlab.uniform((200_000,), low=math.log(0.001), high=math.log(0.1), dtype=np.float64,
                        rng=3)
    dtt = torch.exp(torch.from_numpy(u)).clamp(min=1e-4)
    ref = (dtt + torch.log(-torch.expm1(-dtt))).numpy()
    np.testing.assert_allclose(b, ref, rtol=1e-12, atol=0)


@pytest.mark.parametrize("shape", [(10, 784), (784, 784), (1024, 784), (1000, 10), (3, 2)])
def test_zero_matches_algorithm_1(shape: tuple[int, int]) -> None:
    torch = pytest.importorskip("torch")
    m, n = shape
    # example_mnist.ipynb cell 4, ZerO_Init_on_matrix
    if m <= n:
        ref = torch.nn.init.eye_(torch.empty(m, n))
    else:
        c = math.ceil(math.log2(m))
        p = 2 ** c
        ref = torch.nn.init.eye_(torch.empty(m, p)) @ (
            torch.tensor(scipy.linalg.hadamard(p)).float() / (2 ** (c / 2))
        ) @ torch.nn.init.eye_(torch.empty(p, n))
    w = torch_layout(R.zero().as_rules()[0])(shape)  # type: ignore[operator]
    np.testing.assert_allclose(w, ref.numpy(), rtol=0, atol=1e-7)


@pytest.mark.parametrize("n_blocks", [4, 16, 100])
def test_rezero_skipinit(n_blocks: int) -> None:
    assert not R.rezero().rules()["*resweight"]((1,)).any()  # rztx.py:47, 115
    assert not R.skipinit(n_blocks).rules()["*skip_gain"](()).any()
    v = R.skipinit(n_blocks, alpha="inverse_sqrt").rules()["*skip_gain"]((), dtype=np.float64)
    assert float(v) == pytest.approx(n_blocks ** -0.5, rel=1e-12)


# --------------------------------------------------------------------------------------------
# applied to small torch models with the reference names


def build(spec: dict[str, object]) -> object:
    """A torch module tree whose ``named_parameters()`` follow the dotted paths of ``spec``.

    Values are modules (``nn.Linear`` ...) or ``nn.Parameter`` s.
    """
    torch = pytest.importorskip("torch")
    root = torch.nn.Module()
    for path, leaf in spec.items():
        *parents, name = path.split(".")
        node = root
        for part in parents:
            if not hasattr(node, part):
                node.add_module(part, torch.nn.Module())
            node = getattr(node, part)
        if isinstance(leaf, torch.nn.Parameter):
            node.register_parameter(name, leaf)
        else:
            node.add_module(name, leaf)
    return root


def apply_recipe(model: object, recipe: object, seed: int = 0) -> object:
    """``initlab.torch.init_(model, recipe, rng=seed)``, then every parameter a recipe rule
    decided is checked bit for bit against a direct draw of its initializer (in PyTorch's
    layout) with ``rng=initlab.seed_for(seed, path)``, the bridge's documented seeding."""
    it = pytest.importorskip("initlab.torch")
    plan = it.init_(model, recipe, rng=seed)
    matcher = initlab.Rules("apply_recipe", recipe.as_rules()[1])  # type: ignore[attr-defined]
    params = dict(model.named_parameters())  # type: ignore[attr-defined]
    for entry in plan:
        rule = matcher.match(entry.path)
        if rule is None or rule.init is None:
            continue
        assert entry.source.startswith("rule"), entry
        x = params[entry.path].detach().numpy()
        init = torch_layout(rule.init)  # the fans of a Linear or an ungrouped Conv
        direct = init(x.shape, dtype=x.dtype, rng=initlab.seed_for(seed, entry.path))
        owner = model.get_submodule(entry.path.rpartition(".")[0])  # type: ignore
        if getattr(owner, "padding_idx", None) is not None:  # an Embedding's padding row: 0
            direct[owner.padding_idx] = 0
        np.testing.assert_array_equal(x, direct, err_msg=entry.path)
    return plan


KURT = {"normal": 3.0, "uniform": 9 / 5}


def check(model: object, expected: dict[str, tuple[str, float]]) -> None:
    """Every parameter in ``expected``: ('normal'|'uniform', std) or ('const', value)."""
    params = dict(model.named_parameters())  # type: ignore[attr-defined]
    assert set(expected) <= set(params), set(expected) - set(params)
    for name, (law, value) in expected.items():
        x = params[name].detach().double().numpy()
        if law == "const":
            np.testing.assert_array_equal(x, np.full(x.shape, value), err_msg=name)
        else:
            assert_variance(x, value ** 2, kurtosis=KURT[law])


def test_gpt2_applied_to_nanogpt_names() -> None:
    torch = pytest.importorskip("torch")
    nn = torch.nn
    n_layer, d, vocab = 3, 64, 512

    class LayerNorm(nn.Module):  # nanoGPT model.py: its own class, weight and bias
        def __init__(self) -> None:
            super().__init__()
            self.weight = nn.Parameter(torch.full((d,), 7.0))
            self.bias = nn.Parameter(torch.full((d,), 7.0))

    spec: dict[str, object] = {"transformer.wte": nn.Embedding(vocab, d),
                               "transformer.wpe": nn.Embedding(64, d)}
    for i in range(n_layer):
        h = f"transformer.h.{i}."
        spec |= {h + "ln_1": LayerNorm(), h + "attn.c_attn": nn.Linear(d, 3 * d),
                 h + "attn.c_proj": nn.Linear(d, d), h + "ln_2": LayerNorm(),
                 h + "mlp.c_fc": nn.Linear(d, 4 * d), h + "mlp.c_proj": nn.Linear(4 * d, d)}
    spec["transformer.ln_f"] = LayerNorm()
    model = build(spec)
    apply_recipe(model, R.gpt2(n_layer))
    exp: dict[str, tuple[str, float]] = {"transformer.wte.weight": ("normal", 0.02),
                                         "transformer.wpe.weight": ("normal", 0.02),
                                         "transformer.ln_f.weight": ("const", 1.0),
                                         "transformer.ln_f.bias": ("const", 0.0)}
    for i in range(n_layer):
        h = f"transformer.h.{i}."
        exp |= {h + "attn.c_attn.weight": ("normal", 0.02),
                h + "attn.c_proj.weight": ("normal", 0.02 / math.sqrt(2 * n_layer)),
                h + "mlp.c_fc.weight": ("normal", 0.02),
                h + "mlp.c_proj.weight": ("normal", 0.02 / math.sqrt(2 * n_layer)),
                h + "ln_1.weight": ("const", 1.0), h + "ln_2.bias": ("const", 0.0)}
    check(model, exp)


def test_bert_applied_to_hugging_face_names() -> None:
    torch = pytest.importorskip("torch")
    nn = torch.nn
    d = 64
    spec: dict[str, object] = {
        "bert.embeddings.word_embeddings": nn.Embedding(300, d, padding_idx=0),
        "bert.embeddings.position_embeddings": nn.Embedding(64, d),
        "bert.embeddings.token_type_embeddings": nn.Embedding(2, d),
        "bert.embeddings.LayerNorm": nn.LayerNorm(d),
        "bert.encoder.layer.0.attention.self.query": nn.Linear(d, d),
        "bert.encoder.layer.0.intermediate.dense": nn.Linear(d, 4 * d),
        "bert.pooler.dense": nn.Linear(d, d)}
    model = build(spec)
    apply_recipe(model, R.bert(initializer_range=0.05))
    # modeling_bert.py _init_weights: Linear and Embedding weights normal_(std=0.05)
    check(model, {k + ".weight": ("normal", 0.05) for k in spec
                  if "LayerNorm" not in k and "word" not in k})
    # ... and the padding_idx row of the word embeddings zeroed (the bridge's Embedding rule)
    words = model.bert.embeddings.word_embeddings.weight.detach().numpy()  # type: ignore
    assert not words[0].any()
    assert_variance(words[1:], 0.05 ** 2)
    check(model, {"bert.embeddings.LayerNorm.weight": ("const", 1.0),
                  "bert.embeddings.LayerNorm.bias": ("const", 0.0),
                  "bert.pooler.dense.bias": ("const", 0.0)})


def test_names_adapts_patterns() -> None:
    torch = pytest.importorskip("torch")
    nn = torch.nn
    model = build({"blocks.0.out": nn.Linear(64, 64), "blocks.0.inp": nn.Linear(64, 64)})
    recipe = R.gpt2(8, names={"*c_proj.weight": "*.out.weight", "*ln_?.weight": None,
                              "*ln_?.bias": None, "*.wpe.weight": "pos.weight"})
    assert list(recipe.rules()) == ["*.out.weight", "*.wte.weight", "pos.weight"]
    apply_recipe(model, recipe)
    check(model, {"blocks.0.out.weight": ("normal", 0.02 / 4),
                  "blocks.0.inp.weight": ("normal", 0.02)})


def test_t5_applied_to_hugging_face_names() -> None:
    torch = pytest.importorskip("torch")
    nn = torch.nn
    d, dkv, h, dff, vocab, factor = 64, 16, 4, 256, 300, 1.5

    def attn(prefix: str) -> dict[str, object]:
        return {prefix + k: nn.Linear(*((d, dkv * h) if k != "o" else (dkv * h, d)),
                                      bias=False) for k in "qkvo"}

    spec: dict[str, object] = {"shared": nn.Embedding(vocab, d)}
    spec |= attn("encoder.block.0.layer.0.SelfAttention.")
    spec["encoder.block.0.layer.0.SelfAttention.relative_attention_bias"] = nn.Embedding(32, h)
    spec["encoder.block.0.layer.0.layer_norm.weight"] = nn.Parameter(torch.zeros(d))
    spec["encoder.block.0.layer.1.DenseReluDense.wi"] = nn.Linear(d, dff, bias=False)
    spec["encoder.block.0.layer.1.DenseReluDense.wo"] = nn.Linear(dff, d, bias=False)
    spec["encoder.final_layer_norm.weight"] = nn.Parameter(torch.zeros(d))
    spec |= attn("decoder.block.0.layer.1.EncDecAttention.")
    spec["decoder.block.0.layer.2.DenseReluDense.wi_0"] = nn.Linear(d, dff, bias=False)
    spec["lm_head"] = nn.Linear(d, vocab, bias=False)
    model = build(spec)
    apply_recipe(model, R.t5(d, dkv, h, dff, factor))
    exp: dict[str, tuple[str, float]] = {
        "shared.weight": ("normal", factor), "lm_head.weight": ("normal", factor),
        "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight":
            ("normal", factor * d ** -0.5),
        "encoder.block.0.layer.0.layer_norm.weight": ("const", factor),
        "encoder.final_layer_norm.weight": ("const", factor),
        "encoder.block.0.layer.1.DenseReluDense.wi.weight": ("normal", factor * d ** -0.5),
        "encoder.block.0.layer.1.DenseReluDense.wo.weight": ("normal", factor * dff ** -0.5),
        "decoder.block.0.layer.2.DenseReluDense.wi_0.weight": ("normal", factor * d ** -0.5),
    }
    for p in ("encoder.block.0.layer.0.SelfAttention.", "decoder.block.0.layer.1.EncDecAttention."):
        exp |= {p + "q.weight": ("normal", factor * (d * dkv) ** -0.5),
                p + "k.weight": ("normal", factor * d ** -0.5),
                p + "v.weight": ("normal", factor * d ** -0.5),
                p + "o.weight": ("normal", factor * (h * dkv) ** -0.5)}
    check(model, exp)


@pytest.mark.parametrize("style", ["timm", "jax"])
def test_vit_applied_to_timm_names(style: str) -> None:
    torch = pytest.importorskip("torch")
    nn = torch.nn
    e = 64
    spec: dict[str, object] = {
        "cls_token": nn.Parameter(torch.zeros(1, 1, e)),
        "pos_embed": nn.Parameter(torch.zeros(1, 17, e)),
        "patch_embed.proj": nn.Conv2d(3, e, 16, 16),
        "blocks.0.norm1": nn.LayerNorm(e), "blocks.0.attn.qkv": nn.Linear(e, 3 * e),
        "blocks.0.attn.proj": nn.Linear(e, e), "blocks.0.norm2": nn.LayerNorm(e),
        "blocks.0.mlp.fc1": nn.Linear(e, 4 * e), "blocks.0.mlp.fc2": nn.Linear(4 * e, e),
        "norm": nn.LayerNorm(e), "head": nn.Linear(e, 1000)}
    model = build(spec)
    apply_recipe(model, R.vit(style, head_bias=-2.0))
    exp: dict[str, tuple[str, float]] = {"pos_embed": ("normal", 0.02),
                                         "cls_token": ("normal", 1e-6)}
    if style == "timm":  # init_weights_vit_timm, lines 1313-1316; PatchEmbed keeps Conv2d's
        exp |= {k: ("normal", 0.02) for k in ("blocks.0.attn.qkv.weight", "head.weight",
                                              "blocks.0.mlp.fc1.weight")}
        exp |= {"patch_embed.proj.weight": ("uniform", 768 ** -0.5 / SQ3),
                "patch_embed.proj.bias": ("uniform", 768 ** -0.5 / SQ3)}
    else:  # init_weights_vit_jax, lines 1337-1348
        exp |= {"blocks.0.attn.qkv.weight": ("uniform", math.sqrt(2 / (4 * e))),
                "blocks.0.mlp.fc2.weight": ("uniform", math.sqrt(2 / (5 * e))),
                "blocks.0.mlp.fc1.bias": ("normal", 1e-6),
                "head.weight": ("const", 0.0), "head.bias": ("const", -2.0)}
    check(model, exp)
    if style == "jax":  # LeCun normal on the patch embedding: truncated at ±2σ
        w = model.patch_embed.proj.weight.detach().double().numpy()  # type: ignore[attr-defined]
        sigma = 768 ** -0.5 / initlab.TRUNCATED_NORMAL_STD
        assert_distribution(w, "truncnorm", -2, 2, scale=sigma)


def test_deepnorm_applied_to_torchscale_names() -> None:
    torch = pytest.importorskip("torch")
    nn = torch.nn
    n, m, d, f = 6, 6, 64, 256
    spec: dict[str, object] = {}
    for stack, attns in (("encoder", ("self_attn",)), ("decoder", ("self_attn", "encoder_attn"))):
        for a in attns:
            spec |= {f"{stack}.layers.0.{a}.{p}_proj": nn.Linear(d, d) for p in "qkv"}
            spec[f"{stack}.layers.0.{a}.out_proj"] = nn.Linear(d, d)
        spec[f"{stack}.layers.0.ffn.fc1"] = nn.Linear(d, f)
        spec[f"{stack}.layers.0.ffn.fc2"] = nn.Linear(f, d)
    model = build(spec)
    r = R.deepnorm(n, m, d_model=d, d_ffn=f)
    apply_recipe(model, r)
    xav = math.sqrt(2 / (2 * d))
    exp: dict[str, tuple[str, float]] = {}
    for stack, beta, attns in (("encoder", 1.15 / (n ** 4 * m) ** (1 / 16), ("self_attn",)),
                               ("decoder", (12 * m) ** -0.25, ("self_attn", "encoder_attn"))):
        for a in attns:
            p = f"{stack}.layers.0.{a}."
            exp |= {p + "q_proj.weight": ("uniform", xav / math.sqrt(2)),
                    p + "v_proj.weight": ("uniform", xav / math.sqrt(2) * beta),
                    p + "out_proj.weight": ("uniform", xav * beta),
                    p + "v_proj.bias": ("uniform", beta / math.sqrt(d) / SQ3)}
        p = f"{stack}.layers.0.ffn."
        exp |= {p + "fc1.weight": ("uniform", beta / math.sqrt(d) / SQ3),
                p + "fc2.weight": ("uniform", beta / math.sqrt(f) / SQ3),
                p + "fc1.bias": ("uniform", beta / math.sqrt(d) / SQ3)}
    check(model, exp)


def test_t_fixup_applied_to_fairseq_names() -> None:
    torch = pytest.importorskip("torch")
    nn = torch.nn
    n, d, f = 6, 64, 256
    spec: dict[str, object] = {"encoder.embed_tokens": nn.Embedding(500, d)}
    spec |= {f"encoder.layers.0.self_attn.{p}_proj": nn.Linear(d, d) for p in ("q", "v", "out")}
    spec |= {"encoder.layers.0.fc1": nn.Linear(d, f), "encoder.layers.0.fc2": nn.Linear(f, d),
             "decoder.layers.0.encoder_attn.v_proj": nn.Linear(d, d)}
    model = build(spec)
    apply_recipe(model, R.t_fixup(n, d_model=d))
    g = 0.67 * n ** -0.25
    check(model, {
        "encoder.embed_tokens.weight": ("normal", d ** -0.5 * (9 * n) ** -0.25),
        "encoder.layers.0.self_attn.q_proj.weight": ("uniform", math.sqrt(1 / (2 * d))),
        "encoder.layers.0.self_attn.v_proj.weight": ("uniform", math.sqrt(1 / d) * g),
        "encoder.layers.0.fc2.weight": ("uniform", math.sqrt(2 / (d + f)) * g),
        "decoder.layers.0.encoder_attn.v_proj.weight": ("uniform",
                                                        math.sqrt(1 / d) * (9 * n) ** -0.25)})


def test_fixup_applied_to_reference_names() -> None:
    torch = pytest.importorskip("torch")
    nn = torch.nn
    one = nn.Parameter(torch.full((1,), 5.0))
    spec: dict[str, object] = {"conv1": nn.Conv2d(3, 16, 3, bias=False), "bias1": one}
    for i in range(3):
        b = f"layer1.{i}."
        spec |= {b + "conv1": nn.Conv2d(16, 16, 3, bias=False),
                 b + "conv2": nn.Conv2d(16, 16, 3, bias=False),
                 b + "scale": nn.Parameter(torch.full((1,), 5.0)),
                 b + "bias1a": nn.Parameter(torch.full((1,), 5.0))}
    spec["fc"] = nn.Linear(16, 10)
    model = build(spec)
    before = model.conv1.weight.detach().clone()  # type: ignore[attr-defined]
    apply_recipe(model, R.fixup(3))
    exp: dict[str, tuple[str, float]] = {"fc.weight": ("const", 0.0), "fc.bias": ("const", 0.0),
                                         "bias1": ("const", 0.0)}
    for i in range(3):
        b = f"layer1.{i}."
        exp |= {b + "conv1.weight": ("normal", math.sqrt(2 / (16 * 9)) / math.sqrt(3)),
                b + "conv2.weight": ("const", 0.0), b + "scale": ("const", 1.0),
                b + "bias1a": ("const", 0.0)}
    check(model, exp)
    assert torch.equal(model.conv1.weight, before)  # type: ignore[attr-defined]  # stem untouched


def test_mamba_applied_to_mamba_ssm_names() -> None:
    torch = pytest.importorskip("torch")
    nn = torch.nn
    d, n_layer, d_state = 64, 2, 16
    di, rank = 2 * d, 4
    spec: dict[str, object] = {"backbone.embedding": nn.Embedding(300, d)}
    for i in range(n_layer):
        x = f"backbone.layers.{i}.mixer."
        spec |= {x + "in_proj": nn.Linear(d, 2 * di, bias=False),
                 x + "conv1d": nn.Conv1d(di, di, 4, groups=di, padding=3),
                 x + "x_proj": nn.Linear(di, rank + 2 * d_state, bias=False),
                 x + "dt_proj": nn.Linear(rank, di),
                 x + "A_log": nn.Parameter(torch.zeros(di, d_state)),
                 x + "D": nn.Parameter(torch.zeros(di)),
                 x + "out_proj": nn.Linear(di, d, bias=False),
                 f"backbone.layers.{i}.norm": nn.RMSNorm(d)}
    spec["backbone.norm_f"] = nn.RMSNorm(d)
    model = build(spec)
    apply_recipe(model, R.mamba(d, d_state, n_layer))
    x = "backbone.layers.1.mixer."
    check(model, {"backbone.embedding.weight": ("normal", 0.02),
                  x + "in_proj.weight": ("uniform", d ** -0.5 / SQ3),
                  x + "conv1d.weight": ("uniform", 0.5 / SQ3),
                  x + "x_proj.weight": ("uniform", di ** -0.5 / SQ3),
                  x + "dt_proj.weight": ("uniform", rank ** -0.5 / SQ3),
                  x + "out_proj.weight": ("uniform", di ** -0.5 / SQ3 / math.sqrt(n_layer)),
                  x + "D": ("const", 1.0), "backbone.norm_f.weight": ("const", 1.0)})
    a_log = dict(model.named_parameters())[x + "A_log"].detach().numpy()
    np.testing.assert_allclose(a_log, np.log(np.tile(np.arange(1, 17), (di, 1))), rtol=1e-7)


def test_rezero_applied() -> None:
    torch = pytest.importorskip("torch")
    nn = torch.nn
    # rztx.py RZTXEncoderLayer: MultiheadAttention, linear1/linear2 with PyTorch's defaults,
    # resweight = Parameter(Tensor([0])) (lines 47, 115): biases keep their values too
    model = build({"layers.0.self_attn": nn.MultiheadAttention(16, 2),
                   "layers.0.linear1": nn.Linear(16, 32), "layers.0.linear2": nn.Linear(32, 16),
                   "layers.0.resweight": nn.Parameter(torch.ones(1))})
    before = {k: v.detach().clone() for k, v in model.named_parameters()}
    plan = apply_recipe(model, R.rezero())
    check(model, {"layers.0.resweight": ("const", 0.0)})
    for path, value in model.named_parameters():
        if path != "layers.0.resweight":
            assert torch.equal(value, before[path]), path
            assert plan[path].init == "untouched"  # type: ignore[index]


@pytest.mark.parametrize("alpha", ["zero", "inverse_sqrt"])
def test_skipinit_applied_to_nf_resnet_names(alpha: str) -> None:
    torch = pytest.importorskip("torch")
    nn = torch.nn
    n_blocks = 4
    spec: dict[str, object] = {"stem.conv": nn.Conv2d(3, 8, 3)}
    for i in range(n_blocks):  # nf_resnet.py: each block's skip_gain, initialized to zeros
        spec |= {f"blocks.{i}.conv0": nn.Conv2d(8, 8, 3, padding=1),
                 f"blocks.{i}.skip_gain": nn.Parameter(torch.full((), 7.0))}
    model = build(spec)
    before = model.stem.conv.bias.detach().clone()  # type: ignore[attr-defined]
    apply_recipe(model, R.skipinit(n_blocks, alpha=alpha))
    value = 0.0 if alpha == "zero" else n_blocks ** -0.5
    check(model, {f"blocks.{i}.skip_gain": ("const", value) for i in range(n_blocks)})
    assert torch.equal(model.stem.conv.bias, before)  # type: ignore[attr-defined]


def test_zero_applied_to_an_mnist_mlp() -> None:
    torch = pytest.importorskip("torch")
    nn = torch.nn
    # example_mnist.ipynb: an MLP 784 -> 1024 -> 1024 -> 10 made smaller; every Linear weight
    # ZerO_Init_on_matrix, the last layer zero (the paper's choice for the output layer)
    model = build({"l1": nn.Linear(64, 100), "l2": nn.Linear(100, 100), "l3": nn.Linear(100, 40),
                   "l4": nn.Linear(40, 10)})
    apply_recipe(model, R.zero(last=["l4.weight"]))
    params = dict(model.named_parameters())
    for name, (m, n) in {"l1": (100, 64), "l2": (100, 100), "l3": (40, 100)}.items():
        w = params[name + ".weight"].detach().numpy()
        if m <= n:
            ref = np.eye(m, n)
        else:
            c = math.ceil(math.log2(m))
            ref = np.eye(m, 2 ** c) @ scipy.linalg.hadamard(2 ** c) / 2 ** (c / 2) \
                @ np.eye(2 ** c, n)
        np.testing.assert_allclose(w, ref, rtol=0, atol=1e-7, err_msg=name)
        assert not params[name + ".bias"].detach().numpy().any()
    check(model, {"l4.weight": ("const", 0.0)})


def test_recipe_rules_that_match_nothing_are_not_errors() -> None:
    it = pytest.importorskip("initlab.torch")
    torch = pytest.importorskip("torch")
    # nanoGPT with bias=False: its LayerNorm has no bias, so '*ln_?.bias' matches nothing
    model = build({"transformer.wte": torch.nn.Embedding(50, 16),
                   "transformer.h.0.attn.c_proj": torch.nn.Linear(16, 16, bias=False)})
    plan = it.init_(model, R.gpt2(2), rng=0)
    assert plan["transformer.h.0.attn.c_proj.weight"].source == "rule '*c_proj.weight'"
    with pytest.raises(ValueError, match="matched no parameter"):  # the caller's own rules do
        it.init_(model, R.gpt2(2), rules={"*.nothing": "zeros"}, rng=0)
    # the caller's own rules come first, even on a recipe's pattern
    plan = it.init_(model, R.gpt2(2), rules={"*c_proj.weight": "zeros"}, rng=0)
    assert plan["transformer.h.0.attn.c_proj.weight"].init == "Zeros()"
    weights = dict(model.named_parameters())  # type: ignore[attr-defined]
    assert not weights["transformer.h.0.attn.c_proj.weight"].detach().numpy().any()


def test_mup_plan_applied_through_the_torch_bridge() -> None:
    torch = pytest.importorskip("torch")
    it = pytest.importorskip("initlab.torch")
    from initlab.mup import parametrize

    nn = torch.nn

    def mlp(w: int) -> object:
        return nn.Sequential(nn.Linear(32, w), nn.ReLU(), nn.Linear(w, w), nn.ReLU(),
                             nn.Linear(w, 10))

    model = mlp(512)
    plan = parametrize(model, mlp(64).to("meta"), delta=mlp(128).to("meta"),  # type: ignore
                       readout="4.weight", init=initlab.Normal(std=0.02))
    bridge = it.init_(model, plan, rng=0)
    params = dict(model.named_parameters())  # type: ignore[attr-defined]
    for p in plan:
        if p.std is None:
            continue
        assert bridge[p.path].source.startswith("rule")
        assert bridge[p.path].std == pytest.approx(p.std, rel=1e-12)
        assert_variance(params[p.path].detach().double().numpy(), p.std ** 2)
    # mup.init with a constant std: the hidden matrix 0.02/√(width_mult), the input layer 0.02
    assert plan["2.weight"].std == pytest.approx(0.02 / math.sqrt(512 / 64), rel=1e-12)
    assert plan["0.weight"].std == pytest.approx(0.02, rel=1e-12)
    assert not params["0.bias"].detach().numpy().any()  # the bridge's bias default


# --------------------------------------------------------------------------------------------
# applied to Flax parameter trees through initlab.jax, with names=


def _flax_encoder(d: int, f: int) -> object:
    nn = pytest.importorskip("flax.linen")

    class Layer(nn.Module):  # type: ignore[misc]
        @nn.compact
        def __call__(self, x: object) -> object:
            for p in ("q_proj", "k_proj", "v_proj", "out_proj"):
                x = nn.Dense(d, name=p)(x)
            return nn.Dense(d, name="fc2")(nn.Dense(f, name="fc1")(x))

    class Encoder(nn.Module):  # type: ignore[misc]
        @nn.compact
        def __call__(self, x: object) -> object:
            return Layer(name="layers_1")(Layer(name="layers_0")(x))

    return Encoder()


@pytest.mark.slow  # builds a Flax model (jax.eval_shape)
def test_deepnorm_applied_to_a_flax_tree_with_names() -> None:
    jax = pytest.importorskip("jax")
    pytest.importorskip("flax")
    ij = pytest.importorskip("initlab.jax")
    n, d, f = 6, 32, 128
    model = _flax_encoder(d, f)
    shapes = jax.eval_shape(model.init, jax.random.key(0),  # type: ignore[attr-defined]
                            jax.ShapeDtypeStruct((1, d), np.float32))
    names = {f"*{p}.weight": f"*/{p}/kernel"
             for p in ("q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2")}
    names |= {f"*{p}.bias": f"*/{p}/bias" for p in ("q_proj", "k_proj", "v_proj", "fc1", "fc2")}
    recipe = R.deepnorm(n, 0, d_model=d, d_ffn=f, names=names)
    params, plan = ij.init_params(shapes, recipe, rng=0)
    beta = (8 * n) ** -0.25  # encoder.py:244
    xav = math.sqrt(2 / (2 * d))
    layer = params["params"]["layers_1"]
    # Flax kernels are (in, out): fc1 (d, f) has fan_in d, fc2 (f, d) fan_in f
    for name, (law, std) in {
            "q_proj/kernel": ("uniform", xav / math.sqrt(2)),
            "v_proj/kernel": ("uniform", xav / math.sqrt(2) * beta),
            "out_proj/kernel": ("uniform", xav * beta),
            "fc1/kernel": ("uniform", beta / math.sqrt(3 * d)),
            "fc2/kernel": ("uniform", beta / math.sqrt(3 * f)),
            "fc2/bias": ("uniform", beta / math.sqrt(3 * f)),
            "q_proj/bias": ("uniform", 1 / math.sqrt(3 * d))}.items():
        module, leaf = name.split("/")
        x = np.asarray(layer[module][leaf], np.float64)
        assert_variance(x, std ** 2, kurtosis=KURT[law])
        assert plan["params/layers_1/" + name].std == pytest.approx(std, rel=1e-6)
    assert not np.asarray(layer["out_proj"]["bias"]).any()  # no rule: Flax's zeros
    # the exact values: the rule drawn with Flax's fans from seed_for(0, path)
    path = "params/layers_0/fc1/kernel"
    direct = recipe.rules()["*/fc1/kernel"]((d, f), rng=initlab.seed_for(0, path))
    np.testing.assert_array_equal(np.asarray(params["params"]["layers_0"]["fc1"]["kernel"]),
                                  direct)


def test_mamba_applied_to_a_flax_tree_with_names() -> None:
    pytest.importorskip("jax")
    ij = pytest.importorskip("initlab.jax")
    d, d_state, di, rank = 32, 8, 64, 2
    mixer = {"A_log": np.zeros((di, d_state), np.float32), "D": np.zeros(di, np.float32),
             "dt_proj": {"kernel": np.zeros((rank, di), np.float32),
                         "bias": np.zeros(di, np.float32)},
             "out_proj": {"kernel": np.zeros((di, d), np.float32)}}
    tree = {"params": {"layers_0": {"mixer": mixer}}}
    recipe = R.mamba(d, d_state, 4, dt_rank=rank, names={
        "*.mixer.A_log": "*/mixer/A_log", "*.mixer.D": "*/mixer/D",
        "*.mixer.dt_proj.bias": "*/dt_proj/bias", "*.mixer.dt_proj.weight": "*/dt_proj/kernel",
        "*.mixer.out_proj.weight": "*/out_proj/kernel"})
    params, _ = ij.init_params(tree, recipe, rng=0)
    got = params["params"]["layers_0"]["mixer"]
    np.testing.assert_array_equal(  # mamba_simple.py:104-109, log in float64 rounded once
        np.asarray(got["A_log"]), np.log(np.tile(np.arange(1.0, d_state + 1), (di, 1))
                                         ).astype(np.float32))
    np.testing.assert_array_equal(np.asarray(got["D"]), np.ones(di, np.float32))
    dt = np.log1p(np.exp(np.asarray(got["dt_proj"]["bias"], np.float64)))
    assert dt.min() >= 0.001 * (1 - 1e-6) and dt.max() <= 0.1 * (1 + 1e-6)
    assert_variance(np.asarray(got["out_proj"]["kernel"], np.float64),
                    di ** -1 / 3 / 4, kurtosis=KURT["uniform"])  # mixer_seq_simple.py:119-121


def test_zero_applied_to_a_flax_tree_reads_kernels_as_in_out() -> None:
    pytest.importorskip("jax")
    ij = pytest.importorskip("initlab.jax")
    # Flax Dense kernels are (in, out): the 64 -> 100 layer grows the width (Hadamard), the
    # 100 -> 40 one does not (partial identity); ZerO_Init_on_matrix works on (out, in)
    tree = {"params": {"Dense_0": {"kernel": np.zeros((64, 100), np.float32)},
                       "Dense_1": {"kernel": np.zeros((100, 40), np.float32)},
                       "Dense_2": {"kernel": np.zeros((40, 10), np.float32)}}}
    params, _ = ij.init_params(tree, R.zero(last=["*/Dense_2/kernel"]), rng=0)
    p = params["params"]
    ref = scipy.linalg.hadamard(128)[:100, :64] / math.sqrt(128)  # (out, in)
    np.testing.assert_allclose(np.asarray(p["Dense_0"]["kernel"]), ref.T, rtol=0, atol=1e-7)
    np.testing.assert_array_equal(np.asarray(p["Dense_1"]["kernel"]), np.eye(40, 100).T)
    assert not np.asarray(p["Dense_2"]["kernel"]).any()


# --------------------------------------------------------------------------------------------
# the Recipe object


ALL = [R.gpt2(12), R.bert(), R.vit(), R.vit("jax", head_bias=-1.0), R.t5(512, 64, 8, 2048, 2.0),
       R.deepnorm(6, 6), R.deepnorm(6, 0, d_model=512, d_ffn=2048), R.t_fixup(6, d_model=512),
       R.fixup(9, m=3), R.rezero(), R.skipinit(8, alpha="inverse_sqrt"), R.zero(last=["fc.*"]),
       R.mamba(768, 16, 24), R.gpt2(4, names={"*c_proj.weight": "*.proj.weight"})]


@pytest.mark.parametrize("recipe", ALL, ids=lambda r: r.name)
def test_recipe_round_trip_and_protocol(recipe: R.Recipe) -> None:
    back = R.Recipe.from_json(recipe.to_json())
    assert back == recipe and repr(back) == repr(recipe)
    assert back.as_rules() == recipe.as_rules()
    assert json.loads(recipe.to_json())["recipe"] == recipe.name
    assert isinstance(recipe, initlab.plan.RuleSource)
    assert recipe.paper and recipe.reference
    text = recipe.describe()
    assert recipe.reference.split()[0] in text
    for e in recipe.entries:
        assert e.pattern in text
    initlab.Rules("test", recipe.rules())  # every rule value resolves
    assert eval(repr(recipe), {"initlab": initlab}) == recipe


BAD = [
    ("gpt2-zero-layers", lambda: R.gpt2(0), ValueError, "n_layer"),
    ("gpt2-str", lambda: R.gpt2("12"), TypeError, "n_layer"),
    ("gpt2-unknown-arg", lambda: R.gpt2(12, n_head=12), TypeError, "n_head"),
    ("gpt2-std", lambda: R.gpt2(12, std=-1.0), ValueError, "std"),
    ("bert-positional", lambda: R.bert(0.02), TypeError, "positional"),
    ("vit-style", lambda: R.vit("flax"), ValueError, "style"),
    ("t5-d_kv", lambda: R.t5(512, 0, 8, 2048), ValueError, "d_kv"),
    ("t5-factor", lambda: R.t5(512, 64, 8, 2048, factor=0.0), ValueError, "factor"),
    ("deepnorm-empty", lambda: R.deepnorm(0, 0), ValueError, "n_encoder"),
    ("deepnorm-half-dims", lambda: R.deepnorm(6, 6, d_model=512), ValueError, "d_ffn"),
    ("t_fixup-layers", lambda: R.t_fixup(0), ValueError, "n_layers"),
    ("fixup-m", lambda: R.fixup(9, m=1), ValueError, "m"),
    ("skipinit-alpha", lambda: R.skipinit(4, alpha="one"), ValueError, "alpha"),
    ("zero-last-str", lambda: R.zero(last="fc.weight"), TypeError, "last"),
    ("mamba-dt-range", lambda: R.mamba(64, 16, 2, dt_min=0.1, dt_max=0.01), ValueError,
     "dt_max"),
    ("mamba-floor", lambda: R.mamba(64, 16, 2, dt_init_floor=-1.0), ValueError,
     "dt_init_floor"),
    ("names-unknown-key", lambda: R.gpt2(12, names={"c_proj": "x"}), ValueError, "names"),
    ("names-bad-value", lambda: R.gpt2(12, names={"*c_proj.weight": 3}), TypeError, "names"),
    ("names-duplicate", lambda: R.gpt2(12, names={"*.wte.weight": "*.wpe.weight"}),
     ValueError, "names"),
    ("names-type", lambda: R.gpt2(12, names=["x"]), TypeError, "names"),
    ("from-config-recipe", lambda: R.Recipe.from_config({"recipe": "gpt3"}), ValueError,
     "recipe"),
    ("from-config-args", lambda: R.Recipe.from_config({"recipe": "gpt2", "arguments":
                                                       {"n_layer": 2, "heads": 1}}),
     TypeError, "heads"),
]


@pytest.mark.parametrize(("call", "exc", "word"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input(call: object, exc: type[Exception], word: str) -> None:
    with pytest.raises(exc, match=word):
        call()  # type: ignore[operator]
