"""A warm parent for step processes: imports the notebook's libraries once, then
forks one child per step on request. This is what keeps the per-step cost at a
fork plus the step's own work, however many steps there are.

Protocol, one JSON object per line: the runner writes ``{"spec": PATH}`` to our
stdin (with ``"data"``: the pickled spec in base64, which the step then need not read
from PATH); we answer ``{"spec": PATH, "pid": N}`` when the child has it,
``{"pid": N, "reported": true}`` once it has written its report (its process is then
only going away: the runner need not wait for that to start the next step) and
``{"pid": N, "status": CODE}`` when it exits. EOF on stdin means the runner is done
with us, or gone: we kill every process of our session and exit (see ``procs``).
"""
from __future__ import annotations

import base64
import importlib
import json
import os
import pickle
import selectors
import signal
import sys
import warnings
from typing import Any

from . import procs


def main(argv: list[str]) -> None:
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything printed while importing goes to our log, not the protocol
    from .capture import make_shell

    make_shell()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for module in argv:
            try:
                importlib.import_module(module)
            except BaseException:  # noqa: BLE001 - a step will import it and report properly
                continue

    _warm_runtime()
    import gc

    gc.collect()
    gc.freeze()  # keep imported objects out of the children's collections (and their pages shared)
    _Server(protocol).serve()


def _warm_runtime() -> None:
    """What every step imports anyway: pay for it once, here."""
    from .. import marshal
    from . import child  # noqa: F401

    marshal.default_registry().choose(None)  # finds plug-in codecs once, before any fork
    from ..marshal.checksum import preferred_algorithm

    preferred_algorithm()  # imports xxhash
    procs._prctl()  # found once here, not in every step
    import tempfile

    tempfile.gettempdir()  # probes candidate folders by writing a file: once, not per step
    _warm_cell_machinery()
    _warm_step_paths()
    if "numpy" in sys.modules:
        import numpy.random  # noqa: F401 - numpy imports it lazily, on a step's first reseed
    if "pandas" in sys.modules:
        import pandas.io.formats.format  # noqa: F401


def _warm_cell_machinery() -> None:
    """What running any cell builds lazily (tokenizer regexes, the debugger and logger
    modules), built once here instead of in every step: about 30 ms a step otherwise.
    Only IPython's own machinery runs: nothing of the user's, no history, no namespace."""
    import bdb  # noqa: F401 - IPython imports it on a cell's first run

    import IPython.core.logger  # noqa: F401

    from .capture import make_shell

    make_shell().transform_cell("x = (1 +\n     2)\n")


# Python specialises a function's bytecode in place over its first runs (3.11+). Run
# here, before any fork, the children inherit the code ready; run in each child, every
# step wrote into those pages and so copied them (copy-on-write): measured on a one-line
# step, its saving and loading took 770 page faults and 5.2 ms instead of 440 and 2.5 ms.
WARM_ROUNDS = 12


def _warm_step_paths() -> None:
    """Run what every step runs around its cells (save and load a small value, run an
    empty cell, write a report), on scratch files that are then removed. Nothing of it
    stays: no user namespace entry, no execution count, no history."""
    import shutil
    import tempfile

    from ..marshal import MarshalContext, load_group
    from .capture import make_shell
    from .child import save_travelling, write_report
    from .spec import CellRecord, StepReport

    shell = make_shell()
    count = shell.execution_count
    try:
        scratch = tempfile.mkdtemp(prefix="kale_like_warm_", dir=_scratch_root())
    except OSError:
        return  # nowhere to write: steps only start a little colder
    try:
        context = MarshalContext(step="warm", cells={})
        for round_ in range(WARM_ROUNDS):
            group = os.path.join(scratch, str(round_))
            save_travelling(group, {"x": round_}, context)
            load_group(group, defer_large=True)
            shell.run_cell("pass", store_history=False)
            write_report(os.path.join(scratch, "report.json"),
                         StepReport("warm", ok=True, cells=[CellRecord(0, [], 1, [])]))
    except Exception:  # noqa: BLE001 - a rehearsal that fails changes nothing a step relies on
        pass
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        shell.execution_count = count


def _scratch_root() -> str | None:
    """Memory-backed when there is one: these files live for milliseconds."""
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None


