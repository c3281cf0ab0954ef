"""Compile time of a generated N-step notebook to KFP IR (target: 300 steps in under 2 s).

    python bench/bench_compile.py [--steps 300] [--repeat 3]

The notebook chains N steps (``step:`` tags, each reading the previous step's
variable, with a parameters cell and an imports cell), so every step has inputs,
outputs and a parameter. Reported (median of ``--repeat`` runs, after one warm-up
run that pays the imports of kfp and IPython):

- plan: read the notebook, analysis, data flow (``kale_like.api.plan``)
- compile: everything ``kale-like compile`` does after the plan: requirements,
  generate the module, import it (``dsl.component`` per step), check the cells
  read back, and the kfp compiler writing the YAML
- total: both, as wall time and as CPU time of this process (on a shared machine
  the wall time grows with the load; the CPU time is what the compile costs)
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

# Run as a plain script (python bench/...), not under pytest: this tree's kale_like first.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from kale_like import api  # noqa: E402
from kale_like.kfp.compile import compile_plan  # noqa: E402
from kale_like.kfp.options import CompileOptions  # noqa: E402


def make_notebook(steps: int, path: Path) -> None:
    cells = [new_code_cell("import math\nimport json", metadata={"tags": ["imports"]}),
             new_code_cell("scale = 2\nlabel = 'run'", metadata={"tags": ["parameters"]}),
             new_code_cell("v0 = [1, 2, 3]\nprint(label, v0)", metadata={"tags": ["step:s0"]})]
    for i in range(1, steps):
        code = (f"v{i} = [x * scale for x in v{i - 1}][:3]\n"
                f"summary_{i} = json.dumps({{'step': {i}, 'norm': math.sqrt(sum(x * x for x in v{i}))}})\n"
                f"print(summary_{i})")
        cells.append(new_code_cell(code, metadata={"tags": [f"step:s{i}", f"prev:s{i - 1}"]}))
    notebook = new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(notebook, str(path))


def measure(path: Path, folder: Path) -> tuple[float, float, float]:
    """(plan wall s, compile wall s, total CPU s of this process)."""
    began, cpu = time.perf_counter(), time.process_time()
    found = api.plan(path, "tags")
    planned = time.perf_counter()
    compile_plan(found, str(folder / "pipeline.yaml"), CompileOptions(html="simple"))
    return planned - began, time.perf_counter() - planned, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / f"chain_{args.steps}.ipynb"
        make_notebook(args.steps, path)
        measure(path, folder)  # warm-up: imports
        runs = [measure(path, folder) for _ in range(args.repeat)]
        size = (folder / "pipeline.yaml").stat().st_size
    plan = statistics.median(r[0] for r in runs)
    compile_ = statistics.median(r[1] for r in runs)
    total = statistics.median(r[0] + r[1] for r in runs)
    cpu = statistics.median(r[2] for r in runs)
    print(f"{args.steps} steps: plan {plan:.2f} s, compile {compile_:.2f} s, total {total:.2f} s wall, "
          f"{cpu:.2f} s CPU ({1000 * total / args.steps:.1f} ms/step), IR {size / 1024:.0f} KiB")
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
          f"(wall time grows with it; CPU time does not)")
    if args.steps == 300:
        print(f"target (300 steps under 2 s): wall {'met' if total < 2 else 'NOT met'}, "
              f"CPU {'met' if cpu < 2 else 'NOT met'}")


if __name__ == "__main__":
    main()
