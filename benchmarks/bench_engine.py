"""Time ``MLP.probe`` against its matrix products alone (the floor) and against PyTorch.

The deep case is the issue's target: 100 tanh layers of width 256, batch 2000, Xavier uniform,
float32. ``probe`` runs 300 GEMMs (100 forward, 100 weight gradients, 100 state gradients,
the last one being dL/dx) plus every per-layer statistic; the floor runs the same 300 GEMMs
into preallocated arrays and nothing else. When torch is importable the same network runs in
PyTorch (``nn.Linear`` without bias + ``nn.Tanh``, statistics taken by forward hooks and
tensor hooks on the gradients, autograd backward from the same upstream noise). ``probe``
computes the report's mean-field prediction itself (``theory.propagate``); the row "forward
only" times the pass without statistics or prediction.

Run (BLAS threads are pinned before NumPy is imported; default 2)::

    python benchmarks/bench_engine.py [--threads 2] [--reps 7] [--case deep|small|all]
    /tmp/torchenv/bin/python benchmarks/bench_engine.py        # with torch, PYTHONPATH=src

The machine may be shared: for every repetition the script records the CPU time used by other
processes (from /proc/stat) and, with ``--gate`` (default 0.25 core), repeats a repetition that
ran under more foreign load than that, up to 3 times. No timing is asserted anywhere in the
tests; this script only reports.
"""

from __future__ import annotations

import argparse
import os
import sys

_pre = argparse.ArgumentParser(add_help=False)
_pre.add_argument("--threads", type=int, default=2)
_known, _ = _pre.parse_known_args()
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(_known.threads)

import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

import initlab  # noqa: E402

_CLK = os.sysconf("SC_CLK_TCK")


def _cpu_busy() -> float:
    """Seconds of busy CPU time, all processes (from /proc/stat); nan if unavailable."""
    try:
        with open("/proc/stat") as fh:
            fields = [float(v) for v in fh.readline().split()[1:]]
    except OSError:
        return float("nan")
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)
    return (sum(fields[:8]) - idle) / _CLK


def _own() -> float:
    t = os.times()
    return t.user + t.system


def timed(fn: Callable[[], Any], reps: int, gate: float) -> tuple[list[float], list[float]]:
    """Wall times (s) and foreign load (cores) of ``reps`` runs after one warm-up."""
    fn()
    times, loads = [], []
    for _ in range(reps):
        for _attempt in range(4):
            b0, o0, t0 = _cpu_busy(), _own(), time.perf_counter()
            fn()
            t1, o1, b1 = time.perf_counter(), _own(), _cpu_busy()
            wall = t1 - t0
            foreign = max(0.0, ((b1 - b0) - (o1 - o0)) / wall) if wall > 0 else 0.0
            if not foreign > gate:
                break
        times.append(wall)
        loads.append(foreign)
    return times, loads


def make_case(name: str) -> tuple[initlab.MLP, np.ndarray, np.ndarray]:
    if name == "deep":
        widths = [256] * 101
    else:
        widths = [800 - 50 * i for i in range(10)]
    gen = np.random.default_rng(0)
    x = gen.standard_normal((2000, widths[0]), dtype=np.float32)
    net = initlab.MLP(widths, activation="tanh", init="xavier_uniform", rng=gen)
    g = gen.standard_normal((2000, widths[-1]), dtype=np.float32)
    return net, x, g


def gemm_floor(net: initlab.MLP, x: np.ndarray, g: np.ndarray) -> Callable[[], None]:
    """The probe's 300 (or 3L) matrix products alone, into preallocated arrays."""
    ws = net.weights
    batch = x.shape[0]
    hs = [np.empty((batch, w.shape[1]), np.float32) for w in ws]
    dws = [np.empty_like(w) for w in ws]
    widest = max(net.widths)
    ga, gb = np.empty(batch * widest, np.float32), np.empty(batch * widest, np.float32)

    def run() -> None:
        h = x
        for w, out in zip(ws, hs, strict=True):
            np.matmul(h, w, out=out)
            h = out
        d = g
        bufs = (ga, gb)
        for k in reversed(range(len(ws))):
            hin = hs[k - 1] if k else x
            np.matmul(hin.T, d, out=dws[k])
            nxt = bufs[k % 2][: batch * ws[k].shape[0]].reshape(batch, ws[k].shape[0])
            np.matmul(d, ws[k].T, out=nxt)
            d = nxt

    return run


