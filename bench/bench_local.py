"""Local backend against nbclient, measured side by side in one run.

    python bench/bench_local.py [--repeat N]

Prints wall times and ratios for: a linear notebook (target <= 1.15x nbclient),
a notebook with two independent branches run with --jobs 2 (target: faster than
nbclient), a re-run after editing only the last cell (target <= 1.1x that cell's
own time), and `kale-like validate` on a 300-cell notebook (target < 0.3 s).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

WORK = "def burn(n):\n    total = 0\n    for i in range(n):\n        total += i * i\n    return total\n"


def notebook(cells: list[str]) -> nbformat.NotebookNode:
    node = new_notebook(cells=[new_code_cell(c) for c in cells])
    node.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    return node


def linear() -> nbformat.NotebookNode:
    """Every cell reads what the cell before it made: nothing can run in parallel."""
    return notebook([
        "import numpy as np\nimport pandas as pd\n" + WORK,
        "rng = np.random.default_rng(0)\ndata = rng.normal(size=(200_000, 8))",
        "frame = pd.DataFrame(data, columns=list('abcdefgh'))\nframe['k'] = (frame.a > 0).astype(int)",
        "stats = frame.groupby('k').mean()\nprint(stats.round(3))",
        "x = burn(4_000_000) + len(stats)\nprint(x)",
        "frame['s'] = frame.sum(axis=1) + 0 * x\nprint(frame.s.describe().round(3))",
        "y = burn(4_000_000) + x + len(frame)\nprint(y)",
        "summary = {c: float(frame[c].std()) for c in frame.columns}\nprint(len(summary), y > 0)",
    ])


def branches() -> nbformat.NotebookNode:
    return notebook([
        WORK + "n = 12_000_000",
        "left = burn(n)\nprint(left)",
        "right = burn(n + 1)\nprint(right)",
    ])


def last_cell_edit(last: str) -> nbformat.NotebookNode:
    return notebook(["import numpy as np\n" + WORK, "a = np.arange(1_000_000)", "b = burn(3_000_000)",
                     f"c = burn(30_000_000) + {last}\nprint(c)"])


def big() -> nbformat.NotebookNode:
    cells = []
    for i in range(300):
        cells.append(f"v{i} = [j * {i} for j in range(10)]\nif v{i}:\n    w{i} = sum(v{i}) + {'v' + str(i - 1) + '[0]' if i else 0}")
    return notebook(cells)


def timed(command: list[str], cwd: str) -> float:
    began = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True, timeout=900)
    return time.perf_counter() - began


def nbclient_inner(path: str, cwd: str) -> float:
    """nbclient's own time: kernel start plus the cells, without interpreter start and imports."""
    code = ("import nbformat,sys,time; from nbclient import NotebookClient; nb=nbformat.read(sys.argv[1],4); "
            "t=time.perf_counter(); NotebookClient(nb, kernel_name='python3', "
            "resources={'metadata': {'path': '.'}}).execute(); print(time.perf_counter()-t)")
    done = subprocess.run([sys.executable, "-c", code, path], cwd=cwd, check=True, capture_output=True,
                          text=True, timeout=900)
    return float(done.stdout.strip().splitlines()[-1])


def nbclient_cmd(path: str) -> list[str]:
    code = ("import nbformat,sys; from nbclient import NotebookClient; nb=nbformat.read(sys.argv[1],4); "
            "NotebookClient(nb, kernel_name='python3', resources={'metadata': {'path': '.'}}).execute()")
    return [sys.executable, "-c", code, path]


def kale_cmd(path: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "kale_like", "run", path, "--out", path + ".out.ipynb", *extra]


