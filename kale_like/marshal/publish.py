"""Atomic publication of a directory: readers see all of it or none of it."""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def staged_directory(final: Path) -> Iterator[Path]:
    """Yield an empty sibling of ``final``; rename it to ``final`` if the block succeeds.

    The sibling is hidden and ends in ``.partial``, so a crashed writer leaves nothing
    that looks like a group. Rename within one directory is atomic on POSIX. There is no
    fsync: this protects against a crashed step, not a crashed machine, and syncing
    every group would cost more than the write itself.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".partial",
                                    dir=final.parent))
    try:
        staging.chmod(0o755)  # mkdtemp makes it private; other steps may run as other users
        yield staging
        _replace(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def empty_directory(directory: Path) -> None:
    """Remove everything inside ``directory`` (before retrying with another codec)."""
    for child in directory.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def _replace(staging: Path, final: Path) -> None:
    try:
        os.rename(staging, final)  # also replaces an empty directory made by the caller
        return
    except OSError:
        if not final.is_dir():
            raise
    # A re-run writes over an older group: move the old one aside first. Readers may
    # briefly find no group, never half of one.
    retired = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".old", dir=final.parent))
    os.rename(final, retired / final.name)
    os.rename(staging, final)
    shutil.rmtree(retired, ignore_errors=True)
