"""``--sweep``: one executed notebook per grid point, a summary CSV of the metrics, and
steps that do not depend on the swept values served from the shared cache."""
from __future__ import annotations

import csv

import pytest

from kale_like.cli.sweep import grid, parse_axes, run_sweep
from kale_like.errors import ParameterError

from pm_harness import make_notebook, nbformat, run_cli

SWEPT = [
    ("code", "alpha = 0.1\ndepth = 2\nseed = 0", ["parameters"]),
    ("markdown", "## Load"),
    ("code", "data = [x % 7 for x in range(200)]"),
    ("markdown", "## Features"),
    ("code", "feats = [x * 2 for x in data]\nprint(len(feats), 'features')"),
    ("markdown", "## Model"),
    ("code", "score = sum(feats) * alpha / depth\nprint(f'score {score:.3f}')"),
    ("markdown", "## Noise"),
    ("code", "jitter = seed * 10 + len(data)"),
    ("code", "score", ["pipeline-metrics"]),
]
FEATURE_SUM = sum((x % 7) * 2 for x in range(200))


def test_axes_parse_like_parameters():
    axes = parse_axes(["alpha=0.1,0.5,1", "name=a,b", "flag=True,None", "shape=[[1, 2], [3]]"])
    assert axes == {"alpha": [0.1, 0.5, 1], "name": ["a", "b"], "flag": [True, None], "shape": [[1, 2], [3]]}
    assert [p.values for p in grid({"a": [1, 2], "b": ["x", "y"]})] == [
        {"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 2, "b": "x"}, {"a": 2, "b": "y"}]


@pytest.mark.parametrize("spec", ["alpha", "alpha=", "2x=1,2", "alpha=[1, 2"])
def test_bad_axes_are_parameter_errors(spec):
    with pytest.raises(ParameterError):
        parse_axes([spec])


def test_duplicate_axis_is_an_error():
    with pytest.raises(ParameterError, match="twice"):
        parse_axes(["a=1", "a=2"])


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sweep")
    notebook = make_notebook(folder / "swept.ipynb", SWEPT)
    axes = {"alpha": [0.1, 0.5], "depth": [2, 4]}
    outcomes = run_sweep(str(notebook), axes, folder=str(folder / "out"), workdir=str(folder / "wd"))
    return notebook, folder, axes, outcomes


def test_every_point_runs_and_writes_its_notebook(swept):
    _, folder, _, outcomes = swept
    assert [o.ok for o in outcomes] == [True] * 4
    for outcome in outcomes:
        alpha, depth = outcome.point.values["alpha"], outcome.point.values["depth"]
        assert outcome.metrics == {"score": pytest.approx(FEATURE_SUM * alpha / depth)}
        nb = nbformat.read(outcome.output, as_version=4)
        injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
        assert f"alpha = {alpha}" in injected.source and f"depth = {depth}" in injected.source
    assert sorted(p.name for p in (folder / "out").glob("*.ipynb")) == [
        "swept-001-alpha=0.1-depth=2.ipynb", "swept-002-alpha=0.1-depth=4.ipynb",
        "swept-003-alpha=0.5-depth=2.ipynb", "swept-004-alpha=0.5-depth=4.ipynb"]


def test_steps_independent_of_swept_values_come_from_cache(swept):
    _, _, _, outcomes = swept
    assert outcomes[0].cached == []
    for outcome in outcomes[1:]:
        assert {"load", "features"} <= set(outcome.cached), outcome.states
        assert outcome.states["model"] == "succeeded"
        assert outcome.states["parameters"] == "succeeded"
        assert outcome.states["pipeline_metrics"] == "succeeded"


def test_steps_reading_only_unswept_parameters_come_from_cache(swept):
    _, _, _, outcomes = swept
    assert all(o.states["noise"] == "cached" for o in outcomes[1:])


def test_summary_has_one_row_per_point_with_metrics(swept, tmp_path):
    from kale_like.cli.sweep import write_summary

    _, _, axes, outcomes = swept
    path = write_summary(str(tmp_path / "summary.csv"), axes, outcomes)
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["point"], r["alpha"], r["depth"], r["ok"]) for r in rows] == [
        ("1", "0.1", "2", "True"), ("2", "0.1", "4", "True"), ("3", "0.5", "2", "True"), ("4", "0.5", "4", "True")]
    assert float(rows[3]["score"]) == pytest.approx(FEATURE_SUM * 0.5 / 4)
    assert rows[1]["cached_steps"].split(";")[:2] == ["load", "features"]


def test_repeating_a_sweep_serves_every_step_from_cache(swept):
    notebook, folder, axes, _ = swept
    again = run_sweep(str(notebook), axes, folder=str(folder / "again"), workdir=str(folder / "wd"))
    assert all(set(o.states.values()) == {"cached"} for o in again)
    assert [o.metrics for o in again] == [o.metrics for o in swept[3]]


def test_sweep_command_line(tmp_path):
    notebook = make_notebook(tmp_path / "swept.ipynb", SWEPT)
    out = tmp_path / "grid"
    done = run_cli("run", str(notebook), "--sweep", "alpha=0.2,0.4", "-p", "depth", "5", "--out", str(out),
                   "--workdir", str(tmp_path / "wd"))
    assert done.returncode == 0, done.stderr
    assert "point 2: ok; from cache: load, features" in done.stderr
    with open(out / "summary.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [float(r["score"]) for r in rows] == pytest.approx([FEATURE_SUM * 0.2 / 5, FEATURE_SUM * 0.4 / 5])
