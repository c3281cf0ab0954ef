"""Undefined names: what a top-to-bottom run of the notebook would read before anything
defined it.

The check follows the run the way Python does: cells in notebook order (skipped cells
do not run), statements in order, and every way a name gets bound — assignments,
``for``/``with``/``except``/walrus targets, imports (also inside ``%%time`` and
``%%capture`` cells), ``def``/``class``, names a function binds with ``global`` once
it is used, star imports, parameters. Branches and deletions are followed too, so a
name can be *defined*, *maybe defined* (on some paths only) or *undefined*.

Severity is what the run would do. A name that nothing has defined at that point is
an **error**: the run would raise ``NameError``. A name defined on some paths only,
or one that ``exec``/``globals()``/``%run``/a star import may have made, is a
**warning**. In a cell tagged ``raises-exception`` an error is expected, so it is a
warning there. Function bodies run when called: the module names a body reads (Python's
own ``symtable`` says which) must be defined by some cell, else it is an error.
"""
from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from .analysis.cells import CellAnalysis
from .analysis.classify import magic_name
from .analysis.facts import statement_facts
from .analysis.findings import Finding
from .analysis.magic_code import (
    capture_name,
    magic_codes,
    pylab_import,
    star_module,
    without_magic_text,
)
from .analysis.model import ImportContext, StatementFacts
from .analysis.pyparse import parse as parse_python
from .analysis.symbols import call_reads, deferred_reads, line_of
from .analysis.vocabulary import BUILTIN_NAMES, DYNAMIC_CALLS
from .flow import _closed_deferred
from .notebook import Cell

DEFINED, LATER, MAYBE = "defined", "later", "maybe"  # LATER: bound further down the same loop body
_IPYTHON_NAMES = re.compile(r"^(_+|_\d+|_i+|_i\d+|_ih|_oh|_dh|In|Out|exit|quit|get_ipython|display)$")
# What a kernel's user namespace holds from the start, besides builtins.
_MODULE_NAMES = frozenset({"__name__", "__doc__", "__builtins__", "__builtin__", "__spec__", "__loader__",
                           "__package__", "__IPYTHON__"})
CODE = "undefined-name"


@dataclass
class _State:
    names: dict[str, str] = field(default_factory=dict)  # absent: undefined
    dynamic: str | None = None  # what may have defined any name so far ("exec in cell 3")

    def copy(self) -> _State:
        return _State(dict(self.names), self.dynamic)


def _merge(*states: _State | None) -> _State | None:
    """The state after paths join: defined only where every path defined it."""
    live = [s for s in states if s is not None]
    if not live:
        return None
    merged = _State(dict(live[0].names), next((s.dynamic for s in live if s.dynamic), None))
    for other in live[1:]:
        # Only the names the two paths disagree on change (set operations: cells can hold thousands).
        for name in {name for name, _ in merged.names.items() ^ other.names.items()}:
            kinds = {merged.names.get(name), other.names.get(name)}
            merged.names[name] = LATER if kinds <= {DEFINED, LATER} else MAYBE
    return merged


@dataclass(frozen=True)
class _Where:
    cell: CellAnalysis
    offset: int = 0  # lines before the parsed code (the magic line of a %%time cell)


def undefined_name_findings(cells: list[CellAnalysis], ctx: ImportContext, step_of: dict[int, str],
                            injected: set[str], skipped: Iterable[Cell] = ()) -> list[Finding]:
    """Findings for the names a top-to-bottom run of ``cells`` would read undefined.

    ``cells`` are the cells that run, ``step_of`` maps a cell index to its step, and
    ``injected`` are parameter names set from outside (defined from the start);
    ``skipped`` cells do not run, but a name only they define is worth saying so."""
    checker = _Checker(sorted(cells, key=lambda a: a.cell.index), ctx, step_of)
    checker.skipped_definitions = _skipped_definitions(skipped)
    return checker.run(injected)


