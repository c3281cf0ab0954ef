"""Overhead per step as the step count grows: 10, 100, 1,000 and 5,000 one-line cells run
with ``--split cells`` (each cell its own step, each reading the value the previous one made).

    python bench/bench_scale.py [--sizes 10,100,1000,5000] [--jobs 2] [--quick] [--root DIR]

Every step does almost nothing (``x42 = x41 + 1``), so the time is the pipeline's own
cost: reading and analysing the notebook, scheduling, one process per step, passing one
value between neighbours, the cache, progress events and the executed notebook. A cost
per step that stays flat from 100 to 5,000 steps means nothing in the path grows with
the square of the step count. Reported per size: plan time (read + analysis + flow),
wall time of ``kale-like run`` as a subprocess and per step, and CPU per step (user +
system time of the whole process tree: the CLI, the warm parent and every step process,
from ``RUSAGE_CHILDREN``; the robust figure on a shared machine, where wall time also
measures the neighbours). A second, cached run of the same notebook (nothing executes)
shows the fixed part of the path.

Where a one-line step's time goes (per-function spans and page-fault counts in the
three processes, 1,000 steps, 2 shared cores; medians in ms). On the chain, one step
cannot start before the one it reads from has finished, so everything on this path
adds up:

    before                                    after
    fork of the warm parent         1.2       forked one request ahead, while the
    fork -> step process running    2.3       previous step runs: off the path
    fd capture, live file + thread  1.7       0.3 (memfd; live file and thread only
                                                   once the step prints)
    load the input                  1.3       0.7 (no re-check of this run's values,
                                                   file audit paused, bytecode warmed)
    IPython run_cell                1.6       1.4 (mostly copy-on-write page faults)
    save the output                 4.8       1.0-2.2 (two files fewer; the rest is
                                                   three file creations)
    write the report                1.2       0.2-0.6
    exit until reaped               1.9       off the path (the runner moves on
                                                   at "reported")
    runner: report -> next launch   3.0       1.3 (report read once, seal after the
                                                   launch, no O(n) scan per step)

Measured the same minutes on the same machine (other helpers' tests running), the code
before this work and after:

    steps   before: wall s  ms/step  cpu ms     after: wall s  ms/step  cpu ms
      100            2.05    20.5    17.8              1.43    14.3    16.2
     1000           14.84    14.8    11.8              9.75     9.8    10.5
     5000           99.03    19.8    14.8             41.91     8.4     9.2
     5000 cached     7.87     1.6     1.0              2.10     0.4     0.4

Later runs of this code swing with the neighbours: 5,000 steps in 31.5 s (6.3 ms, 8.6 ms
of CPU per step) with the load average near 1.5, 36 to 47 s (8.5 to 10.4 ms of CPU per
step) with it between 2.3 and 3.3. CPU per step is the figure to compare.

Two things of this machine weigh on it and are not kale_like's: page faults of the
forked step (copy-on-write; about 1,200 per step), and file creation on ext4 without a
journal, where every create scans past inodes deleted in the last minutes: in a folder
whose inode group other processes churn (a /tmp full of test folders), one create took
0.2 to 0.7 ms against 0.02 ms in a quiet one. A step creates 7 files and folders (its
entry, spec, values folder, values, their description, report, seal), down from 9 and
2 deletions.
The work folders therefore live under ``--root`` (default: the user's cache folder, where
kale_like's own work folders are), and are deleted only at the end, so one size's
deletions do not tax the next.
"""
from __future__ import annotations

import argparse
import os
import resource
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


def _tree_cpu() -> float:
    """User + system seconds of every finished child process (and theirs, once waited for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_run(nb: Path, work: Path, jobs: int) -> tuple[float, float]:
    """Wall and CPU seconds of one ``kale-like run``: the CLI, its warm parent, every step."""
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    command = [sys.executable, "-m", "kale_like", "run", str(nb), "--split", "cells", "--jobs", str(jobs),
               "--workdir", str(work / "w"), "--out", str(work / "out.ipynb")]
    cpu = _tree_cpu()
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        sys.exit(f"run failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return seconds, _tree_cpu() - cpu


def measure(steps: int, jobs: int, root: Path) -> dict[str, float]:
    work = root / f"n{steps}"
    work.mkdir()
    nb = work / f"chain{steps}.ipynb"
    chain_notebook(nb, steps)
    began = time.perf_counter()
    found = plan(str(nb), "cells")
    planned = time.perf_counter() - began
    assert len(found.pipeline.steps) == steps
    first, first_cpu = timed_run(nb, work, jobs)
    cached, cached_cpu = timed_run(nb, work, jobs)
    final = nbformat.read(str(work / "out.ipynb"), 4)
    last = final.cells[-1].outputs
    assert not last or "Error" not in str(last), last
    return {"plan": planned, "run": first, "cpu": first_cpu, "cached": cached, "cached_cpu": cached_cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000,5000")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="10 and 100 steps only")
    parser.add_argument("--root", default=None,
                        help="where the work folders go (default: the user's cache folder)")
    args = parser.parse_args()
    sizes = [10, 100] if args.quick else [int(s) for s in args.sizes.split(",")]
    base = args.root or os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"))
    os.makedirs(base, exist_ok=True)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, --jobs {args.jobs}, chain of one-line cells")
    print(f"{'':>6} {'':>8} {'first run':^26} {'cached run':^26}")
    print(f"{'steps':>6} {'plan s':>8} {'wall s':>8} {'ms/step':>8} {'cpu ms':>8} "
          f"{'wall s':>8} {'ms/step':>8} {'cpu ms':>8}")
    with tempfile.TemporaryDirectory(prefix="kale_like_bench_scale.", dir=base) as root:
        for steps in sizes:
            m = measure(steps, args.jobs, Path(root))
            print(f"{steps:>6} {m['plan']:>8.2f} {m['run']:>8.2f} {1000 * m['run'] / steps:>8.2f} "
                  f"{1000 * m['cpu'] / steps:>8.2f} {m['cached']:>8.2f} {1000 * m['cached'] / steps:>8.2f} "
                  f"{1000 * m['cached_cpu'] / steps:>8.2f}", flush=True)


if __name__ == "__main__":
    main()
