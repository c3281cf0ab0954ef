"""Data flow: for every name a step reads, which earlier step's value it must see.

Mutation counts as production (``xs.append``, ``df.drop(inplace=True)``,
``obj.attr = …``, ``n += 1``, a notebook function that mutates a global). Names
that may share objects (``y = x``, ``b = a['k']``, ``v = arr[:2]``) form one
*alias class*: a class is loaded, changed and saved as a whole, so ``y is x``
survives the trip between steps. Hidden state becomes pseudo-variables with the
same machinery: ``__rng__`` (the global random streams) and ``__files__`` (the
file system) order the steps that touch them.
"""
from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass, field

from .analysis.cells import CellAnalysis
from .analysis.findings import Finding
from .analysis.model import Deferred, StatementFacts
from .analysis.vocabulary import BUILTIN_NAMES
from .splitting import Split, StepDraft

RNG = "__rng__"
FILES = "__files__"
EVERYTHING = "__everything__"  # a dynamic step's whole namespace, for the next dynamic step
HISTORY = "__history__"  # IPython's output history (Out, _, __, _N), when some cell reads it
FIGURES = "__figures__"  # open figures of an interactive matplotlib backend: they live in one process
MODULE = "__module__:"  # + a top-level package: state living in that imported module
_HISTORY_NAME = re.compile(r"^(_{1,3}|_\d+|Out|_oh)$")
PSEUDO = frozenset({RNG, FILES, HISTORY})
_COMPOUND: tuple[type[ast.stmt], ...] = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.Try, ast.With,
                                         ast.AsyncWith, ast.Match)
if sys.version_info >= (3, 11):  # except* blocks
    _COMPOUND += (ast.TryStar,)


@dataclass
class Unit:
    """A step, or a shared (imports/functions) cell, seen by the flow."""

    name: str
    position: int
    shared: bool = False
    candidates: set[str] = field(default_factory=set)     # read before written here
    defines: set[str] = field(default_factory=set)        # written, mutated or deleted here
    kinds: dict[str, str] = field(default_factory=dict)   # final binding: replay | data | deleted
    assigned_at: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (cell no, line)
    untravelable: dict[str, str] = field(default_factory=dict)
    dynamic: bool = False
    inputs: dict[str, str] = field(default_factory=dict)  # name -> producer
    cell_indices: set[int] = field(default_factory=set)
    outputs: set[str] = field(default_factory=set)
    loaded: set[str] = field(default_factory=set)


@dataclass
class FlowResult:
    units: dict[str, Unit]
    findings: list[Finding]
    travel_problems: list[tuple[str, str, str, str, int, int]]  # name, kind, producer, consumer, cell, line
    replayable: dict[int, list[tuple[int, str]]]   # cell index -> [(first line, code)]
    classes: dict[str, frozenset[str]] = field(default_factory=dict)  # alias classes of the notebook's names


def compute_flow(split: Split, analyses: dict[int, CellAnalysis], parameter_names: set[str]) -> FlowResult:
    deferred = _closed_deferred(analyses)
    replayable = _replayable(split, analyses, deferred)
    units = _units(split, analyses, deferred, parameter_names)
    notebook_names = set().union(*(u.defines for u in units)) | PSEUDO
    classes = alias_classes(analyses, notebook_names)
    findings: list[Finding] = []
    problems: list[tuple[str, str, str, str, int, int]] = []
    earlier = _Earlier()
    for unit in sorted(units, key=lambda u: u.position):
        if not unit.shared:
            _resolve(unit, earlier, classes, notebook_names, problems)
        earlier.add(unit)
    return FlowResult({u.name: u for u in units}, findings, problems, replayable, classes)


# --- deferred effects ------------------------------------------------------------------
def _closed_deferred(analyses: dict[int, CellAnalysis]) -> dict[str, Deferred]:
    table: dict[str, Deferred] = {}
    for analysis in analyses.values():
        for facts in analysis.statements:
            for name, summary in facts.deferred.items():
                entry = table.setdefault(name, Deferred())
                entry.absorb(summary)
                entry.calls |= summary.calls
                entry.param_mutations |= summary.param_mutations
                entry.generator |= summary.generator
                entry.cache |= summary.cache
    changed = True
    while changed:
        changed = False
        for entry in table.values():
            for callee in list(entry.calls):
                if callee in table and table[callee] is not entry:
                    changed |= entry.absorb(table[callee])
    return table


