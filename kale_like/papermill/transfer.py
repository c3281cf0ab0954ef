"""Moving a notebook between papermill's view and kale_like's, and the results back.

Papermill hands an engine a notebook that already holds an ``injected-parameters``
cell whose *source* carries the values. kale_like passes parameter values as data,
so the engine takes that cell out, hands the values to the run, and afterwards puts
every output back into papermill's notebook, cell by cell. Each cell of the copy
kale_like runs is marked with its index in papermill's notebook, so the way back
does not depend on where kale_like places its own injected cell.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

INJECTED_TAG = "injected-parameters"
SOURCE_INDEX = "kale_like_source_index"  # metadata key, only on the copy kale_like runs


@dataclass
class Handover:
    """The notebook kale_like runs, and how its cells map to papermill's."""

    node: Any                        # copy of papermill's notebook, cells marked with SOURCE_INDEX
    parameters: dict[str, Any] = field(default_factory=dict)  # passed as data
    injected: int | None = None      # index (in papermill's notebook) of the injected cell taken out

    def source_index(self, node_index: int) -> int:
        return int(self.node.cells[node_index].metadata[SOURCE_INDEX])


def find_injected(nb: Any) -> int | None:
    """Index of the first ``injected-parameters`` cell, the one papermill writes or replaces."""
    for index, cell in enumerate(nb.cells):
        if INJECTED_TAG in (cell.get("metadata", {}).get("tags") or []):
            return index
    return None


def handover(nb: Any, take_out: int | None, parameters: dict[str, Any]) -> Handover:
    """Copy ``nb`` for kale_like, leaving out cell ``take_out`` (its values travel as data)."""
    node = copy.deepcopy(nb)
    for index, cell in enumerate(node.cells):
        cell.metadata[SOURCE_INDEX] = index
    if take_out is None:
        return Handover(node)
    del node.cells[take_out]
    return Handover(node, dict(parameters), take_out)


def injection_matches(plan: Any, hand: Handover) -> bool:
    """True when kale_like applies the values exactly where papermill's cell ran.

    kale_like binds overrides after the last cell of its ``parameters`` step;
    papermill ran its cell at ``hand.injected``. Both agree when no executed
    cell lies between the two places.
    """
    if hand.injected is None:
        return True
    node_position = hand.injected  # the cell after the injected one, in the copy's numbering
    parameter_cells = sorted(c.cell_index for s in plan.pipeline.steps if s.kind == "parameters" for c in s.cells)
    if parameter_cells and parameter_cells[-1] >= node_position:
        return False
    last = parameter_cells[-1] if parameter_cells else -1
    executed = {c.cell_index for s in plan.pipeline.steps for c in s.cells} | set(plan.shared_cells)
    return not any(last < index < node_position for index in executed)


def copy_results(executed: Any, nb: Any, hand: Handover) -> None:
    """Outputs and execution counts of kale_like's executed copy, into papermill's ``nb``."""
    for cell in executed.cells:
        marker = cell.get("metadata", {}).get(SOURCE_INDEX)
        if marker is not None:
            target = nb.cells[int(marker)]
        elif hand.injected is not None and INJECTED_TAG in (cell.metadata.get("tags") or []):
            target = nb.cells[hand.injected]
        else:
            continue
        if target.get("cell_type") == "code" and cell.get("cell_type") == "code":
            target.outputs = copy.deepcopy(cell.outputs)
            target.execution_count = cell.execution_count


def step_cells(plan: Any, hand: Handover) -> dict[str, list[int]]:
    """For each step, the indices (in papermill's notebook) of the cells it executes.

    Shared ``imports``/``functions`` cells run in every later step; they are
    counted with the first step that runs them. The parameters step owns
    papermill's injected cell when the values travel as data.
    """
    owned: dict[str, list[int]] = {}
    seen: set[int] = set()
    for name in plan.pipeline.order:
        step = plan.pipeline.step(name)
        indices = [hand.source_index(i) for i in step.prelude_cells if i not in seen]
        seen.update(step.prelude_cells)
        indices += [hand.source_index(c.cell_index) for c in step.cells]
        if step.kind == "parameters" and hand.injected is not None:
            indices.append(hand.injected)
        owned[name] = sorted(indices)
    return owned


def failing_cell(error: dict, plan: Any, hand: Handover, owned: dict[str, list[int]]) -> int | None:
    """Index (in papermill's notebook) of the cell a failed run points at."""
    cell_number = error.get("cell")
    if isinstance(cell_number, int) and 0 < cell_number <= len(hand.node.cells):
        return hand.source_index(cell_number - 1)
    cells = owned.get(error.get("step") or "", [])
    return cells[-1] if cells else None


def first_error_cell(nb: Any) -> int | None:
    """The first cell (in notebook order) holding an error it was not expected to raise."""
    for index, cell in enumerate(nb.cells):
        if "raises-exception" in (cell.get("metadata", {}).get("tags") or []):
            continue
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return index
    return None


def error_output(error: dict) -> dict[str, Any]:
    """An nbformat ``error`` output for a failure that left none in the cell (a crash, a
    value that cannot travel), so papermill's banner and exit code point at it."""
    message = error.get("message") or "the step failed"
    lines = [message] + ([f"hint: {error['hint']}"] if error.get("hint") else [])
    traceback = error.get("traceback")
    if isinstance(traceback, str) and traceback.strip():
        lines.append(traceback)
    return {"output_type": "error", "ename": error.get("ename") or "KaleLikeStepError",
            "evalue": error.get("evalue") or message, "traceback": lines}
