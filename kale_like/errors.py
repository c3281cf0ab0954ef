"""The one exception family kale_like raises.

Every error says *what* went wrong, *where* (step, cell, line) and, where we
can tell, *how to fix it*. Surfaces (CLI, server) map these to exit codes or
HTTP statuses in exactly one place each.
"""
from __future__ import annotations

import errno
from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """A place in the user's notebook. Cells are numbered from 1, counting every cell."""

    cell: int | None = None
    line: int | None = None
    step: str | None = None

    def __str__(self) -> str:
        parts = []
        if self.step:
            parts.append(f"step '{self.step}'")
        if self.cell is not None:
            parts.append(f"cell {self.cell}")
        if self.line is not None:
            parts.append(f"line {self.line}")
        return ", ".join(parts)


class KaleLikeError(Exception):
    """Base class: a user-facing error with a readable one-paragraph message."""

    def __init__(self, message: str, location: Location | None = None, hint: str | None = None):
        self.message = message
        self.location = location
        self.hint = hint
        super().__init__(self.render())

    def render(self) -> str:
        text = f"{self.location}: {self.message}" if self.location and str(self.location) else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class NotebookError(KaleLikeError):
    """The notebook file cannot be read or is not a Python notebook."""


class TagError(KaleLikeError):
    """A cell tag does not follow the grammar."""


class PipelineError(KaleLikeError):
    """The steps do not form a valid pipeline (cycle, unknown prev:, duplicate names)."""


class AnalysisError(KaleLikeError):
    """Static analysis found a problem that stops the pipeline from being built."""


class ParameterError(KaleLikeError):
    """A pipeline parameter override is malformed."""


class MarshalError(KaleLikeError):
    """A value cannot travel between steps."""


class DamagedData(MarshalError):
    """Saved values whose files no longer match the checksums recorded when they were written."""

    def __init__(self, message: str, directory: str, hint: str | None = None):
        self.directory = directory
        super().__init__(message, None, hint)


class NoSpace(KaleLikeError):
    """A disk (or quota) filled up while we wrote into ``directory``."""

    def __init__(self, directory: str):
        self.directory = directory
        super().__init__(f"no space left in {directory}")


def is_no_space(exc: BaseException) -> bool:
    """True for the errors a full disk or an exhausted quota gives."""
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


class StepFailed(KaleLikeError):
    """A step raised while running the user's code."""

    def __init__(self, message: str, location: Location | None = None, hint: str | None = None,
                 traceback_text: str = ""):
        self.traceback_text = traceback_text
        super().__init__(message, location, hint)
