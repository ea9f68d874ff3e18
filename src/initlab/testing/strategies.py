"""Hypothesis strategies for property-based tests of initializers.

Every function returns a :class:`hypothesis.strategies.SearchStrategy`. Needs ``hypothesis``:
``pip install "initlab[test]"``.

Layout and fan rules the generated arguments respect:

* ``layout="in_out"`` (aliases ``"keras"``, ``"jax"``, ``"tf"``) reads a kernel as
  ``(*kernel, in, out)``: ``in_axis=-2``, ``out_axis=-1``. ``layout="out_in"`` (alias
  ``"torch"``) reads it as ``(out, in, *kernel)``: ``in_axis=1``, ``out_axis=0``.
* Explicit ``in_axis``/``out_axis``/``batch_axis`` (an int or a tuple of ints, negative allowed)
  override the layout; a missing one of ``in_axis``/``out_axis`` takes the layout's default.
  All named axes are distinct and in range.
* ``groups`` divides the product of the sizes along the out axes (a size of 0 is divisible by
  anything).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .. import initializers as _init
from ..fans import LAYOUTS as _FAN_LAYOUTS

try:
    from hypothesis import strategies as st
    from hypothesis.strategies import SearchStrategy
except ImportError as exc:  # pragma: no cover - tested in a subprocess without hypothesis
    raise ImportError(
        "initlab.testing.strategies needs hypothesis, which is not installed; "
        'install it with: pip install "initlab[test]"'
    ) from exc

__all__ = [
    "LAYOUTS",
    "fan_arguments",
    "initializer_cases",
    "initializer_configs",
    "layouts",
    "rng_arguments",
    "shapes",
    "shapes_and_fan_arguments",
]

_CANONICAL: dict[str, str] = _FAN_LAYOUTS

#: Every layout name the initializers accept: canonical names first, then aliases.
LAYOUTS: tuple[str, ...] = ("in_out", "out_in",
                            *(name for name in _FAN_LAYOUTS if name not in ("in_out", "out_in")))

_NONLINEARITIES: tuple[str, ...] = ("linear", "sigmoid", "tanh", "relu", "leaky_relu", "selu")


def _check_int(func: str, name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        kind = ValueError if isinstance(value, numbers.Integral) else TypeError
        raise kind(f"{func}: {name}={value!r} is not accepted; use an int >= {minimum}.")
    return int(value)


def _check_bool(func: str, name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{func}: {name}={value!r} is not accepted; use True or False.")
    return value


def _finite(lo: float, hi: float) -> SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def _divisors(n: int) -> list[int]:
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return sorted(set(small + [n // d for d in small]))


# --------------------------------------------------------------------------- shapes, layouts


def shapes(
    *,
    min_dims: int = 2,
    max_dims: int = 5,
    min_side: int = 0,
    max_side: int = 8,
    max_size: int = 4096,
) -> SearchStrategy[tuple[int, ...]]:
    """Strategy for array shapes with a bounded number of elements.

    Parameters
    ----------
    min_dims, max_dims : int, optional
        Range of the number of dimensions, ``0 <= min_dims <= max_dims``. Default 2 to 5.
    min_side, max_side : int, optional
        Range of each side, ``0 <= min_side <= max_side``. Default 0 to 8 (0 gives empty
        arrays).
    max_size : int, optional
        Upper bound on the product of the sides, ``>= 1``. Default 4096.

    Returns
    -------
    SearchStrategy[tuple[int, ...]]
        Tuples of ints, each in ``[min_side, max_side]``, whose product is at most
        ``max_size``. Shrinks towards fewer dimensions and smaller sides.

    Raises
    ------
    TypeError
        If an argument is not an int.
    ValueError
        If a bound is negative, a range is empty, or no shape with ``min_dims`` dimensions
        fits in ``max_size``.

    See Also
    --------
    shapes_and_fan_arguments : shapes together with valid fan arguments.

    Notes
    -----
    Sides are drawn left to right; the bound on each one leaves room for the remaining
    dimensions at their smallest allowed side, ``max(min_side, 1)``. When ``min_side >= 2``,
    ``max_dims`` is lowered to the largest ``d`` with ``min_side**d <= max_size``.

    References
    ----------
    .. [1] D. R. MacIver, Z. Hatfield-Dodds et al., "Hypothesis: A new approach to
       property-based testing", JOSS 4(43), 2019, doi:10.21105/joss.01891.

    Examples
    --------
    >>> from hypothesis import find, settings
    >>> quiet = settings(database=None, derandomize=True)
    >>> from initlab.testing.strategies import shapes
    >>> find(shapes(), lambda s: True, settings=quiet)
    (0, 0)
    >>> find(shapes(min_side=1), lambda s: len(s) == 3 and s[0] > 2,
    ...      settings=quiet)
    (3, 1, 1)
    """
    func = "shapes"
    min_dims = _check_int(func, "min_dims", min_dims, 0)
    max_dims = _check_int(func, "max_dims", max_dims, 0)
    min_side = _check_int(func, "min_side", min_side, 0)
    max_side = _check_int(func, "max_side", max_side, 0)
    max_size = _check_int(func, "max_size", max_size, 1)
    if max_dims < min_dims:
        raise ValueError(
            f"{func}: max_dims={max_dims!r} is not accepted; use an int >= min_dims={min_dims}."
        )
    if max_side < min_side:
        raise ValueError(
            f"{func}: max_side={max_side!r} is not accepted; use an int >= min_side={min_side}."
        )
    floor = max(min_side, 1)
    if floor**min_dims > max_size:
        raise ValueError(
            f"{func}: max_size={max_size!r} is not accepted; use an int >= "
            f"min_side**min_dims = {floor**min_dims}."
        )
    if floor >= 2:
        while floor**max_dims > max_size:
            max_dims -= 1

    @st.composite
    def draw_shape(draw: st.DrawFn) -> tuple[int, ...]:
        ndim = draw(st.integers(min_dims, max_dims))
        sides: list[int] = []
        size = 1
        for i in range(ndim):
            rest = floor ** (ndim - i - 1)
            hi = max_side if size == 0 else min(max_side, max_size // (size * rest))
            side = draw(st.integers(min_side, hi))
            sides.append(side)
            size *= side
        return tuple(sides)

    return draw_shape()


def layouts() -> SearchStrategy[str]:
    """Strategy for layout names, aliases included.

    Returns
    -------
    SearchStrategy[str]
        One of ``"in_out"``, ``"out_in"``, ``"keras"``, ``"jax"``, ``"tf"``, ``"torch"``
        (:data:`LAYOUTS`), shrinking towards ``"in_out"``.

    See Also
    --------
    fan_arguments : layouts combined with explicit axes and groups.

    Notes
    -----
    ``"in_out"``, ``"keras"``, ``"jax"`` and ``"tf"`` mean ``(*kernel, in, out)``;
    ``"out_in"`` and ``"torch"`` mean ``(out, in, *kernel)``.

    References
    ----------
    .. [1] D. R. MacIver, Z. Hatfield-Dodds et al., "Hypothesis: A new approach to
       property-based testing", JOSS 4(43), 2019, doi:10.21105/joss.01891.

    Examples
    --------
    >>> from hypothesis import find, settings
    >>> quiet = settings(database=None, derandomize=True)
    >>> from initlab.testing.strategies import layouts
    >>> find(layouts(), lambda s: True, settings=quiet)
    'in_out'
    >>> find(layouts(), lambda s: s.startswith("t"), settings=quiet)
    'tf'
    """
    return st.sampled_from(LAYOUTS)


# --------------------------------------------------------------------------- fan arguments


def _spell_axes(draw: st.DrawFn, axes: list[int], ndim: int) -> int | tuple[int, ...]:
    """Write a set of axes as an int (one axis) or a tuple, each possibly negative."""
    spelled = [a - ndim if draw(st.booleans()) else a for a in axes]
    if len(spelled) == 1 and not draw(st.booleans()):
        return spelled[0]
    return tuple(spelled)


def fan_arguments(
    shape: Iterable[int],
    *,
    axes: bool = True,
    groups: bool = True,
    transposed: bool = True,
) -> SearchStrategy[dict[str, Any]]:
    """Strategy for a consistent set of fan arguments for a given kernel shape.

    Parameters
    ----------
    shape : iterable of int
        The kernel shape, at least 2 dimensions, sides ``>= 0``.
    axes : bool, optional
        Whether ``in_axis``, ``out_axis`` and ``batch_axis`` may appear. Default True.
    groups : bool, optional
        Whether ``groups`` may appear. Default True.
    transposed : bool, optional
        Whether ``transposed`` may appear. Default True.

    Returns
    -------
    SearchStrategy[dict[str, Any]]
        Dicts of keyword arguments, valid together for ``shape``:

        ``layout`` (always)
            a name from :data:`LAYOUTS`.
        ``in_axis``, ``out_axis`` (optional, independently)
            an int or a non-empty tuple of ints, negative spellings included. When only one
            is present the other is the layout's default axis, which the present one avoids.
        ``batch_axis`` (optional)
            an int or a non-empty tuple of ints, disjoint from the in and out axes (explicit
            or default).
        ``groups`` (optional)
            a positive divisor of the product of the sizes along the out axes (1 to 4 when
            that product is 0).
        ``transposed`` (optional)
            a bool.

    Raises
    ------
    TypeError
        If ``shape`` is not a sequence of ints or a flag is not a bool.
    ValueError
        If ``shape`` has fewer than 2 dimensions or a negative side.

    See Also
    --------
    shapes_and_fan_arguments : draws the shape too.

    Notes
    -----
    0-d and 1-d shapes get no strategy: a fan needs distinct, non-empty in and out axes. The
    dict never depends on hidden defaults except the layout's default axes, so it is valid
    for any function following the rules in this module's docstring.

    References
    ----------
    .. [1] D. R. MacIver, Z. Hatfield-Dodds et al., "Hypothesis: A new approach to
       property-based testing", JOSS 4(43), 2019, doi:10.21105/joss.01891.

    Examples
    --------
    >>> from hypothesis import find, settings
    >>> quiet = settings(database=None, derandomize=True)
    >>> from initlab.testing.strategies import fan_arguments
    >>> find(fan_arguments((3, 3, 16, 32)), lambda kw: True, settings=quiet)
    {'layout': 'in_out'}
    >>> kw = find(fan_arguments((3, 3, 16, 32)), lambda kw: kw.get("groups", 1) > 4,
    ...           settings=quiet)
    >>> 32 % kw["groups"]
    0
    """
    func = "fan_arguments"
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(
            f"{func}: shape={shape!r} is not accepted; use a sequence of ints."
        ) from None
    for side in dims:
        if isinstance(side, bool) or not isinstance(side, numbers.Integral):
            raise TypeError(f"{func}: shape={shape!r} is not accepted; use a sequence of ints.")
    dims = tuple(int(s) for s in dims)
    if len(dims) < 2 or min(dims) < 0:
        raise ValueError(
            f"{func}: shape={shape!r} is not accepted; use at least 2 dimensions, sides >= 0."
        )
    use_axes = _check_bool(func, "axes", axes)
    use_groups = _check_bool(func, "groups", groups)
    use_transposed = _check_bool(func, "transposed", transposed)
    ndim = len(dims)

    @st.composite
    def draw_kwargs(draw: st.DrawFn) -> dict[str, Any]:
        layout = draw(layouts())
        if _CANONICAL[layout] == "in_out":
            default_in, default_out = ndim - 2, ndim - 1
        else:
            default_in, default_out = 1, 0
        kwargs: dict[str, Any] = {"layout": layout}
        out_axes = [default_out]
        if use_axes:
            give_in, give_out, give_batch = (draw(st.booleans()) for _ in range(3))
            free = [
                a
                for a in range(ndim)
                if (give_in or a != default_in) and (give_out or a != default_out)
            ]
            free = list(draw(st.permutations(free)))
            pos = 0
            if give_in:
                k = draw(st.integers(1, len(free) - pos - (1 if give_out else 0)))
                kwargs["in_axis"] = _spell_axes(draw, free[pos : pos + k], ndim)
                pos += k
            if give_out:
                k = draw(st.integers(1, len(free) - pos))
                out_axes = free[pos : pos + k]
                kwargs["out_axis"] = _spell_axes(draw, out_axes, ndim)
                pos += k
            if give_batch and pos < len(free):
                k = draw(st.integers(1, len(free) - pos))
                kwargs["batch_axis"] = _spell_axes(draw, free[pos : pos + k], ndim)
        if use_groups and draw(st.booleans()):
            out_size = math.prod(dims[a] for a in out_axes)
            if out_size == 0:
                kwargs["groups"] = draw(st.integers(1, 4))
            else:
                kwargs["groups"] = draw(st.sampled_from(_divisors(out_size)))
        if use_transposed and draw(st.booleans()):
            kwargs["transposed"] = draw(st.booleans())
        return kwargs

    return draw_kwargs()


def shapes_and_fan_arguments(
    *,
    min_dims: int = 2,
    max_dims: int = 5,
    min_side: int = 0,
    max_side: int = 8,
    max_size: int = 4096,
    axes: bool = True,
    groups: bool = True,
    transposed: bool = True,
) -> SearchStrategy[tuple[tuple[int, ...], dict[str, Any]]]:
    """Strategy for ``(shape, fan_kwargs)`` pairs that are valid together.

    Parameters
    ----------
    min_dims, max_dims, min_side, max_side, max_size : int, optional
        As in :func:`shapes`; ``min_dims >= 2``.
    axes, groups, transposed : bool, optional
        As in :func:`fan_arguments`.

    Returns
    -------
    SearchStrategy[tuple[tuple[int, ...], dict[str, Any]]]
        A shape from :func:`shapes` and a dict from :func:`fan_arguments` for it.

    Raises
    ------
    TypeError, ValueError
        As :func:`shapes` and :func:`fan_arguments`; ``ValueError`` if ``min_dims < 2``.

    See Also
    --------
    initializer_cases : adds the initializer name and its parameters.

    Notes
    -----
    Implemented as ``shapes(...).flatmap(fan_arguments)``, so it shrinks the shape first.

    References
    ----------
    .. [1] D. R. MacIver, Z. Hatfield-Dodds et al., "Hypothesis: A new approach to
       property-based testing", JOSS 4(43), 2019, doi:10.21105/joss.01891.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from initlab.testing.strategies import shapes_and_fan_arguments
    >>> @settings(max_examples=20, derandomize=True, database=None)
    ... @given(shapes_and_fan_arguments())
    ... def check(case):
    ...     shape, kwargs = case
    ...     assert len(shape) >= 2 and "layout" in kwargs
    >>> check()
    """
    func = "shapes_and_fan_arguments"
    if _check_int(func, "min_dims", min_dims, 0) < 2:
        raise ValueError(f"{func}: min_dims={min_dims!r} is not accepted; use an int >= 2.")
    for name, flag in (("axes", axes), ("groups", groups), ("transposed", transposed)):
        _check_bool(func, name, flag)
    base = shapes(
        min_dims=min_dims,
        max_dims=max_dims,
        min_side=min_side,
        max_side=max_side,
        max_size=max_size,
    )

    def with_kwargs(
        shape: tuple[int, ...],
    ) -> SearchStrategy[tuple[tuple[int, ...], dict[str, Any]]]:
        kwargs = fan_arguments(shape, axes=axes, groups=groups, transposed=transposed)
        return kwargs.map(lambda kw: (shape, kw))

    return base.flatmap(with_kwargs)


# --------------------------------------------------------------------------- initializer configs


def _optional(**strategies: SearchStrategy[Any]) -> SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional=strategies)


@st.composite
def _uniform_config(draw: st.DrawFn) -> dict[str, Any]:
    low = draw(_finite(-10.0, 10.0))
    high = low + draw(_finite(0.0, 10.0))
    config: dict[str, Any] = {}
    if draw(st.booleans()) and low <= 1.0:  # alone, low must not pass the default high=1
        config["low"] = low
    if draw(st.booleans()) and (high >= config.get("low", 0.0)):
        config["high"] = high
    return config


@st.composite
def _truncated_normal_config(draw: st.DrawFn) -> dict[str, Any]:
    config = draw(_optional(mean=_finite(-10.0, 10.0), std=_finite(0.01, 10.0)))
    lower = draw(_finite(-3.0, 2.75))
    upper = draw(_finite(lower + 0.25, 3.0))
    if draw(st.booleans()) and lower < 2.0:  # default upper is 2
        config["lower"] = lower
    if draw(st.booleans()) and upper > config.get("lower", -2.0):  # default lower is -2
        config["upper"] = upper
    return config


@st.composite
def _kaiming_config(draw: st.DrawFn) -> dict[str, Any]:
    config = draw(_optional(mode=st.sampled_from(("fan_in", "fan_out")), layout=layouts()))
    nonlinearity = draw(st.sampled_from(("leaky_relu", *_NONLINEARITIES)))
    if draw(st.booleans()):
        config["nonlinearity"] = nonlinearity
    else:
        nonlinearity = "leaky_relu"  # the default
    if nonlinearity == "leaky_relu" and draw(st.booleans()):
        config["a"] = draw(_finite(0.0, 5.0))
    return config


def _fan_config(**strategies: SearchStrategy[Any]) -> SearchStrategy[dict[str, Any]]:
    return _optional(layout=layouts(), **strategies)


_GAIN = _finite(0.01, 10.0)

_ANY, _FANS, _MATRIX, _TWO_D, _CONV = "any", "fans", "matrix", "2-d", "conv"
_KERNEL, _CUBIC = "kernel", "cubic kernel"

#: Per initializer function: its configuration strategy and the shapes it accepts (any shape
#: with 0-4 dimensions; 2-5 with fan arguments; 2-4; exactly 2; a 3-5-d kernel with groups).
_CASES: dict[Callable[..., Any], tuple[Callable[[], SearchStrategy[dict[str, Any]]], str]] = {
    _init.zeros: (lambda: st.just({}), _ANY),
    _init.ones: (lambda: st.just({}), _ANY),
    _init.constant: (lambda: st.fixed_dictionaries({"value": _finite(-100.0, 100.0)}), _ANY),
    _init.normal: (lambda: _optional(mean=_finite(-10.0, 10.0), std=_finite(0.0, 10.0)), _ANY),
    _init.uniform: (_uniform_config, _ANY),
    _init.truncated_normal: (_truncated_normal_config, _ANY),
    _init.variance_scaling: (lambda: _fan_config(
        scale=_finite(0.01, 10.0),
        mode=st.sampled_from(("fan_in", "fan_out", "fan_avg", "fan_geo_avg")),
        distribution=st.sampled_from(("truncated_normal", "normal", "uniform")),
    ), _FANS),
    _init.xavier_uniform: (lambda: _fan_config(gain=_GAIN), _FANS),
    _init.xavier_normal: (lambda: _fan_config(gain=_GAIN), _FANS),
    _init.kaiming_uniform: (_kaiming_config, _FANS),
    _init.kaiming_normal: (_kaiming_config, _FANS),
    _init.lecun_uniform: (_fan_config, _FANS),
    _init.lecun_normal: (_fan_config, _FANS),
    _init.orthogonal: (lambda: _optional(gain=_GAIN, layout=layouts()), _MATRIX),
    _init.eye: (lambda: _optional(gain=_GAIN), _TWO_D),
    _init.dirac: (lambda: _optional(groups=st.just(1), layout=layouts()), _CONV),
    _init.delta_orthogonal: (lambda: _optional(gain=_GAIN, layout=layouts()), _KERNEL),
    _init.conv_orthogonal: (lambda: _optional(gain=_GAIN, layout=layouts()), _CUBIC),
    _init.sparse: (lambda: st.fixed_dictionaries(
        {"sparsity": _finite(0.0, 1.0)}, optional={"std": _finite(0.001, 1.0), "layout": layouts()}
    ), _TWO_D),
}
#: The same by name (the names come from the functions).
_BY_NAME = {f.__name__: case for f, case in _CASES.items()}


def _check_names(func: str, names: object) -> tuple[str, ...]:
    known = tuple(_BY_NAME)
    accepted = f"None, a name or a non-empty iterable of names from {', '.join(known)}"
    if names is None:
        return known
    if isinstance(names, str):
        chosen: tuple[object, ...] = (names,)
    elif isinstance(names, Iterable):
        chosen = tuple(names)
    else:
        raise TypeError(f"{func}: names={names!r} is not accepted; use {accepted}.")
    if not chosen:
        raise ValueError(f"{func}: names={names!r} is not accepted; use {accepted}.")
    for name in chosen:
        if not isinstance(name, str):
            raise TypeError(f"{func}: names={names!r} is not accepted; use {accepted}.")
        if name not in _BY_NAME:
            raise ValueError(f"{func}: names={names!r} is not accepted; use {accepted}.")
    return tuple(str(n) for n in chosen)


def initializer_configs(
    names: str | Iterable[str] | None = None,
) -> SearchStrategy[tuple[str, dict[str, Any]]]:
    """Strategy for ``(name, config)`` pairs of initializer parameters that need no shape.

    Parameters
    ----------
    names : str or iterable of str, optional
        Initializers to draw from; default all of them (see Notes).

    Returns
    -------
    SearchStrategy[tuple[str, dict[str, Any]]]
        The name and a dict of keyword arguments, valid for
        ``getattr(initlab, name)(shape, **config)`` with any suitable ``shape`` (2-D for
        ``eye`` and ``sparse``, 3-5-D for ``dirac``, at least 2-D for the fan-based and
        orthogonal ones) and for ``initlab.get({"class_name": name, "config": config})``.
        Optional parameters are sometimes left out, so the defaults get exercised.

    Raises
    ------
    TypeError
        If ``names`` is not a str or an iterable of str.
    ValueError
        If ``names`` is empty or holds an unknown name.

    See Also
    --------
    initializer_cases : adds a shape and the shape-dependent arguments (fans, groups).

    Notes
    -----
    Names and the values drawn:

    =====================================  ==============================================
    name                                   parameters
    =====================================  ==============================================
    ``zeros``, ``ones``                    none
    ``constant``                           ``value`` in [-100, 100] (required)
    ``normal``                             ``mean`` in [-10, 10], ``std`` in [0, 10]
    ``uniform``                            ``low <= high``, in [-10, 20]
    ``truncated_normal``                   ``mean``, ``std`` in [0.01, 10], ``lower < upper``
                                           in [-3, 3] std units, at least 0.25 apart
    ``variance_scaling``                   ``scale`` in [0.01, 10], ``mode``, ``distribution``,
                                           ``layout``
    ``xavier_uniform``, ``xavier_normal``  ``gain`` in [0.01, 10], ``layout``
    ``kaiming_uniform``, ``kaiming_normal`` ``mode`` (fan_in/fan_out), ``nonlinearity``,
                                           ``a`` in [0, 5] only with leaky_relu, ``layout``
    ``lecun_uniform``, ``lecun_normal``    ``layout``
    ``orthogonal``                         ``gain`` in [0.01, 10], ``layout``
    ``eye``                                ``gain`` in [0.01, 10]
    ``dirac``                              ``groups=1``, ``layout``
    ``sparse``                             ``sparsity`` in [0, 1] (required), ``std`` in
                                           [0.001, 1], ``layout``
    ``delta_orthogonal``, ``conv_orthogonal`` ``gain`` in [0.01, 10], ``layout``
    =====================================  ==============================================

    When only one of a pair (``low``/``high``, ``lower``/``upper``) is drawn, it is consistent
    with the other's default.

    References
    ----------
    .. [1] D. R. MacIver, Z. Hatfield-Dodds et al., "Hypothesis: A new approach to
       property-based testing", JOSS 4(43), 2019, doi:10.21105/joss.01891.

    Examples
    --------
    >>> from hypothesis import find, settings
    >>> quiet = settings(database=None, derandomize=True)
    >>> from initlab.testing.strategies import initializer_configs
    >>> find(initializer_configs(), lambda c: True, settings=quiet)
    ('zeros', {})
    >>> find(initializer_configs("constant"), lambda c: True, settings=quiet)
    ('constant', {'value': 0.0})
    """
    chosen = _check_names("initializer_configs", names)
    return st.one_of([_named(n, _BY_NAME[n][0]()) for n in chosen])


def _named(
    name: str, configs: SearchStrategy[dict[str, Any]]
) -> SearchStrategy[tuple[str, dict[str, Any]]]:
    def label(config: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return name, config

    return configs.map(label)


@st.composite
def _dirac_case(
    draw: st.DrawFn, min_side: int, max_side: int, max_size: int
) -> tuple[tuple[int, ...], dict[str, Any]]:
    shape = draw(
        shapes(min_dims=3, max_dims=5, min_side=min_side, max_side=max_side, max_size=max_size)
    )
    layout = draw(layouts())
    out = shape[-1] if _CANONICAL[layout] == "in_out" else shape[0]
    groups = draw(st.integers(1, 4)) if out == 0 else draw(st.sampled_from(_divisors(out)))
    return shape, {"groups": groups, "layout": layout}


@st.composite
def _kernel_case(
    draw: st.DrawFn, min_side: int, max_side: int, max_size: int, cubic: bool
) -> tuple[tuple[int, ...], dict[str, Any]]:
    """A 3-5-d kernel with in <= out (equal spatial sizes if ``cubic``) and a layout."""
    dims = draw(st.integers(1, 3).filter(lambda d: max(min_side, 1) ** (d + 2) <= max_size))
    cap = max(min_side, min(max_side, int(max_size ** (1 / (dims + 2)))))
    side = st.integers(min_side, cap)
    kernel = (draw(side),) * dims if cubic else tuple(draw(side) for _ in range(dims))
    n_in = draw(side)
    n_out = draw(st.integers(max(n_in, min_side), max(n_in, cap)))
    if math.prod((*kernel, n_in, n_out)) > max_size:  # n_out > cap only when n_in == cap
        n_out = n_in
    layout = draw(layouts())
    if _CANONICAL[layout] == "out_in":
        return (n_out, n_in, *kernel), {"layout": layout}
    return (*kernel, n_in, n_out), {"layout": layout}


def initializer_cases(
    names: str | Iterable[str] | None = None,
    *,
    min_side: int = 0,
    max_side: int = 8,
    max_size: int = 4096,
) -> SearchStrategy[tuple[str, tuple[int, ...], dict[str, Any]]]:
    """Strategy for ``(name, shape, config)`` triples that are valid together.

    Parameters
    ----------
    names : str or iterable of str, optional
        Initializers to draw from; default all of them (see :func:`initializer_configs`).
    min_side, max_side, max_size : int, optional
        Bounds on the shape, as in :func:`shapes`. Default 0, 8 and 4096.

    Returns
    -------
    SearchStrategy[tuple[str, tuple[int, ...], dict[str, Any]]]
        ``getattr(initlab, name)(shape, **config)`` is a valid call:

        * ``zeros``, ``ones``, ``constant``, ``normal``, ``uniform``, ``truncated_normal``:
          any shape with 0 to 4 dimensions;
        * the fan-based initializers (``variance_scaling``, ``xavier_*``, ``kaiming_*``,
          ``lecun_*``): 2 to 5 dimensions, and the config merges the parameters of
          :func:`initializer_configs` with :func:`fan_arguments` for the shape (``layout``,
          and optionally ``in_axis``, ``out_axis``, ``batch_axis``, ``groups``,
          ``transposed``);
        * ``orthogonal``: 2 to 4 dimensions; ``eye`` and ``sparse``: 2 dimensions;
        * ``dirac``: 3 to 5 dimensions with an explicit ``layout`` and ``groups`` dividing the
          out-channel size (``shape[-1]`` for in_out, ``shape[0]`` for out_in);
        * ``delta_orthogonal``, ``conv_orthogonal``: 3 to 5 dimensions with an explicit
          ``layout`` and in-channels <= out-channels (equal kernel sizes for
          ``conv_orthogonal``).

    Raises
    ------
    TypeError, ValueError
        As :func:`initializer_configs` and :func:`shapes`.

    See Also
    --------
    initializer_configs : the shape-free parameters alone.

    Notes
    -----
    Sides can be 0 (empty arrays, zero fans) unless ``min_side >= 1``.

    References
    ----------
    .. [1] D. R. MacIver, Z. Hatfield-Dodds et al., "Hypothesis: A new approach to
       property-based testing", JOSS 4(43), 2019, doi:10.21105/joss.01891.

    Examples
    --------
    >>> from hypothesis import find, settings
    >>> quiet = settings(database=None, derandomize=True)
    >>> from initlab.testing.strategies import initializer_cases
    >>> find(initializer_cases("eye"), lambda c: True, settings=quiet)
    ('eye', (0, 0), {})
    >>> name, shape, config = find(initializer_cases("dirac", min_side=1), lambda c: True,
    ...                            settings=quiet)
    >>> len(shape), config["groups"]
    (3, 1)
    """
    func = "initializer_cases"
    chosen = _check_names(func, names)
    lo = _check_int(func, "min_side", min_side, 0)
    hi = _check_int(func, "max_side", max_side, 0)
    size = _check_int(func, "max_size", max_size, 1)
    if hi < lo:
        raise ValueError(
            f"{func}: max_side={max_side!r} is not accepted; use an int >= min_side={lo}."
        )
    kinds = {_BY_NAME[n][1] for n in chosen}
    need = 3 if kinds & {_CONV, _KERNEL, _CUBIC} else 2 if kinds - {_ANY} else 0
    if max(lo, 1) ** need > size:
        raise ValueError(
            f"{func}: max_size={max_size!r} is not accepted; use an int >= "
            f"max(min_side, 1)**{need} = {max(lo, 1) ** need}."
        )

    def no_kwargs(shape: tuple[int, ...]) -> tuple[tuple[int, ...], dict[str, Any]]:
        return shape, {}

    def case(name: str) -> SearchStrategy[tuple[str, tuple[int, ...], dict[str, Any]]]:
        configs, kind = _BY_NAME[name]
        params = configs()
        shaped: SearchStrategy[tuple[tuple[int, ...], dict[str, Any]]]
        if kind == _FANS:
            shaped = shapes_and_fan_arguments(
                min_dims=2, max_dims=5, min_side=lo, max_side=hi, max_size=size
            )
        elif kind == _CONV:
            shaped = _dirac_case(lo, hi, size)
        elif kind in (_KERNEL, _CUBIC):
            shaped = _kernel_case(lo, hi, size, kind == _CUBIC)
        else:
            dims = {_ANY: (0, 4), _MATRIX: (2, 4), _TWO_D: (2, 2)}[kind]
            shaped = shapes(
                min_dims=dims[0], max_dims=dims[1], min_side=lo, max_side=hi, max_size=size
            ).map(no_kwargs)

        def merge(
            pair: tuple[dict[str, Any], tuple[tuple[int, ...], dict[str, Any]]],
        ) -> tuple[str, tuple[int, ...], dict[str, Any]]:
            config, (shape, shape_kwargs) = pair
            return name, shape, {**config, **shape_kwargs}

        return st.tuples(params, shaped).map(merge)

    return st.one_of([case(n) for n in chosen])


# --------------------------------------------------------------------------- rng arguments


def rng_arguments() -> SearchStrategy[int | np.random.Generator | None]:
    """Strategy for ``rng`` arguments: None, a non-negative int, or a seeded Generator.

    Returns
    -------
    SearchStrategy[None | int | numpy.random.Generator]
        ``None``, an int in ``[0, 2**63 - 1]``, or ``numpy.random.default_rng(seed)`` for a
        drawn ``seed`` in ``[0, 2**32 - 1]`` (a fresh Generator each time, so examples replay).

    See Also
    --------
    numpy.random.default_rng : normalizes all three kinds.

    Notes
    -----
    These are the kinds SPEC 7 asks an ``rng`` keyword to accept. ``None`` draws fresh OS
    entropy, so a test using this strategy must only check properties that hold for every
    draw (shape, dtype, bounds), or compare two calls with the same int or equal-state
    Generators.

    References
    ----------
    .. [1] Scientific Python, "SPEC 7 -- Seeding pseudo-random number generation", 2023,
       https://scientific-python.org/specs/spec-0007/.

    Examples
    --------
    >>> from hypothesis import find, settings
    >>> quiet = settings(database=None, derandomize=True)
    >>> from initlab.testing.strategies import rng_arguments
    >>> print(find(rng_arguments(), lambda r: True, settings=quiet))
    None
    >>> g = find(rng_arguments(), lambda r: r is not None and not isinstance(r, int),
    ...          settings=quiet)
    >>> type(g).__name__
    'Generator'
    """
    return st.one_of(
        st.none(),
        st.integers(0, 2**63 - 1),
        st.integers(0, 2**32 - 1).map(np.random.default_rng),
    )
