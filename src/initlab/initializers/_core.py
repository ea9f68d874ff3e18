"""Call plumbing shared by every initializer (internal).

One :class:`Declaration` per initializer, made by the :func:`declare` decorator on its
function, holds everything the rest of the package derives from it: its argument check, its
sampler (``run``), whether it is elementwise, its exact moments, its class name and the other
names :func:`initlab.get` accepts. :data:`DECLARATIONS` is the table of all of them, in
definition order.

A call goes ``function(shape, **kwargs)`` → :func:`apply` → :func:`check_config` (the
declaration's ``check``, cached for hashable arguments) and :func:`prepare` (shape, dtype,
``rng``, ``threads``, ``region``, ``out``, memory) → the declaration's ``run``, which draws
through :mod:`initlab._blocks`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple, TypeVar

import numpy as np
from numpy.typing import NDArray

from .. import _blocks as blocks
from .._validate import check_dtype, check_out, check_real, check_rng, check_shape, fail
from ..gains import exact_gain_for, resolve_gain

Array = NDArray[Any]
Shape = int | tuple[int, ...]
Axes = int | tuple[int, ...] | None
RegionArg = tuple[slice | int, ...] | slice | int | None
Config = dict[str, Any]
F = TypeVar("F", bound=Callable[..., Any])

#: A normal value beyond this many std is treated as possible (overflow checks).
MAX_SIGMAS = 10.0


# --------------------------------------------------------------------------------------------
# documentation fragments


DOC = {
    "gain_parameters": """gain : float or 'exact', default 1
        Multiplies the standard deviation (> 0); see :func:`calculate_gain`. ``'exact'``
        takes the exact forward gain of ``nonlinearity`` (:func:`gain`, at unit input
        variance).
    nonlinearity : str, optional
        Activation after this layer, used only with ``gain='exact'``: any name of
        :func:`activation` (``'tanh'``, ``'gelu'``, ``'leaky_relu(0.2)'``, ...).""",
    "fan_parameters": """layout : {'in_out', 'out_in'} or alias, default 'in_out'
        ``'in_out'`` (aliases ``'keras'``, ``'jax'``, ``'tf'``): ``(*kernel, in, out)``;
        ``'out_in'`` (alias ``'torch'``): PyTorch's ``(out, in, *kernel)``.
    in_axis, out_axis, batch_axis, groups, transposed : optional
        Override the layout's axes, correct grouped/depthwise and transposed convolutions;
        see :func:`compute_fans`.
    fans : {'exact', 'torch'}, default 'exact'
        ``'torch'`` computes the fans with PyTorch's formula, which ignores ``groups`` and
        ``transposed`` (pytorch/pytorch#23854), for PyTorch's old scale bit for bit; see
        :func:`compute_fans`.""",
    "common_parameters": """dtype : {float32, float16, float64}, default float32
        Floating dtype of the result. float32 and float64 are drawn natively; float16 is drawn
        in float32 and rounded.
    rng : {None, int, numpy.random.Generator}, optional
        Source of randomness (SPEC 7). An int or ``None`` is passed to
        ``numpy.random.default_rng``; a ``Generator`` is used as given and advanced by a fixed
        amount per call. Pass an int for repeatable values: the same seed gives the same bits.
        NumPy's global random state is never touched.
    out : numpy.ndarray, optional
        Array to fill and return, of exactly the result's shape and ``dtype``. It is left
        untouched when an argument is invalid.
    threads : int, optional
        Threads that draw the blocks (default :func:`get_threads`). The values do not depend
        on it.
    region : tuple of slice or int, optional
        Produce only ``full[region]`` of the tensor of ``shape``, bit for bit equal to slicing
        the whole tensor, without drawing the rest (for sharded or out-of-core
        initialization).""",
    "returns": """numpy.ndarray
        The initialized array (``out`` if it was given). A tensor with no elements is returned
        at once, without computing a scale (no division by a zero fan, no warning).""",
    "raises": """ValueError
        For an out-of-range value (the message names the argument, the value and what is
        accepted), or a ``shape`` whose array would not fit in this machine's memory (the
        message gives the bytes it would need; nothing is allocated).
    TypeError
        For an argument of the wrong type, including integer, bool or object dtypes.""",
}


def doc_with(**extra: str) -> Callable[[F], F]:
    """Substitute ``%(name)s`` fragments (:data:`DOC` and ``extra``) into a docstring."""

    def substitute(func: F) -> F:
        if func.__doc__:
            func.__doc__ = func.__doc__ % {**DOC, **extra}
        return func

    return substitute


doc = doc_with()


# --------------------------------------------------------------------------------------------
# the declaration table


class Call(NamedTuple):
    """A validated call: the tensor's ``shape``, the result's shape and the call arguments."""

    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    rng: object
    out: Array | None
    threads: int
    region: tuple[slice | int, ...] | None
    result_shape: tuple[int, ...]

    @property
    def empty(self) -> bool:
        return math.prod(self.result_shape) == 0 or math.prod(self.shape) == 0

    def new(self) -> Array:
        return self.out if self.out is not None else np.empty(self.result_shape, self.dtype)

    def key(self) -> blocks.Key:
        return blocks.derive_key(self.rng)


Check = Callable[[str, Config], Config]
Run = Callable[[str, Call, Config], Array]
Moments = Callable[[str, Config, tuple[int, ...]], tuple[float, float]]


@dataclass(frozen=True, eq=False)
class Declaration:
    """Everything about one initializer besides its function's body.

    Attributes
    ----------
    function : callable
        The functional form; its ``__name__`` is the canonical name, its keyword-only
        parameters (minus the call arguments) are the configuration.
    check : callable
        ``check(func, params) -> config``: validates the configuration (shape-free).
    run : callable
        ``run(func, call, config) -> array``: produces the values.
    elementwise : bool
        Whether any ``region=`` can be produced alone (and so chunk by chunk with dask).
    class_name : str
        Name of the generated :class:`Initializer` subclass.
    moments : callable or None
        ``moments(func, config, shape) -> (mean, second moment)`` of one element; ``None``
        for deterministic initializers, whose moments are measured on one draw.
    aliases : tuple of str
        Other names :func:`get` accepts (besides the class name and the canonical name).
    example : mapping
        Arguments for the generated class's example (the required ones).
    example_shape : tuple of int
        Shape for the generated class's example.
    summary : str
        One line for the documentation index.
    quiet : tuple of str
        Parameters added after their initializer was first released: ``repr()`` and
        ``get_config()`` leave them out while they hold their default, so the configurations
        and reprs saved before stay exactly as they were.
    """

    function: Callable[..., Array]
    check: Check
    run: Run
    elementwise: bool
    class_name: str
    moments: Moments | None
    aliases: tuple[str, ...] = ()
    example: Mapping[str, Any] = field(default_factory=dict)
    example_shape: tuple[int, ...] = (4, 6)
    summary: str = ""
    quiet: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.function.__name__


#: Every initializer's declaration, by function, in definition order.
DECLARATIONS: dict[Callable[..., Any], Declaration] = {}


def declare(*, check: Check, run: Run, elementwise: bool, class_name: str,
            moments: Moments | None, aliases: tuple[str, ...] = (),
            example: Mapping[str, Any] | None = None, example_shape: tuple[int, ...] = (4, 6),
            summary: str = "", quiet: tuple[str, ...] = ()) -> Callable[[F], F]:
    """Decorator: declare the function it decorates as an initializer (its table entry)."""

    def register(function: F) -> F:
        DECLARATIONS[function] = Declaration(
            function, check, run, elementwise, class_name, moments, aliases,
            dict(example or {}), example_shape, summary, quiet)
        return function

    return register


def squash(name: str) -> str:
    """A spelling without underscores and case: ``'he_normal'`` and ``'HeNormal'`` agree."""
    return name.replace("_", "").lower()


_SPELLINGS: dict[str, Declaration] = {}


def declaration_named(name: str) -> Declaration | None:
    """The declaration a name spells (function, class or alias, case and underscores
    ignored), or ``None``."""
    if len(_SPELLINGS) < len(DECLARATIONS):  # rebuilt when the table grows
        for decl in DECLARATIONS.values():
            for spelling in (decl.class_name, decl.name, *decl.aliases):
                _SPELLINGS[squash(spelling)] = decl
    return _SPELLINGS.get(squash(name))


def declaration_of(init: object) -> Declaration | None:
    """The declaration of an initializer function or object (``None`` for anything else)."""
    function: Any = getattr(type(init), "function", init)
    try:
        return DECLARATIONS.get(function)
    except TypeError:  # unhashable
        return None


# --------------------------------------------------------------------------------------------
# validation and dispatch


def _memory_limit() -> int:
    """Bytes of physical memory of this machine (NumPy's own limit if unknown)."""
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, OSError, ValueError):  # pragma: no cover - non-POSIX
        return int(np.iinfo(np.intp).max)


