"""initlab.torch on a GPT-2-small-sized model: time and peak memory in one run.

    python benchmarks/bench_torch.py [--reps 5]

The model is nanoGPT's GPT-2 small built from ``torch.nn`` (12 blocks, d = 768, 12 heads,
vocabulary 50,257, context 1024, ``lm_head`` tied to ``wte``: 124.4 M parameters). Two pairs:

- ``it.init_(model, "torch", rng=0)`` against every module's own ``reset_parameters()``
  (PyTorch's defaults, drawn by PyTorch's generator);
- ``it.init_`` with Normal(0.02) rules (GPT-2's recipe: ``Linear`` and ``Embedding`` N(0,
  0.02), ``c_proj`` N(0, 0.02/sqrt(2·12)), biases 0) against nanoGPT's ``_init_weights`` loop
  of ``normal_(0, 0.02)`` plus its ``c_proj`` pass.

Each figure is the median of ``--reps`` timed calls after one warm-up (the two sides of a pair
alternate, garbage collection off), in wall seconds and in process CPU seconds (the machine
may be shared: CPU time shows the work done when other processes take the cores; torch's
``uniform_``/``normal_`` use one thread, initlab draws with ``initlab.get_threads()``). The
speed-up is the ratio of the two medians; "pair ratio" is the median of the per-repetition
ratios (robust to a drift of the machine's speed), and "other load" the cores that other
processes used during the timed calls (``/proc/stat`` busy time minus this process's).
``--per-core`` adds the single-thread throughput of each sampler against torch's, at the
sizes of ``wte`` and of an MLP weight: with the work split over the threads, these bound
the speed-ups.
Peak memory growth is the rise of the process's peak resident set (``VmHWM``, reset through
``/proc/self/clear_refs``) above its resident set before one call: initlab draws float32
parameters straight into their storage, so it should stay near zero.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial

sys.path.insert(0, os.path.dirname(__file__))
from _timing import pin_threads

pin_threads(2)

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

import initlab  # noqa: E402
import initlab.torch as it  # noqa: E402

N_LAYER, N_EMBD, N_HEAD, VOCAB, CONTEXT = 12, 768, 12, 50257, 1024


class Attention(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.c_attn = nn.Linear(N_EMBD, 3 * N_EMBD)
        self.c_proj = nn.Linear(N_EMBD, N_EMBD)


class MLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.c_fc = nn.Linear(N_EMBD, 4 * N_EMBD)
        self.c_proj = nn.Linear(4 * N_EMBD, N_EMBD)


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.ln_1, self.attn = nn.LayerNorm(N_EMBD), Attention()
        self.ln_2, self.mlp = nn.LayerNorm(N_EMBD), MLP()


class GPT(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.wte = nn.Embedding(VOCAB, N_EMBD)
        self.wpe = nn.Embedding(CONTEXT, N_EMBD)
        self.h = nn.ModuleList(Block() for _ in range(N_LAYER))
        self.ln_f = nn.LayerNorm(N_EMBD)
        self.lm_head = nn.Linear(N_EMBD, VOCAB, bias=False)
        self.lm_head.weight = self.wte.weight  # tied, as in GPT-2


def reset_parameters(model: nn.Module) -> None:
    for m in model.modules():
        if hasattr(m, "reset_parameters"):
            m.reset_parameters()


def nanogpt_init(model: nn.Module) -> None:
    """karpathy/nanoGPT model.py: ``self.apply(self._init_weights)`` then the c_proj pass."""
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                torch.nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)

    model.apply(_init_weights)
    for pn, p in model.named_parameters():
        if pn.endswith("c_proj.weight"):
            torch.nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * N_LAYER))


GPT2_RULES = {
    "*.c_proj.weight": initlab.Normal(std=0.02 / math.sqrt(2 * N_LAYER)),
    nn.Embedding: initlab.Normal(std=0.02),
}


def initlab_torch(model: nn.Module) -> None:
    it.init_(model, "torch", rng=0)


def initlab_gpt2(model: nn.Module) -> None:
    it.init_(model, initlab.Normal(std=0.02), rules=GPT2_RULES, rng=0)


def _status(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(key)


def peak_growth(fn: Callable[[nn.Module], None], model: nn.Module) -> int | None:
    """Bytes by which the peak resident set rises above the resident set during one call."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset VmHWM to the current RSS
        before = _status("VmRSS")
    except OSError:
        return None
    fn(model)
    return _status("VmHWM") - before


def mib(v: int | None) -> str:
    return "n/a" if v is None else f"{v / 2**20:.1f}"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def busy_seconds() -> float | None:
    """CPU seconds all processes have used (``/proc/stat``), or None where unavailable."""
    try:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:]]
    except OSError:
        return None
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def blas() -> str:
    try:
        info = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{info['name']} {info['version']}"
    except (KeyError, TypeError):
        return "unknown"


def torch_parallel() -> str:
    info = torch.__config__.parallel_info()
    backend = next((line.split(":", 1)[1].strip() for line in info.splitlines()
                    if line.startswith("ATen parallel backend")), "unknown")
    return (f"torch intra-op threads {torch.get_num_threads()}, inter-op "
            f"{torch.get_num_interop_threads()}, backend {backend}, "
            f"MKL {torch.backends.mkl.is_available()}")


