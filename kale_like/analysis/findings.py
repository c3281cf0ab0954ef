"""Findings are data: analysis returns them, surfaces render them."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from ..errors import cell_reference


@dataclass(frozen=True)
class Finding:
    severity: str          # error | warning | info
    code: str              # undefined-name, cannot-travel, syntax-error, cycle, bad-tag, ...
    message: str
    cell: int | None = None   # 1-based notebook cell number
    line: int | None = None   # 1-based line inside the cell
    step: str | None = None
    execution_count: int | None = None  # the cell's In [n] in the saved notebook

    @property
    def where(self) -> str:
        return cell_reference(self.cell, self.line, self.step, self.execution_count)

    def render(self) -> str:
        prefix = self.where
        return f"{self.severity}: {prefix + ': ' if prefix else ''}{self.message} [{self.code}]"

    def to_json(self) -> dict:
        return {**asdict(self), "where": self.where}