class _Checker:
    def __init__(self, cells: list[CellAnalysis], ctx: ImportContext, step_of: dict[int, str]):
        self.cells = cells
        self.ctx = ctx
        self.step_of = step_of
        table = _closed_deferred({a.cell.index: a for a in cells})
        self.global_writes = {name: entry.writes for name, entry in table.items() if entry.writes}
        self.call_reads = call_reads(cells, {name: entry.calls for name, entry in table.items()})
        self.first_definition = _first_definitions(cells, self.global_writes)
        self.findings: dict[tuple[str, int], Finding] = {}
        self.skipped_definitions: dict[str, int] = {}
        # Top-level statements come with their facts (star-import names included).
        self.known = {id(stmt): facts for a in cells if a.tree is not None
                      for stmt, facts in zip(a.tree.body, a.statements)}

    def run(self, injected: set[str]) -> list[Finding]:
        state = _State({name: DEFINED for name in injected})
        for analysis in self.cells:
            if analysis.tree is None:
                continue
            where = _Where(analysis)
            too_deep = {note.line for note in analysis.notes if note.code == "too-deep"}
            for stmt, facts in zip(analysis.tree.body, analysis.statements):
                try:
                    if stmt.lineno in too_deep:
                        raise RecursionError  # analysis could not follow it either (and said so)
                    after = self._statement(stmt, state, where)
                except RecursionError:  # too deep to follow: what it binds counts as bound
                    after = state
                    after.names.update({n: DEFINED for n in facts.writes})
                if after is None:
                    break  # the cell raised here; the next cell still runs, with what was bound
                state = after
        anywhere = set(self.first_definition) | injected | {n for ns in self.global_writes.values() for n in ns}
        dynamic = next((f"{_dynamic_what(stmt, f)} in cell {a.cell.number}" for a in self.cells
                        if a.tree is not None for stmt, f in zip(a.tree.body, a.statements)
                        if f.dynamic or star_module(stmt) is not None), None)
        for analysis in self.cells:
            self._function_bodies(analysis, anywhere, dynamic)
        return sorted(self.findings.values(), key=lambda f: (f.cell or 0, f.line or 0, f.message))

    # --- statements ------------------------------------------------------------------
    def _block(self, body: list[ast.stmt], state: _State | None, where: _Where) -> _State | None:
        for stmt in body:
            if state is None:
                return None  # after raise: the rest of the block does not run
            state = self._statement(stmt, state, where)
        return state

    def _statement(self, stmt: ast.stmt, state: _State, where: _Where) -> _State | None:
        if isinstance(stmt, ast.If):
            self._expression(stmt.test, stmt, state, where)
            truth = _constant_truth(stmt.test)
            if truth is not None:
                return self._block(stmt.body if truth else stmt.orelse, state, where)
            return _merge(self._block(stmt.body, state.copy(), where), self._block(stmt.orelse, state.copy(), where))
        if isinstance(stmt, (ast.For, ast.AsyncFor, ast.While)):
            return self._loop(stmt, state, where)
        if isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                self._expression(item.context_expr, stmt, state, where)
                if item.optional_vars is not None:
                    self._bind_target(item.optional_vars, stmt, state, where)
            return self._block(stmt.body, state, where)
        if isinstance(stmt, ast.Try) or (sys.version_info >= (3, 11) and isinstance(stmt, ast.TryStar)):
            return self._try(stmt, state, where)
        if isinstance(stmt, ast.Match):
            return self._match(stmt, state, where)
        if _certainly_raises(stmt):
            self._simple(stmt, state, where)
            return None  # the rest of the block does not run; a handler may
        if isinstance(stmt, (ast.Global, ast.Nonlocal)):
            return state
        return self._simple(stmt, state, where)

    def _loop(self, stmt: ast.For | ast.AsyncFor | ast.While, state: _State, where: _Where) -> _State | None:
        if isinstance(stmt, ast.While):
            self._expression(stmt.test, stmt, state, where)
        else:
            self._expression(stmt.iter, stmt, state, where)
        body = state.copy()
        # A name bound further down the body exists from the second pass on.
        for name in _bound_in(stmt.body):
            body.names.setdefault(name, LATER)
        if not isinstance(stmt, ast.While):
            self._bind_target(stmt.target, stmt, body, where)
        # Loops in notebooks run their body: what it binds is taken as bound afterwards.
        end = self._block(stmt.body, body, where)
        for name, kind in list((end or body).names.items()):
            if kind == LATER and state.names.get(name) is None:
                (end or body).names[name] = DEFINED
        return self._block(stmt.orelse, end or state, where)

    def _try(self, stmt: ast.Try | ast.TryStar, state: _State, where: _Where) -> _State | None:
        body = self._block(stmt.body, state.copy(), where)
        start = _merge(state, body) or state  # the exception may come before any line of the body
        ends = []
        for handler in stmt.handlers:
            if handler.type is not None:
                self._expression(handler.type, handler, start, where)
            inner = start.copy()
            if handler.name:
                inner.names[handler.name] = DEFINED
            end = self._block(handler.body, inner, where)
            if end is not None and handler.name:
                end.names.pop(handler.name, None)  # Python unbinds it when the handler ends
            ends.append(end)
        ends.append(self._block(stmt.orelse, body, where) if body is not None else None)
        after = _merge(*ends)
        final = self._block(stmt.finalbody, after if after is not None else start.copy(), where)
        return final if after is not None else None

    def _match(self, stmt: ast.Match, state: _State, where: _Where) -> _State | None:
        self._expression(stmt.subject, stmt, state, where)
        ends, exhaustive = [], False
        for case in stmt.cases:
            inner = state.copy()
            for node in ast.walk(case.pattern):
                for name in (getattr(node, "name", None), getattr(node, "rest", None)):
                    if isinstance(name, str):
                        inner.names[name] = DEFINED
            if case.guard is not None:
                self._expression(case.guard, stmt, inner, where)
            ends.append(self._block(case.body, inner, where))
            exhaustive |= (case.guard is None and isinstance(case.pattern, ast.MatchAs) and case.pattern.pattern is None)
        return _merge(*ends, None if exhaustive else state)

    def _expression(self, expr: ast.expr, owner: ast.AST, state: _State, where: _Where) -> None:
        node = ast.Expr(value=expr, lineno=getattr(expr, "lineno", 1), col_offset=0)
        self._simple(node, state, where)

    def _bind_target(self, target: ast.expr, owner: ast.stmt, state: _State, where: _Where) -> None:
        node = ast.Assign(targets=[target], value=ast.Constant(None), lineno=owner.lineno, col_offset=0)
        self._simple(node, state, where)

    def _simple(self, stmt: ast.stmt, state: _State, where: _Where) -> _State:
        facts = self.known.get(id(stmt)) or statement_facts(stmt, self.ctx)
        plain = stmt
        inner: list[tuple[str, int, bool]] = []  # code magics: (code, lines before it, binds names)
        if "get_ipython" in facts.reads:  # a magic: its text is not code, its code is followed below
            plain, inner = without_magic_text(stmt)
            facts = statement_facts(plain, self.ctx)
        names = facts.reads | facts.deletes
        if names & facts.writes:  # a walrus binds before a later part of the statement reads
            names -= {n.target.id for n in ast.walk(plain) if isinstance(n, ast.NamedExpr)}
        for name in sorted(names):
            self._check(name, plain, state, where)
        for code, offset, keeps in inner:
            state = self._magic_code(code, where.offset + offset, state, where, keeps)
        self._calls(facts, plain, state, where)
        self._apply(stmt, facts, state, where)
        captured = capture_name(stmt)
        if captured:  # ``%%capture out`` binds ``out``
            state.names[captured] = DEFINED
        star = star_module(stmt) or pylab_import(stmt)
        if star is not None:  # the names we could read from the module are bound; others may be
            state.dynamic = state.dynamic or f"'from {star} import *' in cell {where.cell.cell.number}"
        return state

    def _magic_code(self, code: str, offset: int, state: _State, where: _Where, keeps: bool) -> _State:
        from .analysis.ipython_source import to_python

        try:
            tree = parse_python(to_python(code))
        except (SyntaxError, ValueError):
            return state
        inner = _Where(where.cell, offset)
        after = self._block(tree.body, state if keeps else state.copy(), inner) or state
        if keeps:
            return after
        for name in after.names.keys() - state.names.keys():  # %timeit binds in a namespace of its own
            state.names[name] = MAYBE
        return state

    def _calls(self, facts: StatementFacts, stmt: ast.stmt, state: _State, where: _Where) -> None:
        """A function called here that reads a module name only a later cell defines."""
        if state.dynamic:
            return
        for callee in {c[0] for c in facts.calls} & self.call_reads.keys():
            for name in sorted(self.call_reads[callee]):
                if name in state.names or name not in self.first_definition or _always_defined(name):
                    continue
                cell, at = self.first_definition[name]
                place = f"cell {cell}, line {at}" if cell != where.cell.cell.number else f"line {at}"
                self._report("warning", name, f"'{name}' is read by {callee}(), called here before any cell "
                                              f"defines it ({place} does, later)", where, line_of(stmt, callee)
                             + where.offset)

    def _apply(self, stmt: ast.stmt, facts: StatementFacts, state: _State, where: _Where) -> None:
        for name in facts.deletes:
            state.names.pop(name, None)
        for name in facts.writes:
            state.names[name] = DEFINED
        for name in facts.uses_code & self.global_writes.keys():
            state.names.update({n: DEFINED for n in self.global_writes[name]})
        if facts.dynamic:
            state.dynamic = state.dynamic or f"{_dynamic_what(stmt, facts)} in cell {where.cell.cell.number}"

    # --- findings --------------------------------------------------------------------
    def _check(self, name: str, stmt: ast.AST, state: _State, where: _Where) -> None:
        kind = state.names.get(name)
        if kind in (DEFINED, LATER) or _always_defined(name):
            return
        line = line_of(stmt, name) + where.offset
        if kind == MAYBE:
            self._report("warning", name, f"'{name}' may be undefined here: it is defined (or deleted) "
                                          "only on some paths through the code above", where, line)
        elif state.dynamic:
            self._report("warning", name, f"'{name}' is not defined by any statement above; it may come "
                                          f"from {state.dynamic}", where, line)
        elif name in self.first_definition:
            cell, at = self.first_definition[name]
            place = f"cell {cell}, line {at}" if cell != where.cell.cell.number else f"line {at}"
            if (cell, at) < (where.cell.cell.number, line):
                message = f"'{name}' is no longer defined here ({place} defines it, and it is deleted since)"
            else:
                message = f"'{name}' is used before any cell defines it ({place} does, later)"
            self._report("error", name, message + ": it would raise NameError", where, line)
        elif name in self.skipped_definitions:
            self._report("error", name, f"undefined name '{name}': only cell {self.skipped_definitions[name]} "
                                        "defines it, and it is tagged skip, so it would raise NameError", where, line)
        else:
            self._report("error", name, f"undefined name '{name}': no cell defines it, so it would raise "
                                        "NameError", where, line)

    def _report(self, severity: str, name: str, message: str, where: _Where, line: int) -> None:
        cell = where.cell.cell
        if severity == "error" and cell.tags.raises_exception:
            severity, message = "warning", message + " (the cell is tagged raises-exception)"
        key = (name, cell.number)
        if key not in self.findings:
            self.findings[key] = Finding(severity, CODE, message, cell.number, line, self.step_of.get(cell.index))

    def _function_bodies(self, analysis: CellAnalysis, anywhere: set[str], dynamic: str | None) -> None:
        """Module names read inside function bodies, checked against every cell's definitions."""
        for code, offset in magic_codes(analysis):
            for name, line in deferred_reads(code, lambda n: n in anywhere or _always_defined(n)):
                where = _Where(analysis, offset)
                if dynamic:
                    self._report("warning", name, f"'{name}' is read in a function but no cell defines it; "
                                                  f"it may come from {dynamic}", where, line + offset)
                else:
                    self._report("error", name, f"undefined name '{name}' in a function: no cell defines it, "
                                                "so calling the function raises NameError", where, line + offset)


