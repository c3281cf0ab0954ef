"""Start the warm parent while the notebook is still being analysed.

The warm parent's start (an interpreter, IPython, the notebook's libraries) is the
largest fixed cost of a local run; nothing it does depends on the analysis, so the
CLI and the API start it as soon as the notebook is read and the run claims it.
It never runs user code itself (it only forks), so after a run it is parked and the
next run of the same notebook in this process (the Jupyter server's *Compile and
Run*, a sweep, a script calling ``kale_like.run`` twice) reuses it; an idle one
stops after ``IDLE_SECONDS``, and with this process.
"""
from __future__ import annotations

import functools
import os
import sys
import threading

from ...notebook import Notebook
from .zygote_client import Zygote

_started: dict[tuple[str, tuple[str, ...]], Zygote] = {}
_lock = threading.Lock()
# Long enough for "Compile and Run" again after a small edit, short enough that an idle
# parent (the notebook's libraries imported: often 100-300 MB) is gone soon after the
# last run.
IDLE_SECONDS = 30.0


def preload_modules(notebook: Notebook) -> list[str]:
    """Third-party modules the notebook imports: imported once in the warm parent."""
    return list(_preload(_folder(notebook), tuple(c.source for c in notebook.code_cells)))


@functools.lru_cache(maxsize=32)
def _preload(folder: str, sources: tuple[str, ...]) -> tuple[str, ...]:
    # Cached: a run asks for the same notebook's list several times (prewarm, claim, park).
    from ...analysis.imports import imported_modules

    stdlib = sys.stdlib_module_names
    return tuple(name for name in imported_modules(sources)
                 if name.split(".")[0] not in stdlib and not _is_local(name.split(".")[0], folder))


def start(notebook: Notebook, workdir: str) -> Zygote:
    os.makedirs(workdir, exist_ok=True)
    return Zygote(preload_modules(notebook), os.path.join(workdir, "zygote.log"), _folder(notebook))


def prewarm(notebook: Notebook, workdir: str) -> None:
    key = _key(notebook)
    with _lock:
        if key not in _started:
            _started[key] = start(notebook, workdir)


def claim(notebook: Notebook) -> Zygote | None:
    with _lock:
        zygote = _started.pop(_key(notebook), None)
    if zygote is None or not zygote.alive():
        return None
    timer = getattr(zygote, "idle_timer", None)
    if timer is not None:
        timer.cancel()  # in use again: the idle clock restarts when it is parked next
    zygote.drain()
    return zygote


def park(notebook: Notebook, zygote: Zygote) -> None:
    """Keep a healthy warm parent for the next run of this notebook.

    Whatever the run's steps left running (background processes) is stopped first:
    nothing of a run outlives it, only the idle parent does.
    """
    zygote.kill_strays()
    key = _key(notebook)
    with _lock:
        keep = zygote.alive() and key not in _started and IDLE_SECONDS > 0
        if keep:
            _started[key] = zygote
    if not keep:
        zygote.close()
        return
    timer = threading.Timer(IDLE_SECONDS, _expire, args=(key, zygote))
    timer.daemon = True
    zygote.idle_timer = timer
    timer.start()


def _expire(key: tuple[str, tuple[str, ...]], zygote: Zygote) -> None:
    with _lock:
        if _started.get(key) is not zygote:
            return  # claimed again meanwhile
        del _started[key]
    zygote.close()


def discard(notebook: Notebook) -> None:
    """Stop a warm parent nobody claimed (every step came from the cache, or planning failed)."""
    zygote = claim(notebook)
    if zygote is not None:
        zygote.kill_all()
        zygote.close()


def _key(notebook: Notebook) -> tuple[str, tuple[str, ...]]:
    return (os.path.abspath(notebook.path or ""), tuple(preload_modules(notebook)))


def _folder(notebook: Notebook) -> str:
    return os.path.dirname(os.path.abspath(notebook.path or "."))


def _is_local(module: str, folder: str) -> bool:
    return os.path.exists(os.path.join(folder, module + ".py")) or os.path.isdir(os.path.join(folder, module))
