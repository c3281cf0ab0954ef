"""Write a file atomically with the permissions any other new file would get.

``tempfile.mkstemp`` creates its file with mode 0600 whatever the umask, so a
file renamed into place from it is unreadable to the user's group even where
their umask says otherwise. Creating the temporary file ourselves with mode
0666 lets the kernel apply the umask, exactly as for ``open(path, "w")``, with
no process-wide ``os.umask`` call (not thread-safe: the server runs threads).
"""
from __future__ import annotations

import os
import secrets
from typing import Callable, TextIO


def write_text_atomically(path: str, write: Callable[[TextIO], None]) -> None:
    """Call ``write(handle)`` on a temporary file beside ``path``, then rename it into place."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = _create_beside(folder, os.path.basename(path))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            write(handle)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _create_beside(folder: str, name: str) -> tuple[int, str]:
    """A new, exclusively created hidden file in ``folder``; mode 0666 minus the umask."""
    while True:
        tmp = os.path.join(folder, f".{name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:  # pragma: no cover - 48 random bits collided
            continue
