"""The ``kale_like`` papermill engine class (import it as :mod:`kale_like.papermill.engine`).

``papermill in.ipynb out.ipynb -p alpha 0.5 --engine kale_like`` (or
``papermill.execute_notebook(..., engine_name="kale_like")``) runs the notebook as
a kale_like pipeline on the local backend: steps in their own processes, in
parallel where independent, cached by content. Papermill's own machinery does
the rest exactly as for its default engine: it parameterizes the notebook first,
and after the engine returns it writes the error banner and exits non-zero when
a cell holds an error.

Engine keyword arguments (``execute_notebook(..., jobs=2)``), each also read from
an environment variable for the ``papermill`` command line: ``split``
(``KALE_LIKE_SPLIT``), ``jobs`` (``KALE_LIKE_JOBS``), ``cache``
(``KALE_LIKE_CACHE=0`` turns it off), ``workdir`` (``KALE_LIKE_WORKDIR``),
``step_output`` (``KALE_LIKE_STEP_OUTPUT=notebooks``).

This module is what the ``papermill.engine`` entry point names. papermill loads every
registered engine while ``papermill.engines`` itself is being imported, so the module
the entry point names must never be the one that starts that import: importing it
first would hand papermill a half-made module. :mod:`.engine` imports papermill first
and then this module, which is why code imports the engine from there.
"""
from __future__ import annotations

import os
import platform
import sys
import tempfile
import threading
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from papermill.engines import Engine
from papermill.exceptions import PapermillException
from papermill.log import logger
from papermill.translators import translate_parameters

from ..errors import KaleLikeError
from . import ENGINE_NAME
from .clock import CellClock
from .kale_parameters import adopt, install_filter, release
from .transfer import (
    Handover,
    copy_results,
    error_output,
    failing_cell,
    find_injected,
    first_error_cell,
    handover,
    injection_matches,
    step_cells,
)

if TYPE_CHECKING:
    from nbformat import NotebookNode

    from ..backends import RunResult
    from ..planning import Plan


@dataclass(frozen=True)
class EngineSettings:
    split: str = "auto"
    jobs: int | None = None
    cache: bool = True
    workdir: str | None = None
    step_output: str | None = None
    execution_timeout: float | None = None


def read_settings(kwargs: dict[str, Any]) -> EngineSettings:
    """Engine keyword arguments first, then ``KALE_LIKE_*`` environment variables."""
    env = os.environ
    jobs = kwargs.get("jobs") or env.get("KALE_LIKE_JOBS")
    cache = kwargs.get("cache")
    if cache is None:
        cache = env.get("KALE_LIKE_CACHE", "1").strip().lower() not in ("0", "false", "no", "off")
    return EngineSettings(
        split=kwargs.get("split") or env.get("KALE_LIKE_SPLIT") or "auto",
        jobs=int(jobs) if jobs else None,
        cache=bool(cache),
        workdir=kwargs.get("workdir") or env.get("KALE_LIKE_WORKDIR") or None,
        step_output=kwargs.get("step_output") or env.get("KALE_LIKE_STEP_OUTPUT") or None,
        execution_timeout=kwargs.get("execution_timeout") or None,
    )


