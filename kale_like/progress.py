"""Per-step progress for ``kale-like run``: a live table on a terminal, plain lines otherwise."""
from __future__ import annotations

import sys
import time
from typing import IO

SYMBOLS = {"waiting": "·", "running": "▶", "cached": "≡", "succeeded": "✓", "failed": "✗",
           "skipped": "-", "cancelled": "⊘"}
LABELS = {"succeeded": "done"}


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

    def __call__(self, event: dict) -> None:
        kind = event.get("type")
        if kind == "plan":
            self.order = list(event["steps"])
            self.states = {name: ("waiting", 0.0) for name in self.order}
        elif kind in ("warning", "notice"):
            self._drawn = 0  # the line goes below the table; the table is drawn again under it
            prefix = "warning: " if kind == "warning" else ""
            self.stream.write(f"kale-like: {prefix}{event['message']}\n")
            self.stream.flush()
        elif kind == "output" and self.verbose:
            self._output(event["step"], str(event.get("text", "")))
        elif kind == "step":
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

    def _redraw(self) -> None:
        if self._drawn:
            self.stream.write(f"\x1b[{self._drawn}F")
        width = max((len(n) for n in self.order), default=4)
        for name in self.order:
            state, elapsed = self.states.get(name, ("waiting", 0.0))
            shown = f"{elapsed:.1f}s" if state in ("succeeded", "failed") else ""
            self.stream.write(f"\x1b[2K {SYMBOLS.get(state, '?')} {name:<{width}}  {LABELS.get(state, state):<9} {shown}\n")
        self._drawn = len(self.order)
        self.stream.flush()
