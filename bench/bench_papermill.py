"""papermill's default engine against ``--engine kale_like``, on the same notebooks.

    python bench/bench_papermill.py [--repeat N] [--jobs N]

Both engines run through papermill's Python API in this process (``execute_notebook``
with ``engine_name=None`` and ``engine_name="kale_like"``), so interpreter start-up
is not counted for either. For every notebook it prints the best wall time of each
engine, the ratio kale_like / default with the cache off (a first run), and with the
cache warm (the same parameters again: what a re-run after no change costs).
Notebooks: a parameterized analysis with two independent slow branches, papermill's
own ``simple_execute``, and two real notebooks from ../shared/corpus/dev.
"""
from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import papermill
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from papermill.engines import papermill_engines

REPO = Path(__file__).resolve().parents[1]
# Run as a plain script (python bench/...), not under pytest: this tree's kale_like first.
sys.path.insert(0, str(REPO))

from kale_like.papermill.engine import KaleLikeEngine  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus" / "dev"
PAPERMILL_NOTEBOOKS = Path(papermill.__file__).parent / "tests" / "notebooks"
WORK = "def burn(n):\n    total = 0\n    for i in range(n):\n        total += i * i\n    return total\n"


def analysis() -> nbformat.NotebookNode:
    cell = new_code_cell
    node = new_notebook(cells=[
        cell("import numpy as np\nimport pandas as pd\n" + WORK, metadata={"tags": ["imports"]}),
        cell("n = 6_000_000\nrows = 100_000", metadata={"tags": ["parameters"]}),
        new_markdown_cell("## Data"),
        cell("frame = pd.DataFrame(np.random.default_rng(0).normal(size=(rows, 4)), columns=list('abcd'))\n"
             "frame.describe().round(2)"),
        new_markdown_cell("## Left"),
        cell("left = burn(n)\nprint(left)"),
        new_markdown_cell("## Right"),
        cell("right = burn(n + 1)\nprint(right)"),
        new_markdown_cell("## Report"),
        cell("print(frame.a.mean() + (left - right) / n)"),
    ])
    node.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    return node


def cases(folder: Path) -> list[tuple[str, Path, dict]]:
    found = []
    path = folder / "analysis.ipynb"
    nbformat.write(analysis(), str(path))
    found.append(("analysis (2 parallel branches)", path, {"n": 5_000_000}))
    simple = PAPERMILL_NOTEBOOKS / "simple_execute.ipynb"
    if simple.exists():
        found.append(("papermill simple_execute", Path(shutil.copy(simple, folder)), {"msg": "hi"}))
    for name, parameters in (("jupytext__ipynb_py__nteract_with_parameter.ipynb", {"param": 3}),
                             ("papermill__gcs__gcs_in__gcs-simple_notebook.ipynb", {"a": 1})):
        if (CORPUS / name).exists():
            found.append((f"corpus {name.split('__')[-1]}", Path(shutil.copy(CORPUS / name, folder)), parameters))
    return found


def timed(notebook: Path, engine: str | None, parameters: dict, **options) -> float:
    began = time.perf_counter()
    papermill.execute_notebook(str(notebook), str(notebook.with_suffix(f".{engine}.out.ipynb")),
                               parameters=parameters, engine_name=engine, progress_bar=False,
                               cwd=str(notebook.parent), **options)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    papermill_engines.register("kale_like", KaleLikeEngine)
    logging.getLogger("papermill").setLevel(logging.ERROR)  # "unknown parameter" on notebooks without a cell
    print(f"{'notebook':<40} {'default':>8} {'kale_like':>10} {'ratio':>6} {'cached':>8} {'ratio':>6}")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        for label, notebook, parameters in cases(folder):
            default = min(timed(notebook, None, parameters) for _ in range(args.repeat))
            cold = min(timed(notebook, "kale_like", parameters, cache=False, jobs=args.jobs,
                             workdir=str(folder / f"wd-cold-{notebook.stem}")) for _ in range(args.repeat))
            warm_dir = str(folder / f"wd-warm-{notebook.stem}")
            timed(notebook, "kale_like", parameters, workdir=warm_dir, jobs=args.jobs)
            warm = min(timed(notebook, "kale_like", parameters, workdir=warm_dir, jobs=args.jobs)
                       for _ in range(args.repeat))
            print(f"{label:<40} {default:>7.2f}s {cold:>9.2f}s {cold / default:>5.2f}x {warm:>7.2f}s "
                  f"{warm / default:>5.2f}x", flush=True)
    print(f"(best of {args.repeat}; {os.cpu_count()} CPUs; kale_like 'cached' = same notebook and parameters again)")


if __name__ == "__main__":
    main()
