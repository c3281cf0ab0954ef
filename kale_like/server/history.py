"""Run history kept on disk, next to the notebook's run results: one small JSON record
per run in ``WORKDIR/runs/``, rewritten as the run progresses, so the panel can list
recent runs after a browser reload or a server restart."""
from __future__ import annotations

import json
import os
from typing import Any

from ..files import replace_atomically

KEEP = 30
_FINAL = ("succeeded", "failed", "cancelled", "interrupted")


def history_dir(os_path: str) -> str:
    """Where a notebook's run records live: the local backend's work directory for it."""
    from ..run_paths import default_workdir

    return os.path.join(default_workdir(os_path), "runs")


def save(folder: str, record: dict[str, Any]) -> None:
    """Write one record atomically (a reader never sees half of it), readable like any
    other file the user's umask allows."""
    replace_atomically(os.path.join(folder, f"{record['id']}.json"),
                       lambda handle: json.dump(record, handle, default=str))
    _forget_old(folder)


def load(folder: str) -> list[dict[str, Any]]:
    """The records in ``folder``, newest first. A run that was not finished when its
    server went away is reported as interrupted: nothing follows it any more."""
    records = []
    try:
        names = [n for n in os.listdir(folder) if n.endswith(".json") and not n.startswith(".")]
    except OSError:
        return []
    for name in names:
        try:
            with open(os.path.join(folder, name), encoding="utf-8") as handle:
                record = json.load(handle)
        except (OSError, ValueError):
            continue
        if isinstance(record, dict) and "id" in record:
            records.append(record)
    for record in records:
        if record.get("state") not in _FINAL:
            record["state"] = "interrupted"
    return sorted(records, key=lambda r: r.get("started") or 0, reverse=True)


def _forget_old(folder: str) -> None:
    try:
        names = [os.path.join(folder, n) for n in os.listdir(folder) if n.endswith(".json") and not n.startswith(".")]
        names.sort(key=os.path.getmtime, reverse=True)
        for stale in names[KEEP:]:
            os.unlink(stale)
    except OSError:
        pass
