"""The figures of docs/choosing.md: what PyTorch's gain, the exact gain and the critical point do
to deep tanh, relu and gelu networks, predicted by ``initlab.theory`` and measured with
``initlab.MLP``.

    python examples/choosing_init.py [--out docs/img] [--seed 0] [--quick]

Writes three PNGs into ``--out`` (default ``docs/img``):

* ``choosing_depth.png``: activation std and Var dL/dh against depth for tanh, relu and gelu
  at PyTorch's gain, the exact forward gain and the critical point. Points: the median over
  independent weight draws (band: their range); dashed lines: ``theory.predict`` for the
  nominal weight scale, computed before any network is run.
* ``choosing_phase.png``: the order-to-chaos phase diagram of tanh, chi1 over
  (sigma_w, sigma_b), with the critical line of ``theory.critical_sigma_w``.
* ``choosing_predicted_vs_measured.png``: ``Report.plot()`` of one probe of a tanh network
  with mixed widths and biases, its mean-field prediction drawn through the measurements.

Every number is computed by the library; ``--quick`` runs a small version (a smoke test).
Needs matplotlib (``pip install "initlab[plot]"``).
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass

import numpy as np

import initlab
import initlab.plotting
from initlab import theory

#: sizes of the full run and of --quick: width, depth, batch, draws, phase grid (w x b),
#: the mixed network of the third figure
FULL = {"width": 512, "depth": 50, "batch": 256, "draws": 8, "grid": (41, 31),
        "mixed": [784] + [512] * 12 + [256] * 12 + [10], "mixed_batch": 512}
QUICK = {"width": 64, "depth": 8, "batch": 32, "draws": 2, "grid": (6, 5),
         "mixed": [64, 48, 48, 32, 10], "mixed_batch": 32}
DPI = 90


@dataclass(frozen=True)
class Config:
    """One initialization of a deep network: a label, sigma_w and sigma_b."""

    label: str
    sigma_w: float
    sigma_b: float = 0.0


def configurations() -> dict[str, list[Config]]:
    """PyTorch's gain, the exact gain and the critical point(s) of each activation."""
    sqrt2 = initlab.calculate_gain("relu")
    tanh_exact = initlab.gain("tanh")
    tanh_crit = theory.critical_sigma_w("tanh", 0.05)
    gelu_exact = initlab.gain("gelu")
    gelu_crit = theory.critical_sigma_w("gelu", 1.0)
    return {
        "tanh": [
            Config(f"PyTorch gain {initlab.calculate_gain('tanh'):.4f}",
                   initlab.calculate_gain("tanh")),
            Config(f"exact gain {tanh_exact:.4f}", tanh_exact),
            Config(f"critical {theory.critical_sigma_w('tanh'):.4f} (sigma_b = 0, q* = 0)",
                   theory.critical_sigma_w("tanh")),
            Config(f"critical {tanh_crit:.4f} with sigma_b = 0.05", tanh_crit, 0.05),
        ],
        "relu": [
            Config(f"PyTorch = exact = critical gain {sqrt2:.4f}", sqrt2),
        ],
        "gelu": [
            Config(f"{sqrt2:.4f} (relu's; PyTorch has no gelu gain)", sqrt2),
            Config(f"exact gain {gelu_exact:.4f} (unstable q* = 1)", gelu_exact),
            Config(f"critical {gelu_crit:.4f} with sigma_b = 1 (none for small sigma_b)",
                   gelu_crit, 1.0),
        ],
    }


