"""Issue 9 item 9: the per-step machinery made cheaper keeps every behaviour.

What a one-line step no longer pays for (a live-output file and thread when it prints
nothing, kale_like's own files going through the file audit, re-verifying values this
run wrote and watched finish) is checked here by what it leaves behind, never by timing
(the timing is ``bench/bench_scale.py``); and an entry a crash left half-written is a
cache miss, since nothing is fsynced.
"""
from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import nbformat
import numpy as np
import pytest

import kale_like
from kale_like.backends.local import warm
from kale_like.errors import DamagedData
from kale_like.marshal import MarshalContext, load_group, save_group
from kale_like.runtime import procs

from .proc_harness import cli, entries, outputs, warnings_in, write_notebook


def _specs(workdir: Path) -> dict[str, object]:
    """step name -> the spec of its newest entry."""
    return {step: pickle.loads((folder / "spec.pkl").read_bytes()) for step, folder in entries(workdir).items()}


def test_own_files_are_never_recorded_as_the_notebooks(tmp_path: Path) -> None:
    # The work folder inside the notebook's folder: the cache's files are opened while
    # the audit hook is installed, and must still not count as the notebook's files.
    cells = ["open('made.txt', 'w').write('5')\nx = 1",
             "name = 'made' + '.txt'\ny = x + int(open(name).read())",
             "print(y)"]
    nb = write_notebook(tmp_path / "nb.ipynb", *cells)
    result = cli("run", str(nb), "--split", "cells", "--workdir", str(tmp_path / "w"),
                 "--out", str(tmp_path / "o.ipynb"))
    assert result.returncode == 0, result.stderr
    assert outputs(tmp_path / "o.ipynb")[2] == "6\n"
    recorded = json.loads((tmp_path / "w" / "files_read.json").read_text())
    assert recorded == {"read": {"made.txt": 2}, "written": ["made.txt"]}


@pytest.mark.parametrize("printer", ["print('hello')", "import os\nn = os.write(1, b'hello\\n')",
                                     "import sys\nn = sys.stderr.write('hello\\n')"])
def test_live_output_file_only_for_steps_that_print(tmp_path: Path, printer: str) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", "x = 1", printer, "y = x + 1")
    events: list[dict] = []
    result = kale_like.run(str(nb), split="cells", workdir=str(tmp_path / "w"), out=str(tmp_path / "o.ipynb"),
                           on_event=events.append)
    assert result.ok, result.failure
    live = {step: (folder / "output.jsonl").exists() for step, folder in entries(tmp_path / "w").items()}
    assert live == {"cell_1": False, "cell_2": True, "cell_3": False}
    assert [(e["step"], e["text"]) for e in events if e["type"] == "output"] == [("cell_2", "hello\n")]
    assert outputs(tmp_path / "o.ipynb") == ["", "hello\n", ""]


def _parked_session(notebook) -> tuple[int, list[int]]:
    """The parked warm parent's pid and the live processes of its session (it stays parked)."""
    zygote = warm.claim(notebook)
    assert zygote is not None
    members = procs.session_members(zygote.pid)
    warm.park(notebook, zygote)
    return zygote.pid, members


def test_a_reused_warm_parent_keeps_no_spare_between_runs(tmp_path: Path) -> None:
    # Each step process is forked one request ahead; the one forked after the last step
    # must end with the run, and a parked parent must serve the next run from scratch.
    nb = write_notebook(tmp_path / "nb.ipynb", "x = 1", "y = x + 1", "print(y)")
    notebook = kale_like.plan(str(nb)).notebook
    try:
        for attempt in range(3):
            result = kale_like.run(str(nb), split="cells", cache=False, workdir=str(tmp_path / "w"),
                                   out=str(tmp_path / "o.ipynb"))
            assert result.ok, result.failure
            assert outputs(tmp_path / "o.ipynb") == ["", "", "2\n"]
            pid, members = _parked_session(notebook)
            assert members == [pid], attempt  # only the idle parent: no spare, no step
            if attempt == 0:
                first = pid
        assert pid == first  # the same warm parent served every run
    finally:
        warm.discard(notebook)


def test_the_warm_parents_rehearsal_leaves_nothing_in_a_step(tmp_path: Path) -> None:
    # The warm parent runs a step's own paths (and an empty cell) before forking: no
    # name, output history or execution count of that may reach a step.
    probe = "print(sorted(n for n in globals() if not n.startswith('_')), dict(Out), repr(_))"
    nb = write_notebook(tmp_path / "nb.ipynb", "a = 1", probe)
    result = cli("run", str(nb), "--split", "cells", "--workdir", str(tmp_path / "w"),
                 "--out", str(tmp_path / "o.ipynb"))
    assert result.returncode == 0, result.stderr
    names = ['In', 'Out', 'a', 'exit', 'get_ipython', 'open', 'quit']
    assert outputs(tmp_path / "o.ipynb") == ["", f"{names} {{}} ''\n"]
    counts = [c.execution_count for c in nbformat.read(str(tmp_path / "o.ipynb"), 4).cells]
    assert counts == [1, 2]


