"""``papermill --engine kale_like`` writes what papermill's default engine writes.

Each case runs one notebook through papermill twice, with the default engine and
with the kale_like engine, and compares the executed notebooks cell by cell:
sources, execution counts, tags, outputs (streams joined, ANSI and addresses
normalized), papermill's per-cell status, the error banner cells and the error
papermill raises. Timings are not compared.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from pm_harness import (
    CORPUS,
    PAPERMILL_NOTEBOOKS,
    assert_same_notebooks,
    copy_in,
    make_notebook,
    nbformat,
    run_cli,
    run_papermill,
)

pytestmark = pytest.mark.kernel

DATAFLOW = [
    ("markdown", "# A small analysis"),
    ("code", "import random\nimport numpy as np\nimport pandas as pd", ["imports"]),
    ("code", "n = 20\nscale = 1.0\nlabel = 'run'", ["parameters"]),
    ("markdown", "## Load"),
    ("code", "random.seed(0)\nrows = [random.random() * scale for _ in range(n)]\nprint(len(rows), 'rows')"),
    ("markdown", "## Mutate in place"),
    ("code", "rows.append(-1.0)\nrows.sort()\nrows[:3]"),
    ("markdown", "## Frame"),
    ("code", "df = pd.DataFrame({'x': rows})\ndf['y'] = df.x * 2\ndf.head(3)"),
    ("markdown", "## Independent"),
    ("code", "import sys\nprint('to stderr', file=sys.stderr)\nprint(label.upper())\nnp.arange(4)"),
    ("markdown", "## Display"),
    ("code", "from IPython.display import display, Markdown\ndisplay(Markdown(f'**{label}**'))\n"
             "total = float(df.y.sum())\ntotal;"),
    ("code", "print(f'{total:.4f}')"),
]

FAILING = [
    ("code", "threshold = 1", ["parameters"]),
    ("markdown", "## Ok"),
    ("code", "values = list(range(5))\nprint('before')"),
    ("markdown", "## Fails"),
    ("code", "print('checking')\nassert max(values) < threshold, f'max {max(values)} >= {threshold}'"),
    ("markdown", "## After"),
    ("code", "print('never shown by papermill')"),
]


def compare(notebook: Path, tmp_path: Path, parameters: dict | None = None, **options) -> None:
    default = run_papermill(notebook, tmp_path / "default.ipynb", None, parameters, **options)
    ours = run_papermill(notebook, tmp_path / "kale_like.ipynb", "kale_like", parameters, **options)
    assert_same_notebooks(default.nb, ours.nb)
    assert (ours.error is None) == (default.error is None), ours.error or default.error
    if default.error is not None:
        assert (ours.error.ename, ours.error.exec_count) == (default.error.ename, default.error.exec_count)
    assert ours.nb.metadata.papermill["exception"] == default.nb.metadata.papermill["exception"]
    assert ours.nb.metadata.papermill["parameters"] == default.nb.metadata.papermill["parameters"]
    assert "duration" in ours.nb.metadata.papermill and ours.nb.metadata.kale_like["run"]["steps"]


def test_dataflow_notebook_with_parameters(tmp_path, workdir):
    notebook = make_notebook(tmp_path / "dataflow.ipynb", DATAFLOW)
    compare(notebook, tmp_path, {"n": 7, "scale": -2.5, "label": "it's \"new\""})


def test_failure_writes_papermill_banner_above_the_failing_cell(tmp_path, workdir):
    notebook = make_notebook(tmp_path / "failing.ipynb", FAILING)
    compare(notebook, tmp_path, {"threshold": 3})
    ours = nbformat.read(str(tmp_path / "kale_like.ipynb"), as_version=4)
    banner = [i for i, c in enumerate(ours.cells) if "papermill-error-cell-tag" in c.metadata.get("tags", [])]
    failing = next(i for i, c in enumerate(ours.cells) if c.get("metadata", {}).get("papermill", {}).get("exception"))
    assert banner == [0, failing - 1]
    assert ours.cells[failing + 2].metadata.papermill["status"] == "pending"


@pytest.mark.parametrize("name, parameters, options", [
    ("simple_execute", {"msg": "hello\nworld"}, {}),
    ("report_mode_test", {"a": 3, "b": -7}, {"report_mode": True}),
    ("nb_version_4.4", {"var": 2.5}, {}),
    ("no_parameters", {"msg": None}, {}),
    ("complex_parameters", {"msg": "x", "b": ["a", {"k": None}]}, {}),
    ("broken1", {}, {}),
    ("sysexit0", {}, {}),
    ("sysexit1", {}, {}),
    ("systemexit", {}, {}),
    ("line_magic_error", {}, {}),
])
def test_papermill_own_notebooks(name, parameters, options, tmp_path, workdir):
    compare(copy_in(PAPERMILL_NOTEBOOKS / f"{name}.ipynb", tmp_path), tmp_path, parameters, **options)


def test_steps_run_in_papermill_working_directory(tmp_path, workdir):
    notebook = copy_in(PAPERMILL_NOTEBOOKS / "read_check.ipynb", tmp_path)
    run_dir = tmp_path / "cwd"
    run_dir.mkdir()
    (run_dir / "check.txt").write_text("here")
    compare(notebook, tmp_path, cwd=run_dir)


@pytest.mark.corpus
def test_real_notebook_with_parameter(tmp_path, workdir):
    source = CORPUS / "jupytext__ipynb_py__nteract_with_parameter.ipynb"
    if not source.exists():
        pytest.skip("corpus not present")
    compare(copy_in(source, tmp_path), tmp_path, {"param": 10})


def test_rerunning_papermill_output_replaces_its_injected_cell(tmp_path, workdir):
    notebook = make_notebook(tmp_path / "dataflow.ipynb", DATAFLOW)
    first = tmp_path / "first.ipynb"
    run_papermill(notebook, first, None, {"n": 3})
    compare(first, tmp_path, {"n": 5})


def test_papermill_command_fails_with_papermill_exit_code(tmp_path, workdir):
    """``kale-like papermill`` is papermill's own command line with ``--engine kale_like``."""
    notebook = make_notebook(tmp_path / "failing.ipynb", FAILING)
    bad = run_cli("papermill", str(notebook), str(tmp_path / "bad.ipynb"), "--no-progress-bar",
                  env={"KALE_LIKE_WORKDIR": str(workdir)})
    assert bad.returncode == 1
    assert "AssertionError" in bad.stderr and "max 4 >= 1" in bad.stderr
    shown = nbformat.read(str(tmp_path / "bad.ipynb"), as_version=4)
    assert "An Exception was encountered" in shown.cells[0].source


def test_unrunnable_notebook_is_a_papermill_error(tmp_path, workdir):
    from papermill.exceptions import PapermillException

    notebook = make_notebook(tmp_path / "bad_tags.ipynb", [("code", "x = 1", ["step:a", "prev:missing"])])
    with pytest.raises(PapermillException, match="prev:missing"):
        run_papermill(notebook, tmp_path / "out.ipynb", "kale_like")
