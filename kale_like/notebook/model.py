"""The notebook as kale_like sees it: cells with parsed tags, and pipeline settings."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .tags import CellTags


@dataclass(frozen=True)
class Cell:
    """One notebook cell. ``number`` is 1-based over every cell, as users count them."""

    index: int
    cell_type: str  # code | markdown | raw
    source: str
    tags: CellTags
    cell_id: str | None = None
    execution_count: int | None = None  # the In [n] the saved notebook shows

    @property
    def number(self) -> int:
        return self.index + 1


@dataclass(frozen=True)
class NotebookSettings:
    """Pipeline settings stored in notebook metadata (``metadata.kale_like``).

    Kale's ``metadata.kubeflow_notebook`` is read too, so notebooks tagged for Kale
    keep their pipeline name, experiment and image.
    """

    pipeline_name: str | None = None
    description: str = ""
    experiment: str | None = None
    base_image: str | None = None
    kfp_host: str | None = None
    step_defaults: dict[str, Any] = field(default_factory=dict)
    volumes: tuple[dict[str, Any], ...] = ()
    # Settings that only mean something on MiniKF (Rok snapshots, cloned volumes), each a
    # sentence naming the setting and what happens to it; surfaced as warnings.
    minikf_only: tuple[str, ...] = ()


@dataclass(frozen=True)
class Notebook:
    path: str | None
    cells: tuple[Cell, ...]
    settings: NotebookSettings
    kernel_language: str = "python"

    @property
    def code_cells(self) -> tuple[Cell, ...]:
        return tuple(c for c in self.cells if c.cell_type == "code")

    @property
    def has_step_tags(self) -> bool:
        return any(c.tags.step for c in self.cells)
