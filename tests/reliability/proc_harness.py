"""Shared by the relproc reliability tests: run the real CLI, find cache entries, look at processes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat

from notebook_builder import build_notebook


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


# --- processes ------------------------------------------------------------------------

def spawning_step(mark: Path, seconds: int = 300, own_group: bool = False) -> str:
    """Cell source: start a grandchild (``sleep``), record who is who in ``mark``, then sleep."""
    extra = ", process_group=0" if own_group else ""
    return (f"import json, os, subprocess, time\n"
            f"child = subprocess.Popen(['sleep', '300']{extra})\n"
            f"info = {{'pid': os.getpid(), 'sid': os.getsid(0), 'pgid': os.getpgid(0), 'grandchild': child.pid}}\n"
            f"open({str(mark)!r} + '.tmp', 'w').write(json.dumps(info))\n"
            f"os.replace({str(mark)!r} + '.tmp', {str(mark)!r})\n"
            f"time.sleep({seconds})")


def read_mark(mark: Path, timeout: float = 180) -> dict:
    import time

    deadline = time.monotonic() + timeout
    while not mark.exists():
        assert time.monotonic() < deadline, f"the step never started ({mark})"
        time.sleep(0.05)
    return json.loads(mark.read_text())


def living(pid: int) -> bool:
    """True while ``pid`` runs (a zombie has ended: it only waits for its parent to read its status)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2:].split()[0] != b"Z"


def session_of(sid: int) -> list[int]:
    from kale_like.runtime.procs import session_members

    return session_members(sid)


def wait_until_gone(info: dict, timeout: float = 10.0, keep: int | None = None) -> list[int]:
    """Wait until nothing of the run described by ``info`` is left; return what still lives."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        left = [p for p in {info["pid"], info["grandchild"], info["sid"], *session_of(info["sid"])}
                if p != keep and living(p)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)