def torch_probe(net: initlab.MLP, x: np.ndarray, g: np.ndarray,
                threads: int) -> tuple[Callable[[], dict[str, list[float]]], Any] | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    layers = []
    for w in net.weights:
        lin = torch.nn.Linear(w.shape[0], w.shape[1], bias=False)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w.T.copy()))
        layers += [lin, torch.nn.Tanh()]
    model = torch.nn.Sequential(*layers)
    xt, gt = torch.from_numpy(x), torch.from_numpy(g)
    edges = 128
    stats: dict[str, list[float]] = {}

    def fwd_hook(mod: Any, inp: Any, out: Any) -> None:
        t = out.detach()
        if isinstance(mod, torch.nn.Linear):
            stats["pre_mean"].append(float(t.mean()))
            stats["pre_std"].append(float(t.std(unbiased=False)))
            out.register_hook(lambda grad: stats["dz_var"].append(
                float(grad.var(unbiased=False))))
        else:
            stats["act_mean"].append(float(t.mean()))
            stats["act_std"].append(float(t.std(unbiased=False)))
            stats["act_min"].append(float(t.min()))
            stats["act_max"].append(float(t.max()))
            stats["sat"].append(float((t.abs() > 0.99).sum()))
            stats["zero"].append(float((t == 0).sum()))
            torch.histc(t, bins=edges, min=-1.0, max=1.0)

    for mod in model:
        mod.register_forward_hook(fwd_hook)

    def run() -> dict[str, list[float]]:
        for key in ("pre_mean", "pre_std", "dz_var", "act_mean", "act_std", "act_min",
                    "act_max", "sat", "zero", "dh_in_var", "dw_var", "dw_ratio"):
            stats[key] = []
        model.zero_grad(set_to_none=True)
        xin = xt.clone().requires_grad_(True)
        hidden = []

        def keep(t: Any) -> Any:
            t.register_hook(lambda grad: stats["dh_in_var"].append(
                float(grad.var(unbiased=False))))
            return t

        h = keep(xin)
        for k in range(0, len(model), 2):
            h = model[k + 1](model[k](h))
            if k + 2 < len(model):
                h = keep(h)
            hidden.append(h)
        h.backward(gt)
        for lin in model[::2]:
            gw = lin.weight.grad
            stats["dw_var"].append(float(gw.var(unbiased=False)))
            stats["dw_ratio"].append(float(gw.norm() / lin.weight.detach().norm()))
        return stats

    return run, torch.__version__


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], parents=[_pre])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--case", choices=("deep", "small", "all"), default="deep")
    parser.add_argument("--gate", type=float, default=0.25,
                        help="repeat a repetition run under more foreign load (cores)")
    args = parser.parse_args()
    cases = ("deep", "small") if args.case == "all" else (args.case,)
    print(f"numpy {np.__version__}, initlab {initlab.__version__}, BLAS threads "
          f"{args.threads}, {os.cpu_count()} CPUs, reps {args.reps} (median, min), "
          f"gate {args.gate} foreign cores")
    for case in cases:
        net, x, g = make_case(case)
        gemms = 3 * net.depth
        flops = 2.0 * x.shape[0] * sum(a * b for a, b in zip(net.widths[:-1], net.widths[1:],
                                                             strict=True)) * 3
        rows: list[tuple[str, list[float], list[float]]] = []
        floor = gemm_floor(net, x, g)
        rows.append((f"numpy GEMM floor ({gemms} matmuls)", *timed(floor, args.reps, args.gate)))
        rows.append(("initlab MLP.probe (fwd+bwd+stats+prediction)",
                     *timed(lambda n=net, a=x, b=g: n.probe(a, grad=b), args.reps, args.gate)))
        rows.append(("initlab forward only (no stats)",
                     *timed(lambda n=net, a=x: n.forward(a), args.reps, args.gate)))
        tp = torch_probe(net, x, g, args.threads)
        if tp is not None:
            run, version = tp
            rows.append((f"torch {version} autograd + hooks",
                         *timed(run, args.reps, args.gate)))
        print(f"\n### {case}: {net.depth} layers {net.widths[0]}->{net.widths[-1]}, batch "
              f"{x.shape[0]}, tanh, float32 ({flops / 1e9:.1f} GFLOP in GEMMs)\n")
        print("| variant | median ms | min ms | x floor (median) | GFLOP/s | foreign cores "
              "(max) |")
        print("|---|---:|---:|---:|---:|---:|")
        floor_med = statistics.median(rows[0][1])
        for name, times, loads in rows:
            med = statistics.median(times)
            print(f"| {name} | {med * 1e3:.0f} | {min(times) * 1e3:.0f} | "
                  f"{med / floor_med:.2f} | {flops / med / 1e9:.0f} | {max(loads):.2f} |")
        if tp is not None:
            rep = net.probe(x, grad=g)
            ts = tp[0]()
            for key, ours in (("act_std", rep["act_std"]), ("dh_in_var", rep["dh_in_var"]),
                              ("dw_var", rep["dw_var"])):
                theirs = np.array(ts[key][::-1] if key == "dh_in_var" else ts[key])
                rel = np.max(np.abs(theirs - ours) / np.abs(ours))
                print(f"agreement {key}: max relative difference {rel:.2e}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
