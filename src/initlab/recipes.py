r"""Published initialization recipes of named models, as rules a bridge applies.

Modern models are not initialized by one formula: GPT-2 scales its residual projections by
:math:`1/\sqrt{2N}`, T5 gives q, k, v, o and the feed-forward layers different fan products,
DeepNet divides four projections by :math:`(8N)^{1/4}`, Mamba draws its time steps
log-uniformly through an inverse softplus. Each function here returns a :class:`Recipe`: an
ordered table of glob patterns on parameter paths → initializers, keyed by the parameter names
of the implementation it reproduces (nanoGPT, Hugging Face ``transformers`` and ``timm``,
``torchscale``, ``fairseq``, ``mamba_ssm``), with the formula, the paper and the reference
file. A recipe implements :class:`initlab.plan.RuleSource` (``as_rules()``), so a bridge such
as ``initlab.torch.init_(model, recipe, rng=0)`` accepts it in place of ``init``; ``names=``
renames the patterns for a model whose parameters are named differently.

Everything is arithmetic on the recipe's arguments; nothing here imports a framework.

=================  ==========================================================================
recipe             reference file (parameter names)
=================  ==========================================================================
:func:`gpt2`       karpathy/nanoGPT ``model.py``
:func:`bert`       huggingface/transformers ``models/bert/modeling_bert.py``
:func:`vit`        huggingface/pytorch-image-models ``timm/models/vision_transformer.py``
:func:`t5`         huggingface/transformers ``models/t5/modeling_t5.py``
:func:`deepnorm`   microsoft/torchscale ``torchscale/architecture/encoder.py``, ``decoder.py``
:func:`t_fixup`    layer6ai-labs/T-Fixup ``fairseq/modules/transformer_layer.py``
:func:`fixup`      hongyi-zhang/Fixup ``cifar/models/fixup_resnet_cifar.py``
:func:`rezero`     majumderb/rezero ``rezero/transformer/rztx.py``
:func:`skipinit`   google-deepmind/deepmind-research ``nfnets`` (``skip_gain``)
:func:`zero`       jiaweizzhao/ZerO-initialization ``example_mnist.ipynb``
:func:`mamba`      state-spaces/mamba ``mamba_ssm/modules/mamba_simple.py``,
                   ``mamba_ssm/models/mixer_seq_simple.py``
=================  ==========================================================================
"""

from __future__ import annotations

import json
import math
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import initializers as _init
from ._validate import check_choice, check_int, check_real, fail

__all__ = [
    "Recipe", "RecipeRule", "bert", "deepnorm", "fixup", "gpt2", "mamba", "rezero", "skipinit",
    "t5", "t_fixup", "vit", "zero",
]

_SQRT3 = math.sqrt(3.0)


# --------------------------------------------------------------------------------------------
# the recipe object


@dataclass(frozen=True)
class RecipeRule:
    """One line of a recipe: which parameters, which initializer, and its std.

    Attributes
    ----------
    pattern : str
        Glob pattern on parameter paths (``fnmatch``), after ``names=`` renaming; ``'*'``
        with ``default=True`` for the recipe's default.
    init : object
        The initializer (an :class:`initlab.Initializer`), or ``None`` to leave the
        parameters as they are.
    distribution : str
        The distribution in words, e.g. ``'N(0, σ²)'``.
    formula : str
        The standard deviation as a formula of the recipe's arguments (or of the fans).
    std : float or None
        The standard deviation as a number, ``None`` when it depends on the fans.
    default : bool
        Whether this is the recipe's default for weights no rule matches.

    References
    ----------
    .. [1] Python documentation, ``fnmatch``.

    Examples
    --------
    >>> import initlab.recipes as R
    >>> R.gpt2(12).entries[0].formula
    '0.02/√(2·n_layer)'
    """

    pattern: str
    init: object
    distribution: str
    formula: str
    std: float | None
    default: bool = False


_FACTORIES: dict[str, Callable[..., Recipe]] = {}


