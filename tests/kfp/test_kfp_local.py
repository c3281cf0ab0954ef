"""kfp-local runs the compiled IR under kfp.local and shows what the local backend shows."""
from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

import nbformat
import pytest

from kale_like import api
from kale_like.errors import ParameterError

from kfp_harness import REPO, assert_same_as_local, write_notebook

pytestmark = [pytest.mark.kfp, pytest.mark.filterwarnings("ignore::FutureWarning")]


@pytest.fixture(autouse=True)
def simple_html(monkeypatch):
    monkeypatch.setenv("KALE_LIKE_KFP_HTML", "simple")  # nbconvert costs ~1 s a step; one test below uses it


def test_quickstart_matches_the_local_backend(tmp_path):
    folder = tmp_path / "nb"
    folder.mkdir()
    shutil.copy(REPO / "examples" / "quickstart.ipynb", folder)
    local, kfp = assert_same_as_local(folder / "quickstart.ipynb", tmp_path)
    assert kfp.metrics == local.metrics and 0.5 < kfp.metrics["accuracy"] <= 1.0
    assert set(kfp.states.values()) == {"succeeded"}
    executed = nbformat.read(kfp.output, as_version=4)
    assert executed.metadata["kale_like"]["run"]["backend"] == "kfp-local"


INJECTION = '"; import os; os.system("touch PWNED") #'


def test_parameters_of_every_kind_with_overrides(tmp_path):
    path = write_notebook(
        tmp_path / "nb",
        ("n = 2\nrate = 0.5\nflag = True\nlabel = 'x'\nitems = [1, 2]\nopts = {'k': 1, 'w': 0.5}\n"
         "missing = None\npair = (1, 2)\ntotal = n * 10", ["parameters"]),
        "print(n, rate, flag, label, items, opts, missing, pair, total)",
        "print([type(v).__name__ for v in (n, rate, items[0], opts['k'], opts['w'], pair)])")
    assert_same_as_local(path, tmp_path / "defaults")
    # KFP types a float input as float: an int override of ``rate`` would arrive as 2.0, so use a float
    overrides = {"n": 3, "rate": 2.5, "label": INJECTION, "items": [4, 5, 6], "opts": {"k": 7, "w": 1.5},
                 "missing": "now set", "pair": (9, 9), "total": 1}
    local, kfp = assert_same_as_local(path, tmp_path / "overrides", parameters=overrides)
    executed = nbformat.read(kfp.output, as_version=4)
    assert INJECTION in executed.cells[2].outputs[0]["text"]
    assert not list(tmp_path.rglob("PWNED"))


def test_aliases_mutation_and_metrics_survive_artifacts(tmp_path):
    path = write_notebook(
        tmp_path / "nb",
        ("## Bind", "markdown"), "import numpy as np\nx = [1, 2]\ny = x\narr = np.arange(5)\nv = arr[:2]",
        ("## Mutate", "markdown"), "x.append(3)\nv[0] = 99\nscore = float(sum(x))",
        ("## Report", "markdown"), "print(y, y is x, arr, np.shares_memory(arr, v))",
        ("score", ["pipeline-metrics"]))
    local, kfp = assert_same_as_local(path, tmp_path, split="headings")
    assert kfp.metrics == {"score": 6.0}


def test_a_failing_cell_points_at_its_cell_and_line(tmp_path):
    path = write_notebook(tmp_path / "nb", "a = 1", "b = 2\nc = a / 0\nprint(c)", "print('never', b)")
    local, kfp = assert_same_as_local(path, tmp_path, split="cells", expect_ok=False)
    assert (kfp.error["step"], kfp.error["cell"], kfp.error["line"]) == (local.error["step"], 2, 2)
    assert kfp.error["message"] == local.error["message"] and "\x1b" not in json.dumps(kfp.error)
    assert kfp.states == local.states == {"cell_1": "succeeded", "cell_2": "failed", "cell_3": "skipped"}


def test_expected_errors_local_modules_and_files(tmp_path):
    folder = tmp_path / "nb"
    folder.mkdir()
    (folder / "helpers.py").write_text("def double(x):\n    return 2 * x\n")
    path = write_notebook(folder, "import helpers\nwith open('data.txt', 'w') as fh:\n    fh.write('7')",
                          ("1 / 0", ["raises-exception"]),
                          "print(helpers.double(int(open('data.txt').read())))")
    assert_same_as_local(path, tmp_path, split="cells")


def test_step_html_from_nbconvert(tmp_path, monkeypatch):
    monkeypatch.setenv("KALE_LIKE_KFP_HTML", "auto")
    path = write_notebook(tmp_path / "nb", "print('<b>shown as text</b>')")
    result = api.run(path, out=str(tmp_path / "out.ipynb"), backend="kfp-local", workdir=str(tmp_path / "w"))
    assert result.ok
    run = next((tmp_path / "w" / "kfp-local").glob("run-*"))
    page = next(run.glob("root/*/*/kale_html")).read_text()
    assert "&lt;b&gt;shown as text&lt;/b&gt;" in page and "jp-Notebook" in page


def test_kfp_local_hazards_are_guarded(tmp_path):
    path = write_notebook(tmp_path / "nb", ("text = 'short'", ["parameters"]), "print(len(text))")
    with pytest.raises(ParameterError, match="128 KiB"):
        api.run(path, out=str(tmp_path / "o.ipynb"), backend="kfp-local", parameters={"text": "x" * 200_000},
                workdir=str(tmp_path / "w"))
    keep = tmp_path / "w" / "kfp-local" / "not-ours.txt"
    keep.parent.mkdir(parents=True, exist_ok=True)
    keep.write_text("kfp.local must not delete this")
    before = sorted(os.listdir(path.parent))
    result = api.run(path, out=str(tmp_path / "o.ipynb"), backend="kfp-local", workdir=str(tmp_path / "w"))
    assert result.ok and keep.exists() and sorted(os.listdir(path.parent)) == before
    package = Path(nbformat.read(result.output, as_version=4).metadata["kale_like"]["run"]["ir"]).read_text()
    assert "pip install" not in package


def test_cancel_stops_the_run(tmp_path):
    path = write_notebook(tmp_path / "nb", "import time\ntime.sleep(30)", "print('late')")
    cancel = threading.Event()
    events: list[dict] = []

    def watch(event: dict) -> None:
        events.append(event)
        if event.get("state") == "running":
            cancel.set()

    result = api.run(path, out=str(tmp_path / "o.ipynb"), backend="kfp-local", workdir=str(tmp_path / "w"),
                     split="cells", on_event=watch, cancel=cancel)
    assert not result.ok and result.error["message"] == "the run was cancelled"
    assert set(result.states.values()) == {"cancelled"}


def test_timeout_tag_is_enforced_locally(tmp_path):
    path = write_notebook(tmp_path / "nb", ("import time\ntime.sleep(60)", ["step:slow", "timeout:1"]),
                          ("print('after')", ["step:after", "prev:slow"]))
    result = api.run(path, out=str(tmp_path / "o.ipynb"), backend="kfp-local", workdir=str(tmp_path / "w"),
                     split="tags")
    assert not result.ok and result.error["step"] == "slow" and "timeout of 1 s" in result.error["message"]
    assert result.states == {"slow": "failed", "after": "skipped"}
