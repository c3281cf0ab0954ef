"""How a pattern notebook is described and built (the patterns live in ``patterns.py``).

A pattern is a list of sections (a title and some code cells). ``build_notebook``
turns it into a notebook for one split: the sections become ``##`` markdown
headings (for ``--split headings``/``auto``); for ``--split tags`` each section's
first cell also gets ``step:<section>`` and ``prev:<previous section>`` unless the
pattern carries its own Kale tags.
"""
from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from .outputs import Mask


@dataclass(frozen=True)
class Code:
    source: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section:
    title: str
    cells: tuple[Code, ...]


@dataclass(frozen=True)
class Pattern:
    name: str
    sections: tuple[Section, ...]
    splits: tuple[str, ...] = ("cells", "headings")
    files: dict[str, str] = field(default_factory=dict)  # support files beside the notebook
    masks: tuple[Mask, ...] = ()
    runs: int = 1  # >1: run the pipeline again with its cache warm
    own_tags: bool = False  # the cells carry Kale tags already

    def __hash__(self) -> int:
        return hash(self.name)


def code(source: str, *tags: str) -> Code:
    return Code(textwrap.dedent(source).strip("\n"), tuple(tags))


def section(title: str, *cells: str | Code) -> Section:
    return Section(title, tuple(c if isinstance(c, Code) else code(c) for c in cells))


def build_notebook(pattern: Pattern, split: str) -> nbformat.NotebookNode:
    cells = [new_markdown_cell(f"# Pattern: {pattern.name}")]
    previous = None
    for part in pattern.sections:
        cells.append(new_markdown_cell(f"## {part.title}"))
        for position, cell in enumerate(part.cells):
            tags = list(cell.tags)
            if split == "tags" and not pattern.own_tags and position == 0:
                tags.append(f"step:{step_name(part.title)}")
                tags += [f"prev:{previous}"] if previous else []
            metadata = {"tags": tags} if tags else {}
            cells.append(new_code_cell(cell.source, metadata=metadata))
        previous = step_name(part.title)
    return new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    })


def write_pattern(pattern: Pattern, split: str, folder: Path) -> Path:
    """Write the notebook (and its support files) into ``folder``; return the notebook's path."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in pattern.files.items():
        (folder / name).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    path = folder / f"{pattern.name}.ipynb"
    nbformat.write(build_notebook(pattern, split), path)
    return path


def step_name(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
