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
from dataclasses import dataclass
from typing import Any

from ...contract import EventSink, FinishedEvent, NoticeEvent, RunError, StepState
from ...errors import NoSpace, is_no_space
from ...notebook import Notebook
from ...pipeline import Step, StepCell
from ...planning import Plan
from ...run_paths import FILES_READ, default_workdir
from ...runtime.spec import EXIT_NO_SPACE, StepSpec, unpredicted_message
from .. import Abort, RunOptions, RunResult
from ..base import PlanRun
from . import warm, workdir_lock
from .cache import entry_dir, invalidate, lookup, parameter_value_key, seal, step_key
from .live import LiveTail, live_path, output_events
from .readiness import Readiness
from .warnings_once import drop_repeated_warnings
from .zygote_client import Zygote


@dataclass
class _Running:
    step: str
    key: str
    started: float
    pid: int | None = None
    timed_out: bool = False
    tail: LiveTail | None = None


class LocalBackend:
    name = "local"

    def run(self, plan: Plan, options: RunOptions, on_event: EventSink, cancel: Any = None) -> RunResult:
        return LocalRun(plan, options, on_event, cancel).execute()

    def prepare(self, notebook: Notebook, workdir: str | None) -> Abort:
        """Start the warm parent while the notebook is analysed; the run claims it."""
        warm.prewarm(notebook, os.path.abspath(workdir or default_workdir(notebook.path)))
        return lambda: warm.discard(notebook)