def _effective(facts: StatementFacts, deferred: dict[str, Deferred]) -> tuple[set[str], set[str], set[str], Deferred]:
    reads = set(facts.reads) | facts.mutates | facts.deletes  # ``del x`` needs x to exist
    writes = set(facts.writes)
    mutates = set(facts.mutates)
    applied = Deferred()
    for name in facts.uses_code & deferred.keys():
        applied.absorb(deferred[name])
    for callee, args, kwargs in facts.calls:
        summary = deferred.get(callee)
        if summary is None:
            continue
        for index in summary.param_mutations:
            root = args[index] if isinstance(index, int) and index < len(args) else kwargs.get(str(index))
            if root:
                mutates.add(root)
                reads.add(root)
    reads |= applied.reads | applied.mutates
    writes |= applied.writes
    mutates |= applied.mutates
    return reads, writes, mutates, applied


# --- per unit facts ----------------------------------------------------------------------
def _units(split: Split, analyses: dict[int, CellAnalysis], deferred: dict[str, Deferred],
           parameter_names: set[str]) -> list[Unit]:
    units = []
    for draft in split.steps:
        units.append(_unit(draft.name, draft.cells[0].index if draft.cells else -1,
                           [analyses[c.index] for c in draft.cells], deferred, draft))
    for unit, draft in zip(units, split.steps):
        if draft.kind == "parameters":
            for name in parameter_names:
                unit.defines.add(name)
                unit.kinds[name] = "data"
    for cell in split.shared_cells:
        units.append(_unit(f"<shared cell {cell.number}>", cell.index, [analyses[cell.index]], deferred,
                           None, shared=True))
    _thread_history(units, analyses)
    _keep_interactive_figures(units, analyses)
    seeded = min((u.position for u in units if u.candidates & {"__seed__"}), default=None)
    for unit in units:
        unit.candidates.discard("__seed__")
        if seeded is not None and unit.position > seeded and not unit.shared:
            unit.candidates.add(RNG)
            unit.defines.add(RNG)
            unit.kinds[RNG] = "data"
    return units


def _thread_history(units: list[Unit], analyses: dict[int, CellAnalysis]) -> None:
    """If any cell reads Out/_/__/_N, every step that may add to the history passes it on."""
    readers = [u for u in units if any(_HISTORY_NAME.match(n) for n in u.candidates)]
    if not readers:
        return
    last_reader = max(u.position for u in readers)
    for unit in units:
        if unit.shared or unit.position > last_reader:
            continue
        if unit in readers or _may_show_result(unit, analyses):
            unit.candidates.add(HISTORY)
            unit.defines.add(HISTORY)
            unit.kinds[HISTORY] = "data"


def _keep_interactive_figures(units: list[Unit], analyses: dict[int, CellAnalysis]) -> None:
    """After ``%matplotlib notebook`` (or ``widget``) a figure stays open and is redrawn by
    later cells, displaying where the kernel displays it: the steps that use pyplot from
    there on share a process, so each of them hands on a value that cannot travel."""
    switched = [a.cell.index for a in analyses.values() if any(f.interactive_backend for f in a.statements)]
    if not switched:
        return
    start = min(switched)
    for unit in units:
        if unit.shared or not any(
                index >= start and any(f.interactive_backend or "matplotlib" in f.module_reads
                                       for f in analyses[index].statements)
                for index in unit.cell_indices):
            continue
        unit.candidates.add(FIGURES)
        unit.defines.add(FIGURES)
        unit.kinds[FIGURES] = "data"
        unit.untravelable[FIGURES] = "open interactive matplotlib figures"


def _may_show_result(unit: Unit, analyses: dict[int, CellAnalysis]) -> bool:
    return any(a.cell.index >= unit.position and a.tree is not None and a.tree.body
               and isinstance(a.tree.body[-1], ast.Expr) for a in analyses.values()
               if a.cell.index in unit.cell_indices)


