"""papermill's values on a Kale ``pipeline-parameters`` cell, with the kale_like engine.

The reference is papermill itself: the same notebook with papermill's ``parameters`` tag,
run by papermill's default engine. Both must place the injected cell in the same spot,
compute the same outputs and report the same unknown parameters, in papermill's words."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest

from pm_harness import assert_same_notebooks, make_notebook, nbformat, papermill, run_cli, run_papermill

UNKNOWN = "Passed unknown parameter: "
NO_CELL = "Input notebook does not contain a cell with tag 'parameters'"


def kale_notebook(path: Path, tag: str, extra_parameter_cells: int = 0) -> Path:
    """Written for Kale: imports, a parameters cell, block:/prev: steps. ``tag`` names the parameters cell."""
    cells = [("code", "import math", ["imports"]),
             ("code", "alpha = 1\nbeta = 'kale'\nsizes = [1, 2]", [tag])]
    cells += [("code", f"extra{n} = {n}", [tag]) for n in range(extra_parameter_cells)]
    cells += [("markdown", "## Train"),
              ("code", "score = alpha * 2 + math.floor(len(sizes))\nprint(score, beta, sizes)", ["block:train"]),
              ("code", "print('report', score)", ["block:report", "prev:train"])]
    return make_notebook(path, cells)


def as_papermill_wrote(nb, kale_index: int):
    """papermill's notebook with the Kale tag where it had ``parameters``: what ours must equal."""
    tags = nb.cells[kale_index].metadata["tags"]
    nb.cells[kale_index].metadata["tags"] = ["pipeline-parameters" if t == "parameters" else t for t in tags]
    return nb


def warnings_from(caplog, start: int = 0) -> list[str]:
    return sorted(r.getMessage() for r in caplog.records[start:]
                  if r.name == "papermill" and (r.getMessage().startswith(UNKNOWN) or r.getMessage() == NO_CELL))


def injected_index(nb) -> int:
    return next(i for i, c in enumerate(nb.cells) if "injected-parameters" in c.metadata.get("tags", []))


CASES = {
    "known": {"alpha": 100000},
    "known-and-unknown": {"alpha": 2, "beta": "it's", "gamma": 3},
    "only-unknown": {"gamma": 3, "delta": [1]},
    "every-type": {"alpha": 0.5, "beta": None, "sizes": {"a": [1, 2, 3]}},
}


@pytest.mark.kernel
@pytest.mark.parametrize("case", list(CASES))
def test_kale_cell_gets_values_as_papermill_gives_a_parameters_cell(tmp_path, workdir, caplog, case):
    values = CASES[case]
    caplog.set_level(logging.WARNING, logger="papermill")
    reference = run_papermill(kale_notebook(tmp_path / "papermill.ipynb", "parameters"), tmp_path / "ref.ipynb",
                              None, values)
    expected_warnings = warnings_from(caplog)
    mark = len(caplog.records)
    ours = run_papermill(kale_notebook(tmp_path / "kale.ipynb", "pipeline-parameters"), tmp_path / "ours.ipynb",
                         "kale_like", values)
    assert reference.error is None and ours.error is None
    assert_same_notebooks(as_papermill_wrote(reference.nb, 1), ours.nb)
    assert injected_index(ours.nb) == 2
    assert warnings_from(caplog, mark) == expected_warnings
    assert expected_warnings == sorted(UNKNOWN + n for n in values if n not in ("alpha", "beta", "sizes"))
    written = nbformat.read(tmp_path / "ours.ipynb", as_version=4)
    assert written.cells[1].metadata["tags"] == ["pipeline-parameters"], "the user's tags, nothing borrowed"
    assert all("kale_like_adopted_parameters_tag" not in c.metadata for c in written.cells)


