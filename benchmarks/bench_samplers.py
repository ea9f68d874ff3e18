"""Per-core throughput of the float32 samplers (threads=1, process CPU time, best of reps).

Run: ``PYTHONPATH=src python benchmarks/bench_samplers.py [--reps 7]``. Prints M values/s for
``initlab.uniform``/``initlab.normal`` into a preallocated ``out`` and, for comparison,
NumPy's ``Generator.random``/``standard_normal`` in float32.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

import initlab


def best(fn: Callable[[np.ndarray], object], out: np.ndarray, reps: int) -> float:
    """Least process CPU time of ``reps`` calls (after one warm-up call)."""
    fn(out)
    times = []
    for _ in range(reps):
        t0 = time.process_time()
        fn(out)
        times.append(time.process_time() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    gen = np.random.default_rng(0)
    for shape in ((50257, 768), (3072, 768)):
        out = np.empty(shape, np.float32)
        cases: dict[str, Callable[[np.ndarray], object]] = {
            "initlab.uniform": lambda a: initlab.uniform(a.shape, low=-0.1, high=0.1, rng=0,
                                                         out=a, threads=1),
            "initlab.normal": lambda a: initlab.normal(a.shape, std=0.02, rng=0, out=a,
                                                       threads=1),
            "numpy random f32": lambda a: gen.random(dtype=np.float32, out=a),
            "numpy standard_normal f32": lambda a: gen.standard_normal(dtype=np.float32, out=a),
        }
        for name, fn in cases.items():
            t = best(fn, out, args.reps)
            print(f"{shape!s:>12} {name:<26} {out.size / t / 1e6:8.1f} M values/s")

if __name__ == "__main__":
    main()