MEMORY = _memory_limit()


def _bytes(n: int) -> str:
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n} bytes"


def check_memory(func: str, shape: tuple[int, ...], dtype: np.dtype[Any],
                 given: object = None) -> None:
    """Refuse, before allocating, an array of ``shape`` that cannot fit in memory."""
    need = math.prod(shape) * dtype.itemsize
    if need > MEMORY:
        fail(func, "shape", given if given is not None else shape,
             f"an array of {dtype.name} of that shape needs {need} bytes ({_bytes(need)}), "
             f"more than the {_bytes(MEMORY)} of memory of this machine; draw it in pieces "
             "with region= or lazily with initlab.dask", why="is too large")


def prepare(func: str, decl: Declaration, shape: object, dtype: object, rng: object,
            out: object, threads: object, region: object) -> Call:
    """Validate the call arguments (everything but the configuration)."""
    dims = check_shape(func, shape)
    dt = check_dtype(func, dtype)
    check_rng(func, rng)
    nthreads = blocks.check_threads(func, threads)
    norm_region = None
    result_shape = dims
    if region is not None:
        if not decl.elementwise:
            fail(func, "region", region, f"{func} is not elementwise (every value depends on "
                 "the whole tensor): draw the whole tensor and slice it")
        if math.prod(dims) > np.iinfo(np.intp).max:
            fail(func, "shape", shape, f"use at most {np.iinfo(np.intp).max} elements "
                 "(NumPy's index limit)", why="is too large")
        norm_region, result_shape = blocks.check_region(func, region, dims)
    if out is not None:
        check_out(func, out, result_shape, dt)
    else:
        check_memory(func, result_shape, dt, shape)
    return Call(dims, dt, rng, out, nthreads, norm_region, result_shape)  # type: ignore[arg-type]


