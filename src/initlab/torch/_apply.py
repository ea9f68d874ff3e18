"""``init_`` and ``plan``: decide every parameter's initializer, validate, then write."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from .. import _blocks as blocks
from .._bridging import full_config
from .._validate import fail
from ..fans import LAYOUTS, compute_fans
from ..gains import gain as gain_of
from ..initializers import (
    TRUNCATED_NORMAL_STD,
    GlorotUniform,
    HeUniform,
    Initializer,
    LecunNormal,
    LecunUniform,
    Ones,
    Orthogonal,
    TruncatedNormal,
    Uniform,
    VarianceScaling,
    Zeros,
    expected_moments,
    get,
)
from ..plan import Plan, PlanEntry, Rules, RuleSource, base_seed, seed_for
from ._defaults import torch_default
from ._dtensor import is_dtensor, local_part
from ._layers import (
    BIAS,
    EMBEDDING,
    FAN_KEYS,
    NORM_BIAS,
    NORM_WEIGHT,
    TORCH_FANS,
    WEIGHT,
    Slot,
    slots,
    torch_fans,
)

__all__ = ["TORCH", "build", "check_rng", "write"]

_NATIVE: dict[torch.dtype, type[np.floating[Any]]] = {
    torch.float32: np.float32, torch.float64: np.float64, torch.float16: np.float16}
_LOW = (torch.float16, torch.bfloat16)
#: Named variance-scaling classes whose distribution is a uniform or a ±2σ truncated normal
#: (VarianceScaling says it in its ``distribution`` key, whose default is the latter).
_UNIFORM_VS = (GlorotUniform, HeUniform, LecunUniform)
_TRUNCATED_VS = (LecunNormal,)
_TRUNCATED_DISTRIBUTION = VarianceScaling().get_config()["distribution"]


class _TorchDefault:
    """The ``"torch"`` init: each module kind's own ``reset_parameters`` distribution."""

    def __repr__(self) -> str:
        return "'torch'"


TORCH = _TorchDefault()


def _resolve(value: object) -> object:
    if isinstance(value, str) and value == "torch":
        return TORCH
    return get(value)


@dataclass
class Job:
    """One parameter to write: the decision (``entry``) and how to draw it."""

    path: str
    param: torch.Tensor
    entry: PlanEntry
    init: Any  # a configured Initializer, or a plain callable
    shape: tuple[int, ...]
    view: tuple[int, ...]
    blocks: int
    per_block: bool
    bounds: tuple[float, float] | None
    padding_idx: int | None


def check_rng(func: str, rng: object) -> None:
    """Validate ``rng`` without consuming a Generator."""
    if rng is None or isinstance(rng, np.random.Generator):
        return
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        if rng < 0:
            fail(func, "rng", rng, "use None, an integer >= 0 or a numpy.random.Generator")
        return
    fail(func, "rng", rng, "use None, an integer >= 0 or a numpy.random.Generator", TypeError)


def _short(init: object) -> str:
    """``Name(non-default, non-fan arguments)`` of an initializer, else its repr."""
    if not isinstance(init, Initializer):
        return getattr(init, "__name__", repr(init))
    cfg = {k: v for k, v in init.get_config().items() if k not in FAN_KEYS}
    defaults = _defaults_of(type(init))
    args = ", ".join(f"{k}={v!r}" for k, v in cfg.items()
                     if k not in defaults or defaults[k] != v)
    return f"{type(init).__name__}({args})"


_DEFAULT_CONFIGS: dict[type, dict[str, Any]] = {}


def _defaults_of(cls: type[Initializer]) -> dict[str, Any]:
    """The configuration of ``cls()`` (empty when an argument is required), computed once."""
    if cls not in _DEFAULT_CONFIGS:
        try:
            _DEFAULT_CONFIGS[cls] = cls().get_config()
        except TypeError:  # a required argument (Constant, Sparse)
            _DEFAULT_CONFIGS[cls] = {}
    return _DEFAULT_CONFIGS[cls]


