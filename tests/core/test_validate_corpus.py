"""The validate corpus: notebooks that run cleanly top to bottom get no undefined-name
finding, and a misspelt name put anywhere in them is an error (``validate`` exits 1).

Analysis only: nothing here executes a notebook. The notebooks are every notebook under
``tests/`` and ``examples/``, every faithfulness pattern (as the notebook its test
runs), and the real notebooks of ``../shared/corpus/dev`` (all of them run cleanly;
``dev.tsv`` lists each one's run time).
"""
from __future__ import annotations

import ast
import builtins
import keyword
import random
import subprocess
import sys
import warnings
from pathlib import Path

import nbformat
import pytest

from kale_like import api
from kale_like.analysis.ipython_source import to_python

REPO = Path(__file__).resolve().parents[2]
SEEDS = range(3)


def _corpus_dir() -> Path | None:
    for parent in REPO.parents:  # ../shared beside the checkout (or beside its worktree folder)
        if (parent / "shared" / "corpus" / "dev").is_dir():
            return parent / "shared" / "corpus" / "dev"
    return None


def _pattern_notebooks(folder: Path) -> list[Path]:
    from tests.faithfulness.pattern_model import write_pattern
    from tests.faithfulness.patterns import PATTERNS

    return [write_pattern(p, p.splits[0], folder / p.name) for p in PATTERNS]


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory) -> dict[str, Path]:
    found = sorted(REPO.glob("tests/**/*.ipynb")) + sorted(REPO.glob("examples/*.ipynb"))
    found += _pattern_notebooks(tmp_path_factory.mktemp("patterns"))
    corpus = _corpus_dir()
    if corpus is not None:
        found += sorted(corpus.glob("*.ipynb"))
    return {p.stem: p for p in found}


# Patterns that run cleanly only because of what analysis cannot decide: a branch that
# happens to be taken, names made by exec/globals(). A warning there is right; no error.
EXPECTED_WARNINGS = {
    "walrus": {"big"},  # bound under `if (n := len(data)) > 2:` only
    "dynamic_globals": {"z", "w", "dyn_var"},  # made by globals()[...] = and exec()
    "exec_defines_then_augmented": {"z"},  # exec('z = 41')
    "globals_assignment_then_rebound": {"y", "w"},  # globals()[name] = 10, exec('w = [x, y]')
}


def _undefined(path: Path) -> list[tuple[str, str, str]]:
    return [(f.severity, f.message.split("'")[1], f.render()) for f in api.plan(path).findings
            if f.code == "undefined-name"]


def test_notebooks_that_run_cleanly_get_no_undefined_name_finding(notebooks):
    assert len(notebooks) > 100 if _corpus_dir() else len(notebooks) > 50
    reported = {name: _undefined(path) for name, path in notebooks.items()}
    unexpected = {name: [text for severity, variable, text in found
                         if severity != "warning" or variable not in EXPECTED_WARNINGS.get(name, ())]
                  for name, found in reported.items()}
    assert {name: found for name, found in unexpected.items() if found} == {}
    assert {name: {v for _, v, _ in reported[name]} for name in EXPECTED_WARNINGS} == EXPECTED_WARNINGS


def _misspelt(name: str, taken: set[str], rng: random.Random) -> str:
    """A typo a person makes: two letters swapped, one dropped or doubled."""
    for _ in range(20):
        i = rng.randrange(len(name))
        candidates = [name[:i] + name[i + 1:], name[:i] + name[i] + name[i:],
                      name[:i] + name[i + 1:i + 2] + name[i:i + 1] + name[i + 2:]]
        typo = rng.choice(candidates)
        if typo.isidentifier() and not keyword.iskeyword(typo) and typo not in taken and typo != name:
            return typo
    return name + "_typo"


def _plant_typo(path: Path, seed: int, folder: Path) -> tuple[Path, str, int, int] | None:
    """Copy the notebook with one read of a name misspelt, in a random cell at a random
    place (module level, in a function, loop, comprehension, call...)."""
    rng = random.Random(f"{path.name}:{seed}")
    node = nbformat.read(str(path), as_version=4)
    taken = set(dir(builtins))
    reads = []
    for index, cell in enumerate(node.cells):
        if cell.cell_type != "code" or "raises-exception" in cell.metadata.get("tags", []):
            continue
        if to_python(cell.source) != cell.source:
            continue  # magics: positions in the transformed code are not positions in the cell
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        in_fstrings = {id(n) for s in ast.walk(tree) if isinstance(s, ast.JoinedStr) for n in ast.walk(s)}
        for n in ast.walk(tree):
            if isinstance(n, ast.Name):
                taken.add(n.id)
                if isinstance(n.ctx, ast.Load) and id(n) not in in_fstrings:
                    reads.append((index, n))
    if not reads:
        return None
    index, chosen = rng.choice(reads)
    typo = _misspelt(chosen.id, taken, rng)
    lines = node.cells[index].source.split("\n")
    line = lines[chosen.lineno - 1]
    lines[chosen.lineno - 1] = line[:chosen.col_offset] + typo + line[chosen.end_col_offset:]
    node.cells[index].source = "\n".join(lines)
    target = folder / path.name
    for support in path.parent.iterdir():  # modules and data the notebook imports or reads
        if support.suffix in (".py", ".csv", ".dat", ".txt") and not (folder / support.name).exists():
            (folder / support.name).write_bytes(support.read_bytes())
    nbformat.write(node, str(target))
    return target, typo, index + 1, chosen.lineno


def test_a_misspelt_name_anywhere_is_an_error(notebooks, tmp_path):
    checked = 0
    for name, path in notebooks.items():
        if "exec(" in path.read_text() or "import *" in path.read_text() or "globals()" in path.read_text():
            continue  # names there may come from code analysis cannot see: a warning, tested elsewhere
        for seed in SEEDS:
            folder = tmp_path / f"{name}-{seed}"
            folder.mkdir()
            planted = _plant_typo(path, seed, folder)
            if planted is None:
                continue
            copy, typo, cell, line = planted
            errors = [(f.cell, f.line) for f in api.plan(copy).findings
                      if f.code == "undefined-name" and f.severity == "error" and f"'{typo}'" in f.message]
            assert errors == [(cell, line)], f"{name} (seed {seed}): '{typo}' in cell {cell}, line {line}"
            checked += 1
    assert checked > 100


def test_validate_exits_1_for_a_planted_typo(notebooks, tmp_path):
    path = notebooks["quickstart"]
    copy, typo, cell, line = _plant_typo(path, 0, tmp_path)
    result = subprocess.run([sys.executable, "-m", "kale_like", "validate", str(copy)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"cell {cell}" in result.stdout and f"line {line}: undefined name '{typo}'" in result.stdout
