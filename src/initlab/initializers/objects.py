"""Initializer objects: the base class, the classes generated from the declarations, lookup
by name (:func:`get`), serialization and exact moments."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import numpy as np
from numpy.typing import DTypeLike

from .._json import plain as jsonable
from .._validate import check_shape, fail
from ._core import (
    DECLARATIONS,
    Array,
    Declaration,
    RegionArg,
    Shape,
    check_config,
    declaration_named,
    prepare,
)

__all__ = ["Initializer", "expected_moments", "get", "initializer_class", "serialize"]

_REQUIRED = inspect.Parameter.empty
_CALL_ARGS = ("dtype", "rng", "out", "threads", "region")


class Initializer:
    """Base class of the configurable initializers.

    An initializer object holds configuration only; randomness comes per call through
    ``rng``, so one object can be shared by many layers. Calling it with the same int seed
    repeats its values; calling it with one ``Generator`` gives fresh values each call.

    Call as ``init(shape, *, dtype=None, rng=None, out=None, threads=None, region=None)``;
    ``dtype=None`` means ``out.dtype`` when ``out`` is given, else float32.

    Attributes
    ----------
    function : callable
        The function form of the initializer (a class attribute), e.g.
        ``initlab.HeNormal.function is initlab.kaiming_normal``.
    elementwise : bool
        Whether every value is a function of the seed and its own index only, so that a
        ``region=`` (e.g. one shard of a sharded parameter) can be drawn alone (a class
        attribute, from the declaration): ``False`` for :class:`Orthogonal`,
        :class:`Sparse`, :class:`DeltaOrthogonal` and :class:`ConvOrthogonal`, whose values
        depend on the whole tensor.

    Notes
    -----
    ``get_config()`` returns the JSON-ready constructor arguments; ``from_config(c)`` is
    ``cls(**c)`` and validates again; ``repr()`` evaluates back to an equal object in the
    ``initlab`` namespace.

    References
    ----------
    .. [1] Keras, ``keras.initializers.Initializer`` (``get_config``/``from_config``).

    Examples
    --------
    >>> import initlab
    >>> init = initlab.HeNormal(mode="fan_out")
    >>> init((3, 4), rng=0).shape
    (3, 4)
    >>> initlab.get(initlab.serialize(init)) == init
    True
    """

    #: The function form (see :func:`initializer_class`).
    function: ClassVar[Callable[..., Array]]
    #: Whether a ``region=`` can be drawn alone (from the declaration).
    elementwise: ClassVar[bool] = True
    _declaration: ClassVar[Declaration]
    _defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, **config: Any) -> None:
        cls = type(self)
        func = cls.__name__
        unknown = [k for k in config if k not in cls._defaults]
        if unknown:
            fail(func, unknown[0], config[unknown[0]], "use one of "
                 + ", ".join(cls._defaults) if cls._defaults else "it takes no arguments",
                 TypeError, why="is not a parameter")
        params = {**cls._defaults, **config}
        missing = [k for k, v in params.items() if v is _REQUIRED]
        if missing:
            raise TypeError(f"{func}: missing required argument {missing[0]!r}.")
        self._config = check_config(cls._declaration, func, params)

    def __call__(self, shape: Shape, *, dtype: DTypeLike | None = None, rng: object = None,
                 out: Array | None = None, threads: int | None = None,
                 region: RegionArg = None) -> Array:
        if dtype is None:
            dtype = out.dtype if isinstance(out, np.ndarray) else np.float32
        decl, func = type(self)._declaration, type(self).__name__
        call = prepare(func, decl, shape, dtype, rng, out, threads, region)
        return decl.run(func, call, self._config)

    def get_config(self) -> dict[str, Any]:
        """JSON-ready constructor arguments (tuples become lists)."""
        return {k: jsonable(v) for k, v in self._shown().items()}

    def _shown(self) -> dict[str, Any]:
        """The configuration without the quiet parameters that hold their default."""
        cls = type(self)
        quiet = cls._declaration.quiet
        return {k: v for k, v in self._config.items()
                if k not in quiet or v != cls._defaults[k]}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Initializer:
        """Rebuild from :meth:`get_config`'s output (validated again)."""
        if not isinstance(config, Mapping):
            fail(cls.__name__, "config", config, "use a dict of constructor arguments",
                 TypeError)
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._shown().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other._config == self._config

    def __hash__(self) -> int:
        return hash((type(self).__name__, repr(self)))

_CLASSES: dict[Declaration, type[Initializer]] = {}


def _config_parameters(function: Callable[..., Any]) -> list[inspect.Parameter]:
    """Configuration parameters of an initializer function (keyword-only, not call args)."""
    return [par for name, par in inspect.signature(function).parameters.items()
            if par.kind is inspect.Parameter.KEYWORD_ONLY and name not in _CALL_ARGS]


