"""Following a run submitted to Kubeflow Pipelines: poll it through ``kfp.Client`` and
report each step's state as the same ``step`` events a local run sends."""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

from ..contract import StepEvent, StepState

POLL_SECONDS = float(os.environ.get("KALE_LIKE_KFP_POLL_SECONDS", "5"))
CANCEL_GRACE_SECONDS = 120.0

# KFP v2beta1 runtime states -> the panel's step states
_STEP_STATES = {
    "RUNTIME_STATE_UNSPECIFIED": StepState.WAITING, "PENDING": StepState.WAITING, "PAUSED": StepState.WAITING,
    "RUNNING": StepState.RUNNING, "CANCELING": StepState.RUNNING,
    "SUCCEEDED": StepState.SUCCEEDED, "SKIPPED": StepState.SKIPPED, "FAILED": StepState.FAILED,
    "CANCELED": StepState.CANCELLED, "CACHED": StepState.CACHED,
}
FINAL_RUN_STATES = ("SUCCEEDED", "FAILED", "SKIPPED", "CANCELED")


def _key(name: str) -> str:
    # The compiler names a task after its step, with '-' for '_'.
    return name.replace("_", "-").lower()


def step_states(run: Any, steps: list[str]) -> dict[str, tuple[StepState, float]]:
    """``{step: (state, seconds)}`` for the steps the run's task details name."""
    by_key = {_key(s): s for s in steps}
    found: dict[str, tuple[StepState, float]] = {}
    details = getattr(getattr(run, "run_details", None), "task_details", None) or []
    for task in details:
        step = by_key.get(_key(str(getattr(task, "display_name", "") or "")))
        if step is None:
            continue  # drivers, the root DAG, …
        state = _STEP_STATES.get(str(getattr(task, "state", "") or ""), StepState.WAITING)
        found[step] = (state, _seconds(getattr(task, "start_time", None), getattr(task, "end_time", None)))
    return found


def _seconds(start: Any, end: Any) -> float:
    try:
        if start is None:
            return 0.0
        stop = end if end is not None and end.year > 1970 else None
        return round(((stop.timestamp() if stop else time.time()) - start.timestamp()), 3)
    except (AttributeError, TypeError, ValueError, OverflowError):
        return 0.0


def follow(client: Any, run_id: str, steps: list[str], on_event: Callable[[dict], None],
           cancel: threading.Event, interval: float | None = None) -> str:
    """Poll until the run ends; report step state changes; terminate it when ``cancel`` is set.
    Returns the run's final state (``CANCELED`` if it would not stop in time)."""
    interval = POLL_SECONDS if interval is None else interval
    seen: dict[str, StepState] = {}
    terminated_at: float | None = None
    while True:
        run = client.get_run(run_id)
        for step, (step_state, seconds) in step_states(run, steps).items():
            if seen.get(step) != step_state:
                seen[step] = step_state
                on_event(StepEvent(step, step_state, seconds).to_json())
        state = str(getattr(run, "state", None) or "PENDING")
        if state in FINAL_RUN_STATES:
            return state
        if cancel.is_set() and terminated_at is None:
            client.terminate_run(run_id)
            terminated_at = time.monotonic()
        if terminated_at is not None and time.monotonic() - terminated_at > CANCEL_GRACE_SECONDS:
            return "CANCELED"
        cancel.wait(interval) if terminated_at is None else time.sleep(interval)
