"""The values the marshal API takes and returns: who is saving, and what was written."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import Location

DATASET = "Dataset"
MODEL = "Model"
ARTIFACT = "Artifact"


@dataclass(frozen=True)
class MarshalContext:
    """Where the values come from, so an error can point at the notebook."""

    step: str
    cells: Mapping[str, int]  # variable -> 1-based cell that last assigned it (may lack names)

    def location(self, name: str) -> Location:
        return Location(step=self.step or None, cell=self.cells.get(name))


@dataclass(frozen=True)
class GroupInfo:
    """What :func:`save_group` wrote; the KFP backend copies this into artifact metadata."""

    names: tuple[str, ...]
    codec: str
    kind: str    # DATASET, MODEL or ARTIFACT
    nbytes: int  # payload bytes written (every file of the group except meta.json)