class Recipe:
    r"""A published initialization: default, ordered rules, formulas, paper and reference.

    Built by the functions of :mod:`initlab.recipes` (not directly). ``as_rules()`` gives
    ``(default, rules)`` as :class:`initlab.plan.RuleSource` defines; a bridge puts the
    caller's own ``rules=`` first and keeps its layer-kind defaults for biases (zeros) and
    normalization layers (ones/zeros).

    Attributes
    ----------
    name : str
        The recipe function's name (``'gpt2'``, ...).
    arguments : dict
        The arguments it was called with (JSON-ready).
    names : dict
        The ``names=`` renaming applied to the reference patterns.
    entries : tuple of RecipeRule
        The rules, in matching order (first match wins).
    default : RecipeRule or None
        The initializer of every weight no rule matches (``None``: left as they are).
    constants : dict of str to float
        Other numbers of the recipe that are not initializers (DeepNet's residual
        multiplier α, ...).
    paper : str
        The paper it comes from.
    reference : str
        The reference file (and lines) it reproduces, whose parameter names the patterns use.

    Notes
    -----
    ``to_json()`` stores the recipe's name, arguments and ``names``; ``from_json`` calls the
    recipe function again (so it validates again), which restores every rule exactly.

    A recipe may contain rules for optional parameters of the reference model (biases that
    exist only with ``bias=True``, an untied output head): a bridge should not treat a recipe
    rule that matches nothing as an error (only the caller's own ``rules=``).

    The initializers whose std depends on the fans (Xavier, He, LeCun, variance scaling) are
    built without a layout: a bridge gives each parameter its layer's fans
    (``initlab.torch.init_``: PyTorch's ``(out, in, *kernel)``; ``initlab.jax.init_params``:
    Flax's ``(*kernel, in, out)``), so one recipe serves both. To call such a rule directly
    on a PyTorch-shaped array, set its layout first:
    ``type(init).from_config({**init.get_config(), "layout": "torch"})``.

    References
    ----------
    .. [1] The papers and reference files listed by each recipe function.

    Examples
    --------
    >>> import initlab.recipes as R
    >>> recipe = R.gpt2(12)
    >>> default, rules = recipe.as_rules()
    >>> default
    Normal(mean=0.0, std=0.02)
    >>> rules["*c_proj.weight"]
    Normal(mean=0.0, std=0.004082482904638631)
    >>> R.Recipe.from_json(recipe.to_json()) == recipe
    True
    """

    def __init__(self, name: str, arguments: Mapping[str, Any], entries: list[RecipeRule], *,
                 default: RecipeRule | None, paper: str, reference: str,
                 names: Mapping[str, str | None] | None = None,
                 constants: Mapping[str, float] | None = None) -> None:
        self.name = name
        self.arguments = dict(arguments)
        self.paper = paper
        self.reference = reference
        self.constants = dict(constants or {})
        self.names, self.entries = _rename(name, entries, names)
        self.default = default

    def as_rules(self) -> tuple[object, dict[str, object]]:
        """``(default, rules)`` for a bridge (see :class:`initlab.plan.RuleSource`)."""
        return (None if self.default is None else self.default.init), self.rules()

    def rules(self) -> dict[str, object]:
        """The ordered mapping glob pattern → initializer (``None``: left as they are)."""
        return {e.pattern: e.init for e in self.entries}

    def describe(self) -> str:
        """A table: parameter pattern, distribution, std as a formula and as a number."""
        rows = [(e.pattern, e.distribution, e.formula,
                 "-" if e.std is None else f"{e.std:.6g}") for e in self.entries]
        if self.default is not None:
            d = self.default
            rows.append(("(every other weight)", d.distribution, d.formula,
                         "-" if d.std is None else f"{d.std:.6g}"))
        head = ("parameter", "distribution", "std (formula)", "std")
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
        lines = [f"{self.name}({_arg_text(self.arguments)})"]
        lines += textwrap.wrap(f"paper: {self.paper}", 88, subsequent_indent="  ")
        lines += textwrap.wrap(f"reference: {self.reference}", 88, subsequent_indent="  ")
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                  for r in [head, *rows]]
        lines += [f"{k} = {v:.6g}" for k, v in self.constants.items()]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.describe()

    def get_config(self) -> dict[str, Any]:
        """``{'recipe': name, 'arguments': {...}, 'names': {...}}`` (JSON-ready)."""
        return {"recipe": self.name, "arguments": dict(self.arguments),
                "names": dict(self.names)}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Recipe:
        """Rebuild a recipe from :meth:`get_config` by calling its function again."""
        if not isinstance(config, Mapping) or "recipe" not in config:
            fail("Recipe.from_config", "config", config, "use the dict get_config() returns "
                 "(keys 'recipe', 'arguments', 'names')", TypeError)
        extra = set(config) - {"recipe", "arguments", "names"}
        if extra:
            fail("Recipe.from_config", "config", config, "use only the keys 'recipe', "
                 "'arguments' and 'names'")
        factory = _FACTORIES.get(config["recipe"])
        if factory is None:
            fail("Recipe.from_config", "config['recipe']", config["recipe"],
                 "use one of " + ", ".join(repr(k) for k in _FACTORIES))
        return factory(**dict(config.get("arguments", {})), names=config.get("names") or None)

    def to_json(self, *, indent: int | None = None) -> str:
        """:meth:`get_config` as JSON."""
        return json.dumps(self.get_config(), indent=indent)

    @classmethod
    def from_json(cls, text: str) -> Recipe:
        """Rebuild a recipe from :meth:`to_json`'s output."""
        return cls.from_config(json.loads(text))

    def __repr__(self) -> str:
        parts = [_arg_text(self.arguments)] + ([f"names={self.names!r}"] if self.names else [])
        return f"initlab.recipes.{self.name}({', '.join(p for p in parts if p)})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Recipe) and other.get_config() == self.get_config()

    def __hash__(self) -> int:
        return hash(json.dumps(self.get_config(), sort_keys=True))


def _arg_text(arguments: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in arguments.items())


def _rename(func: str, entries: list[RecipeRule], names: object
            ) -> tuple[dict[str, str | None], tuple[RecipeRule, ...]]:
    if names is None:
        return {}, tuple(entries)
    if not isinstance(names, Mapping):
        fail(func, "names", names, "use a dict mapping the recipe's patterns to your model's "
             "patterns (or to None to drop a rule)", TypeError)
    known = [e.pattern for e in entries]
    for key, value in names.items():
        if key not in known:
            fail(func, "names", names, "use keys among the recipe's patterns: "
                 + ", ".join(repr(k) for k in known), why=f"has the unknown key {key!r}")
        if value is not None and (not isinstance(value, str) or not value):
            fail(func, f"names[{key!r}]", value, "use a non-empty glob pattern or None",
                 TypeError if not isinstance(value, str) else ValueError)
    out = []
    for e in entries:
        if e.pattern in names:
            new = names[e.pattern]
            if new is None:
                continue
            e = RecipeRule(new, e.init, e.distribution, e.formula, e.std)
        out.append(e)
    patterns = [e.pattern for e in out]
    twice = sorted({p for p in patterns if patterns.count(p) > 1})
    if twice:
        fail(func, "names", names, "give each rule its own pattern (or None to drop it)",
             why=f"maps two rules to {twice[0]!r}")
    return dict(names), tuple(out)


def _register(func: Callable[..., Recipe]) -> Callable[..., Recipe]:
    _FACTORIES[func.__name__] = func
    return func


# helpers that build rules -------------------------------------------------------------------


def _normal(pattern: str, std: float, formula: str) -> RecipeRule:
    return RecipeRule(pattern, _init.Normal(std=std), "N(0, σ²)", formula, std)


def _uniform(pattern: str, bound: float, formula: str) -> RecipeRule:
    """U(±bound); ``formula`` is the bound's formula, the std is bound/√3."""
    return RecipeRule(pattern, _init.Uniform(low=-bound, high=bound), f"U(±a), a = {formula}",
                      f"({formula})/√3", bound / _SQRT3)


def _const(pattern: str, value: float, formula: str | None = None) -> RecipeRule:
    if value == 0.0:
        init: object = _init.Zeros()
    elif value == 1.0:
        init = _init.Ones()
    else:
        init = _init.Constant(value=value)
    return RecipeRule(pattern, init, f"constant {formula or format(value, 'g')}", "0", 0.0)


def _keep() -> RecipeRule:
    """The last rule of a recipe whose reference leaves every other parameter to the
    framework: ``'*'`` → ``None``, so that a bridge keeps the model's own values (its biases
    included) instead of applying its layer-kind defaults."""
    return RecipeRule("*", None, "left as it is (the framework's default)", "-", None)


def _xavier_uniform(pattern: str, gain: float, gain_text: str) -> RecipeRule:
    return RecipeRule(pattern, _init.XavierUniform(gain=gain),
                      "U(±√3·σ) (Xavier uniform)", f"{gain_text}·√(2/(fan_in+fan_out))", None)


def _int(func: str, name: str, value: object, minimum: int) -> int:
    return check_int(func, name, value, minimum=minimum)


def _pos(func: str, name: str, value: object) -> float:
    return check_real(func, name, value, positive=True)


# --------------------------------------------------------------------------------------------
# the recipes


