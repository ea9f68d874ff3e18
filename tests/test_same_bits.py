"""Same bits: the digests recorded before the restructuring of issue 9 still come out.

See ``tests/same_bits.py`` for what is digested and why digests are kept per machine kind.
"""

from __future__ import annotations

import pytest

import same_bits  # tests/same_bits.py (tests/ is on sys.path: rootdir-relative imports)

RECORDED = same_bits.recorded().get(same_bits.fingerprint())
pytestmark = pytest.mark.skipif(
    RECORDED is None,
    reason=f"no same-bits digests recorded for {same_bits.fingerprint()!r}: run "
           "'python tests/same_bits.py' on the commit before a restructuring to record them")


def test_initializer_digests_unchanged() -> None:
    assert RECORDED is not None
    now = same_bits.initializer_digests()
    # every recorded call still exists (initializers added later only add keys)
    assert now.keys() >= RECORDED["initializers"].keys()
    changed = [k for k in RECORDED["initializers"] if now[k] != RECORDED["initializers"][k]]
    assert not changed, f"{len(changed)} initializer outputs changed, e.g. {changed[:5]}"


@pytest.mark.parametrize("key", list(same_bits.EXPERIMENTS))
def test_experiment_report_digest_unchanged(key: str) -> None:
    assert RECORDED is not None
    report = same_bits.EXPERIMENTS[key].run(0)
    assert same_bits.report_digest(report.to_json()) == RECORDED["experiments"][key]
