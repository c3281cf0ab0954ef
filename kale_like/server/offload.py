"""Analysis and compilation for HTTP requests: off the event loop, a few at a time, with a deadline.

The panel asks for an analysis on every tag edit. Each one runs in a small pool of its
own (not the event loop, not the default executor that the contents API shares), so a
burst of heavy requests queues there while every other request is answered. A request
that waits longer than the deadline gets a 503 saying so; the work already started
finishes in the background, and is bounded (analysis is linear in the code, and the
code a request may send is capped).
"""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

DEFAULT_SECONDS = 60.0
DEFAULT_WORKERS = 2
# The code cells of a notebook sent for analysis (drafts from the editor), in characters.
MAX_CODE_CHARACTERS = 4_000_000


class Overloaded(Exception):
    """The request's analysis did not finish within the deadline."""

    def __init__(self, seconds: float):
        super().__init__(f"the analysis took longer than {seconds:g} s and was abandoned; "
                         "the notebook may be very large, or the server busy: try again")
        self.seconds = seconds


class Offload:
    def __init__(self, workers: int = DEFAULT_WORKERS, seconds: float = DEFAULT_SECONDS):
        self.seconds = seconds
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kale-like-analysis")

    async def call(self, function: Callable[..., Any], *args: Any) -> Any:
        future = asyncio.get_running_loop().run_in_executor(self._pool, function, *args)
        try:
            return await asyncio.wait_for(asyncio.shield(future), self.seconds)
        except asyncio.TimeoutError:
            raise Overloaded(self.seconds) from None

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def code_characters(content: Any) -> int:
    """How much code a draft notebook (a JSON object from the editor) holds."""
    total = 0
    for cell in content.get("cells") or [] if isinstance(content, dict) else []:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source")
            total += len(source) if isinstance(source, str) else sum(
                len(part) for part in source if isinstance(part, str)) if isinstance(source, list) else 0
    return total
