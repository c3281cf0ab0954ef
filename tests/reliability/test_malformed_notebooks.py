"""Malformed notebooks and bad paths get one clear error (issue 9, item 7): exit status 2
on the command line and a KaleLikeError from the API, never an internal error."""
from __future__ import annotations

import pytest

from kale_like import api
from kale_like.errors import KaleLikeError

from .input_harness import assert_one_clear_error, kale_like, write_notebook
from .malformed_cases import ALL_CASES, expected_word, file_bytes


@pytest.mark.parametrize("case", ALL_CASES)
def test_api_reads_malformed_notebook_cleanly(tmp_path, case):
    path = tmp_path / "bad.ipynb"
    path.write_bytes(file_bytes(case))
    word = expected_word(case)
    if word is None:
        assert api.plan(path).pipeline.steps  # odd but unambiguous: read as it stands
        return
    with pytest.raises(KaleLikeError) as raised:
        api.plan(path)
    assert word in raised.value.render()
    assert api.analyze(path)["diagnostics"][0]["severity"] == "error"


CLI_CASES = ["cell source an int", "cell source null", "language_info a list", "lone surrogate in source",
             "deep JSON", "step_defaults timeout text", "step_defaults retries text", "tag a number",
             "latin-1 bytes", "kale_like metadata a string"]


@pytest.mark.parametrize("case, command", [(case, "validate") for case in CLI_CASES]
                         + [(case, "run") for case in CLI_CASES[::3]])
def test_cli_gives_one_clear_error(tmp_path, case, command):
    path = tmp_path / "bad.ipynb"
    path.write_bytes(file_bytes(case))
    result = kale_like(command, "bad.ipynb", cwd=tmp_path)
    assert_one_clear_error(result, expected_word(case))
    assert str(tmp_path) not in result.stderr  # the path as the user wrote it
    assert not (tmp_path / "bad.executed.ipynb").exists()


def _valid(tmp_path):
    return write_notebook(tmp_path / "nb.ipynb", "x = 1", "print(x)")


@pytest.mark.parametrize("option, make, words", [
    ("--out", lambda t: (t / "folder").mkdir() or "folder", ["--out folder", "is a folder"]),
    ("--out", lambda t: (t / "file").write_text("x") and "file/out.ipynb", ["file is a file"]),
    ("--workdir", lambda t: (t / "file").write_text("x") and "file", ["--workdir file", "is a file"]),
    ("--workdir", lambda t: (t / "file").write_text("x") and "file/deeper/wd", ["file is a file"]),
])
def test_bad_output_paths_are_one_clear_error(tmp_path, option, make, words):
    _valid(tmp_path)
    result = kale_like("run", "nb.ipynb", option, make(tmp_path), cwd=tmp_path)
    assert_one_clear_error(result, *words)
    assert not (tmp_path / "nb.executed.ipynb").exists()


def test_missing_folders_of_out_and_workdir_are_created(tmp_path):
    _valid(tmp_path)
    result = kale_like("run", "nb.ipynb", "--out", "a/b/out.ipynb", "--workdir", "c/d", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "a" / "b" / "out.ipynb").is_file() and (tmp_path / "c" / "d").is_dir()


def test_bad_paths_through_the_api(tmp_path):
    path = _valid(tmp_path)
    (tmp_path / "folder").mkdir()
    for kwargs in ({"out": str(tmp_path / "folder")}, {"out": str(path / "x.ipynb")}, {"workdir": str(path)}):
        with pytest.raises(KaleLikeError):
            api.run(path, **kwargs)


def test_missing_notebook_keeps_the_relative_path(tmp_path):
    result = kale_like("validate", "sub/none.ipynb", cwd=tmp_path)
    assert_one_clear_error(result, "sub/none.ipynb: no such file")


def test_the_notebook_is_never_modified(tmp_path):
    path = tmp_path / "bad.ipynb"
    for case in ("cell source an int", "step_defaults timeout text"):
        written = file_bytes(case)
        path.write_bytes(written)
        kale_like("run", str(path))
        assert path.read_bytes() == written
