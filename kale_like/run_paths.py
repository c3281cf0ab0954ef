"""Checking ``--out`` and ``--workdir`` before a run starts, so that a bad path is one
clear error (what and which path, as the user wrote it), not an OS error after the steps ran."""
from __future__ import annotations

import os

from .errors import KaleLikeError


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
