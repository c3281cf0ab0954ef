"""Findings are data: analysis returns them, surfaces render them."""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Finding:
    severity: str          # error | warning | info
    code: str              # undefined-name, cannot-travel, syntax-error, cycle, bad-tag, ...
    message: str
    cell: int | None = None   # 1-based notebook cell number
    line: int | None = None   # 1-based line inside the cell
    step: str | None = None

    def render(self) -> str:
        where = [f"cell {self.cell}" if self.cell is not None else None,
                 f"line {self.line}" if self.line is not None else None,
                 f"step '{self.step}'" if self.step else None]
        prefix = ", ".join(w for w in where if w)
        return f"{self.severity}: {prefix + ': ' if prefix else ''}{self.message} [{self.code}]"

    def to_json(self) -> dict:
        return asdict(self)
