"""The block scheme that defines initlab's random values (internal; described in
:mod:`initlab.random`): threads, keys, per-block streams, the samplers and the driver."""

from __future__ import annotations

import math
import operator
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any, NamedTuple, Protocol

import numpy as np
from numpy.typing import NDArray
from scipy import special

from ._validate import check_int, fail, is_int
from ._workspace import Workspace

#: Elements per independent stream block (part of the definition of the values).
BLOCK = 1 << 18
#: Elements drawn and transformed per step inside a block (part of the definition too).
CHUNK = 1 << 16
#: Default thread cap when none is set.
MAX_DEFAULT_THREADS = 8

Array = NDArray[Any]
Key = tuple[int, int]
Region = tuple[slice | int, ...]

threads_setting: int | None = None
pool: ThreadPoolExecutor | None = None
pool_size = 0
pool_lock = threading.Lock()


# --------------------------------------------------------------------------------------------
# threads


@lru_cache(maxsize=1)
def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - non-Linux
        return os.cpu_count() or 1


def set_threads(threads: int | None) -> None:
    """Set the process-wide default number of threads for random generation.

    Parameters
    ----------
    threads : int or None
        Threads to use when a call passes ``threads=None``. ``None`` restores the default: the
        ``INITLAB_NUM_THREADS`` environment variable if set, else the cores this process may
        use, capped at 8.

    Raises
    ------
    ValueError, TypeError
        For anything but ``None`` or an integer >= 1.

    Notes
    -----
    The thread count never changes the values drawn (see :mod:`initlab.random`), only the
    speed.

    References
    ----------
    .. [1] NumPy, "Multithreaded Generation",
       https://numpy.org/doc/stable/reference/random/multithreading.html.

    Examples
    --------
    >>> import initlab
    >>> initlab.set_threads(1)
    >>> initlab.get_threads()
    1
    >>> initlab.set_threads(None)
    """
    global threads_setting
    threads_setting = None if threads is None else check_int(
        "set_threads", "threads", threads, minimum=1)


def get_threads() -> int:
    """Number of threads that a call with ``threads=None`` uses.

    Returns
    -------
    int
        The value from :func:`set_threads`, else ``INITLAB_NUM_THREADS``, else
        ``min(available cores, 8)``.

    References
    ----------
    .. [1] NumPy, "Multithreaded Generation",
       https://numpy.org/doc/stable/reference/random/multithreading.html.

    Examples
    --------
    >>> import initlab
    >>> initlab.get_threads() >= 1
    True
    """
    if threads_setting is not None:
        return threads_setting
    env = os.environ.get("INITLAB_NUM_THREADS", "").strip()
    if env.isdigit() and int(env) >= 1:
        return int(env)
    return max(1, min(available_cores(), MAX_DEFAULT_THREADS))


def check_threads(func: str, threads: object) -> int:
    """Resolve a ``threads=`` argument (``None`` means :func:`get_threads`)."""
    if threads is None:
        return get_threads()
    return check_int(func, "threads", threads, minimum=1)


def executor(size: int) -> ThreadPoolExecutor:
    global pool, pool_size
    with pool_lock:
        if pool is None or pool_size < size:
            if pool is not None:
                pool.shutdown(wait=False)
            pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="initlab")
            pool_size = size
        return pool


def run_blocks(nblocks: int, work: Callable[[Iterable[int]], None], threads: int) -> None:
    """Run ``work`` over the block indices ``range(nblocks)`` on ``threads`` threads.

    The calling thread works too, beside ``threads - 1`` pool threads, and every thread takes
    the next block not yet taken (a dynamic schedule), so a core that is slow or starts late
    does fewer blocks. Which thread draws a block never changes its values. All threads have
    finished when this returns, also when one of them raised.
    """
    threads = max(1, min(threads, nblocks))
    if threads == 1:
        work(range(nblocks))
        return
    lock = threading.Lock()
    taken = iter(range(nblocks))

    def blocks() -> Iterator[int]:
        while True:
            with lock:
                k = next(taken, None)
            if k is None:
                return
            yield k

    futures = [executor(threads - 1).submit(work, blocks()) for _ in range(threads - 1)]
    try:
        work(blocks())
    except BaseException:
        with lock:  # the other threads take no further block
            for _ in taken:
                pass
        raise
    finally:
        for future in futures:
            future.exception()  # wait for every thread before anything propagates
    for future in futures:
        future.result()


