"""Output written straight to file descriptors 1 and 2 (C libraries, child processes)
is caught in files and attached to the cell that produced it, as ipykernel does."""
from __future__ import annotations

import os
import tempfile

from .capture import OutputSink


def _anonymous_file(fd: int) -> int:
    """A file with no name. ``memfd_create`` (Linux) touches no filesystem; a named
    temporary file created and unlinked per step would, on ext4 without a journal, leave
    a recently deleted inode that every file created in the next 30 s scans past."""
    try:
        return os.memfd_create(f"kale_like_fd{fd}", os.MFD_CLOEXEC)
    except (AttributeError, OSError):
        capture, path = tempfile.mkstemp(prefix=f"kale_like_fd{fd}_")
        os.unlink(path)
        return capture


class FdCapture:
    def __init__(self) -> None:
        self._saved: dict[int, int] = {}
        self._files: dict[int, tuple[int, int]] = {}  # fd -> (capture fd, read offset)
        for fd in (1, 2):
            try:
                capture = _anonymous_file(fd)
                self._saved[fd] = os.dup(fd)
                os.dup2(capture, fd)
                self._files[fd] = (capture, 0)
            except OSError:
                continue

    def drain(self, sink: OutputSink) -> None:
        for fd, (capture, offset) in list(self._files.items()):
            size = os.fstat(capture).st_size
            if size <= offset:
                continue
            data = os.pread(capture, size - offset, offset)
            self._files[fd] = (capture, size)
            sink.stream("stdout" if fd == 1 else "stderr", data.decode("utf-8", errors="replace"))

    def close(self) -> None:
        for fd, saved in self._saved.items():
            os.dup2(saved, fd)
            os.close(saved)
        for capture, _ in self._files.values():
            os.close(capture)
        self._saved, self._files = {}, {}
