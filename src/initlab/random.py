r"""Reproducible, block-parallel random generation: the scheme that defines initlab's values.

The values of a seeded initializer are defined block by block, so that they do not depend on
how many threads draw them, or on whether the tensor is drawn whole or piece by piece:

1. **Key.** ``rng`` (``None``, an int seed or a ``numpy.random.Generator``, SPEC 7) is
   normalized once with ``numpy.random.default_rng(rng)``, and two raw 64-bit words are
   drawn from its bit generator: that is the call's 128-bit key. A ``Generator`` passed by
   the caller is therefore advanced by exactly two raw draws per call, whatever the tensor's
   size; an int seed gives the same key, hence the same tensor, on every call.
2. **Blocks.** The tensor is flattened in C order and cut into blocks of ``BLOCK`` =
   2\ :sup:`18` elements. Block :math:`k` is drawn from its own stream,
   ``Generator(PCG64(SeedSequence(key, spawn_key=(0, k))))`` (NumPy's standard way of spawning
   independent streams), in steps of ``CHUNK`` = 2\ :sup:`16` elements that are each drawn
   and transformed (scaled, shifted, truncated) while they sit in the CPU cache.
3. **Threads.** Blocks are independent, so any number of threads may draw them; NumPy
   releases the GIL while it generates and while it scales. The calling thread and the pool's
   threads each take the next block not yet taken, so a slow core simply draws fewer blocks.
4. **Regions.** Any sub-tensor (``region=`` a tuple of slices) is produced by drawing only
   the blocks it touches, so ``f(shape, rng=s, region=r)`` equals ``f(shape, rng=s)[r]`` bit
   for bit.

Guarantee: for a given NumPy version (its PCG64, SeedSequence and samplers), the same
``rng`` gives the same bits on any machine and for any thread count. Initializers that are
not elementwise (orthogonal, sparse, delta_orthogonal, conv_orthogonal) use the same scheme
for their random numbers but cannot produce a region without the whole tensor.
"""

from __future__ import annotations

from ._blocks import BLOCK as BLOCK
from ._blocks import CHUNK as CHUNK
from ._blocks import get_threads as get_threads
from ._blocks import set_threads as set_threads

__all__ = ["BLOCK", "CHUNK", "get_threads", "set_threads"]
