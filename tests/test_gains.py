"""Tests of initlab.gains: PyTorch's calculate_gain table, exact gains, quadrature, hooks.

Reference values are literals: PyTorch's table computed by hand, and the tables of
shared/reference/theory.md section 3.3 (6 decimals, independent split Gauss-Legendre code).
Closed forms and scipy's adaptive quadrature check the quadrature itself to ~1e-12.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special

import initlab
from initlab.gains import TORCH_GAIN_NAMES, calculate_gain, exact_gain_for, resolve_gain
from initlab.testing import assert_variance
from initlab.theory import expect

PROPS = settings(max_examples=40, derandomize=True, deadline=None, database=None)

SQRT2 = 1.4142135623730951
SELU_L = initlab.activations.SELU_SCALE
SELU_A = initlab.activations.SELU_ALPHA

# --------------------------------------------------------------------------------------------
# calculate_gain: PyTorch parity

TORCH_TABLE: list[tuple[str, Any, float]] = [
    ("linear", None, 1.0),
    ("conv1d", None, 1.0),
    ("conv2d", None, 1.0),
    ("conv3d", None, 1.0),
    ("conv_transpose1d", None, 1.0),
    ("conv_transpose2d", None, 1.0),
    ("conv_transpose3d", None, 1.0),
    ("sigmoid", None, 1.0),
    ("tanh", None, 1.6666666666666667),
    ("relu", None, 1.4142135623730951),
    ("selu", None, 0.75),
    ("leaky_relu", None, 1.4141428569978354),  # default slope 0.01
    ("leaky_relu", 0.01, 1.4141428569978354),
    ("leaky_relu", 0.2, 1.3867504905630728),
    ("leaky_relu", 0, 1.4142135623730951),
    ("leaky_relu", 0.0, 1.4142135623730951),
    ("leaky_relu", -0.5, 1.2649110640673518),
    ("leaky_relu", 1, 1.0),
    ("leaky_relu", 2, 0.6324555320336759),
    ("leaky_relu", 3.0, 0.4472135954999579),
    ("leaky_relu", np.float32(0.5), 1.2649110640673518),  # PyTorch rejects numpy scalars
    # PyTorch ignores param for every other name, whatever it is
    ("tanh", 0.3, 1.6666666666666667),
    ("relu", "ignored", 1.4142135623730951),
    ("selu", True, 0.75),
]


@pytest.mark.parametrize(("name", "param", "expected"), TORCH_TABLE,
                         ids=[f"{n}-{p!r}" for n, p, _ in TORCH_TABLE])
def test_calculate_gain_matches_pytorch_table(name: str, param: Any, expected: float) -> None:
    assert calculate_gain(name, param) == expected
    assert type(calculate_gain(name, param)) is float


def test_torch_gain_names_in_pytorch_order() -> None:
    assert TORCH_GAIN_NAMES == (
        "linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
        "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu",
    )


BAD_CALCULATE_GAIN: list[tuple[str, tuple[Any, ...], type[Exception], str]] = [
    ("bool-param", ("leaky_relu", True), ValueError, "param=True"),
    ("str-param", ("leaky_relu", "0.2"), ValueError, "param='0.2'"),
    ("nan-param", ("leaky_relu", math.nan), ValueError, "param=nan"),
    ("inf-param", ("leaky_relu", math.inf), ValueError, "param=inf"),
    ("unknown-name", ("gelu",), ValueError, "nonlinearity='gelu'"),
    ("capitalized", ("ReLU",), ValueError, "nonlinearity='ReLU'"),
    ("none-name", (None,), TypeError, "nonlinearity=None"),
    ("int-name", (1,), TypeError, "nonlinearity=1"),
]


@pytest.mark.parametrize(("args", "exc", "fragment"), [b[1:] for b in BAD_CALCULATE_GAIN],
                         ids=[b[0] for b in BAD_CALCULATE_GAIN])
def test_calculate_gain_rejects(args: tuple[Any, ...], exc: type[Exception],
                                fragment: str) -> None:
    with pytest.raises(exc, match=r"^calculate_gain: ") as info:
        calculate_gain(*args)
    assert fragment in str(info.value)
    if "nonlinearity" in fragment:  # the message lists the accepted names
        assert all(repr(n) in str(info.value) for n in TORCH_GAIN_NAMES)


# --------------------------------------------------------------------------------------------
# exact gains against theory.md section 3.3 (q = 1; g_fwd, g_bwd, g_var) to 1e-6


def _sigmoid_centered() -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    return (lambda x: special.expit(x) - 0.5,
            lambda x: special.expit(x) * (1 - special.expit(x)))


_C = math.sqrt(2 / math.pi)


def _gelu_tanh() -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    def f(x: Any) -> Any:
        return 0.5 * x * (1 + np.tanh(_C * (x + 0.044715 * x**3)))

    def df(x: Any) -> Any:
        t = np.tanh(_C * (x + 0.044715 * x**3))
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _C * (1 + 3 * 0.044715 * x * x)

    return f, df


ACTS: dict[str, Any] = {
    "linear": "linear", "tanh": "tanh", "sigmoid": "sigmoid", "sigmoid-1/2": _sigmoid_centered(),
    "relu": "relu", "leaky_relu(0.01)": "leaky_relu(0.01)", "leaky_relu(0.2)": "leaky_relu(0.2)",
    "elu(1.0)": "elu(1.0)", "selu": "selu", "gelu(erf)": "gelu",
    "gelu(tanh_approx)": _gelu_tanh(), "silu/swish": "swish", "mish": "mish",
    "softplus": "softplus",
}

# name: E[phi], E[phi^2], Var phi, E[phi'^2], g_fwd, g_bwd, g_var, chi_1 at g_fwd
TABLE_Q1 = """
linear 0.000000 1.000000 1.000000 1.000000 1.000000 1.000000 1.000000 1.000000
tanh 0.000000 0.394294 0.394294 0.464403 1.592537 1.467414 1.592537 1.177807
sigmoid 0.500000 0.293379 0.043379 0.044836 1.846229 4.722646 4.801313 0.152827
sigmoid-1/2 0.000000 0.043379 0.043379 0.044836 4.801313 4.722646 4.801313 1.033592
relu 0.398942 0.500000 0.340845 0.500000 1.414214 1.414214 1.712859 1.000000
leaky_relu(0.01) 0.394953 0.500050 0.344062 0.500050 1.414143 1.414143 1.704832 1.000000
leaky_relu(0.2) 0.319154 0.520000 0.418141 0.520000 1.386750 1.386750 1.546460 1.000000
elu(1.0) 0.160521 0.644945 0.619179 0.668102 1.245198 1.223429 1.270843 1.035905
selu 0.000000 1.000000 1.000000 1.071575 1.000000 0.966026 1.000000 1.071575
gelu(erf) 0.282095 0.425221 0.345644 0.455851 1.533530 1.481114 1.700926 1.072032
gelu(tanh_approx) 0.282039 0.425194 0.345648 0.455818 1.533581 1.481168 1.700917 1.072024
silu/swish 0.206621 0.355776 0.313083 0.379482 1.676532 1.623320 1.787187 1.066634
mish 0.240404 0.452342 0.394548 0.479084 1.486848 1.444755 1.592025 1.059118
softplus 0.806059 0.921246 0.271515 0.293379 1.041867 1.846229 1.919126 0.318459
"""
ROWS_Q1 = {line.split()[0]: [float(v) for v in line.split()[1:]]
           for line in TABLE_Q1.strip().splitlines()}

TABLE_Q = """
linear 1.000000 1.000000 1.000000
tanh 1.200328 1.592537 2.509307
sigmoid 0.973206 1.846229 3.387527
sigmoid-1/2 4.232492 4.801313 6.370150
relu 1.414214 1.414214 1.414214
leaky_relu(0.01) 1.414143 1.414143 1.414143
leaky_relu(0.2) 1.386750 1.386750 1.386750
elu(1.0) 1.155192 1.245198 1.330908
selu 0.869485 1.000000 1.153540
gelu(erf) 1.730252 1.533530 1.439682
gelu(tanh_approx) 1.730411 1.533581 1.439616
silu/swish 1.860175 1.676532 1.508461
mish 1.574196 1.486848 1.432758
softplus 0.652226 1.041867 1.310305
"""
ROWS_Q = {line.split()[0]: [float(v) for v in line.split()[1:]]
          for line in TABLE_Q.strip().splitlines()}

#: the table is rounded to 6 decimals: half a unit in the last place, plus our own error
TABLE_TOL = 5e-7 + 1e-12


@pytest.mark.parametrize("row", list(ROWS_Q1))
def test_gain_matches_reference_table_at_q1(row: str) -> None:
    act = ACTS[row]
    mean, m2, var, dm2, g_fwd, g_bwd, g_var, chi = ROWS_Q1[row]
    assert abs(initlab.gain(act) - g_fwd) <= TABLE_TOL
    assert abs(initlab.gain(act, direction="backward") - g_bwd) <= TABLE_TOL
    assert abs(initlab.gain(act, moment="variance") - g_var) <= TABLE_TOL
    f, df = (act[0], act[1]) if isinstance(act, tuple) else (
        initlab.activation(act).f, initlab.activation(act).df)
    kinks = initlab.activation(act).kinks if isinstance(act, str) else (0.0,)
    assert abs(expect(f, kinks=kinks) - mean) <= TABLE_TOL
    assert abs(expect(lambda x: f(x) ** 2, kinks=kinks) - m2) <= TABLE_TOL
    assert abs(expect(lambda x: df(x) ** 2, kinks=kinks) - dm2) <= TABLE_TOL
    assert abs(m2 - mean**2 - var) <= 2 * TABLE_TOL  # the table is self-consistent
    # chi_1 at g_fwd: sigma_w = g_fwd, q* = 1
    assert abs(initlab.gain(act) ** 2 * expect(lambda x: df(x) ** 2, kinks=kinks) - chi) \
        <= TABLE_TOL


@pytest.mark.parametrize("row", list(ROWS_Q))
@pytest.mark.parametrize(("column", "q"), [(0, 0.25), (1, 1.0), (2, 4.0)])
def test_gain_depends_on_q_as_in_reference_table(row: str, column: int, q: float) -> None:
    assert abs(initlab.gain(ACTS[row], q=q) - ROWS_Q[row][column]) <= TABLE_TOL


# --------------------------------------------------------------------------------------------
# closed forms, to 1e-12 (the required accuracy is 1e-10)

PHI = special.ndtr


def _elu_m2(alpha: float) -> float:
    """E[elu(z)^2], z ~ N(0, 1): 1/2 + alpha^2 (e^2 Phi(-2) - 2 e^(1/2) Phi(-1) + 1/2)."""
    return 0.5 + alpha**2 * (math.e**2 * PHI(-2) - 2 * math.exp(0.5) * PHI(-1) + 0.5)


def _elu_dm2(alpha: float) -> float:
    """E[elu'(z)^2] = 1/2 + alpha^2 e^2 Phi(-2)."""
    return 0.5 + alpha**2 * math.e**2 * PHI(-2)


CLOSED_FORMS: list[tuple[str, dict[str, Any], float]] = [
    ("linear", {}, 1.0),
    ("linear", {"q": 7.5}, 1.0),
    ("linear", {"direction": "backward", "q": 0.01}, 1.0),
    ("relu", {}, SQRT2),
    ("relu", {"q": 1e-4}, SQRT2),
    ("relu", {"q": 1e4}, SQRT2),
    ("relu", {"direction": "backward", "q": 3.0}, SQRT2),
    ("relu", {"moment": "variance"}, 1 / math.sqrt(0.5 - 1 / (2 * math.pi))),
    ("leaky_relu(0.3)", {"q": 2.0}, math.sqrt(2 / 1.09)),
    ("leaky_relu(0.3)", {"direction": "backward"}, math.sqrt(2 / 1.09)),
    ("leaky_relu(-1)", {}, 1.0),  # |x|
    ("selu", {}, 1.0),
    ("selu", {"direction": "backward"}, 1 / (SELU_L * math.sqrt(_elu_dm2(SELU_A)))),
    ("elu", {}, 1 / math.sqrt(_elu_m2(1.0))),
    ("elu(alpha=0.5)", {}, 1 / math.sqrt(_elu_m2(0.5))),
    ("elu(alpha=0.5)", {"direction": "backward"}, 1 / math.sqrt(_elu_dm2(0.5))),
    # E[(z Phi(z))^2] = 1/3 + 1/(2 pi sqrt 3)
    ("gelu", {}, 1 / math.sqrt(1 / 3 + 1 / (2 * math.pi * math.sqrt(3)))),
    ("gelu", {"moment": "variance"},
     1 / math.sqrt(1 / 3 + 1 / (2 * math.pi * math.sqrt(3)) - 1 / (4 * math.pi))),
]


@pytest.mark.parametrize(("name", "kwargs", "expected"), CLOSED_FORMS,
                         ids=[f"{n}-{k}" for n, k, _ in CLOSED_FORMS])
def test_gain_closed_forms(name: str, kwargs: dict[str, Any], expected: float) -> None:
    assert initlab.gain(name, **kwargs) == pytest.approx(expected, rel=1e-12, abs=0)


def test_softplus_backward_gain_is_sigmoid_forward_gain() -> None:
    # softplus' = sigmoid, so E[softplus'^2] = E[sigmoid^2]
    for q in (0.3, 1.0, 9.0):
        assert initlab.gain("softplus", q=q, direction="backward") == pytest.approx(
            initlab.gain("sigmoid", q=q) / math.sqrt(q), rel=1e-13)


def _quad(fn: Callable[[float], float], q: float, kinks: tuple[float, ...]) -> float:
    s = math.sqrt(q)
    cuts = sorted({-40 * s, 40 * s, *(k for k in kinks if abs(k) < 40 * s)})
    total = 0.0
    for lo, hi in itertools.pairwise(cuts):
        value, _ = integrate.quad(lambda x: fn(x) * math.exp(-x * x / (2 * q)), lo, hi,
                                  epsabs=0.0, epsrel=1e-12, limit=200)
        total += value
    return total / math.sqrt(2 * math.pi * q)


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "elu", "selu", "gelu", "silu", "mish",
                                  "softplus", "leaky_relu(0.2)"])
