"""Compile a plan to KFP v2 IR YAML with the real ``kfp`` compiler.

The generated module (see :mod:`.codegen`) is written to a file, imported, checked
(each cell must read back exactly as written), and its ``pipeline`` compiled with
the notebook's parameter defaults passed as data. The module is kept only when
asked for (``--dsl``), next to a JSON file with those defaults.
"""
from __future__ import annotations

import importlib.util
import json
import linecache
import os
import re
import shutil
import sys
import tempfile
import time
import types
from dataclasses import dataclass
from typing import Any

from ..errors import KaleLikeError, PipelineError
from ..planning import Plan
from ..runtime.kfp_entry import cell_text
from .codegen import PIPELINE_FUNCTION, GeneratedModule, StepComponent, generate_module
from .files import FILES_DIR, VOLUME_MANIFEST, FilePlan, plan_files
from .header import comment_text, pipeline_header
from .inputs import ParameterPlan
from .options import CompileOptions, resolve_image
from .requirements import STEP_RUNTIME, Requirements, find_requirements, pin
from .runtime_bundle import deterministic_archives, freeze_times, stage_runtime

# Linux passes each command-line argument to a process whole, up to 128 KiB; the
# component's source is one argument on a cluster and under kfp.local alike.
SOURCE_LIMIT = 120 * 1024


# Characters that line-splitting or tokenizing may treat differently from the plain
# newline-and-indent scheme the nested functions use; only cells holding one are read back.
UNUSUAL = re.compile(r"[^\x20-\x7e\n]")


class KfpMissing(KaleLikeError):
    """The kfp extra is not installed."""


@dataclass(frozen=True)
class CompiledPipeline:
    package_path: str
    module_path: str | None
    pipeline_name: str
    parameters: ParameterPlan
    components: tuple[StepComponent, ...]
    skipped_step: str | None
    requirements: Requirements
    warnings: tuple[str, ...]
    seconds: float
    files: FilePlan = FilePlan((), {})
    image: str = ""
    image_reason: str = ""        # which image the steps use and why (the compile output says it)
    runtime: str = ""             # the stamp of the kale_like runtime shipped in the components

    def component(self, step: str) -> StepComponent | None:
        return next((c for c in self.components if c.step == step), None)


def require_kfp() -> None:
    try:
        import kfp  # noqa: F401
    except ImportError:
        raise KfpMissing("Kubeflow Pipelines support needs the kfp SDK",
                         hint="pip install 'kale_like[kfp]'") from None


def compile_plan(plan: Plan, package_path: str, options: CompileOptions = CompileOptions(),
                 dsl_path: str | None = None) -> CompiledPipeline:
    """Write the pipeline's IR YAML to ``package_path`` (and the module to ``dsl_path``)."""
    require_kfp()
    began = time.perf_counter()
    options = resolve_image(options, plan)
    requirements = find_requirements(plan.notebook, resolve=options.installs)
    packages = tuple(dict.fromkeys(requirements.pinned + tuple(pin(d) for d in STEP_RUNTIME)
                                   + tuple(options.packages)))
    warnings = _install_warnings(options, requirements) + list(plan.notebook.settings.minikf_only)
    files = plan_files(plan.notebook, tuple(plan.pipeline.volumes), *_recorded_files(plan))
    with tempfile.TemporaryDirectory(prefix="kale_like-compile-") as scratch:
        folder = os.path.dirname(os.path.abspath(dsl_path)) if dsl_path else scratch
        stem = os.path.splitext(os.path.basename(dsl_path))[0] if dsl_path else "pipeline_module"
        assets = os.path.join(folder, f"{stem}_assets")
        runtime = _stage_assets(requirements.local if options.ship_local_modules else (), assets,
                                plan.notebook.path, files)
        generated = generate_module(plan, options, stem=stem, packages=packages, runtime=runtime)
        module = _load(generated, folder)
        unreadable = _unreadable_cells(module, generated)
        if unreadable:
            generated = generate_module(plan, options, stem=stem, packages=packages, runtime=runtime,
                                        literal_cells=unreadable)
            module = _load(generated, folder)
        _check_components(module, generated, options)
        os.makedirs(os.path.dirname(os.path.abspath(package_path)), exist_ok=True)
        write_package(getattr(module, PIPELINE_FUNCTION), package_path, generated.parameters.defaults)
        sys.modules.pop(module.__name__, None)
    return CompiledPipeline(
        package_path=os.path.abspath(package_path), module_path=os.path.abspath(dsl_path) if dsl_path else None,
        pipeline_name=generated.pipeline_name, parameters=generated.parameters, components=generated.components,
        skipped_step=generated.skipped_step, requirements=requirements,
        warnings=tuple(warnings) + generated.warnings, seconds=time.perf_counter() - began,
        files=files, image=options.image or "", image_reason=options.image_reason, runtime=runtime)


