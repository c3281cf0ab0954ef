"""The pipeline as one readable Python module of KFP components (pure: returns text).

One function per step, self-contained the way KFP lightweight components must be:
its notebook cells as nested functions (see :mod:`.cellcode`), its imports inside,
and one call into :mod:`kale_like.runtime.kfp_entry`, which runs the cells as the
notebook would. A ``pipeline`` function wires the steps and applies their settings.
Parameter values never appear here: they are pipeline inputs whose defaults the
compiler receives as data (and the module reads from a JSON file beside it).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace

from .._version import __version__
from ..analysis.ipython_source import to_python
from ..notebook.counts import execution_plan
from ..pipeline import Step
from ..planning import Plan
from .cellcode import cell_body, nested_function, string_assignment
from .header import comment_text
from .inputs import VALUE, ParameterPlan, plan_parameters
from .kinds import ARTIFACT, ArtifactTypes, alias_bundles
from .names import (
    EVERYTHING,
    FILES,
    FILES_INPUT,
    FILES_OUTPUT,
    HTML_OUTPUT,
    METRICS_OUTPUT,
    NOTEBOOK_OUTPUT,
    RESERVED,
    RNG,
    Namespace,
    function_names,
    kfp_name,
    pipeline_name,
)
from .options import CompileOptions, default_image
from .tasks import task_settings

PIPELINE_FUNCTION = "pipeline"


@dataclass(frozen=True)
class Slot:
    """A notebook variable travelling as a KFP artifact."""

    name: str   # notebook variable
    arg: str    # the component's input or output name
    kind: str   # Dataset | Model | Artifact


@dataclass(frozen=True)
class StepComponent:
    step: str
    function: str
    outputs: tuple[Slot, ...]


@dataclass(frozen=True)
class GeneratedModule:
    source: str
    stem: str
    components: tuple[StepComponent, ...]
    parameters: ParameterPlan
    pipeline_name: str
    skipped_step: str | None                 # the parameters step, when it needs no component
    cells: dict[tuple[str, str], str] = field(default_factory=dict)  # (function, nested) -> code
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Wiring:
    """A component's arguments: (name, arg) parameter pairs and (slot, producer) inputs."""

    values: list[tuple[str, str]]
    injected: list[tuple[str, str]]
    inputs: list[tuple[Slot, str]]


