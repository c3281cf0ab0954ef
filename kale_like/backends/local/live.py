"""Following a step's stdout/stderr while it runs: the step appends JSON lines to a
file in its run directory (``runtime.live.LiveWriter``); the scheduler tails it
between its other work and reports what arrived as one ``output`` event per stream."""
from __future__ import annotations

import json
import os

LIVE_FILE = "output.jsonl"


class LiveTail:
    """Reads the complete lines appended to one file since the last read."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._offset = 0

    def read(self) -> list[tuple[str, str]]:
        """``(stream name, text)`` pairs, consecutive writes to one stream joined."""
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self._offset)
                data = handle.read()
        except OSError:
            return []
        end = data.rfind(b"\n") + 1  # a line still being written waits for the next read
        self._offset += end
        chunks: list[tuple[str, str]] = []
        for line in data[:end].splitlines():
            try:
                item = json.loads(line)
                name, text = str(item["name"]), str(item["text"])
            except (ValueError, KeyError, TypeError):
                continue
            if chunks and chunks[-1][0] == name:
                chunks[-1] = (name, chunks[-1][1] + text)
            else:
                chunks.append((name, text))
        return chunks


def output_events(step: str, tail: LiveTail) -> list[dict]:
    from ...contract import OutputEvent

    return [OutputEvent(step, name, text).to_json() for name, text in tail.read()]


def live_path(folder: str) -> str:
    return os.path.join(folder, LIVE_FILE)
