"""The runner's side of the warm parent (see ``kale_like.runtime.zygote``)."""
from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading


class Zygote:
    def __init__(self, preload: list[str], log_path: str, cwd: str) -> None:
        self._log = open(log_path, "ab")
        env = dict(os.environ)
        env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
        env["PYTHONUNBUFFERED"] = "1"
        self._process = subprocess.Popen(
            [sys.executable, "-m", "kale_like.runtime.zygote", *preload],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, cwd=cwd, env=env,
            text=True, bufsize=1, start_new_session=True)  # its own group: cancel can stop every child
        self.events: "queue.Queue[dict]" = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            try:
                self.events.put(json.loads(line))
            except ValueError:
                continue
        self.events.put({"zygote_exited": self._process.wait()})

    def alive(self) -> bool:
        return self._process.poll() is None

    def drain(self) -> None:
        """Forget events left from an earlier run (a reused warm parent starts clean)."""
        while True:
            try:
                self.events.get_nowait()
            except queue.Empty:
                return

    def start(self, spec_path: str) -> None:
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps({"spec": spec_path}) + "\n")
        self._process.stdin.flush()

    @staticmethod
    def kill(pid: int) -> None:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def kill_all(self) -> None:
        """Stop the warm parent and every step it forked, started or about to start."""
        try:
            os.killpg(self._process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def close(self) -> None:
        if self._process.stdin and not self._process.stdin.closed:
            try:
                self._process.stdin.close()
            except OSError:
                pass
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._log.close()
