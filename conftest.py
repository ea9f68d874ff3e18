"""Root pytest configuration: doctests and docs that need an optional extra are skipped when it
is missing (the README's test command installs every extra, so CI runs them all)."""

from __future__ import annotations

import importlib.util
import os

# Keras fixes its backend at first import; the doctests and docs use the numpy backend (the
# Keras tests run the jax and torch backends in subprocesses of their own).
os.environ.setdefault("KERAS_BACKEND", "numpy")


def _missing(module: str) -> bool:
    return importlib.util.find_spec(module) is None


collect_ignore: list[str] = []
if _missing("dask"):
    collect_ignore += ["src/initlab/dask.py", "docs/performance.md"]
if _missing("matplotlib"):
    collect_ignore += ["src/initlab/plotting.py"]
if _missing("torch"):
    collect_ignore += ["src/initlab/torch", "docs/torch.md"]
if _missing("jax"):
    collect_ignore += ["src/initlab/jax.py", "docs/jax.md"]
elif _missing("flax"):
    collect_ignore += ["docs/jax.md"]
if _missing("keras"):
    collect_ignore += ["src/initlab/keras.py", "docs/keras.md"]
