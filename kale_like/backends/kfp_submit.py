"""The ``kfp`` backend: compile the plan and hand it to a Kubeflow Pipelines cluster.

The run goes on there; this backend's run ends when the cluster has accepted it, with
the run page as its output (the panel links to it).
"""
from __future__ import annotations

from typing import Any

from ..contract import EventSink
from ..planning import Plan
from . import RunOptions, RunResult


class KfpSubmitBackend:
    name = "kfp"

    def run(self, plan: Plan, options: RunOptions, on_event: EventSink, cancel: Any = None) -> RunResult:
        from ..kfp.submit import submit_plan

        target = options.target
        submission = submit_plan(plan, parameters=dict(options.parameters), host=target.get("host"),
                                 namespace=target.get("namespace"), token=target.get("token"))
        return RunResult(ok=True, output=getattr(submission, "run_url", None))
