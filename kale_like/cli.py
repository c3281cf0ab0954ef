"""The ``kale-like`` command. Errors are mapped to exit codes here and only here:
0 success, 1 a step failed, 2 bad input (notebook, tags, parameters)."""
from __future__ import annotations

import argparse
import sys
from typing import Sequence

from .errors import KaleLikeError, NoSpace

SPLIT_HELP = "how to cut the notebook into steps (auto: tags if any, else markdown headings, else cells)"


class Terminated(BaseException):
    """SIGTERM or SIGHUP, raised where the program is, so cleanup runs as for Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _terminate(signum: int, frame: object) -> None:
    raise Terminated(signum)


def main(argv: Sequence[str] | None = None) -> int:
    import signal
    import threading

    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    handled = (signal.SIGTERM, signal.SIGHUP) if threading.current_thread() is threading.main_thread() else ()
    previous = {signum: signal.signal(signum, _terminate) for signum in handled}
    try:
        return _dispatch(args)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _dispatch(args: argparse.Namespace) -> int:
    try:
        return int(args.handler(args) or 0)
    except Terminated as exc:  # the run has stopped its processes and removed partial files
        print(f"kale-like: terminated by signal {exc.signum}", file=sys.stderr)
        return 128 + exc.signum
    except NoSpace as exc:  # the run failed for want of disk, not for bad input
        print(f"kale-like: error: {exc.render()}", file=sys.stderr)
        return 1
    except KaleLikeError as exc:
        print(f"kale-like: error: {exc.render()}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kale-like: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `kale-like graph NB | head`: the reader left, as for any filter
        import os

        # Python flushes stdout again at exit; point it at /dev/null so that flush is silent.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + 13
    except Exception as exc:  # noqa: BLE001 - a bug of ours: one line, traceback on request
        import os

        if os.environ.get("KALE_LIKE_DEBUG"):
            raise
        print(f"kale-like: internal error: {type(exc).__name__}: {exc} (this is a bug in kale_like; "
              "set KALE_LIKE_DEBUG=1 to see the traceback)", file=sys.stderr)
        return 3


def _parser() -> argparse.ArgumentParser:
    from ._version import __version__
    from .backends import backend_names
    from .splitting import SPLITS

    parser = argparse.ArgumentParser(prog="kale-like", description="Turn a Jupyter notebook into a pipeline.")
    parser.add_argument("--version", action="version", version=f"kale-like {__version__}")
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", help="run the notebook as a local pipeline")
    run.add_argument("notebook")
    run.add_argument("--out", help="executed notebook to write (default: NOTEBOOK.executed.ipynb)")
    run.add_argument("--split", default="auto", choices=SPLITS, help=SPLIT_HELP)
    _parameter_options(run)
    run.add_argument("--jobs", type=int, help="steps to run at once (default: number of CPUs)")
    run.add_argument("--no-cache", action="store_true", help="re-run every step")
    run.add_argument("--workdir", help="where step results and the cache live")
    run.add_argument("-v", "--verbose", action="store_true", help="print each step's output as it runs")
    run.add_argument("--backend", default="local", choices=backend_names(remote=False),
                     help="where the steps run (default: local; 'kale-like kfp submit' sends to a cluster)")
    run.add_argument("--image", help="kfp-docker: the steps' image (default: as kale-like compile chooses)")
    run.add_argument("--help-parameters", action="store_true", help="list the notebook's parameters and exit")
    run.add_argument("--sweep", action="append", metavar="NAME=V1,V2",
                     help="run once per value (repeat for a grid); --out is then a folder")
    run.add_argument("--step-output", choices=["notebooks"],
                     help="also write each step's executed notebook and its HTML next to the output")
    run.add_argument("--force", action="store_true",
                     help="run even when a name is used that no cell defines (the run will fail there)")
    run.set_defaults(handler=_run)
    validate = sub.add_parser("validate", help="static checks only")
    validate.add_argument("notebook")
    validate.add_argument("--split", default="auto", choices=SPLITS, help=SPLIT_HELP)
    validate.set_defaults(handler=_validate)
    graph = sub.add_parser("graph", help="show the steps, their inputs/outputs and edges")
    graph.add_argument("notebook")
    graph.add_argument("--split", default="auto", choices=SPLITS, help=SPLIT_HELP)
    graph.add_argument("--format", default="text", choices=["text", "dot", "mermaid", "json"])
    graph.set_defaults(handler=_graph)
    _extensions(sub)
    return parser


def _parameter_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-p", "--parameters", nargs=2, action="append", metavar=("NAME", "VALUE"),
                        help="set a parameter (value parsed as papermill does)")
    parser.add_argument("-r", "--parameters-raw", nargs=2, action="append", metavar=("NAME", "RAW"),
                        help="set a parameter to a raw string")
    parser.add_argument("-f", "--parameters-file", action="append", metavar="YAML", help="parameters from a YAML file")
    parser.add_argument("-y", "--parameters-yaml", action="append", metavar="YAML", help="parameters as a YAML string")


def _extensions(sub) -> None:
    """Subcommands contributed by optional parts (kfp, papermill), registered if present."""
    for module in ("kale_like.kfp.cli", "kale_like.papermill_cli"):
        try:
            extension = __import__(module, fromlist=["register"])
        except ImportError:
            continue
        extension.register(sub)


def _overrides(args) -> dict:
    from .parameters import collect

    return collect(args.parameters, args.parameters_raw, args.parameters_file, args.parameters_yaml)


def _run(args) -> int:
    from . import api
    from .build import check_overrides
    from .progress import Progress

    overrides = _overrides(args)
    if args.help_parameters:
        return _print_parameters(api.plan(args.notebook, args.split, overrides))
    backend = args.backend if not args.sweep else "sweep"
    found = api.plan_for_run(args.notebook, args.split, overrides, backend, args.workdir,
                             None if args.sweep else args.out, args.force)
    unknown = check_overrides(found, overrides)
    if unknown:
        known = ", ".join(p.name for p in found.pipeline.parameters) or "none"
        print(f"kale-like: warning: {', '.join(unknown)} not declared in a parameters cell "
              f"(known parameters: {known}); injecting anyway", file=sys.stderr)
    for finding in found.findings:
        print(f"kale-like: {finding.render()}", file=sys.stderr)
    if args.sweep:
        from .papermill_cli import run_sweep_command

        return run_sweep_command(args, overrides, {p.name for p in found.pipeline.parameters})
    from .backends import RunOptions, get_backend

    options = RunOptions(out=args.out, parameters=overrides, jobs=args.jobs, cache=not args.no_cache,
                         workdir=args.workdir, image=args.image)
    result = get_backend(args.backend).run(found, options, Progress(verbose=args.verbose))
    if args.step_output:
        from .papermill_cli import write_step_output

        write_step_output(found, result)
    if result.failure and result.failure.no_space:
        print(f"kale-like: error: no space left in {result.failure.no_space}", file=sys.stderr)
        return 1
    if result.ok:
        print(f"kale-like: {len(found.pipeline.steps)} steps done in {result.seconds:.1f}s; "
              f"executed notebook: {result.output}", file=sys.stderr)
        return 0
    _print_failure(result, found, args)
    return 1


def _print_failure(result, found, args) -> None:
    from .api import locate_error
    from .contract import RunError

    error = locate_error(result.failure, found) or RunError("unknown error")
    print(f"kale-like: failed at {error.where or 'an unknown place'}: {error.message}", file=sys.stderr)
    if error.hint:
        hint = str(error.hint).removeprefix("hint: ")
        print(f"  hint: {hint}", file=sys.stderr)
    traceback = _strip_ansi(error.traceback or "")
    if traceback.strip():
        print(traceback.rstrip(), file=sys.stderr)
    if result.output:
        print(f"kale-like: partial executed notebook: {result.output}", file=sys.stderr)
    if args.backend == "local":
        print(f"kale-like: finished steps stay cached; resume with: kale-like run {args.notebook}",
              file=sys.stderr)


def _strip_ansi(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)


def _print_parameters(found) -> int:
    params = found.pipeline.parameters
    if not params:
        print("the notebook declares no parameters (tag a cell 'parameters' or 'pipeline-parameters')")
        return 0
    width = max(len(p.name) for p in params)
    for p in params:
        default = "(expression)" if p.type_name == "expression" else repr(p.default)
        print(f"  {p.name:<{width}}  {p.type_name:<10} (default {default})")
    return 0


def _validate(args) -> int:
    from . import api

    found = api.plan(args.notebook, args.split)
    for finding in found.findings:
        print(finding.render())
    errors = sum(f.severity == "error" for f in found.findings)
    warnings = sum(f.severity == "warning" for f in found.findings)
    print(f"{len(found.pipeline.steps)} steps, {len(found.pipeline.edges())} edges; "
          f"{errors} errors, {warnings} warnings")
    return 1 if errors else 0


def _graph(args) -> int:
    from . import api
    from .graph import render

    found = api.plan(args.notebook, args.split)
    print(render(found, args.format))
    return 0