@pytest.mark.parametrize("q", [0.05, 1.0, 30.0])
def test_gain_against_adaptive_quadrature(name: str, q: float) -> None:
    act = initlab.activation(name)

    def phi2(x: float) -> float:
        return float(act.f(np.array([x]))[0]) ** 2

    def dphi2(x: float) -> float:
        return float(act.df(np.array([x]))[0]) ** 2

    assert initlab.gain(name, q=q) == pytest.approx(math.sqrt(q / _quad(phi2, q, act.kinks)),
                                                   rel=1e-10)
    assert initlab.gain(name, q=q, direction="backward") == pytest.approx(
        1 / math.sqrt(_quad(dphi2, q, act.kinks)), rel=1e-10)


def test_expect_is_exact_for_polynomials_and_handles_mean_and_kinks() -> None:
    assert expect(lambda x: x**4, 2.0) == pytest.approx(12.0, rel=1e-13)  # 3 q^2
    assert expect(lambda x: x**2, 0.5, mean=3.0) == pytest.approx(9.5, rel=1e-13)
    assert expect(lambda x: np.ones_like(x), 1e-6) == pytest.approx(1.0, rel=1e-13)
    # E[relu(z)] = sqrt(q / 2 pi); E[relu(z - 1)] for z ~ N(1, 1) too
    relu = initlab.activation("relu")
    assert expect(relu.f, 4.0, kinks=relu.kinks) == pytest.approx(2 / math.sqrt(2 * math.pi),
                                                                  rel=1e-13)
    assert expect(lambda x: relu.f(x - 1), 1.0, mean=1.0, kinks=[1.0]) == pytest.approx(
        1 / math.sqrt(2 * math.pi), rel=1e-13)
    # E[Phi(a z)] for z ~ N(m, q): Phi(a m / sqrt(1 + a^2 q))
    assert expect(PHI, 2.0, mean=0.7) == pytest.approx(PHI(0.7 / math.sqrt(3.0)), rel=1e-13)


