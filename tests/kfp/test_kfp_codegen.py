"""The generated component module: readable cells, self-contained steps, no values in source."""
from __future__ import annotations

import ast
import importlib.util
import json
import types

import pytest
import yaml

from kale_like.kfp.cellcode import cell_body, nested_function, string_assignment
from kale_like.runtime.kfp_entry import cell_text

from kfp_harness import compile_ir, executor, write_notebook

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")

TRICKY_CELLS = [
    'text = """first line\nsecond line at column 0\n    indented inside the string\n"""\nprint(text)',
    "def f(x):\n    # comment inside\n    return x * 2\n\n\n# a trailing comment at column 0",
    "if True:\n\tx = 1  # a tab-indented block\nprint(x)",
    "value = 1 + \\\n    2\nvalue",
    "   \nx = 'blank-ish first line'",
]


@pytest.mark.parametrize("code", TRICKY_CELLS)
def test_nested_function_reads_back_exactly(code, tmp_path):
    lines = nested_function("cell_1", code)
    assert lines is not None
    module = tmp_path / "m.py"
    module.write_text("def step():\n" + "\n".join(lines) + "\n    return cell_1\n")
    spec = importlib.util.spec_from_file_location("m_readback", module)
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    assert cell_text(loaded.step()) == cell_body(code)


@pytest.mark.parametrize("code", ["from math import *\nprint(pi)", "from __future__ import annotations",
                                  "%time x = 1"])
def test_code_that_cannot_be_a_body_is_a_string_that_reads_back(code):
    if nested_function("cell_1", code) is None:
        namespace: dict = {}
        exec("\n".join(line[4:] for line in string_assignment("cell_1", code)), namespace)  # noqa: S102
        assert cell_text(namespace["cell_1"]) == cell_body(code)


def test_module_holds_cells_as_code_with_imports_inside(tmp_path):
    path = write_notebook(tmp_path, ("import math", ["imports"]), "radius = 2\narea = math.pi * radius ** 2",
                          "print(round(area, 2))")
    compiled, ir, _ = compile_ir(path, split="cells", dsl=True, image="registry.example/step:1")
    source = open(compiled.module_path).read()
    tree = ast.parse(source)
    functions = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}
    step = functions[compiled.components[0].function]
    nested = [n.name for n in step.body if isinstance(n, ast.FunctionDef)]
    assert nested == ["shared_cell_1", "cell_2"]
    assert "        radius = 2\n        area = math.pi * radius ** 2\n" in source
    assert any(isinstance(n, ast.ImportFrom) and n.module == "kale_like.runtime" for n in step.body)
    embedded = executor(ir, compiled.components[0].function)["container"]["command"][-1]
    assert "def cell_2():\n        radius = 2" in embedded
    assert "packages_to_install" not in embedded and "pip install" not in " ".join(
        executor(ir, compiled.components[0].function)["container"]["command"][:-1])


def test_dsl_module_compiles_to_the_same_ir_on_its_own(tmp_path):
    import subprocess
    import sys

    path = write_notebook(tmp_path, ("n = 3\nname = 'x'", ["parameters"]), "print(n * 2, name)")
    compiled, ir, _ = compile_ir(path, dsl=True)
    again = tmp_path / "again.yaml"
    subprocess.run([sys.executable, compiled.module_path, str(again)], check=True, capture_output=True)
    first = yaml.safe_load(open(compiled.package_path))
    second = yaml.safe_load(open(again))
    assert first["root"] == second["root"] and first["deploymentSpec"] == second["deploymentSpec"]
    assert json.load(open(compiled.module_path.replace(".py", ".parameters.json"))) == {"n": 3, "name": "x"}


INJECTION = '"; import os; os.system("touch PWNED") #'


