"""Shared by the relproc reliability tests: run the real CLI, find cache entries, look at processes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from notebook_builder import build_notebook  # noqa: E402


def write_notebook(path: Path, *cells, metadata: dict | None = None) -> Path:
    nbformat.write(build_notebook(*cells, metadata=metadata), str(path))
    return path


def cli(*args: str, env: dict | None = None, timeout: float = 300, cwd: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kale_like", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})}, cwd=cwd)


def entries(workdir: Path) -> dict[str, Path]:
    """step name -> its cache entry (the newest one when a step has several)."""
    found: dict[str, tuple[float, Path]] = {}
    for report in (workdir / "cache").glob("*/report.json"):
        step = json.loads(report.read_text())["step"]
        stamp = report.stat().st_mtime
        if step not in found or found[step][0] < stamp:
            found[step] = (stamp, report.parent)
    return {step: path for step, (_, path) in found.items()}


def overwrite(path: Path, offset: int, data: bytes) -> None:
    """Change bytes in place, keeping the file's size (as a bad sector or a stray write would)."""
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        handle.seek(offset)
        handle.write(data)
    assert path.stat().st_size == size


def warnings_in(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("kale-like: warning:")]


def outputs(path: Path) -> list[str]:
    node = nbformat.read(str(path), 4)
    return ["".join(o.get("text", "") or o.get("data", {}).get("text/plain", "") for o in c.outputs)
            for c in node.cells if c.cell_type == "code"]
