"""The notebooks the browser tests open, built with the shared nbformat builder."""
from __future__ import annotations

from pathlib import Path

import nbformat

from notebook_builder import build_notebook

LONG_NAME = "a_step_whose_name_is_far_too_long_for_the_panel"

NOTEBOOKS = {
    "pipeline_demo.ipynb": build_notebook(
        ("# A three-step demo\nThe UI test tags the last code cell as its own step.", "markdown"),
        ("numbers = list(range(1, 11))\nprint('loaded', len(numbers), 'numbers')", ["step:load"]),
        ("total = sum(numbers)\nprint('total', total)", ["step:summarize"]),
        "squares = [x * x for x in numbers]\nprint('sum of squares', sum(squares))",
        metadata={"pipeline_name": "demo"}),
    "failing_demo.ipynb": build_notebook(
        ("x = 2", ["step:make"]),
        ("y = x * 3\nraise ValueError('boom: y is ' + str(y))", ["step:explode"]),
        ("print(y)", ["step:report"]),
        metadata={"pipeline_name": "failing-demo"}),
    # fails inside a library (json), called from a function defined in the cell
    "library_error.ipynb": build_notebook(
        ("import json", ["imports"]),
        ("text = '{not json'", ["step:make"]),
        ("def parse(t):\n    return json.loads(t)\n\nvalue = parse(text)", ["step:explode", "prev:make"]),
        ("print(value)", ["step:report"])),
    "tag_edits.ipynb": build_notebook(
        ("a = 1", ["step:load"]),
        ("b = a + 1", ["step:train", "prev:load"]),
        ("c = b * 2", ["step:clean data"]),
        ("d = c + 1", [f"step:{LONG_NAME}"])),
    "untagged.ipynb": build_notebook(
        ("# An untagged notebook", "markdown"),
        "a = 1",
        "b = a + 1",
        "print(b)"),
    "slow_output.ipynb": build_notebook(
        ("import time\nfor i in range(120):\n    print('tick', i, flush=True)\n    time.sleep(0.5)\nx = 1",
         ["step:ticking"]),
        ("print(x)", ["step:after"])),
    "outputs_back.ipynb": build_notebook(
        ("n = 6", ["pipeline-parameters"]),
        ("print('n is', n)", ["step:make"]),
        ("n * 7", ["step:answer"])),
    "on_kubeflow.ipynb": build_notebook(
        ("x = 2", ["step:make"]),
        ("y = x * 3", ["step:double", "prev:make"])),
}


def write_notebooks(root: Path) -> None:
    for name, notebook in NOTEBOOKS.items():
        nbformat.write(notebook, str(root / name))
