"""Signal-propagation plots of PyTorch models with ``initlab.torch.probe``, and LSUV.

Makes the figures of ``docs/torch.md`` (the probe and LSUV section)::

    MPLBACKEND=Agg PYTHONPATH=src python examples/torch_probe.py --out docs/img

1. ``torch_probe_resnet.png``: a ResNet-style CNN without normalization measured at the
   output of every residual block, as in Brock et al. (2021), under PyTorch's default init
   and under He init (``initlab.kaiming_normal``, drawn per parameter from
   ``initlab.seed_for``): with He init the average channel variance of the residual stream
   doubles with every block (each branch adds as much variance as its input carries); with
   PyTorch's default (variance 1/(3 fan_in)) the branches are small and the stream shrinks at
   each transition block, where the 1x1 projection scales it down.
2. ``torch_probe_transformer.png``: a small GPT-style transformer on token ids: every layer
   with parameters and every block.
3. ``torch_lsuv.png``: a 20-layer tanh MLP before and after ``initlab.torch.lsuv_``: the
   pre-activation std vanishes with depth under PyTorch's default init and sits at 1 after
   LSUV. LSUV fixes the forward pass only: the gradient, which vanished towards the input
   (by ~10^9 over 20 layers), now grows towards it by sigma_w^2 E[tanh'(u)^2] ~ 1.16 per
   layer.

Without ``--out`` nothing is written; the tables are printed either way.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

import initlab
import initlab.torch as it


class Residual(nn.Module):
    """x + conv(relu(conv(relu(x)))), with a 1x1 projection when the shape changes."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = (nn.Conv2d(c_in, c_out, 1, stride=stride)
                     if stride != 1 or c_in != c_out else nn.Identity())

    def forward(self, x: Any) -> Any:
        return self.skip(x) + self.conv2(torch.relu(self.conv1(torch.relu(x))))


def resnet(widths: tuple[int, ...] = (16, 32, 64), blocks: int = 4) -> nn.Module:
    stages: list[nn.Module] = []
    c = widths[0]
    for i, w in enumerate(widths):
        stages += [Residual(c, w, stride=1 if i == 0 else 2)]
        stages += [Residual(w, w) for _ in range(blocks - 1)]
        c = w
    return nn.Sequential(nn.Conv2d(3, widths[0], 3, padding=1), nn.Sequential(*stages),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, 10))


class Block(nn.Module):
    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
        self.ln_2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x: Any) -> Any:
        t = x.shape[1]
        mask = torch.ones(t, t, dtype=torch.bool).triu(1)
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False)[0]
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, vocab: int = 1000, d: int = 128, layers: int = 4, heads: int = 4,
                 positions: int = 64) -> None:
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(positions, d)
        self.blocks = nn.ModuleList([Block(d, heads) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, vocab, bias=False)

    def forward(self, ids: Any) -> Any:
        x = self.wte(ids) + self.wpe(torch.arange(ids.shape[1]))
        for b in self.blocks:
            x = b(x)
        return self.lm_head(self.ln_f(x))


def tanh_mlp(depth: int = 20, width: int = 128) -> nn.Module:
    layers: list[nn.Module] = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), nn.Tanh()]
    return nn.Sequential(*layers)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, help="directory for the PNG figures")
    args = ap.parse_args()
    save = args.out is not None
    if save:
        import matplotlib

        matplotlib.use("Agg")
        args.out.mkdir(parents=True, exist_ok=True)
    gen = torch.Generator().manual_seed(0)

    # 1. a ResNet-style CNN: the residual stream, block by block, under two inits
    torch.manual_seed(0)
    cnn = resnet()
    x = torch.randn(32, 3, 32, 32, generator=gen)
    blocks = [f"1.{i}" for i in range(len(cnn[1]))]
    default = it.probe(cnn, x, rng=0, modules=blocks)
    with torch.no_grad():
        for name, p in cnn.named_parameters():
            if name.endswith("weight") and p.ndim == 4:
                p.copy_(torch.from_numpy(initlab.kaiming_normal(
                    tuple(p.shape), layout="torch", nonlinearity="relu", dtype=np.float32,
                    rng=initlab.seed_for(0, name))))
            elif name.endswith("bias"):
                p.zero_()
    he = it.probe(cnn, x, rng=0, modules=blocks)
    print(default, end="\n\n")
    print(he, end="\n\n")
    both = it.ModuleReport({"module": default["module"].tolist()}, meta={
        "title": "ResNet-style CNN without normalization, output of each residual block",
        "panels": [["ch_var, torch default", "ch_var, He"],
                   ["ch_sq_mean, torch default", "ch_sq_mean, He"],
                   ["grad_out_var, torch default", "grad_out_var, He"]]})
    for col in ("ch_var", "ch_sq_mean", "grad_out_var"):
        both.add_column(f"{col}, torch default", default[col].tolist())
        both.add_column(f"{col}, He", he[col].tolist())
    if save:
        both.plot(args.out / "torch_probe_resnet.png", figsize=(13, 3.8))

    # 2. a transformer on token ids
    torch.manual_seed(0)
    gpt = GPT()
    ids = torch.randint(0, 1000, (8, 64), generator=gen)
    rep = it.probe(gpt, ids, rng=0)
    print(rep, end="\n\n")
    if save:
        rep.plot(args.out / "torch_probe_transformer.png", figsize=(11, 4.2),
                 title="GPT-style transformer (4 blocks, d = 128), PyTorch default init")

    # 3. LSUV: a 20-layer tanh MLP before and after
    torch.manual_seed(0)
    mlp = tanh_mlp()
    x = torch.randn(512, 128, generator=gen)
    before = it.probe(mlp, x, rng=0)
    lsuv = it.lsuv_(mlp, x, rng=0)
    after = it.probe(mlp, x, rng=0)
    print(lsuv, end="\n\n")
    print(after.table(["module", "out_std", "grad_out_var"]))
    if save:
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(10.5, 3.8), layout="constrained")
        for rep, style, label in ((before, "--", "PyTorch default"), (after, "-", "LSUV")):
            for ax, col in zip(axes, ("out_std", "grad_out_var"), strict=True):
                ax.plot(range(1, rep.depth + 1), rep[col], style, marker=".",
                        label=f"{label}")
        for ax, col in zip(axes, ("std of Linear output", "Var dL/d(Linear output)"),
                           strict=True):
            ax.set_yscale("log")
            ax.set_xlabel("Linear layer")
            ax.set_xticks(range(1, 21, 2))
            ax.set_title(col, fontsize="medium")
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize="small")
        fig.suptitle("20-layer tanh MLP (width 128): before and after initlab.torch.lsuv_",
                     fontsize="medium")
        fig.savefig(args.out / "torch_lsuv.png", dpi=110)


if __name__ == "__main__":
    main()