class _Server:
    """The request loop. Each step process is forked one request ahead (the *spare*):
    it waits on a pipe of its own for its spec, so the fork and the process's own start
    happen while the previous step runs, not between it and the next. Only a request
    makes a spare: an idle warm parent has none, and a spare killed at the end of a
    run (with the run's other processes) is not replaced until the next request."""

    def __init__(self, protocol: Any) -> None:
        self.protocol = protocol
        # SIGCHLD only wakes the loop (through a self-pipe); reaping and writing happen
        # here, in one place, so no write can be interrupted by another.
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_w, False)
        signal.set_wakeup_fd(self.wake_w)
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)
        self.spare: tuple[int, int] | None = None  # (pid, write end of its pipe)
        self.unasked: set[int] = set()  # forked, never handed a step: their exits are not reported
        self.reports: dict[int, int] = {}  # read end of a child's "reported" pipe -> its pid
        self.selector = selectors.DefaultSelector()

    def serve(self) -> None:
        selector = self.selector
        selector.register(0, selectors.EVENT_READ)
        selector.register(self.wake_r, selectors.EVENT_READ)
        pending = b""
        while True:
            for key, _ in selector.select():
                if key.fd == self.wake_r:
                    os.read(self.wake_r, 4096)
                    self.reap()
                    continue
                if key.fd != 0:
                    # A step's "reported" pipe, unless reaping already closed it in this
                    # round (its number may even be a newer pipe's: the pid tells).
                    if self.reports.get(key.fd) == key.data:
                        self.reported(key.fd)
                    continue
                chunk = os.read(0, 65536)
                if not chunk:
                    # The runner closed us, or its process died (Ctrl-C, SIGKILL, a server
                    # stopping): nothing we started may outlive it.
                    procs.kill_session(os.getpid(), keep=os.getpid())
                    return
                pending += chunk
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    request = json.loads(line)
                    self.start(request["spec"], request.get("data"))
            self.reap()

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            fd = next((f for f, owner in self.reports.items() if owner == pid), None)
            if fd is not None:  # its "reported" first, whichever woke us first
                self.reported(fd)
            if pid in self.unasked:  # a spare that never had a step: nobody asked about it
                self.unasked.discard(pid)
                if self.spare is not None and pid == self.spare[0]:
                    os.close(self.spare[1])
                    self.spare = None
                continue
            self.protocol.write(json.dumps({"pid": pid, "status": os.waitstatus_to_exitcode(status)}) + "\n")

    def reported(self, fd: int) -> None:
        """A child wrote its report (one byte on its pipe), or died before (end of file)."""
        pid = self.reports.pop(fd)
        self.selector.unregister(fd)
        os.set_blocking(fd, False)  # read at reaping time too: the byte is there, or never will be
        try:
            done = os.read(fd, 1)
        except BlockingIOError:
            done = b""
        os.close(fd)
        if done:
            self.protocol.write(json.dumps({"pid": pid, "reported": True}) + "\n")

    def start(self, spec_path: str, data: str | None = None) -> None:
        """Hand the spec to the spare (forked now if there is none), then fork the next."""
        payload = b"P" + base64.b64decode(data) if data else b"F" + spec_path.encode()
        for attempt in range(2):
            pid, feed = self.spare or self._fork()
            self.spare = None
            try:
                _write_all(feed, payload)
                handed = True
            except OSError:  # the spare died unasked (killed with a finished run's strays)
                handed = False
            finally:
                os.close(feed)
            if handed or attempt == 1:  # twice dead: reported as this step's process dying
                self.unasked.discard(pid)
                break
        # The next spare exists before the runner hears of this step: the runner cannot
        # finish the run (and stop what is left of it) before this fork is done, so no
        # spare is ever forked after the end of a run.
        self.spare = self._fork()
        self.protocol.write(json.dumps({"spec": spec_path, "pid": pid}) + "\n")

    def _child(self, parent: int, request: int, feed: int, done_r: int, done_w: int) -> None:
        """The forked process: wait for a spec, run it, exit (it never returns normally)."""
        os.close(feed)
        os.close(done_r)
        for fd in self.reports:  # other steps' pipes
            os.close(fd)
        os.setpgid(0, 0)  # the step's own group: a timeout kills it with its children
        procs.die_with_parent(parent)
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.close(self.wake_r)
        os.close(self.wake_w)
        self.protocol.close()
        payload = _await_request(request)
        if not payload:
            os._exit(0)  # the warm parent is gone, or never needed us
        from .child import run_spec, run_spec_file

        def reported() -> None:
            _say_reported(done_w)

        if payload[:1] == b"P":
            run_spec(pickle.loads(payload[1:]), on_reported=reported)
        else:
            run_spec_file(payload[1:].decode(), on_reported=reported)
        os._exit(0)

    def _fork(self) -> tuple[int, int]:
        parent = os.getpid()
        request, feed = os.pipe()
        done_r, done_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                self._child(parent, request, feed, done_r, done_w)
            except BaseException:  # noqa: BLE001 - never unwind into the warm parent's loop
                import traceback

                traceback.print_exc()  # to the warm parent's log
            os._exit(1)
        os.close(request)
        os.close(done_w)
        self.reports[done_r] = pid
        self.selector.register(done_r, selectors.EVENT_READ, data=pid)
        self.unasked.add(pid)
        try:
            os.setpgid(pid, pid)  # also here, so the group exists before the runner hears of the pid
        except OSError:
            pass  # the child did it first (or already exited)
        return pid, feed


def _say_reported(fd: int) -> None:
    try:
        os.write(fd, b"r")
        os.close(fd)
    except OSError:
        pass  # the warm parent is gone: the exit will not be heard either


def _await_request(fd: int) -> bytes:
    """What the warm parent hands this process (all it writes before closing the pipe):
    ``P`` and a pickled spec, or ``F`` and the path of one; empty if it closed unasked."""
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


if __name__ == "__main__":
    main(sys.argv[1:])
