"""Scheduling steps on this machine: ready steps run in parallel (``jobs`` at a
time) as children of one warm parent; unchanged steps come from the cache; a
failure stops new launches, keeps what finished cached, and points at the cell."""
from __future__ import annotations

import json
import os
import pickle
import queue
import shutil
import time
from dataclasses import dataclass, field
from typing import Any

from ...build import Plan
from ...pipeline import Step, StepCell
from ...errors import NoSpace, is_no_space
from ...runtime.spec import EXIT_NO_SPACE, StepSpec
from .. import EventSink, RunOptions, RunResult
from .cache import entry_dir, invalidate, lookup, parameter_value_key, seal, step_key
from ..executed import execution_plan, merge_outputs, write_atomically
from .warnings_once import drop_repeated_warnings
from . import warm, workdir_lock
from .readiness import Readiness
from .live import LiveTail, live_path, output_events
from .zygote_client import Zygote


@dataclass
class _Running:
    step: str
    key: str
    started: float
    pid: int | None = None
    timed_out: bool = False
    tail: LiveTail | None = None


@dataclass
class _State:
    states: dict[str, str]
    keys: dict[str, str] = field(default_factory=dict)
    reports: dict[str, dict] = field(default_factory=dict)
    started: dict[str, float] = field(default_factory=dict)
    elapsed: dict[str, float] = field(default_factory=dict)
    error: dict | None = None


class LocalBackend:
    name = "local"

    def run(self, plan: Plan, options: RunOptions, on_event: EventSink, cancel: Any = None) -> RunResult:
        return LocalRun(plan, options, on_event, cancel).execute()


def default_workdir(notebook_path: str | None) -> str:
    import hashlib

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    ident = hashlib.sha256(os.path.abspath(notebook_path or "notebook").encode()).hexdigest()[:12]
    stem = os.path.splitext(os.path.basename(notebook_path or "notebook"))[0]
    return os.path.join(base, "kale_like", f"{stem}-{ident}")


def default_output(notebook_path: str | None) -> str:
    stem, _ = os.path.splitext(os.path.abspath(notebook_path or "notebook.ipynb"))
    return stem + ".executed.ipynb"


