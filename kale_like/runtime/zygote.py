"""A warm parent for step processes: imports the notebook's libraries once, then
forks one child per step on request. This is what keeps the per-step cost at a
fork plus the step's own work, however many steps there are.

Protocol, one JSON object per line: the runner writes ``{"spec": PATH}`` to our
stdin; we answer ``{"spec": PATH, "pid": N}`` when the child starts and
``{"pid": N, "status": CODE}`` when it exits. EOF on stdin means the runner is done
with us, or gone: we kill every process of our session and exit (see ``procs``).
"""
from __future__ import annotations

import importlib
import json
import os
import selectors
import signal
import sys
import warnings

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
    _serve(protocol)


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


def _serve(protocol) -> None:
    # SIGCHLD only wakes the loop (through a self-pipe); reaping and writing happen
    # here, in one place, so no write can be interrupted by another.
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    selector = selectors.DefaultSelector()
    selector.register(0, selectors.EVENT_READ)
    selector.register(wake_r, selectors.EVENT_READ)
    pending = b""
    while True:
        for key, _ in selector.select():
            if key.fd == wake_r:
                os.read(wake_r, 4096)
                _reap(protocol)
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
                _fork(json.loads(line), protocol, (wake_r, wake_w))
        _reap(protocol)


def _reap(protocol) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        protocol.write(json.dumps({"pid": pid, "status": os.waitstatus_to_exitcode(status)}) + "\n")


def _fork(request: dict, protocol, wake_fds: tuple[int, int]) -> None:
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        os.setpgid(0, 0)  # the step's own group: a timeout kills it with its children
        procs.die_with_parent(parent)
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for fd in wake_fds:
            os.close(fd)
        protocol.close()
        from .child import run_spec_file

        run_spec_file(request["spec"])
        os._exit(0)
    try:
        os.setpgid(pid, pid)  # also here, so the group exists before the runner hears of the pid
    except OSError:
        pass  # the child did it first (or already exited)
    protocol.write(json.dumps({"spec": request["spec"], "pid": pid}) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
