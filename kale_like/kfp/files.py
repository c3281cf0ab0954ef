"""Files the notebook reads from its own folder, and how each reaches a cluster step.

``pd.read_csv('houses.csv')`` works where the notebook runs and fails in a cluster
container, whose working directory holds nothing of the notebook's folder. Every
string literal passed to a call that names an existing file in (or under) the
notebook's folder counts as read by that cell. Then, at compile time:

- a file of at most ``SHIP_LIMIT`` bytes, ``SHIP_TOTAL`` for all of them together,
  is *shipped*: it travels inside the components and the step runs in a folder
  holding it, as the notebook ran in its own. Components are one command-line
  argument each on a cluster (at most 128 KiB, about 55 KiB of which is kale_like's
  runtime), hence the small limit;
- a larger file is read from the volume marked ``"notebook_files": true`` in the
  notebook's ``kale_like.volumes``: it must be on that volume at the same path
  relative to its mount point, and the step's folder links to it;
- with no such volume, compiling stops with one message naming the file and the cell.

A path built at run time (``open(name + '.csv')``) is not seen statically; the last local
run's record of what the cells opened (:mod:`kale_like.runtime.file_audit`) adds those.
"""
from __future__ import annotations

import ast
import os
from dataclasses import dataclass

from ..analysis.pyparse import parse as parse_python
from ..errors import Location, PipelineError
from ..notebook import Notebook

SHIP_LIMIT = 64 * 1024
SHIP_TOTAL = 128 * 1024
FILES_DIR = "notebook_files"        # inside the components' shipped folder
VOLUME_MANIFEST = "on_volume.json"  # in FILES_DIR: relative path -> path on the mounted volume


@dataclass(frozen=True)
class ReadFile:
    relative: str   # path under the notebook's folder, as the cell names it (normalised)
    size: int
    cell: int       # 1-based cell number of the first cell naming it


@dataclass(frozen=True)
class FilePlan:
    shipped: tuple[ReadFile, ...]
    on_volume: dict[str, str]       # relative path -> absolute path in the step's container


def files_read(notebook: Notebook) -> tuple[ReadFile, ...]:
    """Files under the notebook's folder that a code cell names in a call, in notebook order."""
    if not notebook.path:
        return ()
    folder = os.path.dirname(os.path.abspath(notebook.path))
    found: dict[str, ReadFile] = {}
    for cell in notebook.code_cells:
        for literal in _call_literals(cell.source):
            relative = _inside(folder, literal)
            if relative and relative not in found:
                found[relative] = ReadFile(relative, os.path.getsize(os.path.join(folder, relative)), cell.number)
    return tuple(found.values())


def plan_files(notebook: Notebook, volumes: tuple[dict, ...], recorded: dict[str, int] | None = None,
               written: tuple[str, ...] = ()) -> FilePlan:
    """``recorded``: files a local run saw the cells open (relative path -> cell number);
    ``written``: files it saw them write (the notebook's products, not its inputs)."""
    from .tasks import volume_claim

    files = [f for f in files_read(notebook) if f.relative not in written]
    known = {f.relative for f in files}
    folder = os.path.dirname(os.path.abspath(notebook.path or "."))
    for relative, cell in sorted((recorded or {}).items(), key=lambda item: item[1]):
        inside = _inside(folder, relative)
        if inside and inside not in known:
            files.append(ReadFile(inside, os.path.getsize(os.path.join(folder, inside)), cell))
            known.add(inside)
    mount = next((volume_claim(v)[1] for v in volumes if isinstance(v, dict) and v.get("notebook_files")), None)
    shipped: list[ReadFile] = []
    on_volume: dict[str, str] = {}
    total = 0
    for item in files:
        if item.size <= SHIP_LIMIT and total + item.size <= SHIP_TOTAL:
            shipped.append(item)
            total += item.size
        elif mount:
            on_volume[item.relative] = os.path.join(mount, item.relative)
        else:
            raise PipelineError(
                f"cell {item.cell} reads '{item.relative}' ({_size(item.size)}), too large to travel inside the "
                f"pipeline (files up to {_size(SHIP_LIMIT)} each, {_size(SHIP_TOTAL)} in all, are shipped)",
                Location(cell=item.cell),
                hint='put it on a volume and mark that volume in the notebook metadata, e.g. kale_like.volumes: '
                     '[{"type": "pvc", "name": "data", "mount_point": "/data", "notebook_files": true}], '
                     "with the file at the same path under /data")
    return FilePlan(tuple(shipped), on_volume)


def _call_literals(source: str) -> list[str]:
    from ..analysis.ipython_source import to_python

    try:
        tree = parse_python(to_python(source))
    except (SyntaxError, ValueError):
        return []
    literals = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for argument in [*node.args, *(k.value for k in node.keywords)]:
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    literals.append(argument.value)
    return literals


def _inside(folder: str, literal: str) -> str | None:
    if not literal or "\n" in literal or "\0" in literal or len(literal) > 4096 or os.path.isabs(literal):
        return None
    target = os.path.normpath(os.path.join(folder, literal))
    if not target.startswith(folder + os.sep) or not os.path.isfile(target) or target.endswith(".ipynb"):
        return None
    return os.path.relpath(target, folder)


def _size(count: int) -> str:
    return f"{count / 1024 / 1024:.1f} MiB" if count >= 1024 * 1024 else f"{count // 1024} KiB"
