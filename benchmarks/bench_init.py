"""Time every initializer on a 4096x4096 float32 tensor next to tutorial-style NumPy.

    python benchmarks/bench_init.py [--size 4096] [--threads N]

The baseline is what tutorials write: ``(np.random.randn(*shape) * std).astype(np.float32)``
(legacy global generator, float64 temporaries, then a cast); for the uniform family the same
with ``np.random.uniform(-a, a, shape)``. "ratio" is baseline time / initlab time (higher is
better). initlab is timed both allocating its result and filling a preallocated ``out=``.
Cells marked ``*`` ran while another process used more than a quarter of a core.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys

sys.path.insert(0, os.path.dirname(__file__))
from _timing import measure, pin_threads, table

pin_threads(2)

import numpy as np  # noqa: E402

import initlab  # noqa: E402

CASES: list[tuple[str, dict[str, object], str]] = [
    ("zeros", {}, "normal"),
    ("ones", {}, "normal"),
    ("constant", {"value": 0.1}, "normal"),
    ("normal", {"std": 0.02}, "normal"),
    ("uniform", {"low": -0.05, "high": 0.05}, "uniform"),
    ("truncated_normal", {"std": 0.02}, "normal"),
    ("variance_scaling", {}, "normal"),
    ("xavier_uniform", {}, "uniform"),
    ("xavier_normal", {}, "normal"),
    ("kaiming_uniform", {}, "uniform"),
    ("kaiming_normal", {}, "normal"),
    ("lecun_uniform", {}, "uniform"),
    ("lecun_normal", {}, "normal"),
    ("eye", {}, "normal"),
    ("sparse", {"sparsity": 0.9}, "normal"),
    ("orthogonal", {}, "normal"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=4096, help="matrix side (default 4096)")
    parser.add_argument("--threads", type=int, default=None,
                        help="initlab threads (default: initlab.get_threads())")
    parser.add_argument("--skip-orthogonal", action="store_true")
    args = parser.parse_args()
    shape = (args.size, args.size)
    std = math.sqrt(2.0 / args.size)
    threads = args.threads or initlab.get_threads()
    print(f"# initlab {initlab.__version__}, numpy {np.__version__}, python "
          f"{platform.python_version()}, {os.cpu_count()} cpus, initlab threads={threads}")
    print(f"# shape {shape} float32 ({math.prod(shape) / 1e6:.1f} M elements)\n")

    np.random.seed(0)  # noqa: NPY002 - the tutorial baseline uses the legacy global state
    baselines = {
        "normal": measure(lambda: (np.random.randn(*shape) * std).astype(np.float32)),  # noqa: NPY002
        "uniform": measure(lambda: np.random.uniform(-std, std, shape).astype(np.float32)),  # noqa: NPY002
    }
    rows = []
    out = np.empty(shape, np.float32)
    for name, kwargs, family in CASES:
        if name == "orthogonal" and args.skip_orthogonal:
            continue
        fn = getattr(initlab, name)
        reps = {"min_reps": 3, "min_time": 0.0} if name == "orthogonal" else {}
        new = measure(lambda fn=fn, kwargs=kwargs: fn(shape, **kwargs, rng=0, threads=threads),
                      **reps)
        filled = measure(lambda fn=fn, kwargs=kwargs: fn(shape, **kwargs, rng=0, out=out,
                                                         threads=threads), **reps)
        randn, matching = baselines["normal"], baselines[family]
        rows.append([name, new.fmt_ms(), filled.fmt_ms(),
                     f"{randn.median / new.median:.1f}x",
                     f"{matching.median / new.median:.1f}x ({family})"])
    print(table(["initializer", "initlab ms (new)", "initlab ms (out=)",
                 "ratio vs randn*std", "ratio vs tutorial of its family"], rows))
    print(f"\nbaselines: randn*std then cast {baselines['normal'].fmt_ms()} ms, "
          f"uniform then cast {baselines['uniform'].fmt_ms()} ms")


if __name__ == "__main__":
    main()
