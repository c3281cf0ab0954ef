"""The records analysis produces: per-statement facts, deferred effects of code that
runs later, and the import aliases every statement is read against."""
from __future__ import annotations

import ast
from dataclasses import dataclass, field


@dataclass
class Deferred:
    """What calling a notebook-defined function (or using a value holding one) may do."""

    reads: set[str] = field(default_factory=set)
    writes: set[str] = field(default_factory=set)
    mutates: set[str] = field(default_factory=set)
    param_mutations: set[int | str] = field(default_factory=set)
    calls: set[str] = field(default_factory=set)
    file_io: bool = False
    rng: bool = False
    dynamic: bool = False
    generator: bool = False
    cache: bool = False  # results kept in the function object (functools.lru_cache, ...)
    module_state: set[str] = field(default_factory=set)
    module_reads: set[str] = field(default_factory=set)

    def absorb(self, other: "Deferred") -> bool:
        """Union ``other`` into self; return True if anything changed."""
        before = (len(self.reads), len(self.writes), len(self.mutates), self.file_io, self.rng, self.dynamic,
                  len(self.module_state), len(self.module_reads))
        self.module_state |= other.module_state
        self.module_reads |= other.module_reads
        self.reads |= other.reads
        self.writes |= other.writes
        self.mutates |= other.mutates
        self.file_io |= other.file_io
        self.rng |= other.rng
        self.dynamic |= other.dynamic
        return before != (len(self.reads), len(self.writes), len(self.mutates), self.file_io, self.rng, self.dynamic,
                          len(self.module_state), len(self.module_reads))


@dataclass
class StatementFacts:
    line: int
    kind: str = "other"  # import | def | class | config | other
    reads: set[str] = field(default_factory=set)
    writes: set[str] = field(default_factory=set)
    deletes: set[str] = field(default_factory=set)
    mutates: set[str] = field(default_factory=set)
    aliases: list[tuple[str, str]] = field(default_factory=list)
    deferred: dict[str, Deferred] = field(default_factory=dict)  # names bound to code that runs later
    uses_code: set[str] = field(default_factory=set)  # names whose deferred effects apply here
    calls: list[tuple[str, list[str | None], dict[str, str]]] = field(default_factory=list)
    definition_reads: set[str] = field(default_factory=set)  # reads at def/class time
    untravelable: dict[str, str] = field(default_factory=dict)
    file_io: bool = False
    rng: bool = False
    rng_seed: bool = False
    dynamic: bool = False
    interactive_backend: bool = False  # %matplotlib notebook/widget: figures stay open across cells
    replayed: bool = True  # a definition later steps re-run (False: its header needs notebook values)
    module_state: set[str] = field(default_factory=set)  # top-level packages whose module state may change
    module_reads: set[str] = field(default_factory=set)  # top-level packages whose state is read


@dataclass(frozen=True)
class ImportContext:
    """Names bound by imports anywhere in the notebook, mapped to dotted module paths."""

    modules: dict[str, str]          # alias -> dotted path (``np`` -> ``numpy``, ``environ`` -> ``os.environ``)
    notebook_functions: frozenset[str]
    # functions whose object holds state that calling them changes (a cache, attributes)
    stateful_functions: frozenset[str] = frozenset()
    cached_functions: frozenset[str] = frozenset()  # ... held in a cache no codec can save

    def dotted(self, node: ast.AST) -> str | None:
        """``np.random.seed`` -> ``numpy.random.seed`` when ``np`` is an import alias."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if isinstance(node, ast.Name) and node.id in self.modules:
            return ".".join([self.modules[node.id], *reversed(parts)])
        if isinstance(node, ast.Name) and not parts and node.id in ("open", "eval", "exec"):
            return node.id
        return None


def root_name(node: ast.AST) -> str | None:
    """The variable at the root of ``x.a[0].b`` (``x``), or None."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None