class LocalRun(PlanRun):
    def __init__(self, plan: Plan, options: RunOptions, on_event: EventSink, cancel: Any = None,
                 source: Any = None) -> None:
        super().__init__(plan, options, on_event, cancel, source)
        self.workdir = os.path.abspath(options.workdir or default_workdir(plan.notebook.path))
        self.jobs = max(1, options.jobs or os.cpu_count() or 1)
        self.keys: dict[str, str] = {}
        self.reports: dict[str, dict] = {}
        self.attempts: dict[str, int] = {}
        self.ready = Readiness(self.pipeline)
        self.missed: set[str] = set()  # steps whose cache lookup missed in this run
        self.zygote: Zygote | None = None
        self.recomputed: set[str] = set()  # producers recomputed because their values were damaged
        self.requeued: set[str] = set()    # steps re-run after such a recompute (once each)
        self.fresh: set[str] = set()       # steps that ran and finished well in this run
        self._last_reader: dict[str, int] | None = None  # variable -> last first_cell reading it
        self.settled: set[int] = set()  # step processes handled at their report, exit still to come
        self.unsealed: dict[str, bytes | None] = {}  # finished well, sealed once the next steps are out

    # --- setup ---------------------------------------------------------------------------
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
            self.keys[name] = step_key(step, seen, self._parameters_for(step), shared, values)
            seen[name] = step_key(step, seen, {}, shared, values) if step.kind == "parameters" else self.keys[name]

    def _parameters_for(self, step: Step) -> dict:
        return dict(self.options.parameters) if step.kind == "parameters" else {}

    # --- main loop -----------------------------------------------------------------------
    def execute(self) -> RunResult:
        began = time.perf_counter()
        with workdir_lock.holding(self.workdir, self.plan.notebook.path, self._notice, self.cancel) as acquired:
            if acquired:
                return super().execute()
        warm.discard(self.plan.notebook)
        for name in self.pipeline.order:
            self.states[name] = StepState.CANCELLED
        self.error = RunError("cancelled while waiting for the work directory")
        self.emit(FinishedEvent(False, None, self.error).to_json())
        return RunResult(ok=False, failure=self.error, states=dict(self.states),
                         seconds=time.perf_counter() - began)

    def _notice(self, message: str) -> None:
        self.emit(NoticeEvent(message).to_json())

    def _setup(self) -> None:
        self._keys()

    def _run_steps(self) -> None:
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

    def _schedule(self) -> None:
        """Start ready steps (``jobs`` at a time) and follow them until nothing can start.

        Constant work per step and event: readiness is kept by counts (``Readiness``),
        never by scanning the steps still waiting.
        """
        running: dict[str, _Running] = {}
        by_pid: dict[int, _Running] = {}
        while True:
            if self._cancelled():
                self._seal_finished()
                self._cancel_all(running, self.ready.waiting(), self.zygote)
                return
            self._start_ready(running)
            self._seal_finished()  # after the launches: sealing is not on the way from one step to the next
            if not running:
                break
            self._wait(self.zygote, running, by_pid)
        self._skip_rest(self.ready.waiting())  # upstream failed, or the run stopped at a failure

    def _seal_finished(self) -> None:
        for name, data in self.unsealed.items():
            seal(self.workdir, self.keys[name], data)
        self.unsealed.clear()

    def _start_ready(self, running: dict[str, _Running]) -> None:
        held: list[str] = []
        while not self.error:
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

    def _still_read(self, name: str, running: dict[str, _Running]) -> bool:
        """A producer recomputed for damage waits until no running step may be reading its entry."""
        return name in self.recomputed and any(name in self.pipeline.step(r).upstream for r in running)

    def _serve_cached(self, name: str) -> bool:
        if not self.options.cache or name in self.missed:
            return False
        found = lookup(self.workdir, self.keys[name])
        if found.damaged:
            self._warn(f"the cached result of step '{name}' is damaged ({found.damaged}); recomputing it")
        if found.report is None or found.content is None:
            self.missed.add(name)  # looked up once per run: a miss stays a miss
            return False
        self._record(name, found.content, StepState.CACHED)
        return True

    def _launch(self, zygote: Zygote, name: str) -> _Running:
        step = self.pipeline.step(name)
        key = self.keys[name]
        folder = entry_dir(self.workdir, key)
        _fresh_folder(folder)
        inputs = {i.name: os.path.join(entry_dir(self.workdir, self.keys[i.producer]), "values")
                  for i in step.inputs if i.name != "__files__"}
        trusted = {inputs[i.name] for i in step.inputs if i.name in inputs and i.producer in self.fresh}
        spec = StepSpec(
            step=name, cells=step.cells, prelude=step.prelude, shared_cells=self._shared(step),
            inputs=inputs, trusted_inputs=tuple(sorted(trusted)),
            outputs=step.outputs, output_dir=os.path.join(folder, "values"),
            result_path=os.path.join(folder, "report.json"), workdir=self.notebook_dir,
            execution_counts=self._counts_for(step), cell_sources=self._cell_sources(step),
            parameters=self._parameters_for(step), metrics=step.metrics, carries_rng=step.carries_rng,
            assigned_cells=dict(step.output_cells), live_output=live_path(folder),
            memory_limit=dict(step.settings.limits).get("memory"))
        spec_path = os.path.join(folder, "spec.pkl")
        data = pickle.dumps(spec)
        zygote.start(spec_path, data)  # the step gets it through the pipe, at once
        with open(spec_path, "wb") as handle:  # and the entry keeps it, written while the step runs
            handle.write(data)
        self.started[name] = time.perf_counter()
        self._set(name, StepState.RUNNING, 0.0)
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

    def _wait(self, zygote: Zygote | None, running: dict[str, _Running], by_pid: dict[int, _Running]) -> None:
        assert zygote is not None
        for each in running.values():
            self._forward_output(each)
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
        elif "pid" in event:
            # The warm parent announces a step (above) before anything else about it, so a
            # pid not announced in this run is an earlier run's (a reused warm parent): not ours.
            pid = event["pid"]
            if event.get("reported") and pid in by_pid:
                # The report is written and the process is only going away: the step is
                # over for the schedule. Its exit, which follows, is then ignored.
                self.settled.add(pid)
                self._exited(running, by_pid, pid, 0)
            elif pid in self.settled:
                self.settled.discard(pid)
            elif pid in by_pid and "status" in event:
                self._exited(running, by_pid, pid, event["status"])
        elif "zygote_exited" in event:
            for run in list(running.values()):
                self._fail(run.step, RunError("the step's parent process died unexpectedly"))
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
        data, report = _read_report(os.path.join(entry_dir(self.workdir, run.key), "report.json"))
        settings = self.pipeline.step(run.step).settings
        succeeded = bool(report and report.get("ok"))
        if not succeeded and self._recompute_damaged(run.step, _error_field(report, "damaged_input"), running):
            return
        no_space = status == EXIT_NO_SPACE and report is None or bool(_error_field(report, "no_space"))
        if no_space:
            shutil.rmtree(entry_dir(self.workdir, run.key), ignore_errors=True)  # partial; frees space
            self._fail(run.step, RunError(f"no space left in {self.workdir}", no_space=self.workdir))
            return
        attempts = self.attempts.get(run.step, 1)
        if not succeeded and settings.retries and attempts <= settings.retries:
            self.attempts[run.step] = attempts + 1
            self.ready.push_back(run.step)
            self._set(run.step, StepState.WAITING, 0.0, attempt=attempts + 1)
            return
        if report is None:
            if run.timed_out:
                message = f"the step ran longer than its timeout of {settings.timeout} s and was stopped"
            else:
                message = f"the step's process ended without a report (exit status {status})"
                memory = dict(settings.limits).get("memory")
                if memory:
                    message += f"; it may have gone over its memory limit of {memory} (limit:memory:{memory})"
            self._fail(run.step, RunError(message))
            return
        self._record(run.step, report, None, data)

    def _recompute_damaged(self, step: str, damaged: str | None, running: dict[str, _Running]) -> bool:
        """A step found an input whose files were damaged: recompute its producer, then the step.

        Each producer is recomputed once per run; damage found again is a failure.
        """
        producer = next((u for u in self.pipeline.step(step).upstream
                         if damaged and damaged.startswith(entry_dir(self.workdir, self.keys[u]) + os.sep)), None)
        if producer is None or step in self.requeued:
            return False
        if producer not in self.recomputed:
            self.recomputed.add(producer)
            invalidate(self.workdir, self.keys[producer])
            self._warn(f"the saved values of step '{producer}' are damaged ({damaged}); recomputing them")
            self._set(producer, StepState.WAITING, 0.0)
            self.missed.add(producer)
            self.fresh.discard(producer)
            self.unsealed.pop(producer, None)
            self.ready.undone(producer)
            self.ready.push_back(producer)
        self.requeued.add(step)
        self._set(step, StepState.WAITING, 0.0)
        self.ready.requeue(step)
        return True

    def _warn(self, message: str) -> None:
        self.emit(NoticeEvent(message, "warning").to_json())

    def _enforce_timeouts(self, running: dict[str, _Running]) -> None:
        for run in list(running.values()):
            timeout = self.pipeline.step(run.step).settings.timeout
            if timeout and run.pid and not run.timed_out and time.perf_counter() - run.started > timeout:
                run.timed_out = True
                Zygote.kill(run.pid)

    def _record(self, name: str, report: dict, forced_state: StepState | None, data: bytes | None = None) -> None:
        """A step's report, as read once: from the cache (``forced_state``) or just written (``data``)."""
        self.reports[name] = report
        started = self.started.get(name)
        elapsed = time.perf_counter() - started if started else 0.0
        self.elapsed[name] = elapsed
        missed = self._read_later(name, report.get("unpredicted") or [])
        if missed and forced_state is None:
            self.emit(NoticeEvent(unpredicted_message(name, missed), "warning").to_json())
        if report.get("ok"):
            if forced_state is None:
                self.unsealed[name] = data
                self.fresh.add(name)
            self.ready.done(name)
            self._set(name, forced_state or StepState.SUCCEEDED, elapsed)
        else:
            self._fail(name, RunError.from_report(report.get("error") or {"message": "failed"}, name))

    def _read_later(self, name: str, changed: list[str]) -> list[str]:
        """The changed names a later step reads (from another producer): only those diverge."""
        if not changed:
            return []
        if self._last_reader is None:  # once per run, and only when needed: not per step
            self._last_reader = {}
            for s in self.pipeline.steps:
                for i in s.inputs:
                    self._last_reader[i.name] = max(s.first_cell, self._last_reader.get(i.name, s.first_cell))
        position = self.pipeline.step(name).first_cell
        return [n for n in changed if self._last_reader.get(n, position) > position]

    def _skip_rest(self, pending: list[str]) -> None:
        for name in pending:
            self._set(name, StepState.SKIPPED, 0.0)

    def _cancel_all(self, running: dict[str, _Running], pending: list[str], zygote: Zygote | None) -> None:
        if zygote is not None and running:
            zygote.kill_all()  # also reaches a step whose process id has not been reported yet
        for run in running.values():
            if run.pid:
                Zygote.kill(run.pid)
            self._set(run.step, StepState.CANCELLED, 0.0)
        running.clear()
        for name in pending:
            self._set(name, StepState.CANCELLED, 0.0)
        if self.error is None:
            self.error = RunError("the run was cancelled")

    # --- results -------------------------------------------------------------------------
    def _step_records(self) -> tuple[dict[int, dict], dict[str, float]]:
        records: dict[int, dict] = {}
        metrics: dict[str, float] = {}
        for name in self.pipeline.order:
            report = self.reports.get(name)
            if not report:
                continue
            metrics.update(report.get("metrics") or {})
            for cell in report.get("cells", []):
                records.setdefault(cell["cell_index"], cell)
        drop_repeated_warnings(records, [c.source for c in self.plan.notebook.cells])
        _keep_files_read(self.workdir, self.reports)
        return records, metrics


def _read_report(path: str) -> tuple[bytes | None, dict | None]:
    """A finished step's report, read and parsed once: its bytes (sealed as they are) and
    content; ``(None, None)`` when the process wrote none (or a torn one)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
        report = json.loads(data)
    except (OSError, ValueError):
        return None, None
    return (data, report) if isinstance(report, dict) else (None, None)


def _error_field(report: dict | None, key: str) -> Any:
    error = (report or {}).get("error")
    return error.get(key) if isinstance(error, dict) else None


def _fresh_folder(folder: str) -> None:
    """An empty folder for a step's entry (what an earlier attempt left is removed)."""
    try:
        os.mkdir(folder)
    except FileExistsError:
        shutil.rmtree(folder)
        os.mkdir(folder)
    except FileNotFoundError:
        os.makedirs(folder)


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
