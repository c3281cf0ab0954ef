"""What a generated KFP component calls inside its container: run one step's cells.

The component function (see :mod:`kale_like.kfp.codegen`) passes its cells as
nested functions, its parameters as values and its variables as KFP artifacts.
This module reads the cells' source back, loads the input artifacts, and hands
everything to :func:`kale_like.runtime.child.execute` — the same runtime the local
backend uses, so a cell prints, displays and fails exactly as it does there. Then
it saves each output variable into its own artifact (codec and kind in the
metadata), logs metrics, and writes the step's executed cells as a notebook and
as HTML. A failing cell ends the process with status 1 after printing where the
error is: notebook cell and line.
"""
from __future__ import annotations

import ast
import inspect
import json
import os
import shutil
import sys
import tempfile
from typing import Any, Callable, Iterable

from .cells import Snippet, StepCell
from .spec import StepReport, StepSpec

CellCode = Callable[[], None] | str
_MISSING = object()
KEEP = "(notebook value)"  # kale_like.kfp.names.KEEP, repeated to keep this import light


def cell_text(cell: CellCode) -> str:
    """The code a generated nested function holds (or the string given instead)."""
    if isinstance(cell, str):
        return cell
    lines = inspect.getsource(cell).split("\n")
    indent = len(lines[0]) - len(lines[0].lstrip()) + 4
    prefix = " " * indent
    body = [line[indent:] if line.startswith(prefix) else "" for line in lines[1:]]
    return "\n".join(body)


def run_step(step: str, *, shared: Iterable[tuple[int, CellCode]] = (),
             prelude: Iterable[tuple[int, int, CellCode]] = (), cells: Iterable[tuple[int, CellCode]] = (),
             raises_exception: Iterable[int] = (), values: dict[str, Any] | None = None,
             parameters: dict[str, Any] | None = None, parameter_modes: dict[str, str] | None = None,
             inputs: dict[str, Any] | None = None, outputs: dict[str, Any] | None = None,
             bundles: Iterable[Iterable[str]] = (), metrics: Any = None, metric_names: Iterable[str] = (),
             execution_counts: dict[int, int] | None = None, notebook: Any = None, html: Any = None,
             html_mode: str = "auto", files_in: Any = None, files_out: Any = None) -> None:
    """Run one pipeline step inside a KFP component. Cell numbers count from 1."""
    from .child import execute

    scratch = tempfile.mkdtemp(prefix="kale_like-step-")
    raising = set(raises_exception)
    shared_cells = tuple(StepCell(n - 1, cell_text(c), cell_text(c), False) for n, c in shared)
    snippets = tuple(Snippet(n - 1, cell_text(c), first) for n, first, c in prelude)
    step_cells = tuple(StepCell(n - 1, cell_text(c), cell_text(c), n in raising) for n, c in cells)
    outputs = dict(outputs or {})
    groups = _output_groups(outputs, bundles)
    workdir = _working_folder()
    received = _receive_files(files_in, workdir)
    spec = StepSpec(
        step=step, cells=step_cells, prelude=snippets, shared_cells=shared_cells,
        inputs=_input_dirs(inputs or {}, values or {}, scratch, step),
        outputs=tuple(outputs), output_dir=os.path.join(scratch, "outputs"),
        result_path=os.path.join(scratch, "report.json"),
        workdir=workdir,
        execution_counts={n - 1: c for n, c in (execution_counts or {}).items()},
        cell_sources=_cell_sources(snippets), metrics=tuple(metric_names),
        output_groups=tuple((outputs[names[0]].path, names) for names in groups),
        inject=_injector(parameters, parameter_modes or {}) if parameters is not None else None)
    try:
        report = execute(spec)
    except BaseException as exc:  # noqa: BLE001 - reported like any step failure
        report = StepReport(step, ok=False, error={"message": f"internal error while running step: "
                                                              f"{type(exc).__name__}: {exc}"})
    if report.ok:
        _publish(report, outputs, groups, step)
        if files_out is not None:
            _send_files(received + [f for f in report.files_written if f not in received], workdir, files_out)
        for name, value in report.metrics.items():
            metrics.log_metric(name, value)
    _write_documents(step, report, shared_cells + step_cells, notebook, html, html_mode)
    _echo(report)
    if report.unpredicted:
        from .spec import unpredicted_message

        print(f"kale_like: warning: {unpredicted_message(step, report.unpredicted)}", file=sys.stderr, flush=True)
    shutil.rmtree(scratch, ignore_errors=True)
    if not report.ok:
        print(_located(step, report.error or {}), file=sys.stderr, flush=True)
        raise SystemExit(1)


