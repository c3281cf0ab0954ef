"""The run contract: step states, the events a run reports, and the error that ends it.

Every backend reports through these types, and every surface reads them: the CLI's
progress table, the server's event stream and the panel (whose TypeScript mirror,
``labextension/src/wire.ts``, a test keeps in step with this module). ``to_json()``
gives the wire form; the field names are the wire's.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Literal, Union

from .errors import cell_reference


class StepState(str, Enum):
    """Where one step of a run is. A ``str`` so that it compares and serialises as its value."""

    WAITING = "waiting"
    RUNNING = "running"
    CACHED = "cached"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"

    def __str__(self) -> str:
        return self.value


DONE = frozenset({StepState.SUCCEEDED, StepState.CACHED})
"""States whose outputs downstream steps can use."""

FINAL = frozenset({StepState.SUCCEEDED, StepState.CACHED, StepState.FAILED, StepState.SKIPPED,
                   StepState.CANCELLED})


@dataclass(frozen=True)
class RunError:
    """Why a run did not succeed, and where: the step, the 1-based cell and the line in it."""

    message: str
    step: str | None = None
    cell: int | None = None
    line: int | None = None
    traceback: str = ""
    hint: str | None = None
    ename: str | None = None
    evalue: str | None = None
    no_space: str | None = None
    """The folder that filled up, when that is what ended the run."""
    execution_count: int | None = None
    """The failing cell's ``In [n]`` in the saved notebook (see ``api.locate_error``)."""

    @classmethod
    def from_report(cls, report: dict[str, Any], step: str | None = None) -> RunError:
        """A step's own error record (the child's report, or a kfp step's summary)."""
        trace = report.get("traceback") or []
        return cls(message=str(report.get("message") or "failed"), step=step or report.get("step"),
                   cell=report.get("cell"), line=report.get("line"),
                   traceback="\n".join(trace) if isinstance(trace, list) else str(trace),
                   hint=report.get("hint"), ename=report.get("ename"), evalue=report.get("evalue"),
                   no_space=report.get("no_space"), execution_count=report.get("execution_count"))

    @classmethod
    def from_exception(cls, exc: Any) -> RunError:
        """A user-facing error (:class:`~kale_like.errors.KaleLikeError`) that ended a run."""
        where = getattr(exc, "location", None)
        return cls(message=exc.render(), step=getattr(where, "step", None), cell=getattr(where, "cell", None),
                   line=getattr(where, "line", None))

    @property
    def where(self) -> str:
        """The place in the one wording every surface shows: ``step 'a', cell 5 (In [3]), line 2``."""
        return cell_reference(self.cell, self.line, self.step, self.execution_count)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"step": self.step, "cell": self.cell, "line": self.line,
                                "message": self.message, "traceback": self.traceback,
                                "where": self.where or None, "execution_count": self.execution_count}
        for key in ("hint", "ename", "evalue", "no_space"):
            if getattr(self, key) is not None:
                body[key] = getattr(self, key)
        return body


@dataclass(frozen=True)
class PlanEvent:
    """The run's steps (in notebook order) and the edges between them; always sent first."""

    steps: tuple[str, ...]
    edges: tuple[tuple[str, str], ...]

    def to_json(self) -> dict[str, Any]:
        return {"type": "plan", "steps": list(self.steps), "edges": [list(e) for e in self.edges]}


@dataclass(frozen=True)
class StepEvent:
    """A step entered ``state``; ``attempt`` counts retries, ``error`` says why it failed."""

    step: str
    state: StepState
    elapsed: float = 0.0
    attempt: int | None = None
    error: RunError | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": "step", "step": self.step, "state": self.state.value,
                                "elapsed": round(self.elapsed, 3)}
        if self.attempt is not None:
            body["attempt"] = self.attempt
        if self.error is not None:
            body["error"] = self.error.to_json()
        return body


@dataclass(frozen=True)
class FinishedEvent:
    """The run ended: the executed notebook (or run page) and the error, if any; always last."""

    ok: bool
    output: str | None
    error: RunError | None = None
    metrics: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"type": "finished", "ok": self.ok, "output": self.output,
                "error": self.error.to_json() if self.error else None, "metrics": dict(self.metrics)}


@dataclass(frozen=True)
class NoticeEvent:
    """Something the user should know that is not a step's state: ``notice`` (waiting for the
    work directory) or ``warning`` (saved values were damaged and are recomputed)."""

    message: str
    type: Literal["notice", "warning"] = "notice"

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "message": self.message}


@dataclass(frozen=True)
class OutputEvent:
    """What a running step printed since the last look (``name`` is ``stdout`` or ``stderr``)."""

    step: str
    name: str
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"type": "output", "step": self.step, "name": self.name, "text": self.text}


@dataclass(frozen=True)
class SubmittedEvent:
    """A remote backend's cluster accepted the run: its id there and its page."""

    run_id: str
    url: str | None

    def to_json(self) -> dict[str, Any]:
        return {"type": "submitted", "run_id": self.run_id, "url": self.url}


RunEvent = Union[PlanEvent, StepEvent, NoticeEvent, OutputEvent, SubmittedEvent, FinishedEvent]
Event = dict[str, Any]
"""An event on the wire (``RunEvent.to_json()``): what sinks receive."""
EventSink = Callable[[Event], None]