def _events_until_exit(zygote, pid: int | None = None) -> list[dict]:
    seen: list[dict] = []
    while not any("status" in e and e.get("pid") == pid for e in seen):
        event = zygote.events.get(timeout=60)
        seen.append(event)
        pid = pid or event.get("pid")
    return seen


@pytest.mark.parametrize("cell,ok", [("x = 1", True), ("x = 1 / 0", False), ("import os\nx = os.getpid()", True)])
def test_the_warm_parent_says_reported_before_the_exit(tmp_path: Path, cell: str, ok: bool) -> None:
    # The runner moves on at "reported" (the report is on disk; the process is only going
    # away) and ignores the exit that follows; both come, in this order, for every step.
    from kale_like.backends.local.zygote_client import Zygote
    from kale_like.runtime.cells import StepCell
    from kale_like.runtime.spec import StepSpec

    zygote = Zygote([], str(tmp_path / "zygote.log"), str(tmp_path))
    try:
        for n in range(3):  # the first from a fresh fork, the next from spares
            folder = tmp_path / f"e{n}"
            folder.mkdir()
            spec = StepSpec(step=f"s{n}", cells=(StepCell(0, cell, cell),), prelude=(), shared_cells=(), inputs={},
                            outputs=("x",), output_dir=str(folder / "values"), result_path=str(folder / "report.json"),
                            workdir=str(tmp_path), execution_counts={0: 1}, cell_sources={})
            (folder / "spec.pkl").write_bytes(pickle.dumps(spec))
            zygote.start(str(folder / "spec.pkl"))
            events = _events_until_exit(zygote)
            pid = events[0]["pid"]
            assert events == [{"spec": str(folder / "spec.pkl"), "pid": pid}, {"pid": pid, "reported": True},
                              {"pid": pid, "status": 0}]
            assert json.loads((folder / "report.json").read_text())["ok"] is ok
    finally:
        zygote.kill_all()
        zygote.close()


def test_a_step_process_that_fails_before_its_report_never_serves_requests(tmp_path: Path) -> None:
    # A forked process whose spec cannot even be read ends there (status 1, the traceback
    # in the warm parent's log), never in the warm parent's request loop or exit handlers;
    # the warm parent goes on serving.
    from kale_like.backends.local.zygote_client import Zygote
    from kale_like.runtime.cells import StepCell
    from kale_like.runtime.spec import StepSpec

    zygote = Zygote([], str(tmp_path / "zygote.log"), str(tmp_path))
    try:
        zygote.start(str(tmp_path / "nothing.pkl"), b"not a pickle")
        broken = _events_until_exit(zygote)
        assert [sorted(e) for e in broken] == [["pid", "spec"], ["pid", "status"]] and broken[1]["status"] == 1
        for n in range(3):
            folder = tmp_path / f"e{n}"
            folder.mkdir()
            spec = StepSpec(step=f"s{n}", cells=(StepCell(0, "x = 1", "x = 1"),), prelude=(), shared_cells=(),
                            inputs={}, outputs=("x",), output_dir=str(folder / "values"),
                            result_path=str(folder / "report.json"), workdir=str(tmp_path),
                            execution_counts={0: 1}, cell_sources={})
            zygote.start(str(folder / "spec.pkl"), pickle.dumps(spec))
            events = _events_until_exit(zygote)
            assert events[1] == {"pid": events[0]["pid"], "reported": True}
            assert json.loads((folder / "report.json").read_text())["ok"] is True
        assert "UnpicklingError" in (tmp_path / "zygote.log").read_text()
    finally:
        zygote.kill_all()
        zygote.close()


