"""Lazy, chunked initialization with dask: tensors larger than one machine's memory.

Every elementwise initializer can produce any region of its tensor on its own (see
:mod:`initlab.random`), so a ``dask.array`` whose chunks each call the initializer with
``region=`` equals, bit for bit, the in-memory result, and its chunks can be computed on any
worker of a ``dask.distributed`` cluster. Requires the ``dask`` extra
(``pip install "initlab[dask]"``); importing this module does not import dask.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from . import random as _random
from ._validate import check_dtype, check_rng, check_shape, fail
from .initializers import INITIALIZERS, Initializer, _lookup, get

__all__ = ["ELEMENTWISE", "array"]

#: Initializers that can be built chunk by chunk (all but orthogonal and sparse).
ELEMENTWISE: tuple[str, ...] = tuple(n for n in INITIALIZERS if n not in ("orthogonal", "sparse"))


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
        ``orthogonal`` and ``sparse``).
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
    if isinstance(init, str) or (isinstance(init, dict) and "class_name" in init):
        name = _lookup(init if isinstance(init, str) else init["class_name"])._name
        if name not in ELEMENTWISE:
            fail(func, "init", init, f"{name} is not elementwise (every value depends on the "
                 "whole tensor); build it in memory")
    initializer = get(init)
    if not isinstance(initializer, Initializer):
        fail(func, "init", init, "use a name, a config dict or an initlab Initializer",
             TypeError)
    name = type(initializer)._name
    if name not in ELEMENTWISE:
        fail(func, "init", init, f"{name} is not elementwise (every value depends on the "
             "whole tensor); build it in memory")
    dims = check_shape(func, shape)
    dt = check_dtype(func, dtype)
    check_rng(func, rng)
    # Validate the configuration against the shape now: an empty region draws nothing.
    initializer(dims, dtype=dt, rng=0, region=tuple(slice(0, 0) for _ in dims) or None)
    try:
        normalized = da.core.normalize_chunks(chunks, dims, dtype=dt)
    except (ValueError, TypeError) as exc:
        fail(func, "chunks", chunks, f"use a dask chunk specification ({exc})")
    key = _random.FixedKey(_random.derive_key(rng))

    def chunk(block_info: dict[Any, Any] | None = None) -> np.ndarray[Any, Any]:
        assert block_info is not None
        location = block_info[None]["array-location"]
        region = tuple(slice(start, stop) for start, stop in location)
        return initializer(dims, dtype=dt, rng=key, region=region or None, threads=1)

    from dask.base import tokenize

    token = f"initlab-{name}-" + tokenize(repr(initializer), dims, dt.str, tuple(key))
    return da.map_blocks(chunk, chunks=normalized, dtype=dt, name=token,
                         meta=np.empty((0,) * len(dims), dt))


def _named(name: str) -> Callable[..., Any]:
    def lazy(shape: int | tuple[int, ...], *, chunks: Any = "auto",
             dtype: DTypeLike = np.float32, rng: object = None, **config: Any) -> Any:
        return array({"class_name": name, "config": config}, shape, chunks=chunks,
                     dtype=dtype, rng=rng)

    lazy.__name__ = lazy.__qualname__ = name
    example = {"constant": "(8, 6), value=1.0", "dirac": "(8, 8, 3)"}.get(name, "(8, 6)")
    blocks = (2, 2, 1) if name == "dirac" else (2, 2)
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
    {blocks}
    """
    return lazy


for _name in ELEMENTWISE:
    globals()[_name] = _named(_name)
_ALIASES = {"glorot_uniform": "xavier_uniform", "glorot_normal": "xavier_normal",
            "he_uniform": "kaiming_uniform", "he_normal": "kaiming_normal", "identity": "eye"}
for _alias, _target in _ALIASES.items():
    globals()[_alias] = globals()[_target]
__all__ += [*ELEMENTWISE, *_ALIASES]


def __dir__() -> list[str]:
    return sorted(__all__)
