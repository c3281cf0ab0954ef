"""A warm parent for step processes: imports the notebook's libraries once, then
forks one child per step on request. This is what keeps the per-step cost at a
fork plus the step's own work, however many steps there are.

Protocol, one JSON object per line: the runner writes ``{"spec": PATH}`` to our
stdin; we answer ``{"spec": PATH, "pid": N}`` when the child starts and
``{"pid": N, "status": CODE}`` when it exits.
"""
from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import warnings


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

    def reap(signum, frame) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            protocol.write(json.dumps({"pid": pid, "status": os.waitstatus_to_exitcode(status)}) + "\n")

    signal.signal(signal.SIGCHLD, reap)
    for line in sys.stdin:
        request = json.loads(line)
        # Keep the reaper from writing while we write (buffered files are not reentrant).
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
            protocol.close()
            from .child import run_spec_file

            run_spec_file(request["spec"])
            os._exit(0)
        protocol.write(json.dumps({"spec": request["spec"], "pid": pid}) + "\n")
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        protocol.write(json.dumps({"pid": pid, "status": os.waitstatus_to_exitcode(status)}) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