# --------------------------------------------------------------------------------------------
# keys and streams


class FixedKey(tuple):  # type: ignore[type-arg]
    """A call key fixed in advance (private): every chunk of a lazily built tensor uses the
    key its graph was built with, so chunks drawn on other machines agree."""


@lru_cache(maxsize=256)
def key_from_seed(seed: int) -> Key:
    raw = np.random.default_rng(seed).bit_generator.random_raw(2)
    return int(raw[0]), int(raw[1])


def derive_key(rng: object) -> Key:
    """The call's 128-bit key from a validated ``rng`` (see the module docstring)."""
    if isinstance(rng, FixedKey):
        return int(rng[0]), int(rng[1])
    if is_int(rng):
        return key_from_seed(operator.index(rng))  # type: ignore[arg-type]
    raw = np.random.default_rng(rng).bit_generator.random_raw(2)  # type: ignore[arg-type]
    return int(raw[0]), int(raw[1])


def block_generator(key: Key, k: int) -> np.random.Generator:
    """The generator of block ``k``."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(key, spawn_key=(0, k))))


def aux_generator(key: Key, j: int) -> np.random.Generator:
    """An auxiliary stream ``j`` of the key (e.g. the zero mask of ``sparse``)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(key, spawn_key=(1, j))))


# --------------------------------------------------------------------------------------------
# samplers: each fills a 1-d contiguous buffer (float32 or float64, <= CHUNK elements)


