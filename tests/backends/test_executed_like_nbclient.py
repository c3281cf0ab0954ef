"""The executed notebook looks like nbclient's: the same execution counts on cells and on
their results, and tracebacks that show the user's frames as a kernel shows them — never
kale_like's own — in every backend (local, kfp-local, the papermill engine)."""
from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest

from kale_like import api

from core.helpers import make_notebook

pytestmark = [pytest.mark.kernel, pytest.mark.filterwarnings("ignore::FutureWarning")]

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
FRAME = re.compile(r"^(Cell In\[\d+\], line \d+.*|File .*)$", re.MULTILINE)
OWN_FRAMES = os.sep + "kale_like" + os.sep

COUNT_NOTEBOOKS = {
    "results": ["x = 1", "x + 1", "print(x)\nx * 3", "", ("# a heading", "markdown"),
                "import math\nround(math.pi, 2)", "y = [x]\ny", "   ", "y[0] + 10"],
    "display": ["from IPython.display import display\ndisplay('shown')\n'result'", "z = 5", "z",
                "def twice(v):\n    return 2 * v", "twice(z)"],
    "errors_expected": ["a = [1, 2]", ("a[5]", ["raises-exception"]), "a + [3]", "len(a)"],
}

# Each failing cell is tagged raises-exception, so one run shows every kind of traceback.
ERRORS = [
    "import helper_module\n\ndef lookup(d):\n    return d['missing']",
    ("values = {}\nlookup(values)", ["raises-exception"]),
    ("x = 1\nraise ValueError('bad value')", ["raises-exception"]),
    ("helper_module.divide(0)", ["raises-exception"]),
    ("%%time\nq = 1 / 0", ["raises-exception"]),
    ("y = (1 +\n", ["raises-exception"]),
    "print('still running')",
]
HELPER = "def divide(n):\n    total = 10\n    return total / n\n"


def _reference(path: Path):
    """The notebook run top to bottom in a real kernel by nbclient."""
    from nbclient import NotebookClient

    node = nbformat.read(str(path), as_version=4)
    NotebookClient(node, kernel_name="python3", timeout=120,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return node


def _run(path: Path, backend: str, tmp_path: Path):
    out = tmp_path / f"{path.stem}.{backend}.ipynb"
    if backend == "papermill":
        import papermill
        from papermill.engines import papermill_engines

        from kale_like.papermill import ENGINE_NAME
        from kale_like.papermill.engine import KaleLikeEngine

        papermill_engines.register(ENGINE_NAME, KaleLikeEngine)
        try:
            papermill.execute_notebook(str(path), str(out), engine_name=ENGINE_NAME, progress_bar=False,
                                       cwd=str(path.parent))
        except papermill.PapermillExecutionError:
            pass  # papermill fails on any error output, even an expected one; its notebook is written
        return nbformat.read(str(out), as_version=4), None
    result = api.run(path, out=str(out), backend=backend, workdir=str(tmp_path / f"work-{backend}"))
    return nbformat.read(str(out), as_version=4), result


def _counts(node) -> list[tuple]:
    """Per code cell: its In [n], and the n of every Out[n] it shows."""
    return [(c.execution_count, [o.get("execution_count") for o in c.outputs if o.output_type == "execute_result"])
            for c in node.cells if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", [])]


def _tracebacks(node) -> list[str]:
    return [ANSI.sub("", "\n".join(o.traceback)) for c in node.cells if c.cell_type == "code"
            for o in c.outputs if o.output_type == "error"]


def _frames(text: str) -> list[str]:
    return FRAME.findall(text)


@pytest.fixture(scope="module")
def count_notebooks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("counts")
    paths = {}
    for name, cells in COUNT_NOTEBOOKS.items():
        paths[name] = folder / f"{name}.ipynb"
        make_notebook(*cells, path=paths[name])
    return {name: (path, _counts(_reference(path))) for name, path in paths.items()}


@pytest.fixture(scope="module")
def error_notebook(tmp_path_factory):
    folder = tmp_path_factory.mktemp("errors")
    (folder / "helper_module.py").write_text(HELPER)
    path = folder / "errors.ipynb"
    make_notebook(*ERRORS, path=path)
    return path, _tracebacks(_reference(path))


@pytest.mark.parametrize("backend", ["local", "papermill", pytest.param("kfp-local", marks=pytest.mark.kfp)])
def test_execution_counts_match_nbclient(count_notebooks, backend, tmp_path):
    for name, (path, expected) in count_notebooks.items():
        node, _ = _run(path, backend, tmp_path)
        assert _counts(node) == expected, f"{name} through {backend}"
        for count, results in expected:
            assert all(r == count for r in results)  # In [n] is followed by Out[n]


@pytest.mark.parametrize("backend", ["local", pytest.param("kfp-local", marks=pytest.mark.kfp)])
def test_tracebacks_show_the_frames_a_kernel_shows(error_notebook, backend, tmp_path):
    path, expected = error_notebook
    node, result = _run(path, backend, tmp_path)
    assert result.ok, result.error
    got = _tracebacks(node)
    assert len(got) == len(expected) == 5
    for theirs, ours in zip(expected, got):
        assert OWN_FRAMES not in ours, ours
        assert _frames(ours) == _frames(theirs), f"kernel:\n{theirs}\n\nkale_like:\n{ours}"
    assert "Cell In[1], line 4, in lookup(d)" in got[0]  # the function's frame, named as Jupyter names it


@pytest.mark.parametrize("backend", ["local", pytest.param("kfp-local", marks=pytest.mark.kfp)])
def test_a_failing_replayed_definition_shows_only_user_frames(tmp_path, backend):
    # The class body reads a file that a later cell deletes: re-running the definition
    # at the start of the last step fails, in the pipeline only.
    folder = tmp_path / "nb"
    folder.mkdir()
    (folder / "settings.txt").write_text("on")
    path = folder / "replay.ipynb"
    make_notebook("class Settings:\n    text = open('settings.txt').read()",
                  "import os\nprint(Settings.text)\nos.remove('settings.txt')",
                  "print(Settings.text, os.path.exists('settings.txt'))", path=path)
    node, result = _run(path, backend, tmp_path)
    assert not result.ok
    trace = ANSI.sub("", result.error["traceback"])
    assert OWN_FRAMES not in trace, trace
    assert _frames(trace) == ["Cell In[1], line 1", "Cell In[1], line 2, in Settings()"], trace
    assert "FileNotFoundError" in trace