class KaleLikeEngine(Engine):
    """Runs the notebook as a kale_like pipeline and fills papermill's notebook in place."""

    @classmethod
    def execute_notebook(cls, nb: NotebookNode, kernel_name: str | None, **kwargs: Any) -> NotebookNode:
        release(nb)  # before papermill's manager first saves the notebook
        return super().execute_notebook(nb, kernel_name, **kwargs)

    @classmethod
    def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, log_output: bool = False, stdout_file: Any = None,
                                 stderr_file: Any = None, input_path: str | None = None,
                                 **kwargs: Any) -> NotebookNode:
        settings = read_settings(kwargs)
        nb = nb_man.nb
        language = cls.nb_language(nb)
        if language != "python":
            raise PapermillException(f"the kale_like engine runs Python notebooks only, not '{language}'")
        try:
            plan, hand = _plan(nb, kernel_name, language, input_path, settings)
        except KaleLikeError as exc:
            raise PapermillException(f"kale_like cannot run this notebook: {exc.render()}") from exc
        owned = step_cells(plan, hand)
        clock = CellClock(nb_man, owned)
        result, executed = _run(plan, hand, settings, clock, input_path)
        copy_results(executed, nb, hand)
        nb.metadata["language_info"] = _language_info(nb)
        nb.metadata.setdefault("kale_like", {})["run"] = executed.metadata.get("kale_like", {}).get("run", {})
        failed_at = _mark_failure(result, plan, hand, owned, clock) if not result.ok else None
        clock.finish(failed_at)
        _log_outputs(nb, log_output, stdout_file, stderr_file)
        if settings.step_output == "notebooks":
            _write_step_notebooks(plan, executed, result, nb_man.output_path or input_path)
        return nb

    @classmethod
    def nb_kernel_name(cls, nb: NotebookNode, name: str | None = None) -> str:
        """Steps run in this interpreter; a notebook without a kernelspec is fine.

        papermill's ``parameterize_notebook`` calls this before it decides where the
        injected cell goes: the one moment to let a Kale ``pipeline-parameters`` cell
        stand in for the ``parameters`` cell (see :mod:`.kale_parameters`).
        """
        adopt(nb)
        return name or nb.metadata.get("kernelspec", {}).get("name") or "python3"

    @classmethod
    def nb_language(cls, nb: NotebookNode, language: str | None = None) -> str:
        meta = nb.metadata
        found = (language or meta.get("language_info", {}).get("name")
                 or meta.get("kernelspec", {}).get("language") or "python")
        return str(found).lower()


def _plan(nb: NotebookNode, kernel_name: str, language: str, input_path: Any,
          settings: EngineSettings) -> tuple[Plan, Handover]:
    """The plan to run, and the handover: values as data when that keeps papermill's semantics."""
    from ..notebook.reader import notebook_from_node
    from ..parameters import check_names
    from ..planning import build_plan

    path = _virtual_path(input_path)
    injected = find_injected(nb)
    parameters = _plain(nb.metadata.get("papermill", {}).get("parameters") or {})
    # papermill wrote each name into its injected cell as is: refuse names that are code.
    check_names(parameters)
    if injected is not None and parameters and \
            nb.cells[injected].source == translate_parameters(kernel_name, language, parameters, "Parameters"):
        hand = handover(nb, injected, parameters)
        plan = build_plan(notebook_from_node(hand.node, path), settings.split, overrides=parameters)
        if injection_matches(plan, hand):
            return _with_timeout(plan, settings), hand
        logger.warning("kale_like: the parameters cells are not right above papermill's injected cell; "
                       "running the injected cell as code to keep papermill's semantics")
    hand = handover(nb, None, {})
    plan = build_plan(notebook_from_node(hand.node, path), settings.split)
    return _with_timeout(plan, settings), hand


def _plain(value: Any) -> Any:
    """Values as the user's code sees them from papermill's cell: dicts, not NotebookNodes."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _virtual_path(input_path: Any) -> str:
    """Where kale_like believes the notebook lives: papermill's working directory.

    The kernel papermill starts runs in the current directory, so steps must too
    (relative paths, local modules). The file itself is never read from there.
    """
    name = os.path.basename(input_path) if isinstance(input_path, str) and input_path else "notebook.ipynb"
    return os.path.join(os.getcwd(), name or "notebook.ipynb")


def _with_timeout(plan: Any, settings: EngineSettings) -> Any:
    """papermill's per-cell ``--execution-timeout``, as a per-step bound (cells x timeout)."""
    if not settings.execution_timeout:
        return plan
    from ..pipeline import Pipeline

    steps = tuple(s if s.settings.timeout else replace(
        s, settings=replace(s.settings, timeout=int(settings.execution_timeout * max(1, len(s.cells)) + 1)))
        for s in plan.pipeline.steps)
    pipeline: Pipeline = replace(plan.pipeline, steps=steps)
    return replace(plan, pipeline=pipeline)