# --- helpers -----------------------------------------------------------------------------
def _always_defined(name: str) -> bool:
    return name in BUILTIN_NAMES or name in _MODULE_NAMES or bool(_IPYTHON_NAMES.match(name))


def _constant_truth(test: ast.expr) -> bool | None:
    """``if True:``, ``if 0:``, ``if __name__ == "__main__":`` (true in a notebook)."""
    if isinstance(test, ast.Constant):
        return bool(test.value)
    if (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__"
            and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)
            and isinstance(test.comparators[0], ast.Constant)):
        return test.comparators[0].value == "__main__"
    return None


def _bound_in(body: list[ast.stmt]) -> set[str]:
    """Names a block binds at module level (not inside functions, classes, comprehensions)."""
    names: set[str] = set()
    todo: list[ast.AST] = list(body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"}
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            continue
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            continue
        todo.extend(ast.iter_child_nodes(node))
    return names


def _dynamic_what(stmt: ast.stmt, facts: StatementFacts) -> str:
    """What in ``stmt`` may define names analysis cannot see: ``exec()``, ``%run``, …"""
    star = star_module(stmt)
    if star is not None:
        return f"'from {star} import *'"
    for node in ast.walk(stmt):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in DYNAMIC_CALLS:
            return f"{node.func.id}()"
        magic = magic_name(node) if isinstance(node, ast.Call) else None
        if magic is not None:
            return ("%%" if magic[0] == "cell" else "%") + magic[1]
    return "code that defines names at run time"


def _certainly_raises(stmt: ast.stmt) -> bool:
    """``raise``, ``assert False``, ``1 / 0``: the code after it in the block never runs."""
    if isinstance(stmt, ast.Raise):
        return True
    if isinstance(stmt, ast.Assert):
        return isinstance(stmt.test, ast.Constant) and not stmt.test.value
    value = getattr(stmt, "value", None)
    return (isinstance(stmt, (ast.Expr, ast.Assign, ast.AnnAssign)) and isinstance(value, ast.BinOp)
            and isinstance(value.op, (ast.Div, ast.FloorDiv, ast.Mod))
            and isinstance(value.right, ast.Constant) and value.right.value == 0)


def _skipped_definitions(cells: Iterable[Cell]) -> dict[str, int]:
    from .analysis.ipython_source import to_python

    found: dict[str, int] = {}
    for cell in cells:
        try:
            tree = parse_python(to_python(cell.source))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for name in _bound_in(tree.body):
            found.setdefault(name, cell.number)
    return found


def _first_definitions(cells: list[CellAnalysis], global_writes: dict[str, set[str]]) -> dict[str, tuple[int, int]]:
    """Every name some cell binds (functions' ``global`` names too), with where first."""
    first: dict[str, tuple[int, int]] = {}
    for analysis in cells:
        for facts in analysis.statements:
            for name in sorted(facts.writes | {n for f in facts.uses_code & global_writes.keys()
                                               for n in global_writes[f]}):
                first.setdefault(name, (analysis.cell.number, facts.line))
    return first


def with_execution_counts(findings: list[Finding], counts: dict[int, int]) -> list[Finding]:
    """Findings that name a cell also carry its ``In [n]`` (cell number -> count)."""
    return [replace(f, execution_count=counts.get(f.cell)) if f.cell is not None else f for f in findings]