def _key_text(key: object) -> str:
    return repr(key) if isinstance(key, str) else getattr(key, "__name__", repr(key))


def _resolve_init(func: str, init: object) -> tuple[object, list[tuple[object, object]]]:
    """The default weight initializer and the rules a RuleSource brings."""
    if isinstance(init, RuleSource) and not isinstance(init, (str, Mapping, Initializer)):
        default, extra = init.as_rules()
        resolved = None if default is None else _wrap(func, "init", init, _resolve, default)
        return resolved, list(extra.items())
    if init is None:
        fail(func, "init", init, "use anything initlab.get accepts (an initializer name, a "
             "config dict, an Initializer, a callable), 'torch', or a recipe", TypeError)
    return _wrap(func, "init", init, _resolve, init), []


def _wrap(func: str, name: str, shown: object, resolve: Callable[[object], object],
          value: object) -> object:
    try:
        return resolve(value)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{func}: {name}={shown!r} is not accepted: {exc}") from exc


def _rules(func: str, rules: object, extra: list[tuple[object, object]]) -> tuple[Rules, int]:
    caller = Rules(func, rules, classes=nn.Module, resolve=_resolve)
    if not extra:
        return caller, len(caller)
    items = [(r.key, r.spec) for r in caller] + extra
    return Rules(func, items, classes=nn.Module, resolve=_resolve), len(caller)


def _configure(init: Initializer, fans: Mapping[str, Any]) -> Initializer:
    """``init`` with its fan-related configuration taken from ``fans``."""
    cfg = full_config(init)
    keys = [k for k in FAN_KEYS if k in cfg]
    if not keys:
        return init
    for k in keys:
        cfg[k] = fans[k]
    return type(init).from_config(cfg)


def _has_fans(init: object) -> bool:
    return isinstance(init, Initializer) and any(k in init.get_config() for k in FAN_KEYS)


#: Above this size the plan does not ask ``expected_moments`` for the std of an initializer
#: that is not elementwise (it draws the tensor to compute it).
_PROBE_LIMIT = 1 << 16


def _std(init: object, shape: tuple[int, ...]) -> float | None:
    """The expected std of one element (validating ``init`` against ``shape``)."""
    if not isinstance(init, Initializer) or math.prod(shape) == 0:
        return None
    if not init.elementwise and math.prod(shape) > _PROBE_LIMIT:
        expected_moments(init, (2,) * len(shape))  # validates, cheaply
        if not isinstance(init, Orthogonal):
            return None
        # E W^2 = g^2 / max(rows, cols) for the matrix the layout flattens to (Saxe et al.)
        cfg = init.get_config()
        gain = cfg["gain"] if cfg["nonlinearity"] is None else gain_of(cfg["nonlinearity"])
        batch = cfg.get("batch_axis") or ()
        batch = {a % len(shape) for a in ([batch] if isinstance(batch, int) else batch)}
        dims = [d for i, d in enumerate(shape) if i not in batch]
        out_in = LAYOUTS[cfg["layout"]] == LAYOUTS[TORCH_FANS["layout"]]
        rows, cols = ((dims[0], math.prod(dims[1:])) if out_in
                      else (math.prod(dims[:-1]), dims[-1]))
        return abs(float(gain)) / math.sqrt(max(rows, cols))
    m1, m2 = expected_moments(init, shape)
    return math.sqrt(max(m2 - m1 * m1, 0.0))


def _support(init: object, shape: tuple[int, ...]) -> tuple[float, float] | None:
    """The bounded support of an initializer's values, if it has one (for rounding)."""
    if not isinstance(init, Initializer) or math.prod(shape) == 0:
        return None
    cfg = init.get_config()
    if isinstance(init, TruncatedNormal):
        lo = cfg["mean"] + cfg["lower"] * cfg["std"]
        hi = cfg["mean"] + cfg["upper"] * cfg["std"]
        return (lo, hi) if math.isfinite(lo) and math.isfinite(hi) else None
    if isinstance(init, Uniform):
        return float(cfg["low"]), float(cfg["high"])
    if isinstance(init, _UNIFORM_VS):
        limit = math.sqrt(3.0 * expected_moments(init, shape)[1])
        return -limit, limit
    if isinstance(init, _TRUNCATED_VS) or (isinstance(init, VarianceScaling)
                                           and cfg["distribution"] == _TRUNCATED_DISTRIBUTION):
        limit = 2.0 * math.sqrt(expected_moments(init, shape)[1]) / TRUNCATED_NORMAL_STD
        return -limit, limit
    return None


