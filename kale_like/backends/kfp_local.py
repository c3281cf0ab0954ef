"""The ``kfp-local`` backend: compile the notebook to KFP IR, then run *that IR* with
``kfp.local.SubprocessRunner(use_venv=False)`` on this machine.

What goes to a cluster is what runs here, so a local run exercises the shipped
artifact. kfp.local's hazards are kept away: it runs in a process of its own
(global state, patched ``print``, stoppable), with a private workspace folder
(it deletes the workspace after each run), from IR that installs nothing (with
``use_venv=False`` it would pip-install into this environment), with parameters
checked against the command-line limit, and its coloured messages stripped.
Each step leaves its executed cells as a notebook artifact; they are merged into
the executed notebook exactly as the local backend merges its steps.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

from ..build import Plan
from . import EventSink, RunOptions, RunResult
from .executed import execution_plan, merge_outputs, write_atomically
from .local.runner import default_output, default_workdir

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
STARTED = re.compile(r"Executing task '([^']+)'")
FINISHED = re.compile(r"Task '([^']+)' finished with status (\w+)")
RESULT = "KALE_LIKE_RESULT "


class KfpLocalBackend:
    name = "kfp-local"

    def run(self, plan: Plan, options: RunOptions, on_event: EventSink, cancel: Any = None) -> RunResult:
        return KfpLocalRun(plan, options, on_event, cancel).execute()


class KfpLocalRun:
    backend = "kfp-local"

    def __init__(self, plan: Plan, options: RunOptions, on_event: EventSink, cancel: Any) -> None:
        self.plan = plan
        self.pipeline = plan.pipeline
        self.options = options
        self.emit = on_event
        self.cancel = cancel
        self.notebook_dir = os.path.dirname(os.path.abspath(plan.notebook.path or "."))
        self.states = {s.name: "waiting" for s in self.pipeline.steps}
        self.started: dict[str, float] = {}
        self.elapsed: dict[str, float] = {}
        self.html = os.environ.get("KALE_LIKE_KFP_HTML", "auto")

    def execute(self) -> RunResult:
        from ..kfp.compile import compile_plan
        from ..kfp.inputs import run_arguments

        began = time.perf_counter()
        run_dir = self._run_dir()
        compiled = compile_plan(self.plan, os.path.join(run_dir, "pipeline.yaml"), self._compile_options())
        arguments = run_arguments(compiled.parameters, dict(self.options.parameters))
        self.emit({"type": "plan", "steps": list(self.pipeline.order),
                   "edges": [list(e) for e in self.pipeline.edges()]})
        for name in self.pipeline.order:
            self.emit({"type": "step", "step": name, "state": "waiting", "elapsed": 0.0})
        if compiled.skipped_step:
            self._set(compiled.skipped_step, "succeeded")
        tasks = _task_steps(compiled.package_path)
        try:
            outcome = self._run_worker(compiled.package_path, run_dir, arguments, tasks)
        finally:
            self._release()
        return self._finish(run_dir, tasks, outcome, compiled.skipped_step, time.perf_counter() - began)

    def _compile_options(self) -> Any:
        from ..kfp.options import CompileOptions, default_image

        # Nothing installed at step start: with use_venv=False it would install into this environment.
        # The image is only written into the IR (steps run here, with this Python).
        return CompileOptions(parameters=dict(self.options.parameters), html=self.html, install=False,
                              image=self.plan.pipeline.base_image or default_image())

    def _runner_choice(self) -> dict:
        """What the worker runs steps with (see :mod:`kale_like.kfp.local_worker`)."""
        return {}

    def _release(self) -> None:
        """Free what the run's steps hold after the worker ended (however it ended)."""

    # --- the worker process ----------------------------------------------------------------
    def _run_dir(self) -> str:
        base = os.path.join(os.path.abspath(self.options.workdir or default_workdir(self.plan.notebook.path)),
                            self.backend)
        os.makedirs(base, exist_ok=True)
        for entry in os.listdir(base):  # earlier runs of ours: keep only the newest (this one)
            if entry.startswith("run-"):
                shutil.rmtree(os.path.join(base, entry), ignore_errors=True)
        return tempfile.mkdtemp(prefix="run-", dir=base)

    def _run_worker(self, package: str, run_dir: str, arguments: dict, tasks: dict[str, str]) -> dict:
        arguments_path = os.path.join(run_dir, "arguments.json")
        with open(arguments_path, "w", encoding="utf-8") as handle:
            json.dump(arguments, handle)
        workspace = os.path.join(run_dir, "workspace")
        os.makedirs(workspace)
        env = dict(os.environ, KALE_LIKE_WORKDIR=self.notebook_dir, PYTHONUNBUFFERED="1")
        command = [sys.executable, "-m", "kale_like.kfp.local_worker", package, os.path.join(run_dir, "root"),
                   workspace, arguments_path, json.dumps(self._runner_choice())]
        outcome: dict = {"ok": False, "message": "", "cancelled": False}
        with open(os.path.join(run_dir, f"{self.backend}.log"), "w", encoding="utf-8") as log:
            process = subprocess.Popen(command, cwd=self.notebook_dir, env=env, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, text=True, bufsize=1, start_new_session=True)
            watcher = threading.Thread(target=self._watch_cancel, args=(process, outcome), daemon=True)
            watcher.start()
            assert process.stdout is not None
            try:
                for line in process.stdout:
                    log.write(line)
                    self._observe(ANSI.sub("", line), tasks, outcome)
                process.wait()
            except BaseException:  # Ctrl-C or a failing event sink: the worker must not outlive the run
                _stop(process)
                raise
        outcome["log"] = os.path.join(run_dir, f"{self.backend}.log")
        outcome["status"] = process.returncode
        return outcome

    def _watch_cancel(self, process: subprocess.Popen, outcome: dict) -> None:
        """End the worker (and the step it runs) on cancel, or when a step outlives its ``timeout:``
        (on a cluster the IR's activeDeadlineSeconds does that; kfp.local ignores it)."""
        while process.poll() is None:
            late = self._overdue()
            if late is not None:
                outcome["timeout"] = late
            elif self.cancel is not None and self.cancel.is_set():
                outcome["cancelled"] = True
            else:
                time.sleep(0.1)
                continue
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            return

    def _overdue(self) -> str | None:
        for step, state in self.states.items():
            limit = self.pipeline.step(step).settings.timeout
            if state == "running" and limit and time.perf_counter() - self.started[step] > limit:
                return step
        return None

    def _observe(self, line: str, tasks: dict[str, str], outcome: dict) -> None:
        if line.startswith(RESULT):
            outcome.update(json.loads(line[len(RESULT):]))
            return
        started = STARTED.search(line)
        if started and started.group(1) in tasks:
            step = tasks[started.group(1)]
            self.started[step] = time.perf_counter()
            self._set(step, "running")
            return
        finished = FINISHED.search(line)
        if finished and finished.group(1) in tasks:
            step = tasks[finished.group(1)]
            self.elapsed[step] = time.perf_counter() - self.started.get(step, time.perf_counter())
            self._set(step, "succeeded" if finished.group(2) == "SUCCESS" else "failed")

    def _set(self, step: str, state: str) -> None:
        self.states[step] = state
        self.emit({"type": "step", "step": step, "state": state, "elapsed": round(self.elapsed.get(step, 0.0), 3)})

    # --- results ---------------------------------------------------------------------------
    def _finish(self, run_dir: str, tasks: dict[str, str], outcome: dict, skipped: str | None,
                seconds: float) -> RunResult:
        from ..kfp.stepdoc import records_of
        from ..notebook.nbformat_loader import load_nbformat

        with open(self.plan.notebook.path or "", encoding="utf-8") as handle:
            node = load_nbformat().read(handle, as_version=4)
        parameter_cell = next((s.cells[-1].cell_index for s in self.pipeline.steps
                               if s.kind == "parameters" and s.cells), None)
        counts, injected_count = execution_plan(node.cells, set(self.plan.skipped_cells), self.options.parameters,
                                                parameter_cell)
        documents = _step_documents(os.path.join(run_dir, "root"), tasks)
        records: dict[int, dict] = {}
        metrics: dict[str, float] = {}
        error = None
        for name in self.pipeline.order:
            if name == skipped:
                step = self.pipeline.step(name)
                for cell in step.cells:
                    records.setdefault(cell.cell_index, {"cell_index": cell.cell_index, "outputs": [],
                                                         "execution_count": counts.get(cell.cell_index)})
                continue
            document = documents.get(name)
            if document is None:
                continue
            for index, record in records_of(document).items():
                records.setdefault(index, record)
            summary = document.get("metadata", {}).get("kale_like", {})
            metrics.update(summary.get("metrics") or {})
            if not summary.get("ok", True) and error is None:
                error = _located(summary.get("error") or {}, name)
        error = self._overall_error(error, outcome)
        for name, state in self.states.items():
            if state in ("waiting", "running"):
                self._set(name, "cancelled" if outcome.get("cancelled") else ("failed" if state == "running" else "skipped"))
        ok = error is None and all(s == "succeeded" for s in self.states.values())
        out = self.options.out or default_output(self.plan.notebook.path)
        metadata = {"ok": ok, "backend": self.backend, "ir": os.path.join(run_dir, "pipeline.yaml"),
                    "steps": {n: {"state": self.states[n], "seconds": round(self.elapsed.get(n, 0.0), 3)}
                              for n in self.pipeline.order}, "metrics": metrics}
        write_atomically(merge_outputs(node, records, self.options.parameters, parameter_cell, injected_count,
                                       metadata), out)
        result = RunResult(ok=ok, output=out, error=error, states=dict(self.states), metrics=metrics, seconds=seconds)
        self.emit({"type": "finished", "ok": ok, "output": out, "error": error, "metrics": metrics})
        return result

    def _overall_error(self, error: dict | None, outcome: dict) -> dict | None:
        if outcome.get("timeout"):
            step = outcome["timeout"]
            self.states[step] = "running"  # reported as failed below
            limit = self.pipeline.step(step).settings.timeout
            return {"message": f"the step ran longer than its timeout of {limit} s", "step": step,
                    "hint": "raise the timeout: tag, or make the step faster"}
        if outcome.get("cancelled"):
            return error or {"message": "the run was cancelled"}
        if error is not None or outcome.get("ok"):
            return error
        failed = next((s for s, state in self.states.items() if state == "failed"), None)
        message = outcome.get("message") or f"kfp.local ended with status {outcome.get('status')}"
        return {"message": message, "step": failed, "hint": f"kfp.local's log: {outcome.get('log')}"}


def _stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _task_steps(package: str) -> dict[str, str]:
    """IR task name -> step name (the task's display name is the step's name)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(package, encoding="utf-8") as handle:
        spec = next(iter(yaml.load_all(handle, Loader=loader)))
    return {task: body.get("taskInfo", {}).get("name", task) for task, body in spec["root"]["dag"]["tasks"].items()}


def _step_documents(root: str, tasks: dict[str, str]) -> dict[str, dict]:
    from ..kfp.names import NOTEBOOK_OUTPUT

    documents = {}
    runs = [os.path.join(root, d) for d in os.listdir(root)] if os.path.isdir(root) else []
    for run in (r for r in runs if os.path.isdir(r) and not os.path.basename(r).startswith(".")):
        for task, step in tasks.items():
            path = os.path.join(run, task, NOTEBOOK_OUTPUT)
            try:
                with open(path, encoding="utf-8") as handle:
                    documents[step] = json.load(handle)
            except (OSError, ValueError):
                continue
    return documents


def _located(error: dict, step: str) -> dict:
    located = dict(error)
    located["step"] = step
    traceback = located.get("traceback") or []
    located["traceback"] = "\n".join(traceback) if isinstance(traceback, list) else str(traceback)
    return located