def _unit(name: str, position: int, cells: list[CellAnalysis], deferred: dict[str, Deferred],
          draft: StepDraft | None, shared: bool = False) -> Unit:
    unit = Unit(name=name, position=position, shared=shared)
    cached = {n for n, d in deferred.items() if d.cache}
    unit.cell_indices = {a.cell.index for a in cells}
    known: set[str] = set()
    for analysis in cells:
        body = analysis.tree.body if analysis.tree is not None else []
        for stmt, facts in zip(body, analysis.statements):
            reads, writes, mutates, applied = _effective(facts, deferred)
            unit.candidates |= reads - known
            unit.defines |= writes | mutates | facts.deletes
            replays = facts.kind == "import" or (facts.kind in ("def", "class") and facts.replayed)
            kind = "replay" if (shared or replays) else "data"
            for name_ in writes:
                unit.kinds[name_] = kind
                unit.assigned_at[name_] = (analysis.cell.number, facts.line)
                unit.untravelable.pop(name_, None)
            for name_ in mutates - writes:
                if unit.kinds.get(name_) == "replay" and not shared:
                    unit.kinds[name_] = "data"
            for name_ in facts.deletes:
                unit.kinds[name_] = "deleted"
            for name_, what in facts.untravelable.items():
                unit.untravelable[name_] = what
            for name_ in writes:
                summary = deferred.get(name_)
                if summary is not None and summary.generator and facts.kind == "other":
                    unit.untravelable.setdefault(name_, "generator")
            if not isinstance(stmt, _COMPOUND):
                known |= facts.writes | facts.deletes
            if facts.file_io or applied.file_io:
                unit.candidates.add(FILES)
                unit.defines.add(FILES)
                unit.kinds[FILES] = "data"
            if facts.rng or applied.rng:
                unit.candidates.add(RNG)
                unit.defines.add(RNG)
                unit.kinds[RNG] = "data"
            if facts.rng_seed:
                unit.candidates.add("__seed__")
            unit.dynamic |= facts.dynamic or applied.dynamic
            for package in facts.module_reads | applied.module_reads | facts.module_state | applied.module_state:
                unit.candidates.add(MODULE + package)
            for package in facts.module_state | applied.module_state:
                unit.defines.add(MODULE + package)
                unit.kinds[MODULE + package] = "data"
            for name_ in mutates:
                if name_ in cached:  # a cache no codec can save: keep its users in one step
                    unit.untravelable[name_] = "function holding a cache"
                if name_ not in unit.kinds:
                    unit.kinds[name_] = "data"
    return unit


# --- alias classes -----------------------------------------------------------------------
def alias_classes(analyses: dict[int, CellAnalysis], names: set[str]) -> dict[str, frozenset[str]]:
    """For each of ``names``, the names that may share objects with it (itself included)."""
    parent = {n: n for n in names}

    def find(n: str) -> str:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for analysis in analyses.values():
        for facts in analysis.statements:
            for a, b in facts.aliases:
                if a in parent and b in parent:
                    parent[find(a)] = find(b)
    groups: dict[str, set[str]] = {}
    for n in names:
        groups.setdefault(find(n), set()).add(n)
    frozen = {root: frozenset(members) for root, members in groups.items()}  # one per class, shared
    return {n: frozen[find(n)] for n in names}


# --- producers ---------------------------------------------------------------------------
class _Earlier:
    """The units before the one being resolved, indexed by the names they define and by
    the latest one with dynamic name access, so resolving a unit never scans the units
    before it (a 5,000-cell notebook split by cells would cost 25 million steps)."""

    def __init__(self) -> None:
        self.units: list[Unit] = []
        self._index: dict[str, int] = {}    # unit name -> position in ``units``
        self._definer: dict[str, int] = {}  # variable -> position of the latest unit defining it
        self.dynamic: Unit | None = None    # the latest non-shared unit with dynamic name access

    def add(self, unit: Unit) -> None:
        self._index[unit.name] = len(self.units)
        self.units.append(unit)
        for name in unit.defines:
            self._definer[name] = len(self.units) - 1
        if unit.dynamic and not unit.shared:
            self.dynamic = unit

    def defines(self, unit: Unit, name: str) -> None:
        """An earlier ``unit`` turns out to define ``name`` too (through exec/globals())."""
        unit.defines.add(name)
        position = self._index[unit.name]
        if self._definer.get(name, -1) < position:
            self._definer[name] = position

    def latest_definer(self, members: frozenset[str]) -> Unit | None:
        positions = [self._definer[m] for m in members if m in self._definer]
        return self.units[max(positions)] if positions else None