def initializer_class(function: Callable[..., Array]) -> type[Initializer]:
    """The :class:`Initializer` subclass of an initializer function (made once, then reused).

    Parameters
    ----------
    function : callable
        An initializer function declared in :mod:`initlab.initializers`.

    Returns
    -------
    type
        A subclass of :class:`Initializer` named by the function's declaration (e.g.
        ``HeNormal`` for :func:`kaiming_normal`), whose constructor takes the function's
        configuration arguments (its signature is derived from the function's, without
        ``shape`` and the call arguments).

    Raises
    ------
    TypeError
        For a function that is not a declared initializer.

    Notes
    -----
    The class is built with ``type()``; its docstring is generated and points to the
    function. Used by the initializer modules; users rarely need it.

    References
    ----------
    .. [1] Keras, ``keras.initializers.Initializer``.

    Examples
    --------
    >>> import initlab
    >>> from initlab.initializers import initializer_class
    >>> initializer_class(initlab.he_normal) is initlab.HeNormal
    True
    """
    decl = DECLARATIONS.get(function) if callable(function) else None
    if decl is None:
        fail("initializer_class", "function", function, "use an initlab initializer function",
             TypeError)
    cls = _CLASSES.get(decl)
    if cls is None:
        cls = _CLASSES[decl] = _make_class(decl)
    return cls


def _make_class(decl: Declaration) -> type[Initializer]:
    name, cls_name = decl.name, decl.class_name
    params = _config_parameters(decl.function)
    signature = ", ".join(str(p.replace(annotation=_REQUIRED)) for p in params)
    example = ", ".join(f"{k}={v!r}" for k, v in decl.example.items())
    shape = decl.example_shape
    doc = f"""Configurable, serializable form of :func:`{name}`.

    ``{cls_name}({signature})`` takes the configuration arguments of :func:`{name}`
    (everything after ``shape`` except ``dtype``, ``rng``, ``out``, ``threads`` and
    ``region``) and validates them on construction. Calling the object as
    ``init(shape, *, dtype=None, rng=None, out=None, threads=None, region=None)`` returns
    ``{name}(shape, **config, ...)``; see :func:`{name}` for the formula and
    :class:`Initializer` for serialization.

    References
    ----------
    .. [1] See :func:`{name}`.

    Examples
    --------
    >>> import initlab
    >>> init = initlab.{cls_name}({example})
    >>> init({shape!r}, rng=0).shape
    {shape!r}
    >>> initlab.{cls_name}.from_config(init.get_config()) == init
    True
    """
    cls = type(cls_name, (Initializer,), {
        "__doc__": doc, "__module__": "initlab", "__qualname__": cls_name,
        "__signature__": inspect.Signature(
            [p.replace(annotation=_REQUIRED) for p in params]),
        "_declaration": decl, "function": staticmethod(decl.function),
        "elementwise": decl.elementwise,
        "_defaults": {p.name: p.default for p in params},
    })
    return cls


# --------------------------------------------------------------------------------------------
# lookup and serialization


def _lookup(name: object) -> type[Initializer]:
    accepted = ("use an initializer name such as 'he_normal', 'xavier_uniform', "
                "'orthogonal' or a class name such as 'HeNormal' (see initlab.INITIALIZERS)")
    if not isinstance(name, str):
        fail("get", "identifier", name, accepted, TypeError)
    decl = declaration_named(name)
    if decl is None:
        fail("get", "identifier", name, accepted)
    return initializer_class(decl.function)


def get(identifier: object) -> Initializer | Callable[..., Array]:
    """Resolve a name, a config dict, an initializer object or a callable to an initializer.

    Parameters
    ----------
    identifier : str, dict, Initializer or callable
        - a name: ``'he_normal'``, ``'kaiming_normal'``, ``'HeNormal'``, ``'xavier_uniform'``
          ... (case and underscores are ignored); gives the class with its defaults;
        - a dict ``{'class_name': name, 'config': {...}}`` as :func:`serialize` returns;
        - an :class:`Initializer`, returned as is;
        - any other callable ``f(shape, *, dtype, rng, out)``, returned as is.

    Returns
    -------
    Initializer or callable

    Raises
    ------
    ValueError
        For an unknown name or an invalid config.
    TypeError
        For another type, or a dict without ``'class_name'``.

    See Also
    --------
    serialize

    Notes
    -----
    Names that need an argument (``'constant'``, ``'sparse'``) must come as a config dict.

    References
    ----------
    .. [1] Keras, ``keras.initializers.get``.

    Examples
    --------
    >>> import initlab
    >>> init = initlab.get("he_normal")
    >>> type(init).__name__, init.get_config()["nonlinearity"]
    ('HeNormal', 'leaky_relu')
    >>> initlab.get({"class_name": "Orthogonal", "config": {"gain": 2.0}})
    Orthogonal(gain=2.0, nonlinearity=None, layout='in_out')
    """
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str):
        return _lookup(identifier)()
    if isinstance(identifier, Mapping):
        if "class_name" not in identifier:
            fail("get", "identifier", identifier, "a config dict needs a 'class_name' key "
                 "(and optionally 'config'), as serialize() returns", TypeError)
        extra = set(identifier) - {"class_name", "config", "module"}
        if extra:
            fail("get", "identifier", identifier, "use only the keys 'class_name' and "
                 "'config'")
        return _lookup(identifier["class_name"]).from_config(identifier.get("config", {}))
    if callable(identifier):
        return identifier
    fail("get", "identifier", identifier, "use a name, a config dict, an Initializer or a "
         "callable", TypeError)