def rate(fn: Callable[[], object], n: int) -> float:
    """Millions of values per CPU second of ``fn`` (drawing ``n`` values; median of 5)."""
    fn()
    cpu = []
    for _ in range(5):
        p0 = time.process_time()
        fn()
        cpu.append(time.process_time() - p0)
    return n / statistics.median(cpu) / 1e6


def per_core() -> None:
    """Single-thread throughput of initlab's samplers against torch's, in process CPU time."""
    torch_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    print()
    print("per-core throughput (one thread, process CPU time, median of 5), M values/s:")
    print(f"{'shape':<14} {'torch normal_':>14} {'initlab Normal':>15} {'ratio':>6} "
          f"{'torch uniform_':>15} {'initlab Uniform':>16} {'ratio':>6}")
    for shape in ((VOCAB, N_EMBD), (4 * N_EMBD, N_EMBD)):
        t = torch.empty(shape)
        a, n = t.numpy(), t.numel()
        normal, uniform = initlab.Normal(std=1.0), initlab.Uniform(low=-0.1, high=0.1)
        tn = rate(t.normal_, n)
        inn = rate(partial(normal, shape, rng=0, out=a, threads=1), n)
        tu = rate(partial(t.uniform_, -0.1, 0.1), n)
        iu = rate(partial(uniform, shape, rng=0, out=a, threads=1), n)
        print(f"{shape!s:<14} {tn:>14.0f} {inn:>15.0f} {inn / tn:>5.2f}x {tu:>15.0f} "
              f"{iu:>16.0f} {iu / tu:>5.2f}x")
    torch.set_num_threads(torch_threads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--per-core", action="store_true",
                        help="also measure each sampler's single-thread throughput")
    args = parser.parse_args()
    model = GPT()
    n_params = sum(p.numel() for p in model.parameters())
    largest = max(p.numel() * p.element_size() for p in model.parameters())
    print(f"CPU: {cpu_model()} ({os.cpu_count()} logical cores, "
          f"load average {os.getloadavg()[0]:.1f})")
    print(f"Python {platform.python_version()}, torch {torch.__version__}, numpy "
          f"{np.__version__} (BLAS {blas()}), initlab {initlab.__version__}")
    print(f"threads: {torch_parallel()}; initlab threads {initlab.get_threads()}; "
          + ", ".join(f"{v}={os.environ.get(v, 'unset')}" for v in
                      ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "OPENBLAS_NUM_THREADS")))
    print(f"model: GPT-2 small from torch.nn, {n_params / 1e6:.1f} M parameters, largest "
          f"{largest / 2**20:.1f} MiB (wte, tied to lm_head)")
    pairs = [
        ("init='torch'", "reset_parameters()", initlab_torch, reset_parameters, 2.5),
        ("Normal(0.02) rules", "nanoGPT normal_ loop", initlab_gpt2, nanogpt_init, 1.3),
    ]
    print()
    print(f"{'initlab.torch':<20} {'PyTorch':<22} {'initlab s':>10} {'PyTorch s':>10} "
          f"{'speed-up':>9} {'pair ratio':>11} {'target':>7} {'initlab peak +MiB':>18} "
          f"{'PyTorch peak +MiB':>18} {'initlab cpu':>11} {'PyTorch cpu':>11} "
          f"{'other load':>11}")
    ok = True
    for ours_name, theirs_name, ours, theirs, target in pairs:
        ours(model)
        theirs(model)
        t_ours: list[float] = []
        t_theirs: list[float] = []
        c_ours: list[float] = []
        c_theirs: list[float] = []
        gc.disable()
        busy0, own0, wall0 = busy_seconds(), time.process_time(), time.perf_counter()
        for _ in range(args.reps):
            for fn, times, cpu in ((ours, t_ours, c_ours), (theirs, t_theirs, c_theirs)):
                t0, p0 = time.perf_counter(), time.process_time()
                fn(model)
                times.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - p0)
        busy1, own1, wall1 = busy_seconds(), time.process_time(), time.perf_counter()
        gc.enable()
        other = ("n/a" if busy0 is None or busy1 is None else
                 f"{max(0.0, (busy1 - busy0) - (own1 - own0)) / (wall1 - wall0):.2f} cores")
        m_ours, m_theirs = peak_growth(ours, model), peak_growth(theirs, model)
        a, b = statistics.median(t_ours), statistics.median(t_theirs)
        speed = b / a
        pair = statistics.median(y / x for x, y in zip(t_ours, t_theirs, strict=True))
        ok &= speed >= target and (m_ours is None or m_ours <= largest + 32 * 2**20)
        print(f"{ours_name:<20} {theirs_name:<22} {a:>10.3f} {b:>10.3f} {speed:>8.2f}x "
              f"{pair:>10.2f}x {target:>6.1f}x {mib(m_ours):>18} {mib(m_theirs):>18} "
              f"{statistics.median(c_ours):>11.3f} {statistics.median(c_theirs):>11.3f} "
              f"{other:>11}")
    print()
    print(f"peak memory target: growth <= largest parameter + 32 MiB = "
          f"{(largest + 32 * 2**20) / 2**20:.1f} MiB")
    print(f"wall seconds: median of {args.reps}; cpu: process CPU seconds (all threads) per "
          f"call; load average now {os.getloadavg()[0]:.1f}")
    print("all targets met" if ok else "a target was missed")
    if args.per_core:
        per_core()


if __name__ == "__main__":
    main()
