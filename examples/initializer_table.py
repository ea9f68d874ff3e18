"""Print, for a few typical layers, every fan-based initializer's fans, target variance and
measured variance.

    python examples/initializer_table.py [--seed 0]

The target is :func:`initlab.expected_moments` (the formula); the measurement is the mean of
``w**2`` over one draw. The last column is the half-width of the interval the measured/target
ratio falls in with probability 1 - 1e-6 (theory.md section 5: z * sqrt((kurtosis - 1) / n)).
"""

from __future__ import annotations

import argparse
import math

import numpy as np
from scipy import stats

import initlab

LAYERS = [
    ("dense 784->256", (784, 256), {}),
    ("torch Conv2d(64, 128, 3)", (128, 64, 3, 3), {"layout": "torch"}),
    ("depthwise 3x3, 256 ch", (256, 1, 3, 3), {"layout": "torch", "groups": 256}),
    ("ConvTranspose2d(128, 64, 4)", (128, 64, 4, 4), {"layout": "torch", "transposed": True}),
    ("attention query 512->8x64", (512, 8, 64), {"in_axis": 0, "out_axis": (1, 2)}),
]
INITIALIZERS = [
    ("xavier_uniform", 9 / 5), ("xavier_normal", 3.0), ("kaiming_uniform", 9 / 5),
    ("kaiming_normal", 3.0), ("lecun_uniform", 9 / 5),
    ("lecun_normal", float(stats.truncnorm(-2, 2).stats(moments="k")) + 3.0),
]
Z = float(stats.norm.isf(0.5e-6))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    header = (f"{'layer':<30} {'initializer':<16} {'fan_in':>6} {'fan_out':>7} "
              f"{'target var':>11} {'measured':>11} {'ratio':>7} {'+-':>6}")
    print(header)
    print("-" * len(header))
    for label, shape, fan_args in LAYERS:
        fans = initlab.compute_fans(shape, **fan_args)
        for name, kurtosis in INITIALIZERS:
            init = initlab.get({"class_name": name, "config": fan_args})
            w = init(shape, rng=rng)
            _, target = initlab.expected_moments(init, shape)
            measured = float(np.mean(w.astype(np.float64) ** 2))
            half = Z * math.sqrt((kurtosis - 1) / w.size)
            print(f"{label:<30} {name:<16} {fans.fan_in:>6} {fans.fan_out:>7} "
                  f"{target:>11.4e} {measured:>11.4e} {measured / target:>7.4f} {half:>6.4f}")
            assert abs(measured / target - 1) <= half, (label, name)


if __name__ == "__main__":
    main()