def serialize(initializer: object) -> dict[str, Any]:
    """The JSON-ready dict ``{'class_name': ..., 'config': {...}}`` of an initializer.

    Parameters
    ----------
    initializer : Initializer or initlab function
        An initializer object, or one of initlab's initializer functions (serialized with
        its defaults).

    Returns
    -------
    dict

    Raises
    ------
    TypeError
        For anything else (an arbitrary callable has no configuration to save).

    See Also
    --------
    get

    Notes
    -----
    ``get(serialize(x)) == x`` and ``json.loads(json.dumps(serialize(x)))`` round-trips.

    References
    ----------
    .. [1] Keras, ``keras.initializers.serialize``.

    Examples
    --------
    >>> import initlab
    >>> initlab.serialize(initlab.Eye(gain=2.0))
    {'class_name': 'Eye', 'config': {'gain': 2.0}}
    """
    if callable(initializer) and not isinstance(initializer, Initializer) and (
            _is_declared(initializer)):
        try:
            initializer = initializer_class(initializer)()
        except TypeError:
            fail("serialize", "initializer", initializer, "a function with a required "
                 "argument cannot be serialized bare; use its class, e.g. "
                 "initlab.Constant(value=1.0)", TypeError)
    if not isinstance(initializer, Initializer):
        fail("serialize", "initializer", initializer, "use an initlab.Initializer object or "
             "an initlab initializer function", TypeError)
    return {"class_name": type(initializer).__name__, "config": initializer.get_config()}


def _is_declared(function: object) -> bool:
    try:
        return function in DECLARATIONS
    except TypeError:  # unhashable
        return False


def expected_moments(identifier: object, shape: Shape) -> tuple[float, float]:
    r"""Exact mean and second moment of one element of an initializer's output.

    Parameters
    ----------
    identifier : str, dict or Initializer
        Anything :func:`get` accepts except arbitrary callables.
    shape : tuple of int
        Shape of the tensor (the fans depend on it).

    Returns
    -------
    (float, float)
        :math:`\mathbb{E}\,W_{ij}` and :math:`\mathbb{E}\,W_{ij}^2`, averaged over the
        elements for the structured initializers (eye, dirac, sparse, orthogonal).

    Raises
    ------
    TypeError
        For a callable that is not an initlab initializer.
    ValueError
        For an invalid shape for that initializer, or a tensor with no elements.

    Notes
    -----
    These are the targets of the statistical tests and the weight variances used by the
    mean-field predictions (:math:`\sigma_w^2 = n_{in}\,\mathbb{E}W^2` for zero-mean weights).
    For orthogonal matrices the second moment is deterministic:
    :math:`g^2/\max(r, c)`.

    References
    ----------
    .. [1] A. M. Saxe, J. L. McClelland and S. Ganguli, "Exact solutions to the nonlinear
       dynamics of learning in deep linear neural networks", ICLR 2014, arXiv:1312.6120.

    Examples
    --------
    >>> import initlab
    >>> initlab.expected_moments("he_normal", (256, 128))
    (0.0, 0.0078125)
    >>> initlab.expected_moments(initlab.Uniform(low=0, high=1), (3, 3))
    (0.5, 0.3333333333333333)
    """
    func = "expected_moments"
    init = get(identifier)
    if not isinstance(init, Initializer):
        fail(func, "identifier", identifier, "use a name, a config dict or an Initializer "
             "(a plain callable has no known moments)", TypeError)
    dims = check_shape(func, shape)
    size = math.prod(dims)
    if size == 0:
        fail(func, "shape", shape, "use a shape with at least one element",
             why="has no elements")
    decl = type(init)._declaration
    if decl.moments is None:  # deterministic: one draw is the distribution
        probe = init(dims, dtype=np.float64, rng=0)
        return float(probe.mean()), float(np.mean(probe * probe))
    return decl.moments(func, init._config, dims)
