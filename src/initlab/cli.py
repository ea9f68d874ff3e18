r"""Command line: ``initlab demo | probe | fans | gain`` (also ``python -m initlab``).

* ``initlab demo [--out DIR]`` runs the classic initialization experiments and prints, for each,
  a per-layer table and a verdict; with ``--out`` it also writes one PNG per experiment
  (needs matplotlib).
* ``initlab probe`` measures one network, ``initlab fans`` computes fans, ``initlab gain`` prints
  PyTorch's gain and the exact gain of an activation.

Bad arguments print a one-line error on stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import numpy as np

__all__ = ["main"]

_SPEC_RE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\((.*)\)\s*$")
_DTYPES = ("float16", "float32", "float64")


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage dump) and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


class _BadValue(Exception):
    """A value argparse accepted but initlab rejects (reported with exit status 2)."""


def _number(text: str) -> Any:
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text.strip().strip("'\"")


def _parse_spec(text: str) -> Any:
    """``'he_normal'``, ``'normal(std=0.01)'`` or a JSON config dict -> an initlab.get spec."""
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            return json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise _BadValue(f"--init {text!r} is not valid JSON: {exc.msg}") from None
    match = _SPEC_RE.match(stripped)
    if match:
        config: dict[str, Any] = {}
        for item in filter(None, (p.strip() for p in match.group(2).split(","))):
            key, eq, value = item.partition("=")
            if not eq:
                raise _BadValue(f"{text!r}: write arguments as key=value, e.g. "
                                "normal(std=0.01)")
            config[key.strip()] = _number(value)
        return {"class_name": match.group(1), "config": config}
    return stripped


def _int_list(text: str) -> list[int]:
    """``'800,750,700'`` or ``'64x3x3x3'`` -> a list of non-negative ints."""
    if not re.fullmatch(r"\s*\d+(\s*[,x]\s*\d+)*\s*", text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a list of integers (use e.g. 800,750,700)")
    return [int(p) for p in re.split(r"[,x]", text)]


def _int_at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type: an integer ``>= minimum``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text!r} must be >= {minimum}")
        return value

    return parse


_positive_int = _int_at_least(1)
_seed = _int_at_least(0)


def _axes(text: str) -> int | tuple[int, ...]:
    """``'-2'`` -> -2, ``'0,1'`` -> (0, 1), ``''`` -> () (an axis or a product of axes)."""
    if not re.fullmatch(r"\s*(-?\d+(\s*,\s*-?\d+)*)?\s*", text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an axis or a comma-separated list of axes (e.g. -2 or 0,1)")
    axes = tuple(int(p) for p in text.split(",") if p.strip())
    return axes[0] if len(axes) == 1 and "," not in text else axes


def _split_top(text: str) -> list[str]:
    """Split at the commas outside parentheses: ``'elu(alpha=1, x=2),relu'`` -> 2 items."""
    items, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += (char == "(") - (char == ")")
        if char == "," and depth == 0:
            items.append(text[start:i].strip())
            start = i + 1
    items.append(text[start:].strip())
    return items


def _activations(text: str, depth: int) -> str | list[str]:
    """``--activation``: one activation for every layer, or one per layer."""
    items = _split_top(text)
    if len(items) == 1:
        return text
    if len(items) != depth or not all(items):
        raise _BadValue(f"--activation {text!r} gives {len(items)} comma-separated activations "
                        f"for {depth} layers; give one for every layer or exactly {depth}")
    return items


def _save_path(option: str, path: str) -> None:
    """Refuse a figure path before any work: no extension, unknown format, missing folder."""
    from .plotting import require

    require()
    from matplotlib.backend_bases import FigureCanvasBase

    formats = sorted(FigureCanvasBase.get_supported_filetypes())
    ext = os.path.splitext(path)[1][1:].lower()
    accepted = "use one of " + ", ".join("." + f for f in formats)
    if os.path.isdir(path):
        raise _BadValue(f"{option} {path!r} is a directory; give a file name such as "
                        f"{os.path.join(path, 'figure.png')!r}")
    if not ext:
        raise _BadValue(f"{option} {path!r} has no file extension (the extension picks the "
                        f"format); {accepted}")
    if ext not in formats:
        raise _BadValue(f"{option} {path!r}: matplotlib cannot write .{ext} files; {accepted}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise _BadValue(f"{option} {path!r}: the directory {folder!r} does not exist")
    if not os.access(folder, os.W_OK):
        raise _BadValue(f"{option} {path!r}: the directory {folder!r} is not writable")


def _out_dir(option: str, path: str) -> None:
    """Refuse an output directory that is a file, or that cannot be created or written."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise _BadValue(f"{option} {path!r} exists and is not a directory; give a directory "
                        "(created if needed)")
    existing = os.path.abspath(path)
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise _BadValue(f"{option} {path!r}: {existing!r} is a file, so the directory cannot "
                        "be created")
    if not os.access(existing, os.W_OK):
        raise _BadValue(f"{option} {path!r}: {existing!r} is not writable")


