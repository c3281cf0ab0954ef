"""The inside of a step process: replay definitions, load inputs, run the cells
capturing their outputs, save outputs, report.

Runs in a process forked from a warm parent, so heavy imports are already paid.
Imports here are light; marshal and the shell come from the warm parent too.
"""
from __future__ import annotations

import json
import linecache
import os
import pickle
import random
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict

from ..errors import DamagedData, KaleLikeError, NoSpace, is_no_space
from ..marshal.mainref import register_classes
from . import warning_events
from .capture import SINK, StepShell, StreamCapture, make_shell
from .fdcapture import FdCapture
from .file_audit import FileAudit
from .fingerprint import fingerprint
from .live import LiveWriter
from .memory import limit_memory, over_limit_message
from .modstate import PREFIX as MODULE_PREFIX, ModuleState, packages
from .spec import EXIT_NO_SPACE, CellRecord, StepReport, StepSpec

RNG_KEY = "__rng__"
EVERYTHING = "__everything__"
HISTORY_KEY = "__history__"


def run_spec_file(spec_path: str, on_reported: Callable[[], None] | None = None) -> None:
    """:func:`run_spec` of the spec pickled in ``spec_path``."""
    with open(spec_path, "rb") as handle:
        run_spec(pickle.load(handle), on_reported)


