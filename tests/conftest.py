"""Test configuration: one deterministic hypothesis profile everywhere (CI and local)."""

from __future__ import annotations

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, database=None)
settings.load_profile("ci")
