"""Notebook -> analysis -> flow -> Pipeline. Pure: reads no files but the notebook's
neighbouring modules (for star imports), starts nothing."""
from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from .analysis.cells import CellAnalysis, analyze_cells
from .analysis.findings import Finding
from .errors import AnalysisError, Location, ParameterError
from .flow import PSEUDO, FlowResult, compute_flow
from .notebook import Cell, Notebook
from .parameters import check_names
from .pipeline import Parameter, Pipeline, Snippet, Step, StepCell, StepInput, StepSettings
from .splitting import Split, StepDraft, merge_for_travel, split_notebook
from .undefined import undefined_name_findings, with_execution_counts


@dataclass(frozen=True)
class Plan:
    """Everything a backend or a surface needs: the pipeline and how it was found."""

    notebook: Notebook
    pipeline: Pipeline
    findings: tuple[Finding, ...]
    strategy: str
    skipped_cells: tuple[int, ...]
    shared_cells: tuple[int, ...]
    analyses: Mapping[int, CellAnalysis] = field(default_factory=dict, compare=False, repr=False)
    """What the analysis found per cell index (every step and shared cell): code generation
    reads it instead of analysing the cells again."""
    import_context: Any = field(default=None, compare=False, repr=False)
    alias_classes: Mapping[str, frozenset[str]] = field(default_factory=dict, compare=False, repr=False)
    """For each variable, the variables that may share objects with it (the flow's alias
    classes): code generation bundles them from here instead of finding them again."""

    def analyses_of(self, indices: list[int]) -> tuple[dict[int, CellAnalysis], Any]:
        """These cells' analysis as the plan was built from it (analysed again only for a
        plan made without one) and the import context it was made in."""
        if self.import_context is not None and all(i in self.analyses for i in indices):
            return {i: self.analyses[i] for i in indices}, self.import_context
        return analyze_cells([self.notebook.cells[i] for i in indices])


def build_plan(notebook: Notebook, split: str = "auto", overrides: dict | None = None) -> Plan:
    """Build the validated pipeline for ``notebook``; raise on errors, return warnings as findings."""
    if overrides:
        check_names(overrides)
        notebook = _without_old_injection(notebook)
    drafts = split_notebook(notebook, split)
    search_dir = os.path.dirname(os.path.abspath(notebook.path)) if notebook.path else None
    code_cells = [c for d in drafts.steps for c in d.cells] + drafts.shared_cells
    analyses, context = analyze_cells(code_cells, search_dir)
    parameters = _parameters(drafts, analyses)
    names = {p.name for p in parameters} | set(overrides or {})
    if overrides and not any(d.kind == "parameters" for d in drafts.steps):
        drafts.steps.insert(0, StepDraft(name="parameters", cells=[], kind="parameters"))
    flow = compute_flow(drafts, analyses, names)
    if drafts.strategy != "tags":
        while flow.travel_problems:
            _, _, producer, consumer, _, _ = flow.travel_problems[0]
            drafts = merge_for_travel(drafts, producer, consumer)
            flow = compute_flow(drafts, analyses, names)
    findings = [a.syntax_error for a in analyses.values() if a.syntax_error] + flow.findings
    findings += [note for a in analyses.values() for note in a.notes] + drafts.notes
    step_of = {c.index: d.name for d in drafts.steps for c in d.cells}
    findings += undefined_name_findings(list(analyses.values()), context, step_of, set(overrides or {}),
                                        drafts.skipped)
    findings += _travel_findings(flow)
    findings += [Finding("warning", "minikf-only", note) for note in notebook.settings.minikf_only]
    findings = with_execution_counts(findings, {c.number: c.execution_count for c in notebook.cells
                                                if c.execution_count is not None})
    errors = [f for f in findings if f.severity == "error" and f.code == "cannot-travel"]
    if errors:
        first = errors[0]
        raise AnalysisError(first.message, Location(cell=first.cell, line=first.line, step=first.step,
                                                    execution_count=first.execution_count),
                            hint="put the cells that use it in one step, or split with --split auto")
    pipeline = _pipeline(notebook, drafts, analyses, flow, parameters)
    return Plan(notebook, pipeline, tuple(findings), drafts.strategy,
                tuple(c.index for c in drafts.skipped), tuple(c.index for c in drafts.shared_cells),
                analyses, context, flow.classes)