def _param_error(func: str, path: str, kind: str, shape: tuple[int, ...], source: str,
                 exc: Exception) -> Exception:
    where = f"rules[{source[5:]}]" if source.startswith("rule ") else "init"
    return type(exc)(f"{func}: {where}: parameter {path!r} ({kind or 'no module'} "
                     f"{shape}) cannot be initialized: {exc}")


def build(func: str, module: object, init: object, rules: object,
          *, writing: bool) -> tuple[Plan, list[Job]]:
    """Decide every parameter's initializer and validate it all (nothing is written)."""
    if not isinstance(module, nn.Module):
        fail(func, "module", module, "use a torch.nn.Module", TypeError)
    default, extra = _resolve_init(func, init)
    ruleset, n_caller = _rules(func, rules, extra)
    parents: dict[int, nn.Module] = {}
    owners = dict(module.named_modules())
    for m in owners.values():
        for child in m.children():
            parents.setdefault(id(child), m)
    entries: list[PlanEntry] = []
    jobs: list[Job] = []
    slot_cache: dict[int, tuple[dict[str, Slot], dict[str, tuple[int, ...]]]] = {}
    for path, param in module.named_parameters():
        if isinstance(param, nn.parameter.UninitializedParameter):
            if writing:
                fail(func, "module", path, "run a forward pass (or materialize the lazy module) "
                     "first", why="is an uninitialized lazy parameter")
            entries.append(PlanEntry(path, (), "?", type(module.get_submodule(
                path.rpartition(".")[0])).__name__, "untouched", "untouched",
                note="uninitialized lazy parameter"))
            continue
        prefix, _, pname = path.rpartition(".")
        owner = owners.get(prefix)
        if owner is None:
            owner = module.get_submodule(prefix)
        if id(owner) not in slot_cache:
            slot_cache[id(owner)] = (slots(owner), {n: tuple(p.shape) for n, p in
                                                    owner.named_parameters(recurse=False)})
        owner_slots, shapes = slot_cache[id(owner)]
        entry, job = _decide(func, path, param, owner, pname, owner_slots.get(pname), shapes,
                             parents.get(id(owner)), default, ruleset, writing)
        entries.append(entry)
        if job is not None:
            jobs.append(job)
    unused = {id(r) for r in ruleset.unused()}
    caller_unused = [r for i, r in enumerate(ruleset) if i < n_caller and id(r) in unused]
    if caller_unused:
        keys = ", ".join(_key_text(r.key) for r in caller_unused)
        fail(func, "rules", f"{{{keys}: ...}}", "every rule must match at least one parameter "
             "(check the pattern against the plan's paths)", why="matched no parameter")
    shown = "'torch'" if default is TORCH else _short(default)
    title = f"{type(module).__name__}: init={shown}"
    return Plan(entries, title=title), jobs


