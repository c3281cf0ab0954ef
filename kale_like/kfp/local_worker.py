"""Run a compiled pipeline package under ``kfp.local`` — in a throwaway process.

``kfp.local`` keeps global state (``local.init``), replaces ``builtins.print`` and the
root logger's handlers while tasks run, and deletes its workspace afterwards; a
process of its own keeps all of that away from the caller, and lets the caller
stop a run by ending the process. Usage::

    python -m kale_like.kfp.local_worker PACKAGE PIPELINE_ROOT WORKSPACE ARGUMENTS_JSON [RUNNER_JSON]

``RUNNER_JSON`` chooses the runner: none for ``SubprocessRunner(use_venv=False)``, or
``{"docker": {"run_id": …, "network": …, "ca_bundle": …}}`` for containers (see
:mod:`.containers`). Around every task the worker
prints ``KALE_LIKE_TASK {"task": …, "event": "started"|"finished", "status": …}``, and
last ``KALE_LIKE_RESULT {"ok": …, "message": …}``: the parent reads these lines, not
kfp.local's human-oriented log.
"""
from __future__ import annotations

import functools
import json
import os
import re
import sys
from typing import Any

RESULT = "KALE_LIKE_RESULT "
TASK = "KALE_LIKE_TASK "
# Set by an owner that keeps our stdin open for as long as it lives (see _end_with_owner).
OWNED = "KALE_LIKE_WORKER_OWNED"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _report_tasks() -> None:
    """Announce each task's start and end as data. kfp.local has no callback for this; its
    orchestrator calls ``task_dispatcher.run_single_task_implementation`` once per task
    (through the module, so wrapping the attribute reaches every call)."""
    from kfp.local import executor_input_utils, task_dispatcher

    inner = task_dispatcher.run_single_task_implementation

    @functools.wraps(inner)
    def announced(*args: Any, **kwargs: Any) -> Any:
        component = kwargs.get("component_name", args[1] if len(args) > 1 else "")
        task = executor_input_utils.get_local_task_resource_name(component)
        _say(TASK, {"task": task, "event": "started"})
        outputs, status = inner(*args, **kwargs)
        _say(TASK, {"task": task, "event": "finished", "status": getattr(status, "name", str(status))})
        return outputs, status

    task_dispatcher.run_single_task_implementation = announced


def _say(prefix: str, body: dict) -> None:
    print(prefix + json.dumps(body), flush=True)


def _runner(choice: dict) -> Any:
    from kfp import local

    if "docker" in choice:
        from .containers import docker_runner

        return docker_runner(**choice["docker"])
    return local.SubprocessRunner(use_venv=False)


def _end_with_owner(choice: dict) -> None:
    """Stop everything of this run when the process that started the worker goes away.

    The owner holds the write end of our stdin and never writes to it; EOF means it is
    gone (even by SIGKILL, which runs none of its cleanup). The worker leads its own
    session, which holds kfp.local's task processes and whatever they start; containers
    live outside it and are removed by their run label first."""
    import os
    import signal
    import threading

    def watch() -> None:
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except (OSError, ValueError):
            pass
        if "docker" in choice:
            from .containers import remove_run_containers

            try:
                remove_run_containers(choice["docker"]["run_id"])
            except Exception:  # noqa: BLE001 - the engine may be gone too; the group still ends
                pass
        from ..runtime.procs import kill_session

        kill_session(os.getsid(0), keep=os.getpid())
        os._exit(128 + signal.SIGKILL)

    threading.Thread(target=watch, name="kale_like-owner", daemon=True).start()


def main(argv: list[str]) -> int:
    package, root, workspace, arguments_path = argv[:4]
    choice = json.loads(argv[4]) if len(argv) > 4 else {}
    if os.environ.get(OWNED):
        _end_with_owner(choice)
    with open(arguments_path, encoding="utf-8") as handle:
        arguments = json.load(handle)
    from kfp import components, local

    _report_tasks()
    # workspace: a private empty folder, because kfp.local deletes it after the run.
    local.init(runner=_runner(choice), pipeline_root=root, workspace_root=workspace,
               raise_on_error=True, enable_caching=False)
    pipeline = components.load_component_from_file(package)
    try:
        pipeline(**arguments)
    except Exception as exc:  # noqa: BLE001 - reported to the parent as data
        _say(RESULT, {"ok": False, "message": ANSI.sub("", f"{exc}")})
        return 1
    _say(RESULT, {"ok": True, "message": ""})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