def _pipeline(notebook: Notebook, drafts: Split, analyses: dict[int, CellAnalysis], flow: FlowResult,
              parameters: list[Parameter]) -> Pipeline:
    steps = []
    positions = {d.name: d.first_index for d in drafts.steps}
    for draft in drafts.steps:
        unit = flow.units[draft.name]
        data_upstream = {p for n, p in unit.inputs.items()}
        upstream = tuple(sorted(data_upstream | set(draft.prev), key=lambda s: positions.get(s, -1)))
        steps.append(Step(
            name=draft.name,
            cells=tuple(StepCell(c.index, c.source, analyses[c.index].code, c.tags.raises_exception)
                        for c in draft.cells),
            inputs=tuple(StepInput(n, p) for n, p in sorted(unit.inputs.items())),
            outputs=tuple(sorted(unit.outputs)),
            upstream=upstream,
            prelude=_prelude(draft, drafts, flow),
            prelude_cells=tuple(c.index for c in drafts.shared_cells if c.index < draft.first_index),
            settings=_settings(draft, notebook),
            metrics=_metric_names(draft, analyses) if draft.kind == "metrics" else (),
            carries_rng="__rng__" in unit.inputs or "__rng__" in unit.outputs,
            kind=draft.kind,
            output_cells=tuple(sorted((n, unit.assigned_at[n][0]) for n in unit.outputs if n in unit.assigned_at)),
        ))
    name = notebook.settings.pipeline_name or _pipeline_name(notebook.path)
    return Pipeline(name=name, steps=tuple(steps), parameters=tuple(parameters),
                    description=notebook.settings.description, experiment=notebook.settings.experiment,
                    base_image=notebook.settings.base_image, notebook_path=notebook.path,
                    volumes=notebook.settings.volumes)


def _prelude(draft: StepDraft, drafts: Split, flow: FlowResult) -> tuple[Snippet, ...]:
    start = draft.first_index if draft.cells else 0
    own = {c.index for c in draft.cells}
    shared = {c.index: c for c in drafts.shared_cells}
    snippets = []
    candidates = sorted(set(flow.replayable) | set(shared))
    for index in candidates:
        if index >= start or index in own:
            continue
        if index in shared:
            continue  # shared cells run whole, from Step.prelude_cells
        for first_line, code in flow.replayable[index]:
            snippets.append(Snippet(index, code, first_line))
    return tuple(snippets)


def _settings(draft: StepDraft, notebook: Notebook) -> StepSettings:
    defaults = notebook.settings.step_defaults
    merged: dict = {
        "image": defaults.get("image"), "limits": dict(defaults.get("limits", {}) or {}),
        "requests": dict(defaults.get("requests", {}) or {}), "annotations": dict(defaults.get("annotations", {}) or {}),
        "labels": dict(defaults.get("labels", {}) or {}), "cache": defaults.get("cache"),
        "secrets": [], "env": dict(defaults.get("env", {}) or {}), "retries": defaults.get("retries"),
        "timeout": defaults.get("timeout"),
    }
    for cell in draft.cells:
        tags = cell.tags
        merged["image"] = tags.image or merged["image"]
        merged["limits"].update(dict(tags.limits))
        merged["requests"].update(dict(tags.requests))
        merged["annotations"].update(dict(tags.annotations))
        merged["labels"].update(dict(tags.labels))
        merged["env"].update(dict(tags.env))
        merged["secrets"] += [(s.name, s.key, s.env) for s in tags.secrets]
        merged["cache"] = tags.cache if tags.cache is not None else merged["cache"]
        merged["retries"] = tags.retries if tags.retries is not None else merged["retries"]
        merged["timeout"] = tags.timeout if tags.timeout is not None else merged["timeout"]
    return StepSettings(
        image=merged["image"], limits=tuple(sorted(merged["limits"].items())),
        requests=tuple(sorted(merged["requests"].items())),
        annotations=tuple(sorted(merged["annotations"].items())), labels=tuple(sorted(merged["labels"].items())),
        cache=merged["cache"], secrets=tuple(merged["secrets"]), env=tuple(sorted(merged["env"].items())),
        retries=merged["retries"], timeout=merged["timeout"])


