"""One-call harnesses for the KFP layer.

``write_notebook(folder, *cells)`` builds a notebook with nbformat; ``compile_ir(path)``
compiles it and returns the two IR documents; ``assert_same_as_local(path)`` runs a
notebook through the local backend and through kfp-local (the compiled IR under
``kfp.local``) and compares the executed notebooks cell by cell.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import nbformat
import yaml

from kale_like import api
from kale_like.kfp.options import CompileOptions

from faithfulness.outputs import Normalizer, compare_notebooks
from notebook_builder import build_notebook

TESTS = Path(__file__).resolve().parents[1]

REPO = TESTS.parent


def write_notebook(folder: Path, *cells: Any, name: str = "nb.ipynb", metadata: dict | None = None) -> Path:
    """Cells are sources, ``(source, [tags])`` pairs, or ``("# md", "markdown")``."""
    notebook = build_notebook(*cells, metadata=metadata)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    nbformat.write(notebook, str(path))
    return path


def compile_ir(path: Path, split: str = "auto", parameters: dict | None = None, dsl: bool = False,
               **options: Any) -> tuple[Any, dict, dict]:
    """(CompiledPipeline, the pipeline spec document, the platform document or {})."""
    output = path.with_suffix(".yaml")
    compiled = api.compile(path, output, split=split, parameters=parameters,
                           dsl=path.with_name(path.stem + "_pipeline.py") if dsl else None,
                           options=CompileOptions(parameters=dict(parameters or {}), **options))
    with open(output, encoding="utf-8") as handle:
        documents = list(yaml.safe_load_all(handle))
    return compiled, documents[0], (documents[1] if len(documents) > 1 else {})


def executor(ir: dict, step_function: str) -> dict:
    return ir["deploymentSpec"]["executors"][f"exec-{step_function.replace('_', '-')}"]


def task(ir: dict, step_function: str) -> dict:
    return ir["root"]["dag"]["tasks"][step_function.replace("_", "-")]


def platform_executor(platform: dict, step_function: str) -> dict:
    return platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"][f"exec-{step_function.replace('_', '-')}"]


def run_both(path: Path, tmp: Path, split: str = "auto", parameters: dict | None = None):
    """Run the notebook with the local backend and with kfp-local, each in its own copy of
    the notebook's folder (so files one run writes cannot help the other); return both results."""
    results = []
    for backend in ("local", "kfp-local"):
        folder = tmp / f"{backend}-folder"
        shutil.copytree(path.parent, folder)
        results.append(api.run(folder / path.name, out=str(tmp / f"{backend}.ipynb"), split=split,
                               parameters=parameters, backend=backend, workdir=str(tmp / f"{backend}-work")))
    return results[0], results[1]


def assert_same_as_local(path: Path, tmp: Path, split: str = "auto", parameters: dict | None = None,
                         expect_ok: bool = True):
    """kfp-local's executed notebook shows what the local backend's shows, cell by cell."""
    local, kfp = run_both(path, tmp, split, parameters)
    assert local.ok is expect_ok, local.error
    assert kfp.ok is expect_ok, kfp.error
    expected = nbformat.read(local.output, as_version=4)
    actual = nbformat.read(kfp.output, as_version=4)
    assert len(expected.cells) == len(actual.cells)
    normalizer = Normalizer(folder_paths=[str(tmp / "local-folder"), str(tmp / "kfp-local-folder")])
    differences = compare_notebooks(expected, actual, normalizer, [])
    assert not differences, "\n\n".join(d.describe() for d in differences)
    return local, kfp
