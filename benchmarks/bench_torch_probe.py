"""Peak memory of ``initlab.torch.probe`` on a GPT-2-small-sized model against one plain
forward-backward pass (issue 11: within 1.5x).

The model is built from ``torch.nn`` only: token and position embeddings, 12 pre-norm blocks
(``LayerNorm``, ``MultiheadAttention`` with a causal mask, ``LayerNorm``, a 4x GELU MLP),
a final ``LayerNorm`` and an untied ``lm_head``: d = 768, 12 heads, vocabulary 50,257, 1,024
positions, 163 M parameters. The batch is 2 x 128 token ids.

Each measurement runs in a fresh subprocess, which builds the model, records its resident
set (``VmRSS``) and then does one of:

* ``baseline``: ``model(x)`` and ``logits.backward(g)`` with ``g ~ N(0, 1)`` (the upstream
  gradient ``probe`` uses by default), so the weight gradients are allocated as in training;
* ``probe``: ``initlab.torch.probe(model, x, rng=0)`` (default modules: 100 rows).

The peak is the process's high-water mark ``VmHWM`` from ``/proc/self/status``; "growth" is
the peak minus the resident set before the pass (the model itself excluded). Run::

    PYTHONPATH=src python benchmarks/bench_torch_probe.py [--threads 2]

No timing or memory is asserted in the tests; this script only reports.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Any


def status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def build() -> Any:
    """The GPT-style model of ``examples/torch_probe.py`` at GPT-2-small size (untied head)."""
    import importlib.util
    from pathlib import Path

    import torch

    path = Path(__file__).resolve().parent.parent / "examples" / "torch_probe.py"
    spec = importlib.util.spec_from_file_location("torch_probe_example", path)
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    torch.manual_seed(0)
    return example.GPT(vocab=50257, d=768, layers=12, heads=12, positions=1024)


def child(mode: str) -> None:
    import torch

    model = build()
    ids = torch.randint(0, 50257, (2, 128), generator=torch.Generator().manual_seed(0))
    n_params = sum(p.numel() for p in model.parameters())
    before = status_kib("VmRSS")
    t0 = time.perf_counter()
    rows = None
    if mode == "baseline":
        logits = model(ids)
        logits.backward(torch.randn(logits.shape, generator=torch.Generator().manual_seed(0)))
    else:
        import initlab.torch as it

        rep = it.probe(model, ids, rng=0)
        rows = rep.depth
    seconds = time.perf_counter() - t0
    peak = status_kib("VmHWM")
    print(json.dumps({"mode": mode, "params": n_params, "rss_before_mib": before / 1024,
                      "peak_mib": peak / 1024, "growth_mib": (peak - before) / 1024,
                      "seconds": seconds, "rows": rows}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--child", choices=["baseline", "probe"])
    args = ap.parse_args()
    if args.child:
        import torch

        torch.set_num_threads(args.threads)
        child(args.child)
        return
    results = {}
    for mode in ("baseline", "probe"):
        out = subprocess.run([sys.executable, __file__, "--child", mode, "--threads",
                              str(args.threads)], check=True, capture_output=True, text=True,
                             env=os.environ.copy())
        results[mode] = json.loads(out.stdout.strip().splitlines()[-1])
    base, probe = results["baseline"], results["probe"]
    print(f"GPT-2-small-sized model from torch.nn: {base['params'] / 1e6:.1f} M parameters, "
          f"batch 2 x 128 tokens, {args.threads} threads; probe rows: {probe['rows']}")
    print(f"{'pass':<24}{'RSS before':>12}{'peak VmHWM':>12}{'growth':>10}{'time':>9}")
    for name, r in (("forward-backward", base), ("initlab.torch.probe", probe)):
        print(f"{name:<24}{r['rss_before_mib']:>8.0f} MiB{r['peak_mib']:>8.0f} MiB"
              f"{r['growth_mib']:>6.0f} MiB{r['seconds']:>8.1f}s")
    print(f"peak ratio probe / forward-backward: {probe['peak_mib'] / base['peak_mib']:.2f}x; "
          f"growth ratio: {probe['growth_mib'] / base['growth_mib']:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
