"""Run a compiled pipeline package under ``kfp.local`` — in a throwaway process.

``kfp.local`` keeps global state (``local.init``), replaces ``builtins.print`` and the
root logger's handlers while tasks run, and deletes its workspace afterwards; a
process of its own keeps all of that away from the caller, and lets the caller
stop a run by ending the process. Usage::

    python -m kale_like.kfp.local_worker PACKAGE PIPELINE_ROOT WORKSPACE ARGUMENTS_JSON [RUNNER_JSON]

``RUNNER_JSON`` chooses the runner: none for ``SubprocessRunner(use_venv=False)``, or
``{"docker": {"run_id": …, "network": …, "ca_bundle": …}}`` for containers (see
:mod:`.containers`).
The last line printed is ``KALE_LIKE_RESULT {"ok": …, "message": …}``.
"""
from __future__ import annotations

import json
import re
import sys

RESULT = "KALE_LIKE_RESULT "
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def main(argv: list[str]) -> int:
    package, root, workspace, arguments_path = argv[:4]
    with open(arguments_path, encoding="utf-8") as handle:
        arguments = json.load(handle)
    from kfp import components, local

    runner = _runner(json.loads(argv[4]) if len(argv) > 4 else {})
    # workspace: a private empty folder, because kfp.local deletes it after the run.
    local.init(runner=runner, pipeline_root=root, workspace_root=workspace,
               raise_on_error=True, enable_caching=False)
    pipeline = components.load_component_from_file(package)
    try:
        pipeline(**arguments)
    except Exception as exc:  # noqa: BLE001 - reported to the parent as data
        print(RESULT + json.dumps({"ok": False, "message": ANSI.sub("", f"{exc}")}), flush=True)
        return 1
    print(RESULT + json.dumps({"ok": True, "message": ""}), flush=True)
    return 0


def _runner(choice: dict):
    from kfp import local

    if "docker" in choice:
        from .containers import docker_runner

        return docker_runner(**choice["docker"])
    return local.SubprocessRunner(use_venv=False)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
