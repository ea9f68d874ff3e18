r"""Fan-in and fan-out of a weight tensor, for every layout.

The fan-in of a unit is the number of inputs that feed it, the fan-out of an input the number
of units it feeds. Variance-scaling initializers divide by one of them.
"""

from __future__ import annotations

import math
import operator
from typing import NamedTuple

from ._validate import (
    check_bool,
    check_choice,
    check_int,
    check_shape,
    fail,
    is_int,
    normalize_axes,
)

__all__ = ["LAYOUTS", "Fans", "compute_fans"]

#: Accepted layout names and the canonical layout each one means.
LAYOUTS: dict[str, str] = {
    "in_out": "in_out",
    "keras": "in_out",
    "jax": "in_out",
    "tf": "in_out",
    "out_in": "out_in",
    "torch": "out_in",
}

_DEFAULT_AXES = {"in_out": (-2, -1), "out_in": (1, 0)}


class Fans(NamedTuple):
    """Fans of a weight tensor: ``(fan_in, fan_out, receptive_field)``.

    Attributes
    ----------
    fan_in : int
        Inputs that feed one output unit (input channels times the receptive field).
    fan_out : int
        Output units that one input feeds (output channels times the receptive field,
        divided by ``groups``).
    receptive_field : int
        Product of the dimensions that are neither input, output nor batch axes (the kernel).

    References
    ----------
    .. [1] X. Glorot and Y. Bengio, "Understanding the difficulty of training deep feedforward
       neural networks", AISTATS 2010.

    Examples
    --------
    >>> import initlab
    >>> fans = initlab.compute_fans((3, 3, 16, 32))
    >>> fans.fan_in, fans.fan_out, fans.receptive_field
    (144, 288, 9)
    """

    fan_in: int
    fan_out: int
    receptive_field: int


def check_layout(func: str, layout: object) -> str:
    """Return the canonical layout ('in_out' or 'out_in') for a layout name or alias."""
    return check_choice(func, "layout", layout, ("in_out", "out_in"), LAYOUTS)


class FanSpec(NamedTuple):
    """Validated, shape-free fan arguments (private)."""

    layout: str
    in_axis: int | tuple[int, ...] | None
    out_axis: int | tuple[int, ...] | None
    batch_axis: int | tuple[int, ...]
    groups: int
    transposed: bool
    fans: str = "exact"


FAN_FORMULAS = ("exact", "torch")


def check_fan_args(
    func: str,
    layout: object = "in_out",
    in_axis: object = None,
    out_axis: object = None,
    batch_axis: object = (),
    groups: object = 1,
    transposed: object = False,
    fans: object = "exact",
) -> FanSpec:
    """Validate the shape-free part of the fan arguments."""
    canonical = check_layout(func, layout)
    formula = check_choice(func, "fans", fans, FAN_FORMULAS)
    axes = [
        None if value is None and name != "batch_axis" else _axes_arg(func, name, value)
        for name, value in (("in_axis", in_axis), ("out_axis", out_axis),
                            ("batch_axis", batch_axis))
    ]
    if formula == "torch":
        for name, value, given, default in zip(("in_axis", "out_axis", "batch_axis"), axes,
                                               (in_axis, out_axis, batch_axis),
                                               (None, None, ()), strict=True):
            if value != default:
                fail(func, name, given, "PyTorch's fan formula (fans='torch') has no explicit "
                     "axes; leave it out, or use fans='exact'",
                     why="is not used with fans='torch'")
    return FanSpec(
        canonical,
        axes[0],
        axes[1],
        axes[2],  # type: ignore[arg-type]
        check_int(func, "groups", groups, minimum=1),
        check_bool(func, "transposed", transposed),
        formula,
    )


def _axes_arg(func: str, name: str, value: object) -> int | tuple[int, ...]:
    """An int or a tuple of ints (lists become tuples); ranges are checked with the shape."""
    if is_int(value):
        return operator.index(value)  # type: ignore[arg-type]
    if isinstance(value, (tuple, list)) and all(is_int(v) for v in value):
        return tuple(operator.index(v) for v in value)
    fail(func, name, value, "use an int or a tuple of ints", TypeError)