def scratch(ws: Workspace, name: str, n: int, dtype: type[np.generic]) -> Array:
    """A scratch view of ``n`` elements (buffers hold at least half a chunk)."""
    return ws.buffer(name, n, dtype, minimum=CHUNK // 2)


class Sampler(Protocol):
    """Fills ``buf`` with draws from a distribution using ``gen``."""

    def draw(self, gen: np.random.Generator, buf: Array, ws: Workspace) -> None: ...


TWO_PI = 2.0 * math.pi


def uniform24(gen: np.random.Generator, out: Array, ws: Workspace) -> None:
    r"""Fill float32 ``out`` with integers :math:`k \in [0, 2^{24})`, uniform.

    Each raw 64-bit output of the bit generator gives two values: its low and its high 32-bit
    halves (in that order, whatever the machine's byte order), shifted right by 8 bits, as
    ``Generator.random(dtype=float32)`` does with one 32-bit draw per value. Times
    :math:`2^{-24}` this is a uniform on [0, 1) with the same 24-bit resolution, at about 1.3x
    the speed (half as many calls into the generator).
    """
    n = out.size
    raw = gen.bit_generator.random_raw((n + 1) // 2)
    words = raw.astype("<u8", copy=False).view("<u4")[:n]  # no copy on little-endian machines
    np.right_shift(words, 8, out=words)  # in place: ``raw`` is a fresh array of ours
    # k < 2**24 converts exactly either way; from int32 NumPy converts with SIMD (about 1.7x
    # faster than from uint32)
    np.copyto(out, words.view(np.int32), casting="unsafe")


def standard_normal(gen: np.random.Generator, buf: Array, ws: Workspace) -> None:
    r"""Fill ``buf`` with standard normals: Box-Muller in float32, NumPy's ziggurat in float64.

    For float32, with :math:`u` uniform on [0, 1) drawn in float64 (53 bits),
    :math:`w = 1 - u \in (0, 1]`, and :math:`v` uniform on [0, 1) with 24 bits
    (:func:`uniform24`), the first half of the buffer receives
    :math:`\sqrt{-2\ln w}\cos 2\pi v` and the second half :math:`\sqrt{-2\ln w}\sin 2\pi v`
    (Box and Muller 1958). The logarithm, square root, sine and cosine run in float32; the
    rounding of :math:`w` to float32 is corrected to first order,
    :math:`\ln w = \ln w_{32} + (w - w_{32})/w_{32}`, so that values near 0 keep their
    relative precision. The angle :math:`2\pi v`, computed in float32, is within one ulp
    (at most :math:`4.8 \times 10^{-7}`) of its exact value. The largest value is
    :math:`\sqrt{2 \cdot 53 \ln 2} = 8.57` (a normal exceeds it with probability
    :math:`10^{-17}`).
    """
    if buf.dtype != np.float32:
        gen.standard_normal(dtype=buf.dtype, out=buf)
        return
    n = buf.size
    if n % 2:
        tmp = scratch(ws, "odd", n + 1, np.float32)
        standard_normal(gen, tmp, ws)
        buf[...] = tmp[:n]
        return
    m = n // 2
    u, t = scratch(ws, "u", m, np.float64), scratch(ws, "t", m, np.float64)
    w32, d32 = scratch(ws, "w32", m, np.float32), scratch(ws, "d32", m, np.float32)
    r, s = buf[:m], buf[m:]
    gen.random(out=u)
    np.subtract(1.0, u, out=u)  # w in (0, 1], 53 bits
    np.copyto(w32, u, casting="unsafe")
    np.copyto(t, w32)
    np.subtract(u, t, out=u)  # w - w32, exact in float64
    np.copyto(d32, u, casting="unsafe")
    np.divide(d32, w32, out=d32)  # ln w = ln w32 + (w - w32) / w32, to ~1e-14 relative
    np.log(w32, out=r)
    r += d32
    r *= -2.0
    np.sqrt(r, out=r)
    uniform24(gen, w32, ws)
    w32 *= np.float32(TWO_PI * 2.0**-24)  # the angle 2 pi v, v = k / 2**24
    np.sin(w32, out=s)
    s *= r
    np.cos(w32, out=w32)
    r *= w32


class Uniform:
    r"""Uniform on :math:`[\text{low}, \text{high})`: ``low + (high - low) * u``.

    float32: :math:`u = k\,2^{-24}` with :math:`k` from :func:`uniform24`, computed as
    ``low + k * (width * 2**-24)``; float64: ``Generator.random`` (53 bits).
    """

    def __init__(self, low: float, high: float) -> None:
        self.low, self.width = low, high - low

    def draw(self, gen: np.random.Generator, buf: Array, ws: Workspace) -> None:
        if buf.dtype == np.float32:
            uniform24(gen, buf, ws)
            buf *= np.float32(self.width * 2.0**-24)
        else:
            gen.random(out=buf)
            if self.width != 1.0:
                buf *= self.width
        if self.low != 0.0:
            buf += self.low


class Normal:
    r"""Normal :math:`\mathcal{N}(\text{mean}, \text{std}^2)`."""

    def __init__(self, mean: float, std: float) -> None:
        self.mean, self.std = mean, std

    def draw(self, gen: np.random.Generator, buf: Array, ws: Workspace) -> None:
        standard_normal(gen, buf, ws)
        if self.std != 1.0:
            buf *= self.std
        if self.mean != 0.0:
            buf += self.mean


def truncnorm_mass(a: float, b: float) -> float:
    r""":math:`\Phi(b) - \Phi(a)`, computed on the side where it does not cancel."""
    if a > 0:
        return float(special.ndtr(-a) - special.ndtr(-b))
    return float(special.ndtr(b) - special.ndtr(a))


class TruncatedNormal:
    r"""Normal :math:`\mathcal{N}(\text{mean}, \text{std}^2)` restricted to
    :math:`[\text{mean} + a\,\text{std}, \text{mean} + b\,\text{std}]`, exactly.

    When the interval holds at least a quarter of the mass, a chunk of :math:`n` values is
    the first :math:`n` values inside :math:`[a, b]` of a stream of standard normals drawn in
    batches of about :math:`1.02\,n/P + 65` (:math:`P` the mass of the interval), as many
    batches as needed (one, but with probability below :math:`10^{-6}` for a full chunk of
    :math:`2^{16}` values): rejection sampling, exact; otherwise the inverse CDF
    is applied to uniforms in float64 on the tail where it is accurate. Either way every value
    lies in the interval: a final clip to the bounds (rounded inward in the output dtype)
    only removes the effect of rounding in ``mean + std * x``.
    """

    REJECTION_MIN_MASS = 0.25

    def __init__(self, mean: float, std: float, a: float, b: float, dtype: np.dtype[Any]
                 ) -> None:
        self.mean, self.std, self.a, self.b = mean, std, a, b
        self.mass = truncnorm_mass(a, b)
        self.rejection = self.mass >= self.REJECTION_MIN_MASS
        self.lo, self.hi = inward_bounds(mean + a * std, mean + b * std, dtype)
        # [a, b] in the dtype the normals are drawn in, rounded inward: a drawn x is accepted
        # exactly when a <= x <= b
        work = work_dtype(dtype).type
        self.a_work, self.b_work = (work(v) for v in inward_bounds(a, b, work_dtype(dtype)))
        # Inverse-CDF set-up, mirrored so that the interval lies where ndtr is accurate.
        self.flip = a > 0
        lo_t, hi_t = (-b, -a) if self.flip else (a, b)
        self.p_lo, self.p_hi = float(special.ndtr(lo_t)), float(special.ndtr(hi_t))
        self.lo_t, self.hi_t = lo_t, hi_t

    def draw(self, gen: np.random.Generator, buf: Array, ws: Workspace) -> None:
        if self.rejection:
            a, b, n, filled = self.a_work, self.b_work, buf.size, 0
            while filled < n:  # the first n accepted values of batches of normals
                need = n - filled
                batch = 2 * ((int(need / self.mass * 1.02) + 65) // 2)
                candidates = scratch(ws, "candidates", batch, buf.dtype.type)
                inside = scratch(ws, "inside", batch, np.bool_)
                below_b = scratch(ws, "le_b", batch, np.bool_)
                standard_normal(gen, candidates, ws)
                np.greater_equal(candidates, a, out=inside)
                np.less_equal(candidates, b, out=below_b)
                np.logical_and(inside, below_b, out=inside)
                accepted = candidates[inside][:need]
                buf[filled:filled + accepted.size] = accepted
                filled += accepted.size
        else:
            u = gen.random(buf.size)
            u *= self.p_hi - self.p_lo
            u += self.p_lo
            x = special.ndtri(u, out=u)
            np.clip(x, self.lo_t, self.hi_t, out=x)
            if self.flip:
                np.negative(x, out=x)
            buf[...] = x
        if self.std != 1.0:
            buf *= self.std
        if self.mean != 0.0:
            buf += self.mean
        np.clip(buf, self.lo, self.hi, out=buf)


def inward_bounds(lo: float, hi: float, dtype: np.dtype[Any]) -> tuple[float, float]:
    """``lo`` and ``hi`` rounded to ``dtype`` towards the inside of ``[lo, hi]``."""
    work = np.dtype(np.float64) if dtype == np.float64 else np.dtype(np.float32)
    lo_d, hi_d = work.type(lo), work.type(hi)
    if math.isfinite(lo) and float(lo_d) < lo:
        lo_d = np.nextafter(lo_d, work.type(np.inf))
    if math.isfinite(hi) and float(hi_d) > hi:
        hi_d = np.nextafter(hi_d, work.type(-np.inf))
    if dtype == np.float16:  # the float16 cast happens after the clip: round inward again
        lo16, hi16 = np.float16(lo_d), np.float16(hi_d)
        if math.isfinite(lo) and float(lo16) < lo:
            lo16 = np.nextafter(lo16, np.float16(np.inf))
        if math.isfinite(hi) and float(hi16) > hi:
            hi16 = np.nextafter(hi16, np.float16(-np.inf))
        return float(lo16), float(hi16)
    return float(lo_d), float(hi_d)


# --------------------------------------------------------------------------------------------
# the driver


def work_dtype(dtype: np.dtype[Any]) -> np.dtype[Any]:
    """Dtype the samplers draw in: float64 for float64, float32 otherwise."""
    return np.dtype(np.float64) if dtype == np.float64 else np.dtype(np.float32)


def fill_block(sampler: Sampler, key: Key, k: int, dest: Array, ws: Workspace) -> None:
    gen = block_generator(key, k)
    cast = None if dest.dtype == work_dtype(dest.dtype) else scratch(
        ws, "cast", CHUNK, work_dtype(dest.dtype).type)
    for off in range(0, dest.size, CHUNK):
        part = dest[off:off + CHUNK]
        if cast is None:
            sampler.draw(gen, part, ws)
        else:
            tmp = cast[:part.size]
            sampler.draw(gen, tmp, ws)
            part[...] = tmp


def check_region(func: str, region: object, shape: tuple[int, ...]
                 ) -> tuple[tuple[slice | int, ...], tuple[int, ...]]:
    """Validate ``region``; return it normalized (one entry per axis) and its shape."""
    accepted = (f"use a tuple of at most {len(shape)} slices or ints that indexes shape "
                f"{shape}")
    items = region if isinstance(region, tuple) else (region,)
    if len(items) > len(shape):
        fail(func, "region", region, accepted)
    normalized: list[slice | int] = []
    out_shape: list[int] = []
    for item, dim in zip(items + (slice(None),) * (len(shape) - len(items)), shape, strict=True):
        if isinstance(item, slice):
            for part in (item.start, item.stop, item.step):
                if part is not None and not is_int(part):
                    fail(func, "region", region, accepted, TypeError)
            if item.step is not None and operator.index(item.step) == 0:
                fail(func, "region", region, accepted + " (slice step cannot be zero)")
            start, stop, step = item.indices(dim)
            normalized.append(slice(start, stop, step))
            out_shape.append(len(range(start, stop, step)))
        elif is_int(item):
            index = operator.index(item)
            if not -dim <= index < dim:
                fail(func, "region", region, accepted + f" (index {index} is out of range)")
            normalized.append(index % dim)
        else:
            fail(func, "region", region, accepted, TypeError)
    return tuple(normalized), tuple(out_shape)


def region_indices(region: tuple[slice | int, ...], shape: tuple[int, ...]) -> Array:
    """Flat C-order indices of ``region`` in a tensor of ``shape``, in the region's order."""
    strides = [math.prod(shape[i + 1:]) for i in range(len(shape))]
    parts: list[Array] = []
    for item, stride in zip(region, strides, strict=True):
        if isinstance(item, slice):
            parts.append(np.arange(item.start, item.stop, item.step, dtype=np.int64) * stride)
        else:
            parts.append(np.array([item * stride], dtype=np.int64))
    flat = np.zeros(1, dtype=np.int64)
    for part in parts:
        flat = (flat[:, None] + part[None, :]).ravel()
    return flat


def generate(
    sampler: Sampler,
    shape: tuple[int, ...],
    dtype: np.dtype[Any],
    key: Key,
    *,
    out: Array | None = None,
    threads: int = 1,
    region: tuple[slice | int, ...] | None = None,
    region_shape: tuple[int, ...] | None = None,
) -> Array:
    """Draw a tensor of ``shape`` (or its ``region``) under the block scheme.

    Arguments are validated by the caller. ``out`` (if given) has the result's shape and
    dtype.
    """
    result_shape = shape if region is None else region_shape
    assert result_shape is not None
    result = out if out is not None else np.empty(result_shape, dtype)
    if result.size == 0:
        return result
    n = math.prod(shape)
    if region is None:
        direct = result.flags.c_contiguous
        pending = deferred.get()
        if pending is not None and direct and out is not None:
            pending.append(Deferred(sampler, key, result.reshape(-1)))
            return result
        flat = result.reshape(-1) if direct else np.empty(n, dtype)

        def work(blocks: Iterable[int]) -> None:
            ws = Workspace()
            for k in blocks:
                fill_block(sampler, key, k, flat[k * BLOCK:(k + 1) * BLOCK], ws)

        run_blocks(-(-n // BLOCK), work, threads)
        if not direct:
            np.copyto(result, flat.reshape(shape))
        return result

    index = region_indices(region, shape)
    order = np.argsort(index, kind="stable") if np.any(np.diff(index) < 0) else None
    sorted_index = index if order is None else index[order]
    block_of = sorted_index // BLOCK
    starts = np.concatenate(([0], np.flatnonzero(np.diff(block_of)) + 1, [index.size]))
    blocks = block_of[starts[:-1]]
    target = result.reshape(-1) if result.flags.c_contiguous else np.empty(index.size, dtype)

    def work_region(selected: Iterable[int]) -> None:
        buffer = np.empty(BLOCK, dtype)
        ws = Workspace()
        for j in selected:
            k = int(blocks[j])
            size = min(BLOCK, n - k * BLOCK)
            fill_block(sampler, key, k, buffer[:size], ws)
            lo, hi = starts[j], starts[j + 1]
            values = buffer[sorted_index[lo:hi] - k * BLOCK]
            if order is None:
                target[lo:hi] = values
            else:
                target[order[lo:hi]] = values

    run_blocks(blocks.size, work_region, threads)
    if not result.flags.c_contiguous:
        np.copyto(result, target.reshape(result.shape))
    return result


# --------------------------------------------------------------------------------------------
# batches: the blocks of many tensors on one schedule


class Deferred(NamedTuple):
    """A whole-tensor draw whose blocks :func:`batch` runs later."""

    sampler: Sampler
    key: Key
    flat: Array  # the destination, C-contiguous, flattened


#: The draws deferred in this context by :func:`batch` (``None``: draw at once).
deferred: ContextVar[list[Deferred] | None] = ContextVar("initlab_deferred", default=None)


@contextmanager
def batch(threads: int | None = None) -> Iterator[list[Deferred]]:
    """Defer whole-tensor draws into a given C-contiguous ``out`` made in this context, then
    draw the blocks of all of them on one schedule when it exits.

    Inside the context, :func:`generate` called without ``region`` and with a C-contiguous
    ``out`` only records the draw (its sampler, key and destination) and returns ``out``
    unfilled: the caller must not read it before the context exits, so use this only around
    initializers that return :func:`generate`'s result untouched (the elementwise ones). At
    exit, every block of every recorded tensor becomes one piece of work in a single queue,
    the full blocks first and then the partial ones, largest first, and :func:`run_blocks`
    hands them to ``threads`` threads (default :func:`get_threads`): the small tensors fill
    the gaps of the large ones and no thread waits at a per-tensor barrier. Each block is
    drawn by :func:`fill_block` from its own stream, exactly as :func:`generate` draws it, so
    the values do not change. If the body raises, nothing recorded is drawn.
    """
    pending: list[Deferred] = []
    token = deferred.set(pending)
    try:
        yield pending
    finally:
        deferred.reset(token)
    run_deferred(pending, get_threads() if threads is None else threads)


def run_deferred(pending: list[Deferred], threads: int) -> None:
    """Draw every block of the ``pending`` tensors on one dynamic schedule."""
    pieces = [(min(BLOCK, d.flat.size - k * BLOCK), i, k)
              for i, d in enumerate(pending) for k in range(-(-d.flat.size // BLOCK))]
    pieces.sort(key=lambda piece: -piece[0])  # stable: a tensor's blocks stay in order

    def work(selected: Iterable[int]) -> None:
        ws = Workspace()
        for j in selected:
            _, i, k = pieces[j]
            d = pending[i]
            fill_block(d.sampler, d.key, k, d.flat[k * BLOCK:(k + 1) * BLOCK], ws)

    run_blocks(len(pieces), work, threads)
