"""The Python API: what the CLI, the server extension and users' scripts call."""
from __future__ import annotations

import os
import threading
from dataclasses import replace
from typing import Any, Callable, Mapping

from .backends import RunOptions, RunResult, get_backend, prepare
from .contract import RunError
from .errors import KaleLikeError, Location, UndefinedNameError
from .notebook import Notebook, load_notebook
from .notebook.reader import notebook_from_data
from .pipeline import Step
from .planning import Plan, build_plan


def plan(path: str | os.PathLike, split: str = "auto", parameters: dict | None = None) -> Plan:
    """Read and analyze a notebook into a validated pipeline plan."""
    return build_plan(load_notebook(path), split, overrides=parameters or None)


def plan_for_run(path: str | os.PathLike, split: str, parameters: dict | None, backend: str,
                 workdir: str | None, out: str | None = None, force: bool = False) -> Plan:
    """Like :func:`plan`, but the backend's warm-up (``prepare``) runs while the analysis does.

    ``out`` and ``workdir`` are checked first: a bad path is refused before anything runs.
    A notebook that reads a name nothing defines is refused (it would certainly fail):
    :class:`UndefinedNameError`, unless ``force``."""
    from .run_paths import check_run_paths

    check_run_paths(out, workdir)
    notebook = load_notebook(path)
    abort = prepare(backend, notebook, workdir)
    try:
        found = build_plan(notebook, split, overrides=parameters or None)
        return found if force else refuse_undefined(found)
    except BaseException:
        abort()
        raise


def refuse_undefined(found: Plan) -> Plan:
    """Raise :class:`UndefinedNameError` when the plan has undefined-name errors; else return it."""
    errors = [f for f in found.findings if f.severity == "error" and f.code == "undefined-name"]
    if not errors:
        return found
    first = errors[0]
    message = first.message
    if len(errors) > 1:
        message += f"; {len(errors) - 1} more: " + "; ".join(f"{f.where}: {f.message}" for f in errors[1:4])
        message += "; …" if len(errors) > 4 else ""
    raise UndefinedNameError(message, Location(first.cell, first.line, first.step, first.execution_count),
                             hint="fix the name, or run anyway with --force; `kale-like validate` lists every finding")


def locate_error(error: RunError | None, found: Plan) -> RunError | None:
    """A run's error with its cell's ``In [n]`` from the saved notebook, so that ``where``
    is the one wording of its place every surface shows."""
    if error is None:
        return error
    count = next((c.execution_count for c in found.notebook.cells if c.number == error.cell), None)
    return replace(error, execution_count=count)


def analyze(source: str | os.PathLike | Notebook | Mapping[str, Any], split: str = "auto",
            path: str | None = None) -> dict[str, Any]:
    """JSON-ready description of the pipeline a notebook becomes, with diagnostics.

    ``source`` is a file, a notebook already read, or a notebook's JSON data (an
    ``nbformat.NotebookNode``, or what the editor holds unsaved) named ``path``: the
    file it stands for (its name names the pipeline, its folder holds local modules)."""
    try:
        if isinstance(source, Mapping):
            source = notebook_from_data(source, path or "notebook.ipynb")
        found = build_plan(source, split) if isinstance(source, Notebook) else plan(source, split)
    except KaleLikeError as exc:
        loc = exc.location
        return {"pipeline": None, "steps": [], "edges": [], "diagnostics": [{
            "severity": "error", "message": exc.message + (f" ({exc.hint})" if exc.hint else ""),
            "cell": loc.cell if loc else None, "line": loc.line if loc else None,
            "step": loc.step if loc else None, "where": str(loc) if loc else None,
            "code": type(exc).__name__}]}
    return describe(found)


def describe(found: Plan) -> dict[str, Any]:
    pipeline = found.pipeline
    return {
        "pipeline": {"name": pipeline.name, "description": pipeline.description,
                     "experiment": pipeline.experiment, "split": found.strategy,
                     "parameters": [{"name": p.name, "default": _jsonable(p.default), "type": p.type_name,
                                     "cell": p.cell_index + 1} for p in pipeline.parameters]},
        "steps": [{"name": s.name, "kind": s.kind, "cells": list(s.cell_numbers),
                   "inputs": [{"name": i.name, "producer": i.producer} for i in s.inputs if not i.name.startswith("__")],
                   "outputs": [o for o in s.outputs if not o.startswith("__")], "upstream": list(s.upstream),
                   "settings": _settings(s)} for s in pipeline.steps],
        "edges": [list(e) for e in pipeline.edges()],
        "diagnostics": [f.to_json() for f in found.findings],
    }