def run_spec(spec: StepSpec, on_reported: Callable[[], None] | None = None) -> None:
    """Process entry point: everything goes to the report; nothing escapes as a traceback.

    ``on_reported`` is called once the report is written: what remains is only exiting."""
    started = time.perf_counter()
    try:
        limit_memory(spec.memory_limit)
        report = execute(spec)
        _confirm_inputs(report)
        _name_memory_limit(spec, report)
    except BaseException as exc:  # noqa: BLE001 - the report must always be written
        report = StepReport(spec.step, ok=False, error={
            "message": f"internal error while running step: {type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc()})
    report.seconds = time.perf_counter() - started
    try:
        write_report(spec.result_path, report)
    except OSError as exc:
        os._exit(EXIT_NO_SPACE if is_no_space(exc) else 1)
    sys.stdout.flush()
    if on_reported is not None:
        on_reported()
    os._exit(0)


def _name_memory_limit(spec: StepSpec, report: StepReport) -> None:
    """A MemoryError under a limit:memory tag says which limit it hit."""
    error = report.error or {}
    if spec.memory_limit and "MemoryError" in f"{error.get('ename')} {error.get('message')}":
        error["message"] = over_limit_message(spec.memory_limit, error.get("message") or "MemoryError")
        error["hint"] = "hint: raise the step's limit:memory tag, or make the step use less memory"


def _confirm_inputs(report: StepReport) -> None:
    """Large inputs are checked while the cells run; the result counts only if they were intact."""
    from ..marshal import confirm_loaded

    try:
        confirm_loaded()
    except DamagedData as exc:
        report.ok = False
        report.error = {"message": exc.render(), "cell": None, "line": None, "damaged_input": exc.directory}


def write_report(path: str, report: StepReport) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(asdict(report), handle)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def execute(spec: StepSpec) -> StepReport:
    os.chdir(spec.workdir)
    if sys.path[:1] != [""]:
        sys.path.insert(0, "")
    _reseed()
    warning_events.install()
    shell = make_shell()
    _fresh_namespace(shell)
    for index, code in spec.cell_sources.items():
        _register_source(shell, index, code, spec.execution_counts.get(index))
    fds = FdCapture()
    if spec.live_output:
        SINK.live = LiveWriter(spec.live_output)
    sys.stdout, sys.stderr = StreamCapture("stdout"), StreamCapture("stderr")
    report = StepReport(spec.step, ok=True)
    # The step's own folder (its live output file is opened while a cell runs) is not the notebook's.
    audit = FileAudit(spec.workdir, lambda: shell.compile.current_cell,
                      own=(os.path.dirname(spec.result_path),)).install()
    report.files_read, report.files_written = audit.read, audit.written
    try:
        for cell in spec.shared_cells:
            if not _run_cell(shell, spec, cell, report, fds):
                return report
        SINK.take()
        if not _replay(shell, spec, report):
            return report
        fds.drain(SINK)
        SINK.take()
        modules = ModuleState()
        with audit.pausing():
            loaded = _load_inputs(shell, spec, report, modules)
        if not loaded:
            return report
        modules.remember(packages(spec.outputs))
        watched = _watch(shell, spec)
        _activate_inline_figures()
        injects = bool(spec.parameters or spec.inject)
        if not spec.cells and injects:
            _inject(shell, spec)
        for position, cell in enumerate(spec.cells):
            if not _run_cell(shell, spec, cell, report, fds):
                return report
            if injects and position == len(spec.cells) - 1:
                _inject(shell, spec)  # papermill's injected-parameters cell
        report.metrics = _metrics(shell, spec)
        report.unpredicted = _changed(shell, watched)
        with audit.pausing():
            _save_outputs(shell, spec, report, modules)
        return report
    finally:
        audit.paused = True  # what follows (the report) is ours; the hook cannot be removed
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        fds.close()
        if SINK.live is not None:
            SINK.live.close()
            SINK.live = None


def _watch(shell: StepShell, spec: StepSpec) -> dict[str, tuple[int, int | None]]:
    """Fingerprints of the inputs the plan says this step only reads (the run's safety net
    behind the static analysis: a change found after the cells is reported, never silent)."""
    keep = set(spec.outputs)
    return {name: (id(shell.user_ns[name]), fingerprint(shell.user_ns[name]))
            for name in spec.inputs if name not in keep and not name.startswith("__") and name in shell.user_ns}


def _changed(shell: StepShell, watched: dict[str, tuple[int, int | None]]) -> list[str]:
    changed = []
    for name, (ident, before) in watched.items():
        value = shell.user_ns.get(name, _GONE)
        if value is not _GONE and id(value) == ident and before is not None and fingerprint(value) != before:
            changed.append(name)
    return changed


_GONE = object()


def _activate_inline_figures() -> None:
    """Figures that arrive as values must display as they would in the kernel.

    matplotlib loads the inline backend (which registers the PNG formatter) only
    when a figure is first drawn; a step that just shows ``fig`` made elsewhere
    would print its repr instead.
    """
    if "matplotlib" not in sys.modules:
        return
    import matplotlib

    backend = os.environ.get("MPLBACKEND", "")
    if "matplotlib_inline" in backend and "matplotlib_inline.backend_inline" not in sys.modules:
        try:
            import matplotlib_inline.backend_inline  # noqa: F401 - registers the formatters on import
        except ImportError:
            return
    del matplotlib


def _reseed() -> None:
    # Forked children share the parent's random state; a fresh kernel would not.
    random.seed()
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()


def _fresh_namespace(shell: StepShell) -> None:
    # The warm parent never runs user code, so a forked child's namespace is already
    # fresh; ``shell.reset()`` would only cost a full garbage collection.
    shell.execution_count = 1


def _register_source(shell: StepShell, cell_index: int, code: str, count: int | None) -> None:
    filename = f"<cell {cell_index + 1}>"
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    if count is not None:
        # A frame in a replayed definition then reads "Cell In[n]", as in the kernel.
        shell.compile._filename_map[filename] = count


def _run_cell(shell: StepShell, spec: StepSpec, cell, report: StepReport, fds: FdCapture) -> bool:
    SINK.take()
    shell.compile.current_cell = cell.cell_index + 1
    count = spec.execution_counts.get(cell.cell_index)
    shell.execution_count = count or shell.execution_count
    shell.last_error = None
    warning_events.take()
    result = shell.run_cell(cell.source, store_history=True)
    shell.compile.current_cell = None
    register_classes(shell.user_ns, cell.code, f"<cell {cell.cell_index + 1}>")
    sys.stdout.flush()
    fds.drain(SINK)
    report.cells.append(CellRecord(cell.cell_index, SINK.take(), count, warning_events.take()))
    failure = result.error_before_exec or result.error_in_exec
    if failure is None or cell.raises_exception:
        return True
    report.ok = False
    report.error = _error_details(failure, cell.cell_index, shell.last_error)
    return False


def _error_details(exc: BaseException, cell_index: int, shown: dict | None) -> dict:
    """Where the error is: the line of the running cell, and the innermost notebook line."""
    running = cell_index + 1
    line = exc.lineno if isinstance(exc, SyntaxError) and str(exc.filename).startswith("<cell ") else None
    origin: tuple[int, int] | None = None
    tb = exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.startswith("<cell ") and name.endswith(">"):
            where = (int(name[6:-1]), tb.tb_lineno)
            if where[0] == running and origin is None:
                line = where[1]
            origin = where
        tb = tb.tb_next
    message = f"{type(exc).__name__}: {exc}"
    if origin and origin[0] != running:
        message += f" (raised in cell {origin[0]}, line {origin[1]})"
    return {"cell": running, "line": line, "ename": type(exc).__name__, "evalue": str(exc),
            "traceback": (shown or {}).get("traceback", []), "message": message}


def _replay(shell: StepShell, spec: StepSpec, report: StepReport) -> bool:
    """Re-execute earlier definitions (imports, defs, classes, configuration)."""
    for snippet in spec.prelude:
        filename = f"<cell {snippet.cell_index + 1}>"
        code = "\n" * (snippet.first_line - 1) + snippet.code
        try:
            exec(compile(code, filename, "exec"), shell.user_ns)  # noqa: S102 - the user's own code
        except BaseException as exc:  # noqa: BLE001
            # Formatted as the kernel would, starting at the user's code: this frame
            # is ours, and a user traceback never shows kale_like's frames.
            shell.showtraceback((type(exc), exc, _user_frames(exc.__traceback__)), tb_offset=0)
            report.ok = False
            report.error = _error_details(exc, snippet.cell_index, shell.last_error)
            report.error["message"] = (f"re-running the definition from cell {snippet.cell_index + 1} "
                                       f"failed: {type(exc).__name__}: {exc}")
            return False
        register_classes(shell.user_ns, snippet.code, filename, snippet.first_line)
    return True


def _user_frames(tb):
    """The traceback from the first frame that is not kale_like's own."""
    own = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(own + os.sep):
        tb = tb.tb_next
    return tb


def _load_inputs(shell: StepShell, spec: StepSpec, report: StepReport, modules: ModuleState) -> bool:
    from ..marshal import load_group

    by_group: dict[str, list[str]] = {}
    everything = spec.inputs.get(EVERYTHING)
    if everything is not None:
        by_group[everything] = [EVERYTHING]  # first, so named inputs win
    for name, group in spec.inputs.items():
        if name != EVERYTHING:
            by_group.setdefault(group, []).append(name)
    for group, names in by_group.items():
        try:
            values = load_group(group, defer_large=True, verify=group not in spec.trusted_inputs)
        except KaleLikeError as exc:
            report.ok = False
            report.error = {"message": exc.render(), "cell": None, "line": None}
            if isinstance(exc, DamagedData):  # the runner recomputes the producer, then this step
                report.error["damaged_input"] = exc.directory
            return False
        if EVERYTHING in names:
            names = [n for n in values if n not in (RNG_KEY, EVERYTHING)] + [n for n in names if n != EVERYTHING]
        for name in names:
            if name not in values:
                continue
            value = values[name]  # the three keys of ours below always hold dicts
            if name == RNG_KEY and isinstance(value, dict):
                _restore_rng(value)
            elif name == HISTORY_KEY and isinstance(value, dict):
                _restore_history(shell, value)
            elif name.startswith(MODULE_PREFIX) and isinstance(value, dict):
                modules.restore(shell.user_ns, value)
            else:
                shell.user_ns[name] = value
    return True


def _whole_namespace(shell: StepShell, spec: StepSpec, named: dict) -> dict:
    """The user's variables that can travel (for a later step using exec/eval/globals())."""
    import types

    from ..errors import MarshalError
    from ..marshal import MarshalContext, check_travels

    hidden = set(shell.user_ns_hidden) | {"In", "Out", "exit", "quit", "get_ipython"}
    context = MarshalContext(step=spec.step, cells=spec.assigned_cells)
    values = {}
    for name, value in list(shell.user_ns.items()):
        if name in named or name.startswith("_") or name in hidden or isinstance(value, types.ModuleType):
            continue
        try:
            check_travels(name, value, context)
        except MarshalError:
            continue
        values[name] = value
    return values


def _history(shell: StepShell, spec: StepSpec) -> dict:
    """Out[n] entries that can travel, and what _, __ and ___ hold."""
    from ..errors import MarshalError
    from ..marshal import MarshalContext, check_travels

    context = MarshalContext(step=spec.step, cells=spec.assigned_cells)
    entries = {}
    for count, value in shell.user_ns.get("Out", {}).items():
        try:
            check_travels(f"Out[{count}]", value, context)
        except MarshalError:
            continue
        entries[count] = value
    last = {name: shell.user_ns.get(name) for name in ("_", "__", "___")}
    return {"out": entries, "last": {k: v for k, v in last.items() if any(v is e for e in entries.values())}}


def _restore_history(shell: StepShell, history: dict) -> None:
    out = shell.user_ns.setdefault("Out", {})
    out.update(history.get("out", {}))
    for count, value in history.get("out", {}).items():
        shell.user_ns[f"_{count}"] = value
    shell.user_ns.update(history.get("last", {}))
    hook = shell.displayhook
    hook._, hook.__, hook.___ = (history.get("last", {}).get(n, "") for n in ("_", "__", "___"))


def _restore_rng(state: dict) -> None:
    random.setstate(state["random"])
    if state.get("numpy") is not None:
        import numpy

        numpy.random.set_state(state["numpy"])


def _capture_rng() -> dict:
    numpy = sys.modules.get("numpy")
    return {"random": random.getstate(), "numpy": numpy.random.get_state() if numpy is not None else None}


def _inject(shell: StepShell, spec: StepSpec) -> None:
    values = dict(spec.parameters)
    if spec.inject is not None:
        values.update(spec.inject(shell.user_ns))
    shell.user_ns.update(values)


def _metrics(shell: StepShell, spec: StepSpec) -> dict[str, float]:
    metrics = {}
    for name in spec.metrics:
        value = shell.user_ns.get(name)
        try:
            metrics[name] = float(value)
        except (TypeError, ValueError):
            continue
    return metrics


def save_travelling(directory: str, values: dict, context):
    """Save a group; a value that cannot be saved and shares no object with the others
    was bundled only because the analysis could not rule out sharing (``fh`` beside
    ``text = fh.read()``): it is left out rather than failing the step."""
    from ..errors import MarshalError
    from ..marshal import save_group
    from ..marshal.stream import probe

    try:
        return save_group(directory, values, context)
    except MarshalError:
        if len(values) < 2:
            raise
        bad = {n for n, v in values.items() if not _probes(probe, v)}
        good = {n: v for n, v in values.items() if n not in bad}
        if not bad or not good or any(_shares(values[b], good.values()) for b in bad):
            raise
        return save_group(directory, good, context)


def _probes(probe, value) -> bool:
    from ..marshal.builtin import needs_dill

    try:
        probe(value, use_dill=needs_dill(value))
        return True
    except Exception:  # noqa: BLE001 - any failure means it cannot be saved
        return False


def _shares(value: object, others, budget: int = 20_000) -> bool:
    """Is ``value`` reachable from any of ``others``, or any of them from it (bounded walk)?"""
    import gc

    def reach(roots) -> set[int]:
        seen: set[int] = set()
        todo = list(roots)
        while todo and len(seen) < budget:
            item = todo.pop()
            if id(item) in seen or isinstance(item, (int, float, str, bytes, bool, type(None), type)):
                continue
            seen.add(id(item))
            todo.extend(gc.get_referents(item))
        return seen

    mine = reach([value])
    theirs = reach(list(others))
    return bool(mine & theirs)


def _save_outputs(shell: StepShell, spec: StepSpec, report: StepReport, modules: ModuleState) -> None:
    from ..marshal import MarshalContext

    values = {n: shell.user_ns[n] for n in spec.outputs if n in shell.user_ns}
    for package in packages(spec.outputs):
        values[MODULE_PREFIX + package] = modules.changed(package)
    if EVERYTHING in spec.outputs:
        values.update(_whole_namespace(shell, spec, values))
    if RNG_KEY in spec.outputs:
        values[RNG_KEY] = _capture_rng()
    if HISTORY_KEY in spec.outputs:
        values[HISTORY_KEY] = _history(shell, spec)
    values.pop("__files__", None)
    context = MarshalContext(step=spec.step, cells=spec.assigned_cells)
    try:
        if not spec.output_groups:
            save_travelling(spec.output_dir, values, context)
        claimed = {n for _, names in spec.output_groups for n in names}
        for directory, names in spec.output_groups:
            chosen = {n: values[n] for n in names if n in values}
            if EVERYTHING in names:  # the whole-namespace group takes what no other group holds
                chosen.update({n: v for n, v in values.items() if n not in claimed})
            info = save_travelling(directory, chosen, context)
            report.saved[directory] = {"names": list(info.names), "codec": info.codec, "kind": info.kind,
                                       "nbytes": info.nbytes}
    except KaleLikeError as exc:
        report.ok = False
        location = exc.location
        report.error = {"message": exc.message, "cell": location.cell if location else None,
                        "line": location.line if location else None, "hint": exc.hint}
        if isinstance(exc, NoSpace):
            report.error["no_space"] = exc.directory
