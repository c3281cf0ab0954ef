"""``kale-like run | validate | graph``: the notebook as a pipeline on this machine, its
static checks, and its steps' graph. Handlers parse, call :mod:`kale_like.api`, and print."""
from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from .options import add_backend, add_image, add_notebook, add_parameters, add_split, overrides, warn

if TYPE_CHECKING:
    from ..backends import RunResult
    from ..planning import Plan
    from .options import Subcommands


def register(sub: Subcommands) -> None:
    run = sub.add_parser("run", help="run the notebook as a local pipeline")
    add_notebook(run)
    run.add_argument("--out", help="executed notebook to write (default: NOTEBOOK.executed.ipynb)")
    add_split(run)
    add_parameters(run)
    run.add_argument("--jobs", type=int, help="steps to run at once (default: number of CPUs)")
    run.add_argument("--no-cache", action="store_true", help="re-run every step")
    run.add_argument("--workdir", help="where step results and the cache live")
    run.add_argument("-v", "--verbose", action="store_true", help="print each step's output as it runs")
    add_backend(run, "where the steps run (default: local; 'kale-like kfp submit' sends to a cluster)")
    add_image(run, "kfp-docker: the steps' image (default: as kale-like compile chooses)")
    run.add_argument("--help-parameters", action="store_true", help="list the notebook's parameters and exit")
    run.add_argument("--sweep", action="append", metavar="NAME=V1,V2",
                     help="run once per value (repeat for a grid); --out is then a folder")
    run.add_argument("--step-output", choices=["notebooks"],
                     help="also write each step's executed notebook and its HTML next to the output")
    run.add_argument("--force", action="store_true",
                     help="run even when a name is used that no cell defines (the run will fail there)")
    run.set_defaults(handler=_run)
    validate = sub.add_parser("validate", help="static checks only")
    add_notebook(validate)
    add_split(validate)
    validate.set_defaults(handler=_validate)
    graph = sub.add_parser("graph", help="show the steps, their inputs/outputs and edges")
    add_notebook(graph)
    add_split(graph)
    graph.add_argument("--format", default="text", choices=["text", "dot", "mermaid", "json"])
    graph.set_defaults(handler=_graph)


def _run(args: argparse.Namespace) -> int:
    from .. import api
    from ..planning import check_overrides
    from .progress import Progress

    given = overrides(args)
    if args.help_parameters:
        return _print_parameters(api.plan(args.notebook, args.split, given))
    backend = args.backend if not args.sweep else "sweep"
    found = api.plan_for_run(args.notebook, args.split, given, backend, args.workdir,
                             None if args.sweep else args.out, args.force)
    unknown = check_overrides(found, given)
    if unknown:
        known = ", ".join(p.name for p in found.pipeline.parameters) or "none"
        warn([f"{', '.join(unknown)} not declared in a parameters cell (known parameters: {known}); "
              "injecting anyway"])
    for finding in found.findings:
        print(f"kale-like: {finding.render()}", file=sys.stderr)
    if args.sweep:
        from .papermill import run_sweep_command

        return run_sweep_command(args, given, {p.name for p in found.pipeline.parameters})
    from ..backends import RunOptions, get_backend

    options = RunOptions(out=args.out, parameters=given, jobs=args.jobs, cache=not args.no_cache,
                         workdir=args.workdir, image=args.image)
    result = get_backend(args.backend).run(found, options, Progress(verbose=args.verbose))
    if args.step_output:
        from .papermill import write_step_output

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


def _print_failure(result: RunResult, found: Plan, args: argparse.Namespace) -> None:
    from ..api import locate_error
    from ..contract import RunError

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


def _print_parameters(found: Plan) -> int:
    params = found.pipeline.parameters
    if not params:
        print("the notebook declares no parameters (tag a cell 'parameters' or 'pipeline-parameters')")
        return 0
    width = max(len(p.name) for p in params)
    for p in params:
        default = "(expression)" if p.type_name == "expression" else repr(p.default)
        print(f"  {p.name:<{width}}  {p.type_name:<10} (default {default})")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from .. import api

    found = api.plan(args.notebook, args.split)
    for finding in found.findings:
        print(finding.render())
    errors = sum(f.severity == "error" for f in found.findings)
    warnings = sum(f.severity == "warning" for f in found.findings)
    print(f"{len(found.pipeline.steps)} steps, {len(found.pipeline.edges())} edges; "
          f"{errors} errors, {warnings} warnings")
    return 1 if errors else 0


def _graph(args: argparse.Namespace) -> int:
    from .. import api
    from .graph import render

    found = api.plan(args.notebook, args.split)
    print(render(found, args.format))
    return 0
