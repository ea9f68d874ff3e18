"""Structured initializers: orthogonal, eye (identity), dirac, sparse."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import scipy.linalg
import scipy.linalg.lapack
from numpy.typing import DTypeLike

from .. import _blocks as blocks
from .._validate import check_int, check_real, fail, normalize_axes
from ..fans import check_fan_args, check_layout
from ._core import (
    MAX_SIGMAS,
    Array,
    Axes,
    Call,
    Config,
    Moments,
    RegionArg,
    Shape,
    apply,
    check_memory,
    check_representable,
    declare,
    doc,
    gain_or_exact,
)
from .objects import initializer_class

__all__ = [
    "ConvOrthogonal",
    "DeltaOrthogonal",
    "Dirac",
    "Eye",
    "Identity",
    "Orthogonal",
    "Sparse",
    "conv_orthogonal",
    "delta_orthogonal",
    "dirac",
    "eye",
    "identity",
    "orthogonal",
    "sparse",
]


def _check_orthogonal(func: str, p: Config) -> Config:
    own, _ = gain_or_exact(func, p, positive=False)
    spec = check_fan_args(func, p["layout"], batch_axis=p["batch_axis"])
    return {**own, "layout": spec.layout, "batch_axis": spec.batch_axis}


def _stacked_dims(func: str, shape: tuple[int, ...], layout: str, batch_axis: object
                  ) -> tuple[tuple[int, ...], tuple[int, ...], int, int]:
    """Batch axes (sorted), the shape of one matrix, and its rows and columns."""
    batch = tuple(sorted(normalize_axes(func, "batch_axis", batch_axis, len(shape))))
    block = tuple(d for i, d in enumerate(shape) if i not in batch)
    if batch and len(block) < 2:
        fail(func, "shape", shape, f"use at least 2 dimensions besides batch_axis={batch_axis}",
             why=f"has {len(block)} besides the batch axes")
    rows, cols = _matrix_dims(func, block, layout)
    return batch, block, rows, cols


def _matrix_dims(func: str, shape: tuple[int, ...], layout: str) -> tuple[int, int]:
    if len(shape) < 2:
        fail(func, "shape", shape, "use a shape with at least 2 dimensions",
             why=f"has {len(shape)} dimension{'s' if len(shape) != 1 else ''}")
    if layout == "out_in":
        return shape[0], math.prod(shape[1:])
    return math.prod(shape[:-1]), shape[-1]


def _haar_columns(c: Array) -> Array:
    """Orthonormal columns of a Haar-distributed matrix, from a C-ordered (k, m) Gaussian ``c``.

    Row ``i`` of ``c`` is column ``i`` of an (m, k) Gaussian matrix ``A`` (m >= k). Instead of
    factoring ``A`` (LAPACK ``geqrf``), the Householder reflector of column ``i`` is built
    directly from ``A[i:, i]``, as ``geqrf`` would build it from an i.i.d. Gaussian vector
    (Stewart 1980); ``orgqr`` then forms ``Q`` and the columns are multiplied by the signs of
    ``R``'s diagonal (Mezzadri 2007). Overwrites ``c``; returns an (m, k) Fortran-ordered array.
    """
    k = c.shape[0]
    tau = np.zeros(k, c.dtype)
    signs = np.ones(k, c.dtype)
    for i in range(k):
        column = c[i, i:]
        alpha, rest = float(column[0]), column[1:]
        xnorm = math.sqrt(float(np.dot(rest, rest))) if rest.size else 0.0
        if xnorm == 0.0:  # H = I, R_ii = alpha (LAPACK slarfg)
            signs[i] = -1.0 if alpha < 0 else 1.0
            continue
        beta = -math.copysign(math.hypot(alpha, xnorm), alpha)
        tau[i] = (beta - alpha) / beta
        rest *= 1.0 / (alpha - beta)
        signs[i] = 1.0 if beta > 0 else -1.0
    orgqr = scipy.linalg.lapack.dorgqr if c.dtype == np.float64 else scipy.linalg.lapack.sorgqr
    a = c.T  # (m, k), Fortran-ordered: no copy
    lwork = int(orgqr(a, tau, lwork=-1)[1][0])
    q, _, info = orgqr(a, tau, lwork=max(lwork, 1), overwrite_a=1)
    if info != 0:  # pragma: no cover - LAPACK argument error
        raise RuntimeError(f"orthogonal: LAPACK ?orgqr failed with info={info}")
    q *= signs
    result: Array = q
    return result


def _haar_matrices(count: int, rows: int, cols: int, gain: float, work: np.dtype[Any],
                   key: blocks.Key, threads: int) -> Iterator[Array]:
    """``count`` independent Haar (rows, cols) matrices times ``gain``, in ``work``.

    One Gaussian stream for all of them, matrix ``i`` from its ``i``-th (small, big) slab:
    for ``count=1`` this is the (small, big) draw of a single matrix.
    """
    big, small = max(rows, cols), min(rows, cols)
    c = blocks.generate(blocks.Normal(0.0, 1.0), (count, small, big), work, key,
                        threads=threads)
    for i in range(count):
        q = _haar_columns(c[i])  # (big, small), orthonormal columns
        if gain != 1.0:
            q *= gain
        yield q.T if rows < cols else q


def _run_orthogonal(func: str, call: Call, p: Config) -> Array:
    batch, block, rows, cols = _stacked_dims(func, call.shape, p["layout"], p["batch_axis"])
    _, gain = gain_or_exact(func, p, positive=False)
    check_representable(func, "gain", gain, abs(gain), call.dtype)
    work = blocks.work_dtype(call.dtype)
    check_memory(func, call.shape, work)
    result = call.new()
    if call.empty:
        return result
    batch_shape = tuple(call.shape[i] for i in batch)
    count = math.prod(batch_shape)
    matrices = _haar_matrices(count, rows, cols, gain, work, call.key(), call.threads)
    if not batch:
        np.copyto(result, next(matrices).reshape(block), casting="same_kind")
        return result
    stacked = np.empty((count, *block), work)
    for i, matrix in enumerate(matrices):
        stacked[i] = matrix.reshape(block)
    # batch axes first -> their places in the shape
    moved = np.moveaxis(stacked.reshape(batch_shape + block), range(len(batch)), batch)
    np.copyto(result, moved, casting="same_kind")
    return result


def _orthogonal_moments(func: str, p: Config, shape: tuple[int, ...]) -> tuple[float, float]:
    _, _, rows, cols = _stacked_dims(func, shape, p["layout"], p["batch_axis"])
    return 0.0, gain_or_exact(func, p, positive=False)[1] ** 2 / max(rows, cols)


@declare(check=_check_orthogonal, run=_run_orthogonal, elementwise=False,
         class_name="Orthogonal", moments=_orthogonal_moments, quiet=("batch_axis",),
         summary="Haar (semi-)orthogonal times gain")
@doc
def orthogonal(shape: Shape, *, gain: float | str = 1.0, nonlinearity: str | None = None,
               layout: str = "in_out", batch_axis: Axes = (),
               dtype: DTypeLike = np.float32, rng: object = None, out: Array | None = None,
               threads: int | None = None, region: RegionArg = None) -> Array:
    r"""(Semi-)orthogonal initializer, Haar-distributed, times ``gain``.

    Parameters
    ----------
    shape : tuple of int
        Shape of the tensor, at least 2-d. It is flattened to a matrix as PyTorch does for
        ``layout='out_in'`` (rows ``shape[0]``, columns the rest) and as Keras and JAX do for
        ``layout='in_out'`` (columns ``shape[-1]``, rows the rest).
    gain : float or 'exact', default 1
        Multiplies the matrix (every singular value equals ``abs(gain)``); ``'exact'`` takes
        the exact forward gain of ``nonlinearity`` (:func:`gain`).
    nonlinearity : str, optional
        Activation after this layer, used only with ``gain='exact'``.
    layout : {'in_out', 'out_in'} or alias, default 'in_out'
        How the tensor is flattened (see ``shape``).
    batch_axis : int or tuple of int, default ()
        Axes that index independent matrices (stacked gates, heads, ensembles): each matrix,
        the tensor at fixed indices of these axes, is flattened by ``layout`` from the other
        axes and is orthogonal on its own. ``orthogonal((4, H, n), batch_axis=0,
        layout='torch')`` gives the four ``(H, n)`` gate blocks of a PyTorch LSTM weight
        ``(4H, n)`` (after ``.reshape(4 * H, n)``). The default ``()`` is one matrix.
    %(common_parameters)s
        ``region`` is not accepted: every value depends on the whole matrix.

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    See Also
    --------
    eye, dirac

    Notes
    -----
    With the flattened matrix :math:`r \times c`, :math:`Q` is the Q factor of a
    :math:`\max(r,c) \times \min(r,c)` matrix :math:`A` with i.i.d. :math:`\mathcal{N}(0,1)`
    entries, times :math:`\mathrm{diag}(\mathrm{sign}\,R_{ii})`, transposed if :math:`r < c`.
    The sign correction makes :math:`Q` Haar-distributed (Mezzadri 2007); without it LAPACK's
    Householder convention biases :math:`Q`. The factorization itself is not computed: the
    Householder vectors that LAPACK's ``geqrf`` would derive from :math:`A` are independent
    Gaussian vectors of lengths :math:`m, m-1, \ldots`, so they are drawn directly and only
    ``orgqr`` runs (Stewart 1980): half the flops of a QR, the same distribution. Then

    .. math:: W^\top W = g^2 I\ (r \ge c) \quad\text{or}\quad WW^\top = g^2 I\ (r < c),
              \qquad \mathbb{E}\,W_{ij}^2 = \frac{g^2}{\max(r, c)}\ \text{exactly}.

    With ``batch_axis``, the matrices are drawn from consecutive slabs of one Gaussian stream
    (in C order of the batch indices), so they are independent Haar matrices; the
    whole-tensor guarantees (same seed, same bits, any thread count) hold as without.

    LAPACK runs in float32 (SciPy's ``sorgqr``) for float16 and float32 results, then float16 is
    rounded: PyTorch, Keras and TensorFlow fail in half precision (pytorch/pytorch#9315).

    References
    ----------
    .. [1] A. M. Saxe, J. L. McClelland and S. Ganguli, "Exact solutions to the nonlinear
       dynamics of learning in deep linear neural networks", ICLR 2014, arXiv:1312.6120.
    .. [2] F. Mezzadri, "How to generate random matrices from the classical compact groups",
       Notices of the AMS 54(5), 2007, arXiv:math-ph/0609050.
    .. [3] G. W. Stewart, "The efficient generation of random orthogonal matrices with an
       application to condition estimators", SIAM J. Numer. Anal. 17(3), 403-409, 1980.

    Examples
    --------
    >>> import numpy as np, initlab
    >>> w = initlab.orthogonal((64, 32), rng=0)
    >>> bool(np.allclose(w.T @ w, np.eye(32), atol=1e-5))
    True
    >>> gates = initlab.orthogonal((4, 16, 8), batch_axis=0, layout="torch", rng=0)
    >>> all(np.allclose(g.T @ g, np.eye(8), atol=1e-5) for g in gates)
    True
    """
    return apply(orthogonal, shape, dtype, rng, out, threads, region,
                 {"gain": gain, "nonlinearity": nonlinearity, "layout": layout,
                  "batch_axis": batch_axis})


def _check_eye(func: str, p: Config) -> Config:
    return {"gain": check_real(func, "gain", p["gain"])}


def _run_eye(func: str, call: Call, p: Config) -> Array:
    if len(call.shape) != 2:
        fail(func, "shape", call.shape, "use a 2-d shape (see dirac for convolutions)",
             why=f"has {len(call.shape)} dimensions")
    gain = p["gain"]
    check_representable(func, "gain", gain, abs(gain), call.dtype)
    result = call.new()
    if call.empty:
        return result
    result.fill(0)
    # the diagonal cells inside the region: rows and columns with the same index, found
    # among the region's row and column indices (O(n) work and memory, no dense mask)
    region = call.region or tuple(slice(0, d, 1) for d in call.shape)
    rows, cols = (np.atleast_1d(np.arange(r.start, r.stop, r.step) if isinstance(r, slice)
                                else np.asarray(r)) for r in region)
    _, at_row, at_col = np.intersect1d(rows, cols, assume_unique=True, return_indices=True)
    index = tuple(at for r, at in zip(region, (at_row, at_col), strict=True)
                  if isinstance(r, slice))
    if at_row.size:
        result[index] = gain
    return result




@declare(check=_check_eye, run=_run_eye, elementwise=True, class_name="Eye", moments=None,
         aliases=("identity",), summary="identity matrix times gain")
@doc
def eye(shape: Shape, *, gain: float = 1.0, dtype: DTypeLike = np.float32, rng: object = None,
        out: Array | None = None, threads: int | None = None,
        region: RegionArg = None) -> Array:
    r"""Identity matrix times ``gain`` (2-d; rectangular shapes get ones on the diagonal).

    Preserves the identity of as many inputs as possible in a dense layer (PyTorch's
    ``eye_``, Keras' ``Identity``). Alias: ``identity``.

    Parameters
    ----------
    shape : tuple of int
        2-d shape.
    gain : float, default 1
        Value on the diagonal.
    %(common_parameters)s

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    See Also
    --------
    dirac, orthogonal

    Notes
    -----
    .. math:: W_{ij} = g\,\delta_{ij}.

    Symmetric in the layout: the transpose of an identity is an identity.

    References
    ----------
    .. [1] Q. V. Le, N. Jaitly and G. E. Hinton, "A Simple Way to Initialize Recurrent
       Networks of Rectified Linear Units", arXiv:1504.00941, 2015.

    Examples
    --------
    >>> import initlab
    >>> initlab.eye((2, 3))
    array([[1., 0., 0.],
           [0., 1., 0.]], dtype=float32)
    """
    return apply(eye, shape, dtype, rng, out, threads, region, {"gain": gain})


def _check_dirac(func: str, p: Config) -> Config:
    return {"groups": check_int(func, "groups", p["groups"], minimum=1),
            "layout": check_layout(func, p["layout"])}


def _run_dirac(func: str, call: Call, p: Config) -> Array:
    shape, groups, layout = call.shape, p["groups"], p["layout"]
    if len(shape) not in (3, 4, 5):
        fail(func, "shape", shape, "use a 3-, 4- or 5-d convolution kernel",
             why=f"has {len(shape)} dimensions")
    if layout == "out_in":
        n_out, n_in, kernel = shape[0], shape[1], shape[2:]
    else:
        n_out, n_in, kernel = shape[-1], shape[-2], shape[:-2]
    if n_out % groups:
        fail(func, "groups", groups, f"groups must divide the {n_out} output channels of "
             f"shape {shape}")
    check_memory(func, shape, call.dtype)
    result = call.new()
    if call.empty:
        return result
    full = np.zeros(shape, call.dtype)
    per_group = n_out // groups
    centre = tuple(k // 2 for k in kernel)
    d = np.arange(min(per_group, n_in))
    outs = (np.arange(groups)[:, None] * per_group + d[None, :]).ravel()
    ins = np.tile(d, groups)
    index = (outs, ins, *centre) if layout == "out_in" else (*centre, ins, outs)
    full[index] = 1
    np.copyto(result, full if call.region is None else full[call.region])
    return result




@declare(check=_check_dirac, run=_run_dirac, elementwise=True, class_name="Dirac",
         moments=None, example_shape=(2, 2, 3), summary="identity convolution kernel")
@doc
def dirac(shape: Shape, *, groups: int = 1, layout: str = "in_out",
          dtype: DTypeLike = np.float32, rng: object = None, out: Array | None = None,
          threads: int | None = None, region: RegionArg = None) -> Array:
    r"""Dirac delta for 3-, 4- and 5-d convolution kernels: an identity convolution.

    Output channel :math:`g\cdot m + d` copies input channel :math:`d` at the kernel's centre
    tap (index ``k // 2`` along every spatial axis), for :math:`d < \min(m, C_{in})` in each
    of the ``groups`` groups of :math:`m = C_{out}/\text{groups}` output channels. As
    PyTorch's ``dirac_``.

    Parameters
    ----------
    shape : tuple of int
        ``(out, in, *kernel)`` for ``layout='out_in'``, ``(*kernel, in, out)`` for
        ``'in_out'``.
    groups : int, default 1
        Number of groups; must divide the output channels.
    layout : {'in_out', 'out_in'} or alias, default 'in_out'
        Where the channel axes are.
    %(common_parameters)s

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    See Also
    --------
    eye, orthogonal

    Notes
    -----
    .. math:: W[g m + d,\ d,\ \lfloor k/2 \rfloor] = 1,\ \text{all other entries } 0.

    For an even kernel size the "centre" is ``k // 2``, one past the middle, as in PyTorch.

    References
    ----------
    .. [1] S. Zagoruyko and N. Komodakis, "DiracNets: Training Very Deep Neural Networks
       Without Skip-Connections", arXiv:1706.00388, 2017.

    Examples
    --------
    >>> import initlab
    >>> w = initlab.dirac((2, 2, 3), layout="torch")
    >>> w[:, :, 1]
    array([[1., 0.],
           [0., 1.]], dtype=float32)
    """
    return apply(dirac, shape, dtype, rng, out, threads, region,
                 {"groups": groups, "layout": layout})


def _check_sparse(func: str, p: Config) -> Config:
    return {"sparsity": check_real(func, "sparsity", p["sparsity"], low=0.0, high=1.0),
            "std": check_real(func, "std", p["std"], nonnegative=True),
            "layout": check_layout(func, p["layout"])}


def _sparse_zeros(sparsity: float, n: int) -> int:
    """Zeros per column: ``ceil(sparsity * n)``, free of float round-up (0.3 * 10 -> 3)."""
    return min(n, math.ceil(round(sparsity * n, 9)))


def _sparse_outputs(func: str, shape: tuple[int, ...], layout: str) -> int:
    """Outputs per input unit of a 2-d ``shape``."""
    if len(shape) != 2:
        fail(func, "shape", shape, "use a 2-d shape", why=f"has {len(shape)} dimensions")
    return shape[0] if layout == "out_in" else shape[1]


def _sparse_moments(func: str, p: Config, shape: tuple[int, ...]) -> tuple[float, float]:
    n_out = _sparse_outputs(func, shape, p["layout"])
    return 0.0, (1 - _sparse_zeros(p["sparsity"], n_out) / n_out) * p["std"] ** 2


def _run_sparse(func: str, call: Call, p: Config) -> Array:
    _sparse_outputs(func, call.shape, p["layout"])
    check_memory(func, call.shape, call.dtype)
    std = p["std"]
    check_representable(func, "std", std, MAX_SIGMAS * std, call.dtype)
    result = call.new()
    if call.empty:
        return result
    key = call.key()
    direct = result.flags.c_contiguous
    values = result if direct else np.empty(call.shape, call.dtype)
    blocks.generate(blocks.Normal(0.0, std), call.shape, call.dtype, key, out=values,
                     threads=call.threads)
    # columns[j] are the outgoing weights of input unit j (PyTorch: a column of (out, in)).
    columns = values.T if p["layout"] == "out_in" else values
    n_in, n_out = columns.shape
    zeros_per = _sparse_zeros(p["sparsity"], n_out)
    if zeros_per:
        gen = blocks.aux_generator(key, 0)
        step = max(1, blocks.CHUNK // n_out)
        for start in range(0, n_in, step):
            stop = min(n_in, start + step)
            keys = gen.random((stop - start) * n_out).reshape(stop - start, n_out)
            if zeros_per < n_out:
                picked = np.argpartition(keys, zeros_per - 1, axis=1)[:, :zeros_per]
                np.put_along_axis(columns[start:stop], picked, 0, axis=1)
            else:
                columns[start:stop] = 0
    if not direct:
        np.copyto(result, values)
    return result




@declare(check=_check_sparse, run=_run_sparse, elementwise=False, class_name="Sparse",
         moments=_sparse_moments, example={"sparsity": 0.5},
         summary="N(0, std²) with a fixed number of zeros per input unit")
@doc
def sparse(shape: Shape, *, sparsity: float, std: float = 0.01, layout: str = "in_out",
           dtype: DTypeLike = np.float32, rng: object = None, out: Array | None = None,
           threads: int | None = None, region: RegionArg = None) -> Array:
    r"""Sparse initializer: each input unit keeps a random subset of its outgoing weights.

    Each input unit (a column of PyTorch's ``(out, in)`` weight, a row of the ``(in, out)``
    layout) gets exactly :math:`\lceil s\, n_{out} \rceil` zeros at positions drawn uniformly
    without replacement; the other weights are :math:`\mathcal{N}(0, \text{std}^2)`.

    Parameters
    ----------
    shape : tuple of int
        2-d shape.
    sparsity : float
        Fraction of zeros per input unit, in [0, 1] (PyTorch's meaning; Lasagne's ``Sparse``
        takes the fraction of non-zeros).
    std : float, default 0.01
        Standard deviation of the non-zero weights.
    layout : {'in_out', 'out_in'} or alias, default 'in_out'
        Which axis indexes the input units.
    %(common_parameters)s
        ``region`` is not accepted: the zero pattern of a unit spans all its outputs.

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s

    See Also
    --------

    Notes
    -----
    .. math:: \mathrm{Var}\,W = \left(1 - \frac{z}{n_{out}}\right)\sigma^2,\quad
              z = \lceil s\,n_{out} \rceil,\quad
              \text{kurtosis} = \frac{3\,n_{out}}{n_{out} - z}.

    Differences from PyTorch's ``sparse_``: the zero mask is drawn from ``rng`` too (PyTorch's
    uses the global generator, pytorch/pytorch PR #196941), the mask is drawn for all columns
    at once (PyTorch loops over columns, pytorch/pytorch#6021), and :math:`z` is computed
    without floating round-up (PyTorch's ``ceil(0.3 * 10)`` is 4).

    References
    ----------
    .. [1] J. Martens, "Deep learning via Hessian-free optimization", ICML 2010.

    Examples
    --------
    >>> import initlab
    >>> w = initlab.sparse((100, 50), sparsity=0.9, rng=0)
    >>> sorted(set((w == 0).sum(axis=1).tolist()))
    [45]
    """
    return apply(sparse, shape, dtype, rng, out, threads, region,
                 {"sparsity": sparsity, "std": std, "layout": layout})


# --------------------------------------------------------------------------------------------
# orthogonal convolution kernels (Xiao et al. 2018)


def _check_conv_orthogonal(func: str, p: Config) -> Config:
    own, _ = gain_or_exact(func, p, positive=False)
    return {**own, "layout": check_layout(func, p["layout"])}


def _conv_dims(func: str, shape: tuple[int, ...], layout: str, *, equal_kernel: bool
               ) -> tuple[tuple[int, ...], int, int]:
    """Kernel sizes, input and output channels of a 3-5-d kernel with ``in <= out``."""
    if len(shape) not in (3, 4, 5):
        fail(func, "shape", shape, "use a 3-, 4- or 5-d convolution kernel (1-d, 2-d or 3-d "
             "convolution)", why=f"has {len(shape)} dimension{'s' if len(shape) != 1 else ''}")
    if layout == "out_in":
        n_out, n_in, kernel = shape[0], shape[1], shape[2:]
    else:
        n_out, n_in, kernel = shape[-1], shape[-2], shape[:-2]
    if n_in > n_out:
        fail(func, "shape", shape, f"use in <= out: {n_in} input channels cannot map "
             f"isometrically to {n_out} outputs (JAX and TensorFlow refuse it too: fan_in "
             "must be less or equal than fan_out)")
    if equal_kernel and len(set(kernel)) > 1:
        fail(func, "shape", shape, "use equal kernel sizes along every spatial axis, as "
             "TensorFlow's ConvolutionOrthogonal2D/3D", why=f"has kernel sizes {kernel}")
    return kernel, n_in, n_out


def _place(kernel_in_out: Array, call: Call, layout: str) -> Array:
    """Copy a ``(*kernel, in, out)`` kernel into the result in ``layout``."""
    result = call.new()
    if layout == "out_in":
        d = kernel_in_out.ndim - 2
        kernel_in_out = kernel_in_out.transpose(d + 1, d, *range(d))
    np.copyto(result, kernel_in_out, casting="same_kind")
    return result


def _conv_moments(*, equal_kernel: bool) -> Moments:
    """Both kernels hold ``gain**2 * in`` in total squared value, spread over the shape."""

    def moments(func: str, p: Config, shape: tuple[int, ...]) -> tuple[float, float]:
        _, n_in, _ = _conv_dims(func, shape, p["layout"], equal_kernel=equal_kernel)
        gain = gain_or_exact(func, p, positive=False)[1]
        return 0.0, gain * gain * n_in / math.prod(shape)

    return moments


def _run_delta_orthogonal(func: str, call: Call, p: Config) -> Array:
    kernel, n_in, n_out = _conv_dims(func, call.shape, p["layout"], equal_kernel=False)
    _, gain = gain_or_exact(func, p, positive=False)
    check_representable(func, "gain", gain, abs(gain), call.dtype)
    check_memory(func, call.shape, call.dtype)
    if call.empty:
        return call.new()
    work = blocks.work_dtype(call.dtype)
    full = np.zeros((*kernel, n_in, n_out), work)
    centre = tuple((k - 1) // 2 for k in kernel)
    full[centre] = next(_haar_matrices(1, n_in, n_out, gain, work, call.key(), call.threads))
    return _place(full, call, p["layout"])


@declare(check=_check_conv_orthogonal, run=_run_delta_orthogonal, elementwise=False,
         class_name="DeltaOrthogonal", moments=_conv_moments(equal_kernel=False),
         example_shape=(3, 3, 4, 6),
         summary="zero but the spatial centre: orthogonal (in, out) times gain")
@doc
def delta_orthogonal(shape: Shape, *, gain: float | str = 1.0, nonlinearity: str | None = None,
                     layout: str = "in_out", dtype: DTypeLike = np.float32, rng: object = None,
                     out: Array | None = None, threads: int | None = None,
                     region: RegionArg = None) -> Array:
    r"""Delta-orthogonal convolution kernel: zero except an orthogonal matrix at the centre.

    The kernel of a 1-, 2- or 3-d convolution is zero at every spatial position except the
    centre, which holds a Haar-random ``(in, out)`` matrix with orthonormal rows, times
    ``gain``: the convolution is then an isometry of every input (any padding), the
    initialization with which Xiao et al. (2018) train 10,000-layer plain CNNs.

    Parameters
    ----------
    shape : tuple of int
        3-, 4- or 5-d kernel: ``(*kernel, in, out)`` for ``layout='in_out'``, ``(out, in,
        *kernel)`` for ``'out_in'``; ``in <= out``.
    gain : float or 'exact', default 1
        Multiplies the centre matrix (JAX's ``scale``); ``'exact'`` takes the exact forward
        gain of ``nonlinearity`` (:func:`gain`).
    nonlinearity : str, optional
        Activation after this layer, used only with ``gain='exact'``.
    layout : {'in_out', 'out_in'} or alias, default 'in_out'
        Where the channel axes are.
    %(common_parameters)s
        ``region`` is not accepted: the centre matrix depends on all its values.

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s
        A shape with ``in > out`` or a rank other than 3, 4, 5 raises ``ValueError``, as in
        JAX.

    See Also
    --------
    conv_orthogonal : orthogonal at every tap, not only at the centre.
    orthogonal, dirac

    Notes
    -----
    With :math:`c_i = \lfloor (k_i - 1)/2 \rfloor` the centre along spatial axis :math:`i`,

    .. math:: W[c_1, \ldots, c_d, :, :] = g\,H,\quad H H^\top = I_{in},\qquad
              W[t] = 0\ \text{for}\ t \ne c,\qquad
              \mathbb{E}\,W^2 = \frac{g^2\, n_{in}}{\prod_j s_j}.

    The centre is ``orthogonal((in, out), gain=gain, rng=rng)`` of the same ``rng`` (for both
    layouts: the ``'out_in'`` kernel holds its transpose). As JAX's
    ``jax.nn.initializers.delta_orthogonal`` (same centre :math:`\lfloor (k-1)/2 \rfloor`,
    same conditions); for an even kernel size that is one before the middle, where
    :func:`dirac` (as PyTorch's ``dirac_``) uses :math:`k/2`.

    References
    ----------
    .. [1] L. Xiao, Y. Bahri, J. Sohl-Dickstein, S. S. Schoenholz and J. Pennington,
       "Dynamical Isometry and a Mean Field Theory of CNNs: How to Train 10,000-Layer Vanilla
       Convolutional Neural Networks", ICML 2018, arXiv:1806.05393, Algorithm 1.
    .. [2] JAX, ``jax.nn.initializers.delta_orthogonal``.

    Examples
    --------
    >>> import numpy as np, initlab
    >>> w = initlab.delta_orthogonal((3, 3, 16, 32), rng=0)
    >>> centre = w[1, 1]
    >>> bool(np.allclose(centre @ centre.T, np.eye(16), atol=1e-5)), float(abs(w[0]).max())
    (True, 0.0)
    """
    return apply(delta_orthogonal, shape, dtype, rng, out, threads, region,
                 {"gain": gain, "nonlinearity": nonlinearity, "layout": layout})


def _symmetric_projection(q: Array, mask: Array) -> Array:
    r""":math:`P = Q\,\mathrm{diag}(m)\,Q^\top` (symmetric, :math:`P^2 = P`)."""
    c = q * mask
    projection: Array = c @ c.T
    return projection


def _two_taps(projections: list[Array]) -> Array:
    """The 2 x ... x 2 kernel of ``d`` projections: tap ``b`` is the product over axes of
    ``P_i`` (``b_i = 0``) or ``I - P_i`` (``b_i = 1``), in axis order (TensorFlow's
    ``_block_orth``)."""
    n, d = projections[0].shape[0], len(projections)
    eye = np.eye(n)
    taps = np.empty((*(2,) * d, n, n))
    for index in np.ndindex(*(2,) * d):
        product = eye
        for p, b in zip(projections, index, strict=True):
            product = product @ (p if b == 0 else eye - p)
        taps[index] = product
    return taps


def _matrix_conv(m1: Array, m2: Array) -> Array:
    """Full d-dimensional convolution of two kernels of n x n matrices:
    ``result[t] = sum_a m1[a] @ m2[t - a]``."""
    d, n = m1.ndim - 2, m1.shape[-1]
    k1, k2 = m1.shape[:d], m2.shape[:d]
    result = np.zeros((*(a + b - 1 for a, b in zip(k1, k2, strict=True)), n, n))
    for a in np.ndindex(*k1):
        for b in np.ndindex(*k2):
            result[tuple(i + j for i, j in zip(a, b, strict=True))] += m1[a] @ m2[b]
    return result


def _run_conv_orthogonal(func: str, call: Call, p: Config) -> Array:
    kernel, n_in, n_out = _conv_dims(func, call.shape, p["layout"], equal_kernel=True)
    _, gain = gain_or_exact(func, p, positive=False)
    check_representable(func, "gain", gain, abs(gain), call.dtype)
    check_memory(func, call.shape, np.dtype(np.float64))
    if call.empty:
        return call.new()
    d, k, n = len(kernel), kernel[0], n_out
    n_proj = d * (k - 1)
    key = call.key()
    # one Gaussian stream: matrix 0 for the rows, then one per projection (float64, so the
    # products of up to 3 (k - 1) projections stay orthogonal to ~1e-13)
    gauss = blocks.generate(blocks.Normal(0.0, 1.0), (1 + n_proj, n, n), np.dtype(np.float64),
                            key, threads=call.threads)
    masks = blocks.aux_generator(key, 0).random((n_proj, n)) < 0.5
    haar = [_haar_columns(gauss[i]) for i in range(1 + n_proj)]
    rows = haar[0].T[:n_in]  # (in, n): orthonormal rows
    if k == 1:
        taps = np.eye(n).reshape((*(1,) * d, n, n))
    else:
        projections = [_symmetric_projection(q, m)
                       for q, m in zip(haar[1:], masks, strict=True)]
        taps = _two_taps(projections[:d])
        for j in range(1, k - 1):
            taps = _matrix_conv(taps, _two_taps(projections[j * d:(j + 1) * d]))
    full = np.einsum("ij,...jk->...ik", rows, taps)  # (*kernel, in, out)
    if gain != 1.0:
        full *= gain
    return _place(full, call, p["layout"])


@declare(check=_check_conv_orthogonal, run=_run_conv_orthogonal, elementwise=False,
         class_name="ConvOrthogonal", moments=_conv_moments(equal_kernel=True),
         example_shape=(3, 3, 4, 6),
         summary="block-orthogonal kernel: circular convolution is an isometry")
@doc
def conv_orthogonal(shape: Shape, *, gain: float | str = 1.0, nonlinearity: str | None = None,
                    layout: str = "in_out", dtype: DTypeLike = np.float32, rng: object = None,
                    out: Array | None = None, threads: int | None = None,
                    region: RegionArg = None) -> Array:
    r"""Orthogonal convolution kernel (block-orthogonal, Xiao et al. 2018, Algorithm 2).

    A random kernel whose 1-, 2- or 3-d convolution with circular padding is an isometry
    times ``gain`` (for ``in <= out``): every tap is used, unlike :func:`delta_orthogonal`.
    As TensorFlow 1's ``ConvolutionOrthogonal1D/2D/3D``.

    Parameters
    ----------
    shape : tuple of int
        3-, 4- or 5-d kernel with equal spatial sizes: ``(*kernel, in, out)`` for
        ``layout='in_out'``, ``(out, in, *kernel)`` for ``'out_in'``; ``in <= out``.
    gain : float or 'exact', default 1
        Multiplies the kernel: the convolution scales the 2-norm of every input by
        ``abs(gain)``. ``'exact'`` takes the exact forward gain of ``nonlinearity``.
    nonlinearity : str, optional
        Activation after this layer, used only with ``gain='exact'``.
    layout : {'in_out', 'out_in'} or alias, default 'in_out'
        Where the channel axes are.
    %(common_parameters)s
        ``region`` is not accepted: every tap depends on all the random matrices.

    Returns
    -------
    %(returns)s

    Raises
    ------
    %(raises)s
        A shape with ``in > out``, unequal kernel sizes or a rank other than 3, 4, 5 raises
        ``ValueError``, as in TensorFlow.

    See Also
    --------
    delta_orthogonal, orthogonal

    Notes
    -----
    With :math:`n` = out, :math:`d` spatial axes and kernel size :math:`k`: draw a Haar
    :math:`n \times n` matrix and keep its first ``in`` rows, :math:`H`; draw :math:`d(k-1)`
    random symmetric projections :math:`P = Q\,\mathrm{diag}(m)\,Q^\top` (:math:`Q` Haar,
    :math:`m_j` independent fair bits); each group of :math:`d` projections gives a
    :math:`2 \times \cdots \times 2` kernel whose tap :math:`b \in \{0,1\}^d` is
    :math:`\prod_i (P_i \text{ if } b_i = 0 \text{ else } I - P_i)`; the :math:`k - 1` such
    kernels are convolved into a :math:`k^d` kernel :math:`A` (a paraunitary filter bank:
    :math:`\sum_t A_t A_{t+s}^\top = \delta_{s0} I`, indices circular), and

    .. math:: W[t] = g\,H A_t,\qquad
              \Big\| \sum_t x_{p+t} W[t] \Big\|_{\ell^2(p)} = |g|\,\|x\|,\qquad
              \mathbb{E}\,W^2 = \frac{g^2\, n_{in}}{\prod_j s_j},

    the norm taken over the positions :math:`p` of a circularly padded input :math:`x`.
    The matrices are drawn and multiplied in float64 (one Gaussian stream of the block
    scheme, the bits :math:`m` from an auxiliary stream), then rounded once to ``dtype``.
    TensorFlow's masks are ``normal > 0``, the same fair bits. With zero padding instead of
    circular, the map is an isometry only away from the borders.

    References
    ----------
    .. [1] L. Xiao, Y. Bahri, J. Sohl-Dickstein, S. S. Schoenholz and J. Pennington,
       "Dynamical Isometry and a Mean Field Theory of CNNs: How to Train 10,000-Layer Vanilla
       Convolutional Neural Networks", ICML 2018, arXiv:1806.05393, Algorithm 2.
    .. [2] TensorFlow 1, ``tf.compat.v1.initializers.convolutional_orthogonal_2d``
       (``ConvolutionOrthogonal2D`` in ``tensorflow/python/ops/init_ops.py``).

    Examples
    --------
    >>> import numpy as np, initlab
    >>> w = initlab.conv_orthogonal((3, 8, 8), rng=0)    # 1-d convolution, 8 -> 8 channels
    >>> x = np.random.default_rng(1).standard_normal((20, 8))
    >>> y = sum(np.roll(x, -t, axis=0) @ w[t] for t in range(3))  # circular padding
    >>> round(float(np.linalg.norm(y) / np.linalg.norm(x)), 4)
    1.0
    """
    return apply(conv_orthogonal, shape, dtype, rng, out, threads, region,
                 {"gain": gain, "nonlinearity": nonlinearity, "layout": layout})

identity = eye

Orthogonal = initializer_class(orthogonal)
Eye = initializer_class(eye)
Dirac = initializer_class(dirac)
Sparse = initializer_class(sparse)
Identity = Eye
DeltaOrthogonal = initializer_class(delta_orthogonal)
ConvOrthogonal = initializer_class(conv_orthogonal)