def test_expect_at_q0_is_the_limit() -> None:
    relu = initlab.activation("relu")
    assert expect(relu.f, 0.0, mean=2.0) == 2.0
    # relu'(z)^2 at the kink: the mean of both sides, lim E relu'(sqrt(q) z)^2 = 1/2
    assert expect(lambda x: relu.df(x) ** 2, 0.0, kinks=relu.kinks) == 0.5
    assert expect(lambda x: relu.df(x) ** 2, 0.0) == 0.0  # no kink declared: relu'(0) = 0


# --------------------------------------------------------------------------------------------
# callables and Activation objects


def test_gain_accepts_callables_pairs_activations_and_layer_names() -> None:
    assert initlab.gain(np.tanh) == pytest.approx(1.592537, abs=TABLE_TOL)
    pair = (np.tanh, lambda x: 1 - np.tanh(x) ** 2)
    assert initlab.gain(pair, direction="backward") == pytest.approx(1.467414, abs=TABLE_TOL)
    act = initlab.Activation("custom", f=lambda x: np.maximum(x, 0), df=lambda x: 1.0 * (x > 0),
                             kinks=(0.0,))
    assert initlab.gain(act, q=5.0, direction="backward") == pytest.approx(SQRT2, rel=1e-13)
    assert initlab.gain("conv2d") == pytest.approx(1.0, rel=1e-13)
    assert initlab.gain("identity") == initlab.gain("linear")
    assert initlab.gain(initlab.activation("elu", alpha=0.5)) == initlab.gain("elu(0.5)")