def fans_for(func: str, shape: tuple[int, ...], spec: FanSpec) -> Fans:
    """Fans of ``shape`` (already validated) under validated fan arguments."""
    ndim = len(shape)
    if spec.in_axis is None and spec.out_axis is None and ndim < 2:
        fail(func, "shape", shape,
             "fans need at least 2 dimensions under a layout; for a vector or scalar pass "
             "in_axis/out_axis explicitly (e.g. in_axis=(), out_axis=0)",
             why=f"has {ndim} dimension{'s' if ndim != 1 else ''}")
    default_in, default_out = _DEFAULT_AXES[spec.layout]
    in_axes = normalize_axes(
        func, "in_axis", default_in if spec.in_axis is None else spec.in_axis, ndim)
    out_axes = normalize_axes(
        func, "out_axis", default_out if spec.out_axis is None else spec.out_axis, ndim)
    batch_axes = normalize_axes(func, "batch_axis", spec.batch_axis, ndim)
    named = in_axes + out_axes + batch_axes
    if len(set(named)) != len(named):
        fail(func, "in_axis/out_axis/batch_axis",
             (spec.in_axis, spec.out_axis, spec.batch_axis),
             f"each axis of the {ndim}-d shape may be named once "
             f"(resolved to in={in_axes}, out={out_axes}, batch={batch_axes})")
    size_in = math.prod(shape[a] for a in in_axes)
    size_out = math.prod(shape[a] for a in out_axes)
    receptive = math.prod(shape[a] for a in range(ndim) if a not in named)
    if size_out % spec.groups:
        fail(func, "groups", spec.groups,
             f"groups must divide the size of the out axis {out_axes} of shape {shape} "
             f"(size {size_out})")
    fan_in = size_in * receptive
    if spec.fans == "torch":  # PyTorch's _calculate_fan_in_and_fan_out: no groups, no swap
        return Fans(fan_in, size_out * receptive, receptive)
    fan_out = size_out * receptive // spec.groups
    if spec.transposed:
        fan_in, fan_out = fan_out, fan_in
    return Fans(fan_in, fan_out, receptive)


