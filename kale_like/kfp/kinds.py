"""What KFP artifact type each travelling variable gets, and which variables travel together.

The type is decided when compiling, from the code that assigns the variable
(``pd.read_csv(…)`` → ``Dataset``, ``LogisticRegression().fit(…)`` → ``Model``,
anything unknown → ``Artifact``). It is a label for the KFP UI and lineage: the
step records the type its codec actually chose in the artifact's metadata.

Variables that may share objects (``y = x``, ``v = arr[:2]``) are one *alias
class* for the data flow; each member still gets its own artifact, but the class
is saved as one bundle into each of them so ``y is x`` survives the trip.
"""
from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from typing import Mapping

from ..analysis.cells import CellAnalysis
from ..analysis.model import ImportContext
from ..pipeline import Pipeline, Step

DATASET, MODEL, ARTIFACT = "Dataset", "Model", "Artifact"
DATA_MODULES = ("numpy", "pandas", "polars", "pyarrow", "xarray", "scipy.sparse", "dask.dataframe", "datasets")
MODEL_MODULES = ("sklearn", "torch.nn", "keras", "tensorflow.keras", "xgboost", "lightgbm", "catboost",
                 "statsmodels", "transformers")
NOT_DATA = ("numpy.random.default_rng", "numpy.random.RandomState", "numpy.random.Generator",
            "pandas.ExcelWriter", "pandas.HDFStore")
DATA_FUNCTIONS = re.compile(r"^(train_test_split|make_\w+|load_\w+|fetch_\w+)$")
FIT_METHODS = ("fit", "partial_fit")


class ArtifactTypes:
    """Artifact type of each (step, variable), inferred once per compile.

    Steps are typed in the pipeline's order (producers first), each from its own code
    and the types its inputs arrived with, so a chain of thousands of steps is a loop,
    not a recursion as deep as the chain."""

    def __init__(self, pipeline: Pipeline, analyses: Mapping[int, CellAnalysis], ctx: ImportContext) -> None:
        self._pipeline = pipeline
        self._analyses = analyses
        self._ctx = ctx
        self._types: dict[str, dict[str, str]] | None = None  # step -> variable -> type

    def of(self, step: Step, name: str) -> str:
        if self._types is None:
            self._types = self._infer_all()
        return self._types.get(step.name, {}).get(name, ARTIFACT)

    def _infer_all(self) -> dict[str, dict[str, str]]:
        types: dict[str, dict[str, str]] = {}
        for step_name in self._pipeline.order:
            step = self._pipeline.step(step_name)
            # a producer typed later (only in a cycle, which a valid pipeline has not) gives Artifact
            known = {i.name: types.get(i.producer, {}).get(i.name, ARTIFACT) for i in step.inputs}
            types[step_name] = {**known, **self._assigned(step, known)}
        return types

    def _assigned(self, step: Step, known: dict[str, str]) -> dict[str, str]:
        """The type of every variable the step's cells assign, in statement order."""
        kinds: dict[str, str] = {}
        for cell in step.cells:
            analysis = self._analyses.get(cell.cell_index)
            for stmt in analysis.tree.body if analysis and analysis.tree else []:
                for target, value in _assignments(stmt):
                    kinds[target] = _kind(value, self._ctx, lambda n: kinds.get(n) or known.get(n))
        return kinds


def _assignments(stmt: ast.stmt) -> Iterator[tuple[str, ast.expr]]:
    """(target name, value expression) pairs an assignment statement binds."""
    if isinstance(stmt, ast.Assign):
        for target in stmt.targets:
            yield from _unpack(target, stmt.value)
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        yield from _unpack(stmt.target, stmt.value)


def _unpack(target: ast.AST, value: ast.expr) -> Iterator[tuple[str, ast.expr]]:
    if isinstance(target, ast.Name):
        yield target.id, value
    elif isinstance(target, (ast.Tuple, ast.List)):
        elements = value.elts if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts) else None
        for position, element in enumerate(target.elts):
            yield from _unpack(element, elements[position] if elements else value)


_OPERATORS = (ast.BinOp, ast.Compare, ast.UnaryOp)
# The kind of a variable assigned earlier, by name (None when unknown).
Known = Callable[[str], str | None]


def _kind(value: ast.expr, ctx: ImportContext, known: Known) -> str:
    if isinstance(value, _OPERATORS):
        return DATASET if any(_operand_kind(p, ctx, known) == DATASET for p in _operands(value)) else ARTIFACT
    return _operand_kind(value, ctx, known)


def _operands(value: ast.expr) -> Iterator[ast.expr]:
    """The operands of an arithmetic or comparison expression, through nested operators,
    without recursion (``a + b + … + z`` nests one BinOp per term)."""
    todo = [value]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.BinOp):
            todo += [node.right, node.left]
        elif isinstance(node, ast.Compare):
            todo += [*reversed(node.comparators), node.left]
        elif isinstance(node, ast.UnaryOp):
            todo.append(node.operand)
        else:
            yield node


def _operand_kind(value: ast.expr, ctx: ImportContext, known: Known) -> str:
    calls, node = [], value
    while isinstance(node, (ast.Call, ast.Attribute, ast.Subscript)):
        if isinstance(node, ast.Call):
            calls.append(node.func)
            node = node.func
        else:
            node = node.value
    root = node.id if isinstance(node, ast.Name) else None
    if root is not None and root not in ctx.modules:
        base = known(root)
        if base == MODEL:
            return MODEL if calls and _last_attr(calls[0]) in FIT_METHODS else ARTIFACT
        if base == DATASET:
            return DATASET
    if not calls:
        return ARTIFACT
    if any(_last_attr(c) in FIT_METHODS for c in calls[:-1]):
        return MODEL
    return _kind_of_callable(ctx.dotted(calls[-1]))


def _kind_of_callable(dotted: str | None) -> str:
    if not dotted or dotted in NOT_DATA:
        return ARTIFACT
    final = dotted.rsplit(".", 1)[-1]
    if _in(dotted, DATA_MODULES):
        return DATASET
    if _in(dotted, MODEL_MODULES):
        if final[:1].isupper():
            return MODEL
        return DATASET if DATA_FUNCTIONS.match(final) else ARTIFACT
    return ARTIFACT


def _in(dotted: str, modules: tuple[str, ...]) -> bool:
    return any(dotted == m or dotted.startswith(m + ".") for m in modules)


def _last_attr(func: ast.AST) -> str | None:
    return func.attr if isinstance(func, ast.Attribute) else (func.id if isinstance(func, ast.Name) else None)


def alias_bundles(pipeline: Pipeline, classes: Mapping[str, frozenset[str]]) -> dict[str, tuple[tuple[str, ...], ...]]:
    """Per step, the groups of its outputs that may share objects (two or more names each).
    ``classes`` are the plan's alias classes (``Plan.alias_classes``), as the flow found them."""
    bundles: dict[str, tuple[tuple[str, ...], ...]] = {}
    for step in pipeline.steps:
        groups: dict[frozenset[str], list[str]] = {}
        for name in step.outputs:
            groups.setdefault(classes.get(name, frozenset((name,))), []).append(name)
        bundles[step.name] = tuple(tuple(sorted(g)) for g in groups.values() if len(g) > 1)
    return bundles