class LocalRun:
    def __init__(self, plan: Plan, options: RunOptions, on_event: EventSink, cancel: Any) -> None:
        self.plan = plan
        self.pipeline = plan.pipeline
        self.options = options
        self.emit = on_event
        self.cancel = cancel
        self.workdir = os.path.abspath(options.workdir or default_workdir(plan.notebook.path))
        self.notebook_dir = os.path.dirname(os.path.abspath(plan.notebook.path or "."))
        self.jobs = max(1, options.jobs or os.cpu_count() or 1)
        self.state = _State(states={s.name: "waiting" for s in self.pipeline.steps})
        self.attempts: dict[str, int] = {}
        self.ready = Readiness(self.pipeline)
        self.missed: set[str] = set()  # steps whose cache lookup missed in this run
        self.zygote: Zygote | None = None
        self.recomputed: set[str] = set()  # producers recomputed because their values were damaged
        self.requeued: set[str] = set()    # steps re-run after such a recompute (once each)
        # nbformat takes seconds to import on some machines: read the source notebook
        # for the executed copy in the background while the steps run.
        self._source = _Background(self._read_source)
        skipped = set(plan.skipped_cells)
        self.parameter_cell = self._parameter_cell()
        self.counts, self.injected_count = execution_plan(plan.notebook.cells, skipped, options.parameters,
                                                          self.parameter_cell)

    # --- setup ---------------------------------------------------------------------------
    def _read_source(self) -> Any:
        from kale_like.notebook.nbformat_loader import load_nbformat
        nbformat = load_nbformat()

        if self.plan.notebook.path is None:
            raise ValueError("a local run needs the notebook's path")
        with open(self.plan.notebook.path, encoding="utf-8") as handle:
            return nbformat.read(handle, as_version=4)

    def _parameter_cell(self) -> int | None:
        for step in self.pipeline.steps:
            if step.kind == "parameters" and step.cells:
                return step.cells[-1].cell_index
        return None

    def _shared(self, step: Step) -> tuple[StepCell, ...]:
        cells = []
        for index in step.prelude_cells:
            cell = self.plan.notebook.cells[index]
            cells.append(StepCell(index, cell.source, cell.source, cell.tags.raises_exception))
        return tuple(cells)

    def _keys(self) -> None:
        # Downstream steps see the parameters step by its code alone, and each overridden
        # parameter they read by its value: a sweep over one parameter re-runs only what reads it.
        overrides = self.options.parameters
        seen: dict[str, str] = {}
        for name in self.pipeline.order:
            step = self.pipeline.step(name)
            shared = [c.source for c in self._shared(step)]
            values = {i.name: parameter_value_key(overrides[i.name]) for i in step.inputs
                      if i.name in overrides and self.pipeline.step(i.producer).kind == "parameters"}
            self.state.keys[name] = step_key(step, seen, self._parameters_for(step), shared, values)
            seen[name] = step_key(step, seen, {}, shared, values) if step.kind == "parameters" else self.state.keys[name]

    def _parameters_for(self, step: Step) -> dict:
        return dict(self.options.parameters) if step.kind == "parameters" else {}

    # --- main loop -----------------------------------------------------------------------
    def execute(self) -> RunResult:
        began = time.perf_counter()
        with workdir_lock.holding(self.workdir, self.plan.notebook.path, self._notice, self.cancel) as acquired:
            if acquired:
                return self._execute(began)
        warm.discard(self.plan.notebook)
        for name in self.pipeline.order:
            self.state.states[name] = "cancelled"
        error = {"message": "cancelled while waiting for the work directory"}
        self.emit({"type": "finished", "ok": False, "output": None, "error": error, "metrics": {}})
        return RunResult(ok=False, error=error, states=dict(self.state.states),
                         seconds=time.perf_counter() - began)

    def _notice(self, message: str) -> None:
        self.emit({"type": "notice", "message": message})

    def _execute(self, began: float) -> RunResult:
        self._keys()
        self.emit({"type": "plan", "steps": list(self.pipeline.order),
                   "edges": [list(e) for e in self.pipeline.edges()]})
        for name in self.pipeline.order:
            self.emit({"type": "step", "step": name, "state": "waiting", "elapsed": 0.0})
        try:
            self._schedule()
        except BaseException as exc:
            # Interrupted (Ctrl-C, SIGTERM, an error of ours): nothing of this run may outlive it.
            if self.zygote is not None:
                self.zygote.kill_all()
                self.zygote.close()
            warm.discard(self.plan.notebook)
            if is_no_space(exc):
                raise NoSpace(self.workdir) from exc
            raise
        if self.zygote is not None:
            warm.park(self.plan.notebook, self.zygote)
        else:
            unused = warm.claim(self.plan.notebook)  # every step came from the cache
            if unused is not None:
                warm.park(self.plan.notebook, unused)
        return self._finish(time.perf_counter() - began)

    def _schedule(self) -> None:
        """Start ready steps (``jobs`` at a time) and follow them until nothing can start.

        Constant work per step and event: readiness is kept by counts (``Readiness``),
        never by scanning the steps still waiting.
        """
        running: dict[str, _Running] = {}
        by_pid: dict[int, _Running] = {}
        early_exits: dict[int, int] = {}
        while True:
            if self._cancelled():
                self._cancel_all(running, self.ready.waiting(), self.zygote)
                return
            self._start_ready(running)
            if not running:
                break
            self._wait(self.zygote, running, by_pid, early_exits)
        self._skip_rest(self.ready.waiting())  # upstream failed, or the run stopped at a failure

    def _start_ready(self, running: dict[str, _Running]) -> None:
        held: list[str] = []
        while not self.state.error:
            name = self.ready.pop()
            if name is None:
                break
            if self._serve_cached(name):
                continue
            if self._still_read(name, running):
                held.append(name)
                continue
            if len(running) >= self.jobs:
                self.ready.push_back(name)
                break
            if self.zygote is None:
                self.zygote = warm.claim(self.plan.notebook) or warm.start(self.plan.notebook, self.workdir)
            running[name] = self._launch(self.zygote, name)
        for name in held:
            self.ready.push_back(name)

    def _cancelled(self) -> bool:
        return bool(self.cancel is not None and self.cancel.is_set())

    def _still_read(self, name: str, running: dict[str, _Running]) -> bool:
        """A producer recomputed for damage waits until no running step may be reading its entry."""
        return name in self.recomputed and any(name in self.pipeline.step(r).upstream for r in running)

    def _serve_cached(self, name: str) -> bool:
        if not self.options.cache or name in self.missed:
            return False
        found = lookup(self.workdir, self.state.keys[name])
        if found.damaged:
            self._warn(f"the cached result of step '{name}' is damaged ({found.damaged}); recomputing it")
        if found.report is None:
            self.missed.add(name)  # looked up once per run: a miss stays a miss
            return False
        self._record(name, found.report, "cached")
        return True

    def _launch(self, zygote: Zygote, name: str) -> _Running:
        step = self.pipeline.step(name)
        key = self.state.keys[name]
        folder = entry_dir(self.workdir, key)
        if os.path.exists(folder):
            shutil.rmtree(folder)
        os.makedirs(folder)
        spec = StepSpec(
            step=name, cells=step.cells, prelude=step.prelude, shared_cells=self._shared(step),
            inputs={i.name: os.path.join(entry_dir(self.workdir, self.state.keys[i.producer]), "values")
                    for i in step.inputs if i.name != "__files__"},
            outputs=step.outputs, output_dir=os.path.join(folder, "values"),
            result_path=os.path.join(folder, "report.json"), workdir=self.notebook_dir,
            execution_counts=self._counts_for(step), cell_sources=self._cell_sources(step),
            parameters=self._parameters_for(step), metrics=step.metrics, carries_rng=step.carries_rng,
            assigned_cells=dict(step.output_cells), live_output=live_path(folder),
            memory_limit=dict(step.settings.limits).get("memory"))
        spec_path = os.path.join(folder, "spec.pkl")
        with open(spec_path, "wb") as handle:
            pickle.dump(spec, handle)
        zygote.start(spec_path)
        self.state.states[name] = "running"
        self.state.started[name] = time.perf_counter()
        self.emit({"type": "step", "step": name, "state": "running", "elapsed": 0.0})
        return _Running(step=name, key=key, started=time.perf_counter(), tail=LiveTail(live_path(folder)))

    def _counts_for(self, step: Step) -> dict[int, int]:
        """The execution counts of the cells this step shows (all of them would make every
        spec as large as the notebook: quadratic in the number of steps)."""
        cells = {c.cell_index for c in step.cells} | set(step.prelude_cells) | {s.cell_index for s in step.prelude}
        return {i: self.counts[i] for i in cells if i in self.counts}

    def _cell_sources(self, step: Step) -> dict[int, str]:
        """Whole cells (as Python) behind the replayed snippets, so tracebacks can show their lines."""
        from ...analysis.ipython_source import to_python

        return {i: to_python(self.plan.notebook.cells[i].source) for i in {s.cell_index for s in step.prelude}}

    def _wait(self, zygote: Zygote | None, running: dict[str, _Running], by_pid: dict[int, _Running],
              early_exits: dict[int, int]) -> None:
        assert zygote is not None
        for run in running.values():
            self._forward_output(run)
        try:
            event = zygote.events.get(timeout=0.1)
        except queue.Empty:
            self._enforce_timeouts(running)
            return
        if "spec" in event:
            run = next((r for r in running.values() if event["spec"].startswith(entry_dir(self.workdir, r.key))), None)
            if run is None:
                return
            run.pid = event["pid"]
            by_pid[run.pid] = run
            if run.pid in early_exits:
                self._exited(running, by_pid, run.pid, early_exits.pop(run.pid))
        elif "pid" in event:
            if event["pid"] in by_pid:
                self._exited(running, by_pid, event["pid"], event["status"])
            else:
                early_exits[event["pid"]] = event["status"]
        elif "zygote_exited" in event:
            for run in list(running.values()):
                self._fail(run.step, {"message": "the step's parent process died unexpectedly"})
                running.pop(run.step)

    def _forward_output(self, run: _Running) -> None:
        """What the step printed since the last look, as ``output`` events (live output)."""
        if run.tail is not None:
            for event in output_events(run.step, run.tail):
                self.emit(event)

    def _exited(self, running: dict[str, _Running], by_pid: dict[int, _Running], pid: int, status: int) -> None:
        run = by_pid.pop(pid)
        running.pop(run.step, None)
        self._forward_output(run)
        report = os.path.join(entry_dir(self.workdir, run.key), "report.json")
        settings = self.pipeline.step(run.step).settings
        succeeded = os.path.exists(report) and _report_ok(report)
        if not succeeded and self._recompute_damaged(run.step, report, running):
            return
        no_space = status == EXIT_NO_SPACE and not os.path.exists(report) or _no_space_in(report)
        if no_space:
            shutil.rmtree(entry_dir(self.workdir, run.key), ignore_errors=True)  # partial; frees space
            self._fail(run.step, {"message": f"no space left in {self.workdir}", "no_space": self.workdir})
            return
        attempts = self.attempts.get(run.step, 1)
        if not succeeded and settings.retries and attempts <= settings.retries:
            self.attempts[run.step] = attempts + 1
            self.ready.push_back(run.step)
            self.emit({"type": "step", "step": run.step, "state": "waiting", "elapsed": 0.0,
                       "attempt": attempts + 1})
            return
        if not os.path.exists(report):
            if run.timed_out:
                message = f"the step ran longer than its timeout of {settings.timeout} s and was stopped"
            else:
                message = f"the step's process ended without a report (exit status {status})"
                memory = dict(settings.limits).get("memory")
                if memory:
                    message += f"; it may have gone over its memory limit of {memory} (limit:memory:{memory})"
            self._fail(run.step, {"message": message})
            return
        self._record(run.step, report, None)

    def _recompute_damaged(self, step: str, report_path: str, running: dict[str, _Running]) -> bool:
        """A step found an input whose files were damaged: recompute its producer, then the step.

        Each producer is recomputed once per run; damage found again is a failure.
        """
        damaged = _damaged_input(report_path)
        producer = next((u for u in self.pipeline.step(step).upstream
                         if damaged and damaged.startswith(entry_dir(self.workdir, self.state.keys[u]) + os.sep)), None)
        if producer is None or step in self.requeued:
            return False
        if producer not in self.recomputed:
            self.recomputed.add(producer)
            invalidate(self.workdir, self.state.keys[producer])
            self._warn(f"the saved values of step '{producer}' are damaged ({damaged}); recomputing them")
            self.state.states[producer] = "waiting"
            self.emit({"type": "step", "step": producer, "state": "waiting", "elapsed": 0.0})
            self.missed.add(producer)
            self.ready.undone(producer)
            self.ready.push_back(producer)
        self.requeued.add(step)
        self.state.states[step] = "waiting"
        self.emit({"type": "step", "step": step, "state": "waiting", "elapsed": 0.0})
        self.ready.requeue(step)
        return True

    def _warn(self, message: str) -> None:
        self.emit({"type": "warning", "message": message})

    def _enforce_timeouts(self, running: dict[str, _Running]) -> None:
        for run in list(running.values()):
            timeout = self.pipeline.step(run.step).settings.timeout
            if timeout and run.pid and not run.timed_out and time.perf_counter() - run.started > timeout:
                run.timed_out = True
                Zygote.kill(run.pid)

    def _record(self, name: str, report_path: str, forced_state: str | None) -> None:
        with open(report_path, encoding="utf-8") as handle:
            report = json.load(handle)
        self.state.reports[name] = report
        started = self.state.started.get(name)
        elapsed = time.perf_counter() - started if started else 0.0
        self.state.elapsed[name] = elapsed
        if report.get("ok"):
            if forced_state is None:
                seal(self.workdir, self.state.keys[name])
            state = forced_state or "succeeded"
            self.state.states[name] = state
            self.ready.done(name)
            self.emit({"type": "step", "step": name, "state": state, "elapsed": round(elapsed, 3)})
        else:
            self._fail(name, report.get("error") or {"message": "failed"})

    def _fail(self, name: str, error: dict) -> None:
        self.state.states[name] = "failed"
        error = dict(error)
        error["step"] = name
        # Report the failure a top-to-bottom run would have hit first.
        if self.state.error is None or self._position(name) < self._position(self.state.error.get("step", "")):
            self.state.error = error
        elapsed = time.perf_counter() - self.state.started.get(name, time.perf_counter())
        self.emit({"type": "step", "step": name, "state": "failed", "elapsed": round(elapsed, 3), "error": error})

    def _position(self, name: str) -> int:
        try:
            return self.pipeline.step(name).first_cell
        except KeyError:
            return -1

    def _skip_rest(self, pending: list[str]) -> None:
        for name in pending:
            self.state.states[name] = "skipped"
            self.emit({"type": "step", "step": name, "state": "skipped", "elapsed": 0.0})

    def _cancel_all(self, running: dict[str, _Running], pending: list[str], zygote: Zygote | None) -> None:
        if zygote is not None and running:
            zygote.kill_all()  # also reaches a step whose process id has not been reported yet
        for run in running.values():
            if run.pid:
                Zygote.kill(run.pid)
            self.state.states[run.step] = "cancelled"
            self.emit({"type": "step", "step": run.step, "state": "cancelled", "elapsed": 0.0})
        running.clear()
        for name in pending:
            self.state.states[name] = "cancelled"
            self.emit({"type": "step", "step": name, "state": "cancelled", "elapsed": 0.0})
        if self.state.error is None:
            self.state.error = {"message": "the run was cancelled"}

    # --- results -------------------------------------------------------------------------
    def _finish(self, seconds: float) -> RunResult:
        records: dict[int, dict] = {}
        metrics: dict[str, float] = {}
        for name in self.pipeline.order:
            report = self.state.reports.get(name)
            if not report:
                continue
            metrics.update(report.get("metrics") or {})
            for cell in report.get("cells", []):
                records.setdefault(cell["cell_index"], cell)
        ok = self.state.error is None and all(s in ("succeeded", "cached") for s in self.state.states.values())
        out = self.options.out or default_output(self.plan.notebook.path)
        metadata = {"ok": ok, "steps": {n: {"state": self.state.states[n], "seconds": round(self.state.elapsed.get(n, 0.0), 3)}
                                        for n in self.pipeline.order}, "metrics": metrics}
        drop_repeated_warnings(records, [c.source for c in self.plan.notebook.cells])
        _keep_files_read(self.workdir, self.state.reports)
        node = merge_outputs(self._source.result(), records, self.options.parameters, self.parameter_cell,
                             self.injected_count, metadata)
        write_atomically(node, out)
        error = self._located_error()
        result = RunResult(ok=ok, output=out, error=error, states=dict(self.state.states), metrics=metrics,
                           seconds=seconds)
        self.emit({"type": "finished", "ok": ok, "output": out, "error": error, "metrics": metrics})
        return result

    def _located_error(self) -> dict | None:
        if self.state.error is None:
            return None
        error = dict(self.state.error)
        traceback = error.get("traceback") or []
        error["traceback"] = "\n".join(traceback) if isinstance(traceback, list) else str(traceback)
        return error


