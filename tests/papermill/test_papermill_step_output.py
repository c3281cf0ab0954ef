"""``--step-output notebooks``: every step's executed notebook and its HTML, next to the run's output."""
from __future__ import annotations

import pytest

from pm_harness import make_notebook, nbformat, run_cli, run_papermill

STEPS = [
    ("code", "n = 3", ["parameters"]),
    ("markdown", "## Make"),
    ("code", "items = list(range(n))\nprint('made', items)"),
    ("markdown", "## Use"),
    ("code", "import sys\nprint('summing', file=sys.stderr)\nsum(items)"),
    ("markdown", "## Break"),
    ("code", "items[n]"),
]


def test_run_writes_each_step_notebook_and_html(tmp_path):
    notebook = make_notebook(tmp_path / "steps.ipynb", STEPS)
    out = tmp_path / "runs" / "steps.out.ipynb"
    done = run_cli("run", str(notebook), "--out", str(out), "-p", "n", "4", "--step-output", "notebooks",
                   "--workdir", str(tmp_path / "wd"))
    assert done.returncode == 1  # the last step fails: its notebook shows the error
    folder = tmp_path / "runs" / "steps.out.steps"
    assert sorted(p.name for p in folder.iterdir()) == [
        "break.html", "break.ipynb", "make.html", "make.ipynb", "parameters.html", "parameters.ipynb",
        "use.html", "use.ipynb"]
    executed = nbformat.read(str(out), as_version=4)
    by_source = {c.source: c for c in executed.cells if c.cell_type == "code"}
    for name in ("parameters", "make", "use", "break"):
        step = nbformat.read(str(folder / f"{name}.ipynb"), as_version=4)
        assert step.cells[0].cell_type == "markdown" and f"**Step `{name}`**" in step.cells[0].source
        for cell in step.cells[1:]:
            assert cell.outputs == by_source[cell.source].outputs
            assert cell.execution_count == by_source[cell.source].execution_count
    parameters = nbformat.read(str(folder / "parameters.ipynb"), as_version=4)
    assert [c.metadata.get("tags") for c in parameters.cells[1:]] == [["parameters"], ["injected-parameters"]]
    assert "made [0, 1, 2, 3]" in (folder / "make.html").read_text()
    assert "IndexError" in (folder / "break.html").read_text()
    assert "reads: `items` (from `make`), `n` (from `parameters`)" in (folder / "break.ipynb").read_text()


@pytest.mark.kernel
def test_engine_writes_step_notebooks_when_asked(tmp_path, workdir):
    notebook = make_notebook(tmp_path / "steps.ipynb", STEPS[:5])
    run = run_papermill(notebook, tmp_path / "out.ipynb", "kale_like", {"n": 2}, step_output="notebooks")
    assert run.error is None
    folder = tmp_path / "out.steps"
    assert sorted(p.name for p in folder.glob("*.ipynb")) == ["make.ipynb", "parameters.ipynb", "use.ipynb"]
    use = nbformat.read(str(folder / "use.ipynb"), as_version=4)
    assert use.cells[1].outputs[-1]["data"]["text/plain"] == "1"
