"""Root pytest configuration: doctests that need an optional extra are skipped when it is
missing (the README's test command installs every extra, so CI runs them all)."""

from __future__ import annotations

import importlib.util

collect_ignore: list[str] = []
if importlib.util.find_spec("dask") is None:
    collect_ignore += ["src/initlab/dask.py", "docs/performance.md"]
if importlib.util.find_spec("matplotlib") is None:
    collect_ignore += ["src/initlab/plotting.py"]
