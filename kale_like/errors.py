"""The one exception family kale_like raises.

Every error says *what* went wrong, *where* (step, cell, line) and, where we
can tell, *how to fix it*. Surfaces (CLI, server) map these to exit codes or
HTTP statuses in exactly one place each.
"""
from __future__ import annotations

import errno
from dataclasses import dataclass


def cell_reference(cell: int | None = None, line: int | None = None, step: str | None = None,
                   execution_count: int | None = None) -> str:
    """A place in the notebook the way the user finds it in Jupyter, in the one wording every
    surface shows (CLI, validate, run errors, the server and so the panel):
    ``step 'train', cell 5 (In [3]), line 2``. Cells count every cell from 1 (markdown too);
    ``In [n]`` is the prompt the saved notebook shows, when it has one."""
    parts = [f"step '{step}'"] if step else []
    if cell is not None:
        parts.append(f"cell {cell}" + (f" (In [{execution_count}])" if execution_count is not None else ""))
    if line is not None:
        parts.append(f"line {line}")
    return ", ".join(parts)


@dataclass(frozen=True)
class Location:
    """A place in the user's notebook. Cells are numbered from 1, counting every cell."""

    cell: int | None = None
    line: int | None = None
    step: str | None = None
    execution_count: int | None = None  # the cell's ``In [n]`` in the saved notebook

    def __str__(self) -> str:
        return cell_reference(self.cell, self.line, self.step, self.execution_count)


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


class UndefinedNameError(AnalysisError):
    """The notebook reads a name that nothing defines: a run would certainly fail."""


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
