"""The processes of a run, and how they are stopped so that none outlives it.

Layout: the warm parent leads its own session (``start_new_session``); each step it
forks leads its own process group inside that session, and whatever a step starts
stays in the step's group (and session) unless it detaches on purpose. So:

- a step's timeout or cancel kills the step's group: the step and its children;
- the end of a run kills every process of the session except the idle warm parent;
- stopping a run (Ctrl-C, SIGTERM, server shutdown, an error) kills the whole session;
- a step dies with its warm parent (``PR_SET_PDEATHSIG``), and the warm parent kills
  its session when the process that started it goes away (its stdin reaches EOF).

A process that calls ``setsid()`` itself (a daemon) leaves the session; that is the one
way out, and it is the documented way to mean "outlive me".
"""
from __future__ import annotations

import ctypes
import functools
import os
import signal
from typing import Any

_PR_SET_PDEATHSIG = 1


@functools.cache
def _prctl() -> Any:
    """libc's prctl, or None. Looked up in this process's own symbols (``find_library``
    would start a subprocess in every step); the warm parent does it once before forking."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux: the session sweep still applies
        return None


def die_with_parent(parent: int) -> None:
    """Have the kernel SIGKILL this process when its parent (thread) ends."""
    prctl = _prctl()
    if prctl is None:
        return
    prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def session_members(sid: int) -> list[int]:
    """Processes whose session id is ``sid`` (read from /proc; empty where there is none)."""
    found: list[int] = []
    try:
        names = os.listdir("/proc")
    except OSError:
        return found
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()  # after "pid (comm) "
        if len(fields) > 3 and int(fields[3]) == sid and fields[0] != b"Z":
            found.append(int(name))
    return found


def kill_session(sid: int, keep: int | None = None, rounds: int = 20) -> None:
    """SIGKILL every process of session ``sid`` except ``keep``, until none is left.

    Repeated because a process may fork while we look; the leader goes first (unless
    kept) so no new step can start.
    """
    if keep != sid:
        _kill(sid)
    for _ in range(rounds):
        members = [pid for pid in session_members(sid) if pid != keep]
        if not members:
            return
        for pid in members:
            _kill(pid)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