def _resolve(unit: Unit, earlier: _Earlier, classes: dict[str, frozenset[str]],
             notebook_names: set[str], problems: list) -> None:
    wanted: set[frozenset[str]] = set()
    if unit.dynamic:
        wanted |= {classes.get(n, frozenset({n})) for u in earlier.units for n in u.defines}
        unit.defines |= {n for u in earlier.units for n in u.defines if not u.shared}
    for name in unit.candidates & notebook_names:
        wanted.add(classes.get(name, frozenset({name})))
    for name in unit.defines & notebook_names:
        if len(classes.get(name, ())) > 1:
            wanted.add(classes[name])
    _resolve_dynamic(unit, earlier, notebook_names)
    for members in wanted:
        producer = earlier.latest_definer(members)
        if producer is None or producer.shared:
            continue
        for member in sorted(members):
            if not _available(producer, member):
                continue
            unit.inputs[member] = producer.name
            unit.loaded.add(member)
            producer.outputs.add(member)
            if member in producer.untravelable:
                cell, line = producer.assigned_at.get(member, (0, 0))
                problems.append((member, producer.untravelable[member], producer.name, unit.name, cell, line))
    for member in unit.loaded:
        unit.kinds.setdefault(member, "data")


def _resolve_dynamic(unit: Unit, earlier: _Earlier, notebook_names: set[str]) -> None:
    """Names no statement binds may come from ``globals()[...] = …``/``exec``: ask the
    latest step with dynamic name access for them."""
    dynamic = earlier.dynamic
    if dynamic is None:
        return
    if unit.dynamic:
        # What exec/globals() made is invisible to analysis: hand the whole namespace on.
        unit.inputs[EVERYTHING] = dynamic.name
        dynamic.outputs.add(EVERYTHING)
    # A step calling exec/globals()[...] may define anything: a name no earlier step
    # defines (``exec('z = 41')`` then ``z += 1``) comes from it.
    for name in unit.candidates - BUILTIN_NAMES:
        if name.startswith("__") or earlier.latest_definer(frozenset({name})) is not None:
            continue
        unit.inputs[name] = dynamic.name
        unit.loaded.add(name)
        dynamic.outputs.add(name)
        earlier.defines(dynamic, name)
        dynamic.kinds[name] = "data"


def _available(producer: Unit, name: str) -> bool:
    kind = producer.kinds.get(name)
    if name in producer.loaded:
        return kind != "deleted"
    return name in producer.defines and kind == "data"


# --- replayable statements ---------------------------------------------------------------
def _replayable(split: Split, analyses: dict[int, CellAnalysis],
                deferred: dict[str, Deferred]) -> dict[int, list[tuple[int, str]]]:
    """Definitions and configuration later steps re-execute instead of receiving as data.

    Marks every statement's ``replayed``: a ``def`` whose header (decorators, defaults,
    annotations) reads a notebook value, or whose decorator changes one, is not re-run;
    its function travels as a value instead (the latest definition always wins)."""
    in_steps = {c.index for d in split.steps for c in d.cells}
    replay_names: set[str] = set(BUILTIN_NAMES)
    result: dict[int, list[tuple[int, str]]] = {}
    for index in sorted(in_steps):
        analysis = analyses[index]
        if analysis.tree is None:
            continue
        lines = analysis.code.splitlines()
        for stmt, facts in zip(analysis.tree.body, analysis.statements):
            facts.replayed = _is_replayable(facts, replay_names, deferred)
            if not facts.replayed:
                replay_names -= facts.writes  # a later reader must not count on a re-run
                continue
            replay_names |= facts.writes
            start = min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", []))])
            code = "\n".join(lines[start - 1:stmt.end_lineno])
            result.setdefault(index, []).append((start, code))
    return result


def _is_replayable(facts: StatementFacts, replay_names: set[str], deferred: dict[str, Deferred]) -> bool:
    if facts.kind == "import":
        return True
    if facts.kind in ("def", "class"):
        header_effects = any(deferred[n].mutates or deferred[n].writes
                             for n in facts.definition_reads if n in deferred)
        return facts.definition_reads <= replay_names and not header_effects
    if facts.kind == "config":
        return (facts.reads - facts.mutates) <= replay_names | facts.writes
    return False
