"""The faithfulness harness: a notebook run as a kale_like pipeline prints what Jupyter prints.

One call per test::

    assert_faithful(notebook_path, split="cells")

runs the notebook top to bottom in a real kernel (nbclient, the notebook's folder as
working directory), runs ``python -m kale_like run`` on it, and compares the two
executed notebooks cell by cell (see ``outputs.py`` for what is compared). The two
runs happen in two copies of the notebook's folder, so files one run writes cannot
help the other. The kernel run is cached per notebook content for the session, so
trying several splits of one notebook costs one kernel run.
"""
from __future__ import annotations

import copy
import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import nbformat
import pytest

from .outputs import Mask, Normalizer, compare_notebooks, describe_structure_mismatch

REPO_ROOT = Path(__file__).resolve().parents[2]
MAX_CELLS_REPORTED = 8


@dataclass(frozen=True)
class Reference:
    notebook: Any  # the nbclient-executed copy
    folder: Path


_references: dict[str, Reference] = {}


def assert_faithful(notebook: Path, *, split: str, jobs: int | None = None,
                    masks: Sequence[Mask] = (), compare_stderr: bool = True, runs: int = 1,
                    cell_timeout: int = 120, run_timeout: int = 900, extra_args: Sequence[str] = ()) -> None:
    """Fail the test, readably, unless kale_like's run matches Jupyter's cell by cell.

    ``runs`` > 1 runs the pipeline again in the same folder and work directory (so
    with its cache warm) and checks every run. The source notebook must come out of
    each run byte for byte unchanged. ``extra_args`` go to ``kale-like run`` (e.g. a backend).
    """
    notebook = Path(notebook).resolve()
    original = notebook.read_bytes()
    reference = execute_reference(notebook, cell_timeout)
    workdir = notebook.parent.with_name(notebook.parent.name + ".kale_like-work")
    normalizer = Normalizer(masks, cell_file_prefixes=[str(workdir)],
                            folder_paths=[str(reference.folder), str(notebook.parent)],
                            compare_stderr=compare_stderr)
    for attempt in range(1, runs + 1):
        out = notebook.parent.with_name(f"{notebook.parent.name}.out{attempt}") / notebook.name
        out.parent.mkdir(exist_ok=True)
        command = pipeline_command(notebook, out, split, jobs, workdir) + list(extra_args)
        result = _run(command, run_timeout, cwd=notebook.parent.parent)
        problems = _check_run(reference, out, result, normalizer)
        if notebook.read_bytes() != original:
            problems.append("the source notebook was modified by the run")
        if problems:
            label = f"{notebook.name} --split {split}" + (f" --jobs {jobs}" if jobs else "")
            label += f" (run {attempt} of {runs})" if runs > 1 else ""
            pytest.fail(_report(label, command, result, problems), pytrace=False)


def execute_reference(notebook: Path, cell_timeout: int) -> Reference:
    """Run the notebook top to bottom in a kernel, in a copy of its folder (cached)."""
    key = _content_key(notebook)
    if key in _references:
        return _references[key]
    folder = notebook.parent.with_name(notebook.parent.name + ".jupyter")
    shutil.copytree(notebook.parent, folder)
    node = nbformat.read(folder / notebook.name, as_version=4)
    executed = run_in_kernel(node, folder, cell_timeout)
    _references[key] = Reference(executed, folder)
    return _references[key]


def run_in_kernel(node: Any, folder: Path, cell_timeout: int) -> Any:
    """Execute with nbclient; cells tagged ``skip`` are left out, as a pipeline leaves them."""
    from nbclient import NotebookClient

    runnable = copy.deepcopy(node)
    runnable.cells = [c for c in node.cells if not _is_skipped(c)]
    NotebookClient(runnable, timeout=cell_timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(folder)}}).execute()
    executed = copy.deepcopy(node)
    ran = iter(runnable.cells)
    executed.cells = [c if _is_skipped(c) else next(ran) for c in node.cells]
    return executed


def pipeline_command(notebook: Path, out: Path, split: str, jobs: int | None, workdir: Path) -> list[str]:
    command = [sys.executable, "-m", "kale_like", "run", str(notebook), "--out", str(out),
               "--split", split, "--workdir", str(workdir)]
    return command + (["--jobs", str(jobs)] if jobs else [])


def _run(command: list[str], timeout: int, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p)
    try:
        # Run from a neutral folder: the engine, not our cwd, must set each step's cwd.
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              env=env, cwd=cwd)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"kale_like run did not finish within {timeout} s\n$ {' '.join(command)}\n"
                    f"{_tail(exc.stderr)}", pytrace=False)


def _check_run(reference: Reference, out: Path, result: subprocess.CompletedProcess[str],
               normalizer: Normalizer) -> list[str]:
    problems = []
    if result.returncode != 0:
        problems.append(f"kale_like exited with status {result.returncode}")
    if not out.exists():
        return problems + [f"no output notebook was written at {out}"]
    try:
        actual = nbformat.read(out, as_version=nbformat.NO_CONVERT)
        nbformat.validate(actual)
    except Exception as exc:  # a broken output notebook is a finding, reported as such
        return problems + [f"the output notebook is not valid nbformat v4: {str(exc)[:500]}"]
    structure = describe_structure_mismatch(reference.notebook, actual)
    if structure:
        return problems + [structure]
    skipped = [i for i, c in enumerate(reference.notebook.cells) if _is_skipped(c)]
    differences = compare_notebooks(reference.notebook, actual, normalizer, skipped)
    if differences:
        shown = differences[:MAX_CELLS_REPORTED]
        more = len(differences) - len(shown)
        problems.append(f"{len(differences)} code cell(s) differ from Jupyter's run:\n\n"
                        + "\n\n".join(d.describe() for d in shown)
                        + (f"\n\n... and {more} more cell(s)" if more else ""))
    return problems


def _report(label: str, command: list[str], result: subprocess.CompletedProcess[str],
            problems: list[str]) -> str:
    text = f"{label}: not faithful to Jupyter\n$ {' '.join(command)}\n\n" + "\n\n".join(problems)
    if result.returncode != 0:
        text += "\n\nkale_like stderr (last lines):\n" + _tail(result.stderr)
    return text


def _tail(text: str | bytes | None, lines: int = 40) -> str:
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return "\n".join((text or "").splitlines()[-lines:])


def _is_skipped(cell: Any) -> bool:
    return cell.get("cell_type") == "code" and "skip" in cell.get("metadata", {}).get("tags", [])


def _content_key(notebook: Path) -> str:
    """What decides a kernel run's outputs: code, the tags nbclient reads, the folder's files."""
    node = nbformat.read(notebook, as_version=4)
    digest = hashlib.sha256()
    for cell in node.cells:
        if cell.cell_type == "code":
            tags = sorted(t for t in cell.metadata.get("tags", []) if t in ("skip", "raises-exception"))
            digest.update(repr((cell.source, tags)).encode())
    for path in sorted(notebook.parent.rglob("*")):
        if path.is_file() and path != notebook:
            digest.update(str(path.relative_to(notebook.parent)).encode() + path.read_bytes())
    return digest.hexdigest()