@_register
def gpt2(n_layer: int, *, std: float = 0.02, names: Mapping[str, str | None] | None = None
         ) -> Recipe:
    r"""GPT-2 as nanoGPT initializes it: N(0, 0.02), residual projections N(0, 0.02/√(2N)).

    Parameters
    ----------
    n_layer : int
        Number of transformer blocks :math:`N` (``>= 1``).
    std : float, default 0.02
        The base standard deviation.
    names : dict, optional
        Renames the recipe's patterns for another model: ``{recipe pattern: your pattern}``
        (``None`` drops the rule).

    Returns
    -------
    Recipe

    Raises
    ------
    TypeError, ValueError
        For a bad argument (the message names it).

    Notes
    -----
    Every ``Linear`` and ``Embedding`` weight :math:`\mathcal N(0, 0.02^2)`, biases 0; then
    every parameter whose name ends in ``c_proj.weight`` (the attention and MLP output
    projections, two per block) :math:`\mathcal N(0, (0.02/\sqrt{2N})^2)` (the token and
    position embeddings ``wte``, ``wpe`` have explicit rules, since a bridge's default may
    leave embeddings alone); nanoGPT's own
    ``LayerNorm`` class (not ``torch.nn.LayerNorm``) weight 1, bias 0. ``lm_head`` is tied
    to ``transformer.wte``.

    References
    ----------
    .. [1] A. Radford et al., "Language Models are Unsupervised Multitask Learners", 2019.
    .. [2] karpathy/nanoGPT ``model.py`` (commit 3adf61e): ``GPT.__init__`` lines 141-145,
       ``GPT._init_weights`` lines 162-168.

    Examples
    --------
    >>> import initlab.recipes as R
    >>> print(R.gpt2(12).describe())
    gpt2(n_layer=12, std=0.02)
    paper: Radford et al. 2019, Language Models are Unsupervised Multitask Learners
    reference: karpathy/nanoGPT model.py: GPT.__init__ lines 141-145, GPT._init_weights
      lines 162-168
    parameter             distribution  std (formula)      std
    *c_proj.weight        N(0, σ²)      0.02/√(2·n_layer)  0.00408248
    *.wte.weight          N(0, σ²)      0.02               0.02
    *.wpe.weight          N(0, σ²)      0.02               0.02
    *ln_?.weight          constant 1    0                  0
    *ln_?.bias            constant 0    0                  0
    (every other weight)  N(0, σ²)      0.02               0.02
    """
    func = "gpt2"
    n = _int(func, "n_layer", n_layer, 1)
    s = _pos(func, "std", std)
    base = f"{s:g}"
    entries = [
        _normal("*c_proj.weight", s / math.sqrt(2 * n), f"{base}/√(2·n_layer)"),
        _normal("*.wte.weight", s, base), _normal("*.wpe.weight", s, base),
        _const("*ln_?.weight", 1.0), _const("*ln_?.bias", 0.0),
    ]
    return Recipe(func, {"n_layer": n, "std": s}, entries,
                  default=_normal("*", s, base),
                  paper="Radford et al. 2019, Language Models are Unsupervised Multitask "
                        "Learners",
                  reference="karpathy/nanoGPT model.py: GPT.__init__ lines 141-145, "
                            "GPT._init_weights lines 162-168", names=names)


@_register
def bert(*, initializer_range: float = 0.02,
         names: Mapping[str, str | None] | None = None) -> Recipe:
    r"""BERT as Hugging Face initializes it: every Linear and Embedding weight N(0, 0.02).

    Parameters
    ----------
    initializer_range : float, default 0.02
        ``BertConfig.initializer_range``.
    names : dict, optional
        Renames the recipe's patterns (see :func:`gpt2`).

    Returns
    -------
    Recipe

    Raises
    ------
    TypeError, ValueError
        For a bad argument.

    Notes
    -----
    ``BertPreTrainedModel._init_weights``: ``Linear`` weight
    :math:`\mathcal N(0, r^2)`, bias 0; ``Embedding`` :math:`\mathcal N(0, r^2)` with the
    ``padding_idx`` row zeroed (a bridge's ``Embedding`` handling, not a name rule; the three
    embeddings have explicit rules since a bridge's default may leave embeddings alone);
    ``LayerNorm`` 1/0 (the bridges' norm default). The original TensorFlow BERT drew from a
    truncated normal; Hugging Face's (reproduced here) does not truncate.

    References
    ----------
    .. [1] J. Devlin et al., "BERT: Pre-training of Deep Bidirectional Transformers for
       Language Understanding", NAACL 2019, arXiv:1810.04805.
    .. [2] huggingface/transformers ``src/transformers/models/bert/modeling_bert.py``,
       ``BertPreTrainedModel._init_weights``.

    Examples
    --------
    >>> import initlab.recipes as R
    >>> default, rules = R.bert().as_rules()
    >>> default, list(rules)
    (Normal(mean=0.0, std=0.02), ['*.word_embeddings.weight', '*.position_embeddings.weight',
     '*.token_type_embeddings.weight'])
    """
    func = "bert"
    r = _pos(func, "initializer_range", initializer_range)
    entries = [_normal(f"*.{k}_embeddings.weight", r, f"{r:g}")
               for k in ("word", "position", "token_type")]
    return Recipe(func, {"initializer_range": r}, entries, default=_normal("*", r, f"{r:g}"),
                  paper="Devlin et al. 2019, BERT, arXiv:1810.04805",
                  reference="huggingface/transformers src/transformers/models/bert/"
                            "modeling_bert.py: BertPreTrainedModel._init_weights",
                  names=names)


_VIT_STYLES = ("timm", "jax")


