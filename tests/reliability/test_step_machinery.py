"""Issue 9 item 9: the per-step machinery made cheaper keeps every behaviour.

What a one-line step no longer pays for (a live-output file and thread when it prints
nothing, kale_like's own files going through the file audit, re-verifying values this
run wrote and watched finish) is checked here by what it leaves behind, never by timing
(the timing is ``bench/bench_scale.py``); and an entry a crash left half-written is a
cache miss, since nothing is fsynced.
"""
from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

import kale_like

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
