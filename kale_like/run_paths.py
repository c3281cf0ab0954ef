"""Where a run writes, the same for every backend: the defaults for ``--out`` and
``--workdir`` and what a run leaves in its work folder for others to read; and checking
both paths before a run starts, so that a bad path is one clear error (what and which
path, as the user wrote it), not an OS error after the steps ran."""
from __future__ import annotations

import hashlib
import os

from .errors import KaleLikeError

FILES_READ = "files_read.json"
"""In the work folder: the files the last local run's cells read from the notebook's folder
(written by the local runner, read by the kfp compiler: a cluster step must be given them)."""


def default_workdir(notebook_path: str | None) -> str:
    """Step results and the cache: one folder per notebook under the user's cache directory."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    ident = hashlib.sha256(os.path.abspath(notebook_path or "notebook").encode()).hexdigest()[:12]
    stem = os.path.splitext(os.path.basename(notebook_path or "notebook"))[0]
    return os.path.join(base, "kale_like", f"{stem}-{ident}")


def default_output(notebook_path: str | None) -> str:
    """The executed notebook: NOTEBOOK.executed.ipynb next to the notebook."""
    stem, _ = os.path.splitext(os.path.abspath(notebook_path or "notebook.ipynb"))
    return stem + ".executed.ipynb"


class OutputPathError(KaleLikeError):
    """``--out`` or ``--workdir`` cannot be used."""


def check_run_paths(out: str | os.PathLike | None, workdir: str | os.PathLike | None) -> None:
    if out is not None:
        _check_output_file(os.fspath(out))
    if workdir is not None:
        _check_workdir(os.fspath(workdir))


def _check_output_file(out: str) -> None:
    if os.path.isdir(out):
        raise OutputPathError(f"--out {out}: is a folder; give the executed notebook's file name",
                              hint=f"e.g. --out {os.path.join(out, 'executed.ipynb')}")
    parent = os.path.dirname(out) or "."
    blocker = _first_non_folder(parent)
    if blocker is not None:
        raise OutputPathError(f"--out {out}: {blocker} is a file, not a folder")
    existing = _nearest_existing(parent)  # missing folders are created, as for --workdir
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputPathError(f"--out {out}: the folder {existing} is not writable")


def _check_workdir(workdir: str) -> None:
    if os.path.exists(workdir) and not os.path.isdir(workdir):
        raise OutputPathError(f"--workdir {workdir}: is a file, not a folder")
    blocker = _first_non_folder(workdir)
    if blocker is not None:
        raise OutputPathError(f"--workdir {workdir}: {blocker} is a file, not a folder")
    existing = _nearest_existing(workdir)
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputPathError(f"--workdir {workdir}: the folder {existing} is not writable")


def _first_non_folder(path: str) -> str | None:
    """The first part of ``path`` (as written) that exists but is not a folder."""
    current = path
    parts = []
    while current and current not in (os.sep, "."):
        parts.append(current)
        current = os.path.dirname(current)
    for candidate in reversed(parts):
        if os.path.exists(candidate) and not os.path.isdir(candidate):
            return candidate
    return None


def _nearest_existing(path: str) -> str:
    current = os.path.abspath(path)
    while not os.path.exists(current):
        current = os.path.dirname(current)
    return current
