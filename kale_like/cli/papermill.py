"""Command-line surface of the papermill features: ``kale-like papermill``, ``run --sweep``
and ``run --step-output notebooks``. Prints; the exit code is returned to :mod:`.app`."""
from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from ..errors import KaleLikeError
from ..parameters import check_names
from .options import warn

if TYPE_CHECKING:
    from ..backends import RunResult
    from ..planning import Plan
    from .options import Subcommands
    from .progress import Progress
    from .sweep import PointOutcome, SweepPoint


def register(sub: Subcommands) -> None:
    """Add ``kale-like papermill IN OUT [papermill options]``.

    The same as ``papermill IN OUT --engine kale_like``, and works without the
    entry point being installed (a source checkout).
    """
    parser = sub.add_parser("papermill", help="run papermill with the kale_like engine (papermill's options "
                            "after IN OUT)", add_help=False)
    parser.add_argument("-h", "--help", action="store_true", dest="papermill_help", help="papermill's help")
    parser.add_argument("papermill_args", nargs=argparse.REMAINDER)
    parser.set_defaults(handler=_papermill)


def _papermill(args: argparse.Namespace) -> int:
    try:
        from papermill.cli import papermill
        from papermill.engines import papermill_engines
    except ImportError:
        raise KaleLikeError("papermill is not installed", hint="pip install 'kale_like[papermill]'") from None
    from ..papermill import ENGINE_NAME
    from ..papermill.engine import KaleLikeEngine

    papermill_engines.register(ENGINE_NAME, KaleLikeEngine)
    forwarded = ["--help"] if args.papermill_help else list(args.papermill_args)
    if "--help" not in forwarded and "-h" not in forwarded and "--engine" not in forwarded:
        forwarded += ["--engine", ENGINE_NAME]
    from papermill.exceptions import PapermillException, PapermillExecutionError

    # papermill writes each name into the output notebook's injected cell before any engine
    # runs: a name that is not an identifier must be refused before papermill starts.
    check_names(_papermill_parameters(forwarded))
    try:
        papermill.main(args=forwarded, prog_name="kale-like papermill", standalone_mode=True)
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except PapermillExecutionError as failure:
        # papermill's own command ends with this error and exit status 1; show its message
        # (the failing cell, its error and traceback), not a traceback through our code.
        print(f"kale-like papermill: {failure}", file=sys.stderr)
        return 1
    except PapermillException as refused:
        # the engine's KaleLikeError, wrapped by papermill: bad input, not a bug
        print(f"kale-like papermill: error: {refused}", file=sys.stderr)
        return 2
    return 0


def _papermill_parameters(forwarded: list[str]) -> dict[str, Any]:
    """The parameters papermill's options give (names matter here, values do not)."""
    import base64

    import yaml

    found: dict[str, Any] = {}
    position = 0
    while position < len(forwarded):
        option = forwarded[position]
        if option in ("-p", "--parameters", "-r", "--parameters_raw") and position + 1 < len(forwarded):
            found[forwarded[position + 1]] = None
            position += 3
            continue
        text = forwarded[position + 1] if position + 1 < len(forwarded) else ""
        try:
            if option in ("-y", "--parameters_yaml"):
                found.update(_names_of(yaml.safe_load(text)))
            elif option in ("-b", "--parameters_base64"):
                found.update(_names_of(yaml.safe_load(base64.b64decode(text))))
            elif option in ("-f", "--parameters_file"):
                with open(text, encoding="utf-8") as handle:
                    found.update(_names_of(yaml.safe_load(handle)))
        except (OSError, ValueError, yaml.YAMLError):
            pass  # papermill reports unreadable parameters in its own words
        position += 1
    return found


def _names_of(loaded: Any) -> dict[Any, None]:
    return dict.fromkeys(loaded) if isinstance(loaded, dict) else {}


def run_sweep_command(args: argparse.Namespace, overrides: dict[str, Any], known: set[str]) -> int:
    """``kale-like run NOTEBOOK --sweep a=1,2 [--sweep b=x,y]``: 0 when every point succeeded."""
    from .progress import Progress
    from .sweep import SUMMARY_NAME, default_folder, grid, parse_axes, run_sweep, write_summary

    if getattr(args, "backend", "local") != "local":
        raise KaleLikeError("--sweep runs on the local backend", hint="drop --backend, or run each point yourself")
    axes = parse_axes(args.sweep)
    unknown = sorted(set(axes) - known)
    if unknown:
        warn([f"{', '.join(unknown)} not declared in a parameters cell "
              f"(known parameters: {', '.join(sorted(known)) or 'none'}); injecting anyway"])
    folder = args.out or default_folder(args.notebook)
    total = len(grid(axes))

    def on_point(point: SweepPoint) -> Progress:
        label = " ".join(f"{k}={v!r}" for k, v in point.values.items())
        print(f"kale-like: sweep point {point.number}/{total}: {label}", file=sys.stderr)
        return Progress()

    def after_point(found: Plan, result: RunResult, outcome: PointOutcome) -> None:
        if args.step_output == "notebooks":
            write_step_output(found, result)
        cached = ", ".join(outcome.cached) or "none"
        state = "ok" if outcome.ok else f"FAILED: {(outcome.error or {}).get('message', '')}"
        print(f"kale-like: point {outcome.point.number}: {state}; from cache: {cached}", file=sys.stderr)

    outcomes = run_sweep(args.notebook, axes, base=overrides, folder=folder, split=args.split, jobs=args.jobs,
                         cache=not args.no_cache, workdir=args.workdir, on_point=on_point, after_point=after_point)
    summary = write_summary(f"{folder}/{SUMMARY_NAME}", axes, outcomes)
    failed = [o.point.number for o in outcomes if not o.ok]
    print(f"kale-like: {len(outcomes)} points, {len(failed)} failed; summary: {summary}", file=sys.stderr)
    return 1 if failed else 0


def write_step_output(found: Any, result: Any) -> list[str]:
    """``--step-output notebooks``: STEP.ipynb and STEP.html next to the executed notebook."""
    from ..nbformat_loader import load_nbformat
    from ..papermill.step_notebooks import step_output_dir, write_step_notebooks

    if not result.output:
        return []
    with open(result.output, encoding="utf-8") as handle:
        executed = load_nbformat().read(handle, as_version=4)
    folder = step_output_dir(result.output)
    written = write_step_notebooks(found, executed, result.states, folder)
    print(f"kale-like: step notebooks and HTML in {folder}", file=sys.stderr)
    return written