def measure(act: str, cfg: Config, size: dict, seed: int) -> tuple[dict, theory.Prediction]:
    """Probe ``draws`` networks; return the per-layer measurements and the prediction.

    The input rows are rescaled to |x|^2/N = 1/sigma_w^2, so that the first layer's
    pre-activations have second moment 1 + sigma_b^2: the q at which the exact gains hold.
    """
    width, depth, batch = size["width"], size["depth"], size["batch"]
    widths = [width] * (depth + 1)
    gen = np.random.default_rng(seed)
    x = gen.standard_normal((batch, width))
    x *= np.sqrt(width / np.sum(x * x, axis=1, keepdims=True)) / cfg.sigma_w
    init = initlab.VarianceScaling(scale=cfg.sigma_w**2, mode="fan_in", distribution="normal")
    net = initlab.MLP(widths, activation=act, init=init, bias=cfg.sigma_b > 0,
                      bias_init=initlab.Normal(std=cfg.sigma_b) if cfg.sigma_b > 0 else "zeros",
                      dtype=np.float32, rng=gen)
    trials = net.trials(x.astype(np.float32), size["draws"], rng=gen, progress=False)
    pred = theory.predict(widths, act, init, x_variance=1 / cfg.sigma_w**2,
                          bias=cfg.sigma_b, batch=batch)
    measured = {name: trials.values(name) for name in ("act_std", "dh_in_var")}
    return measured, pred


def figure_depth(size: dict, seed: int, path: str) -> list[str]:
    from matplotlib.figure import Figure

    configs = configurations()
    fig = Figure(figsize=(11.0, 10.5), layout="constrained")
    axes = fig.subplots(3, 2)
    lines = []
    for row, (act, cfgs) in zip(axes, configs.items(), strict=True):
        layers = np.arange(1, size["depth"] + 1)
        for cfg in cfgs:
            measured, pred = measure(act, cfg, size, seed)
            predicted = {"act_std": pred.h_std,
                         "dh_in_var": np.concatenate([[pred.dx], pred.dh[:-1]])}
            for ax, name in zip(row, ("act_std", "dh_in_var"), strict=True):
                vals = measured[name]
                with np.errstate(all="ignore"):
                    ok = np.where(np.isfinite(vals) & (vals > 0), vals, np.nan)
                (line,) = ax.plot(layers, np.nanmedian(ok, axis=0), "o", markersize=3,
                                  label=cfg.label)
                color = line.get_color()
                ax.fill_between(layers, np.nanmin(ok, axis=0), np.nanmax(ok, axis=0),
                                color=color, alpha=0.12, linewidth=0)
                ax.plot(layers, predicted[name], "--", color=color, linewidth=1.3)
            last = size["depth"] - 1
            lines.append(f"{act:5s} {cfg.label:<58s} act std at layer {last + 1}: predicted "
                         f"{pred.h_std[last]:.4g}, measured median "
                         f"{np.nanmedian(measured['act_std'][:, last]):.4g}; Var dL/dx: "
                         f"predicted {pred.dx:.3g}, measured median "
                         f"{np.nanmedian(measured['dh_in_var'][:, 0]):.3g}")
        for ax, ylabel in zip(row, ("activation std", "Var dL/dh (layer input)"), strict=True):
            ax.set_yscale("log")
            ax.set_xlabel("layer")
            ax.set_ylabel(f"{act}: {ylabel}")
            ax.grid(True, which="major", alpha=0.3)
        row[0].legend(fontsize=7, loc="best")
    fig.suptitle(f"Networks of width {size['width']}, {size['depth']} layers, batch "
                 f"{size['batch']}: median (points) and range (band) over {size['draws']} "
                 f"weight draws; dashed: mean-field prediction (theory.predict)", fontsize=9)
    fig.savefig(path, dpi=DPI)
    return lines


