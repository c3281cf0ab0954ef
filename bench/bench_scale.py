"""Overhead per step as the step count grows: 10, 100, 1,000 and 5,000 one-line cells run
with ``--split cells`` (each cell its own step, each reading the value the previous one made).

    python bench/bench_scale.py [--sizes 10,100,1000,5000] [--jobs 2] [--quick]

Every step does almost nothing (``x42 = x41 + 1``), so the time is the pipeline's own
cost: reading and analysing the notebook, scheduling, one process per step, passing one
value between neighbours, the cache, progress events and the executed notebook. A cost
per step that stays flat from 100 to 5,000 steps means nothing in the path grows with
the square of the step count. Reported per size: plan time (read + analysis + flow),
wall time of ``kale-like run`` as a subprocess, and milliseconds per step. A second,
cached run of the same notebook (nothing executes) shows the fixed part of the path.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Run as a plain script (python bench/...), not under pytest: this tree's kale_like first, and
# tests/ for the shared notebook builder (pytest gets it from pyproject's pythonpath).
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

import nbformat  # noqa: E402

from kale_like.api import plan  # noqa: E402
from notebook_builder import build_notebook  # noqa: E402


def chain_notebook(path: Path, steps: int) -> None:
    cells = ["x0 = 0"] + [f"x{i} = x{i - 1} + 1" for i in range(1, steps)]
    nbformat.write(build_notebook(*cells), str(path))


def timed_run(nb: Path, work: Path, jobs: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    command = [sys.executable, "-m", "kale_like", "run", str(nb), "--split", "cells", "--jobs", str(jobs),
               "--workdir", str(work / "w"), "--out", str(work / "out.ipynb")]
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        sys.exit(f"run failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return seconds


def measure(steps: int, jobs: int, root: Path) -> dict[str, float]:
    work = root / f"n{steps}"
    work.mkdir()
    nb = work / f"chain{steps}.ipynb"
    chain_notebook(nb, steps)
    began = time.perf_counter()
    found = plan(str(nb), "cells")
    planned = time.perf_counter() - began
    assert len(found.pipeline.steps) == steps
    first = timed_run(nb, work, jobs)
    cached = timed_run(nb, work, jobs)
    final = nbformat.read(str(work / "out.ipynb"), 4)
    last = final.cells[-1].outputs
    assert not last or "Error" not in str(last), last
    shutil.rmtree(work)
    return {"plan": planned, "run": first, "cached": cached}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000,5000")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="10 and 100 steps only")
    args = parser.parse_args()
    sizes = [10, 100] if args.quick else [int(s) for s in args.sizes.split(",")]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, --jobs {args.jobs}, chain of one-line cells")
    print(f"{'steps':>6} {'plan s':>8} {'run s':>8} {'ms/step':>8} {'cached s':>9} {'ms/step':>8}")
    with tempfile.TemporaryDirectory(prefix="bench_scale.") as root:
        for steps in sizes:
            m = measure(steps, args.jobs, Path(root))
            print(f"{steps:>6} {m['plan']:>8.2f} {m['run']:>8.2f} {1000 * m['run'] / steps:>8.2f} "
                  f"{m['cached']:>9.2f} {1000 * m['cached'] / steps:>8.2f}", flush=True)


if __name__ == "__main__":
    main()
