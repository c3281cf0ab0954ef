"""Which files under the notebook's folder a step's cells open for reading, seen as they happen.

Static detection sees ``pd.read_csv('houses.csv')`` but not ``open(name + '.csv')``.
An audit hook (PEP 578) on ``open`` in the step process records every file opened for
reading below the working folder, with the cell that opened it; files the step wrote
first are its own products, not inputs. The local backend keeps the union of the last
run's records (``files_read.json`` in its work folder), and compiling for Kubeflow uses
it next to the static detection (see :mod:`kale_like.kfp.files`).

Audit hooks cannot be removed, so the hook is installed in step processes only (each
ends with its step), once. It is paused while the step process does its own file work
(loading inputs, saving outputs, writing the report): those files are kale_like's, not
the notebook's, and resolving every one of their paths was a measurable part of a
one-line step's cost.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


class FileAudit:
    def __init__(self, folder: str, current_cell: Callable[[], int | None], own: tuple[str, ...] = ()) -> None:
        self.folder = os.path.realpath(folder)
        self.current_cell = current_cell
        self.own = tuple(os.path.join(o, "") for o in own)  # kale_like's folders (absolute): never recorded
        self.read: dict[str, int] = {}     # relative path -> 1-based cell number (first reader)
        self.written: list[str] = []
        self.active = True   # False while the hook itself runs: it never recurses into itself
        self.paused = False  # True during kale_like's own file work, and once the step is over

    def install(self) -> FileAudit:
        sys.addaudithook(self._hook)
        return self

    @contextmanager
    def pausing(self) -> Iterator[None]:
        """kale_like's own reads and writes (inputs, outputs) are not the notebook's."""
        self.paused = True
        try:
            yield
        finally:
            self.paused = False

    def _hook(self, event: str, args: tuple) -> None:
        if event != "open" or self.paused or not self.active or not args \
                or not isinstance(args[0], (str, bytes, os.PathLike)):
            return
        self.active = False
        try:
            self._record(args[0], args[1] if len(args) > 1 else None, args[2] if len(args) > 2 else 0)
        except Exception:
            pass
        finally:
            self.active = True

    def _record(self, path: object, mode: object, flags: object) -> None:
        if not isinstance(path, (str, bytes, os.PathLike)):
            return  # open() of a file descriptor names no path
        name = os.fsdecode(path)
        if self.own and name.startswith(self.own):
            return
        full = os.path.realpath(name)
        if not full.startswith(self.folder + os.sep):
            return
        relative = os.path.relpath(full, self.folder)
        writes = any(c in mode for c in "wax+") if isinstance(mode, str) else bool(
            isinstance(flags, int) and flags & WRITE_FLAGS)
        if writes:
            if relative not in self.written:
                self.written.append(relative)
        elif relative not in self.written and relative not in self.read and os.path.isfile(full):
            cell = self.current_cell()
            if cell is not None:
                self.read[relative] = cell
