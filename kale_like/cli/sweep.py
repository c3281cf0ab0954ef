"""Parameter sweeps: the notebook run once per point of a grid of parameter values.

``--sweep alpha=0.1,0.5 --sweep depth=2,4`` is the grid alpha x depth (4 points).
Every point runs on the local backend with one shared work directory, so a step
whose cache key does not change between points (its code, its inputs and the
parameter values it receives) is served from the cache instead of re-run. Each
point writes its executed notebook; a CSV row per point holds the swept values,
the outcome and the ``pipeline-metrics``.
"""
from __future__ import annotations

import csv
import itertools
import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import ParameterError
from ..parameters import check_name, parse_value

SUMMARY_NAME = "summary.csv"


@dataclass(frozen=True)
class SweepPoint:
    number: int                 # 1-based, in grid order
    values: dict[str, Any]      # the swept parameters only


@dataclass
class PointOutcome:
    point: SweepPoint
    ok: bool
    output: str | None
    seconds: float
    states: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    error: dict | None = None

    @property
    def cached(self) -> list[str]:
        return [name for name, state in self.states.items() if state == "cached"]


def parse_axes(specs: list[str]) -> dict[str, list[Any]]:
    """``["alpha=0.1,0.5", "layers=[[1, 2], [3]]"]`` -> ``{"alpha": [0.1, 0.5], "layers": [[1, 2], [3]]}``.

    Values are parsed as ``-p`` values are (papermill's rule); a value list written
    in brackets is read as YAML, for values that hold commas.
    """
    axes: dict[str, list[Any]] = {}
    for spec in specs:
        name, sep, text = spec.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ParameterError(f"--sweep '{spec}' is not NAME=V1,V2,...",
                                 hint="e.g. --sweep alpha=0.1,0.5,1.0")
        check_name(name)
        values = _values(text.strip(), spec)
        if not values:
            raise ParameterError(f"--sweep '{spec}' gives no values")
        if name in axes:
            raise ParameterError(f"--sweep names '{name}' twice", hint="give all its values in one --sweep")
        axes[name] = values
    return axes


def _values(text: str, spec: str) -> list[Any]:
    if text.startswith("["):
        import yaml

        try:
            loaded = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ParameterError(f"--sweep '{spec}': the value list is not valid YAML: {exc}") from None
        if not isinstance(loaded, list):
            raise ParameterError(f"--sweep '{spec}': expected a list in brackets")
        return loaded
    return [parse_value(part.strip()) for part in text.split(",") if part.strip()]


def grid(axes: dict[str, list[Any]]) -> list[SweepPoint]:
    """Every combination, the first axis varying slowest (as written on the command line)."""
    names = list(axes)
    combos = itertools.product(*(axes[n] for n in names))
    return [SweepPoint(number, dict(zip(names, combo))) for number, combo in enumerate(combos, start=1)]


def point_output(folder: str, notebook_path: str, point: SweepPoint) -> str:
    """``folder/STEM-003-alpha=0.5-depth=2.ipynb``: sortable, and readable in a file list."""
    stem = os.path.splitext(os.path.basename(notebook_path))[0]
    label = "-".join(f"{name}={_slug(value)}" for name, value in point.values.items())
    return os.path.join(folder, f"{stem}-{point.number:03d}-{label}.ipynb"[:240])


def _slug(value: Any) -> str:
    return re.sub(r"[^A-Za-z0-9._+-]+", "_", str(value)).strip("_")[:40] or "_"


def default_folder(notebook_path: str) -> str:
    stem, _ = os.path.splitext(os.path.abspath(notebook_path))
    return stem + ".sweep"


def run_sweep(notebook_path: str, axes: dict[str, list[Any]], *, base: dict[str, Any] | None = None,
              folder: str | None = None, split: str = "auto", jobs: int | None = None, cache: bool = True,
              workdir: str | None = None, on_point: Callable[[SweepPoint], Callable[[dict], None]] | None = None,
              after_point: Callable[[Any, Any, PointOutcome], None] | None = None) -> list[PointOutcome]:
    """Run every point of the grid, one after the other, sharing one cache.

    ``on_point(point)`` returns the event sink for that point's run;
    ``after_point(plan, result, outcome)`` is called when a point finishes.
    """
    from ..api import plan as make_plan
    from ..backends import RunOptions, get_backend
    from ..run_paths import default_workdir

    folder = folder or default_folder(notebook_path)
    shared = workdir or default_workdir(os.path.abspath(notebook_path))
    backend = get_backend("local")
    outcomes = []
    for point in grid(axes):
        parameters = dict(base or {}) | point.values
        found = make_plan(notebook_path, split, parameters)
        options = RunOptions(out=point_output(folder, notebook_path, point), parameters=parameters, jobs=jobs,
                             cache=cache, workdir=shared)
        sink = on_point(point) if on_point else (lambda event: None)
        result = backend.run(found, options, sink)
        outcome = PointOutcome(point, result.ok, result.output, result.seconds, dict(result.states),
                               dict(result.metrics), result.error)
        outcomes.append(outcome)
        if after_point:
            after_point(found, result, outcome)
    return outcomes


def write_summary(path: str, axes: dict[str, list[Any]], outcomes: list[PointOutcome]) -> str:
    """One CSV row per point: swept values, outcome, cached steps, output, then the metrics."""
    metric_names: list[str] = []
    for outcome in outcomes:
        metric_names += [m for m in outcome.metrics if m not in metric_names]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["point", *axes, "ok", "seconds", "cached_steps", "notebook", *metric_names])
        for outcome in outcomes:
            writer.writerow([outcome.point.number, *(_cell(outcome.point.values[n]) for n in axes),
                             outcome.ok, round(outcome.seconds, 3), ";".join(outcome.cached),
                             outcome.output or "", *(outcome.metrics.get(m, "") for m in metric_names)])
    return path


def _cell(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)