def _working_folder() -> str:
    """Where the cells run: the notebook's folder when kale_like says so (kfp-local), else the
    folder of files shipped with the pipeline (the notebook's small files, links to large
    ones on a volume), else the container's working directory."""
    given = os.environ.get("KALE_LIKE_WORKDIR")
    if given:
        return given
    # kale_like.kfp.files.FILES_DIR and VOLUME_MANIFEST, repeated to keep this import light
    shipped = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                           "notebook_files")
    if not os.path.isdir(shipped):
        return tempfile.mkdtemp(prefix="kale_like-folder-")  # never the container's / itself
    with open(os.path.join(shipped, "on_volume.json"), encoding="utf-8") as handle:
        for relative, target in json.load(handle).items():
            link = os.path.join(shipped, relative)
            os.makedirs(os.path.dirname(link), exist_ok=True)
            if not os.path.lexists(link):
                os.symlink(target, link)
    return shipped


def _receive_files(files_in: Any, workdir: str) -> list[str]:
    """Put the files earlier steps wrote into this step's folder, as they were in the notebook's.
    Under kfp-local the folder *is* the notebook's, where they already are."""
    if files_in is None or not os.path.isdir(files_in.path):
        return []
    received = []
    for root, _, names in os.walk(files_in.path):
        for name in names:
            relative = os.path.relpath(os.path.join(root, name), files_in.path)
            received.append(relative)
            if not os.environ.get("KALE_LIKE_WORKDIR"):
                target = os.path.join(workdir, relative)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copyfile(os.path.join(root, name), target)
    return sorted(received)


def _send_files(relatives: list[str], workdir: str, files_out: Any) -> None:
    """The files this step wrote (and those it received) as one artifact, for later steps."""
    os.makedirs(files_out.path, exist_ok=True)
    for relative in relatives:
        source = os.path.join(workdir, relative)
        if os.path.isfile(source):
            target = os.path.join(files_out.path, relative)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(source, target)
    files_out.metadata.update({"files": relatives})


def _cell_sources(snippets: tuple[Snippet, ...]) -> dict[int, str]:
    """Each replayed cell's code at its own line numbers, so warnings and tracebacks from
    its definitions show the source line (as the local backend, which has whole cells)."""
    lines: dict[int, list[str]] = {}
    for snippet in snippets:
        cell = lines.setdefault(snippet.cell_index, [])
        for offset, text in enumerate(snippet.code.split("\n")):
            index = snippet.first_line - 1 + offset
            cell.extend([""] * (index + 1 - len(cell)))
            cell[index] = text
    return {index: "\n".join(cell) for index, cell in lines.items()}


# --- inputs ----------------------------------------------------------------------------------
def _input_dirs(inputs: dict[str, Any], values: dict[str, Any], scratch: str, step: str) -> dict[str, str]:
    """Variable -> group directory. Artifacts holding one saved bundle map to one directory,
    so variables that shared objects in the producer share them here too."""
    dirs: dict[str, str] = {}
    seen: dict[tuple, str] = {}
    for name, artifact in inputs.items():
        path = artifact.path
        key = _bundle_key(path)
        dirs[name] = seen.setdefault(key, path) if key else path
    if values:
        from ..marshal import MarshalContext, save_group

        folder = os.path.join(scratch, "values")
        save_group(folder, dict(values), MarshalContext(step=step, cells={}))
        dirs.update({name: folder for name in values})
    return dirs


def _bundle_key(path: str) -> tuple | None:
    try:
        with open(os.path.join(path, "meta.json"), encoding="utf-8") as handle:
            meta = json.load(handle)
    except (OSError, ValueError):
        return None
    names = tuple(meta.get("names") or ())
    return (meta.get("step"), names) if len(names) > 1 else None


def _injector(parameters: dict[str, Any], modes: dict[str, str]) -> Callable[[dict], dict]:
    """What to inject after the parameters cell: each input that differs from what the cell computed."""
    def inject(namespace: dict) -> dict:
        injected = {}
        for name, given in parameters.items():
            mode = modes.get(name, "value")
            current = namespace.get(name, _MISSING)
            if mode == "keep" and given == KEEP:
                continue
            value = given if mode == "value" else parse_literal(given)
            if current is not _MISSING and _same(value, current):
                continue
            injected[name] = restore_numbers(value, None if current is _MISSING else current)
        return injected
    return inject


