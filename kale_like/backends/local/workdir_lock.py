"""One run at a time per work directory.

The CLI, the Jupyter server and scripts all default to the same work directory for a
notebook, and two runs writing one cache entry corrupt each other. A run holds an
exclusive ``flock`` on ``WORKDIR/run.lock`` from its first cache read to its last
write. A second run waits for it, saying once who holds it, and gives up with a clear
error after ``KALE_LIKE_LOCK_TIMEOUT`` seconds (default 600; ``0`` fails at once).
The kernel drops the lock when its holder dies, however it dies, so there is no stale
lock to clean up.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

from ...errors import KaleLikeError

LOCK_NAME = "run.lock"
DEFAULT_TIMEOUT = 600.0
_POLL = 0.1


class WorkdirBusy(KaleLikeError):
    """Another run holds the work directory for longer than we wait."""


def lock_timeout() -> float:
    text = os.environ.get("KALE_LIKE_LOCK_TIMEOUT", "")
    try:
        return max(0.0, float(text)) if text else DEFAULT_TIMEOUT
    except ValueError:
        raise KaleLikeError(f"KALE_LIKE_LOCK_TIMEOUT must be a number of seconds, not {text!r}") from None


@contextlib.contextmanager
def holding(workdir: str, notebook: str | None, notify: Callable[[str], None],
            cancel: Any = None, timeout: float | None = None) -> Iterator[bool]:
    """Hold the work directory's lock for the block; yields False if cancelled while waiting."""
    os.makedirs(workdir, exist_ok=True)
    path = os.path.join(workdir, LOCK_NAME)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        acquired = _acquire(fd, path, notify, cancel, lock_timeout() if timeout is None else timeout)
        if acquired:
            _describe_holder(fd, notebook)
        yield acquired
    finally:
        os.close(fd)  # releases the lock


def _acquire(fd: int, path: str, notify: Callable[[str], None], cancel: Any, timeout: float) -> bool:
    if _try_lock(fd):
        return True
    holder = _holder(path)
    if timeout <= 0:
        raise _busy(path, holder, timeout)
    notify(f"waiting for {holder} to finish with {os.path.dirname(path)} "
           f"(one run at a time per work directory; giving up after {timeout:g} s)")
    deadline = time.monotonic() + timeout
    while True:
        if cancel is not None and cancel.wait(_POLL):
            return False
        if cancel is None:
            time.sleep(_POLL)
        if _try_lock(fd):
            return True
        if time.monotonic() >= deadline:
            raise _busy(path, _holder(path), timeout)


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _busy(path: str, holder: str, waited: float) -> WorkdirBusy:
    folder = os.path.dirname(path)
    after = f" after waiting {waited:g} s" if waited > 0 else ""
    return WorkdirBusy(f"the work directory {folder} is in use by {holder}{after}",
                       hint="hint: wait for that run, cancel it, or give this run its own --workdir")


def _describe_holder(fd: int, notebook: str | None) -> None:
    info = {"pid": os.getpid(), "host": socket.gethostname(), "notebook": notebook, "started": time.time()}
    with contextlib.suppress(OSError):  # only informative; a full disk must not stop the run here
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)


def _holder(path: str) -> str:
    """Who holds the lock, as far as its file says (it may be mid-rewrite: then 'another run')."""
    try:
        with open(path, encoding="utf-8") as handle:
            info = json.load(handle)
        pid, notebook = int(info["pid"]), info.get("notebook")
        started = time.strftime("%H:%M:%S", time.localtime(float(info["started"])))
    except (OSError, ValueError, KeyError, TypeError):
        return "another run"
    of = f" of {notebook}" if notebook else ""
    return f"another run{of} (process {pid}, started {started})"
