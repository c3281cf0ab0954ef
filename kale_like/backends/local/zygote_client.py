"""The runner's side of the warm parent (see ``kale_like.runtime.zygote``).

Every warm parent this process starts is stopped, with everything it started, when
this process exits normally (``atexit``); when it dies otherwise, the warm parent sees
EOF on its stdin and does it itself. Why not ``PR_SET_PDEATHSIG`` here: it fires when
the *thread* that started the child ends, and the Jupyter server starts warm parents
from run threads that end while the parked parent should live on.
"""
from __future__ import annotations

import atexit
import base64
import json
import os
import queue
import subprocess
import sys
import threading
import weakref

from ...runtime import procs

_live: "weakref.WeakSet[Zygote]" = weakref.WeakSet()


class Zygote:
    def __init__(self, preload: list[str], log_path: str, cwd: str) -> None:
        self._log = open(log_path, "ab")
        env = dict(os.environ)
        env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
        env["PYTHONUNBUFFERED"] = "1"
        self._process = subprocess.Popen(
            [sys.executable, "-m", "kale_like.runtime.zygote", *preload],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, cwd=cwd, env=env,
            text=True, bufsize=1, start_new_session=True)  # its own session: every process of the run
        _live.add(self)
        self._owner = os.getpid()  # a forked copy of this process must not stop our warm parents
        self.pid = self._process.pid
        self.idle_timer: threading.Timer | None = None  # set while parked (see warm.park)
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

    def start(self, spec_path: str, data: bytes | None = None) -> None:
        """Run the spec at ``spec_path``; ``data``: its pickled bytes, handed over directly."""
        assert self._process.stdin is not None
        request = {"spec": spec_path}
        if data is not None:
            request["data"] = base64.b64encode(data).decode("ascii")
        self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.flush()

    @staticmethod
    def kill(pid: int) -> None:
        """Stop one step and whatever it started (the step leads its own process group)."""
        procs.kill_group(pid)

    def kill_all(self) -> None:
        """Stop the warm parent and every process of its session: steps, started or about
        to start, and their children."""
        procs.kill_session(self._process.pid)
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def kill_strays(self) -> None:
        """After a run: stop what steps left running (background processes), keep the idle parent."""
        if self.alive():
            procs.kill_session(self._process.pid, keep=self._process.pid)

    def close(self) -> None:
        if self._process.stdin and not self._process.stdin.closed:
            try:
                self._process.stdin.close()
            except OSError:
                pass
        try:
            self._process.wait(timeout=10)  # it kills its session on EOF, then exits
        except subprocess.TimeoutExpired:
            procs.kill_session(self._process.pid)
            self._process.wait()
        _live.discard(self)
        self._log.close()


def stop_all() -> None:
    """Stop every warm parent of this process and all they started (at exit, server shutdown)."""
    for zygote in list(_live):
        if zygote._owner != os.getpid():
            continue
        zygote.kill_all()
        zygote.close()


atexit.register(stop_all)
