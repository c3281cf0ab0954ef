"""Helpers for the bad-input tests: notebooks built with nbformat, then (where a test is
about broken files) their JSON corrupted on purpose; and the CLI run as users run it."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat

from notebook_builder import build_notebook

REPO = Path(__file__).resolve().parents[2]


def write_notebook(path: Path, *cells, metadata: dict | None = None) -> Path:
    nbformat.write(build_notebook(*cells, metadata=metadata), str(path))
    return path


def notebook_node(*cells, metadata: dict | None = None) -> dict:
    """A valid notebook as plain JSON data, for a test to corrupt."""
    return json.loads(nbformat.writes(build_notebook(*cells, metadata=metadata)))


def write_json(path: Path, node) -> Path:
    path.write_text(json.dumps(node), encoding="utf-8")
    return path


def kale_like(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """``kale-like ARGS`` in a fresh interpreter (this tree's package), output captured."""
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("KALE_LIKE_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "kale_like", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def assert_one_clear_error(result: subprocess.CompletedProcess, *expected: str) -> None:
    """Exit status 2, one ``kale-like: error:`` line naming what is wrong, no traceback."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("kale-like: error: "), result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    for text in expected:
        assert text in lines[0], (text, lines[0])
