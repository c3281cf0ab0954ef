"""Deciding which cells form which step (``--split tags|cells|headings|auto``)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from .analysis.findings import Finding
from .errors import Location, TagError
from .notebook import Cell, Notebook

SPLITS = ("auto", "tags", "cells", "headings")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$", re.MULTILINE)


@dataclass
class StepDraft:
    """A step before analysis: its cells and what the tags said about it."""

    name: str
    cells: list[Cell] = field(default_factory=list)
    prev: list[str] = field(default_factory=list)
    kind: str = "code"  # code | parameters | metrics
    explicit: bool = False  # named by the user's tags

    @property
    def first_index(self) -> int:
        return self.cells[0].index if self.cells else -1


@dataclass
class Split:
    steps: list[StepDraft]
    shared_cells: list[Cell]   # imports/functions-tagged cells, run at the start of every later step
    skipped: list[Cell]
    strategy: str
    notes: list[Finding] = field(default_factory=list)  # what the split changed that the user should know


def split_notebook(notebook: Notebook, strategy: str = "auto") -> Split:
    if strategy not in SPLITS:
        raise TagError(f"unknown split '{strategy}'", hint=f"use one of {', '.join(SPLITS)}")
    if strategy == "auto":
        strategy = _automatic(notebook)
    split = Split(steps=[], shared_cells=[], skipped=[], strategy=strategy)
    current: StepDraft | None = None
    heading: str | None = None
    names: set[str] = set()
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and strategy == "headings":
            found = _HEADING.findall(cell.source)
            if found:
                heading = found[0][1]
                current = None
            continue
        if cell.cell_type != "code":
            continue
        role = cell.tags.role
        if role == "skip" or not cell.source.strip():
            split.skipped.append(cell)
            continue
        if role in ("imports", "functions"):
            split.shared_cells.append(cell)
            continue
        if role in ("parameters", "metrics"):
            draft = _special(split, role, cell)
            if draft is not None:
                names.add(draft.name)
            current = None if strategy != "tags" else current
            continue
        current = _place(split, strategy, cell, current, heading, names)
        heading = None
    _check_prev(split)
    return split


def _automatic(notebook: Notebook) -> str:
    """Tags when there are step tags; headings when they cut the code into two or more
    parts; else one step per code cell. A notebook whose only heading is its title
    would otherwise become one step, which is no pipeline at all."""
    if notebook.has_step_tags:
        return "tags"
    return "headings" if _heading_sections_with_code(notebook) >= 2 else "cells"


def _heading_sections_with_code(notebook: Notebook) -> int:
    sections, has_code = 0, False
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and _HEADING.search(cell.source):
            sections, has_code = sections + has_code, False
        elif cell.cell_type == "code" and cell.source.strip() and cell.tags.role not in _NOT_STEP_CODE:
            has_code = True
    return sections + has_code


_NOT_STEP_CODE = ("skip", "imports", "functions", "parameters", "metrics")


def _special(split: Split, role: str, cell: Cell) -> StepDraft | None:
    name = "parameters" if role == "parameters" else "pipeline_metrics"
    for draft in split.steps:
        if draft.name == name:
            draft.cells.append(cell)
            return None
    draft = StepDraft(name=name, cells=[cell], kind=role)
    split.steps.append(draft)
    return draft


def _place(split: Split, strategy: str, cell: Cell, current: StepDraft | None,
           heading: str | None, names: set[str]) -> StepDraft:
    tags = cell.tags
    if strategy == "tags" and tags.step:
        existing = next((d for d in split.steps if d.name == tags.step), None)
        if existing is not None:
            if existing is not current:
                split.notes.append(_separate_places(existing, cell))
            existing.cells.append(cell)
            existing.prev += [p for p in tags.prev if p not in existing.prev]
            return existing
        draft = StepDraft(name=tags.step, cells=[cell], prev=list(tags.prev), explicit=True)
    elif strategy == "tags" and current is not None and current.kind == "code":
        current.cells.append(cell)
        current.prev += [p for p in tags.prev if p not in current.prev]
        return current
    elif strategy == "headings" and current is not None and heading is None:
        current.cells.append(cell)
        current.prev += [p for p in tags.prev if p not in current.prev]
        return current
    else:
        base = _slug(heading) if (strategy == "headings" and heading) else f"cell_{cell.number}"
        draft = StepDraft(name=_unique(base, names), cells=[cell], prev=list(tags.prev))
    names.add(draft.name)
    split.steps.append(draft)
    return draft


def _separate_places(existing: StepDraft, cell: Cell) -> Finding:
    """A step name used again after other steps: Kale joins such cells into one step, and
    so does kale_like, but never silently (the joined cells run before the steps between)."""
    earlier = ", ".join(str(c.number) for c in existing.cells)
    return Finding("warning", "step-in-two-places",
                   f"step '{existing.name}' is named in two separate places: cell{'s' if len(existing.cells) > 1 else ''} "
                   f"{earlier} and cell {cell.number}, with other steps between; its cells are joined into one "
                   f"step and run together (give cell {cell.number} a step name of its own to keep it after "
                   f"the steps between)", cell.number, None, existing.name)


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower()[:40]
    if not slug or not slug[0].isalpha():
        slug = "step_" + slug
    return slug


def _unique(base: str, names: set[str]) -> str:
    name, n = base, 2
    while name in names:
        name, n = f"{base}_{n}", n + 1
    return name


def _check_prev(split: Split) -> None:
    known = {d.name for d in split.steps}
    for draft in split.steps:
        for prev in draft.prev:
            if prev not in known:
                cell = next(c for c in draft.cells if prev in c.tags.prev) if draft.cells else None
                raise TagError(f"prev:{prev} names a step that does not exist",
                               Location(cell=cell.number if cell else None, step=draft.name),
                               hint=f"steps are: {', '.join(sorted(known))}")


def merge_for_travel(drafts: Split, producer: str, consumer: str) -> Split:
    """Join the steps from ``producer`` to ``consumer`` of a value that cannot travel between
    them (automatic splitting only: the cut was ours to choose)."""
    names = [d.name for d in drafts.steps]
    lo, hi = sorted((names.index(producer), names.index(consumer)))
    merged = StepDraft(name=drafts.steps[lo].name, kind="code",
                       cells=sorted([c for d in drafts.steps[lo:hi + 1] for c in d.cells], key=lambda c: c.index),
                       prev=[p for d in drafts.steps[lo:hi + 1] for p in d.prev if p not in names[lo:hi + 1]])
    return replace(drafts, steps=drafts.steps[:lo] + [merged] + drafts.steps[hi + 1:])