def compute_fans(
    shape: int | tuple[int, ...],
    *,
    layout: str = "in_out",
    in_axis: int | tuple[int, ...] | None = None,
    out_axis: int | tuple[int, ...] | None = None,
    batch_axis: int | tuple[int, ...] = (),
    groups: int = 1,
    transposed: bool = False,
    fans: str = "exact",
) -> Fans:
    r"""Fan-in, fan-out and receptive field of a weight tensor.

    Parameters
    ----------
    shape : tuple of int
        Shape of the weight tensor. Zero-size dimensions are allowed (fans may then be 0).
    layout : {'in_out', 'out_in'} or alias, default 'in_out'
        ``'in_out'`` (aliases ``'keras'``, ``'jax'``, ``'tf'``) is ``(*kernel, in, out)``, the
        NumPy ``x @ W`` convention of Keras, JAX, Flax and Haiku. ``'out_in'`` (alias
        ``'torch'``) is PyTorch's ``(out, in, *kernel)``.
    in_axis, out_axis : int or tuple of int, optional
        Explicit input and output axes, as in JAX; they override the layout's axes (a missing
        one keeps the layout's default: -2/-1 for ``in_out``, 1/0 for ``out_in``). A tuple
        multiplies the sizes of its axes; ``()`` means size 1.
    batch_axis : int or tuple of int, default ()
        Axes that index independent matrices (stacked heads, ensembles); they count neither in
        the fans nor in the receptive field.
    groups : int, default 1
        Grouped (``groups > 1``) or depthwise (``groups == in_channels``) convolution: each
        output channel sees only ``in/groups`` inputs, and each input feeds only
        ``out/groups`` outputs. Must divide the size of the out axis.
    transposed : bool, default False
        The weight belongs to a transposed convolution, whose stored in/out axes are swapped
        (PyTorch ``ConvTranspose`` weights are ``(in, out/groups, *kernel)``; Keras
        ``Conv*Transpose`` kernels are ``(*kernel, out, in)``).
    fans : {'exact', 'torch'}, default 'exact'
        ``'exact'``: the fans of the layer the weight belongs to (``groups`` and
        ``transposed`` taken into account). ``'torch'``: PyTorch's
        ``_calculate_fan_in_and_fan_out`` bit for bit, ``fan_in = size(1) * receptive``,
        ``fan_out = size(0) * receptive`` in PyTorch's layout, which ignores ``groups`` and
        ``transposed`` (both are still validated); for users who need PyTorch's old scale.
        Explicit ``in_axis``/``out_axis``/``batch_axis`` are refused with it.

    Returns
    -------
    Fans
        Named tuple ``(fan_in, fan_out, receptive_field)`` of ints.

    Raises
    ------
    ValueError
        For a 0-d or 1-d shape without explicit axes, negative dimensions, out-of-range or
        repeated axes, or ``groups`` that does not divide the out axis.
    TypeError
        For non-integer dimensions, axes or groups.

    See Also
    --------
    variance_scaling : the initializer that divides by these fans.

    Notes
    -----
    With :math:`I` and :math:`O` the sizes along the input and output axes (products for
    tuples), :math:`k` the product of the remaining non-batch axes (the receptive field) and
    :math:`g` the groups,

    .. math::

        \text{fan\_in} = I\,k, \qquad \text{fan\_out} = \frac{O\,k}{g}.

    For a grouped convolution the stored in-axis already holds :math:`I = C_{in}/g`, while the
    out-axis holds all :math:`C_{out}` channels: each input channel feeds only
    :math:`C_{out}/g` of them, which PyTorch overcounts (pytorch/pytorch#23854). With
    ``transposed=True`` the two fans are swapped, because the axis the layout calls "in"
    holds the convolution's outputs: for a PyTorch transposed weight
    :math:`(C_{in}, C_{out}/g, *k)`, :math:`\text{fan\_in} = C_{in}k/g` and
    :math:`\text{fan\_out} = C_{out}k/g`, where PyTorch reports
    :math:`(C_{out}k/g,\ C_{in}k)`. Strides are ignored, as in every framework.

    PyTorch and Keras agree with ``layout='out_in'`` and ``layout='in_out'`` for ``groups=1``
    and ``transposed=False``. ``fans='torch'`` reproduces PyTorch's numbers in the other
    cases too: a depthwise ``Conv2d(64, 64, 3, groups=64)`` weight ``(64, 1, 3, 3)`` has
    fan_out 9 exactly but 576 in PyTorch (pytorch/pytorch#23854), so PyTorch's
    ``kaiming_normal_(mode='fan_out')`` draws it 8 times too small in standard deviation.

    Unlike Keras (which reads a 1-d shape ``(n,)`` as fans
    ``(n, n)``) a 1-d shape raises, as in PyTorch and JAX.

    References
    ----------
    .. [1] X. Glorot and Y. Bengio, "Understanding the difficulty of training deep feedforward
       neural networks", AISTATS 2010.
    .. [2] JAX, ``jax.nn.initializers.variance_scaling`` (``in_axis``, ``out_axis``,
       ``batch_axis``), https://jax.readthedocs.io.

    Examples
    --------
    >>> import initlab
    >>> initlab.compute_fans((3, 3, 64, 128))                  # Keras conv kernel
    Fans(fan_in=576, fan_out=1152, receptive_field=9)
    >>> initlab.compute_fans((128, 64, 3, 3), layout="torch")  # the same in PyTorch's layout
    Fans(fan_in=576, fan_out=1152, receptive_field=9)
    >>> initlab.compute_fans((64, 1, 3, 3), layout="torch", groups=64)  # depthwise
    Fans(fan_in=9, fan_out=9, receptive_field=9)
    >>> initlab.compute_fans((64, 1, 3, 3), layout="torch", groups=64, fans="torch")
    Fans(fan_in=9, fan_out=576, receptive_field=9)
    >>> initlab.compute_fans((512, 8, 64), in_axis=0, out_axis=(1, 2))  # attention kernel
    Fans(fan_in=512, fan_out=512, receptive_field=1)
    """
    func = "compute_fans"
    dims = check_shape(func, shape)
    spec = check_fan_args(func, layout, in_axis, out_axis, batch_axis, groups, transposed, fans)
    return fans_for(func, dims, spec)