def run(path: str | os.PathLike, *, out: str | None = None, split: str = "auto", parameters: dict | None = None,
        jobs: int | None = None, cache: bool = True, backend: str = "local", workdir: str | None = None,
        on_event: Callable[[dict], None] | None = None, cancel: threading.Event | None = None,
        force: bool = False, target: dict[str, str] | None = None, image: str | None = None) -> RunResult:
    """Run the notebook as a pipeline and write the executed notebook (a remote backend
    hands it to its cluster instead; ``target`` says where: ``host``, ``namespace``, ``token``;
    ``image``: kfp-docker's steps).

    Refuses (:class:`UndefinedNameError`) a notebook that reads a name nothing defines,
    unless ``force``."""
    found = plan_for_run(path, split, parameters, backend, workdir, out, force)
    options = RunOptions(out=out, parameters=dict(parameters or {}), jobs=jobs, cache=cache, workdir=workdir,
                         target=dict(target or {}), image=image)
    sink = on_event or (lambda event: None)

    def located(event: dict) -> None:
        if event.get("error"):
            located_error = locate_error(RunError.from_report(event["error"]), found)
            event = {**event, "error": located_error.to_json() if located_error else None}
        sink(event)

    result = get_backend(backend).run(found, options, located, cancel)
    return replace(result, failure=locate_error(result.failure, found))


def _settings(step: Step) -> dict[str, Any]:
    s = step.settings
    return {"image": s.image, "limits": dict(s.limits), "requests": dict(s.requests), "cache": s.cache,
            "retries": s.retries, "timeout": s.timeout, "env": dict(s.env),
            "annotations": dict(s.annotations), "labels": dict(s.labels),
            "secrets": [list(x) for x in s.secrets]}


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return repr(value)


def compile(path: str | os.PathLike, output: str | os.PathLike | None = None, *, split: str = "auto",  # noqa: A001
            parameters: dict | None = None, dsl: str | os.PathLike | None = None, options: Any = None) -> Any:
    """Compile the notebook to Kubeflow Pipelines IR YAML with the real kfp compiler.

    ``output`` defaults to NOTEBOOK.yaml; ``dsl`` also keeps the generated component
    module there; ``options`` is a :class:`kale_like.kfp.CompileOptions`. Returns a
    :class:`kale_like.kfp.compile.CompiledPipeline`.
    """
    from .kfp.compile import compile_plan
    from .kfp.options import CompileOptions

    overrides = dict(parameters or {})
    options = options or CompileOptions(parameters=overrides)
    if overrides and not options.parameters:
        from dataclasses import replace

        options = replace(options, parameters=overrides)
    target = os.fspath(output) if output else os.path.splitext(os.fspath(path))[0] + ".yaml"
    return compile_plan(plan(path, split, overrides), target, options, os.fspath(dsl) if dsl else None)


def submit(path: str | os.PathLike, *, host: str | None = None, experiment: str | None = None,
           pipeline_name: str | None = None, run_name: str | None = None, parameters: dict | None = None,
           upload_only: bool = False, wait: bool = False, timeout: float = 24 * 3600, poll_interval: float = 5.0,
           token: str | None = None, cookies: str | None = None, namespace: str | None = None,
           ui_host: str | None = None, split: str = "auto", options: Any = None,
           on_status: Callable[[str], None] | None = None) -> Any:
    """Compile the notebook and submit it to Kubeflow Pipelines (see :mod:`kale_like.kfp.submit`).

    ``parameters`` become the run's arguments (the compiled defaults are the notebook's).
    Returns a :class:`kale_like.kfp.submit.Submission`.
    """
    from .kfp.submit import submit_plan

    return submit_plan(plan(path, split, dict(parameters or {})), host=host, experiment=experiment,
                       pipeline_name=pipeline_name, run_name=run_name, parameters=parameters,
                       upload_only=upload_only, wait=wait, timeout=timeout, poll_interval=poll_interval,
                       token=token, cookies=cookies, namespace=namespace, ui_host=ui_host, options=options,
                       on_status=on_status)