BAD_GAIN: list[tuple[str, tuple[Any, ...], dict[str, Any], type[Exception], str]] = [
    ("direction", ("tanh",), {"direction": "up"}, ValueError,
     "gain: direction='up' is not accepted; use one of 'forward', 'backward'."),
    ("direction-type", ("tanh",), {"direction": 1}, TypeError, "direction=1"),
    ("moment", ("tanh",), {"moment": "var"}, ValueError, "moment='var'"),
    ("moment-backward", ("tanh",), {"moment": "variance", "direction": "backward"},
     ValueError, "direction='forward' only"),
    ("q-zero", ("tanh",), {"q": 0.0}, ValueError, "q=0.0"),
    ("q-negative", ("tanh",), {"q": -1.0}, ValueError, "q=-1.0"),
    ("q-nan", ("tanh",), {"q": math.nan}, ValueError, "q=nan"),
    ("q-inf", ("tanh",), {"q": math.inf}, ValueError, "q=inf"),
    ("q-str", ("tanh",), {"q": "1"}, TypeError, "q='1'"),
    ("q-bool", ("tanh",), {"q": True}, TypeError, "q=True"),
    ("unknown", ("tanhh",), {}, ValueError, "activation='tanhh'"),
    ("bad-param", ("elu(beta=1)",), {}, ValueError, "'elu' takes alpha"),
    ("int", (3,), {}, TypeError, "activation=3"),
    ("backward-no-derivative", (np.tanh,), {"direction": "backward"}, ValueError,
     "pass an (f, df) pair"),
    ("zero-function", (lambda x: 0 * x,), {}, ValueError, "has no finite gain"),
    ("not-vectorized", (lambda x: 1.0,), {}, ValueError, "vectorized"),
    ("not-finite", (lambda x: np.where(x > 2, np.nan, x),), {}, ValueError, "inf or nan"),
]


