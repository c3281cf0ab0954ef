"""Notebook parameters as typed KFP pipeline inputs, and run arguments for them.

A parameter's value is *data* everywhere: it is a pipeline input with a default in
the compiled IR, passed to the components that need it, never written into
generated source. Three modes decide how a step turns the input into the value
the notebook sees:

``value``    a typed input (int, float, str, bool, list, dict). Used when the
             parameters cell only ever assigns the name a literal, so the input's
             default is exactly what the cell computes. Scalars in this mode go
             straight to the steps that read them.
``literal``  a string holding a Python literal (``None``, tuples, sets, bytes, ints
             beyond 2**53, …), read with :func:`ast.literal_eval` — never executed.
``keep``     a string whose default, :data:`KEEP`, means "what the notebook computes";
             any other text is read as a Python literal, or taken as a plain string.
             Used when the cell computes the value (``n = 2 * 3``) or changes it.

Steps that receive a parameter from the parameters step get it as an artifact, so
container values keep their exact types (KFP turns numbers inside lists and dicts
into floats; the parameters step restores them from what the cell computed).
"""
from __future__ import annotations

import ast
import json
import math
from dataclasses import dataclass, replace
from typing import Any

from ..errors import ParameterError
from ..pipeline import Step
from ..planning import Plan
from .names import KEEP, MODULE_NAMES, RESERVED, Namespace, kfp_name

VALUE, LITERAL, KEEP_MODE = "value", "literal", "keep"
SCALARS = ("int", "float", "str", "bool")
# kfp.local passes a task's inputs as one command-line argument (Linux caps one at 128 KiB).
ARGUMENT_BUDGET = 100 * 1024


@dataclass(frozen=True)
class PipelineInput:
    name: str          # the notebook variable
    arg: str           # the pipeline input's name in the IR
    annotation: str    # int | float | str | bool | list | dict
    default: Any       # given to the compiler as data
    mode: str          # value | literal | keep

    @property
    def direct(self) -> bool:
        """Steps read it straight from the pipeline input (not through the parameters step)."""
        return self.mode == VALUE and self.annotation in SCALARS


@dataclass(frozen=True)
class ParameterPlan:
    inputs: tuple[PipelineInput, ...]
    step: str | None       # the parameters step, if any
    runs: bool             # the parameters step needs a component of its own

    def input(self, name: str) -> PipelineInput | None:
        return next((i for i in self.inputs if i.name == name), None)

    def named(self, name: str) -> PipelineInput:
        """The input of a parameter the plan has (code generation asks for no other)."""
        found = self.input(name)
        if found is None:
            raise KeyError(f"no pipeline input for the parameter {name!r}")
        return found

    def direct(self, step_input_name: str, producer: str) -> PipelineInput | None:
        found = self.input(step_input_name) if producer == self.step else None
        return found if found is not None and found.direct else None

    @property
    def defaults(self) -> dict[str, Any]:
        return {i.arg: i.default for i in self.inputs}


def plan_parameters(plan: Plan, overrides: dict[str, Any] | None = None) -> ParameterPlan:
    pipeline = plan.pipeline
    step = next((s for s in pipeline.steps if s.kind == "parameters"), None)
    computed, pure = _computed_names(plan, step)
    scope = Namespace(RESERVED | MODULE_NAMES)  # the pipeline function's parameters must not shadow these
    inputs = []
    for parameter in pipeline.parameters:
        trusted = parameter.type_name != "expression" and parameter.name not in computed
        mode, annotation, default = _typed(parameter.default, trusted)
        found = PipelineInput(parameter.name, scope.claim(kfp_name(parameter.name), "_param"), annotation,
                              default, mode)
        if overrides and parameter.name in overrides:  # compiled with -p: that value is the default
            found = replace(found, default=_argument(found, overrides[parameter.name]))
        inputs.append(found)
    declared = {p.name for p in pipeline.parameters}
    for name, value in (overrides or {}).items():
        if name not in declared:
            mode, annotation, default = _typed(value, True)
            inputs.append(PipelineInput(name, scope.claim(kfp_name(name), "_param"), annotation, default, mode))
    result = ParameterPlan(tuple(inputs), step.name if step else None, False)
    if step is None:
        return result
    consumed = {i.name for s in pipeline.steps for i in s.inputs if i.producer == step.name}
    runs = not pure or any(result.direct(name, step.name) is None for name in consumed)
    return ParameterPlan(result.inputs, step.name, runs)