@dataclass
class _Context:
    plan: Plan
    options: CompileOptions
    parameters: ParameterPlan
    types: ArtifactTypes
    bundles: dict[str, tuple[tuple[str, ...], ...]]
    functions: dict[str, str]
    counts: dict[int, int]
    packages: tuple[str, ...]
    runtime: str | None
    literal_cells: frozenset[tuple[str, str]]
    outputs: dict[str, dict[str, Slot]] = field(default_factory=dict)
    wiring: dict[str, _Wiring] = field(default_factory=dict)
    cells: dict[tuple[str, str], str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    uses_kubernetes: bool = False


def generate_module(plan: Plan, options: CompileOptions, *, stem: str, packages: tuple[str, ...] = (),
                    runtime: str | None = None,
                    literal_cells: frozenset[tuple[str, str]] = frozenset()) -> GeneratedModule:
    """Render the component module for ``plan``.

    ``packages`` are installed at step start only when ``options.installs``;
    ``runtime`` (its stamp) embeds the folder ``ASSETS``: kale_like's step runtime and the
    notebook's local modules (see :mod:`.runtime_bundle`);
    ``literal_cells`` forces those (function, nested name) cells into string form.
    """
    pipeline = plan.pipeline
    indices = sorted({i for s in pipeline.steps for i in [*(c.cell_index for c in s.cells), *s.prelude_cells]})
    analyses, ctx = plan.analyses_of(indices)
    parameters = plan_parameters(plan, options.parameters)
    context = _Context(
        plan=plan, options=options, parameters=parameters, types=ArtifactTypes(pipeline, analyses, ctx),
        bundles=alias_bundles(pipeline, plan.alias_classes),
        functions=function_names([s.name for s in pipeline.steps], PIPELINE_FUNCTION,
                                 {p.arg for p in parameters.inputs}),
        counts=_execution_counts(plan, options), packages=packages, runtime=runtime, literal_cells=literal_cells)
    skipped = parameters.step if parameters.step and not parameters.runs else None
    blocks = []
    components = []
    for name in pipeline.order:
        step = pipeline.step(name)
        if name == skipped:
            continue
        blocks.append(_component(context, step))
        components.append(StepComponent(name, context.functions[name], tuple(context.outputs[name].values())))
    blocks.append(_pipeline_function(context, skipped))
    source = "\n\n\n".join([_header(context, stem)] + blocks + [_main()]) + "\n"
    return GeneratedModule(source, stem, tuple(components), parameters, pipeline_name(pipeline.name), skipped,
                           context.cells, tuple(context.warnings))


def _execution_counts(plan: Plan, options: CompileOptions) -> dict[int, int]:
    cells = [SimpleNamespace(cell_type=c.cell_type, source=c.source) for c in plan.notebook.cells]
    parameter_cell = next((s.cells[-1].cell_index for s in plan.pipeline.steps if s.kind == "parameters" and s.cells),
                          None)
    counts, _ = execution_plan(cells, set(plan.skipped_cells), options.parameters, parameter_cell)
    return counts


# --- module frame ----------------------------------------------------------------------------
def _header(context: _Context, stem: str) -> str:
    notebook = context.plan.notebook.path or "the notebook"
    lines = [
        f'"""Kubeflow Pipelines components for {_docstring_safe(notebook)}, generated by kale_like {__version__}.',
        "",
        "One function per pipeline step. Each holds the step's notebook cells as nested",
        "functions that are never called: kale_like reads their source back and runs it",
        "the way Jupyter would. Parameter values are not in this file: they are pipeline",
        "inputs, with the notebook's defaults in PARAMETERS_FILE.",
        "",
        f"Compile: python {stem}.py {stem}.yaml",
        '"""',
        "import json",
        "import os",
        "import sys",
        "",
        "from kfp import dsl",
    ]
    if context.uses_kubernetes:
        lines.append("from kfp import kubernetes")
    lines += [
        "from kfp.dsl import HTML, Artifact, Dataset, Input, Metrics, Model, Output",
        "",
        "HERE = os.path.dirname(os.path.abspath(__file__))",
        f"PARAMETERS_FILE = os.path.join(HERE, {stem + '.parameters.json'!r})",
    ]
    if context.runtime:
        lines += [f"ASSETS = os.path.join(HERE, {stem + '_assets'!r})  # kale_like's runtime, local modules", "",
                  "from kale_like.kfp.runtime_bundle import fix_archive_time  # noqa: E402",
                  "",
                  "fix_archive_time()  # equal ASSETS give equal components (kfp would stamp the time)"]
    return "\n".join(lines)


def _main() -> str:
    return "\n".join([
        'if __name__ == "__main__":',
        "    from kfp import compiler",
        "",
        "    with open(PARAMETERS_FILE, encoding=\"utf-8\") as handle:",
        "        defaults = json.load(handle)",
        "    target = sys.argv[1] if len(sys.argv) > 1 else \"pipeline.yaml\"",
        "    compiler.Compiler().compile(pipeline, target, pipeline_parameters=defaults)",
    ])


def _docstring_safe(text: str) -> str:
    # comment_text turns control characters and lone surrogates (file names may hold them) into escapes.
    return comment_text(text.replace("\\", "/").replace('"""', "'''"))


# --- one step ----------------------------------------------------------------------------------
def _component(context: _Context, step: Step) -> str:
    function = context.functions[step.name]
    scope = Namespace(RESERVED)
    outputs = _output_slots(context, step, scope)
    values, injected = _value_args(context, step, scope)
    inputs = _input_slots(context, step, scope)
    context.wiring[step.name] = _Wiring(values, injected, inputs)
    signature = ([f"{arg}: {context.parameters.named(name).annotation}" for name, arg in values + injected]
                 + [f"{s.arg}: Input[{s.kind}]" for s, _ in inputs]
                 + [f"{s.arg}: Output[{s.kind}]" for s in outputs]
                 + [f"{NOTEBOOK_OUTPUT}: Output[Artifact]", f"{HTML_OUTPUT}: Output[HTML]"])
    if step.metrics:
        signature.append(f"{METRICS_OUTPUT}: Output[Metrics]")
    if _files_producer(context, step):
        signature.append(f"{FILES_INPUT}: Input[Artifact]")
    if FILES in step.outputs:
        signature.append(f"{FILES_OUTPUT}: Output[Artifact]")
    lines = [_decorator(context, step), f"def {function}("]
    lines += [f"    {item}," for item in signature]
    lines.append("):")
    lines += _docstring(step)
    cell_lines, calls = _cells(context, step, function, scope)
    lines += cell_lines
    lines += _runtime_check(context.runtime)
    lines += ["    from kale_like.runtime import kfp_entry", "", "    kfp_entry.run_step("]
    lines.append(f"        {step.name!r},")
    lines += [f"        {key}={value}," for key, value in calls]
    lines += _run_arguments(context, step, values, injected, [s for s, _ in inputs], outputs)
    lines.append("    )")
    return "\n".join(lines)


def _runtime_check(runtime: str | None) -> list[str]:
    """The shipped runtime is at the front of sys.path; a kale_like the image loaded before
    it (another version) would run the step half-compatibly: stop with one line instead."""
    if not runtime:
        return []
    message = (f"kale_like: this pipeline ships kale_like runtime {runtime}, but the image loaded another "
               f"kale_like first, from ")
    return [
        "    import kale_like",
        "",
        f"    if getattr(kale_like, 'RUNTIME', None) != {runtime!r}:",
        f"        raise SystemExit({message!r} + str(kale_like.__file__)",
        "                         + '; remove kale_like from the image, or compile with the same kale_like')",
        "",
    ]


def _decorator(context: _Context, step: Step) -> str:
    options = context.options
    image = step.settings.image or options.image or context.plan.pipeline.base_image or default_image()
    arguments = [f"base_image={image!r}"]
    installs = list(context.packages) if options.installs else []
    arguments.append(f"packages_to_install={installs!r}")
    arguments.append(f"install_kfp_package={options.installs}")
    if options.installs and options.pip_index_urls:
        arguments.append(f"pip_index_urls={list(options.pip_index_urls)!r}")
        arguments.append(f"pip_trusted_hosts={_hosts(options.pip_index_urls)!r}")
    if context.runtime:
        arguments.append("embedded_artifact_path=ASSETS")
    return f"@dsl.component({', '.join(arguments)})"


def _hosts(urls: tuple[str, ...]) -> list[str]:
    from urllib.parse import urlsplit

    return sorted({urlsplit(u).netloc for u in urls if urlsplit(u).netloc})


def _docstring(step: Step) -> list[str]:
    numbers = ", ".join(str(n) for n in step.cell_numbers) or "none"
    word = "cell" if len(step.cells) == 1 else "cells"
    return [f'    """Step {_docstring_safe(repr(step.name))}: notebook {word} {numbers}."""', ""]


def _output_slots(context: _Context, step: Step, scope: Namespace) -> list[Slot]:
    names = [n for n in step.outputs if n != FILES]
    if step.kind == "parameters":
        names = [n for n in names if context.parameters.direct(n, step.name) is None]
    slots = {n: Slot(n, scope.claim(kfp_name(n)), ARTIFACT if n in (RNG, EVERYTHING) else context.types.of(step, n))
             for n in names}
    context.outputs[step.name] = slots
    return list(slots.values())


def _value_args(context: _Context, step: Step, scope: Namespace) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(parameters read straight from pipeline inputs, parameters the step injects) as (name, arg)."""
    parameters = context.parameters
    values = [(i.name, scope.claim(parameters.named(i.name).arg, "_in")) for i in step.inputs
              if parameters.direct(i.name, i.producer)]
    injected = []
    if step.kind == "parameters":
        injected = [(p.name, scope.claim(p.arg, "_in")) for p in parameters.inputs]
    return values, injected


def _input_slots(context: _Context, step: Step, scope: Namespace) -> list[tuple[Slot, str]]:
    """(slot, producer step) for each variable the step loads from an upstream artifact."""
    slots = []
    for item in step.inputs:
        if item.name == FILES or context.parameters.direct(item.name, item.producer):
            continue
        produced = context.outputs[item.producer][item.name]
        slots.append((Slot(item.name, scope.claim(kfp_name(item.name), "_in"), produced.kind), item.producer))
    return slots


def _cells(context: _Context, step: Step, function: str, scope: Namespace) -> tuple[list[str], list[tuple[str, str]]]:
    lines: list[str] = []
    shared, prelude, cells = [], [], []
    notebook = context.plan.notebook
    for index in step.prelude_cells:
        source = notebook.cells[index].source
        name = _nested(context, function, scope.claim(f"shared_cell_{index + 1}"), source, lines)
        shared.append(f"({index + 1}, {name})")
    for snippet in step.prelude:
        name = _nested(context, function, scope.claim(f"replay_cell_{snippet.cell_index + 1}"), snippet.code, lines)
        prelude.append(f"({snippet.cell_index + 1}, {snippet.first_line}, {name})")
    for cell in step.cells:
        name = _nested(context, function, scope.claim(f"cell_{cell.cell_index + 1}"), cell.source, lines,
                       fallback=cell.code)
        cells.append(f"({cell.cell_index + 1}, {name})")
    calls = [(key, "[" + ", ".join(items) + "]") for key, items in
             (("shared", shared), ("prelude", prelude), ("cells", cells)) if items]
    raising = [c.cell_index + 1 for c in step.cells if c.raises_exception]
    if raising:
        calls.append(("raises_exception", repr(raising)))
    return lines, calls


def _nested(context: _Context, function: str, name: str, source: str, lines: list[str],
            fallback: str | None = None) -> str:
    """Append the cell as a nested function (or string) named ``name``; record the code it holds."""
    forced = (function, name) in context.literal_cells
    rendered = None if forced else nested_function(name, source)
    code = source
    if rendered is None and not forced:
        code = fallback if fallback is not None else _python(source)
        rendered = nested_function(name, code) if code != source else None
    if rendered is None:
        code = source
        rendered = string_assignment(name, source)
    context.cells[(function, name)] = cell_body(code)
    lines += rendered + [""]
    return name


def _python(source: str) -> str:
    try:
        return to_python(source)
    except Exception:  # IPython rejects some malformed magics; the step will report it
        return source


def _run_arguments(context: _Context, step: Step, values: list[tuple[str, str]], injected: list[tuple[str, str]],
                   inputs: list[Slot], outputs: list[Slot]) -> list[str]:
    lines = []
    if values:
        lines.append(f"        values={_mapping((n, a) for n, a in values)},")
    if injected:
        lines.append(f"        parameters={_mapping((n, a) for n, a in injected)},")
        modes = {n: context.parameters.named(n).mode for n, _ in injected}
        modes = {n: m for n, m in modes.items() if m != VALUE}
        if modes:
            lines.append(f"        parameter_modes={modes!r},")
    if inputs:
        lines.append(f"        inputs={_mapping((s.name, s.arg) for s in inputs)},")
    if outputs:
        lines.append(f"        outputs={_mapping((s.name, s.arg) for s in outputs)},")
    bundles = [b for b in context.bundles.get(step.name, ()) if all(n in context.outputs[step.name] for n in b)]
    if bundles:
        lines.append(f"        bundles={[list(b) for b in bundles]!r},")
    if step.metrics:
        lines.append(f"        metrics={METRICS_OUTPUT},")
        lines.append(f"        metric_names={list(step.metrics)!r},")
    if _files_producer(context, step):
        lines.append(f"        files_in={FILES_INPUT},")
    if FILES in step.outputs:
        lines.append(f"        files_out={FILES_OUTPUT},")
    # Replayed cells too: a frame in a replayed definition then reads "Cell In[n]".
    shown = [*step.prelude_cells, *(s.cell_index for s in step.prelude), *(c.cell_index for c in step.cells)]
    counts = {i + 1: context.counts[i] for i in sorted(set(shown)) if i in context.counts}
    lines.append(f"        execution_counts={counts!r},")
    lines.append(f"        notebook={NOTEBOOK_OUTPUT},")
    lines.append(f"        html={HTML_OUTPUT},")
    lines.append(f"        html_mode={context.options.html!r},")
    return lines


def _files_producer(context: _Context, step: Step) -> str | None:
    """The earlier step whose files this step reads (files travel as an artifact, as values do)."""
    producer = next((i.producer for i in step.inputs if i.name == FILES), None)
    if producer is None or producer not in context.outputs or FILES not in context.plan.pipeline.step(producer).outputs:
        return None
    return producer


def _mapping(pairs: Iterable[tuple[str, str]]) -> str:
    """``{"df": df_in, …}``: notebook names (as literals) to component arguments (as names)."""
    return "{" + ", ".join(f"{name!r}: {arg}" for name, arg in pairs) + "}"


# --- the pipeline function -----------------------------------------------------------------------
def _pipeline_function(context: _Context, skipped: str | None) -> str:
    pipeline = context.plan.pipeline
    parameters = context.parameters
    signature = ", ".join(f"{p.arg}: {p.annotation}" for p in parameters.inputs)
    header = [f"@dsl.pipeline(name={pipeline_name(pipeline.name)!r}, description={pipeline.description!r})",
              f"def {PIPELINE_FUNCTION}({signature}):"]
    body: list[str] = []
    tasks: dict[str, str] = {}
    scope = Namespace(set(context.functions.values()) | {p.arg for p in parameters.inputs})
    for name in pipeline.order:
        if name == skipped:
            continue
        step = pipeline.step(name)
        task = tasks[name] = scope.claim(f"{context.functions[name]}_task")
        body += _task_lines(context, step, task, tasks, skipped)
    while body and not body[-1]:
        body.pop()
    if not body:
        body = ["pass"]
    return "\n".join(header + ["    " + line if line else "" for line in body])


def _task_lines(context: _Context, step: Step, task: str, tasks: dict[str, str], skipped: str | None) -> list[str]:
    parameters = context.parameters
    wiring = context.wiring[step.name]
    arguments = [f"{arg}={parameters.named(name).arg}" for name, arg in wiring.values + wiring.injected]
    for slot, producer in wiring.inputs:
        produced = context.outputs[producer][slot.name]
        arguments.append(f"{slot.arg}={tasks[producer]}.outputs[{produced.arg!r}]")
    files_from = _files_producer(context, step)
    if files_from:
        arguments.append(f"{FILES_INPUT}={tasks[files_from]}.outputs[{FILES_OUTPUT!r}]")
    lines = [f"{task} = {context.functions[step.name]}({', '.join(arguments)})"]
    fed_by = {producer for _, producer in wiring.inputs} | ({files_from} if files_from else set())
    for upstream in step.upstream:
        if upstream not in fed_by and upstream != skipped:
            lines.append(f"{task}.after({tasks[upstream]})")
    settings, warnings, platform = task_settings(task, step.name, step.settings, tuple(context.plan.pipeline.volumes))
    context.warnings += warnings
    context.uses_kubernetes |= platform
    if context.options.installs:
        # Debian's python3 marks its environment externally managed (PEP 668) and pip then
        # refuses kfp's install prelude; the step's container is throwaway, so installing
        # into it is what we want. Stock python images have no marker and ignore this.
        settings = settings + [f"{task}.set_env_variable('PIP_BREAK_SYSTEM_PACKAGES', '1')"]
    return lines + settings + [""]
