"""Per-step progress for ``kale-like run``: a live table on a terminal, plain lines otherwise."""
from __future__ import annotations

import sys
import time
from typing import IO

SYMBOLS = {"waiting": "·", "running": "▶", "cached": "≡", "succeeded": "✓", "failed": "✗",
           "skipped": "-", "cancelled": "⊘"}
LABELS = {"succeeded": "done"}
# Above this many steps the live view is a summary (counts, running and failed steps):
# a full table redrawn on every event would cost as much as the steps times the events.
TABLE_ROWS = 30
_LISTED = 8


class Progress:
    def __init__(self, stream: IO[str] | None = None, live: bool | None = None, verbose: bool = False) -> None:
        self.stream = stream or sys.stderr
        # --verbose prints the steps' output as it comes; a redrawn table would overwrite it
        self.live = (self.stream.isatty() if live is None else live) and not verbose
        self.verbose = verbose
        self._partial: dict[str, str] = {}
        self.order: list[str] = []
        self.states: dict[str, tuple[str, float]] = {}
        self.began = time.perf_counter()
        self._drawn = 0
        self.counts: dict[str, int] = {}
        self.running: dict[str, None] = {}  # in start order
        self.failed: list[str] = []

    def __call__(self, event: dict) -> None:
        kind = event.get("type")
        if kind == "plan":
            self.order = list(event["steps"])
            self.states = {name: ("waiting", 0.0) for name in self.order}
            self.counts = {"waiting": len(self.order)}
        elif kind in ("warning", "notice"):
            self._drawn = 0  # the line goes below the table; the table is drawn again under it
            prefix = "warning: " if kind == "warning" else ""
            self.stream.write(f"kale-like: {prefix}{event['message']}\n")
            self.stream.flush()
        elif kind == "output" and self.verbose:
            self._output(event["step"], str(event.get("text", "")))
        elif kind == "step":
            self._count(event["step"], event["state"])
            self.states[event["step"]] = (event["state"], float(event.get("elapsed", 0.0)))
            if self.live:
                self._redraw()
            elif event["state"] != "waiting":
                self._line(event["step"], event["state"], float(event.get("elapsed", 0.0)))

    def _output(self, step: str, text: str) -> None:
        """Each complete line a step printed, prefixed with the step's name."""
        lines = (self._partial.pop(step, "") + text).split("\n")
        if lines[-1]:
            self._partial[step] = lines[-1]
        for line in lines[:-1]:
            self.stream.write(f"{step} | {line}\n")
        self.stream.flush()

    def _line(self, name: str, state: str, elapsed: float) -> None:
        stamp = time.perf_counter() - self.began
        extra = f" ({elapsed:.1f}s)" if state in ("succeeded", "failed") else ""
        self.stream.write(f"[{stamp:6.1f}s] {name}: {LABELS.get(state, state)}{extra}\n")
        self.stream.flush()

    def _count(self, name: str, state: str) -> None:
        before = self.states.get(name, ("waiting", 0.0))[0] if name in self.states else None
        if before is not None:
            self.counts[before] = self.counts.get(before, 0) - 1
        self.counts[state] = self.counts.get(state, 0) + 1
        self.running.pop(name, None)
        if state == "running":
            self.running[name] = None
        elif state == "failed":
            self.failed.append(name)

    def _redraw(self) -> None:
        if self._drawn:
            self.stream.write(f"\x1b[{self._drawn}F")
        rows = self._table() if len(self.order) <= TABLE_ROWS else self._summary()
        for row in rows:
            self.stream.write(f"\x1b[2K{row}\n")
        for _ in range(self._drawn - len(rows)):  # a shorter view: blank what the longer one left
            self.stream.write("\x1b[2K\n")
        self._drawn = max(self._drawn, len(rows))
        self.stream.flush()

    def _table(self) -> list[str]:
        width = max((len(n) for n in self.order), default=4)
        rows = []
        for name in self.order:
            state, elapsed = self.states.get(name, ("waiting", 0.0))
            shown = f"{elapsed:.1f}s" if state in ("succeeded", "failed") else ""
            rows.append(f" {SYMBOLS.get(state, '?')} {name:<{width}}  {LABELS.get(state, state):<9} {shown}")
        return rows

    def _summary(self) -> list[str]:
        stamp = time.perf_counter() - self.began
        counts = ", ".join(f"{self.counts[s]} {LABELS.get(s, s)}" for s in SYMBOLS if self.counts.get(s))
        rows = [f" {len(self.order)} steps [{stamp:6.1f}s]: {counts}"]
        rows += [f" {SYMBOLS['running']} {name}  running" for name in list(self.running)[:_LISTED]]
        rows += [f" {SYMBOLS['failed']} {name}  failed" for name in self.failed[:_LISTED]]
        return rows
