"""Every bundled example runs as a pipeline and compiles to KFP IR, as a user would do it
(the CLI, from a copy of examples/), and the files are exactly what make_examples.py writes."""
from __future__ import annotations

import csv
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"


def _make_examples():
    spec = importlib.util.spec_from_file_location("make_examples", EXAMPLES / "make_examples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    """A copy: runs write next to the notebook and the user's files are never touched."""
    folder = tmp_path / "examples"
    shutil.copytree(EXAMPLES, folder, ignore=shutil.ignore_patterns("*.executed.ipynb", "*.sweep", "__pycache__"))
    return folder


def kale_like(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, XDG_CACHE_HOME=str(cwd.parent / "cache"))
    return subprocess.run([sys.executable, "-m", "kale_like", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def run_ok(notebook: str, cwd: Path, *extra: str) -> tuple[nbformat.NotebookNode, str]:
    out = f"out/{notebook}"
    done = kale_like("run", notebook, "--out", out, *extra, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return nbformat.read(cwd / out, as_version=4), done.stderr


def compile_ok(notebook: str, cwd: Path) -> tuple[dict, str]:
    """The pipeline spec (the IR's first document; a platform spec follows when steps have settings)."""
    target = cwd / "ir" / (Path(notebook).stem + ".yaml")
    done = kale_like("compile", notebook, "-o", str(target), cwd=cwd)
    assert done.returncode == 0, done.stderr
    return next(yaml.safe_load_all(target.read_text())), done.stderr


def outputs(cell) -> list[str]:
    return [o.get("output_type") + ":" + ",".join(sorted(o.get("data", {}))) for o in cell.outputs]


def text_of(cell) -> str:
    return "".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) for o in cell.outputs)


def tasks(ir: dict) -> set[str]:
    return set(ir["root"]["dag"]["tasks"])


def test_the_files_are_what_make_examples_writes():
    expected = _make_examples().render_all()
    for name, text in expected.items():
        assert (EXAMPLES / name).read_text(encoding="utf-8") == text, f"run python examples/make_examples.py ({name})"
        if name.endswith(".ipynb"):
            nbformat.validate(nbformat.reads(text, as_version=4))


def test_quickstart(examples: Path):
    executed, _ = run_ok("quickstart.ipynb", examples)
    assert "accuracy:" in "".join(text_of(c) for c in executed.cells if c.cell_type == "code")
    ir, _ = compile_ok("quickstart.ipynb", examples)
    assert {"load-data", "train"} <= tasks(ir)


def test_classifier_runs_with_its_parameters_metrics_and_plot(examples: Path):
    executed, _ = run_ok("classifier.ipynb", examples, "-p", "n_estimators", "20")
    code = [c for c in executed.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "every cell ran"
    assert any("image/png" in o for c in code for o in outputs(c)), "the confusion matrix is in the notebook"
    injected = next(c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert "n_estimators = 20" in injected.source
    accuracy = float(text_of(next(c for c in code if "accuracy = accuracy_score" in c.source)).split()[1].rstrip(","))
    assert 0.8 < accuracy <= 1.0
    ir, _ = compile_ok("classifier.ipynb", examples)
    assert {"load", "split", "train", "evaluate", "importances"} <= tasks(ir)
    assert set(ir["root"]["inputDefinitions"]["parameters"]) == {"n_estimators", "max_depth", "test_size", "seed"}


def test_exploration_reads_its_csv_and_branches_in_parallel(examples: Path):
    graph = kale_like("graph", "exploration.ipynb", "--format", "json", cwd=examples)
    assert graph.returncode == 0, graph.stderr
    steps = {s["name"]: s for s in yaml.safe_load(graph.stdout)["steps"]}
    branches = ["per_site_summary", "correlation", "spikes"]
    assert all(steps[b]["upstream"] == ["load"] for b in branches), steps
    executed, _ = run_ok("exploration.ipynb", examples, "--jobs", "3")
    printed = "".join(text_of(c) for c in executed.cells if c.cell_type == "code")
    assert "temperature/humidity correlation" in printed and "readings above" in printed
    sites = {row["site"] for row in csv.DictReader((examples / "sensors.csv").open())}
    assert all(site in printed for site in sites), "the per-site summary read the CSV beside the notebook"
    ir, _ = compile_ok("exploration.ipynb", examples)
    assert {"load", *(b.replace("_", "-") for b in branches)} <= tasks(ir)


def test_report_runs_as_a_sweep(examples: Path):
    done = kale_like("run", "report.ipynb", "--sweep", "region=north,south", "--sweep", "growth=0.02,0.05",
                     "--out", "grid", cwd=examples)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader((examples / "grid" / "summary.csv").open()))
    assert [(r["region"], r["growth"], r["ok"]) for r in rows] == [
        ("north", "0.02", "True"), ("north", "0.05", "True"), ("south", "0.02", "True"), ("south", "0.05", "True")]
    assert len({r["total"] for r in rows}) == 4
    # Only growth changed between points 1 and 2: the baseline step came from the cache.
    assert rows[1]["cached_steps"] == "baseline" and rows[3]["cached_steps"] == "baseline"
    for row in rows:
        report = nbformat.read(examples / row["notebook"], as_version=4)
        assert f"{row['region']}: next four weeks" in "".join(text_of(c) for c in report.cells if c.cell_type == "code")
    compile_ok("report.ipynb", examples)


def test_a_notebook_written_for_kale_runs_unchanged(examples: Path):
    source = (examples / "from_kale.ipynb").read_bytes()
    executed, stderr = run_ok("from_kale.ipynb", examples)
    assert (examples / "from_kale.ipynb").read_bytes() == source
    assert "winner: player" in "".join(text_of(c) for c in executed.cells if c.cell_type == "code")
    # The MiniKF-only settings are named, with what happens to them.
    assert "volumes[0] ('workspace-dice-abc12' at /home/jovyan) is a MiniKF clone" in stderr
    assert "left out and steps run without it" in stderr
    assert "snapshot_volumes" in stderr and "autosnapshot" in stderr
    # The cell with the empty "block:" tag continues the step above, as in Kale.
    graph = kale_like("graph", "from_kale.ipynb", "--format", "json", cwd=examples)
    steps = {s["name"]: s for s in yaml.safe_load(graph.stdout)["steps"]}
    assert [c for c in steps["play"]["cells"]] == [5, 6]
    assert set(steps["report"]["upstream"]) == {"summarise", "winner"}
    ir, compile_err = compile_ok("from_kale.ipynb", examples)
    assert "MiniKF clone" in compile_err
    assert {"play", "summarise", "winner", "report"} <= tasks(ir)
    written = (examples / "ir" / "from_kale.yaml").read_text()
    assert "workspace-dice-abc12" not in written
    # Kale's steps_defaults reach every step's pod on Kubeflow.
    platform = list(yaml.safe_load_all(written))[-1]["platforms"]["kubernetes"]["deploymentSpec"]["executors"]
    assert len(platform) >= 4 and all(e["podMetadata"]["labels"] == {"access-ml-pipeline": "true"}
                                      for e in platform.values())
