"""The run contract has one definition (``kale_like/contract.py``); the panel's wire types
(``labextension/src/wire.ts``) must say the same. These tests read the TypeScript and
fail when a state, an event field or an error field exists on one side only."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from kale_like.backends import BackendInfo, RunResult, backend_names
from kale_like.contract import (
    FinishedEvent,
    NoticeEvent,
    OutputEvent,
    PlanEvent,
    RunError,
    StepEvent,
    StepState,
    SubmittedEvent,
)

WIRE = Path(__file__).resolve().parents[2] / "labextension" / "src" / "wire.ts"
SERVER_ADDED = {"seq", "output_path", "output_url"}  # the server's run registry adds these to events


def _union(name: str) -> set[str]:
    match = re.search(rf"export type {name}\s*=([^;]+);", WIRE.read_text())
    assert match, f"no union type {name} in wire.ts"
    return set(re.findall(r"'([^']*)'", match.group(1)))


def _interface(name: str) -> dict[str, bool]:
    """Field -> required, for ``export interface NAME`` (with the fields it extends)."""
    text = WIRE.read_text()
    match = re.search(rf"export interface {name}(?:\s+extends\s+(\w+))?\s*\{{", text)
    assert match, f"no interface {name} in wire.ts"
    depth, body, i = 1, [], match.end()
    while depth:
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        body.append(text[i] if depth == 1 else ("\n" if text[i] == "\n" else " "))
        i += 1
    fields = {m.group(1): not m.group(2) for m in re.finditer(r"^\s*(\w+)(\??):", "".join(body), re.M)}
    return ({**_interface(match.group(1)), **fields}) if match.group(1) else fields


def _check(python_keys: set[str], interface: str) -> None:
    ts = _interface(interface)
    assert python_keys - set(ts) == set(), f"{interface} lacks fields the Python contract sends"
    required = {k for k, needed in ts.items() if needed}
    assert required - python_keys - SERVER_ADDED == set(), f"{interface} requires fields Python never sends"


FULL_ERROR = RunError("boom", step="s", cell=2, line=3, traceback="tb", hint="h", ename="E", evalue="v",
                      no_space="/tmp/full")


def test_step_states_are_the_same_on_both_sides():
    assert _union("StepState") == {s.value for s in StepState}


def test_the_run_error_has_the_same_fields():
    _check(set(FULL_ERROR.to_json()), "IRunError")
    _check(set(RunError("only a message").to_json()), "IRunError")


@pytest.mark.parametrize("event, interface", [
    (PlanEvent(("a", "b"), (("a", "b"),)), "IPlanEvent"),
    (StepEvent("a", StepState.FAILED, 1.0, attempt=2, error=FULL_ERROR), "IStepEvent"),
    (StepEvent("a", StepState.RUNNING), "IStepEvent"),
    (FinishedEvent(False, "out.ipynb", FULL_ERROR, {"m": 1.0}), "IFinishedEvent"),
    (NoticeEvent("waiting for the work directory"), "INoticeEvent"),
    (NoticeEvent("values damaged", "warning"), "INoticeEvent"),
    (OutputEvent("a", "stdout", "hello\n"), "IOutputEvent"),
    (SubmittedEvent("r-1", "http://kfp/#/runs/details/r-1"), "ISubmittedEvent"),
])
def test_every_event_has_the_same_fields(event, interface):
    body = event.to_json()
    _check(set(body), interface)
    literal = re.search(rf"export interface {interface}\b[^}}]*?\btype: ([^;]+);", WIRE.read_text(), re.S)
    assert literal and body["type"] in re.findall(r"'(\w+)'", literal.group(1))


def test_event_types_are_the_union_members():
    members = re.search(r"export type RunEvent\s*=([^;]+);", WIRE.read_text()).group(1)
    assert set(re.findall(r"I\w+Event", members)) == {"IPlanEvent", "IStepEvent", "INoticeEvent",
                                                                  "IOutputEvent", "ISubmittedEvent", "IFinishedEvent"}


def test_a_run_result_error_is_the_wire_form_of_its_failure():
    result = RunResult(ok=False, failure=FULL_ERROR)
    assert result.error == FULL_ERROR.to_json() and RunResult(ok=True).error is None


def test_backend_choices_have_the_same_fields_and_backend_is_not_a_hand_written_union():
    info = BackendInfo("x", lambda: None)  # type: ignore[arg-type,return-value]
    _check(set(info.to_json()), "IBackendChoice")
    assert not _union("Backend"), "the panel reads backend names from the server's registry"
    assert {"local", "kfp-local", "kfp"} <= set(backend_names())


def test_the_location_order_is_step_cell_line_everywhere():
    from kale_like.analysis.findings import Finding
    from kale_like.errors import KaleLikeError, Location

    assert str(Location(cell=2, line=3, step="s")) == "step 's', cell 2, line 3"
    assert FULL_ERROR.where == "step 's', cell 2, line 3"
    assert Finding("error", "x", "m", cell=2, line=3, step="s").render().startswith("error: step 's', cell 2, line 3")
    exc = KaleLikeError("m", Location(cell=2, line=3, step="s"))
    assert RunError.from_exception(exc).to_json()["cell"] == 2 and exc.render().startswith("step 's', cell 2")


def test_analyze_takes_a_notebook_already_read_and_says_the_same(tmp_path):
    import nbformat

    from kale_like import api
    from kale_like.notebook import load_notebook
    from tests.notebook_builder import build_notebook

    path = tmp_path / "nb.ipynb"
    nbformat.write(build_notebook(("x = 1", ["step:make"]), ("y = x + 1", ["step:use"])), str(path))
    from_file = api.analyze(path)
    assert api.analyze(load_notebook(path)) == from_file
    assert [s["name"] for s in from_file["steps"]] == ["make", "use"] and from_file["edges"] == [["make", "use"]]
