"""What the parent tells a step process, and what the process reports back.

Both travel as files in the step's run directory, so a crashed process leaves
evidence and a finished one can be served from cache later.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .cells import Snippet, StepCell

# A step process that cannot even write its report because the disk is full exits with
# this status (ENOSPC's number), so the runner can still say what happened.
EXIT_NO_SPACE = 28

@dataclass(frozen=True)
class StepSpec:
    step: str
    cells: tuple[StepCell, ...]
    prelude: tuple[Snippet, ...]
    shared_cells: tuple[StepCell, ...]     # imports/functions cells, run whole before inputs load
    inputs: dict[str, str]                 # variable -> directory of the group holding it
    outputs: tuple[str, ...]
    output_dir: str                        # group directory to write outputs into
    result_path: str
    workdir: str                           # the notebook's folder: the step's working directory
    execution_counts: dict[int, int]       # cell index -> execution count to show
    cell_sources: dict[int, str]           # cell index -> full transformed code (for tracebacks)
    parameters: dict[str, Any] = field(default_factory=dict)  # injected after the parameters cell
    metrics: tuple[str, ...] = ()
    carries_rng: bool = False
    assigned_cells: dict[str, int] = field(default_factory=dict)
    # stdout/stderr also go, as JSON lines, to this file while the step runs (live output)
    live_output: str | None = None
    memory_limit: str | None = None  # the step's limit:memory quantity, enforced locally (runtime.memory)
    # Input directories written in this run by a step the runner watched finish well:
    # loaded without re-checking their checksums (those guard what lay on disk between runs).
    trusted_inputs: tuple[str, ...] = ()
    # KFP steps (kfp_entry): save these (directory, names) groups apart instead of all
    # outputs into output_dir, so that each variable becomes its own artifact ...
    output_groups: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # ... and decide what to inject after the parameters cell from what it computed:
    # a callable(namespace) -> values, applied on top of ``parameters``.
    inject: Any = None


@dataclass
class CellRecord:
    cell_index: int
    outputs: list[dict]
    execution_count: int | None
    warning_events: list = field(default_factory=list)  # see runtime/warning_events.py


@dataclass
class StepReport:
    step: str
    ok: bool
    cells: list[CellRecord] = field(default_factory=list)
    error: dict | None = None   # {"cell", "line", "ename", "evalue", "traceback", "message"}
    metrics: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    saved: dict[str, dict] = field(default_factory=dict)  # output_groups directory -> GroupInfo fields
    files_read: dict[str, int] = field(default_factory=dict)  # under workdir -> cell number (file_audit)
    files_written: list[str] = field(default_factory=list)    # under workdir, written by the cells
    unpredicted: list[str] = field(default_factory=list)  # inputs the cells changed though the plan said they would not


def unpredicted_message(step: str, names: list[str]) -> str:
    """The one line a run shows when the safety net catches a change the analysis missed."""
    listed = ", ".join(f"'{n}'" for n in names)
    return (f"step '{step}' changed {listed} in a way the analysis did not predict: later steps that "
            f"read {'it' if len(names) == 1 else 'them'} may see the value from before this step "
            f"(keep the cells that change and read it in one step)")
