"""Checksums of large files verified in the background while the step already runs.

Verifying 1 GiB costs about 0.05 s of CPU (XXH3 releases the GIL); a step that loads
a large value usually computes with it for longer than that, so the check runs beside
the step's own work instead of before it. The step's result counts only once
:func:`confirm_loaded` has seen every check pass: the child calls it before reporting,
and a damaged input then turns the step's report into a cache miss of its producer.
"""
from __future__ import annotations

import threading
from collections.abc import Callable

from ..errors import DamagedData

_checks: list[tuple[threading.Thread, list[DamagedData]]] = []
_lock = threading.Lock()


def start(check: Callable[[], DamagedData | None]) -> None:
    found: list[DamagedData] = []

    def run() -> None:
        problem = check()
        if problem is not None:
            found.append(problem)

    thread = threading.Thread(target=run, name="kale_like-verify", daemon=True)
    thread.start()
    with _lock:
        _checks.append((thread, found))


def confirm_loaded() -> None:
    """Wait for every background check of this process; raise the first damage found."""
    with _lock:
        checks = list(_checks)
        _checks.clear()
    problems = []
    for thread, found in checks:
        thread.join()
        problems.extend(found)
    if problems:
        raise problems[0]
