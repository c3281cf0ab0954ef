"""Analysis of every code cell: transformed source, parsed statements, their facts."""
from __future__ import annotations

import ast
import importlib.util
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ..notebook import Cell
from .facts import conservative_facts, statement_facts
from .findings import Finding
from .ipython_source import to_python
from .model import ImportContext, StatementFacts
from .pyparse import parse as parse_python


@dataclass
class CellAnalysis:
    cell: Cell
    code: str
    tree: ast.Module | None
    statements: list[StatementFacts] = field(default_factory=list)
    syntax_error: Finding | None = None
    star_modules: list[str] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)  # warnings about how the cell was analysed


def analyze_cells(cells: list[Cell], search_dir: str | None = None) -> tuple[dict[int, CellAnalysis], ImportContext]:
    parsed: dict[int, CellAnalysis] = {}
    for cell in cells:
        parsed[cell.index] = _parse(cell)
    ctx = _import_context(parsed.values())
    for analysis in parsed.values():
        if analysis.tree is None:
            continue
        analysis.statements = [_facts_of(stmt, ctx, analysis) for stmt in analysis.tree.body]
        for stmt, facts in zip(analysis.tree.body, analysis.statements):
            if _imports_local_module(stmt, search_dir):
                facts.file_io = True  # a module written by the notebook (%%writefile) or beside it
            if isinstance(stmt, ast.ImportFrom) and any(a.name == "*" for a in stmt.names):
                module = _absolute_module(stmt)
                analysis.star_modules.append(module)
                facts.writes |= star_import_names(module, search_dir)
    return parsed, ctx


def _facts_of(stmt: ast.stmt, ctx: ImportContext, analysis: CellAnalysis) -> StatementFacts:
    """The statement's facts; a statement nested past what the analyser follows (a
    lambda in a lambda a hundred levels down) is treated as reading, changing and
    possibly binding everything, which keeps the pipeline correct, and is reported."""
    try:
        return statement_facts(stmt, ctx)
    except RecursionError:
        analysis.notes.append(Finding(
            "warning", "too-deep", "this statement nests too deeply to analyse precisely; its step is kept "
            "in order with every other step and receives the whole namespace", analysis.cell.number, stmt.lineno))
        return conservative_facts(stmt)


def _imports_local_module(stmt: ast.stmt, search_dir: str | None) -> bool:
    """An import of a module that is not installed: it lives beside the notebook, or
    an earlier cell writes it, so the import must keep its place among file effects."""
    import sys

    if isinstance(stmt, ast.Import):
        names = [a.name for a in stmt.names]
    elif isinstance(stmt, ast.ImportFrom) and stmt.level == 0 and stmt.module:
        names = [stmt.module]
    elif isinstance(stmt, ast.ImportFrom):
        return True  # relative import: the notebook's own package
    else:
        return False
    for name in names:
        top = name.split(".")[0]
        if top in sys.stdlib_module_names or top in sys.builtin_module_names:
            continue
        if search_dir and (os.path.exists(os.path.join(search_dir, top + ".py"))
                           or os.path.isdir(os.path.join(search_dir, top))):
            return True
        try:
            if importlib.util.find_spec(top) is None:
                return True
        except (ImportError, ValueError):
            return True
    return False


def _parse(cell: Cell) -> CellAnalysis:
    try:
        code = to_python(cell.source)
    except Exception as exc:  # IPython's transformer rejects some malformed magics
        finding = Finding("error", "syntax-error", f"cannot transform IPython syntax: {exc}", cell.number, 1)
        return CellAnalysis(cell, cell.source, None, syntax_error=finding)
    try:
        tree = parse_python(code)
    except SyntaxError as exc:
        finding = Finding("error", "syntax-error", f"{exc.msg}", cell.number, exc.lineno)
        return CellAnalysis(cell, code, None, syntax_error=finding)
    except (RecursionError, MemoryError):
        # CPython's own parser gives up on expressions nested thousands deep.
        finding = Finding("error", "syntax-error", "the code nests too deeply for Python to parse it",
                          cell.number, None)
        return CellAnalysis(cell, code, None, syntax_error=finding)
    return CellAnalysis(cell, code, tree)