@pytest.mark.parametrize(("args", "kwargs", "exc", "fragment"), [b[1:] for b in BAD_GAIN],
                         ids=[b[0] for b in BAD_GAIN])
def test_gain_rejects(args: tuple[Any, ...], kwargs: dict[str, Any], exc: type[Exception],
                      fragment: str) -> None:
    with pytest.raises(exc, match=r"^gain: ") as info:
        initlab.gain(*args, **kwargs)
    assert fragment in str(info.value)


def test_expect_rejects() -> None:
    with pytest.raises(ValueError, match=r"^expect: q=-1\.0"):
        expect(np.tanh, -1.0)
    with pytest.raises(TypeError, match=r"^expect: fn=1"):
        expect(1, 1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^expect: mean='0'"):
        expect(np.tanh, 1.0, mean="0")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# the hooks used by the initializers


RESOLVE: list[tuple[Any, Any, str, float]] = [
    # PyTorch's names: PyTorch's values, name unchanged
    ("tanh", 0.0, "tanh", 5 / 3),
    ("selu", 0.0, "selu", 0.75),
    ("sigmoid", 0.0, "sigmoid", 1.0),
    ("conv2d", 0.0, "conv2d", 1.0),
    ("leaky_relu", 0.0, "leaky_relu", SQRT2),  # kaiming's default a = 0
    ("leaky_relu", None, "leaky_relu", 1.4141428569978354),
    ("leaky_relu", 0.2, "leaky_relu", 1.3867504905630728),
    ("relu", 0.3, "relu", SQRT2),  # a ignored
    # other spellings of PyTorch's activations keep PyTorch's values
    ("Tanh", 0.0, "tanh", 5 / 3),
    ("identity", 0.0, "linear", 1.0),
    ("leaky_relu(0.2)", 0.0, "leaky_relu(slope=0.2)", 1.3867504905630728),
    ("leaky_relu(slope=0.2)", 0.2, "leaky_relu(slope=0.2)", 1.3867504905630728),
    # everything else: the exact forward gain at q = 1
    ("gelu", 0.0, "gelu", 1.533530),
    ("swish", 0.0, "silu", 1.676532),
    ("silu", 0.5, "silu", 1.676532),
    ("mish", 0.0, "mish", 1.486848),
    ("elu", 0.0, "elu(alpha=1.0)", 1.245198),
    ("softplus", 0.0, "softplus", 1.041867),
    (initlab.activation("gelu"), 0.0, "gelu", 1.533530),
]


@pytest.mark.parametrize(("nonlinearity", "param", "name", "value"), RESOLVE,
                         ids=[f"{r[0]!r}-{r[1]}" for r in RESOLVE])
def test_resolve_gain(nonlinearity: Any, param: Any, name: str, value: float) -> None:
    got_name, got = resolve_gain("kaiming_normal", nonlinearity, param)
    assert got_name == name
    assert got == pytest.approx(value, abs=TABLE_TOL, rel=1e-15)
    assert resolve_gain("kaiming_normal", got_name, param)[1] == got  # the name round-trips


EXACT: list[tuple[Any, Any, float]] = [
    ("tanh", None, 1.592537), ("Tanh", 0.0, 1.592537), ("sigmoid", None, 1.846229),
    ("selu", None, 1.0), ("linear", None, 1.0), ("conv_transpose3d", 0.0, 1.0),
    ("relu", None, SQRT2), ("leaky_relu", None, 1.414143), ("leaky_relu", 0.0, SQRT2),
    ("leaky_relu", 0.2, 1.386750), ("gelu", 0.0, 1.533530), ("elu(0.5)", 0.0,
                                                              1 / math.sqrt(_elu_m2(0.5))),
]


@pytest.mark.parametrize(("nonlinearity", "param", "value"), EXACT,
                         ids=[f"{e[0]}-{e[1]}" for e in EXACT])
def test_exact_gain_for(nonlinearity: Any, param: Any, value: float) -> None:
    assert exact_gain_for("xavier_normal", nonlinearity, param) == pytest.approx(
        value, abs=TABLE_TOL)


BAD_HOOK: list[tuple[str, tuple[Any, ...], type[Exception], str]] = [
    ("unknown", ("foo", 0.0), ValueError, "kaiming_normal: nonlinearity='foo'"),
    ("not-str", (3, 0.0), TypeError, "kaiming_normal: nonlinearity=3"),
    ("bad-param-name", ("elu(beta=1)", 0.0), ValueError, "'elu' takes alpha"),
    ("slope-conflict", ("leaky_relu(0.2)", 0.3), ValueError, "conflicts with nonlinearity"),
    ("custom", (initlab.Activation("custom", f=np.tanh, df=np.tanh), 0.0), ValueError,
     "custom activation"),
]


@pytest.mark.parametrize(("args", "exc", "fragment"), [b[1:] for b in BAD_HOOK],
                         ids=[b[0] for b in BAD_HOOK])
@pytest.mark.parametrize("hook", [resolve_gain, exact_gain_for])
def test_hooks_reject(hook: Callable[..., Any], args: tuple[Any, ...], exc: type[Exception],
                      fragment: str) -> None:
    with pytest.raises(exc) as info:
        hook("kaiming_normal", *args)
    assert fragment in str(info.value)
    if fragment.endswith("'foo'"):  # both vocabularies are listed
        assert "'conv2d'" in str(info.value) and "'gelu'" in str(info.value)


def test_kaiming_accepts_any_activation() -> None:
    init = initlab.KaimingNormal(nonlinearity="gelu")
    _, second = initlab.expected_moments(init, (256, 128))
    assert second * 256 == pytest.approx(initlab.gain("gelu") ** 2, rel=1e-14)
    assert initlab.get(initlab.serialize(init)) == init
    w = initlab.kaiming_normal((256, 128), nonlinearity="silu", dtype=np.float64, rng=0)
    assert_variance(w, initlab.gain("silu") ** 2 / 256)
    # PyTorch's own names keep PyTorch's values
    _, second = initlab.expected_moments(initlab.KaimingNormal(nonlinearity="tanh"), (256, 4))
    assert second * 256 == pytest.approx(25 / 9, rel=1e-14)


# --------------------------------------------------------------------------------------------
# one layer keeps the second moment: exact chi-square given the input

BUILTIN = ["linear", "tanh", "sigmoid", "relu", "leaky_relu(0.2)", "elu", "elu(alpha=0.5)",
           "selu", "gelu", "silu", "softplus", "mish"]


@PROPS
@given(name=st.sampled_from(BUILTIN), q=st.sampled_from([0.25, 1.0, 4.0]) | st.floats(0.05, 9),
       n_in=st.integers(1, 256), n_out=st.integers(1, 4096),
       seed=st.integers(0, 2**32 - 1))
def test_one_layer_keeps_second_moment(name: str, q: float, n_in: int, n_out: int,
                                       seed: int) -> None:
    """W ~ N(0, g^2/n_in) with g = gain(phi, q), h = phi(z), z ~ N(0, q) of the layer below.

    Given h, z' = h @ W has i.i.d. N(0, g^2 |h|^2 / n_in) entries, so n_out mean(z'^2) /
    (g^2 |h|^2 / n_in) ~ chi^2(n_out) exactly: assert_variance's exact interval (false failure
    1e-6). Averaged over h, E[z'^2] = g^2 E[phi(z)^2] = q, checked against scipy's quadrature.
    """
    act = initlab.activation(name)
    g = initlab.gain(name, q=q)
    rng = np.random.default_rng(seed)
    h = act.f(math.sqrt(q) * rng.standard_normal(n_in))
    w = initlab.variance_scaling((n_in, n_out), scale=g * g, mode="fan_in",
                                 distribution="normal", dtype=np.float64, rng=rng)
    z = h @ w
    assert_variance(z, g * g * float(h @ h) / n_in)
    m2 = _quad(lambda x: float(act.f(np.array([x]))[0]) ** 2, q, act.kinks)
    assert g * g * m2 == pytest.approx(q, rel=1e-10)


def test_one_layer_check_detects_a_five_percent_gain_error() -> None:
    """The same check at n_out = 1e5 catches a 5 % error in the gain (10 % in variance)."""
    act = initlab.activation("gelu")
    g = initlab.gain("gelu")
    rng = np.random.default_rng(12345)
    h = act.f(rng.standard_normal(64))
    w = initlab.variance_scaling((64, 100_000), scale=g * g, distribution="normal",
                                 dtype=np.float64, rng=rng)
    z = h @ w
    assert_variance(z, g * g * float(h @ h) / 64)
    with pytest.raises(AssertionError):
        assert_variance(z * 1.05, g * g * float(h @ h) / 64)
    with pytest.raises(AssertionError):  # PyTorch-style gain 1 instead of 1.5335
        assert_variance(z / g, g * g * float(h @ h) / 64)
