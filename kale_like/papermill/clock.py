"""Papermill's per-cell execution metadata, kept from kale_like's step events.

Papermill's default engine stamps every cell as it runs it (``metadata.papermill``:
status, start and end times, duration; ``metadata.execution``: the kernel's
timestamps) and saves the notebook as it goes. Here a step's cells start when the
step starts and complete when it ends; the notebook is saved on each step event,
so a long run can be watched in the output notebook just as with papermill.
"""
from __future__ import annotations

import datetime
from typing import Any

PENDING, RUNNING, COMPLETED, FAILED = "pending", "running", "completed", "failed"


class CellClock:
    def __init__(self, nb_man: Any, owned: dict[str, list[int]]) -> None:
        self.nb_man = nb_man
        self.owned = owned
        self.started: dict[str, datetime.datetime] = {}

    @property
    def nb(self) -> Any:
        return self.nb_man.nb

    def on_event(self, event: dict) -> None:
        """The run's event sink (called on the runner's thread)."""
        if event.get("type") != "step":
            return
        name, state = event["step"], event["state"]
        now = _now()
        if state == "running":
            self.started[name] = now
            for index in self.owned.get(name, []):
                self._start(self.nb.cells[index], now)
            self._describe(name)
        elif state in ("succeeded", "cached", "failed"):
            begun = self.started.get(name, now)
            for index in self.owned.get(name, []):
                cell = self.nb.cells[index]
                if cell.metadata.papermill.get("start_time") is None:
                    self._start(cell, begun)
                self._complete(cell, now)
            if self.nb_man.pbar:
                self.nb_man.pbar.update(len(self.owned.get(name, [])))
        else:
            return
        self.nb_man.save()

    def finish(self, failed_at: int | None) -> None:
        """Cells no step ran (markdown, empty, skipped) complete now, up to a failure."""
        now = _now()
        for index, cell in enumerate(self.nb.cells):
            meta = cell.metadata.papermill
            if failed_at is not None and index >= failed_at:
                if index == failed_at:
                    if meta.get("start_time") is None:
                        self._start(cell, now)
                    if meta.get("end_time") is None:
                        self._complete(cell, now)
                    self.nb_man.cell_exception(cell, cell_index=index)
                else:
                    cell.metadata.papermill = _pending()
                    cell.metadata.pop("execution", None)
                continue
            if meta.get("status") == PENDING:
                self._start(cell, now)
                self._complete(cell, now)
        if failed_at is None:
            self.nb_man.complete_pbar()

    def _describe(self, step: str) -> None:
        if self.nb_man.pbar:
            self.nb_man.pbar.set_description(f"Executing step {step}")

    @staticmethod
    def _start(cell: Any, when: datetime.datetime) -> None:
        meta = cell.metadata.papermill
        meta["start_time"] = when.isoformat()
        meta["status"] = RUNNING
        meta["exception"] = False
        if cell.get("cell_type") == "code" and cell.source.strip():
            stamp = _kernel_stamp(when)
            cell.metadata["execution"] = {"iopub.execute_input": stamp, "iopub.status.busy": stamp}

    @staticmethod
    def _complete(cell: Any, when: datetime.datetime) -> None:
        meta = cell.metadata.papermill
        meta["end_time"] = when.isoformat()
        if meta.get("start_time"):
            begun = datetime.datetime.fromisoformat(meta["start_time"])
            meta["duration"] = (when - begun).total_seconds()
        if meta.get("status") != FAILED:
            meta["status"] = COMPLETED
        if "execution" in cell.metadata:
            stamp = _kernel_stamp(when)
            cell.metadata["execution"].update({"iopub.status.idle": stamp, "shell.execute_reply": stamp})


def _pending() -> dict:
    return {"exception": None, "start_time": None, "end_time": None, "duration": None, "status": PENDING}


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def _kernel_stamp(when: datetime.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