@_register
def vit(style: str = "timm", *, head_bias: float = 0.0, patch_size: int = 16,
        in_chans: int = 3, names: Mapping[str, str | None] | None = None) -> Recipe:
    r"""Vision Transformer as timm initializes it (``'timm'``) or as the JAX original (``'jax'``).

    Parameters
    ----------
    style : {'timm', 'jax'}, default 'timm'
        ``'timm'``: ``init_weights_vit_timm``; ``'jax'``: ``init_weights_vit_jax``.
    head_bias : float, default 0
        The classifier bias of the ``'jax'`` style (timm's ``jax_nlhb`` mode uses
        ``-log(num_classes)``).
    patch_size, in_chans : int, default 16, 3
        The patch embedding's kernel size and input channels (its PyTorch-default bias
        bound :math:`1/\sqrt{c\,p^2}` in the ``'timm'`` style).
    names : dict, optional
        Renames the recipe's patterns (see :func:`gpt2`).

    Returns
    -------
    Recipe

    Raises
    ------
    TypeError, ValueError
        For a bad argument.

    Notes
    -----
    Both styles: ``pos_embed`` truncated normal std 0.02 (timm's ``trunc_normal_`` cuts at
    the absolute values ±2, i.e. ±100σ, reproduced with ``lower=-100, upper=100``),
    ``cls_token`` :math:`\mathcal N(0, 10^{-12})`, LayerNorm 1/0.

    - ``'timm'``: every ``Linear`` weight (the head included) truncated normal std 0.02,
      biases 0; the patch-embedding ``Conv2d`` keeps PyTorch's default
      (``kaiming_uniform(a=√5)``: :math:`U(\pm 1/\sqrt{c p^2})`, bias the same bound).
    - ``'jax'``: ``Linear`` weights Xavier uniform (``qkv`` as one ``(3E, E)`` matrix, as
      timm does), biases 0 except the MLP's :math:`\mathcal N(0, 10^{-12})`; the head weight
      0 and bias ``head_bias``; the patch embedding LeCun normal (truncated, as timm's
      ``lecun_normal_``), bias 0.

    ``reg_token`` (register tokens, when present) is :math:`\mathcal N(0, 10^{-12})` in timm;
    add a rule for it.

    References
    ----------
    .. [1] A. Dosovitskiy et al., "An Image is Worth 16x16 Words: Transformers for Image
       Recognition at Scale", ICLR 2021, arXiv:2010.11929.
    .. [2] huggingface/pytorch-image-models ``timm/models/vision_transformer.py`` (commit
       aa4b585): ``VisionTransformer.init_weights`` lines 920-941,
       ``init_weights_vit_timm`` lines 1305-1320, ``init_weights_vit_jax`` lines 1323-1352.

    Examples
    --------
    >>> import initlab.recipes as R
    >>> R.vit("jax").rules()["head.weight"]
    Zeros()
    """
    func = "vit"
    style = check_choice(func, "style", style, _VIT_STYLES)
    hb = check_real(func, "head_bias", head_bias)
    p = _int(func, "patch_size", patch_size, 1)
    c = _int(func, "in_chans", in_chans, 1)
    trunc = RecipeRule("pos_embed", _init.TruncatedNormal(std=0.02, lower=-100.0, upper=100.0),
                       "N(0, σ²) cut at ±2 (absolute)", "0.02", 0.02)
    tokens = [trunc, _normal("cls_token", 1e-6, "1e-6")]
    ref = ("huggingface/pytorch-image-models timm/models/vision_transformer.py: "
           "VisionTransformer.init_weights lines 920-941, ")
    if style == "timm":
        bound = 1 / math.sqrt(c * p * p)
        entries = [*tokens,
                   RecipeRule("patch_embed.proj.weight",
                              _init.KaimingUniform(a=math.sqrt(5.0)),
                              "U(±1/√fan_in) (PyTorch Conv2d default)", "1/√(3·fan_in)", None),
                   _uniform("patch_embed.proj.bias", bound, "1/√(in_chans·patch_size²)")]
        default = RecipeRule("*", _init.TruncatedNormal(std=0.02, lower=-100.0, upper=100.0),
                             "N(0, σ²) cut at ±2 (absolute)", "0.02", 0.02)
        ref += "init_weights_vit_timm lines 1305-1320"
    else:
        entries = [*tokens,
                   RecipeRule("patch_embed.proj.weight", _init.LecunNormal(),
                              "N(0, σ²/0.8796²) cut at ±2σ (LeCun normal)", "1/√fan_in", None),
                   _const("head.weight", 0.0), _const("head.bias", hb, "head_bias"),
                   _normal("blocks.*.mlp.fc?.bias", 1e-6, "1e-6")]
        default = _xavier_uniform("*", 1.0, "1")
        ref += "init_weights_vit_jax lines 1323-1352"
    return Recipe(func, {"style": style, "head_bias": hb, "patch_size": p, "in_chans": c},
                  entries, default=default,
                  paper="Dosovitskiy et al. 2021, An Image is Worth 16x16 Words, "
                        "arXiv:2010.11929", reference=ref, names=names)


@_register
def t5(d_model: int, d_kv: int, n_heads: int, d_ff: int, factor: float = 1.0, *,
       names: Mapping[str, str | None] | None = None) -> Recipe:
    r"""T5 as Hugging Face initializes it (Mesh TensorFlow's scheme).

    Parameters
    ----------
    d_model, d_kv, n_heads, d_ff : int
        ``T5Config.d_model``, ``d_kv``, ``num_heads``, ``d_ff``.
    factor : float, default 1
        ``T5Config.initializer_factor``.
    names : dict, optional
        Renames the recipe's patterns (see :func:`gpt2`).

    Returns
    -------
    Recipe

    Raises
    ------
    TypeError, ValueError
        For a bad argument.

    Notes
    -----
    With :math:`f` = ``factor``: ``shared`` (and an untied ``lm_head``)
    :math:`\mathcal N(0, f^2)`; attention ``q`` :math:`f\,(d_{model} d_{kv})^{-1/2}`,
    ``k``, ``v`` :math:`f\,d_{model}^{-1/2}`, ``o`` :math:`f\,(n_{heads} d_{kv})^{-1/2}`;
    ``relative_attention_bias`` :math:`f\,d_{model}^{-1/2}`; feed-forward ``wi`` (and the
    gated ``wi_0``, ``wi_1``) :math:`f\,d_{model}^{-1/2}`, ``wo`` :math:`f\,d_{ff}^{-1/2}`
    (all normal, zero mean); ``T5LayerNorm`` weight :math:`f`. Every other weight is left to
    the framework (``default`` is ``None``).

    References
    ----------
    .. [1] C. Raffel et al., "Exploring the Limits of Transfer Learning with a Unified
       Text-to-Text Transformer", JMLR 2020, arXiv:1910.10683.
    .. [2] huggingface/transformers ``src/transformers/models/t5/modeling_t5.py``,
       ``T5PreTrainedModel._init_weights``.

    Examples
    --------
    >>> import initlab.recipes as R
    >>> r = R.t5(512, 64, 8, 2048)
    >>> r.rules()["*Attention.q.weight"].get_config()["std"] == (512 * 64) ** -0.5
    True
    """
    func = "t5"
    dm = _int(func, "d_model", d_model, 1)
    dk = _int(func, "d_kv", d_kv, 1)
    nh = _int(func, "n_heads", n_heads, 1)
    dff = _int(func, "d_ff", d_ff, 1)
    f = _pos(func, "factor", factor)
    entries = [
        _normal("shared.weight", f, "factor"),
        _normal("lm_head.weight", f, "factor"),
        _normal("*Attention.q.weight", f * (dm * dk) ** -0.5, "factor·(d_model·d_kv)^-½"),
        _normal("*Attention.k.weight", f * dm ** -0.5, "factor·d_model^-½"),
        _normal("*Attention.v.weight", f * dm ** -0.5, "factor·d_model^-½"),
        _normal("*Attention.o.weight", f * (nh * dk) ** -0.5, "factor·(n_heads·d_kv)^-½"),
        _normal("*.relative_attention_bias.weight", f * dm ** -0.5, "factor·d_model^-½"),
        _normal("*.DenseReluDense.wi*.weight", f * dm ** -0.5, "factor·d_model^-½"),
        _normal("*.DenseReluDense.wo.weight", f * dff ** -0.5, "factor·d_ff^-½"),
        _const("*layer_norm.weight", f, "factor"),
    ]
    return Recipe(func, {"d_model": dm, "d_kv": dk, "n_heads": nh, "d_ff": dff, "factor": f},
                  entries, default=None,
                  paper="Raffel et al. 2020, T5, arXiv:1910.10683",
                  reference="huggingface/transformers src/transformers/models/t5/"
                            "modeling_t5.py: T5PreTrainedModel._init_weights", names=names)


