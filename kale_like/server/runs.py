"""Pipeline runs started from the browser: each in its own thread, its events kept for replay.

A :class:`Run` records every event ``kale_like.api.run`` reports, in order, so any
number of browser tabs can follow it (and reconnect) by event number. Nothing here
knows about HTTP; handlers wait on a run from the event loop with :meth:`Run.wait`.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ..contract import FinishedEvent, RunError
from ..errors import KaleLikeError
from . import history
from .wording import panel_words

Runner = Callable[[Callable[[dict], None], threading.Event], Any]
"""Runs a pipeline: called with ``(on_event, cancel)``, returns a ``RunResult``."""


class UnknownRun(KeyError):
    """No run has this id."""


class RunConflict(Exception):
    """The notebook already has a run in progress."""

    def __init__(self, path: str, run_id: str):
        super().__init__(f"'{path}' is already running (run {run_id}); cancel it or wait for it to finish")
        self.run_id = run_id


def run_error_of(exc: BaseException) -> dict[str, Any]:
    """An exception that ended a run, in the shape of ``RunResult.error``."""
    return failure_of(exc).to_json()


def failure_of(exc: BaseException) -> RunError:
    """An exception that ended a run, as the run contract's error."""
    if isinstance(exc, KaleLikeError):
        return replace(RunError.from_exception(exc), message=panel_words(exc.render()))
    # A bug of ours: the panel gets one line, the server log the traceback.
    logging.getLogger("kale_like").error("kale_like: a run ended with an internal error", exc_info=exc)
    return RunError(f"internal error in kale_like: {type(exc).__name__}: {exc}")


class Run:
    """One pipeline run: its request, its events so far, and a cancel switch."""

    def __init__(self, path: str, backend: str, describe_output: Callable[[str | None], dict], *,
                 records: str | None = None, request: dict[str, Any] | None = None):
        self.id = uuid.uuid4().hex[:12]
        self.path = path
        self.backend = backend
        self.started = time.time()
        self.finished_at: float | None = None
        self.records = records  # folder of the on-disk run records (None: memory only)
        self.request = dict(request or {})  # parameters, split: what a re-run repeats
        self.cancel = threading.Event()
        self._describe_output = describe_output
        self._events: list[dict] = []
        self._finished = False
        self._settled = False
        self._lock = threading.Lock()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future]] = []

    @property
    def finished(self) -> bool:
        # Finished for those following only once the final record is on disk, so that a
        # history read after the event stream ends never shows the run as still going.
        return self._finished and self._settled

    def add_event(self, event: dict) -> None:
        """Record one event (called from the run's thread) and wake everyone following."""
        event = dict(event)
        if event.get("type") == "finished":
            event.update(self._describe_output(event.get("output")))
        with self._lock:
            if self._finished:
                return
            event["seq"] = len(self._events)
            self._events.append(event)
            self._finished = event.get("type") == "finished"
            if self._finished:
                self.finished_at = time.time()
            waiters, self._waiters = self._waiters, []
        if event.get("type") != "output":
            self.persist()  # before anyone following hears of it: the record is never behind
        self._settled = self._finished
        for loop, future in waiters:
            loop.call_soon_threadsafe(_resolve, future)

    def persist(self) -> None:
        """Rewrite this run's record on disk; history must never fail a run."""
        if self.records is None:
            return
        try:
            history.save(self.records, self.status())
        except OSError:
            pass

    def events_since(self, seq: int) -> list[dict]:
        with self._lock:
            return self._events[max(seq, 0):]

    async def wait(self, seq: int, timeout: float) -> bool:
        """Wait until event ``seq`` exists or the run ends; False on timeout."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        with self._lock:
            if len(self._events) > seq or self._finished:
                return True
            self._waiters.append((loop, future))
        try:
            await asyncio.wait_for(future, timeout)
            return True
        except asyncio.TimeoutError:
            return False
        finally:
            with self._lock:
                if (loop, future) in self._waiters:
                    self._waiters.remove((loop, future))

    def status(self) -> dict[str, Any]:
        """A snapshot: overall state, each step's latest state, and the final result."""
        events = self.events_since(0)
        steps: dict[str, dict] = {}
        plan: dict[str, Any] = {"steps": [], "edges": []}
        result = None
        links: dict[str, Any] = {}
        for event in events:
            kind = event.get("type")
            if kind == "submitted":
                links = {"kfp_run_id": event.get("run_id"), "output_url": event.get("url")}
            elif kind == "plan":
                plan = {"steps": event.get("steps", []), "edges": event.get("edges", [])}
                steps.update({name: {"state": "waiting", "elapsed": 0.0} for name in plan["steps"]})
            elif kind == "step":
                steps[event["step"]] = {"state": event.get("state"), "elapsed": event.get("elapsed", 0.0)}
                if event.get("started") is not None:
                    steps[event["step"]]["started"] = event["started"]
            elif kind == "finished":
                result = {k: v for k, v in event.items() if k not in ("type", "seq")}
        return {"id": self.id, "path": self.path, "backend": self.backend, "started": self.started,
                "finished": self.finished_at, "state": _overall_state(result, self.cancel.is_set()), "plan": plan,
                "steps": steps, "result": result, "events": len(events), "parameters": self.request.get("parameters", {}),
                "split": self.request.get("split"), **links}