def best(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = os.path.join(tmp, "work")
        for name, node, extra in (("linear (--split cells)", linear(), ["--split", "cells"]),
                                  ("branches (--jobs 2)", branches(), ["--split", "cells", "--jobs", "2"])):
            path = os.path.join(tmp, name.split()[0] + ".ipynb")
            nbformat.write(node, path)
            peer = best([timed(nbclient_cmd(path), tmp) for _ in range(args.repeat)])
            inner = best([nbclient_inner(path, tmp) for _ in range(args.repeat)])
            ours = best([timed(kale_cmd(path, *extra, "--no-cache", "--workdir", work), tmp) for _ in range(args.repeat)])
            rows.append((name, peer, ours, ours / peer))
            rows.append(("  same, peer = nbclient execute() only", inner, ours, ours / inner))
        path = os.path.join(tmp, "edit.ipynb")
        nbformat.write(last_cell_edit("0"), path)
        timed(kale_cmd(path, "--workdir", work), tmp)
        reruns, cell_times = [], []
        for i in range(args.repeat):
            nbformat.write(last_cell_edit(str(i + 1)), path)
            reruns.append(timed(kale_cmd(path, "--workdir", work), tmp))
            cell_times.append(_cell_time(f"{WORK}\nc = burn(30_000_000) + {i + 1}\nprint(c)", tmp))
        rows.append(("re-run after editing the last cell", best(cell_times), best(reruns),
                     best(reruns) / best(cell_times)))
        served = _api_reruns(path, work, args.repeat, tmp)
        rows.append(("  same, in one process (API / Jupyter server)", best(cell_times), served,
                     served / best(cell_times)))
        per_step = []
        for count in (10, 40):
            path = os.path.join(tmp, f"trivial{count}.ipynb")
            nbformat.write(notebook(["import numpy as np\nv0 = 0"] + [f"v{i} = v{i - 1} + 1" for i in range(1, count)]), path)
            seconds = best([timed(kale_cmd(path, "--split", "cells", "--no-cache", "--workdir", work), tmp)
                            for _ in range(args.repeat)])
            per_step.append((count, seconds))
        path = os.path.join(tmp, "big.ipynb")
        nbformat.write(big(), path)
        validate = best([timed([sys.executable, "-m", "kale_like", "validate", path], tmp) for _ in range(args.repeat)])
    print(f"{'case':<38} {'peer s':>8} {'kale_like s':>12} {'ratio':>7}")
    for name, peer, ours, ratio in rows:
        print(f"{name:<38} {peer:>8.2f} {ours:>12.2f} {ratio:>7.2f}")
    print(f"{'validate, 300 cells (wall, with start)':<38} {'':>8} {validate:>12.3f}")
    (n1, t1), (n2, t2) = per_step
    print(f"{'per-step overhead (chain of trivial steps)':<38} {'':>8} {(t2 - t1) / (n2 - n1):>12.3f}"
          f"   ({n1} steps: {t1:.2f} s, {n2} steps: {t2:.2f} s)")
    print("peer: nbclient top-to-bottom as a command (interpreter, imports and kernel start included); the "
          "'execute() only' rows time just NotebookClient.execute (kernel start and cells). For the re-run row, "
          "the peer is the edited cell's own run time in a plain python process. kale_like is always timed as a "
          "whole command.")


def _api_reruns(path: str, work: str, repeat: int, cwd: str) -> float:
    """Re-runs through ``kale_like.run`` in one long-lived process, as the server extension
    makes them: the warm parent stays up between runs."""
    code = f"""
import re, statistics, time, kale_like
path, src = {path!r}, open({path!r}).read()
def edit(i):
    open(path, 'w').write(re.sub(r"burn\\(30_000_000\\) \\+ \\d+", "burn(30_000_000) + %d" % i, src))
edit(1000); kale_like.run(path, workdir={work!r})
times = []
for i in range({repeat}):
    edit(1001 + i); began = time.perf_counter(); kale_like.run(path, workdir={work!r})
    times.append(time.perf_counter() - began)
print(statistics.median(times))
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, check=True, capture_output=True, text=True,
                          timeout=900)
    return float(done.stdout.strip().splitlines()[-1])


def _cell_time(code: str, cwd: str) -> float:
    return timed([sys.executable, "-c", code], cwd)


if __name__ == "__main__":
    main()