def _deepnorm_stack(prefix: str, beta: float, beta_text: str, d_model: int | None,
                    d_ffn: int | None) -> list[RecipeRule]:
    r2 = 1 / math.sqrt(2.0)
    rules = [
        _xavier_uniform(prefix + "q_proj.weight", r2, "1/√2"),
        _xavier_uniform(prefix + "k_proj.weight", r2, "1/√2"),
        _xavier_uniform(prefix + "v_proj.weight", beta * r2, f"{beta_text}/√2"),
        _xavier_uniform(prefix + "out_proj.weight", beta, beta_text),
    ]
    for name in ("fc1", "fc2"):
        rules.append(RecipeRule(
            prefix + name + ".weight",
            _init.VarianceScaling(scale=beta * beta / 3, mode="fan_in", distribution="uniform"),
            f"U(±{beta_text}/√fan_in) (PyTorch Linear default · β)",
            f"{beta_text}/√(3·fan_in)", None))
    if d_model is not None and d_ffn is not None:
        b = 1 / math.sqrt(d_model)
        rules += [_uniform(prefix + "q_proj.bias", b, "1/√d_model"),
                  _uniform(prefix + "k_proj.bias", b, "1/√d_model"),
                  _uniform(prefix + "v_proj.bias", beta * b, f"{beta_text}/√d_model"),
                  _uniform(prefix + "fc1.bias", beta * b, f"{beta_text}/√d_model"),
                  _uniform(prefix + "fc2.bias", beta / math.sqrt(d_ffn),
                           f"{beta_text}/√d_ffn")]
    return rules


@_register
def deepnorm(n_encoder: int, n_decoder: int, *, d_model: int | None = None,
             d_ffn: int | None = None, names: Mapping[str, str | None] | None = None
             ) -> Recipe:
    r"""DeepNet's DeepNorm initialization, as microsoft/torchscale implements it.

    Parameters
    ----------
    n_encoder, n_decoder : int
        Encoder and decoder layers :math:`N`, :math:`M` (``>= 0``, not both 0): ``n_decoder=0``
        is an encoder-only model, ``n_encoder=0`` a decoder-only one.
    d_model, d_ffn : int, optional
        Embedding and feed-forward widths. Given both, the biases follow torchscale too
        (PyTorch's default :math:`U(\pm 1/\sqrt{\text{fan\_in}})`, divided by β for
        ``v_proj``, ``fc1``, ``fc2``); without them biases are left to the bridge (zeros).
    names : dict, optional
        Renames the recipe's patterns (see :func:`gpt2`).

    Returns
    -------
    Recipe
        With ``constants`` holding β (``beta_encoder``/``beta_decoder``) and the residual
        multipliers α (``alpha_encoder``/``alpha_decoder``) of
        :math:`x_{l+1} = \mathrm{LN}(\alpha x_l + G(x_l))`.

    Raises
    ------
    TypeError, ValueError
        For a bad argument.

    Notes
    -----
    ``q_proj``, ``k_proj`` Xavier uniform with gain :math:`1/\sqrt2`, ``v_proj`` the same
    times β, ``out_proj`` Xavier uniform times β, ``fc1``/``fc2`` PyTorch's ``Linear``
    default times β (torchscale divides every parameter whose name contains ``fc1``,
    ``fc2``, ``out_proj`` or ``v_proj`` by ``init_scale`` = 1/β):

    ================  =========================  =======================
    model             β                          α
    ================  =========================  =======================
    encoder-only      :math:`(8N)^{-1/4}`        :math:`(2N)^{1/4}`
    decoder-only      :math:`(8M)^{-1/4}`        :math:`(2M)^{1/4}`
    enc-dec, encoder  :math:`1.15 (N^4M)^{-1/16}` :math:`0.81 (N^4M)^{1/16}`
    enc-dec, decoder  :math:`(12M)^{-1/4}`       :math:`(3M)^{1/4}`
    ================  =========================  =======================

    .. warning::
       For the encoder of an encoder-decoder model the paper (Table 1) gives
       :math:`\beta = 0.87 (N^4M)^{-1/16}`; torchscale divides by
       :math:`(N^4M)^{1/16}/1.15`, i.e. :math:`\beta = 1.15 (N^4M)^{-1/16}`. This recipe
       reproduces torchscale.

    References
    ----------
    .. [1] H. Wang et al., "DeepNet: Scaling Transformers to 1,000 Layers", 2022,
       arXiv:2203.00555.
    .. [2] microsoft/torchscale (commit 4d1e0e8) ``torchscale/architecture/encoder.py``
       lines 78-89 (α), 235-252 (β); ``decoder.py`` lines 89-95, 286-298;
       ``torchscale/component/multihead_attention.py`` lines 61-66.

    Examples
    --------
    >>> import initlab.recipes as R
    >>> r = R.deepnorm(12, 0)
    >>> round(r.constants["beta_encoder"], 6), round(r.constants["alpha_encoder"], 6)
    (0.319472, 2.213364)
    """
    func = "deepnorm"
    n = _int(func, "n_encoder", n_encoder, 0)
    m = _int(func, "n_decoder", n_decoder, 0)
    if n == 0 and m == 0:
        fail(func, "n_encoder", n_encoder, "give at least one encoder or decoder layer "
             "(n_encoder=0 and n_decoder=0)")
    dm = None if d_model is None else _int(func, "d_model", d_model, 1)
    df = None if d_ffn is None else _int(func, "d_ffn", d_ffn, 1)
    if (dm is None) != (df is None):
        fail(func, "d_ffn" if df is None else "d_model", d_ffn if df is None else d_model,
             "give both d_model and d_ffn, or neither")
    entries: list[RecipeRule] = []
    constants: dict[str, float] = {}
    if n and m:
        be, ae = 1.15 * (n ** 4 * m) ** (-1 / 16), 0.81 * (n ** 4 * m) ** (1 / 16)
        bd, ad = (12 * m) ** -0.25, (3 * m) ** 0.25
        entries += _deepnorm_stack("encoder.*", be, "1.15·(N⁴M)^(-1/16)", dm, df)
        entries += _deepnorm_stack("decoder.*", bd, "(12M)^(-1/4)", dm, df)
        constants = {"beta_encoder": be, "alpha_encoder": ae, "beta_decoder": bd,
                     "alpha_decoder": ad}
    elif n:
        be, ae = (8 * n) ** -0.25, (2 * n) ** 0.25
        entries += _deepnorm_stack("*", be, "(8N)^(-1/4)", dm, df)
        constants = {"beta_encoder": be, "alpha_encoder": ae}
    else:
        bd, ad = (8 * m) ** -0.25, (2 * m) ** 0.25
        entries += _deepnorm_stack("*", bd, "(8M)^(-1/4)", dm, df)
        constants = {"beta_decoder": bd, "alpha_decoder": ad}
    return Recipe(func, {"n_encoder": n, "n_decoder": m, "d_model": dm, "d_ffn": df}, entries,
                  default=None, constants=constants,
                  paper="Wang et al. 2022, DeepNet: Scaling Transformers to 1,000 Layers, "
                        "arXiv:2203.00555",
                  reference="microsoft/torchscale torchscale/architecture/encoder.py lines "
                            "78-89, 235-252; decoder.py lines 89-95, 286-298; "
                            "component/multihead_attention.py lines 61-66", names=names)