def test_parameter_values_are_data_never_source(tmp_path):
    path = write_notebook(tmp_path, (f"label = {INJECTION!r}\ncount = 2", ["parameters"]),
                          "print(label * count)")
    compiled, ir, _ = compile_ir(path, parameters={"count": 3}, dsl=True)
    source = open(compiled.module_path).read()
    assert "touch PWNED" not in source.replace(repr(INJECTION), "")  # only inside the user's own cell
    assert ir["root"]["inputDefinitions"]["parameters"]["label"] == {
        "defaultValue": INJECTION, "parameterType": "STRING"}
    for body in ir["deploymentSpec"]["executors"].values():
        assert "touch PWNED" not in body["container"]["command"][-1].replace(repr(INJECTION), "")
    assert not (tmp_path / "PWNED").exists()


def test_unusual_names_become_valid_kfp_names(tmp_path):
    path = write_notebook(tmp_path, ("_private = 1\nkale_html = 2", ["parameters"]),
                          "dsl = _private + kale_html", "print(dsl)")
    compiled, ir, _ = compile_ir(path, split="cells")
    assert set(ir["root"]["inputDefinitions"]["parameters"]) == {"v_private", "kale_html_param"}
    producer = next(c for c in compiled.components if "dsl" in {s.name for s in c.outputs})
    assert producer.function not in ("dsl",) and [s.arg for s in producer.outputs] == ["dsl"]


def test_cells_that_do_not_read_back_fall_back_to_strings(tmp_path, monkeypatch):
    import kale_like.kfp.compile as compile_module

    real = compile_module.cell_text
    monkeypatch.setattr(compile_module, "cell_text", lambda fn: real(fn) + "# changed")
    path = write_notebook(tmp_path, "x = 'café'\nprint(x)", "y = 2")
    compiled, ir, _ = compile_ir(path, dsl=True)
    source = open(compiled.module_path).read()
    assert "    cell_1 = r'''x = 'café'\nprint(x)\n'''" in source  # only cells with unusual characters are checked
    assert "    def cell_2():\n        y = 2\n" in source


def test_oversized_step_is_refused_with_the_reason(tmp_path):
    from kale_like.errors import PipelineError

    big = "data = " + repr("x" * 130_000) + "\nprint(len(data))"
    path = write_notebook(tmp_path, big)
    with pytest.raises(PipelineError, match="one command-line argument"):
        compile_ir(path)


def test_nested_cells_never_run_when_the_module_is_imported(tmp_path):
    path = write_notebook(tmp_path, "raise SystemExit('cell ran at import')")
    compiled, _, _ = compile_ir(path, dsl=True)
    spec = importlib.util.spec_from_file_location("generated_check", compiled.module_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert isinstance(module.pipeline, object)
    assert isinstance(getattr(module, compiled.components[0].function).python_func, types.FunctionType)


def test_local_modules_travel_inside_the_components(tmp_path):
    (tmp_path / "helpers.py").write_text("def double(x):\n    return 2 * x\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("VALUE = 1\n")
    path = write_notebook(tmp_path, "import helpers\nfrom pkg import VALUE\nprint(helpers.double(VALUE))")
    compiled, ir, _ = compile_ir(path)
    assert [p.rsplit("/", 1)[-1] for p in compiled.requirements.local] == ["helpers.py", "pkg"]
    source = executor(ir, compiled.components[0].function)["container"]["command"][-1]
    assert "__KFP_EMBEDDED_ARCHIVE_B64" in source and "sys.path.insert(0, __KFP_EMBEDDED_ASSET_DIR)" in source


def test_names_that_would_shadow_the_module_are_renamed(tmp_path):
    path = write_notebook(tmp_path, ("clean = 1\ndsl = 2", ["parameters"]),
                          ("kfp_entry = clean + dsl", ["step:clean"]), ("print(kfp_entry)", ["step:report", "prev:clean"]))
    compiled, ir, _ = compile_ir(path, split="tags", dsl=True)
    assert set(ir["root"]["inputDefinitions"]["parameters"]) == {"clean", "dsl_param"}
    assert {c.step: c.function for c in compiled.components} == {"clean": "clean_step", "report": "report"}
    assert [s.arg for s in compiled.component("clean").outputs] == ["kfp_entry_2"]