def _freeze(value: object) -> object:
    """A hashable key that also tells types apart (``1``, ``1.0`` and ``True`` differ), or
    ``None`` for values that are not cached (lists, NumPy scalars, ``-0.0``)."""
    kind = type(value)
    if kind is float and value == 0.0 and math.copysign(1.0, value) < 0:
        return None  # -0.0 == 0.0: a cached 0.0 would lose the sign
    if kind in (int, float, str, bool, type(None)):
        return (kind, value)
    if kind is tuple:
        items = tuple(_freeze(v) for v in value)  # type: ignore[attr-defined]
        return None if None in items else (kind, items)
    return None


def _thaw(frozen: Any) -> Any:
    kind, value = frozen
    if kind is tuple:
        return tuple(_thaw(v) for v in value)
    return value


@lru_cache(maxsize=2048)
def _checked(decl: Declaration, func: str, frozen: tuple[tuple[str, object], ...]) -> Config:
    return decl.check(func, {key: _thaw(value) for key, value in frozen})


def check_config(decl: Declaration, func: str, params: Config) -> Config:
    """Validated configuration (cached for hashable parameters; never mutate the result)."""
    frozen = tuple((key, _freeze(value)) for key, value in params.items())
    if any(value is None for _, value in frozen):
        return decl.check(func, params)
    return _checked(decl, func, frozen)


def apply(function: Callable[..., Any], shape: object, dtype: object, rng: object,
          out: object, threads: object, region: object, params: Config) -> Array:
    """The body of every initializer function: validate everything, then run."""
    decl = DECLARATIONS[function]
    func = function.__name__
    config = check_config(decl, func, params)
    call = prepare(func, decl, shape, dtype, rng, out, threads, region)
    return decl.run(func, call, config)