def write_package(pipeline: Any, package_path: str, defaults: dict[str, Any]) -> None:
    """What ``kfp.compiler.Compiler().compile`` does, writing the YAML with libyaml.

    The pipeline spec is kfp's own (built when the module's ``@dsl.pipeline`` ran,
    overridden with the defaults by kfp's builder); only the YAML emitter differs:
    PyYAML's pure-Python emitter takes most of the time for large pipelines (8 s of
    10 for 300 steps), libyaml's gives the same documents in a fraction of it.
    """
    import yaml
    from kfp import compiler

    dumper = getattr(yaml, "CSafeDumper", None)
    try:
        from google.protobuf import json_format
        from kfp.compiler import pipeline_spec_builder as builder
        from kfp.dsl.types import type_utils

        with type_utils.TypeCheckManager(enable=True):
            spec = builder.modify_pipeline_spec_with_override(
                pipeline_spec=pipeline.pipeline_spec, pipeline_name=None, pipeline_parameters=defaults,
                pipeline_display_name=None)
        documents = [json_format.MessageToDict(spec)]
        if len(pipeline.platform_spec.platforms):
            documents.append(json_format.MessageToDict(pipeline.platform_spec))
        header = pipeline_header(documents[0], pipeline.description)
    except (ImportError, AttributeError, TypeError):
        dumper = None  # another kfp version: let its compiler do everything
    if dumper is None:
        _refuse_unescaped_header(pipeline.description, defaults)
        compiler.Compiler().compile(pipeline, package_path, pipeline_parameters=defaults)
        return
    with open(package_path, "w", encoding="utf-8") as handle:
        handle.write(header)
        yaml.dump_all(documents, handle, sort_keys=True, Dumper=dumper)


def _refuse_unescaped_header(description: str | None, defaults: dict) -> None:
    """Without kfp's builder functions the header is kfp's own, which pastes values in
    as they are: refuse texts that would break out of its comment lines."""
    texts = [description or "", *(str(v) for v in defaults.values())]
    if any(comment_text(line) != line for text in texts for line in text.splitlines()) or \
            any(comment_text(str(v)) != str(v) for v in defaults.values()):
        raise PipelineError("this kfp version writes parameter defaults into the YAML header unescaped, and a "
                            "default or the description holds a line break or a control character",
                            hint="install kfp>=2.14,<3 (pip install 'kale_like[kfp]')")


def _install_warnings(options: CompileOptions, requirements: Requirements) -> list[str]:
    return [f"'{name}' is imported but no installed distribution provides it; the step image must provide it"
            for name in requirements.missing]


def _recorded_files(plan: Plan) -> tuple[dict[str, int], tuple[str, ...]]:
    """What the notebook's last local run (in its default work folder) saw its cells read, and write."""
    from ..run_paths import FILES_READ, default_workdir

    try:
        with open(os.path.join(default_workdir(plan.notebook.path), FILES_READ), encoding="utf-8") as handle:
            recorded = json.load(handle)
    except (OSError, ValueError):
        return {}, ()
    if not isinstance(recorded, dict):
        return {}, ()
    read = recorded.get("read")
    read = read if isinstance(read, dict) else {}
    return {str(k): int(v) for k, v in read.items()}, tuple(str(p) for p in recorded.get("written") or ())


