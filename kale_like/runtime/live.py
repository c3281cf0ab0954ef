"""A step's stdout/stderr, also sent while the step runs: appended as JSON lines to a
file the scheduler tails. Writes are gathered and flushed every 0.1 s by a small
thread, as ipykernel's output thread does, so a loop of many prints costs little.

The file and the thread come with the first write: most steps of a long pipeline print
nothing, and for them both would be pure per-step cost (a file created, a thread
started and joined)."""
from __future__ import annotations

import json
import os
import threading

FLUSH_SECONDS = 0.1


class LiveWriter:
    def __init__(self, path: str) -> None:
        self._path = path
        self._fd: int | None = None
        self._pending: list[tuple[str, list[str]]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def write(self, name: str, text: str) -> None:
        with self._lock:
            if self._pending and self._pending[-1][0] == name:
                self._pending[-1][1].append(text)
            else:
                self._pending.append((name, [text]))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="kale-like-live-output", daemon=True)
                self._thread.start()

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
        if not pending:
            return
        data = "".join(json.dumps({"name": name, "text": "".join(parts)}) + "\n" for name, parts in pending)
        try:
            if self._fd is None:
                self._fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.write(self._fd, data.encode("utf-8"))  # whole lines in one append: the reader never sees half
        except OSError:
            pass  # a full disk must not fail the step; the outputs still reach the notebook

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.flush()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _run(self) -> None:
        while not self._stop.wait(FLUSH_SECONDS):
            self.flush()