_AXES_OPTIONS = ("--in-axis", "--out-axis", "--batch-axis")


def _glue_axes(argv: list[str]) -> list[str]:
    """``--in-axis -2,-1`` -> ``--in-axis=-2,-1`` (argparse takes ``-2,-1`` for an option)."""
    out: list[str] = []
    for token in argv:
        if out and out[-1] in _AXES_OPTIONS and re.match(r"-\d", token):
            out[-1] = f"{out[-1]}={token}"
        else:
            out.append(token)
    return out


def _parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = _Parser(
        prog="initlab",
        description="Neural-network weight initializers, and a lab that measures what they do "
                    "to a network's signal.")
    parser.add_argument("--version", action="version", version=f"initlab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    demo = sub.add_parser(
        "demo", help="run the classic initialization experiments",
        description="Run the classic initialization experiments (E1-E7) and print, for each, "
                    "a per-layer table and a verdict computed from the measurements.")
    demo.add_argument("--out", metavar="DIR",
                      help="write one PNG figure per experiment to DIR (needs matplotlib); "
                           "by default nothing is written")
    demo.add_argument("--seed", type=_seed, default=0, help="seed of every experiment "
                      "(default 0)")
    demo.add_argument("--only", metavar="KEYS", help="comma-separated experiments to run, "
                      "e.g. E1,E7a (default all; see --list)")
    demo.add_argument("--batch", type=_positive_int, help="batch size of E1-E6 "
                      "(default 2000)")
    demo.add_argument("--list", action="store_true", help="list the experiments and exit")

    probe = sub.add_parser(
        "probe", help="measure one network layer by layer",
        description="Build an MLP, run a standard-normal batch through it and backpropagate "
                    "standard-normal noise; print the per-layer statistics and a verdict. "
                    "Draw order from --seed: input, weights (layer order), upstream gradient.")
    shape = probe.add_mutually_exclusive_group(required=True)
    shape.add_argument("--widths", type=_int_list, metavar="W0,W1,...",
                       help="layer widths, input first")
    shape.add_argument("--depth", type=_positive_int, help="number of layers (with --width)")
    probe.add_argument("--width", type=_positive_int, help="width of every layer (with "
                       "--depth)")
    probe.add_argument("--activation", default="tanh", help="activation of every layer, e.g. "
                       "tanh, relu, 'leaky_relu(0.2)', or one per layer, comma-separated: "
                       "relu,relu,linear (default tanh)")
    probe.add_argument("--init", help="initializer: a name, 'normal(std=0.01)' or a JSON "
                       "config (default: MLP's, xavier_normal)")
    probe.add_argument("--bias", action="store_true", help="add biases")
    probe.add_argument("--bias-init", help="bias initializer, as --init (default: MLP's, "
                       "zeros)")
    probe.add_argument("--batch-norm", action="store_true", help="batch norm before each "
                       "activation")
    probe.add_argument("--batch", type=_positive_int, default=2000, help="batch size "
                       "(default 2000)")
    probe.add_argument("--dtype", choices=_DTYPES, default="float32",
                       help="dtype of the weights and the arithmetic (default float32; float16 "
                            "only if the MLP engine supports it)")
    probe.add_argument("--seed", type=_seed, default=0, help="seed (default 0)")
    probe.add_argument("--grad", choices=("normal", "sum"), default="normal",
                       help="upstream gradient: standard-normal noise or ones")
    probe.add_argument("--trials", type=_positive_int, default=1, help="independent weight "
                       "draws; >1 prints means and 95%% intervals")
    probe.add_argument("--json", action="store_true", help="print JSON instead of a table")
    probe.add_argument("--plot", metavar="FILE", help="save a figure, format from the "
                       "extension: .png, .pdf, .svg, ... (needs matplotlib)")

    fans = sub.add_parser("fans", help="fan-in and fan-out of a weight shape",
                          description="Fan-in, fan-out and receptive field of a weight tensor.")
    fans.add_argument("shape", type=_int_list, metavar="SHAPE",
                      help="weight shape, e.g. 64,3,3,3")
    fans.add_argument("--layout", default="in_out", help="in_out (keras, jax, tf) or out_in "
                      "(torch); default in_out")
    fans.add_argument("--in-axis", type=_axes, metavar="AXES",
                      help="input axis, or comma-separated axes whose sizes multiply "
                           "(overrides the layout's; e.g. -2 or 0,1)")
    fans.add_argument("--out-axis", type=_axes, metavar="AXES",
                      help="output axis or axes (overrides the layout's)")
    fans.add_argument("--batch-axis", type=_axes, metavar="AXES", default=(),
                      help="axes of independent matrices (stacked heads), counted in no fan "
                           "(default none)")
    fans.add_argument("--groups", type=_positive_int, default=1,
                      help="convolution groups; must divide the output channels (default 1)")
    fans.add_argument("--transposed", action="store_true",
                      help="the weight of a transposed convolution (in/out axes swapped)")
    fans.add_argument("--json", action="store_true", help="print JSON instead of text")

    gain = sub.add_parser(
        "gain", help="PyTorch's gain and the exact gain of an activation",
        description="PyTorch's calculate_gain (where PyTorch defines the name) beside the exact "
                    "gain initlab.gain computes for any activation.")
    gain.add_argument("name", help="linear, conv2d, sigmoid, tanh, relu, leaky_relu, selu, "
                                   "gelu, silu, mish, elu, softplus, 'leaky_relu(0.2)', ...")
    gain.add_argument("--param", type=float, help="negative slope of leaky_relu (PyTorch's "
                      "param; other parameters go in the name, e.g. 'elu(alpha=0.5)')")
    gain.add_argument("--q", type=float, default=1.0,
                      help="input second moment for the exact gain (default 1)")
    gain.add_argument("--backward", action="store_true",
                      help="exact backward gain 1/sqrt(E[phi'(z)^2]) instead of the forward one")
    gain.add_argument("--json", action="store_true", help="print JSON instead of text")
    return parser