# --------------------------------------------------------------------------------------------
# helpers of the samplers


def check_representable(func: str, name: str, value: float, magnitude: float,
                        dtype: np.dtype[Any]) -> None:
    """Refuse parameters whose values would overflow ``dtype`` (a wrong array)."""
    if magnitude > float(np.finfo(dtype).max):
        fail(func, name, value, f"values up to about {magnitude:.3g} would overflow "
             f"{dtype.name} (max {float(np.finfo(dtype).max):.4g})",
             why="is too large for the dtype")


def sampled(func: str, call: Call, sampler: blocks.Sampler, magnitude: float,
            name: str, value: float) -> Array:
    """Shared tail of every elementwise random initializer."""
    check_representable(func, name, value, magnitude, call.dtype)
    if call.empty:
        return call.new()
    return blocks.generate(sampler, call.shape, call.dtype, call.key(), out=call.out,
                           threads=call.threads, region=call.region,
                           region_shape=call.result_shape)


def filled(call: Call, value: float) -> Array:
    """The result filled with ``value`` (exactly, sign of zero included)."""
    result = call.new()
    result.fill(value)
    return result


FAST_DTYPES: dict[object, np.dtype[Any]] = {
    np.float32: np.dtype(np.float32), np.float64: np.dtype(np.float64),
    np.float16: np.dtype(np.float16), "float32": np.dtype(np.float32),
    "float64": np.dtype(np.float64), "float16": np.dtype(np.float16),
}


def fast_dtype(shape: object, dtype: object) -> np.dtype[Any] | None:
    """The dtype when ``shape`` and ``dtype`` are plainly valid and the array fits in
    memory (a fast path), else None."""
    if type(shape) is not tuple:
        return None
    size = 1
    for d in shape:  # a plain loop: half the cost of all() over a generator
        if type(d) is not int or d < 0:
            return None
        size *= d
    try:
        dt = FAST_DTYPES.get(dtype)
    except TypeError:  # unhashable
        return None
    if dt is None or size * dt.itemsize > MEMORY:
        return None
    return dt


# --------------------------------------------------------------------------------------------
# gains: a number, or 'exact' with nonlinearity=


@lru_cache(maxsize=256)
def _exact_cached(func: str, nonlinearity: str, a: float | None) -> tuple[str, float]:
    name, _ = resolve_gain(func, nonlinearity, a)
    return name, exact_gain_for(func, nonlinearity, a)


def exact(func: str, nonlinearity: object, a: float | None) -> tuple[str, float]:
    """Canonical name and exact forward gain (at unit input variance) of ``nonlinearity``."""
    if type(nonlinearity) is str:
        return _exact_cached(func, nonlinearity, a)
    name, _ = resolve_gain(func, nonlinearity, a)
    return name, exact_gain_for(func, nonlinearity, a)


def is_exact(gain: object) -> bool:
    """``gain`` is the string ``'exact'``."""
    return type(gain) is str and gain == "exact"


def gain_or_exact(func: str, p: Config, *, positive: bool) -> tuple[Config, float]:
    """``gain`` is a number, or ``'exact'`` with ``nonlinearity`` naming an activation."""
    gain, nonlinearity = p["gain"], p["nonlinearity"]
    if isinstance(gain, str) and gain != "exact":
        fail(func, "gain", gain, "use a number or 'exact'")
    if is_exact(gain):
        if nonlinearity is None:
            fail(func, "gain", gain, "gain='exact' needs nonlinearity=<activation>, e.g. "
                 "nonlinearity='gelu'")
        name, value = exact(func, nonlinearity, None)
        return {"gain": "exact", "nonlinearity": name}, value
    if nonlinearity is not None:
        fail(func, "nonlinearity", nonlinearity, "it is used only with gain='exact' (the exact "
             "gain of that activation); for PyTorch's value pass "
             "gain=initlab.calculate_gain(name)", why="is not used with a numeric gain")
    value = check_real(func, "gain", gain, positive=positive)
    return {"gain": value, "nonlinearity": None}, value