def _run(plan: Plan, hand: Handover, settings: EngineSettings, clock: CellClock,
         input_path: Any) -> tuple[RunResult, NotebookNode]:
    from ..backends import RunOptions
    from ..backends.local.runner import LocalRun
    from ..run_paths import default_workdir

    workdir = settings.workdir or default_workdir(plan.notebook.path)
    with tempfile.TemporaryDirectory(prefix="kale_like_papermill_") as scratch:
        out = os.path.join(scratch, "executed.ipynb")
        options = RunOptions(out=out, parameters=hand.parameters, jobs=settings.jobs, cache=settings.cache,
                             workdir=workdir)
        # The notebook papermill holds in memory is the one filled in: nothing is read from disk.
        result = LocalRun(plan, options, clock.on_event, threading.Event(), source=hand.node).execute()
        from ..nbformat_loader import load_nbformat

        with open(out, encoding="utf-8") as handle:
            executed = load_nbformat().read(handle, as_version=4)
    return result, executed


def _mark_failure(result: Any, plan: Any, hand: Handover, owned: dict[str, list[int]], clock: CellClock) -> int | None:
    """Point papermill at the failing cell; cells below it did not run, as with papermill."""
    error = result.error or {"message": "the run failed"}
    nb = clock.nb
    index = failing_cell(error, plan, hand, owned)
    # Independent steps fail in parallel; papermill would have stopped at the first in notebook order.
    first_error = first_error_cell(nb)
    candidates = [i for i in (index, first_error) if i is not None]
    index = min(candidates) if candidates else next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"), 0)
    cell = nb.cells[index]
    # A cell's own failure without an error output (IPython's UsageError) stays as it is:
    # papermill reports those from the cell's metadata. Anything else gets one, so the
    # banner says what happened.
    own_failure = bool(error.get("ename"))
    if cell.cell_type == "code" and not own_failure and not any(o.get("output_type") == "error" for o in cell.outputs):
        from ..nbformat_loader import load_nbformat

        cell.outputs.append(load_nbformat().from_dict(error_output(error)))
    for later in nb.cells[index + 1:]:
        if later.cell_type == "code":
            later.outputs = []
            later.execution_count = None
    return index


def _language_info(nb: Any) -> dict[str, Any]:
    """What ipykernel reports for the interpreter the steps ran in."""
    info = dict(nb.metadata.get("language_info", {}) or {})
    info.update({"codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
                 "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
                 "pygments_lexer": "ipython3", "version": platform.python_version()})
    return info


def _log_outputs(nb: Any, log_output: bool, stdout_file: Any, stderr_file: Any) -> None:
    """``--log-output`` / ``--stdout-file`` / ``--stderr-file``, as papermill's client does."""
    if not (log_output or stdout_file or stderr_file):
        return
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                text = "".join(output.get("text", ""))
                stream = stdout_file if output.get("name") == "stdout" else stderr_file
                if log_output:
                    (logger.info if output.get("name") == "stdout" else logger.warning)(text)
                if stream:
                    stream.write(text)
                    stream.flush()
            elif log_output and "text/plain" in output.get("data", {}):
                logger.info("".join(output["data"]["text/plain"]))
    sys.stdout.flush()


def _write_step_notebooks(plan: Any, executed: Any, result: Any, output_path: Any) -> None:
    from .step_notebooks import step_output_dir, write_step_notebooks

    if not isinstance(output_path, str) or "://" in output_path:
        logger.warning("kale_like: step notebooks are written next to a local output notebook only")
        return
    paths = write_step_notebooks(plan, executed, result.states, step_output_dir(output_path))
    logger.info(f"kale_like: step notebooks in {os.path.dirname(paths[0]) if paths else '-'}")


# papermill imports this module through its entry point before it parameterizes a
# notebook; its unknown-parameter warning comes before any call into the engine.
install_filter(ENGINE_NAME)
