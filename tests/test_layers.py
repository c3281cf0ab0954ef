"""The architecture as a checked contract: data flows one way through the layers that
pyproject.toml's ``[tool.importlinter]`` lists (import-linter checks them, function-level
imports included), no module takes part in an import cycle, the step runtime and the
marshal need only the standard library at module level, and the panel's TypeScript has
no import cycles either."""
from __future__ import annotations

import ast
import graphlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import grimp

REPO = Path(__file__).resolve().parents[1]
PANEL = REPO / "labextension" / "src"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
# What the step process may import at module level besides the standard library: the
# runtime runs cells in an IPython shell (traitlets is how that shell is configured).
STEP_MODULE_LEVEL = {"runtime": {"IPython", "traitlets"}, "marshal": set()}
STEP_INTERNAL = {"kale_like.runtime", "kale_like.marshal", "kale_like.errors", "kale_like.nbformat_loader"}


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=root, env=env, capture_output=True, text=True,
                          timeout=300)


def test_the_layers_contracts_hold():
    done = _lint_imports(REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_a_lower_layer_importing_a_higher_one_breaks_the_contract(tmp_path):
    """The contract catches an upward import at module level and one hidden in a function."""
    shutil.copytree(REPO / "kale_like", tmp_path / "kale_like",
                    ignore=shutil.ignore_patterns("labextension", "__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    with open(tmp_path / "kale_like" / "notebook" / "model.py", "a", encoding="utf-8") as handle:
        handle.write("\nfrom ..backends import get_backend  # noqa\n")
    with open(tmp_path / "kale_like" / "runtime" / "memory.py", "a", encoding="utf-8") as handle:
        handle.write("\n\ndef _late():\n    from ..contract import RunError  # noqa\n")
    done = _lint_imports(tmp_path)
    assert done.returncode == 1, done.stdout
    assert "kale_like.notebook.model -> kale_like.backends" in done.stdout
    assert "kale_like.runtime.memory -> kale_like.contract" in done.stdout


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of ``graph`` (module -> what it imports), or [] when there is none."""
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as found:
        return list(found.args[1])
    return []


def test_no_python_module_takes_part_in_an_import_cycle():
    graph = grimp.build_graph("kale_like", cache_dir=None)
    imports = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    assert len(imports) > 100  # the whole package, subpackages included
    assert _cycle(imports) == []


def test_the_cycle_finder_finds_cycles():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": set()}) == []
    assert set(_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}})) == {"a", "b", "c"}
    assert _cycle({"a": {"a"}}) == ["a", "a"]


def _module_level_imports(path: Path) -> list[tuple[int, str, int]]:
    """(line, module, level) of every import that runs when the module is imported
    (``from .. import a, b`` gives the modules ``a`` and ``b``)."""
    found = []
    stack = list(ast.parse(path.read_text(encoding="utf-8")).body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue  # runs when called, not on import
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, 0) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules = [node.module] if node.module else [alias.name for alias in node.names]
            found += [(node.lineno, module, node.level) for module in modules]
        else:
            stack.extend(ast.iter_child_nodes(node))
    return found


def _step_import_problems(package: Path, allowed_external: set[str]) -> list[str]:
    problems = []
    for path in sorted(package.glob("*.py")):
        for line, module, level in _module_level_imports(path):
            if level == 0:
                top = module.split(".")[0]
                if top != "__future__" and top not in sys.stdlib_module_names and top not in allowed_external:
                    problems.append(f"{path.name}:{line} imports {module}")
                continue
            base = ["kale_like", package.name][: 3 - level]
            target = ".".join(base + [module])
            if not any(target == m or target.startswith(m + ".") for m in STEP_INTERNAL):
                problems.append(f"{path.name}:{line} imports {target}")
    return problems


def test_the_step_runtime_and_the_marshal_import_only_the_standard_library_at_module_level():
    for name, allowed in STEP_MODULE_LEVEL.items():
        assert _step_import_problems(REPO / "kale_like" / name, allowed) == [], name


def test_the_step_import_check_sees_third_party_and_upward_imports(tmp_path):
    package = tmp_path / "runtime"
    package.mkdir()
    (package / "ok.py").write_text("import os\nfrom . import spec\nfrom ..marshal import codec\n"
                                   "def f():\n    import numpy\n")
    (package / "bad.py").write_text("try:\n    import numpy\nexcept ImportError:\n    pass\n"
                                    "from ..pipeline import Step\nfrom .. import api\n")
    assert sorted(_step_import_problems(package, set())) == [
        "bad.py:2 imports numpy", "bad.py:5 imports kale_like.pipeline", "bad.py:6 imports kale_like.api"]
    assert sorted(_step_import_problems(package, {"numpy"})) == [
        "bad.py:5 imports kale_like.pipeline", "bad.py:6 imports kale_like.api"]


IMPORT = re.compile(r"""(?:\bfrom\s+|\bimport\s*\(?\s*|^\s*import\s+)['"](\.{1,2}/[^'"]+)['"]""", re.M)


def _panel_imports(folder: Path) -> dict[str, set[str]]:
    """Each TypeScript file of ``folder`` -> the files of ``folder`` it imports (type-only too)."""
    files = {p.resolve() for p in folder.rglob("*") if p.suffix in (".ts", ".tsx")}
    graph: dict[str, set[str]] = {}
    for path in files:
        targets = set()
        for spec in IMPORT.findall(path.read_text(encoding="utf-8")):
            base = (path.parent / spec).resolve()
            for candidate in (base.with_name(base.name + ".ts"), base.with_name(base.name + ".tsx"),
                              base / "index.ts"):
                if candidate in files:
                    targets.add(str(candidate.relative_to(folder.resolve())))
        graph[str(path.relative_to(folder.resolve()))] = targets
    return graph


def test_the_panel_sources_have_no_import_cycles():
    graph = _panel_imports(PANEL)
    assert "panel.tsx" in graph and "wire.ts" in graph["panel.tsx"]
    assert _cycle(graph) == []


def test_the_panel_cycle_check_reads_every_import_form(tmp_path):
    (tmp_path / "a.tsx").write_text("import * as React from 'react';\nimport { B } from './b';\n")
    (tmp_path / "b.ts").write_text("import type {\n  C,\n} from './sub/c';\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.ts").write_text("export const load = () => import('../a');\n")
    graph = _panel_imports(tmp_path)
    assert graph == {"a.tsx": {"b.ts"}, "b.ts": {"sub/c.ts"}, "sub/c.ts": {"a.tsx"}}
    assert set(_cycle(graph)) == {"a.tsx", "b.ts", "sub/c.ts"}
