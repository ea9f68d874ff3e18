"""Digests of every initializer's output and of the demo experiments' reports.

The restructuring of issue 9 promised the same bits: this module computes SHA-256 digests of

* every name and alias in ``INITIALIZERS`` (plus the ``glorot_*``/``he_*``/``identity``
  aliases), shapes ``(5, 3)``, ``(4, 6, 3, 3)`` and ``(0, 3)``, dtypes float32, float64 and
  float16, every layout name the initializer accepts and seeds 0 and 1 (a call that raises is
  recorded as its exception type);
* ``Experiment.run(0).to_json()`` of the 13 demo experiments, floats rounded to 12
  significant digits.

``python tests/same_bits.py`` adds (or replaces) the digests of this machine in
``tests/data/same_bits.json``; ``test_same_bits.py`` checks that the digests computed now equal
the recorded ones.

Digests are recorded per *fingerprint* (CPU vendor, family and model, NumPy and SciPy
versions): float32 sums inside BLAS (the lab's matrix products, the QR of ``orthogonal``) and
NumPy's SIMD ``log``/``sin``/``cos`` kernels round differently on different processors, so
bits are only comparable on the same kind of machine. A machine with no recorded digests skips
the test with the command that records them (run it on the commit before a restructuring).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import math
import platform
import sys
from pathlib import Path
from typing import Any

import numpy as np
import scipy

import initlab
from initlab.engine.experiments import EXPERIMENTS

DATA = Path(__file__).parent / "data" / "same_bits.json"
SHAPES = ((5, 3), (4, 6, 3, 3), (0, 3))
DTYPES = ("float32", "float64", "float16")
SEEDS = (0, 1)
ALIASES = ("glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "identity")
#: Arguments an initializer needs (no default) or whose variants are worth recording.
EXTRA: dict[str, list[dict[str, Any]]] = {
    "constant": [{"value": 0.5}],
    "sparse": [{"sparsity": 0.5}],
    "variance_scaling": [{}, {"distribution": "normal", "mode": "fan_avg"},
                         {"distribution": "uniform", "mode": "fan_out", "scale": 2.0}],
}


def fingerprint() -> str:
    """CPU vendor/family/model, machine, NumPy and SciPy versions: what the bits depend on."""
    cpu: dict[str, str] = {}
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key in ("vendor_id", "cpu family", "model") and key not in cpu:
                    cpu[key] = value.strip()
    except OSError:  # pragma: no cover - non-Linux
        cpu["processor"] = platform.processor()
    parts = [platform.machine(), *(f"{k}={v}" for k, v in sorted(cpu.items())),
             f"numpy={np.__version__}", f"scipy={scipy.__version__}"]
    return " ".join(parts)


def _names() -> list[str]:
    return [*initlab.INITIALIZERS, *ALIASES]


def _layouts(func: Any) -> list[str | None]:
    if "layout" in inspect.signature(func).parameters:
        return sorted(initlab.LAYOUTS)
    return [None]


def _digest_array(a: np.ndarray) -> str:
    h = hashlib.sha256()
    h.update(f"{a.dtype.str}{a.shape}".encode())
    h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def initializer_digests() -> dict[str, str]:
    out: dict[str, str] = {}
    for name in _names():
        func = getattr(initlab, name)
        for extra in EXTRA.get(name, [{}]):
            for layout in _layouts(func):
                for shape in SHAPES:
                    for dtype in DTYPES:
                        for seed in SEEDS:
                            kw = dict(extra)
                            if layout is not None:
                                kw["layout"] = layout
                            key = (f"{name}{sorted(kw.items())} {shape} {dtype} seed={seed}")
                            try:
                                value = _digest_array(func(shape, dtype=dtype, rng=seed, **kw))
                            except (TypeError, ValueError) as exc:
                                value = f"error:{type(exc).__name__}"
                            out[key] = value
    return out


def _round(obj: Any) -> Any:
    if isinstance(obj, float):
        if not math.isfinite(obj) or obj == 0.0:
            return obj
        return float(f"{obj:.12g}")
    if isinstance(obj, list):
        return [_round(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _round(v) for k, v in obj.items()}
    return obj


def report_digest(text: str) -> str:
    data = _round(json.loads(text))
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def experiment_digests() -> dict[str, str]:
    return {key: report_digest(exp.run(0).to_json()) for key, exp in EXPERIMENTS.items()}


def compute() -> dict[str, dict[str, str]]:
    return {"initializers": initializer_digests(), "experiments": experiment_digests()}


def recorded() -> dict[str, dict[str, dict[str, str]]]:
    """The recorded digests by fingerprint."""
    return json.loads(DATA.read_text()) if DATA.exists() else {}


if __name__ == "__main__":  # pragma: no cover - records this machine's digests
    data = recorded()
    data[fingerprint()] = compute()
    DATA.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"wrote the digests of {fingerprint()!r} to {DATA}", file=sys.stderr)
