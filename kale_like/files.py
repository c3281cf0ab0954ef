"""Writing a file so that readers see the old one or the new one, never half of one.

The new content goes to a temporary file beside the target (``.kale_like_PID_*``),
which is renamed over it. The temporary file is removed whatever stops the write: an
error, a full disk (which becomes :class:`~kale_like.errors.NoSpace` naming the folder),
Ctrl-C, SIGTERM (the CLI turns it into an exception) or interpreter exit (``atexit``
removes those still being written, e.g. by a Jupyter server's run thread). Only
SIGKILL can leave one behind; the next write into that folder removes temporaries
whose process is gone.

The temporary file is created with mode 0666 for the kernel to apply the umask, as
for any ``open(path, "w")``: ``tempfile.mkstemp`` would make it 0600 whatever the
umask, and the renamed file would stay unreadable to the user's group.
"""
from __future__ import annotations

import atexit
import os
import secrets
import threading
from collections.abc import Callable
from typing import IO

from .errors import NoSpace, is_no_space

TEMP_PREFIX = ".kale_like_"
_live: set[str] = set()
_lock = threading.Lock()


def replace_atomically(path: str, write: Callable[[IO[str]], object], suffix: str = "") -> None:
    """Call ``write`` with a text handle on a temporary file, then rename it to ``path``."""
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)
        remove_stale(folder)
        fd, tmp = _create_beside(folder, suffix)
    except OSError as exc:
        if is_no_space(exc):
            raise NoSpace(folder) from exc
        raise
    with _lock:
        _live.add(tmp)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            write(handle)
        os.replace(tmp, path)
    except OSError as exc:
        _unlink(tmp)
        if is_no_space(exc):
            raise NoSpace(folder) from exc
        raise
    except BaseException:
        _unlink(tmp)
        raise
    finally:
        with _lock:
            _live.discard(tmp)


def _create_beside(folder: str, suffix: str) -> tuple[int, str]:
    """A new, exclusively created temporary file in ``folder``: mode 0666 minus the umask."""
    while True:
        tmp = os.path.join(folder, f"{TEMP_PREFIX}{os.getpid()}_{secrets.token_hex(6)}{suffix}")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666), tmp
        except FileExistsError:  # pragma: no cover - 48 random bits collided
            continue


def remove_temporaries() -> None:
    """Remove the temporary files this process is writing right now (on exit or a signal)."""
    with _lock:
        pending = list(_live)
    for tmp in pending:
        _unlink(tmp)


def remove_stale(folder: str) -> None:
    """Remove temporaries left in ``folder`` by processes that no longer exist (SIGKILL)."""
    try:
        names = [n for n in os.listdir(folder) if n.startswith(TEMP_PREFIX)]
    except OSError:
        return
    for name in names:
        pid_text = name[len(TEMP_PREFIX):].split("_", 1)[0]
        if pid_text.isdigit() and not _alive(int(pid_text)):
            _unlink(os.path.join(folder, name))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


atexit.register(remove_temporaries)