def _stage_assets(paths: tuple[str, ...], target: str, notebook: str | None, files: FilePlan) -> str:
    """What travels inside every component: kale_like's step runtime, the notebook's local
    modules and the small files it reads (see :mod:`.files`). Returns the runtime's stamp."""
    if os.path.exists(target):
        shutil.rmtree(target)
    os.makedirs(target)
    runtime = stage_runtime(target)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for path in paths:
        if os.path.basename(path) in ("kale_like", "kale_like.py"):
            continue  # the runtime is shipped already
        destination = os.path.join(target, os.path.basename(path))
        if os.path.isdir(path):
            shutil.copytree(path, destination, ignore=ignore)
        else:
            shutil.copy2(path, destination)
    # The step's folder exists in every component: what the notebook reads, links to the volume.
    folder = os.path.dirname(os.path.abspath(notebook or "."))
    for item in files.shipped:
        destination = os.path.join(target, FILES_DIR, item.relative)
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        shutil.copyfile(os.path.join(folder, item.relative), destination)
    os.makedirs(os.path.join(target, FILES_DIR), exist_ok=True)
    with open(os.path.join(target, FILES_DIR, VOLUME_MANIFEST), "w", encoding="utf-8") as handle:
        json.dump(files.on_volume, handle, sort_keys=True)
    freeze_times(target)
    return runtime


def _load(generated: GeneratedModule, folder: str) -> types.ModuleType:
    path = os.path.join(folder, generated.stem + ".py")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(generated.source)
    with open(os.path.join(folder, generated.stem + ".parameters.json"), "w", encoding="utf-8") as handle:
        json.dump(generated.parameters.defaults, handle, indent=1)
    linecache.checkcache(path)
    name = f"kale_like_generated_{abs(hash((path, generated.source))):x}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        with deterministic_archives():
            spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(name, None)
        raise PipelineError(f"the generated pipeline module does not load: {type(exc).__name__}: {exc}",
                            hint=f"see {path}") from exc
    return module


def _unreadable_cells(module: types.ModuleType, generated: GeneratedModule) -> frozenset[tuple[str, str]]:
    """Cells whose nested function does not read back as the exact code it was written from."""
    bad = set()
    suspects = {key for key, code in generated.cells.items() if UNUSUAL.search(code)}
    if not suspects:
        return frozenset()
    for component in generated.components:
        function = getattr(module, component.function).python_func
        for constant in function.__code__.co_consts:
            key = (component.function, getattr(constant, "co_name", None))
            if not isinstance(constant, types.CodeType) or key not in suspects:
                continue
            closure = tuple(types.CellType() for _ in constant.co_freevars)
            nested = types.FunctionType(constant, {}, constant.co_name, None, closure)
            try:
                readable = cell_text(nested) == generated.cells[key]
            except (OSError, TypeError, IndexError):
                readable = False
            if not readable:
                bad.add(key)
    return frozenset(bad)


def _check_components(module: types.ModuleType, generated: GeneratedModule, options: CompileOptions) -> None:
    for component in generated.components:
        container = getattr(module, component.function).component_spec.implementation.container
        source = container.command[-1]
        if len(source.encode()) > SOURCE_LIMIT:
            raise PipelineError(
                f"step '{component.step}' compiles to {len(source.encode()) // 1024} KiB of component source; "
                f"KFP passes it to the container as one command-line argument (at most 128 KiB)",
                hint="split the step's cells into more steps, read large literals from a file, or put the "
                     "files the notebook reads on a volume (kale_like.volumes with notebook_files: true)")
        if not options.installs and "pip install" in " ".join(container.command[:-1]):
            raise PipelineError(f"step '{component.step}' would pip-install packages at start",
                                hint="this is a bug in kale_like: installing must be asked for")