def parse_literal(text: str) -> Any:
    """A Python literal read without executing anything; other text stays a string."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text


def _same(value: Any, current: Any) -> bool:
    """Equal, and of the same type (an int where the cell made a float counts as the same)."""
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (value, current))
    try:
        return bool(value == current) and (numbers or type(value) is type(current))
    except Exception:  # an object whose == is not a truth value (arrays)
        return False


def restore_numbers(value: Any, guide: Any) -> Any:
    """KFP turns numbers inside lists and dicts into floats (and sorts dict keys); give back
    ints where the notebook's own value (``guide``) had ints, or where there is nothing to go by."""
    if isinstance(value, float) and value.is_integer() and not isinstance(guide, float):
        return int(value) if guide is None or (isinstance(guide, int) and not isinstance(guide, bool)) else value
    if isinstance(value, dict):  # KFP also sorts the keys: keep the notebook's order where it has one
        guide = guide if isinstance(guide, dict) else {}
        order = [k for k in guide if k in value] + [k for k in value if k not in guide]
        return {k: restore_numbers(value[k], guide.get(k)) for k in order}
    if isinstance(value, list):
        items = guide if isinstance(guide, (list, tuple)) and guide else [None]
        return [restore_numbers(v, items[min(i, len(items) - 1)]) for i, v in enumerate(value)]
    return value


# --- outputs ---------------------------------------------------------------------------------
def _output_groups(outputs: dict[str, Any], bundles: Iterable[Iterable[str]]) -> list[tuple[str, ...]]:
    groups = [tuple(b) for b in bundles if all(n in outputs for n in b)]
    bundled = {n for g in groups for n in g}
    return groups + [(n,) for n in outputs if n not in bundled]


def _publish(report: StepReport, outputs: dict[str, Any], groups: list[tuple[str, ...]], step: str) -> None:
    """Copy each bundle into every member's artifact and describe the artifacts in their metadata."""
    for names in groups:
        first = outputs[names[0]].path
        info = report.saved.get(first, {})
        for name in names:
            artifact = outputs[name]
            if artifact.path != first:
                shutil.copytree(first, artifact.path)
            artifact.metadata.update({"variable": name, "step": step, "codec": info.get("codec"),
                                      "kind": info.get("kind"), "nbytes": info.get("nbytes"),
                                      "bundle": list(names) if len(names) > 1 else None})


def _write_documents(step: str, report: StepReport, cells: tuple[StepCell, ...], notebook: Any, html: Any,
                     mode: str) -> None:
    from .stepdoc import render_html, step_notebook

    sources = {c.cell_index: c.source for c in cells}
    ran = [{"number": r.cell_index + 1, "source": sources.get(r.cell_index, ""), "outputs": r.outputs,
            "execution_count": r.execution_count, "warning_events": r.warning_events} for r in report.cells]
    document = step_notebook(step, ran, {"ok": report.ok, "error": _jsonable(report.error),
                                         "metrics": report.metrics})
    if notebook is not None:
        with open(notebook.path, "w", encoding="utf-8") as handle:
            json.dump(document, handle)
    if html is not None:
        with open(html.path, "w", encoding="utf-8") as handle:
            handle.write(render_html(document, mode))


def _jsonable(error: dict | None) -> dict | None:
    return json.loads(json.dumps(error, default=str)) if error else None


def _echo(report: StepReport) -> None:
    """The cells' text output in the container log, where ``kubectl logs`` shows it."""
    for record in report.cells:
        for output in record.outputs:
            kind = output.get("output_type")
            text = output.get("text") if kind == "stream" else output.get("data", {}).get("text/plain")
            text = "".join(text) if isinstance(text, list) else (text or "")
            for line in str(text).splitlines():
                sys.stdout.write(f"[cell {record.cell_index + 1}] {line}\n")
    sys.stdout.flush()


def _located(step: str, error: dict) -> str:
    where = [f"step '{step}'"] + [f"{k} {error[k]}" for k in ("cell", "line") if error.get(k)]
    text = f"kale_like: {', '.join(where)}: {error.get('message', 'failed')}"
    if error.get("hint"):
        text += f" ({error['hint']})"
    return text