@_register
def t_fixup(n_layers: int, *, n_decoder: int | None = None, d_model: int | None = None,
            names: Mapping[str, str | None] | None = None) -> Recipe:
    r"""T-Fixup: a Transformer trained without warm-up or layer normalization.

    Parameters
    ----------
    n_layers : int
        Encoder layers :math:`N` (``>= 1``).
    n_decoder : int, optional
        Decoder layers :math:`M` (``>= 0``; default :math:`N`; 0 for an encoder only).
    d_model : int, optional
        The embedding width; given, the token embeddings get their scaled normal too.
    names : dict, optional
        Renames the recipe's patterns (see :func:`gpt2`).

    Returns
    -------
    Recipe

    Raises
    ------
    TypeError, ValueError
        For a bad argument.

    Notes
    -----
    fairseq's Xavier-uniform ``Linear`` (gain :math:`1/\sqrt2` for q, k, v), then per
    encoder layer ``fc1``, ``fc2``, ``self_attn.out_proj`` times :math:`0.67 N^{-1/4}` and
    ``v_proj`` times :math:`\sqrt2 \cdot 0.67 N^{-1/4}`; per decoder layer the same with
    :math:`(9M)^{-1/4}` (self- and encoder attention). Token embeddings
    :math:`\mathcal N(0, d^{-1})` times :math:`(9N)^{-1/4}` (encoder) and
    :math:`(9M)^{-1/4}` (decoder, when not shared). Every other weight is left to the
    framework (``default`` is ``None``); the rules cover every weight of fairseq's
    transformer layers.

    References
    ----------
    .. [1] X. S. Huang, F. Perez, J. Ba and M. Volkovs, "Improving Transformer Optimization
       Through Better Initialization", ICML 2020.
    .. [2] layer6ai-labs/T-Fixup (commit b17e166) ``fairseq/modules/transformer_layer.py``
       lines 36-44 (encoder), 161-170 (decoder); ``fairseq/models/transformer.py`` lines
       378-381, 604-607 (embeddings), 908-918 (``Embedding``, ``Linear``);
       ``fairseq/modules/multihead_attention.py`` lines 85-95.

    Examples
    --------
    >>> import initlab.recipes as R
    >>> r = R.t_fixup(6)
    >>> r.rules()["encoder.layers.*.fc1.weight"].get_config()["gain"] == 0.67 * 6 ** -0.25
    True
    """
    func = "t_fixup"
    n = _int(func, "n_layers", n_layers, 1)
    m = n if n_decoder is None else _int(func, "n_decoder", n_decoder, 0)
    dm = None if d_model is None else _int(func, "d_model", d_model, 1)
    r2 = 1 / math.sqrt(2.0)
    ge, gd = 0.67 * n ** -0.25, (9 * m) ** -0.25 if m else 0.0

    def stack(prefix: str, attns: tuple[str, ...], g: float, text: str) -> list[RecipeRule]:
        rules = []
        for a in attns:
            rules += [_xavier_uniform(f"{prefix}.layers.*.{a}.q_proj.weight", r2, "1/√2"),
                      _xavier_uniform(f"{prefix}.layers.*.{a}.k_proj.weight", r2, "1/√2"),
                      _xavier_uniform(f"{prefix}.layers.*.{a}.v_proj.weight", g, text),
                      _xavier_uniform(f"{prefix}.layers.*.{a}.out_proj.weight", g, text)]
        return [*rules, _xavier_uniform(f"{prefix}.layers.*.fc1.weight", g, text),
                _xavier_uniform(f"{prefix}.layers.*.fc2.weight", g, text)]

    entries = stack("encoder", ("self_attn",), ge, "0.67·N^(-1/4)")
    if m:
        entries += stack("decoder", ("self_attn", "encoder_attn"), gd, "(9M)^(-1/4)")
    if dm is not None:
        entries.append(_normal("encoder.embed_tokens.weight", dm ** -0.5 * (9 * n) ** -0.25,
                               "d_model^(-1/2)·(9N)^(-1/4)"))
        if m:
            entries.append(_normal("decoder.embed_tokens.weight",
                                   dm ** -0.5 * (9 * m) ** -0.25, "d_model^(-1/2)·(9M)^(-1/4)"))
    return Recipe(func, {"n_layers": n, "n_decoder": m, "d_model": dm}, entries,
                  default=None,
                  paper="Huang et al. 2020, Improving Transformer Optimization Through Better "
                        "Initialization (T-Fixup), ICML 2020",
                  reference="layer6ai-labs/T-Fixup fairseq/modules/transformer_layer.py lines "
                            "36-44, 161-170; fairseq/models/transformer.py lines 378-381, "
                            "604-607, 908-918", names=names)


@_register
def fixup(n_branches: int, m: int = 2, *, names: Mapping[str, str | None] | None = None
          ) -> Recipe:
    r"""Fixup: residual networks trained without normalization.

    Parameters
    ----------
    n_branches : int
        Number of residual branches :math:`L` (``>= 1``).
    m : int, default 2
        Layers per branch (``>= 2``): ``conv1`` … ``conv{m}`` in the reference names.
    names : dict, optional
        Renames the recipe's patterns (see :func:`gpt2`).

    Returns
    -------
    Recipe

    Raises
    ------
    TypeError, ValueError
        For a bad argument.

    Notes
    -----
    The first :math:`m-1` layers of each branch He normal (``fan_out``, PyTorch layout)
    times :math:`L^{-1/(2m-2)}`: :math:`\sigma = \sqrt{2/\text{fan\_out}}\,L^{-1/(2m-2)}`;
    the last layer of each branch 0; the classifier ``fc`` weight and bias 0; the scalar
    biases (``bias1``, ``bias1a`` …) 0 and the scalar multipliers ``scale`` 1. Every other
    parameter (the stem and the shortcut convolutions) keeps the framework's default: the
    last rule, ``'*'`` → ``None``, tells a bridge to leave it as it is.

    References
    ----------
    .. [1] H. Zhang, Y. N. Dauphin and T. Ma, "Fixup Initialization: Residual Learning
       Without Normalization", ICLR 2019, arXiv:1901.09321.
    .. [2] hongyi-zhang/Fixup (commit f3fa449) ``cifar/models/fixup_resnet_cifar.py`` lines
       21-28 (scalars), 66-72.

    Examples
    --------
    >>> import initlab.recipes as R
    >>> r = R.fixup(9)
    >>> r.rules()["layer*.*.conv2.weight"]
    Zeros()
    """
    func = "fixup"
    L = _int(func, "n_branches", n_branches, 1)
    mm = _int(func, "m", m, 2)
    scale = 2 * L ** (-1 / (mm - 1))
    entries = [RecipeRule(f"layer*.*.conv{i}.weight",
                          _init.VarianceScaling(scale=scale, mode="fan_out",
                                                distribution="normal"),
                          "N(0, σ²) (He normal, fan_out)",
                          "√(2/fan_out)·L^(-1/(2m-2))", None) for i in range(1, mm)]
    entries += [_const(f"layer*.*.conv{mm}.weight", 0.0), _const("fc.weight", 0.0),
                _const("fc.bias", 0.0), _const("*bias[12]", 0.0), _const("*bias[12][ab]", 0.0),
                _const("*.scale", 1.0), _keep()]
    return Recipe(func, {"n_branches": L, "m": mm}, entries, default=None,
                  paper="Zhang, Dauphin and Ma 2019, Fixup Initialization, arXiv:1901.09321",
                  reference="hongyi-zhang/Fixup cifar/models/fixup_resnet_cifar.py lines "
                            "21-28, 66-72", names=names)


