"""What every run of a plan shares, whichever backend executes its steps.

A :class:`PlanRun` holds the run's state (each step's state and timing, the error
that ends it), sends the events of the run contract, and finishes the same way for
every backend: the outputs of every step merged into a copy of the notebook, written
atomically, and one ``finished`` event. Subclasses supply only how the steps are
executed (:meth:`PlanRun._run_steps`) and where each step's executed cells are
(:meth:`PlanRun._step_records`), the way kedro's runners differ only in their executor.
"""
from __future__ import annotations

import copy
import os
import threading
import time
from typing import Any

from ..contract import DONE, EventSink, FinishedEvent, PlanEvent, RunError, StepEvent, StepState
from ..notebook.counts import execution_plan
from ..planning import Plan
from ..run_paths import default_output
from . import RunOptions, RunResult
from .executed import merge_outputs, write_atomically


class PlanRun:
    """One run of one plan. ``source`` is the notebook to fill in (papermill hands its own
    in-memory copy); by default the plan's notebook file is read, in the background."""

    backend_name = ""

    def __init__(self, plan: Plan, options: RunOptions, on_event: EventSink, cancel: Any = None,
                 source: Any = None) -> None:
        self.plan = plan
        self.pipeline = plan.pipeline
        self.options = options
        self.emit = on_event
        self.cancel = cancel
        self.notebook_dir = os.path.dirname(os.path.abspath(plan.notebook.path or "."))
        self.states: dict[str, StepState] = {s.name: StepState.WAITING for s in self.pipeline.steps}
        self.started: dict[str, float] = {}
        self.elapsed: dict[str, float] = {}
        self.error: RunError | None = None
        self.parameter_cell = _parameter_cell(plan)
        self.counts, self.injected_count = execution_plan(plan.notebook.cells, set(plan.skipped_cells),
                                                          options.parameters, self.parameter_cell)
        # nbformat takes seconds to import on some machines: read the source notebook
        # for the executed copy in the background while the steps run.
        self._source = _Background(lambda: copy.deepcopy(source)) if source is not None \
            else _Background(self._read_source)

    # --- the template ----------------------------------------------------------------------
    def execute(self) -> RunResult:
        began = time.perf_counter()
        self._setup()
        self.emit(PlanEvent(tuple(self.pipeline.order), tuple(self.pipeline.edges())).to_json())
        for name in self.pipeline.order:
            self.emit(StepEvent(name, StepState.WAITING).to_json())
        self._run_steps()
        return self._finish(time.perf_counter() - began)

    def _setup(self) -> None:
        """Work before the first event (folders, compiling); may raise a user error."""

    def _run_steps(self) -> None:
        raise NotImplementedError

    def _step_records(self) -> tuple[dict[int, dict], dict[str, float]]:
        """Each cell's outputs and execution count by cell index, and the metrics reported."""
        raise NotImplementedError

    def _settle(self) -> None:
        """Last chance to close the states of steps that never ended (cancel, a crash)."""

    def _run_metadata(self) -> dict[str, Any]:
        return {"backend": self.backend_name} if self.backend_name else {}

    # --- state and events ------------------------------------------------------------------
    def _set(self, step: str, state: StepState, elapsed: float | None = None, attempt: int | None = None,
             error: RunError | None = None) -> None:
        self.states[step] = state
        shown = self.elapsed.get(step, 0.0) if elapsed is None else elapsed
        self.emit(StepEvent(step, state, shown, attempt, error).to_json())

    def _fail(self, step: str, error: RunError) -> None:
        """Mark ``step`` failed; the run's error is the failure a top-to-bottom run would hit first."""
        from dataclasses import replace

        error = replace(error, step=step)
        if self.error is None or self._position(step) < self._position(self.error.step or ""):
            self.error = error
        elapsed = time.perf_counter() - self.started.get(step, time.perf_counter())
        self._set(step, StepState.FAILED, elapsed, error=error)

    def _position(self, name: str) -> int:
        try:
            return self.pipeline.step(name).first_cell
        except KeyError:
            return -1

    def _cancelled(self) -> bool:
        return bool(self.cancel is not None and self.cancel.is_set())

    def _read_source(self) -> Any:
        from ..nbformat_loader import load_nbformat

        if self.plan.notebook.path is None:
            raise ValueError("a run needs the notebook's path")
        with open(self.plan.notebook.path, encoding="utf-8") as handle:
            return load_nbformat().read(handle, as_version=4)

    # --- the end ---------------------------------------------------------------------------
    def _finish(self, seconds: float) -> RunResult:
        self._settle()
        records, metrics = self._step_records()
        ok = self.error is None and all(s in DONE for s in self.states.values())
        out = self.options.out or default_output(self.plan.notebook.path)
        metadata = {"ok": ok, **self._run_metadata(),
                    "steps": {n: {"state": self.states[n].value, "seconds": round(self.elapsed.get(n, 0.0), 3)}
                              for n in self.pipeline.order}, "metrics": metrics}
        node = merge_outputs(self._source.result(), records, self.options.parameters, self.parameter_cell,
                             self.injected_count, metadata)
        write_atomically(node, out)
        self.emit(FinishedEvent(ok, out, self.error, metrics).to_json())
        return RunResult(ok=ok, output=out, failure=self.error, states=dict(self.states), metrics=metrics,
                         seconds=seconds)


def _parameter_cell(plan: Plan) -> int | None:
    """The last cell of the parameters step: papermill injects its cell right below it."""
    for step in plan.pipeline.steps:
        if step.kind == "parameters" and step.cells:
            return step.cells[-1].cell_index
    return None


class _Background:
    """Run one function in a thread; ``result()`` waits for it and re-raises its error."""

    def __init__(self, function: Any) -> None:
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