def _import_context(analyses: Iterable[CellAnalysis]) -> ImportContext:
    modules: dict[str, str] = {}
    functions: set[str] = set()
    stateful: set[str] = set()
    cached: set[str] = set()
    for analysis in analyses:
        if analysis.tree is None:
            continue
        for node in _statements(analysis.tree.body):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        modules[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        modules[top] = top
            elif isinstance(node, ast.ImportFrom):
                base = _absolute_module(node)
                for alias in node.names:
                    if alias.name != "*":
                        modules[alias.asname or alias.name] = f"{base}.{alias.name}" if base else alias.name
        for stmt in analysis.tree.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                functions.add(stmt.name)
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    if any(_is_cache(d) for d in stmt.decorator_list):
                        cached.add(stmt.name)
                    if stmt.name in cached or _uses_own_attributes(stmt):
                        stateful.add(stmt.name)
            elif isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Lambda):
                functions |= {t.id for t in stmt.targets if isinstance(t, ast.Name)}
    for name in functions:
        modules.pop(name, None)
    return ImportContext(modules=modules, notebook_functions=frozenset(functions),
                         stateful_functions=frozenset(stateful), cached_functions=frozenset(cached))


def _is_cache(decorator: ast.expr) -> bool:
    """``@lru_cache``, ``@functools.cache(...)``, ``@memoize``: results kept in the function object."""
    node = decorator.func if isinstance(decorator, ast.Call) else decorator
    name = node.attr if isinstance(node, ast.Attribute) else (node.id if isinstance(node, ast.Name) else "")
    return "cache" in name.lower() or "memo" in name.lower()


def _uses_own_attributes(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """``def tally(): tally.calls += 1``: calling it changes the function object."""
    return any(isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id == node.name
               for stmt in node.body for sub in ast.walk(stmt))


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement, nested ones included, without descending into expressions
    (imports are statements; walking every expression node costs most of validate's time)."""
    todo = list(body)
    while todo:
        node = todo.pop()
        yield node
        for attr in ("body", "orelse", "finalbody", "handlers", "cases"):
            children = getattr(node, attr, None)
            if isinstance(children, list):
                todo.extend(children)


def _absolute_module(node: ast.ImportFrom) -> str:
    return ("." * node.level) + (node.module or "")


def star_import_names(module: str, search_dir: str | None) -> set[str]:
    """Names ``from module import *`` binds, read statically from the module's source.

    Falls back to the empty set (the import is still replayed in every step, so the
    names exist at run time; only the data-flow bookkeeping is blind to them).
    """
    if module.startswith("."):
        return set()
    path = _module_source(module, search_dir)
    if path is None:
        return _builtin_module_names(module)
    try:
        with open(path, encoding="utf-8") as handle:
            tree = parse_python(handle.read())
    except (OSError, SyntaxError, UnicodeDecodeError):
        return set()
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in stmt.targets):
            try:
                return set(ast.literal_eval(stmt.value))
            except ValueError:
                break
    names: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(stmt.name)
        elif isinstance(stmt, ast.Assign):
            names |= {t.id for t in stmt.targets if isinstance(t, ast.Name)}
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in stmt.names if a.name != "*"}
    return {n for n in names if not n.startswith("_")}


def _module_source(module: str, search_dir: str | None) -> str | None:
    if search_dir:
        local = os.path.join(search_dir, *module.split(".")) + ".py"
        if os.path.exists(local):
            return local
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    return spec.origin


def _builtin_module_names(module: str) -> set[str]:
    """Compiled or frozen stdlib modules (``math``, ``os.path``) have no source we can read:
    ask the module itself (the standard library's import has no side effects worth
    mentioning, apart from the two jokes)."""
    import sys

    top = module.split(".")[0]
    if (module in sys.builtin_module_names or top in sys.stdlib_module_names) and top not in ("this", "antigravity"):
        try:
            mod = importlib.import_module(module)
        except ImportError:
            return set()
        return {n for n in getattr(mod, "__all__", dir(mod)) if not n.startswith("_")}
    return set()