def _cmd_demo(args: argparse.Namespace) -> int:
    from .engine.experiments import EXPERIMENTS, run_demo

    if args.list:
        for key, exp in EXPERIMENTS.items():
            print(f"{key:5s} {exp.title}")
        return 0
    keys = None
    if args.only:
        keys = [k.strip() for k in args.only.split(",") if k.strip()]
        unknown = [k for k in keys if k not in EXPERIMENTS]
        if unknown:
            raise _BadValue(f"--only: unknown experiment {unknown[0]!r}; use keys among "
                            + ", ".join(EXPERIMENTS))
    if args.out is not None:
        _out_dir("--out", args.out)
    run_demo(keys, seed=args.seed, out=args.out, batch=args.batch)
    return 0


def _cmd_probe(args: argparse.Namespace) -> int:
    from .engine.mlp import MLP

    if args.widths is not None:
        if args.width is not None:
            raise _BadValue("--width goes with --depth, not with --widths")
        widths = args.widths
    else:
        if args.width is None:
            raise _BadValue("--depth needs --width")
        widths = [args.width] * (args.depth + 1)
    activation = _activations(args.activation, len(widths) - 1)
    if args.plot is not None:
        _save_path("--plot", args.plot)
    dtype = np.dtype(args.dtype)
    gen = np.random.default_rng(args.seed)
    inits = {key: _parse_spec(value) for key, value in
             (("init", args.init), ("bias_init", args.bias_init)) if value is not None}
    try:
        net = MLP(widths, activation=activation, bias=args.bias, batch_norm=args.batch_norm,
                  dtype=dtype, rng=gen, **inits)
    except TypeError as exc:
        if "dtype" not in str(exc):
            raise
        raise _BadValue(f"--dtype {args.dtype}: {exc}") from None
    # the generator draws float32 or float64; a float16 network gets rounded float32 inputs
    x = gen.standard_normal((args.batch, widths[0]),
                            dtype=np.float32 if dtype.itemsize < 4 else dtype).astype(dtype)
    if args.trials > 1:
        trials = net.trials(x, args.trials, grad=args.grad, rng=gen)
        if args.plot:
            trials.plot(args.plot)
        if args.json:
            print(trials.to_json())
        else:
            print(f"{args.trials} draws of {trials.reports[0].title}")
            print(trials.table())
        return 0
    report = net.probe(x, grad=args.grad, rng=gen)
    if args.plot:
        report.plot(args.plot)
    if args.json:
        data = report.to_dict()
        v = report.verdict()
        data["verdict"] = {"kind": v.kind, "layer": v.layer, "message": v.message}
        print(json.dumps(data, allow_nan=False))
    else:
        print(report.title)
        print(report.table())
        print(f"verdict: {report.verdict().message}")
    return 0


