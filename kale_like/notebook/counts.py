"""Execution counts as running the notebook top to bottom in Jupyter would show them: the
executed notebook (every backend) and the KFP step documents number cells alike."""
from __future__ import annotations

from typing import Any


def execution_plan(cells: Any, skipped: set[int], parameters: dict, parameter_cell: int | None) -> tuple[dict[int, int], int | None]:
    """Execution counts as a top-to-bottom run would show them, and the injected cell's count."""
    counts: dict[int, int] = {}
    injected_count = None
    count = 0
    if parameters and parameter_cell is None:
        count += 1
        injected_count = count
    for index, cell in enumerate(cells):
        if cell.cell_type != "code" or index in skipped or not cell.source.strip():
            continue
        count += 1
        counts[index] = count
        if parameters and index == parameter_cell:
            count += 1
            injected_count = count
    return counts, injected_count