def _resolve(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)


def _overall_state(result: dict | None, cancelled: bool) -> str:
    if result is None:
        return "cancelling" if cancelled else "running"
    if result.get("ok"):
        return "succeeded"
    return "cancelled" if cancelled else "failed"


class RunRegistry:
    """The runs this server started: at most one active run per notebook."""

    def __init__(self, keep: int = 50):
        self._runs: dict[str, Run] = {}
        self._keep = keep
        self._lock = threading.Lock()

    def start(self, path: str, backend: str, runner: Runner,
              describe_output: Callable[[str | None], dict], *, records: str | None = None,
              request: dict[str, Any] | None = None) -> Run:
        """Start ``runner`` in a new thread and return its :class:`Run` at once."""
        with self._lock:
            for other in self._runs.values():
                if other.path == path and not other.finished:
                    raise RunConflict(path, other.id)
            run = Run(path, backend, describe_output, records=records, request=request)
            self._runs[run.id] = run
            self._forget_old()
        run.persist()
        thread = threading.Thread(target=_execute, args=(run, runner), name=f"kale-like-run-{run.id}",
                                  daemon=True)
        thread.start()
        return run

    def get(self, run_id: str) -> Run:
        try:
            return self._runs[run_id]
        except KeyError:
            raise UnknownRun(run_id) from None

    def newest_first(self) -> list[Run]:
        return sorted(self._runs.values(), key=lambda r: r.started, reverse=True)

    def history_of(self, path: str, folder: str | None, limit: int = 20) -> list[dict[str, Any]]:
        """Recent runs of one notebook: this server's, and those recorded on disk by earlier ones."""
        live = {run.id: run.status() for run in self.newest_first() if run.path == path}
        recorded = [r for r in (history.load(folder) if folder else []) if r["id"] not in live]
        runs = sorted([*live.values(), *recorded], key=lambda r: r.get("started") or 0, reverse=True)
        return runs[:limit]

    def cancel_all(self) -> None:
        for run in list(self._runs.values()):
            run.cancel.set()

    def stop_all(self, timeout: float) -> None:
        """Cancel every run and wait (at most ``timeout`` s) until each has recorded its end."""
        self.cancel_all()
        deadline = time.monotonic() + timeout
        while any(not run.finished for run in list(self._runs.values())) and time.monotonic() < deadline:
            time.sleep(0.05)

    def _forget_old(self) -> None:
        done = [r for r in sorted(self._runs.values(), key=lambda r: r.started) if r.finished]
        for run in done[: max(0, len(self._runs) - self._keep)]:
            del self._runs[run.id]


def _execute(run: Run, runner: Runner) -> None:
    try:
        result = runner(run.add_event, run.cancel)
        run.add_event(FinishedEvent(result.ok, result.output, result.failure, result.metrics).to_json())
    except BaseException as exc:  # noqa: BLE001 - the thread must always report how the run ended
        run.add_event(FinishedEvent(False, None, failure_of(exc)).to_json())
