"""The ``kfp-docker`` backend: the compiled IR under ``kfp.local.DockerRunner``, one container per step.

The kfp-local run with another runner: each step runs in a container of its image,
against the engine at ``DOCKER_HOST`` (Docker, or podman's Docker-compatible socket),
as it would in a cluster pod: the working directory is not the notebook's folder and
only the pipeline root is mounted. What differs from kfp-local:

- containers are labelled with the run, and every one of them is removed when the run
  ends, however it ends (failure, ``timeout:``, cancel, Ctrl-C);
- a step's real exit code decides its state (see :mod:`kale_like.kfp.containers`);
- steps run without network, unless the pipeline installs packages when each step
  starts (then with the engine's default network, trusting this machine's CA bundle).
"""
from __future__ import annotations

import os
import time
import uuid
from typing import Any

from ..contract import EventSink
from ..planning import Plan
from . import RunOptions, RunResult
from .kfp_local import KfpLocalRun


class KfpDockerBackend:
    name = "kfp-docker"

    def run(self, plan: Plan, options: RunOptions, on_event: EventSink, cancel: Any = None) -> RunResult:
        return KfpDockerRun(plan, options, on_event, cancel).execute()


class KfpDockerRun(KfpLocalRun):
    backend_name = "kfp-docker"

    def __init__(self, plan: Plan, options: RunOptions, on_event: EventSink, cancel: Any) -> None:
        super().__init__(plan, options, on_event, cancel)
        self.run_id = f"{uuid.uuid4().hex[:16]}"
        self.installs = False

    def _compile_options(self) -> Any:
        from ..kfp.options import CompileOptions, resolve_image

        chosen = resolve_image(CompileOptions(parameters=dict(self.options.parameters), html=self.html,
                                              image=getattr(self.options, "image", None)), self.plan)
        self.installs = chosen.installs
        return chosen

    def _runner_choice(self) -> dict:
        ca_bundle = _host_ca_bundle() if self.installs else None
        return {"docker": {"run_id": self.run_id, "network": "bridge" if self.installs else "none",
                           "ca_bundle": ca_bundle}}

    def _release(self) -> None:
        from ..kfp.containers import remove_run_containers

        try:
            # Twice when the first pass found some: a create request the stopped worker sent
            # just before it ended may still be completing in the engine.
            if remove_run_containers(self.run_id):
                time.sleep(1.0)
                remove_run_containers(self.run_id)
        except Exception:
            pass


def _host_ca_bundle() -> str | None:
    for name in ("PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"):
        path = os.environ.get(name)
        if path and os.path.isfile(path):
            return path
    return None