def _computed_names(plan: Plan, step: Step | None) -> tuple[set[str], bool]:
    """Names the parameters cells compute or change (not plain literal assignments), and
    whether the cells are nothing but literal assignments (then they print nothing)."""
    if step is None or not step.cells:
        return set(), True
    analyses, _ = plan.analyses_of([c.cell_index for c in step.cells])
    computed: set[str] = set()
    pure = True
    for analysis in analyses.values():
        if analysis.tree is None:
            return {p.name for p in plan.pipeline.parameters}, False
        for stmt, facts in zip(analysis.tree.body, analysis.statements):
            if _literal_assignment(stmt):
                continue
            pure = False
            if facts.dynamic:
                return {p.name for p in plan.pipeline.parameters}, False
            computed |= facts.writes | facts.mutates | facts.deletes
    return computed, pure


def _literal_assignment(stmt: ast.stmt) -> bool:
    if isinstance(stmt, ast.Pass):
        return True
    if isinstance(stmt, ast.Assign):
        targets, value = stmt.targets, stmt.value
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None and stmt.simple:
        targets, value = [stmt.target], stmt.value
    else:
        return False
    if not all(isinstance(t, ast.Name) for t in targets):
        return False
    try:
        ast.literal_eval(value)
    except (ValueError, SyntaxError, TypeError):
        return False
    return True


def _typed(default: Any, trusted: bool) -> tuple[str, str, Any]:
    """(mode, annotation, default as given to the compiler)."""
    if not trusted:
        return KEEP_MODE, "str", KEEP
    if isinstance(default, bool):
        return VALUE, "bool", default
    if isinstance(default, int) and abs(default) <= 2 ** 53:
        return VALUE, "int", default
    if isinstance(default, float) and math.isfinite(default):
        return VALUE, "float", default
    if isinstance(default, str):
        return VALUE, "str", default
    if isinstance(default, (list, dict)) and _json_data(default):
        return VALUE, type(default).__name__, default
    return LITERAL, "str", repr(default)


def _json_data(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_data(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_json_data(v) for v in value)
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or isinstance(value, (str, int, bool))


# --- run arguments -------------------------------------------------------------------------
def run_arguments(parameters: ParameterPlan, overrides: dict[str, Any]) -> dict[str, Any]:
    """KFP arguments (by pipeline input name) for ``overrides`` (by notebook name)."""
    arguments = {}
    for name, value in overrides.items():
        found = parameters.input(name)
        if found is None:
            raise ParameterError(f"'{name}' is not a parameter of this pipeline",
                                 hint="compile with the same -p options you run with")
        arguments[found.arg] = _argument(found, value)
    _check_size({**parameters.defaults, **arguments})
    return arguments


_PYTHON_TYPES: dict[str, type | tuple[type, ...]] = {"int": int, "str": str, "bool": bool, "list": (list, tuple),
                                                     "dict": dict}


def _argument(target: PipelineInput, value: Any) -> Any:
    if target.mode != VALUE:
        return value if isinstance(value, str) and target.mode == KEEP_MODE and value == KEEP else repr(value)
    kind = target.annotation
    if kind == "float" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if kind == "int" and isinstance(value, float) and value.is_integer():
        return int(value)
    expected = _PYTHON_TYPES.get(kind)
    if expected is not None and isinstance(value, expected) and not (kind == "int" and isinstance(value, bool)):
        value = list(value) if isinstance(value, tuple) else value  # only a list parameter takes a tuple
        if kind in ("list", "dict") and not _json_data(value):
            raise ParameterError(f"parameter '{target.name}' must be JSON data (str keys, no tuples or sets)")
        return value
    hint = "pass text with -r NAME VALUE" if kind == "str" else f"the notebook's default is a {kind}"
    raise ParameterError(f"parameter '{target.name}' takes a {kind}, not {type(value).__name__} {value!r}",
                         hint=hint)


def _check_size(values: dict[str, Any]) -> None:
    size = len(json.dumps(values, default=repr))
    if size > ARGUMENT_BUDGET:
        raise ParameterError(
            f"the pipeline's parameters take {size // 1024} KiB; KFP passes them to each step on the "
            f"command line, which holds at most 128 KiB",
            hint="pass large data as a file path or URL parameter and read it in a cell")