def figure_phase(size: dict, path: str) -> list[str]:
    from matplotlib.colors import TwoSlopeNorm
    from matplotlib.figure import Figure

    n_w, n_b = size["grid"]
    sws = np.linspace(0.5, 2.5, n_w)
    sbs = np.linspace(0.0, 0.6, n_b)
    chi = np.array([[theory.chi1("tanh", sw, sb) for sw in sws] for sb in sbs])
    line_b = np.linspace(0.0, 0.6, 13)
    line_w = [theory.critical_sigma_w("tanh", sb) for sb in line_b]
    fig = Figure(figsize=(7.5, 5.6), layout="constrained")
    ax = fig.subplots()
    log_chi = np.log10(chi)
    low, high = float(log_chi.min()), float(log_chi.max())
    mesh = ax.pcolormesh(sws, sbs, log_chi, cmap="RdBu_r", shading="nearest",
                         norm=TwoSlopeNorm(0.0, min(low, -1e-3), max(high, 1e-3)))
    fig.colorbar(mesh, ax=ax, label="log10 chi1 (per-layer factor of Var dL/dh)")
    ax.plot(line_w, line_b, "k-", linewidth=1.8, label="critical line (chi1 = 1)")
    marks = [("PyTorch 5/3", initlab.calculate_gain("tanh"), 0.0, "s"),
             ("exact gain", initlab.gain("tanh"), 0.0, "D"),
             ("Xavier / LeCun (sigma_w = 1)", 1.0, 0.0, "o"),
             ("critical at sigma_b = 0.05", theory.critical_sigma_w("tanh", 0.05), 0.05, "^")]
    for label, sw, sb, marker in marks:
        mf = theory.mean_field("tanh", sw, sb)
        ax.plot([sw], [sb], marker, color="k", markerfacecolor="w", markersize=7,
                label=f"{label}: chi1 = {mf.chi1:.3f}")
    ax.text(0.55, 0.5, "ordered\n(chi1 < 1)", fontsize=10, color="w")
    ax.text(2.0, 0.5, "chaotic\n(chi1 > 1)", fontsize=10, color="w")
    ax.set_xlabel("sigma_w (weight scale, Var W = sigma_w^2 / fan_in)")
    ax.set_ylabel("sigma_b (bias std)")
    ax.set_title("tanh: order-to-chaos phase diagram (theory.chi1 at the fixed point q*)",
                 fontsize=10)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncols=2)
    fig.savefig(path, dpi=DPI)
    return ["critical line: " + ", ".join(f"sigma_b={b:g}: {w:.4f}"
                                           for b, w in zip(line_b[::4], line_w[::4],
                                                           strict=True))]


def figure_report(size: dict, seed: int, path: str) -> list[str]:
    widths = size["mixed"]
    depth = len(widths) - 1
    gen = np.random.default_rng(seed)
    net = initlab.MLP(widths, activation=["tanh"] * (depth - 1) + ["linear"],
                      init=initlab.XavierUniform(gain=initlab.calculate_gain("tanh")),
                      bias=True, bias_init=initlab.Normal(std=0.05), rng=gen)
    x = gen.standard_normal((size["mixed_batch"], widths[0]), dtype=np.float32)
    report = net.probe(x, rng=gen)
    report.title = (f"tanh MLP {widths[0]} -> {widths[1]} x{widths.count(widths[1])} -> "
                    f"{widths[-2]} x{widths.count(widths[-2])} -> {widths[-1]} (linear), "
                    f"Xavier uniform with gain 5/3, biases N(0, 0.05^2), batch "
                    f"{size['mixed_batch']}")
    report.plot(path, figsize=(12.0, 6.5))
    v = report.verdict()
    return [f"report: {report.title}", f"verdict: {v.message}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join("docs", "img"),
                        help="directory for the PNGs (default docs/img)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke test)")
    args = parser.parse_args()
    initlab.plotting.require()
    size = QUICK if args.quick else FULL
    os.makedirs(args.out, exist_ok=True)
    start = time.perf_counter()
    jobs = [("choosing_depth.png", lambda p: figure_depth(size, args.seed, p)),
            ("choosing_phase.png", lambda p: figure_phase(size, p)),
            ("choosing_predicted_vs_measured.png", lambda p: figure_report(size, args.seed, p))]
    for name, job in jobs:
        path = os.path.join(args.out, name)
        for line in job(path):
            print(line)
        print(f"wrote {path} ({os.path.getsize(path) / 1024:.0f} KB)")
    print(f"done in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
