"""The ``kale-like`` command: its parser and the one place errors become exit codes:
0 success, 1 a step failed, 2 bad input (notebook, tags, parameters). The commands
themselves live beside it (:mod:`.run`, :mod:`.kfp`, :mod:`.papermill`)."""
from __future__ import annotations

import argparse
import sys
from typing import Sequence

from ..errors import KaleLikeError, NoSpace


class Terminated(BaseException):
    """SIGTERM or SIGHUP, raised where the program is, so cleanup runs as for Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _terminate(signum: int, frame: object) -> None:
    raise Terminated(signum)


def main(argv: Sequence[str] | None = None) -> int:
    import signal
    import threading

    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    handled = (signal.SIGTERM, signal.SIGHUP) if threading.current_thread() is threading.main_thread() else ()
    previous = {signum: signal.signal(signum, _terminate) for signum in handled}
    try:
        return _dispatch(args)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _dispatch(args: argparse.Namespace) -> int:
    try:
        return int(args.handler(args) or 0)
    except Terminated as exc:  # the run has stopped its processes and removed partial files
        print(f"kale-like: terminated by signal {exc.signum}", file=sys.stderr)
        return 128 + exc.signum
    except NoSpace as exc:  # the run failed for want of disk, not for bad input
        print(f"kale-like: error: {exc.render()}", file=sys.stderr)
        return 1
    except KaleLikeError as exc:
        print(f"kale-like: error: {exc.render()}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kale-like: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `kale-like graph NB | head`: the reader left, as for any filter
        import os

        # Python flushes stdout again at exit; point it at /dev/null so that flush is silent.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + 13
    except Exception as exc:  # noqa: BLE001 - a bug of ours: one line, traceback on request
        import os

        if os.environ.get("KALE_LIKE_DEBUG"):
            raise
        print(f"kale-like: internal error: {type(exc).__name__}: {exc} (this is a bug in kale_like; "
              "set KALE_LIKE_DEBUG=1 to see the traceback)", file=sys.stderr)
        return 3


def _parser() -> argparse.ArgumentParser:
    from .._version import __version__
    from . import kfp, papermill, run

    parser = argparse.ArgumentParser(prog="kale-like", description="Turn a Jupyter notebook into a pipeline.")
    parser.add_argument("--version", action="version", version=f"kale-like {__version__}")
    sub = parser.add_subparsers(dest="command")
    for commands in (run, kfp, papermill):
        commands.register(sub)
    return parser
