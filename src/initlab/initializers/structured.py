"""Structured initializers: orthogonal, eye (identity), dirac, sparse."""

from __future__ import annotations

import math

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
    "Dirac",
    "Eye",
    "Identity",
    "Orthogonal",
    "Sparse",
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
    return q


def _run_orthogonal(func: str, call: Call, p: Config) -> Array:
    batch, block, rows, cols = _stacked_dims(func, call.shape, p["layout"], p["batch_axis"])
    _, gain = gain_or_exact(func, p, positive=False)
    check_representable(func, "gain", gain, abs(gain), call.dtype)
    work = blocks.work_dtype(call.dtype)
    check_memory(func, call.shape, work)
    result = call.new()
    if call.empty:
        return result
    big, small = max(rows, cols), min(rows, cols)
    batch_shape = tuple(call.shape[i] for i in batch)
    count = math.prod(batch_shape)
    # one Gaussian stream for all the matrices, matrix i from its i-th (small, big) slab:
    # without batch axes this is the (small, big) draw of a single matrix
    c = blocks.generate(blocks.Normal(0.0, 1.0), (count, small, big), work, call.key(),
                        threads=call.threads)
    stacked = None if not batch else np.empty((count, *block), work)
    for i in range(count):
        q = _haar_columns(c[i])  # (big, small), orthonormal columns
        if gain != 1.0:
            q *= gain
        matrix = (q.T if rows < cols else q).reshape(block)
        if stacked is None:
            np.copyto(result, matrix, casting="same_kind")
        else:
            stacked[i] = matrix
    if stacked is not None:  # batch axes first -> their places in the shape
        moved = np.moveaxis(stacked.reshape(batch_shape + block), range(len(batch)), batch)
        np.copyto(result, moved, casting="same_kind")
    return result




def _orthogonal_moments(func: str, p: Config, shape: tuple[int, ...]) -> tuple[float, float]:
    _, _, rows, cols = _stacked_dims(func, shape, p["layout"], p["batch_axis"])
    return 0.0, gain_or_exact(func, p, positive=False)[1] ** 2 / max(rows, cols)


@declare(check=_check_orthogonal, run=_run_orthogonal, elementwise=False,
         class_name="Orthogonal", moments=_orthogonal_moments,
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


identity = eye

Orthogonal = initializer_class(orthogonal)
Eye = initializer_class(eye)
Dirac = initializer_class(dirac)
Sparse = initializer_class(sparse)
Identity = Eye