def _cmd_fans(args: argparse.Namespace) -> int:
    from .fans import compute_fans

    fans = compute_fans(tuple(args.shape), layout=args.layout, in_axis=args.in_axis,
                        out_axis=args.out_axis, batch_axis=args.batch_axis, groups=args.groups,
                        transposed=args.transposed)
    if args.json:
        print(json.dumps(fans._asdict()))
    else:
        print(f"fan_in={fans.fan_in} fan_out={fans.fan_out} "
              f"receptive_field={fans.receptive_field}")
    return 0


def _cmd_gain(args: argparse.Namespace) -> int:
    from .gains import TORCH_GAIN_NAMES, calculate_gain, exact_gain_for, gain

    if args.param is not None and not math.isfinite(args.param):
        raise _BadValue(f"--param {args.param} must be finite")
    if args.param is not None and args.name.replace(" ", "").startswith("leaky_relu("):
        raise _BadValue(f"--param {args.param:g}: {args.name!r} already sets the slope; give "
                        "it once, as 'leaky_relu' --param 0.2 or as 'leaky_relu(0.2)'")
    if args.param is not None and args.name.strip() != "leaky_relu":
        raise _BadValue(f"--param {args.param:g} has no effect with {args.name!r}: it is the "
                        "negative slope of 'leaky_relu' only; write other parameters in the "
                        "name, e.g. 'leaky_relu(0.2)' or 'elu(alpha=0.5)'")
    direction = "backward" if args.backward else "forward"
    torch = calculate_gain(args.name, args.param) if args.name in TORCH_GAIN_NAMES else None
    if args.q == 1.0 and direction == "forward":
        exact = exact_gain_for("gain", args.name, args.param)
    elif args.param is not None and args.name == "leaky_relu":
        exact = gain(f"leaky_relu({args.param!r})", q=args.q, direction=direction)
    else:
        exact = gain(args.name, q=args.q, direction=direction)
    if args.json:
        print(json.dumps({"nonlinearity": args.name, "param": args.param, "torch": torch,
                          "exact": exact, "q": args.q, "direction": direction}))
        return 0
    shown = "not defined (PyTorch raises)" if torch is None else repr(torch)
    print(f"calculate_gain (PyTorch):  {shown}")
    print(f"exact {direction} gain (q={args.q:g}): {exact!r}")
    return 0


_COMMANDS = {"demo": _cmd_demo, "probe": _cmd_probe, "fans": _cmd_fans, "gain": _cmd_gain}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``initlab`` command line; return the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 1 for a missing optional dependency, 2 for a bad argument.

    References
    ----------
    .. [1] Python, ``argparse`` (exit status 2 for usage errors).

    Examples
    --------
    >>> from initlab.cli import main
    >>> main(["gain", "relu"])
    calculate_gain (PyTorch):  1.4142135623730951
    exact forward gain (q=1): 1.4142135623730951
    0
    """
    parser = _parser()
    args = parser.parse_args(_glue_axes(sys.argv[1:] if argv is None else list(argv)))
    if args.command is None:
        parser.print_help()
        return 2
    prog = f"initlab {args.command}"
    try:
        return _COMMANDS[args.command](args)
    except ImportError as exc:
        print(f"{prog}: error: {_first_line(exc)}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. `initlab demo | head`: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    # OSError: e.g. a figure path that became unwritable after the checks
    except (_BadValue, ValueError, TypeError, OSError) as exc:
        print(f"{prog}: error: {_first_line(exc)}", file=sys.stderr)
        return 2


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
