"""Fans against hand-computed tables (checked against PyTorch 2.13 and Keras 3) and properties."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import initlab
from initlab import Fans, compute_fans
from initlab.testing import strategies as ist

# (shape, kwargs, expected (fan_in, fan_out, receptive_field), what it is)
TABLE = [
    ((20, 10), {}, (20, 10, 1), "dense (in, out), x @ W"),
    ((20, 10), {"layout": "torch"}, (10, 20, 1), "torch Linear(10, 20).weight"),
    ((3, 3, 64, 128), {}, (576, 1152, 9), "Keras Conv2D kernel"),
    ((3, 3, 64, 128), {"layout": "keras"}, (576, 1152, 9), "alias keras"),
    ((3, 3, 64, 128), {"layout": "jax"}, (576, 1152, 9), "alias jax"),
    ((3, 3, 64, 128), {"layout": "tf"}, (576, 1152, 9), "alias tf"),
    ((128, 64, 3, 3), {"layout": "out_in"}, (576, 1152, 9), "torch Conv2d weight"),
    ((5, 3, 7), {"layout": "torch"}, (21, 35, 7), "torch Conv1d"),
    ((7, 5, 3), {}, (35, 21, 7), "Keras Conv1D"),
    ((16, 8, 2, 3, 4), {"layout": "torch"}, (192, 384, 24), "torch Conv3d"),
    # grouped and depthwise: PyTorch reports fan_out 288 and 576 (pytorch#23854)
    ((32, 1, 3, 3), {"layout": "torch", "groups": 32}, (9, 9, 9), "depthwise 32 channels"),
    ((64, 16, 3, 3), {"layout": "torch", "groups": 4}, (144, 144, 9), "grouped, 4 groups"),
    ((3, 3, 16, 64), {"groups": 4}, (144, 144, 9), "grouped, Keras layout"),
    # transposed: PyTorch reports (288, 144) and (72, 144): swapped and ungrouped
    ((16, 32, 3, 3), {"layout": "torch", "transposed": True}, (144, 288, 9),
     "torch ConvTranspose2d(16, 32)"),
    ((16, 8, 3, 3), {"layout": "torch", "transposed": True, "groups": 4}, (36, 72, 9),
     "torch ConvTranspose2d(16, 32, groups=4)"),
    ((3, 3, 32, 16), {"transposed": True}, (144, 288, 9), "Keras Conv2DTranspose(32) on 16"),
    # explicit axes (JAX semantics)
    ((512, 8, 64), {"in_axis": 0, "out_axis": (1, 2)}, (512, 512, 1), "attention q kernel"),
    ((8, 64, 512), {"in_axis": (0, 1), "out_axis": -1}, (512, 512, 1), "attention out kernel"),
    ((4, 100, 50), {"batch_axis": 0}, (100, 50, 1), "4 stacked dense kernels"),
    ((4, 100, 50), {"in_axis": 1, "out_axis": 2, "batch_axis": 0}, (100, 50, 1), "same, axes"),
    ((3, 100, 50), {"in_axis": 1}, (300, 150, 3), "in_axis only: out stays -1"),
    ((5,), {"in_axis": (), "out_axis": 0}, (1, 5, 1), "vector with explicit axes"),
    ((), {"in_axis": (), "out_axis": ()}, (1, 1, 1), "scalar with explicit axes"),
    # zero-size shapes are legal
    ((0, 10), {}, (0, 10, 1), "empty input axis"),
    ((3, 3, 0, 8), {"groups": 2}, (0, 36, 9), "empty conv"),
    ((0, 10), {"layout": "torch"}, (10, 0, 1), "torch (0, 10)"),
]


@pytest.mark.parametrize(("shape", "kwargs", "expected", "what"), TABLE,
                         ids=[row[3] for row in TABLE])
def test_fans_table(shape, kwargs, expected, what):
    fans = compute_fans(shape, **kwargs)
    assert fans == Fans(*expected)
    assert all(type(v) is int for v in fans)


def test_torch_layout_is_reversed_keras_layout():
    # PyTorch (out, in, kh, kw) is Keras (kh, kw, in, out) with the axes reversed.
    assert compute_fans((128, 64, 5, 3), layout="torch") == compute_fans((3, 5, 64, 128))


BAD = [
    ("0-d", (), {}, ValueError, "has 0 dimensions"),
    ("1-d", (5,), {}, ValueError, "in_axis/out_axis explicitly"),
    ("negative dim", (3, -1), {}, ValueError, "shape=(3, -1)"),
    ("float dim", (3, 2.0), {}, TypeError, "shape=(3, 2.0)"),
    ("bool dim", (3, True), {}, TypeError, "non-negative integers"),
    ("string shape", "3,4", {}, TypeError, "shape='3,4'"),
    ("layout", (3, 4), {"layout": "nchw"}, ValueError, "layout='nchw'"),
    ("layout type", (3, 4), {"layout": 1}, TypeError, "layout=1"),
    ("groups 0", (3, 4), {"groups": 0}, ValueError, "groups=0"),
    ("groups float", (3, 4), {"groups": 2.0}, TypeError, "groups=2.0"),
    ("groups not dividing", (3, 3, 8, 6), {"groups": 4}, ValueError, "must divide"),
    ("axis out of range", (3, 4), {"in_axis": 2, "out_axis": 0}, ValueError, "in_axis=2"),
    ("axis repeated", (3, 4), {"in_axis": 0, "out_axis": 0}, ValueError, "named once"),
    ("axis repeated in tuple", (3, 4, 5), {"in_axis": (0, 0)}, ValueError, "in_axis=(0, 0)"),
    ("axis type", (3, 4), {"in_axis": "0"}, TypeError, "in_axis='0'"),
    ("batch overlaps", (3, 4), {"batch_axis": -1}, ValueError, "named once"),
    ("transposed type", (3, 4), {"transposed": 1}, TypeError, "transposed=1"),
    ("axes on 0-d", (), {"in_axis": 0, "out_axis": ()}, ValueError, "in_axis=0"),
]


@pytest.mark.parametrize(("shape", "kwargs", "exc", "fragment"),
                         [row[1:] for row in BAD], ids=[row[0] for row in BAD])
def test_fans_bad_input(shape, kwargs, exc, fragment):
    with pytest.raises(exc) as info:
        compute_fans(shape, **kwargs)
    message = str(info.value)
    assert message.startswith("compute_fans: ")
    assert fragment in message
    assert "; " in message  # what is accepted follows


@settings(max_examples=200, derandomize=True, deadline=None)
@given(ist.shapes_and_fan_arguments(max_dims=5))
def test_fans_properties(case):
    shape, kwargs = case
    fans = compute_fans(shape, **kwargs)
    layout = initlab.LAYOUTS[kwargs.get("layout", "in_out")]
    ndim = len(shape)
    default_in, default_out = (-2, -1) if layout == "in_out" else (1, 0)

    def axes(value, default):
        value = default if value is None else value
        return tuple(a % ndim for a in ((value,) if isinstance(value, int) else value))

    in_axes = axes(kwargs.get("in_axis"), default_in)
    out_axes = axes(kwargs.get("out_axis"), default_out)
    batch = axes(kwargs.get("batch_axis", ()), ())
    size_in = math.prod(shape[a] for a in in_axes)
    size_out = math.prod(shape[a] for a in out_axes)
    rest = [a for a in range(ndim) if a not in in_axes + out_axes + batch]
    receptive = math.prod(shape[a] for a in rest)
    groups = kwargs.get("groups", 1)
    expected = (size_in * receptive, size_out * receptive // groups)
    if kwargs.get("transposed", False):
        expected = expected[::-1]
    assert fans == (*expected, receptive)
    # every element is counted once: fans and the batch multiply back to the size
    assert receptive * size_in * size_out * math.prod(shape[a] for a in batch) == math.prod(shape)


@settings(max_examples=100, derandomize=True, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=2, max_size=5), st.integers(1, 3))
def test_layouts_agree_on_mirrored_shapes(dims, groups):
    # (*k, in, out) in the in_out layout == (out, in, *k) in the out_in layout, groups too.
    dims[-1] *= groups
    kernel, n_in, n_out = dims[:-2], dims[-2], dims[-1]
    keras = compute_fans((*kernel, n_in, n_out), groups=groups)
    torch = compute_fans((n_out, n_in, *kernel), layout="torch", groups=groups)
    assert keras == torch
    swapped = compute_fans((n_out, n_in, *kernel), layout="torch", groups=groups,
                           transposed=True)
    assert swapped == (torch.fan_out, torch.fan_in, torch.receptive_field)


def test_compute_fans_accepts_numpy_integers_and_lists():
    import numpy as np

    assert compute_fans([np.int64(3), 4], in_axis=[0], out_axis=np.int32(1)) == (3, 4, 1)


# ---------------------------------------------------------------------------------------------
# fans="torch": PyTorch's _calculate_fan_in_and_fan_out, groups and transposed ignored


# (shape in PyTorch's layout, groups, transposed, exact fans, PyTorch's fans), by hand:
# PyTorch: fan_in = size(1) * k, fan_out = size(0) * k, k = prod(size(2:))
TORCH_FANS = [
    ((10, 64), 1, False, (64, 10), (64, 10)),  # Linear(64, 10)
    ((64, 1, 3, 3), 64, False, (9, 9), (9, 576)),  # depthwise Conv2d(64, 64, 3, groups=64)
    ((128, 16, 3, 3), 4, False, (144, 288), (144, 1152)),  # Conv2d(64, 128, 3, groups=4)
    ((64, 32, 3, 3), 2, True, (288, 288), (288, 576)),  # ConvTranspose2d(64, 64, 3, groups=2)
    ((32, 64, 5), 1, True, (160, 320), (320, 160)),  # ConvTranspose1d(32, 64, 5)
    ((8, 4, 2, 3, 3), 1, False, (72, 144), (72, 144)),  # Conv3d(4, 8, (2, 3, 3))
    ((0, 3), 1, False, (3, 0), (3, 0)),
]


@pytest.mark.parametrize(("shape", "groups", "transposed", "exact", "torch"), TORCH_FANS)
def test_torch_fan_formula_against_a_hand_computed_table(shape, groups, transposed, exact,
                                                         torch):
    kw = {"layout": "torch", "groups": groups, "transposed": transposed}
    assert initlab.compute_fans(shape, **kw)[:2] == exact
    assert initlab.compute_fans(shape, **kw, fans="torch")[:2] == torch
    # in Keras' layout (*kernel, in, out) the same tensor gives the same PyTorch fans
    keras = (*shape[2:], shape[1], shape[0])
    assert initlab.compute_fans(keras, groups=groups, transposed=transposed,
                                fans="torch")[:2] == torch


@pytest.mark.slow  # imports torch
@pytest.mark.parametrize(("shape", "groups", "transposed", "exact", "torch"), TORCH_FANS)
def test_torch_fan_formula_equals_pytorch(shape, groups, transposed, exact, torch):
    torch_mod = pytest.importorskip("torch")
    ours = initlab.compute_fans(shape, layout="torch", groups=groups, transposed=transposed,
                                fans="torch")
    assert ours[:2] == torch_mod.nn.init._calculate_fan_in_and_fan_out(torch_mod.empty(shape))


def test_torch_fans_give_pytorchs_scale_in_every_fan_based_initializer():
    shape = (64, 1, 40, 40)  # depthwise: fan_out 1600 exactly, 102400 in PyTorch
    kw = {"layout": "torch", "groups": 64, "rng": 3}
    w = initlab.kaiming_normal(shape, mode="fan_out", nonlinearity="relu", fans="torch", **kw)
    ref = initlab.variance_scaling(shape, scale=2.0, mode="fan_out", distribution="normal",
                                   layout="torch", rng=3)  # groups=1: PyTorch's fan_out
    assert np.array_equal(w, ref)
    init = initlab.HeNormal(mode="fan_out", layout="torch", groups=64, fans="torch")
    assert initlab.expected_moments(init, shape)[1] == pytest.approx(2 / 102400, rel=1e-15)
    for fn in (initlab.xavier_uniform, initlab.xavier_normal, initlab.kaiming_uniform,
               initlab.lecun_uniform, initlab.lecun_normal, initlab.variance_scaling):
        a = fn(shape, fans="torch", **kw)
        b = fn(shape, layout="torch", rng=3)  # groups ignored, as in PyTorch
        assert np.array_equal(a, b), fn.__name__
    assert eval(repr(init), vars(initlab)) == init


@pytest.mark.parametrize(("kwargs", "exc", "fragment"), [
    ({"fans": "pytorch"}, ValueError, "compute_fans: fans='pytorch'"),
    ({"fans": None}, TypeError, "fans=None"),
    ({"fans": "torch", "in_axis": 0}, ValueError, "in_axis=0 is not used with fans='torch'"),
    ({"fans": "torch", "batch_axis": 0}, ValueError, "batch_axis=0 is not used"),
    ({"fans": "torch", "groups": 0}, ValueError, "groups=0"),
])
def test_torch_fans_errors(kwargs, exc, fragment):
    with pytest.raises(exc, match=re.escape(fragment)):
        initlab.compute_fans((4, 3, 2), **kwargs)