def _no_space_in(path: str) -> bool:
    try:
        with open(path, encoding="utf-8") as handle:
            return bool((json.load(handle).get("error") or {}).get("no_space"))
    except (OSError, ValueError, AttributeError):
        return False


def _damaged_input(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return (json.load(handle).get("error") or {}).get("damaged_input")
    except (OSError, ValueError, AttributeError):
        return None


def _report_ok(path: str) -> bool:
    try:
        with open(path, encoding="utf-8") as handle:
            return bool(json.load(handle).get("ok"))
    except (OSError, ValueError):
        return False


class _Background:
    """Run one function in a thread; ``result()`` waits for it and re-raises its error."""

    def __init__(self, function) -> None:
        import threading

        self._value: Any = None
        self._error: BaseException | None = None

        def work() -> None:
            try:
                self._value = function()
            except BaseException as exc:  # noqa: BLE001 - re-raised in result()
                self._error = exc

        self._thread = threading.Thread(target=work, daemon=True)
        self._thread.start()

    def result(self) -> Any:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value



FILES_READ = "files_read.json"


def _keep_files_read(workdir: str, reports: dict[str, dict]) -> None:
    """What the steps read from the notebook's folder (see :mod:`kale_like.runtime.file_audit`),
    for compiling: a cluster step must be given those files."""
    seen: dict[str, int] = {}
    written: set[str] = set()
    for report in reports.values():
        for relative, cell in (report.get("files_read") or {}).items():
            seen[relative] = min(cell, seen.get(relative, cell))
        written.update(report.get("files_written") or ())
    path = os.path.join(workdir, FILES_READ)
    try:
        with open(path + ".tmp", "w", encoding="utf-8") as handle:
            json.dump({"read": seen, "written": sorted(written)}, handle, sort_keys=True)
        os.replace(path + ".tmp", path)
    except OSError:
        pass  # a read-only work folder only costs the run-time detection