def _decide(func: str, path: str, param: torch.Tensor, owner: nn.Module, pname: str,
            slot: Slot | None, shapes: dict[str, tuple[int, ...]], parent: nn.Module | None,
            default: object, ruleset: Rules, writing: bool
            ) -> tuple[PlanEntry, Job | None]:
    shape = tuple(param.shape)
    dtype = str(param.dtype).removeprefix("torch.")
    kind = type(owner).__name__
    rule = ruleset.match(path, owner)
    note = slot.note if slot is not None else ""
    if rule is not None:
        source, spec = f"rule {_key_text(rule.key)}", rule.init
    else:
        source = "default"
        if slot is None:
            spec = None
            note = "no default for this layer kind: left as is"
        elif default is TORCH or slot.role == EMBEDDING:
            spec = TORCH
            note = "PyTorch's default N(0, 1)" if default is not TORCH else "PyTorch default"
        elif slot.role == WEIGHT:
            spec = default
        elif slot.role in (BIAS, NORM_BIAS):
            spec = Zeros()
        else:
            assert slot.role == NORM_WEIGHT
            spec = Ones()
    fan_in = fan_out = None
    if slot is not None and slot.role == WEIGHT:
        fans = compute_fans(slot.view, **slot.fans)
        fan_in, fan_out = fans.fan_in, fans.fan_out
    if spec is None:
        untouched = PlanEntry(path, shape, dtype, kind, "untouched",
                              "untouched" if rule is None else source, fan_in, fan_out,
                              note=note)
        return untouched, None
    if not param.dtype.is_floating_point:
        if rule is None:
            return PlanEntry(path, shape, dtype, kind, "untouched", "untouched",
                             note=f"{dtype} is not a floating dtype"), None
        raise ValueError(f"{func}: rules[{_key_text(rule.key)}]: parameter {path!r} has "
                         f"dtype {dtype}; only floating parameters can be initialized")
    view, per_block = shape, False
    blocks = slot.blocks if slot is not None and slot.role == WEIGHT and spec is not TORCH else 1
    init: Any = spec
    try:
        if spec is TORCH:
            init = None if slot is None else torch_default(owner, pname, shapes, parent)
            if init is None:
                raise ValueError(f"PyTorch {kind} has no reset_parameters distribution "
                                 "that initlab knows; give this parameter another rule")
            note = "PyTorch default" if slot is None or slot.role != EMBEDDING else note
            if len(shape) >= 2 and slot is not None and slot.role == WEIGHT:
                fan_in, fan_out = torch_fans(shape)
        elif isinstance(spec, Initializer) and _has_fans(spec):
            fan_args = slot.fans if slot is not None and slot.fans else TORCH_FANS
            if slot is None or not slot.fans:
                note = "fans read in PyTorch's (out, in, *kernel) layout (no layer fans known)"
                if len(shape) >= 2:
                    f = compute_fans(shape, layout="torch")
                    fan_in, fan_out = f.fan_in, f.fan_out
            if blocks > 1 and "batch_axis" not in full_config(spec):
                per_block = True
                view = slot.view if slot is not None else shape
                init = _configure(spec, TORCH_FANS)
                note = f"{blocks} blocks drawn separately (seed_for(seed, path + '[b]'))"
            else:
                view = slot.view if slot is not None and slot.fans else shape
                init = _configure(spec, fan_args)
        elif isinstance(spec, Initializer) and not spec.elementwise and slot is not None \
                and slot.blocks > 1:
            per_block, view = True, slot.view
        draw_shape = view[1:] if per_block else view
        std = _std(init, draw_shape)
        bounds = _support(init, draw_shape) if param.dtype in _LOW else None
        if writing and param.dtype == torch.float16:
            _probe(init, draw_shape, np.dtype(np.float16))
    except (TypeError, ValueError) as exc:
        raise _param_error(func, path, kind, shape, source, exc) from exc
    padding = slot.padding_idx if slot is not None and slot.role == EMBEDDING else None
    if padding is not None:
        note = (note + "; " if note else "") + f"padding_idx row {padding} zeroed"
    if writing:
        _check_writable(func, path, param)
    entry = PlanEntry(path, shape, dtype, kind, _short(init), source, fan_in, fan_out, std,
                      blocks, note)
    return entry, Job(path, param, entry, init, shape, view, blocks, per_block, bounds, padding)


def _probe(init: object, shape: tuple[int, ...], dtype: np.dtype[Any]) -> None:
    """Draw one element, so that what only a draw checks (a scale that overflows float16)
    fails before anything is written. (It costs one block of the stream, about 1 ms, so it
    runs for float16 only: float32 overflows only for scales above 1e37.)"""
    if isinstance(init, Initializer) and init.elementwise and shape and 0 not in shape:
        init(shape, dtype=dtype, rng=0, region=tuple(slice(0, 1) for _ in shape))


