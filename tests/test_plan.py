"""seed_for, Rules and Plan: the framework-free pieces the bridges share."""

from __future__ import annotations

import json

import numpy as np
import pytest

import initlab
from initlab.plan import base_seed


def test_seed_for_is_a_fixed_function_of_seed_and_path() -> None:
    # hand-computed: sha256(b"initlab.seed_for/v1\0" + b"0" + b"\0" + b"fc.weight")[:16]
    import hashlib

    expected = int.from_bytes(hashlib.sha256(b"initlab.seed_for/v1\x000\x00fc.weight").digest()
                              [:16], "big")
    assert initlab.seed_for(0, "fc.weight") == expected
    assert initlab.seed_for(np.int64(0), "fc.weight") == expected
    assert 0 <= expected < 2**128


def test_seed_for_distinguishes_seed_and_path() -> None:
    seeds = {initlab.seed_for(s, p) for s in range(3) for p in ("a", "b", "a.b", "ab", "")}
    assert len(seeds) == 15
    # no ambiguity between the seed's digits and the path
    assert initlab.seed_for(1, "2x") != initlab.seed_for(12, "x")


def test_seed_for_values_are_independent_streams() -> None:
    a = initlab.normal((256, 256), rng=initlab.seed_for(0, "layer1.weight"))
    b = initlab.normal((256, 256), rng=initlab.seed_for(0, "layer2.weight"))
    r = float(np.corrcoef(a.ravel(), b.ravel())[0, 1])
    # |r| of independent normals, n = 65536: sd 1/256; 5.3 sd has two-sided p < 1e-7
    assert abs(r) < 5.3 / 256


@pytest.mark.parametrize(("seed", "path", "exc", "arg"), [
    (1.5, "w", TypeError, "seed"), (-1, "w", ValueError, "seed"), (True, "w", TypeError, "seed"),
    (0, 3, TypeError, "path"), (0, None, TypeError, "path"),
])
def test_seed_for_bad_input(seed: object, path: object, exc: type, arg: str) -> None:
    with pytest.raises(exc, match=rf"seed_for: {arg}="):
        initlab.seed_for(seed, path)  # type: ignore[arg-type]


def test_base_seed() -> None:
    assert base_seed("f", 5) == 5
    g1, g2 = np.random.default_rng(3), np.random.default_rng(3)
    assert base_seed("f", g1) == base_seed("f", g2)
    assert base_seed("f", g1) != base_seed("f", np.random.default_rng(3))  # consumed once
    assert isinstance(base_seed("f", None), int)
    with pytest.raises(ValueError, match="f: rng=-1"):
        base_seed("f", -1)
    with pytest.raises(TypeError, match="f: rng='x'"):
        base_seed("f", "x")


class Base:
    pass


class Child(Base):
    pass


def test_rules_first_match_wins_and_records_use() -> None:
    rules = initlab.Rules("init_", {"*.bias": "zeros", "blocks.*.weight": initlab.Normal(std=2.0),
                                    Child: None, "never.*": "ones"}, classes=Base)
    assert rules.match("blocks.3.bias").init == initlab.Zeros()
    assert rules.match("blocks.3.weight").init == initlab.Normal(std=2.0)
    hit = rules.match("head.weight", owner=Child())
    assert hit is not None and hit.key is Child and hit.init is None
    assert rules.match("head.weight", owner=Base()) is None
    assert [r.key for r in rules.unused()] == ["never.*"]
    with pytest.raises(ValueError, match=r"init_: rules=.*'never\.\*'.*matched no parameter"):
        rules.check_used()


def test_rules_accept_pairs_and_none() -> None:
    assert len(initlab.Rules("f", None)) == 0
    rules = initlab.Rules("f", [("a", "zeros"), ("b", "ones")])
    assert [r.key for r in rules] == ["a", "b"]
    rules.match("a")
    rules.match("b")
    rules.check_used()


@pytest.mark.parametrize(("rules", "exc", "text"), [
    ("zeros", TypeError, "f: rules='zeros'"),
    (42, TypeError, "f: rules=42"),
    ({3: "zeros"}, TypeError, "f: rules key=3"),
    ({"": "zeros"}, ValueError, "f: rules key=''"),
    ({Child: "zeros"}, TypeError, "f: rules key="),  # classes not allowed without classes=
    ({"*.w": "no_such_init"}, ValueError, r"f: rules\['\*\.w'\]: get: identifier="),
    ({"*.w": 3.5}, TypeError, r"f: rules\['\*\.w'\]"),
])
def test_rules_bad_input(rules: object, exc: type, text: str) -> None:
    with pytest.raises(exc, match=text):
        initlab.Rules("f", rules)


def test_rules_class_key_must_derive_from_base() -> None:
    with pytest.raises(TypeError, match="f: rules key=<class 'int'>"):
        initlab.Rules("f", {int: "zeros"}, classes=Base)


def _plan() -> initlab.Plan:
    return initlab.Plan([
        initlab.PlanEntry("fc.weight", (10, 64), "float32", "Linear", "HeNormal()", "default",
                          64, 10, 2 ** 0.5 / 8),
        initlab.PlanEntry("emb.weight", (5, 3), "float32", "Embedding", "untouched",
                          "untouched"),
    ], title="demo")


def test_plan_indexing_table_and_records() -> None:
    plan = _plan()
    assert len(plan) == 2 and plan[0].path == "fc.weight" and plan["emb.weight"].kind == "Embedding"
    assert "fc.weight" in plan and "nope" not in plan
    assert plan.paths == ["fc.weight", "emb.weight"] and plan.untouched == ["emb.weight"]
    lines = plan.table().splitlines()
    assert lines[0] == "demo" and lines[1].split() == ["path", "shape", "dtype", "kind", "init",
                                                       "source", "fan_in", "fan_out", "std"]
    assert lines[2].split()[-1] == "0.1768"
    assert repr(plan) == "<Plan: 2 parameters, 1 initialized, 1 untouched>"
    html = plan._repr_html_()
    assert html.startswith("<table") and "demo</caption>" in html and "<td" in html
    assert "fc.weight" in html and "0.1768" in html
    data = json.loads(plan.to_json())
    assert data["entries"][0]["shape"] == [10, 64] and data["title"] == "demo"
    with pytest.raises(KeyError, match="Plan: path='nope'"):
        plan["nope"]
    with pytest.raises(ValueError, match=r"Plan\.table: columns='bogus'"):
        plan.table(["bogus"])


def test_initializer_classes_say_whether_they_are_elementwise() -> None:
    assert initlab.HeNormal.elementwise and initlab.Zeros.elementwise
    assert not initlab.Orthogonal.elementwise and not initlab.Sparse.elementwise
    shape, region = (6, 4), (slice(2, 5), slice(1, 3))
    for name in initlab.INITIALIZERS:
        cls = type(initlab.get({"class_name": name, "config": {"value": 1.0}}
                               if name == "constant" else
                               {"class_name": name, "config": {"sparsity": 0.5}}
                               if name == "sparse" else name))
        if cls.elementwise and name != "dirac":
            init = cls(**({"value": 1.0} if name == "constant" else {}))
            assert np.array_equal(init(shape, rng=1, region=region), init(shape, rng=1)[region])
