"""μP's coordinate check on the lab's MLP, with ``initlab.mup.coord_check``.

Makes the figure of ``docs/recipes.md`` (section "Coordinate check")::

    MPLBACKEND=Agg PYTHONPATH=src python examples/coord_check.py --out docs/img

``coord_check.png``: a ReLU MLP ``32 → n → n → 10`` trained three Adam steps (lr 0.02) on
one fixed batch at widths n = 128 … 2048, the mean absolute pre-activation of each layer
against the width after each step, log-log. Top row standard parametrization (the same init
formula and learning rate at every width): the hidden layer and the readout grow about like
n after the first step. Bottom row μP (``initlab.mup.parametrize`` with base width 128, the
readout zero-initialized as ``MuReadout(readout_zero_init=True)``): every line is flat.

Without ``--out`` nothing is written; the tables are printed either way.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from initlab.mup import coord_check

WIDTHS = [128, 256, 512, 1024, 2048]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=None, help="folder for the PNG")
    args = parser.parse_args()

    checks = {p: coord_check(WIDTHS, parametrization=p, steps=3, optimizer="adam", rng=0)
              for p in ("sp", "mup")}
    for check in checks.values():
        print(check.table())
        print("slopes:", {k: round(v, 3) for k, v in check.slopes.items()})
        print()
    if args.out is None:
        return
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(13.0, 6.6), layout="constrained")
    rows = fig.subfigures(2, 1)
    for sub, (name, check) in zip(rows, checks.items(), strict=True):
        check.plot(fig=sub)
        sub.suptitle(("standard parametrization" if name == "sp" else "μP") +
                     f": Adam lr={check.config['lr']:g}, ReLU MLP, mean |pre-activation| "
                     "against width (legend: fitted log-log slope)", fontsize=10)
    args.out.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out / "coord_check.png", dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
