"""Lazy, chunked initialization with dask: tensors larger than one machine's memory.

Every elementwise initializer can produce any region of its tensor on its own (see
:mod:`initlab.random`), so a ``dask.array`` whose chunks each call the initializer with
``region=`` equals, bit for bit, the in-memory result, and its chunks can be computed on any
worker of a ``dask.distributed`` cluster. Requires the ``dask`` extra
(``pip install "initlab[dask]"``); importing this module does not import dask.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from . import _blocks as blocks
from ._validate import check_dtype, check_rng, check_shape, fail
from .initializers import Initializer, get
from .initializers._core import DECLARATIONS, Declaration, declaration_named, declaration_of

__all__ = ["ELEMENTWISE", "array"]

#: Initializers that can be built chunk by chunk: the elementwise ones, from their
#: declarations (all but orthogonal, sparse, delta_orthogonal and conv_orthogonal).
ELEMENTWISE: tuple[str, ...] = tuple(d.name for d in DECLARATIONS.values() if d.elementwise)


def _require_dask() -> Any:
    try:
        import dask.array as da
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError('initlab.dask needs dask: pip install "initlab[dask]"') from exc
    return da


def array(
    init: object,
    shape: int | tuple[int, ...],
    *,
    chunks: Any = "auto",
    dtype: DTypeLike = np.float32,
    rng: object = None,
) -> Any:
    r"""A lazy ``dask.array`` holding ``init``'s tensor of ``shape``, built chunk by chunk.

    Parameters
    ----------
    init : str, dict or Initializer
        Anything :func:`initlab.get` accepts that is elementwise (every initializer but
        the orthogonal ones and ``sparse``: see ``ELEMENTWISE``).
    shape : tuple of int
        Shape of the whole tensor.
    chunks : dask chunks, default 'auto'
        Any chunk specification ``dask.array`` accepts (``'auto'``, ``1000``,
        ``(1000, -1)``, explicit tuples).
    dtype : {float32, float16, float64}, default float32
        Dtype of the tensor.
    rng : {None, int, numpy.random.Generator}, optional
        As for the in-memory initializers: the key is drawn now, once, so a ``Generator`` is
        advanced exactly as by the in-memory call, and every chunk uses that key.

    Returns
    -------
    dask.array.Array
        Computing it (whole or in parts, on any scheduler) gives exactly
        ``init(shape, dtype=dtype, rng=rng)``.

    Raises
    ------
    ImportError
        If dask is not installed.
    ValueError
        For a non-elementwise initializer, or invalid arguments (validated now, not at
        compute time).

    Notes
    -----
    Chunk :math:`c` with index ranges :math:`r_c` is computed as
    ``init(shape, dtype=dtype, rng=key, region=r_c)``, which draws only the blocks of
    :math:`2^{18}` elements that the chunk touches. Chunks aligned with whole rows of a
    C-ordered tensor touch the fewest blocks.

    References
    ----------
    .. [1] M. Rocklin, "Dask: Parallel Computation with Blocked algorithms and Task
       Scheduling", Proc. 14th Python in Science Conf. (SciPy 2015).

    Examples
    --------
    >>> import numpy as np, initlab
    >>> import initlab.dask
    >>> lazy = initlab.dask.array("he_normal", (4000, 500), chunks=(1000, 500), rng=0)
    >>> lazy.chunks[0]
    (1000, 1000, 1000, 1000)
    >>> bool((lazy.compute() == initlab.he_normal((4000, 500), rng=0)).all())
    True
    """
    func = "initlab.dask.array"
    da = _require_dask()
    named = init if isinstance(init, str) else (
        init.get("class_name") if isinstance(init, dict) else None)
    decl = declaration_named(named) if isinstance(named, str) else None
    if decl is not None and not decl.elementwise:  # before get(): sparse needs arguments
        fail(func, "init", init, f"{decl.name} is not elementwise (every value depends on the "
             "whole tensor); build it in memory")
    initializer = get(init)
    decl = declaration_of(initializer)
    if not isinstance(initializer, Initializer) or decl is None:
        fail(func, "init", init, "use a name, a config dict or an initlab Initializer",
             TypeError)
    if not decl.elementwise:
        fail(func, "init", init, f"{decl.name} is not elementwise (every value depends on the "
             "whole tensor); build it in memory")
    dims = check_shape(func, shape)
    dt = check_dtype(func, dtype)
    check_rng(func, rng)
    # Validate the configuration against the shape now: an empty region draws nothing.
    initializer(dims, dtype=dt, rng=0, region=tuple(slice(0, 0) for _ in dims) or None)
    accepted = "use a dask chunk specification with chunks of at least 1 element"
    try:
        normalized = da.core.normalize_chunks(chunks, dims, dtype=dt)
    except (ValueError, TypeError, ZeroDivisionError) as exc:
        fail(func, "chunks", chunks, f"{accepted} ({exc or type(exc).__name__})")
    if any(c <= 0 for axis, dim in zip(normalized, dims, strict=True) if dim for c in axis):
        fail(func, "chunks", chunks, accepted)
    key = blocks.FixedKey(blocks.derive_key(rng))

    def chunk(block_info: dict[Any, Any] | None = None) -> np.ndarray[Any, Any]:
        assert block_info is not None
        location = block_info[None]["array-location"]
        region = tuple(slice(start, stop) for start, stop in location)
        return initializer(dims, dtype=dt, rng=key, region=region or None, threads=1)

    from dask.base import tokenize

    token = f"initlab-{decl.name}-" + tokenize(repr(initializer), dims, dt.str, tuple(key))
    return da.map_blocks(chunk, chunks=normalized, dtype=dt, name=token,
                         meta=np.empty((0,) * len(dims), dt))


def _lazy(decl: Declaration) -> Callable[..., Any]:
    name = decl.name

    def lazy(shape: int | tuple[int, ...], *, chunks: Any = "auto",
             dtype: DTypeLike = np.float32, rng: object = None, **config: Any) -> Any:
        return array({"class_name": decl.class_name, "config": config}, shape, chunks=chunks,
                     dtype=dtype, rng=rng)

    lazy.__name__ = lazy.__qualname__ = name
    example = ", ".join([repr(decl.example_shape),
                         *(f"{k}={v!r}" for k, v in decl.example.items())])
    blocks_ = tuple(-(-d // 4) for d in decl.example_shape)
    lazy.__doc__ = f"""Lazy ``dask.array`` form of :func:`initlab.{name}`.

    ``initlab.dask.{name}(shape, *, chunks='auto', dtype=float32, rng=None, **config)``
    equals ``initlab.{name}(shape, **config, dtype=dtype, rng=rng)`` when computed; see
    :func:`initlab.dask.array`.

    References
    ----------
    .. [1] See :func:`initlab.{name}`.

    Examples
    --------
    >>> import initlab.dask
    >>> initlab.dask.{name}({example}, chunks=4).numblocks
    {blocks_}
    """
    return lazy


_ALIASES: list[str] = []
for _decl in DECLARATIONS.values():
    if _decl.elementwise:
        globals()[_decl.name] = _lazy(_decl)
        for _alias in _decl.aliases:
            if getattr(sys.modules[_decl.function.__module__], _alias, None) is _decl.function:
                globals()[_alias] = globals()[_decl.name]
                _ALIASES.append(_alias)
__all__ += [*ELEMENTWISE, *_ALIASES]


def __dir__() -> list[str]:
    return sorted(__all__)
