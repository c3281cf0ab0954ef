"""The papermill tests' harness: build a notebook, run it through papermill with either
engine, and compare the executed notebooks cell by cell."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat")
papermill = pytest.importorskip("papermill")

from papermill.exceptions import PapermillExecutionError  # noqa: E402

from notebook_builder import build_notebook  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus" / "dev"
PAPERMILL_NOTEBOOKS = Path(papermill.__file__).parent / "tests" / "notebooks"

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
# A SyntaxError names the compiled cell: ipykernel "(3573913704.py, line 2)", kale_like "(<cell 3>, line 2)".
CELL_FILE = re.compile(r"\((?:<cell \d+>|\d+\.py|<ipython-input-[^>]+>), line")


def make_notebook(path: Path, cells: list[tuple[str, str] | tuple[str, str, list[str]]]) -> Path:
    """``cells``: ``("code"|"markdown", source[, tags])``, built by the shared notebook builder."""
    nb = build_notebook(*(_builder_cell(*cell) for cell in cells))
    nbformat.write(nb, str(path))
    return path


def _builder_cell(kind: str, source: str, tags: list[str] | None = None) -> str | tuple[str, Any]:
    if kind == "markdown":
        return (source, "markdown")
    return (source, tags) if tags else source


def copy_in(source: Path, folder: Path, name: str | None = None) -> Path:
    """Notebooks by others are read-only: tests run copies."""
    target = folder / (name or source.name)
    shutil.copyfile(source, target)
    return target


@dataclass
class Executed:
    nb: Any
    error: PapermillExecutionError | None


def run_papermill(notebook: Path, out: Path, engine: str | None, parameters: dict | None = None,
                  cwd: Path | None = None, **options: Any) -> Executed:
    """papermill's Python API, as its CLI calls it; a failed run returns its error."""
    try:
        nb = papermill.execute_notebook(str(notebook), str(out), parameters=parameters or {}, engine_name=engine,
                                        progress_bar=False, cwd=str(cwd or notebook.parent), **options)
        return Executed(nb, None)
    except PapermillExecutionError as exc:
        return Executed(nbformat.read(str(out), as_version=4), exc)


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    merged = dict(os.environ) | (env or {})
    return subprocess.run([sys.executable, "-m", "kale_like", *args], capture_output=True, text=True,
                          cwd=cwd, env=merged, timeout=300)


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _clean(text: str) -> str:
    return CELL_FILE.sub("(<cell>, line", ADDRESS.sub("0x…", ANSI.sub("", text)))


def normalized_outputs(outputs: list) -> tuple:
    """Outputs as comparable values: each stream's text joined (ipykernel flushes stdout and
    stderr on their own schedules, so their interleaving is not part of the contract), then
    rich outputs and errors in order, without ANSI or addresses, binary data by size."""
    streams: dict[str, str] = {}
    others: list[tuple] = []
    for output in outputs:
        kind = output["output_type"]
        if kind == "stream":
            streams[output["name"]] = streams.get(output["name"], "") + _clean(_text(output["text"]))
        elif kind in ("execute_result", "display_data"):
            data = {mime: (_clean(_text(value)) if mime.startswith("text/") or mime.endswith("json")
                           else f"{len(_text(value))} chars") for mime, value in output["data"].items()}
            others.append((kind, json.dumps(data, sort_keys=True)))
        elif kind == "error":
            others.append(("error", output["ename"], _clean(output["evalue"])))
    return tuple(sorted(streams.items())), others


def cell_view(cell: Any, with_status: bool = True) -> tuple:
    """What must match between engines for one cell (timings excluded)."""
    status = cell.get("metadata", {}).get("papermill", {}).get("status") if with_status else None
    if cell.cell_type != "code":
        return (cell.cell_type, cell.source, tuple(cell.metadata.get("tags", [])), status)
    return ("code", cell.source, cell.execution_count, tuple(cell.metadata.get("tags", [])),
            normalized_outputs(cell.outputs), status)


def assert_same_notebooks(expected: Any, actual: Any, with_status: bool = True) -> None:
    """Cell by cell, with a readable message for the first cell that differs."""
    assert len(actual.cells) == len(expected.cells), (
        f"{len(actual.cells)} cells, papermill wrote {len(expected.cells)}:\n"
        + "\n".join(f"  {c.cell_type}: {c.source[:60]!r}" for c in actual.cells))
    for index, (want, got) in enumerate(zip(expected.cells, actual.cells)):
        theirs, ours = cell_view(want, with_status), cell_view(got, with_status)
        assert ours == theirs, f"cell {index + 1} differs:\n  papermill: {theirs}\n  kale_like: {ours}"


__all__ = ["CORPUS", "PAPERMILL_NOTEBOOKS", "REPO", "Executed", "assert_same_notebooks", "cell_view", "copy_in",
           "make_notebook", "normalized_outputs", "run_cli", "run_papermill"]