@_register
def rezero(*, names: Mapping[str, str | None] | None = None) -> Recipe:
    r"""ReZero: every residual branch gated by a scalar :math:`\alpha` initialized to 0.

    Parameters
    ----------
    names : dict, optional
        Renames the recipe's patterns (see :func:`gpt2`).

    Returns
    -------
    Recipe

    Raises
    ------
    TypeError, ValueError
        For a bad ``names``.

    Notes
    -----
    :math:`x_{l+1} = x_l + \alpha_l F(x_l)`, :math:`\alpha_l = 0` (``resweight``); every
    other parameter, biases included, keeps the framework's default (the last rule,
    ``'*'`` → ``None``, tells a bridge to leave it as it is).

    References
    ----------
    .. [1] T. Bachlechner et al., "ReZero is All You Need: Fast Convergence at Large Depth",
       UAI 2021, arXiv:2003.04887.
    .. [2] majumderb/rezero (commit e2c94a8) ``rezero/transformer/rztx.py`` lines 47, 115.

    Examples
    --------
    >>> import initlab.recipes as R
    >>> R.rezero().as_rules()
    (None, {'*resweight': Zeros(), '*': None})
    """
    return Recipe("rezero", {}, [_const("*resweight", 0.0), _keep()],
                  default=None,
                  paper="Bachlechner et al. 2021, ReZero is All You Need, arXiv:2003.04887",
                  reference="majumderb/rezero rezero/transformer/rztx.py lines 47, 115",
                  names=names)


_SKIPINIT = ("zero", "inverse_sqrt")


@_register
def skipinit(n_blocks: int, *, alpha: str = "zero",
             names: Mapping[str, str | None] | None = None) -> Recipe:
    r"""SkipInit: a scalar multiplier at the end of each residual branch, 0 or :math:`1/\sqrt L`.

    Parameters
    ----------
    n_blocks : int
        Number of residual blocks :math:`L` (``>= 1``).
    alpha : {'zero', 'inverse_sqrt'}, default 'zero'
        :math:`\alpha = 0` (the paper's choice), or :math:`\alpha = 1/\sqrt L` (the largest
        value the paper's analysis allows).
    names : dict, optional
        Renames the recipe's patterns (see :func:`gpt2`).

    Returns
    -------
    Recipe

    Raises
    ------
    TypeError, ValueError
        For a bad argument.

    Notes
    -----
    The multiplier is named ``skip_gain`` as in DeepMind's NF-ResNets (which use SkipInit);
    every other parameter keeps the framework's default (the last rule, ``'*'`` → ``None``).

    References
    ----------
    .. [1] S. De and S. L. Smith, "Batch Normalization Biases Residual Blocks Towards the
       Identity Function in Deep Networks", NeurIPS 2020, arXiv:2002.10444.
    .. [2] google-deepmind/deepmind-research ``nfnets/nf_resnet.py`` (``skip_gain``,
       initialized to zeros).

    Examples
    --------
    >>> import initlab.recipes as R
    >>> R.skipinit(16, alpha="inverse_sqrt").rules()
    {'*skip_gain': Constant(value=0.25), '*': None}
    """
    func = "skipinit"
    L = _int(func, "n_blocks", n_blocks, 1)
    a = check_choice(func, "alpha", alpha, _SKIPINIT)
    entry = _const("*skip_gain", 0.0) if a == "zero" else _const(
        "*skip_gain", 1 / math.sqrt(L), "1/√n_blocks")
    return Recipe(func, {"n_blocks": L, "alpha": a}, [entry, _keep()], default=None,
                  paper="De and Smith 2020, Batch Normalization Biases Residual Blocks "
                        "Towards the Identity Function, arXiv:2002.10444",
                  reference="google-deepmind/deepmind-research nfnets/nf_resnet.py "
                            "(skip_gain)", names=names)


@_register
def zero(*, last: tuple[str, ...] | list[str] = (),
         names: Mapping[str, str | None] | None = None) -> Recipe:
    r"""ZerO: every weight matrix a partial identity or a scaled Hadamard block; chosen layers 0.

    Parameters
    ----------
    last : sequence of str, default ()
        Glob patterns of the layers to zero (the last layer of each residual branch in the
        paper's ResNets).
    names : dict, optional
        Renames the recipe's patterns (see :func:`gpt2`).

    Returns
    -------
    Recipe

    Raises
    ------
    TypeError, ValueError
        For a bad argument.

    Notes
    -----
    Every weight no rule matches gets :class:`initlab.HadamardIdentity` (Algorithm 1:
    :math:`I` when out ≤ in, else :math:`H_p[:m, :n]/\sqrt p`); matrices only (rank 2). Its
    layout is left to the bridge, which reads each layer's inputs and outputs.

    References
    ----------
    .. [1] J. Zhao, F. Schäfer and A. Anandkumar, "ZerO Initialization: Initializing Neural
       Networks with only Zeros and Ones", TMLR 2022, arXiv:2110.12661.
    .. [2] jiaweizzhao/ZerO-initialization (commit cf2bf5d) ``example_mnist.ipynb``, cell 4
       (``ZerO_Init_on_matrix``).

    Examples
    --------
    >>> import initlab.recipes as R
    >>> R.zero(last=["l4.weight"]).as_rules()
    (HadamardIdentity(layout='in_out'), {'l4.weight': Zeros()})
    """
    func = "zero"
    if isinstance(last, str) or not isinstance(last, (tuple, list)) or not all(
            isinstance(p, str) and p for p in last):
        fail(func, "last", last, "use a list of non-empty glob patterns", TypeError)
    entries = [_const(p, 0.0) for p in last]
    return Recipe(func, {"last": list(last)}, entries,
                  default=RecipeRule("*", _init.HadamardIdentity(),
                                     "identity / Hadamard (deterministic)", "-", None),
                  paper="Zhao, Schäfer and Anandkumar 2022, ZerO Initialization, "
                        "arXiv:2110.12661",
                  reference="jiaweizzhao/ZerO-initialization example_mnist.ipynb cell 4 "
                            "(ZerO_Init_on_matrix)", names=names)