def _check_writable(func: str, path: str, param: torch.Tensor) -> None:
    local = local_part(param)[0] if is_dtensor(param) else param
    if local.device.type == "meta":
        fail(func, "module", path, "call module.to_empty(device=...) first to give the "
             "parameters storage, then init_", why="is on the meta device (it has no storage)")


# --------------------------------------------------------------------------------------------
# writing


def write(func: str, jobs: list[Job], rng: object) -> None:
    """Write every job's values (``rng`` gives the base seed; seeds are keyed by path).

    The parameters that can be drawn in place by an elementwise initializer (contiguous CPU
    float32, float64 or float16, not sharded) are drawn together: their blocks form one work
    queue (:func:`initlab._blocks.batch`), so the threads stay busy from the first block to
    the last instead of meeting at a barrier after each parameter. The values are the same
    as drawing one parameter at a time.
    """
    base = base_seed(func, rng)
    together = [job for job in jobs if _in_place(job)]
    with torch.no_grad():
        arrays = [job.param.detach().numpy() for job in together]
        with blocks.batch():
            for job, out in zip(together, arrays, strict=True):
                _draw(job, base, out.dtype, None, out)
        for job, out in zip(together, arrays, strict=True):
            _finish(job, out, None)
        for job in jobs:
            if not _in_place(job):
                _write_one(job, base)


def _in_place(job: Job) -> bool:
    """Whether the job draws straight into the parameter's storage, in one batch."""
    param = job.param
    return (param.dtype in _NATIVE and not is_dtensor(param) and param.device.type == "cpu"
            and param.is_contiguous() and isinstance(job.init, Initializer)
            and job.init.elementwise)


def _finish(job: Job, out: np.ndarray[Any, Any], region: tuple[slice, ...] | None) -> None:
    """What follows the draw of an in-place job: float16 bounds, the padding row."""
    if job.bounds is not None and out.dtype == np.float16:
        lo, hi = _inward(job.bounds, torch.float16)
        np.clip(out, np.float16(lo), np.float16(hi), out=out)
    if job.padding_idx is not None:
        row = job.padding_idx - (0 if region is None else region[0].start)
        if 0 <= row < out.shape[0]:
            out[row] = 0


def _write_one(job: Job, base: int) -> None:
    param = job.param
    region: tuple[slice, ...] | None = None
    target: torch.Tensor = param
    if is_dtensor(param):
        target, region = local_part(param)
        if all(r.start == 0 and r.stop == n for r, n in zip(region, job.shape, strict=True)):
            region = None
    np_dtype = _NATIVE.get(param.dtype, np.float32)
    direct = (param.dtype in _NATIVE and target.device.type == "cpu"
              and target.is_contiguous())
    if direct:
        out = target.detach().numpy()
        _draw(job, base, np.dtype(np_dtype), region, out)
        _finish(job, out, region)
        return
    full = region or tuple(slice(0, n) for n in job.shape)
    for lo_row, rows in _row_chunks(job, full):
        part = (rows, *full[1:]) if full else None
        values = torch.from_numpy(_draw(job, base, np.dtype(np_dtype), part, None))
        if values.dtype != param.dtype:
            values = values.to(param.dtype)  # float32 -> bfloat16: rounded once
        if job.bounds is not None and param.dtype in _LOW:
            lo, hi = _inward(job.bounds, param.dtype)
            values.clamp_(lo, hi)
        dest = target[lo_row:lo_row + rows.stop - rows.start] if full else target
        dest.copy_(values.reshape(dest.shape))
    if job.padding_idx is not None:
        row, start = job.padding_idx, 0
        if region is not None:
            start = region[0].start
            if not start <= row < region[0].stop:
                return
        target[row - start].zero_()


