"""Artifact types and alias bundles come from the plan, and typing a long chain of steps
is a loop (a 3,000-step ``--split cells`` chain once hit Python's recursion limit when a
late step was typed first)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from kale_like.kfp.kinds import DATASET, MODEL, ArtifactTypes, alias_bundles
from kale_like.notebook import notebook_from_node
from kale_like.planning import build_plan

from notebook_builder import build_notebook

CHAIN = 3000
# The compile through the real kfp compiler costs ~0.06 s and 80 KB of YAML per step (each component
# carries the runtime); 1,200 steps is past the recursion limit the in-process test guards and keeps
# this test under a minute of CI (42 s here, against 3 min for 3,000).
COMPILE_CHAIN = 1200


def _chain_cells(length: int) -> list[str]:
    return ["import pandas as pd\nx = pd.DataFrame({'a': [0]})"] + ["x = x + 1"] * (length - 1)


def _plan(*cells, split: str = "cells"):
    return build_plan(notebook_from_node(build_notebook(*cells)), split)


def _types(plan) -> ArtifactTypes:
    indices = sorted({c.cell_index for s in plan.pipeline.steps for c in s.cells})
    analyses, ctx = plan.analyses_of(indices)
    return ArtifactTypes(plan.pipeline, analyses, ctx)


def test_the_last_step_of_a_long_chain_is_typed_first_without_recursion():
    plan = _plan(*_chain_cells(CHAIN))
    pipeline = plan.pipeline
    assert len(pipeline.steps) == CHAIN
    types = _types(plan)
    assert types.of(pipeline.step(pipeline.order[-1]), "x") == DATASET
    assert types.of(pipeline.step(pipeline.order[CHAIN // 2]), "x") == DATASET


@pytest.mark.parametrize("cells,name,kind", [
    (["from sklearn.linear_model import LogisticRegression\nm = LogisticRegression()", "m = m.fit([[0]], [0])",
      "n = m"], "m", MODEL),
    (["import numpy as np\na = np.zeros(3)", "b = a.sum()", "c = b"], "b", DATASET),
    (["import pandas as pd\nd = pd.read_csv('f.csv')", "e = d[d.a > 0]", "f = e"], "e", DATASET),
    (["import random\nr = random.random()", "s = r * 2", "t = s"], "s", "Artifact"),
])
def test_types_travel_down_the_chain(cells, name, kind):
    """The last step's input has the type its producer's code gives it (typed last step first)."""
    plan = _plan(*cells)
    last = plan.pipeline.step(plan.pipeline.order[-1])
    assert name in {i.name for i in last.inputs}
    assert _types(plan).of(last, name) == kind


def test_alias_bundles_are_the_plans_alias_classes():
    plan = _plan(("x = [1]\ny = x\nz = [2]", ["step:make"]), ("print(x, y, z)", ["step:use"]), split="tags")
    assert plan.alias_classes["x"] == plan.alias_classes["y"] == frozenset({"x", "y"})
    assert alias_bundles(plan.pipeline, plan.alias_classes)["make"] == (("x", "y"),)
    assert alias_bundles(plan.pipeline, plan.alias_classes)["use"] == ()


def _component_block(yaml_path: Path, component: str) -> str:
    """One component's definition, read line by line (the file is hundreds of megabytes)."""
    lines, inside = [], False
    with yaml_path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.startswith(f"  {component}:"):
                inside = True
            elif inside and (re.match(r"  \S", line) or not line.startswith(" ")):
                break
            if inside:
                lines.append(line)
    return "".join(lines)


@pytest.mark.kfp
def test_a_long_cells_chain_compiles_with_the_kfp_compiler(tmp_path):
    path = tmp_path / "chain.ipynb"
    nbformat.write(build_notebook(*_chain_cells(COMPILE_CHAIN)), path)
    out = tmp_path / "chain.yaml"
    try:
        result = subprocess.run([sys.executable, "-m", "kale_like", "compile", str(path), "--split", "cells",
                                 "-o", str(out)], capture_output=True, text=True, timeout=1800)
        assert result.returncode == 0, result.stderr[-3000:]
        assert f"{COMPILE_CHAIN} components compiled" in result.stdout + result.stderr
        _assert_types(out)
    finally:
        out.unlink(missing_ok=True)  # a few hundred megabytes: not left for pytest's kept temp folders


def _assert_types(out: Path) -> None:
    """x is a Dataset from the first step to the last: typed through the whole chain."""
    dataset = r"\s+artifactType:\n\s+schemaTitle: system\.Dataset"
    middle = _component_block(out, f"comp-cell-{COMPILE_CHAIN // 2}")
    assert re.search(r"inputDefinitions:\n\s+artifacts:\n\s+x_in:" + dataset, middle), middle[:2000]
    assert re.search(r"outputDefinitions:\n\s+artifacts:(\n.*)*\n\s+x:" + dataset, middle), middle[:2000]
    last = _component_block(out, f"comp-cell-{COMPILE_CHAIN}")
    assert re.search(r"inputDefinitions:\n\s+artifacts:\n\s+x:" + dataset, last), last[:2000]