@_register
def mamba(d_model: int, d_state: int, n_layer: int, dt_min: float = 0.001, dt_max: float = 0.1,
          dt_init_floor: float = 1e-4, *, expand: int = 2, d_conv: int = 4,
          dt_rank: int | None = None, dt_scale: float = 1.0, n_residuals_per_layer: int = 1,
          initializer_range: float = 0.02, names: Mapping[str, str | None] | None = None
          ) -> Recipe:
    r"""Mamba (``mamba_ssm``): S4D-Real ``A``, log-uniform time steps, scaled output projection.

    Parameters
    ----------
    d_model, d_state, n_layer : int
        Model width, SSM state size, number of layers.
    dt_min, dt_max, dt_init_floor : float, default 0.001, 0.1, 1e-4
        Range of the initial time steps and their floor.
    expand, d_conv : int, default 2, 4
        Inner width ``d_inner = expand·d_model`` and the causal convolution's width.
    dt_rank : int, optional
        Rank of the time-step projection; default ``ceil(d_model/16)``.
    dt_scale : float, default 1
        Scale of ``dt_proj.weight``.
    n_residuals_per_layer : int, default 1
        2 when the blocks have an MLP (``d_intermediate > 0``).
    initializer_range : float, default 0.02
        Std of the embedding.
    names : dict, optional
        Renames the recipe's patterns (see :func:`gpt2`).

    Returns
    -------
    Recipe

    Raises
    ------
    TypeError, ValueError
        For a bad argument.

    Notes
    -----
    With :math:`d_i` = ``d_inner`` and :math:`r` = ``dt_rank``: ``in_proj``
    :math:`U(\pm d_{model}^{-1/2})`, ``x_proj`` :math:`U(\pm d_i^{-1/2})` and ``conv1d``
    weight and bias :math:`U(\pm d_{conv}^{-1/2})` (PyTorch's defaults, the depthwise
    convolution's fan-in being ``d_conv``); ``dt_proj.weight``
    :math:`U(\pm r^{-1/2}\,\text{dt\_scale})`; ``dt_proj.bias`` the inverse softplus of
    :math:`\max(e^{U[\log dt_{min}, \log dt_{max}]}, \text{floor})`
    (:class:`initlab.InverseSoftplusLogUniform`); ``A_log`` :math:`\log(1, \ldots, d_{state})` in
    every row (:class:`initlab.LogArange`); ``D`` 1; ``out_proj``
    :math:`U(\pm d_i^{-1/2}/\sqrt{n_{res} N})` (``kaiming_uniform(a=√5)`` then divided);
    ``embedding`` :math:`\mathcal N(0, 0.02^2)`; the RMSNorm weights 1.

    References
    ----------
    .. [1] A. Gu and T. Dao, "Mamba: Linear-Time Sequence Modeling with Selective State
       Spaces", 2023, arXiv:2312.00752.
    .. [2] state-spaces/mamba (commit e9594ce) ``mamba_ssm/modules/mamba_simple.py`` lines
       57-117; ``mamba_ssm/models/mixer_seq_simple.py`` lines 92-121 (``_init_weights``).

    Examples
    --------
    >>> import initlab.recipes as R
    >>> r = R.mamba(768, 16, 24)
    >>> r.rules()["*.mixer.A_log"], r.rules()["*.mixer.D"]
    (LogArange(start=1), Ones())
    """
    func = "mamba"
    dm = _int(func, "d_model", d_model, 1)
    ds = _int(func, "d_state", d_state, 1)
    n = _int(func, "n_layer", n_layer, 1)
    lo = _pos(func, "dt_min", dt_min)
    hi = _pos(func, "dt_max", dt_max)
    if hi < lo:
        fail(func, "dt_max", dt_max, f"use a value >= dt_min={lo!r}")
    floor = check_real(func, "dt_init_floor", dt_init_floor, nonnegative=True)
    ex = _int(func, "expand", expand, 1)
    dc = _int(func, "d_conv", d_conv, 1)
    rank = math.ceil(dm / 16) if dt_rank is None else _int(func, "dt_rank", dt_rank, 1)
    sc = _pos(func, "dt_scale", dt_scale)
    nres = _int(func, "n_residuals_per_layer", n_residuals_per_layer, 1)
    ir = _pos(func, "initializer_range", initializer_range)
    di = ex * dm
    entries = [
        _normal("*.embedding.weight", ir, f"{ir:g}"),
        _uniform("*.mixer.in_proj.weight", dm ** -0.5, "d_model^(-1/2)"),
        _uniform("*.mixer.conv1d.weight", dc ** -0.5, "d_conv^(-1/2)"),
        _uniform("*.mixer.conv1d.bias", dc ** -0.5, "d_conv^(-1/2)"),
        _uniform("*.mixer.x_proj.weight", di ** -0.5, "d_inner^(-1/2)"),
        _uniform("*.mixer.dt_proj.weight", rank ** -0.5 * sc, "dt_rank^(-1/2)·dt_scale"),
        RecipeRule("*.mixer.dt_proj.bias",
                   _init.InverseSoftplusLogUniform(low=lo, high=hi, floor=floor),
                   "softplus⁻¹(max(exp U[log dt_min, log dt_max], floor))", "-", None),
        RecipeRule("*.mixer.A_log", _init.LogArange(),
                   "log(1..d_state) per row (deterministic)", "-", None),
        _const("*.mixer.D", 1.0),
        _uniform("*.mixer.out_proj.weight", di ** -0.5 / math.sqrt(nres * n),
                 "d_inner^(-1/2)/√(n_residuals_per_layer·n_layer)"),
        _const("*.norm.weight", 1.0), _const("*.norm_f.weight", 1.0),
    ]
    args = {"d_model": dm, "d_state": ds, "n_layer": n, "dt_min": lo, "dt_max": hi,
            "dt_init_floor": floor, "expand": ex, "d_conv": dc, "dt_rank": rank,
            "dt_scale": sc, "n_residuals_per_layer": nres, "initializer_range": ir}
    return Recipe(func, args, entries, default=None,
                  paper="Gu and Dao 2023, Mamba: Linear-Time Sequence Modeling with Selective "
                        "State Spaces, arXiv:2312.00752",
                  reference="state-spaces/mamba mamba_ssm/modules/mamba_simple.py lines "
                            "57-117; mamba_ssm/models/mixer_seq_simple.py lines 92-121",
                  names=names)
