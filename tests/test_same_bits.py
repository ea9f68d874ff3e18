"""Same bits: the digests recorded before the restructuring of issue 9 still come out."""

from __future__ import annotations

import json

import pytest

import same_bits  # tests/same_bits.py (tests/ is on sys.path through rootdir conftest)

RECORDED = json.loads(same_bits.DATA.read_text())


def test_initializer_digests_unchanged() -> None:
    now = same_bits.initializer_digests()
    # every recorded call still exists (initializers added later only add keys)
    assert now.keys() >= RECORDED["initializers"].keys()
    changed = [k for k in RECORDED["initializers"] if now[k] != RECORDED["initializers"][k]]
    assert not changed, f"{len(changed)} initializer outputs changed, e.g. {changed[:5]}"


@pytest.mark.parametrize("key", sorted(RECORDED["experiments"]))
def test_experiment_report_digest_unchanged(key: str) -> None:
    report = same_bits.EXPERIMENTS[key].run(0)
    assert same_bits.report_digest(report.to_json()) == RECORDED["experiments"][key]