def test_events_about_an_earlier_runs_step_are_ignored(tmp_path: Path) -> None:
    # A reused warm parent may still tell of the last step of the run before (its exit
    # comes after its report, and the runner moved on at the report). If a step of this
    # run then got the same pid, that stale exit must not end it.
    import queue
    from types import SimpleNamespace

    from kale_like.backends import RunOptions
    from kale_like.backends.local.cache import entry_dir
    from kale_like.backends.local.runner import LocalRun, _Running

    nb = write_notebook(tmp_path / "nb.ipynb", "x = 1", "print(x)")
    run = LocalRun(kale_like.plan(str(nb), "cells"), RunOptions(workdir=str(tmp_path / "w")), lambda event: None)
    zygote = SimpleNamespace(events=queue.Queue())
    running = {"cell_1": _Running(step="cell_1", key="k1", started=0.0)}
    by_pid: dict[int, _Running] = {}
    for event in ({"pid": 4242, "reported": True}, {"pid": 4242, "status": 0},
                  {"spec": os.path.join(entry_dir(run.workdir, "k1"), "spec.pkl"), "pid": 4242}):
        zygote.events.put(event)
        run._wait(zygote, running, by_pid)  # type: ignore[arg-type]
    assert list(running) == ["cell_1"] and by_pid == {4242: running["cell_1"]}
    assert run.states["cell_1"].value == "waiting" and run.error is None


def test_inputs_written_in_this_run_are_trusted_cached_ones_are_verified(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", "a = 1", "b = a + 1", "c = b + a", "print(c)")
    workdir = tmp_path / "w"
    args = ["run", str(nb), "--split", "cells", "--workdir", str(workdir), "--out", str(tmp_path / "o.ipynb")]
    assert cli(*args).returncode == 0
    specs = _specs(workdir)
    for step in ("cell_2", "cell_3", "cell_4"):
        spec = specs[step]
        assert spec.inputs and sorted(spec.trusted_inputs) == sorted(set(spec.inputs.values())), step
    write_notebook(nb, "a = 1", "b = a + 1", "c = b + a + 0", "print(c)")  # cells 3 and 4 run again
    result = cli(*args)
    assert result.returncode == 0, result.stderr
    assert outputs(tmp_path / "o.ipynb")[3] == "3\n"
    specs = _specs(workdir)
    assert specs["cell_3"].trusted_inputs == ()  # a and b come from the earlier run's cache
    assert specs["cell_4"].trusted_inputs == (specs["cell_4"].inputs["c"],)


def _truncate(folder: Path, names: list[str]) -> None:
    for name in names:
        for path in folder.glob(name):
            path.write_bytes(b"")


@pytest.mark.parametrize("cut", [["values/meta.json"], ["values/values.pkl"], ["report.json"],
                                 ["report.json", "report.sum", "values/*"], ["report.sum"]])
def test_an_entry_a_crash_left_half_written_is_recomputed(tmp_path: Path, cut: list[str]) -> None:
    # Nothing is fsynced: after a machine crash a fresh entry's files may be empty. Each
    # such entry must be a miss (recomputed), never a wrong value or a failed run.
    nb = write_notebook(tmp_path / "nb.ipynb", "total = 40 + 2", "print(total)")
    workdir, out = tmp_path / "w", tmp_path / "o.ipynb"
    args = ["run", str(nb), "--split", "cells", "--workdir", str(workdir), "--out", str(out)]
    assert cli(*args).returncode == 0
    _truncate(entries(workdir)["cell_1"], cut)
    write_notebook(nb, "total = 40 + 2", "print(total)\n")  # the consumer runs again and loads total
    result = cli(*args)
    assert result.returncode == 0, result.stderr
    assert outputs(out) == ["", "42\n"]
    assert len(warnings_in(result.stderr)) <= 1
    again = cli(*args)
    assert again.returncode == 0 and warnings_in(again.stderr) == []
    assert "2 steps done" in again.stderr


@pytest.mark.parametrize("values", [{"x": 1}, {"s": "text", "n": None}, {"t": (1, 2.5, "a")}, {"big": 10**40}])
def test_a_small_value_is_saved_as_two_files_and_still_checked(tmp_path: Path, values: dict) -> None:
    group = tmp_path / "g"
    save_group(group, values, MarshalContext("s", {}))
    assert sorted(p.name for p in group.iterdir()) == ["meta.json", "values.pkl"]
    assert load_group(group) == values == load_group(group, verify=False)
    (group / "buffers.bin").write_bytes(b"")  # a file slipped in where none was written
    with pytest.raises(DamagedData, match="buffers.bin"):
        load_group(group)
    (group / "buffers.bin").unlink()
    (group / "values.pkl").write_bytes(b"")
    with pytest.raises(DamagedData, match="values.pkl"):
        load_group(group)


def test_arrays_still_get_their_buffer_file(tmp_path: Path) -> None:
    group = tmp_path / "g"
    save_group(group, {"a": np.arange(100_000.0), "n": 3}, MarshalContext("s", {}))
    assert sorted(p.name for p in group.iterdir()) == ["buffers.bin", "layout.json", "meta.json", "values.pkl"]
    loaded = load_group(group, verify=False)
    assert loaded["n"] == 3 and float(loaded["a"][99_999]) == 99_999.0