@pytest.mark.kernel
def test_command_line_values_from_every_option(tmp_path, workdir):
    """-p, -r, -f and -y through ``kale-like papermill`` and through ``papermill`` on the reference."""
    import subprocess
    import sys

    (tmp_path / "params.yaml").write_text("sizes: [4, 5]\nzeta: 1\n")
    options = ["-p", "alpha", "7", "-r", "beta", "0.5", "-f", str(tmp_path / "params.yaml"), "-y", "omega: 2"]
    kale_notebook(tmp_path / "papermill.ipynb", "parameters")
    kale_notebook(tmp_path / "kale.ipynb", "pipeline-parameters")
    reference = subprocess.run([sys.executable, "-m", "papermill", "papermill.ipynb", "ref.ipynb", *options],
                               cwd=tmp_path, capture_output=True, text=True, timeout=300)
    ours = run_cli("papermill", "kale.ipynb", "ours.ipynb", *options, cwd=tmp_path)
    assert reference.returncode == 0 and ours.returncode == 0, ours.stderr

    def reported(stderr: str) -> list[str]:
        return sorted(line for line in stderr.splitlines() if line.startswith(UNKNOWN) or line == NO_CELL)

    assert reported(ours.stderr) == reported(reference.stderr) == [UNKNOWN + "omega", UNKNOWN + "zeta"]
    expected = as_papermill_wrote(nbformat.read(tmp_path / "ref.ipynb", as_version=4), 1)
    actual = nbformat.read(tmp_path / "ours.ipynb", as_version=4)
    assert_same_notebooks(expected, actual)
    assert "16 0.5 [4, 5]" in "".join(o.get("text", "") for o in actual.cells[4].outputs)


def prepared(path: Path, engine: str | None, values: dict, caplog) -> tuple[object, list[str]]:
    """papermill's parameterization alone (``prepare_only``): no kernel, no run."""
    mark = len(caplog.records)
    nb = papermill.execute_notebook(str(path), str(path.with_suffix(".out.ipynb")), parameters=values,
                                    engine_name=engine, prepare_only=True, progress_bar=False)
    return nb, warnings_from(caplog, mark)


def test_the_default_engine_keeps_papermills_behaviour_on_kale_cells(tmp_path, caplog):
    """Only the kale_like engine adopts the Kale cell; papermill's own engine is untouched."""
    caplog.set_level(logging.WARNING, logger="papermill")
    notebook = kale_notebook(tmp_path / "kale.ipynb", "pipeline-parameters")
    nb, reported = prepared(notebook, None, {"alpha": 5}, caplog)
    assert injected_index(nb) == 0
    assert reported == [NO_CELL, UNKNOWN + "alpha"]
    nb, reported = prepared(notebook, "kale_like", {"alpha": 5}, caplog)
    assert injected_index(nb) == 2 and reported == []


def test_the_first_kale_cell_is_the_one_as_papermill_takes_the_first(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="papermill")
    notebook = kale_notebook(tmp_path / "kale.ipynb", "pipeline-parameters", extra_parameter_cells=2)
    nb, reported = prepared(notebook, "kale_like", {"alpha": 5, "extra1": 9}, caplog)
    assert injected_index(nb) == 2
    assert reported == [UNKNOWN + "extra1"]  # papermill inspects its first parameters cell only


def test_a_papermill_parameters_cell_wins_over_a_kale_cell(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="papermill")
    nb = nbformat.read(kale_notebook(tmp_path / "both.ipynb", "pipeline-parameters"), as_version=4)
    nb.cells.insert(3, nbformat.v4.new_code_cell("theta = 1", metadata={"tags": ["parameters"]}))
    nbformat.write(nb, tmp_path / "both.ipynb")
    prepared_nb, reported = prepared(tmp_path / "both.ipynb", "kale_like", {"alpha": 5, "theta": 2}, caplog)
    assert injected_index(prepared_nb) == 4
    assert reported == [UNKNOWN + "alpha"]
    assert prepared_nb.cells[1].metadata["tags"] == ["pipeline-parameters"]
