"""The local backend end to end, through the CLI and the API."""
from __future__ import annotations

import hashlib
import subprocess
import sys

import nbformat
import pytest

import kale_like

from core.helpers import make_notebook


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "kale_like", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _outputs(path):
    node = nbformat.read(str(path), 4)
    return [[(o.output_type, o.get("text") or o.get("data", {}).get("text/plain")) for o in c.outputs]
            for c in node.cells if c.cell_type == "code"]


@pytest.fixture
def workdir(tmp_path):
    return tmp_path / "work"


def test_run_writes_executed_copy_and_leaves_source_alone(tmp_path, workdir):
    nb = tmp_path / "nb.ipynb"
    make_notebook("xs = [1]\nprint('start')", "xs.append(2)\nxs", "import sys\nprint(len(xs), file=sys.stderr)", path=nb)
    before = _digest(nb)
    out = tmp_path / "out.ipynb"
    result = _cli("run", str(nb), "--out", str(out), "--workdir", str(workdir))
    assert result.returncode == 0, result.stderr
    assert _digest(nb) == before
    assert _outputs(out) == [[("stream", "start\n")], [("execute_result", "[1, 2]")], [("stream", "2\n")]]
    counts = [c.execution_count for c in nbformat.read(str(out), 4).cells]
    assert counts == [1, 2, 3]


def test_failing_step_names_step_cell_line(tmp_path, workdir):
    nb = tmp_path / "nb.ipynb"
    make_notebook("a = 1", "b = 2\nc = a / 0", path=nb)
    result = _cli("run", str(nb), "--out", str(tmp_path / "o.ipynb"), "--workdir", str(workdir))
    assert result.returncode == 1
    assert "step 'cell_2', cell 2, line 2: ZeroDivisionError" in result.stderr
    assert "kale_like/" not in result.stderr  # the user's traceback, not ours
    error_outputs = [o for o in nbformat.read(str(tmp_path / "o.ipynb"), 4).cells[1].outputs]
    assert error_outputs and error_outputs[0].output_type == "error"


@pytest.mark.parametrize("content,expected", [
    ("{not json", "not a valid notebook"),
    ('{"cells": [{"cell_type": "code"}], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}', None),
])
def test_malformed_files_give_one_line(tmp_path, content, expected):
    nb = tmp_path / "bad.ipynb"
    nb.write_text(content)
    before = _digest(nb)
    result = _cli("validate", str(nb))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    if expected:
        assert expected in result.stderr
    assert _digest(nb) == before


def test_bad_tag_is_reported_with_cell(tmp_path):
    nb = tmp_path / "nb.ipynb"
    make_notebook("x = 1", ("y = 2", ["limit:cpu:many"]), path=nb)
    result = _cli("run", str(nb))
    assert result.returncode == 2 and "cell 2" in result.stderr and "limit:cpu:many" in result.stderr


def test_cache_reruns_only_what_changed(tmp_path, workdir):
    nb = tmp_path / "nb.ipynb"
    make_notebook("a = 1", "b = a + 1", "print(b)", path=nb)
    first = kale_like.run(str(nb), out=str(tmp_path / "o.ipynb"), split="cells", workdir=str(workdir))
    assert first.ok and set(first.states.values()) == {"succeeded"}
    make_notebook("a = 1", "b = a + 1", "print(b * 10)", path=nb)
    second = kale_like.run(str(nb), out=str(tmp_path / "o.ipynb"), split="cells", workdir=str(workdir))
    assert second.states == {"cell_1": "cached", "cell_2": "cached", "cell_3": "succeeded"}
    assert _outputs(tmp_path / "o.ipynb")[2] == [("stream", "20\n")]
    third = kale_like.run(str(nb), out=str(tmp_path / "o.ipynb"), split="cells", workdir=str(workdir), cache=False)
    assert set(third.states.values()) == {"succeeded"}


def test_failed_run_resumes_from_cache(tmp_path, workdir):
    nb = tmp_path / "nb.ipynb"
    make_notebook("a = 1", "b = a / 0", path=nb)
    assert not kale_like.run(str(nb), out=str(tmp_path / "o.ipynb"), workdir=str(workdir)).ok
    make_notebook("a = 1", "b = a + 1\nprint(b)", path=nb)
    again = kale_like.run(str(nb), out=str(tmp_path / "o.ipynb"), workdir=str(workdir))
    assert again.ok and again.states["cell_1"] == "cached"


def test_independent_steps_run_in_parallel(tmp_path, workdir):
    nb = tmp_path / "nb.ipynb"
    make_notebook("import time\nt = 1.0", "time.sleep(t)\nleft = 1", "time.sleep(t)\nright = 2", path=nb)
    events = []
    result = kale_like.run(str(nb), out=str(tmp_path / "o.ipynb"), jobs=2, workdir=str(workdir),
                           on_event=events.append)
    assert result.ok
    running = {e["step"] for e in events if e.get("state") == "running"}
    order = [(e["step"], e["state"]) for e in events if e.get("type") == "step" and e["state"] != "waiting"]
    first_done = next(i for i, (_, s) in enumerate(order) if s == "succeeded" and _ != "cell_1")
    started_before_first_done = {s for s, st in order[:first_done] if st == "running"}
    assert {"cell_2", "cell_3"} <= running and {"cell_2", "cell_3"} <= started_before_first_done


