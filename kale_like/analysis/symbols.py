"""Module names that function bodies read, from Python's own symbol table (``symtable``):
it knows closures, ``global``/``nonlocal``, class scopes and comprehensions exactly."""
from __future__ import annotations

import ast
import functools
import symtable
import warnings
from collections.abc import Callable

from .cells import CellAnalysis
from .pyparse import parse as parse_python

_COMPREHENSIONS = frozenset({"listcomp", "setcomp", "dictcomp", "genexpr"})


def line_of(stmt: ast.AST, name: str) -> int:
    lines = [n.lineno for n in ast.walk(stmt) if isinstance(n, ast.Name) and n.id == name]
    return min(lines) if lines else getattr(stmt, "lineno", 1)


def deferred_reads(code: str, known: Callable[[str], bool]) -> list[tuple[str, int]]:
    """(name, line) for the module names a function, lambda or method body reads that
    ``known`` does not accept. Python's own symbol table tells which names those are."""
    from .ipython_source import to_python

    if "def " not in code and "lambda" not in code:
        return []
    try:
        source = to_python(code)
    except (SyntaxError, ValueError):
        return []
    top = symbols(source)
    if top is None:
        return []
    unknown: list[tuple[str, symtable.SymbolTable]] = []
    todo: list[tuple[symtable.SymbolTable, bool]] = [(child, False) for child in top.get_children()]
    while todo:
        table, deferred = todo.pop()
        runs_later = deferred or (table.get_type() == "function" and table.get_name() not in _COMPREHENSIONS)
        if runs_later:
            unknown += [(symbol.get_name(), table) for symbol in table.get_symbols()
                        if symbol.is_global() and symbol.is_referenced() and not symbol.is_assigned()
                        and not known(symbol.get_name())]
        todo += [(child, runs_later) for child in table.get_children()]
    if not unknown:
        return []
    tree = parse_python(source)
    spans = {(n.lineno, getattr(n, "name", "lambda")): n for n in ast.walk(tree)
             if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef))}
    found = []
    for name, table in unknown:
        node = spans.get((table.get_lineno(), table.get_name()))
        found.append((name, line_of(node, name) if node is not None else table.get_lineno()))
    return found


def call_reads(cells: list[CellAnalysis], calls: dict[str, set[str]]) -> dict[str, set[str]]:
    """For each notebook function: the module names calling it reads, through the
    functions it calls too (Python's symbol table decides which names are the module's)."""
    own: dict[str, set[str]] = {}
    for analysis in cells:
        top = symbols(analysis.code) if analysis.tree is not None and "def " in analysis.code else None
        if top is None:
            continue
        for table in top.get_children():
            if table.get_type() == "function" and table.get_name() not in _COMPREHENSIONS:
                own[table.get_name()] = global_reads(table)
    closed = {name: set(reads) for name, reads in own.items()}
    changed = True
    while changed:
        changed = False
        for name, reads in closed.items():
            for callee in calls.get(name, ()):
                if callee in closed and callee != name and not closed[callee] <= reads:
                    reads |= closed[callee]
                    changed = True
    return closed


@functools.lru_cache(maxsize=512)
def symbols(source: str) -> symtable.SymbolTable | None:
    """Python's own symbol table of a cell (None when it cannot be built)."""
    try:
        with warnings.catch_warnings():  # "invalid escape sequence" and co. were the parser's to say
            warnings.simplefilter("ignore")
            return symtable.symtable(source, "<cell>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def global_reads(table: symtable.SymbolTable) -> set[str]:
    names: set[str] = set()
    todo = [table]
    while todo:
        current = todo.pop()
        names |= {s.get_name() for s in current.get_symbols()
                  if s.is_global() and s.is_referenced() and not s.is_assigned()}
        todo += current.get_children()
    return names
