"""Run history: recent runs of a notebook survive a browser reload and a server restart
(records in the run's work directory); live step output reaches the event stream."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from kale_like.server import history
from kale_like.server.runs import RunRegistry

from .conftest import FAILING, TWO_STEPS, notebook_json
from .test_handlers import call, events_of, start_run


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


async def test_history_lists_this_notebooks_runs_with_parameters_states_and_durations(jp_fetch, write_notebook):
    write_notebook("demo.ipynb", TWO_STEPS)
    write_notebook("other.ipynb", TWO_STEPS)
    first = await start_run(jp_fetch, "demo.ipynb", parameters={"n": 3})
    await events_of(jp_fetch, first["id"])
    other = await start_run(jp_fetch, "other.ipynb")
    await events_of(jp_fetch, other["id"])
    write_notebook("demo.ipynb", FAILING)
    second = await start_run(jp_fetch, "demo.ipynb")
    await events_of(jp_fetch, second["id"])

    status, runs = await call(jp_fetch, "GET", "runs", params={"path": "demo.ipynb"})
    assert status == 200
    assert [r["id"] for r in runs] == [second["id"], first["id"]]  # newest first, this notebook only
    assert [r["state"] for r in runs] == ["failed", "succeeded"]
    assert runs[1]["parameters"] == {"n": 3}
    assert runs[1]["steps"]["make"]["state"] == "succeeded" and runs[1]["steps"]["make"]["elapsed"] > 0
    assert runs[1]["result"]["output_path"] == "demo.executed.ipynb"
    assert runs[1]["finished"] >= runs[1]["started"]


async def test_history_survives_a_server_restart_and_marks_runs_it_lost_interrupted(jp_fetch, write_notebook,
                                                                                   jp_serverapp, jp_root_dir):
    write_notebook("demo.ipynb", TWO_STEPS)
    done = await start_run(jp_fetch, "demo.ipynb")
    await events_of(jp_fetch, done["id"])
    folder = history.history_dir(str(jp_root_dir / "demo.ipynb"))
    # a run that was going when its server died: recorded as running, followed by no one
    recorded = json.loads(Path(folder, f"{done['id']}.json").read_text(encoding="utf-8"))
    lost = dict(recorded, id="0123456789ab", state="running", started=1.0, result=None)
    history.save(folder, lost)

    jp_serverapp.web_app.settings["kale_like_runs"] = RunRegistry()  # what a restarted server starts with
    status, runs = await call(jp_fetch, "GET", "runs", params={"path": "demo.ipynb"})
    assert status == 200
    assert [(r["id"], r["state"]) for r in runs] == [(done["id"], "succeeded"), ("0123456789ab", "interrupted")]


async def test_history_keeps_a_bounded_number_of_records(tmp_path):
    for i in range(history.KEEP + 5):
        history.save(str(tmp_path), {"id": f"{i:012x}", "started": i, "state": "succeeded"})
    kept = history.load(str(tmp_path))
    assert len(kept) == history.KEEP
    assert kept[0]["id"] == f"{history.KEEP + 4:012x}"


@pytest.mark.parametrize("path", ["../x.ipynb", "/etc/x.ipynb", "missing.ipynb"])
async def test_history_of_a_path_outside_the_root_or_missing_is_refused(jp_fetch, path):
    status, body = await call(jp_fetch, "GET", "runs", params={"path": path})
    assert status in (400, 404) and body["message"]


async def test_live_step_output_is_in_the_event_stream(jp_fetch, write_notebook):
    write_notebook("chatty.ipynb", notebook_json(("import sys\nprint('hello')\nprint('oops', file=sys.stderr)\nx = 1",
                                                  ["step:chatty"]), ("print(x + 1)", ["step:after"])))
    run = await start_run(jp_fetch, "chatty.ipynb")
    events = await events_of(jp_fetch, run["id"])
    outputs = [(e["step"], e["name"], e["text"]) for e in events if e["type"] == "output"]
    assert ("chatty", "stdout", "hello\n") in outputs and ("chatty", "stderr", "oops\n") in outputs
    assert ("after", "stdout", "2\n") in outputs
    chatty_done = next(i for i, e in enumerate(events) if e.get("step") == "chatty" and e.get("state") == "succeeded")
    assert max(i for i, e in enumerate(events) if e["type"] == "output" and e["step"] == "chatty") < chatty_done