def test_unserializable_value_names_variable_type_step_cell(tmp_path, workdir):
    nb = tmp_path / "nb.ipynb"
    make_notebook("import threading\nholder = {'lock': threading.Lock()}", "print(len(holder))", path=nb)
    result = kale_like.run(str(nb), out=str(tmp_path / "o.ipynb"), workdir=str(workdir))
    assert not result.ok
    message = result.error["message"]
    assert "holder" in message and "cell_1" in (result.error.get("step") or "") and "lock" in message.lower()


def test_parameters_reach_steps_as_data(tmp_path, workdir):
    nb = tmp_path / "nb.ipynb"
    make_notebook(("alpha = 1\nlabel = 'a'", ["parameters"]), "print(alpha * 2, label)", path=nb)
    tricky = "x'); import os; os._exit(3) #"
    result = kale_like.run(str(nb), out=str(tmp_path / "o.ipynb"), workdir=str(workdir),
                           parameters={"alpha": 21, "label": tricky})
    assert result.ok
    node = nbformat.read(str(tmp_path / "o.ipynb"), 4)
    assert node.cells[1].metadata["tags"] == ["injected-parameters"]
    assert node.cells[2].outputs[0]["text"] == f"42 {tricky}\n"


def test_figures_show_in_the_cell_that_drew_them(tmp_path, workdir):
    nb = tmp_path / "nb.ipynb"
    make_notebook("import matplotlib.pyplot as plt\nfig, ax = plt.subplots()", "ax.plot([1, 2])\nprint('drawn')",
                  "fig", path=nb)
    assert kale_like.run(str(nb), out=str(tmp_path / "o.ipynb"), workdir=str(workdir)).ok
    kinds = [[o.output_type for o in c.outputs] for c in nbformat.read(str(tmp_path / "o.ipynb"), 4).cells]
    assert kinds[0] == ["display_data"] and kinds[1] == ["stream"]
    assert kinds[2] == ["execute_result"] or "display_data" in kinds[2]


def test_graph_formats(tmp_path):
    nb = tmp_path / "nb.ipynb"
    make_notebook("a = 1", "b = a", path=nb)
    assert '"cell_1" -> "cell_2" [label="a"]' in _cli("graph", str(nb), "--format", "dot").stdout
    assert "s0 -->|a| s1" in _cli("graph", str(nb), "--format", "mermaid").stdout


def test_retries_rerun_a_flaky_step(tmp_path, workdir):
    nb = tmp_path / "nb.ipynb"
    flaky = ("import os\nn = int(open('count').read()) if os.path.exists('count') else 0\n"
             "open('count', 'w').write(str(n + 1))\nassert n >= 2, f'attempt {n}'\nprint('ok after', n)")
    make_notebook(("x = 1", ["step:first"]), (flaky, ["step:flaky", "retries:2"]), path=nb)
    result = kale_like.run(str(nb), out=str(tmp_path / "o.ipynb"), workdir=str(workdir))
    assert result.ok, result.error
    assert _outputs(tmp_path / "o.ipynb")[1] == [("stream", "ok after 2\n")]


def test_timeout_stops_the_step_and_says_so(tmp_path, workdir):
    nb = tmp_path / "nb.ipynb"
    make_notebook(("import time\ntime.sleep(30)", ["step:slow", "timeout:1"]), path=nb)
    result = kale_like.run(str(nb), out=str(tmp_path / "o.ipynb"), workdir=str(workdir))
    assert not result.ok and "timeout of 1 s" in result.error["message"]


def test_cancel_right_after_start_stops_quickly(tmp_path, workdir):
    import threading
    import time

    nb = tmp_path / "nb.ipynb"
    make_notebook("import time\ntime.sleep(60)", path=nb)
    cancel = threading.Event()

    def on_event(event):
        if event.get("state") == "running":
            cancel.set()

    began = time.perf_counter()
    result = kale_like.run(str(nb), out=str(tmp_path / "o.ipynb"), workdir=str(workdir), on_event=on_event,
                           cancel=cancel)
    assert not result.ok and result.states == {"cell_1": "cancelled"}
    assert time.perf_counter() - began < 20


def test_second_run_in_one_process_reuses_the_warm_parent(tmp_path, workdir):
    from kale_like.backends.local import warm
    from kale_like.notebook import load_notebook

    nb = tmp_path / "nb.ipynb"
    make_notebook("import os\nprint(os.getppid())", path=nb)
    parents = []
    for _ in range(2):
        assert kale_like.run(str(nb), out=str(tmp_path / "o.ipynb"), workdir=str(workdir), cache=False).ok
        parents.append(_outputs(tmp_path / "o.ipynb")[0][0][1])
    assert parents[0] == parents[1]  # both steps were forked by the same warm parent
    warm.discard(load_notebook(str(nb)))
