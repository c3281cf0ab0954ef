"""The Python API: what the CLI, the server extension and users' scripts call."""
from __future__ import annotations

import os
import threading
from typing import Any, Callable

from .backends import RunOptions, RunResult, get_backend
from .build import Plan, build_plan
from .errors import KaleLikeError
from .notebook import load_notebook


def plan(path: str | os.PathLike, split: str = "auto", parameters: dict | None = None) -> Plan:
    """Read and analyze a notebook into a validated pipeline plan."""
    return build_plan(load_notebook(path), split, overrides=parameters or None)


def analyze(path: str | os.PathLike, split: str = "auto") -> dict[str, Any]:
    """JSON-ready description of the pipeline a notebook becomes, with diagnostics."""
    try:
        found = plan(path, split)
    except KaleLikeError as exc:
        loc = exc.location
        return {"pipeline": None, "steps": [], "edges": [], "diagnostics": [{
            "severity": "error", "message": exc.message + (f" ({exc.hint})" if exc.hint else ""),
            "cell": loc.cell if loc else None, "line": loc.line if loc else None,
            "step": loc.step if loc else None, "code": type(exc).__name__}]}
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
        on_event: Callable[[dict], None] | None = None, cancel: threading.Event | None = None) -> RunResult:
    """Run the notebook as a pipeline and write the executed notebook."""
    found = plan(path, split, parameters)
    options = RunOptions(out=out, parameters=dict(parameters or {}), jobs=jobs, cache=cache, workdir=workdir)
    return get_backend(backend).run(found, options, on_event or (lambda event: None), cancel)


def _settings(step) -> dict[str, Any]:
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
