"""Files kale_like writes get the permissions the user's umask gives any new file
(written atomically through a temporary file, which must not leave them 0600)."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from core.helpers import make_notebook

CELLS = [("n = 2", ["parameters"]), ("## Square", "markdown"), "square = n * n\nprint(square)",
         ("square", ["pipeline-metrics"])]


def _kale_like(args: list[str], cwd: Path, umask: int) -> subprocess.CompletedProcess:
    env = dict(os.environ, XDG_CACHE_HOME=str(cwd / "cache"))
    return subprocess.run([sys.executable, "-m", "kale_like", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, preexec_fn=lambda: os.umask(umask))


def _modes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): stat.S_IMODE(p.stat().st_mode) for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_written_files_follow_the_umask(tmp_path: Path, umask: int):
    make_notebook(*CELLS, path=tmp_path / "nb.ipynb")
    single = _kale_like(["run", "nb.ipynb", "--out", "out/nb.executed.ipynb", "--step-output", "notebooks"],
                        tmp_path, umask)
    assert single.returncode == 0, single.stderr
    sweep = _kale_like(["run", "nb.ipynb", "--sweep", "n=3,4", "--out", "grid", "--step-output", "notebooks"],
                       tmp_path, umask)
    assert sweep.returncode == 0, sweep.stderr

    written = _modes(tmp_path / "out") | {f"grid/{k}": v for k, v in _modes(tmp_path / "grid").items()}
    # What the run wrote: the executed notebook, each step's notebook and HTML, every sweep
    # point's notebook (and its step files), the summary.
    assert "nb.executed.ipynb" in written and "grid/summary.csv" in written
    assert sum(name.endswith(".html") for name in written) >= 3
    assert sum(name.startswith("grid/") and name.endswith(".ipynb") for name in written) >= 2
    expected = 0o666 & ~umask
    wrong = {name: oct(mode) for name, mode in written.items() if mode != expected}
    assert not wrong, f"expected {oct(expected)} under umask {oct(umask)}: {wrong}"
    assert not [name for name in written if ".tmp" in name or name.startswith(".")]


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_run_history_records_follow_the_umask(tmp_path: Path, umask: int):
    from kale_like.server import history

    previous = os.umask(umask)
    try:
        history.save(str(tmp_path / "runs"), {"id": "r1", "state": "succeeded", "started": 1.0})
    finally:
        os.umask(previous)
    assert _modes(tmp_path / "runs") == {"r1.json": 0o666 & ~umask}
    assert [record["id"] for record in history.load(str(tmp_path / "runs"))] == ["r1"]
