"""What the JAX and Keras bridges share (private): resolve an initializer with configuration
overrides, set per-parameter fans, validate a shape without drawing, and draw on the host.

Only initlab's public API is used (``initlab.get``, ``get_config``/``from_config``,
``expected_moments``, ``compute_fans``); nothing here imports a framework.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ._validate import fail
from .fans import compute_fans
from .initializers import Initializer, VarianceScaling, expected_moments, get

#: The fan arguments of the fan-based initializers and their defaults (as ``get_config`` shows).
FAN_DEFAULTS: dict[str, Any] = {"layout": "in_out", "in_axis": None, "out_axis": None,
                                "batch_axis": [], "groups": 1, "transposed": False}
_MODE_BY_FAN = {4.0: "fan_in", 1.0: "fan_out", 2.5: "fan_avg", 2.0: "fan_geo_avg"}


def full_config(init: Initializer) -> dict[str, Any]:
    """Every configuration argument of ``init``, defaults included (``get_config()`` leaves
    out arguments added later, such as ``batch_axis`` and ``fans``, while at their default)."""
    defaults = {p.name: p.default for p in inspect.signature(type(init)).parameters.values()}
    return {**defaults, **init.get_config()}


def resolve(func: str, name: str, spec: object, config: Mapping[str, Any]) -> Initializer:
    """``initlab.get(spec)`` with ``config`` overriding its configuration.

    ``distribution=`` on a fan-based initializer that has no such argument (``he_normal``,
    ``xavier_normal``...) gives the equivalent :class:`VarianceScaling` with that
    distribution, so ``he_normal`` with ``distribution='truncated_normal'`` is JAX's.
    """
    try:
        init = get(spec)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{func}: {name}: {exc}") from exc
    if not isinstance(init, Initializer):
        fail(func, name, spec, "use an initializer name, a config dict or an initlab "
             "Initializer (a plain callable cannot draw a shard or be serialized)", TypeError)
    if not config:
        return init
    cfg = full_config(init)
    extra = dict(config)
    distribution = extra.pop("distribution", None) if "distribution" not in cfg else None
    unknown = [k for k in extra if k not in cfg]
    if unknown:
        fail(func, unknown[0], extra[unknown[0]], f"{type(init).__name__} takes "
             + (", ".join(cfg) if cfg else "no arguments"), TypeError,
             why="is not a parameter")
    cfg.update(extra)
    try:
        init = type(init).from_config(cfg)
        if distribution is not None:
            init = _as_variance_scaling(func, init, distribution)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{func}: {exc}") from exc
    return init


def _as_variance_scaling(func: str, init: Initializer, distribution: object) -> Initializer:
    """The :class:`VarianceScaling` equal to a fan-based ``init``, with ``distribution``.

    Scale and mode are read from ``expected_moments`` on probe shapes: with the default
    ``in_out`` axes, shape ``(1, 1)`` has every fan 1 (second moment = scale) and ``(4, 1)``
    has fan_in 4, fan_out 1, fan_avg 2.5, fan_geo_avg 2.
    """
    cfg = full_config(init)
    if not all(k in cfg for k in FAN_DEFAULTS):
        fail(func, "distribution", distribution, f"only fan-based initializers take it; "
             f"{type(init).__name__} does not", TypeError, why="is not a parameter")
    probe = type(init).from_config({**cfg, **FAN_DEFAULTS})
    scale = float(f"{expected_moments(probe, (1, 1))[1]:.12g}")  # 2.0, not 2.0000000000000004
    fan = round(scale / expected_moments(probe, (4, 1))[1], 6)
    shared = VarianceScaling().get_config().keys() - {"scale", "mode", "distribution"}
    return VarianceScaling(scale=scale, mode=_MODE_BY_FAN[fan], distribution=distribution,
                           **{k: v for k, v in cfg.items() if k in shared})


def with_fans(init: Initializer, fans: Mapping[str, Any]) -> Initializer:
    """``init`` with the fan arguments ``fans`` set where ``init`` takes them and still has
    its defaults (explicit axes given by the user win)."""
    cfg = full_config(init)
    if cfg.get("fans", "exact") != "exact":  # a framework's own fan formula: no axes to set
        return init
    if "in_axis" in cfg and (cfg["in_axis"] is not None or cfg["out_axis"] is not None
                             or cfg.get("layout") != "in_out"):
        fans = {k: v for k, v in fans.items() if k not in ("in_axis", "out_axis", "layout")}
    new = {k: v for k, v in fans.items() if k in cfg and _is_default(k, cfg[k])}
    if not new:
        return init
    return type(init).from_config({**cfg, **new})


def _is_default(key: str, value: object) -> bool:
    if key == "batch_axis":
        return value in (None, [], ())
    return bool(value == FAN_DEFAULTS.get(key))


def validate(init: Initializer, shape: tuple[int, ...]) -> None:
    """Raise the error a draw of ``shape`` would raise, without drawing it.

    An elementwise initializer draws an empty region (its fans are still checked); the others
    draw a shape of the same rank with every dimension at most 1.
    """
    if type(init).elementwise:
        region = (slice(0, 0),) if shape else ()
        init(shape, dtype=np.float32, rng=0, region=region)
    else:
        init(tuple(min(d, 1) for d in shape), dtype=np.float32, rng=0)
    cfg = full_config(init)
    if all(k in cfg for k in FAN_DEFAULTS) and 0 not in shape:
        compute_fans(shape, **_fan_arguments(cfg))  # in case the draw did not


def draw(init: Initializer, shape: tuple[int, ...], dtype: np.dtype[Any], seed: int,
         region: tuple[slice, ...] | None = None) -> np.ndarray[Any, Any]:
    """Values of ``init`` for ``shape`` (or its ``region``) in ``dtype``: float16, float32
    and float64 natively, any other float dtype (bfloat16) drawn in float32 and rounded once.
    A non-elementwise initializer draws the whole tensor and keeps the region."""
    native = dtype if dtype in (np.float16, np.float32, np.float64) else np.dtype(np.float32)
    if region is not None and not type(init).elementwise:
        values = init(shape, dtype=native, rng=seed)[region]
    else:
        values = init(shape, dtype=native, rng=seed, region=region)
    return values if values.dtype == dtype else values.astype(dtype)


def expected_std(init: Initializer, shape: tuple[int, ...]) -> float | None:
    """The expected std of one element (``None`` when unknown or costly to know)."""
    if not type(init).elementwise or math.prod(shape) == 0:
        return None
    try:
        mean, second = expected_moments(init, shape)
    except (TypeError, ValueError):
        return None
    return math.sqrt(max(second - mean * mean, 0.0))


def _fan_arguments(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments of ``compute_fans`` in a full configuration."""
    keys = [*FAN_DEFAULTS, "fans"]
    return {k: cfg[k] for k in keys if k in cfg}


def fans_of(init: Initializer, shape: tuple[int, ...]) -> tuple[float | None, float | None]:
    """``(fan_in, fan_out)`` under ``init``'s fan arguments, or ``(None, None)``."""
    cfg = full_config(init)
    if "in_axis" not in cfg:
        return None, None
    try:
        fans = compute_fans(shape, **_fan_arguments(cfg))
    except (TypeError, ValueError):
        return None, None
    return float(fans.fan_in), float(fans.fan_out)
