"""The ``kfp-local`` backend: compile the notebook to KFP IR, then run *that IR* with
``kfp.local.SubprocessRunner(use_venv=False)`` on this machine. A sibling backend
(``kfp-docker``) reuses all of it with another ``kfp.local`` runner through three
hooks of :class:`KfpLocalRun`: what is compiled, which runner, what to free after.

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
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

from ..contract import EventSink, RunError, StepState
from ..planning import Plan
from ..run_paths import default_workdir
from . import RunOptions, RunResult
from .base import PlanRun


class KfpLocalBackend:
    name = "kfp-local"

    def run(self, plan: Plan, options: RunOptions, on_event: EventSink, cancel: Any = None) -> RunResult:
        return KfpLocalRun(plan, options, on_event, cancel).execute()


class KfpLocalRun(PlanRun):
    """One ``kfp.local`` run. A sibling backend overrides :meth:`_compile_options` (an image),
    :meth:`_runner_choice` (the ``kfp.local`` runner) and :meth:`_release`."""

    backend_name = "kfp-local"

    def __init__(self, plan: Plan, options: RunOptions, on_event: EventSink, cancel: Any = None) -> None:
        super().__init__(plan, options, on_event, cancel)
        self.html = os.environ.get("KALE_LIKE_KFP_HTML", "auto")
        self.run_dir = ""
        self.outcome: dict = {}
        self.compiled: Any = None
        self.tasks: dict[str, str] = {}
        self.documents: dict[str, dict] = {}

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

    def _setup(self) -> None:
        from ..kfp.compile import compile_plan

        self.run_dir = self._run_dir()
        self.compiled = compile_plan(self.plan, os.path.join(self.run_dir, "pipeline.yaml"), self._compile_options())

    def _run_steps(self) -> None:
        from ..kfp.inputs import run_arguments

        if self.compiled.skipped_step:
            self._set(self.compiled.skipped_step, StepState.SUCCEEDED)
        arguments = run_arguments(self.compiled.parameters, dict(self.options.parameters))
        self.tasks = _task_steps(self.compiled.package_path)
        try:
            self.outcome = self._run_worker(self.compiled.package_path, arguments)
        finally:
            self._release()

    def _run_metadata(self) -> dict[str, Any]:
        return {"backend": self.backend_name, "ir": os.path.join(self.run_dir, "pipeline.yaml")}

    # --- the worker process ----------------------------------------------------------------
    def _run_dir(self) -> str:
        base = os.path.join(os.path.abspath(self.options.workdir or default_workdir(self.plan.notebook.path)),
                            self.backend_name)
        os.makedirs(base, exist_ok=True)
        for entry in os.listdir(base):  # earlier runs of ours: keep only the newest (this one)
            if entry.startswith("run-"):
                shutil.rmtree(os.path.join(base, entry), ignore_errors=True)
        return tempfile.mkdtemp(prefix="run-", dir=base)

    def _run_worker(self, package: str, arguments: dict) -> dict:
        run_dir = self.run_dir
        arguments_path = os.path.join(run_dir, "arguments.json")
        with open(arguments_path, "w", encoding="utf-8") as handle:
            json.dump(arguments, handle)
        workspace = os.path.join(run_dir, "workspace")
        os.makedirs(workspace)
        env = dict(os.environ, KALE_LIKE_WORKDIR=self.notebook_dir, PYTHONUNBUFFERED="1", KALE_LIKE_WORKER_OWNED="1")
        command = [sys.executable, "-m", "kale_like.kfp.local_worker", package, os.path.join(run_dir, "root"),
                   workspace, arguments_path, json.dumps(self._runner_choice())]
        outcome: dict = {"ok": False, "message": "", "cancelled": False}
        log_path = os.path.join(run_dir, f"{self.backend_name}.log")
        with open(log_path, "w", encoding="utf-8") as log:
            # stdin stays open and unwritten while this process lives: the worker ends its
            # run when it reads EOF, so even a SIGKILL of this process leaves nothing behind.
            process = subprocess.Popen(command, cwd=self.notebook_dir, env=env, stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
                                       start_new_session=True)
            watcher = threading.Thread(target=self._watch_cancel, args=(process, outcome), daemon=True)
            watcher.start()
            assert process.stdout is not None
            try:
                for line in process.stdout:
                    log.write(line)
                    self._observe(line, outcome)
                process.wait()
            except BaseException:  # Ctrl-C or a failing event sink: the worker must not outlive the run
                _stop(process)
                raise
            finally:
                if process.stdin is not None:
                    process.stdin.close()
        outcome["log"] = log_path
        outcome["status"] = process.returncode
        return outcome

    def _watch_cancel(self, process: subprocess.Popen, outcome: dict) -> None:
        """End the worker (and the step it runs) on cancel, or when a step outlives its ``timeout:``
        (on a cluster the IR's activeDeadlineSeconds does that; kfp.local ignores it)."""
        while process.poll() is None:
            late = self._overdue()
            if late is not None:
                outcome["timeout"] = late
            elif self._cancelled():
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
            if state == StepState.RUNNING and limit and time.perf_counter() - self.started[step] > limit:
                return step
        return None

    def _observe(self, line: str, outcome: dict) -> None:
        from ..kfp.local_worker import RESULT, TASK

        if line.startswith(RESULT):
            outcome.update(json.loads(line[len(RESULT):]))
        elif line.startswith(TASK):
            self._task_event(json.loads(line[len(TASK):]))

    def _task_event(self, event: dict) -> None:
        step = self.tasks.get(event.get("task", ""))
        if step is None:
            return
        if event.get("event") == "started":
            self.started[step] = time.perf_counter()
            self._set(step, StepState.RUNNING)
        else:
            self.elapsed[step] = time.perf_counter() - self.started.get(step, time.perf_counter())
            self._set(step, StepState.SUCCEEDED if event.get("status") == "SUCCESS" else StepState.FAILED)

    # --- results ---------------------------------------------------------------------------
    def _step_records(self) -> tuple[dict[int, dict], dict[str, float]]:
        from ..runtime.stepdoc import records_of

        documents = self.documents
        records: dict[int, dict] = {}
        metrics: dict[str, float] = {}
        for name in self.pipeline.order:
            if name == self.compiled.skipped_step:
                for cell in self.pipeline.step(name).cells:
                    records.setdefault(cell.cell_index, {"cell_index": cell.cell_index, "outputs": [],
                                                         "execution_count": self.counts.get(cell.cell_index)})
                continue
            document = documents.get(name)
            if document is None:
                continue
            for index, record in records_of(document).items():
                records.setdefault(index, record)
            metrics.update(document.get("metadata", {}).get("kale_like", {}).get("metrics") or {})
        from .local.warnings_once import drop_repeated_warnings

        drop_repeated_warnings(records, [c.source for c in self.plan.notebook.cells])
        return records, metrics

    def _settle(self) -> None:
        """The run's error (the first failing step in notebook order, or how the worker ended),
        then every step still waiting or running gets its final state."""
        self.documents = _step_documents(os.path.join(self.run_dir, "root"), self.tasks)
        for name in self.pipeline.order:
            summary = self.documents.get(name, {}).get("metadata", {}).get("kale_like", {})
            if name != self.compiled.skipped_step and not summary.get("ok", True):
                self.error = RunError.from_report(summary.get("error") or {}, name)
                break
        self.error = self._overall_error(self.error, self.outcome)
        cancelled = bool(self.outcome.get("cancelled"))
        for name, state in self.states.items():
            if state in (StepState.WAITING, StepState.RUNNING):
                final = StepState.CANCELLED if cancelled else (
                    StepState.FAILED if state == StepState.RUNNING else StepState.SKIPPED)
                self._set(name, final)

    def _overall_error(self, error: RunError | None, outcome: dict) -> RunError | None:
        if outcome.get("timeout"):
            step = outcome["timeout"]
            self.states[step] = StepState.RUNNING  # reported as failed below
            limit = self.pipeline.step(step).settings.timeout
            return RunError(f"the step ran longer than its timeout of {limit} s", step=step,
                            hint="raise the timeout: tag, or make the step faster")
        if outcome.get("cancelled"):
            return error or RunError("the run was cancelled")
        if error is not None or outcome.get("ok"):
            return error
        failed = next((s for s, state in self.states.items() if state == StepState.FAILED), None)
        message = outcome.get("message") or f"kfp.local ended with status {outcome.get('status')}"
        return RunError(message, step=failed, hint=f"kfp.local's log: {outcome.get('log')}")


def _stop(process: subprocess.Popen) -> None:
    """End the worker and everything in its session (it leads one: ``start_new_session``),
    including what a step moved into a process group of its own."""
    from ..runtime.procs import kill_session

    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    kill_session(process.pid)


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
