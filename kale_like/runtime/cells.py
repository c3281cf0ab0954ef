"""A step's code, as the pipeline hands it to the step process: the runtime imports it
without the rest of the pipeline model (:mod:`kale_like.pipeline` re-exports both)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Snippet:
    """Code from a notebook cell, with where it came from (for tracebacks and source maps).

    ``code`` is Python (IPython magics already transformed); ``first_line`` is the
    1-based line of the cell where ``code`` starts.
    """

    cell_index: int
    code: str
    first_line: int = 1


@dataclass(frozen=True)
class StepCell:
    """A cell executed by a step, with its outputs captured into the executed notebook."""

    cell_index: int
    source: str          # what the user wrote
    code: str            # Python after IPython's transformations
    raises_exception: bool = False