#: Elements drawn per piece when a parameter cannot be written in place (bfloat16, another
#: device, a strided tensor): the temporary buffers stay small.
CHUNK_ELEMENTS = 1 << 22


def _row_chunks(job: Job, full: tuple[slice, ...]) -> list[tuple[int, slice]]:
    """Row ranges of ``full`` (a region of the parameter) to draw one at a time, with their
    offset in the local tensor; one piece unless the initializer can draw regions."""
    if not full:
        return [(0, slice(0, 0))]
    rows = full[0]
    per_row = math.prod(r.stop - r.start for r in full[1:])
    regional = (isinstance(job.init, Initializer) and job.init.elementwise
                and not job.per_block)
    step = rows.stop - rows.start
    if regional and per_row and step * per_row > CHUNK_ELEMENTS:
        step = max(1, CHUNK_ELEMENTS // per_row)
    return [(r - rows.start, slice(r, min(r + step, rows.stop)))
            for r in range(rows.start, rows.stop, max(step, 1))] or [(0, rows)]


def _inward(bounds: tuple[float, float], dtype: torch.dtype) -> tuple[float, float]:
    """``bounds`` rounded to ``dtype`` towards the inside."""
    lo, hi = bounds
    t = torch.tensor([lo, hi], dtype=torch.float64).to(dtype)
    if float(t[0]) < lo:
        t[0] = torch.nextafter(t[0:1], torch.full((1,), math.inf, dtype=dtype))[0]
    if float(t[1]) > hi:
        t[1] = torch.nextafter(t[1:2], torch.full((1,), -math.inf, dtype=dtype))[0]
    return float(t[0]), float(t[1])


def _draw(job: Job, base: int, dtype: np.dtype[Any], region: tuple[slice, ...] | None,
          out: np.ndarray[Any, Any] | None) -> np.ndarray[Any, Any]:
    """The job's values for ``region`` of the parameter (all of it for ``None``)."""
    init, seed = job.init, seed_for(base, job.path)
    if region is not None:
        rshape = tuple(r.stop - r.start for r in region)
        result = out if out is not None else np.empty(rshape, dtype)
        if math.prod(rshape) == 0:
            return result
        whole = job.per_block or not isinstance(init, Initializer) or not init.elementwise
        if whole:
            np.copyto(result, _draw(job, base, dtype, None, None)[region])
        elif job.view == job.shape:
            init(job.shape, dtype=dtype, rng=seed, region=region, out=result)
        else:
            _draw_blocked_region(init, job, seed, dtype, region, result)
        return result
    result = out if out is not None else np.empty(job.shape, dtype)
    if math.prod(job.shape) == 0:
        return result
    if not isinstance(init, Initializer):
        np.copyto(result, np.asarray(init(job.shape, dtype=dtype, rng=seed)).reshape(job.shape),
                  casting="same_kind")
    elif job.per_block:
        blocks = result.reshape(job.view)
        for b in range(job.blocks):
            init(job.view[1:], dtype=dtype, rng=seed_for(base, f"{job.path}[{b}]"),
                 out=blocks[b])
    else:
        init(job.view, dtype=dtype, rng=seed, out=result.reshape(job.view))
    return result


def _draw_blocked_region(init: Initializer, job: Job, seed: int, dtype: np.dtype[Any],
                         region: tuple[slice, ...], result: np.ndarray[Any, Any]) -> None:
    """A region of a ``(G*H, in)`` parameter drawn in its ``(G, H, in)`` view, piece by
    piece: each gate block the region's rows cross is one rectangular region of the view."""
    rows, rest = region[0], region[1:]
    height = job.view[1]
    for g in range(job.view[0]):
        lo, hi = max(rows.start, g * height), min(rows.stop, (g + 1) * height)
        if lo >= hi:
            continue
        piece: tuple[slice | int, ...] = (g, slice(lo - g * height, hi - g * height), *rest)
        init(job.view, dtype=dtype, rng=seed, region=piece,
             out=result[lo - rows.start:hi - rows.start])
