"""The one error mapper: user errors are 400 with a diagnostic, the rest 500 with one line (no traceback)."""
from __future__ import annotations

import pytest

pytest.importorskip("tornado")

from tornado import web

from kale_like.errors import Location, TagError
from kale_like.server.errors import error_response
from kale_like.server.runs import RunConflict, UnknownRun, run_error_of


def test_user_error_is_400_with_its_location():
    status, body = error_response(TagError("invalid tag 'step:'", Location(cell=3, line=None), hint="see the README"))
    assert status == 400
    assert body["diagnostic"] == {"severity": "error", "message": "invalid tag 'step:' (see the README)",
                                  "cell": 3, "line": None, "step": None, "where": "cell 3"}
    assert "cell 3" in body["message"]


def test_bug_is_500_with_one_line_and_no_traceback():
    try:
        raise RuntimeError("kaboom")
    except RuntimeError as exc:
        status, body = error_response(exc)
    assert status == 500
    assert body["message"] == "RuntimeError: kaboom"
    assert "traceback" not in body and "Traceback" not in str(body)


@pytest.mark.parametrize("exc, status", [(web.HTTPError(404, "no notebook at '%s'", "x.ipynb"), 404),
                                         (UnknownRun("abc"), 404), (RunConflict("a.ipynb", "abc"), 409)])
def test_other_statuses(exc, status):
    code, body = error_response(exc)
    assert code == status
    assert body["message"]


def test_run_error_keeps_step_cell_line():
    # A user error that ends a run keeps its place; its traceback would be ours, so there is none.
    error = run_error_of(TagError("invalid tag", Location(cell=2, line=2, step="explode")))
    assert error["step"] == "explode" and error["cell"] == 2 and error["line"] == 2
    assert error["traceback"] == "" and error["where"] == "step 'explode', cell 2, line 2"


@pytest.mark.parametrize("hint, panel, flag", [
    ("check --host (or KF_PIPELINES_ENDPOINT) and that the server is running", "KFP host in the panel's Backend settings",
     "--host"),
    ("check --token / --cookie", "authentication in the panel's Backend settings", "--token"),
    ("put the cells that use it in one step, or split with --split auto", "Steps from: Auto in the panel", "--split"),
])
def test_errors_shown_in_the_panel_name_panel_controls_not_cli_flags(hint, panel, flag):
    from kale_like.kfp.submit import SubmitError

    status, body = error_response(SubmitError("cannot reach Kubeflow Pipelines", hint=hint))
    assert status == 400
    for text in (body["message"], body["diagnostic"]["message"], run_error_of(SubmitError("x", hint=hint))["message"]):
        assert panel in text
        assert flag not in text