def _metric_names(draft: StepDraft, analyses: dict[int, CellAnalysis]) -> tuple[str, ...]:
    names = []
    for cell in draft.cells:
        tree = analyses[cell.index].tree
        for stmt in tree.body if tree else []:
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Name):
                names.append(stmt.value.id)
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Tuple):
                names += [e.id for e in stmt.value.elts if isinstance(e, ast.Name)]
    return tuple(names)


def _parameters(drafts: Split, analyses: dict[int, CellAnalysis]) -> list[Parameter]:
    found: dict[str, Parameter] = {}
    for draft in drafts.steps:
        if draft.kind != "parameters":
            continue
        for cell in draft.cells:
            tree = analyses[cell.index].tree
            for stmt in tree.body if tree else []:
                targets, value = _assignment(stmt)
                for target in targets:
                    if isinstance(target, ast.Name) and value is not None:
                        default = _literal(value)
                        found[target.id] = Parameter(target.id, default, _type_name(default, value),
                                                     cell.index, stmt.lineno)
    return list(found.values())


def _assignment(stmt: ast.stmt) -> tuple[list[ast.expr], ast.expr | None]:
    """The targets and value of ``n = 2`` or ``n: int = 2`` (none for anything else)."""
    if isinstance(stmt, ast.Assign):
        return stmt.targets, stmt.value
    if isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        return [stmt.target], stmt.value
    return [], None


_NOT_LITERAL = object()


def _literal(node: ast.AST | None) -> Any:
    try:
        return ast.literal_eval(node) if node is not None else None
    except (ValueError, SyntaxError, TypeError):
        return _NOT_LITERAL


def _type_name(value: Any, node: ast.expr) -> str:
    if value is _NOT_LITERAL:
        return "expression"
    return type(value).__name__


def _travel_findings(flow: FlowResult) -> list[Finding]:
    return [Finding("error", "cannot-travel",
                    f"variable '{name}' ({kind}) is made in step '{producer}' but used in step '{consumer}': "
                    f"a {kind} cannot be passed between steps", cell or None, line or None, consumer)
            for name, kind, producer, consumer, cell, line in flow.travel_problems]


def _without_old_injection(notebook: Notebook) -> Notebook:
    """A notebook executed by papermill before keeps its ``injected-parameters`` cell;
    new values replace it (as papermill does), so the old cell must not run."""
    cells = tuple(replace(c, tags=replace(c.tags, role="skip"))
                  if "injected-parameters" in c.tags.ignored else c for c in notebook.cells)
    return replace(notebook, cells=cells)


def _pipeline_name(path: str | None) -> str:
    base = os.path.splitext(os.path.basename(path or "notebook"))[0]
    return re.sub(r"[^a-z0-9-]+", "-", base.lower()).strip("-")[:60] or "notebook"


def check_overrides(plan: Plan, overrides: dict) -> list[str]:
    """Names that are not parameters of the notebook (papermill warns about these too)."""
    known = {p.name for p in plan.pipeline.parameters}
    return sorted(set(overrides) - known)


__all__ = ["Plan", "build_plan", "check_overrides", "PSEUDO", "Cell", "ParameterError"]
