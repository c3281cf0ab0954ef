"""Turning a code cell's outputs into comparable text, and diffing two notebooks.

What is compared, per code cell (see ../shared/corpus/README.md for why each
normalization exists):

- ``execution_count``, and each ``execute_result``'s (``Out[n]`` follows ``In [n]``);
- stdout and stderr text. Consecutive stream outputs are joined, and between two
  rich outputs stdout and stderr are compared as two texts, because how a kernel
  chunks and interleaves the two streams varies from run to run;
- every ``execute_result`` / ``display_data``: its MIME types (so an ``image/png``
  shows up and is counted) and its ``text/plain``;
- every ``error``: ``ename``, ``evalue`` and the notebook frames of its traceback as the
  kernel names them (``Cell In[3], line 2, in f(x)``); the rest of a traceback differs
  by construction.

Text is normalized: ANSI colour codes stripped, ``\\r\\n`` read as ``\\n``, object
addresses (``0x…``) masked, the file names of cell code (``/tmp/ipykernel_<pid>/<n>.py``,
kale_like's ``<cell N>``, and any caller-given prefix such as the pipeline's work
directory) replaced by ``<cell>``, the notebook's folder replaced by ``<NBDIR>``, then
any per-notebook masks applied.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
ADDRESS = re.compile(r"\b0x[0-9a-fA-F]+")
# Where cell code "lives" in warnings: ipykernel's temp files (older IPython:
# <ipython-input-…>), and kale_like's pseudo file names for cells (<cell 6>).
CELL_FILE = re.compile(r"(/tmp/ipykernel_\d+/\d+\.py|<ipython-input-\d+-[0-9a-f]+>|<cell \d+>)")

Mask = tuple[str, str]  # (regular expression, replacement), applied line by line


@dataclass(frozen=True)
class Normalizer:
    """Rewrites output text so that equal behaviour gives equal text."""

    masks: Sequence[Mask] = ()
    cell_file_prefixes: Sequence[str] = ()  # paths whose .py files hold cell code
    folder_paths: Sequence[str] = ()  # the notebook's folder in each run
    compare_stderr: bool = True
    _compiled: list[tuple[re.Pattern[str], str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_compiled", [(re.compile(p, re.M), r) for p, r in self.masks])

    def text(self, raw: Any) -> str:
        text = raw if isinstance(raw, str) else "".join(raw or ())
        text = ANSI.sub("", text).replace("\r\n", "\n")
        text = CELL_FILE.sub("<cell>", text)
        for prefix in self.cell_file_prefixes:
            text = re.sub(re.escape(prefix.rstrip("/")) + r"/[^\s:'\"]*\.py", "<cell>", text)
        for folder in sorted(self.folder_paths, key=len, reverse=True):
            text = text.replace(folder.rstrip("/"), "<NBDIR>")
        text = ADDRESS.sub("0x…", text)
        for pattern, replacement in self._compiled:
            text = pattern.sub(replacement, text)
        return text


def render_cell(cell: Any, normalizer: Normalizer) -> list[str]:
    """The lines that stand for one executed code cell."""
    lines = [f"execution_count: {cell.get('execution_count')}"]
    streams: dict[str, list[str]] = {}
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "stream":
            streams.setdefault(output.get("name", "stdout"), []).append(output.get("text", ""))
            continue
        lines += _render_streams(streams, normalizer)
        streams = {}
        lines += _render_rich(output, normalizer)
    return lines + _render_streams(streams, normalizer)


def _render_streams(streams: dict[str, list[str]], normalizer: Normalizer) -> list[str]:
    lines: list[str] = []
    for name in ("stdout", "stderr"):
        if name not in streams or (name == "stderr" and not normalizer.compare_stderr):
            continue
        lines.append(f"[{name}]")
        lines += _text_lines(normalizer.text("".join(streams[name])))
    return lines


def _render_rich(output: Any, normalizer: Normalizer) -> list[str]:
    kind = output.get("output_type")
    if kind == "error":
        evalue = normalizer.text(output.get("evalue", ""))
        frames = [f"  at {frame}" for frame in _frames(output.get("traceback", []))]
        return [f"[error] {output.get('ename')}: " + evalue.replace("\n", "\n        "), *frames]
    data = output.get("data", {})
    header = f"[{kind}] " + " ".join(sorted(data))
    if kind == "execute_result":  # Out[n] must follow In [n]
        header = f"[{kind} Out[{output.get('execution_count')}]] " + " ".join(sorted(data))
    if "text/plain" not in data:
        return [header]
    return [header] + _text_lines(normalizer.text(data["text/plain"]))


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_FRAME = re.compile(r"^Cell In\[\d+\], line \d+.*$", re.MULTILINE)


def _frames(traceback: list[str]) -> list[str]:
    """The notebook frames of a traceback as a kernel names them ("Cell In[3], line 2, in f(x)")."""
    return _FRAME.findall(_ANSI.sub("", "\n".join(traceback)))


def _text_lines(text: str) -> list[str]:
    lines = text.split("\n")
    if lines[-1] == "":
        return lines[:-1]
    return lines + ["\\ no newline at end"]


@dataclass(frozen=True)
class CellDifference:
    number: int  # 1-based over every cell, as users (and kale_like's errors) count them
    first_line: str
    diff: list[str]

    def describe(self, max_lines: int = 60) -> str:
        shown = self.diff[:max_lines]
        if len(self.diff) > max_lines:
            shown.append(f"... ({len(self.diff) - max_lines} more diff lines)")
        return f"cell {self.number}: {self.first_line}\n" + "\n".join("    " + line for line in shown)


def compare_notebooks(expected: Any, actual: Any, normalizer: Normalizer,
                      skipped: Iterable[int] = ()) -> list[CellDifference]:
    """Differences between two executed copies of the same notebook, cell by cell.

    ``skipped`` holds the indices of cells the pipeline must leave unexecuted.
    """
    differences = []
    skipped = set(skipped)
    for index, (want, got) in enumerate(zip(expected.cells, actual.cells)):
        if want.get("cell_type") != "code":
            continue
        want_lines = ["execution_count: None"] if index in skipped else render_cell(want, normalizer)
        got_lines = render_cell(got, normalizer)
        if want_lines != got_lines:
            diff = list(difflib.unified_diff(want_lines, got_lines, "jupyter", "kale_like", lineterm="", n=2))
            differences.append(CellDifference(index + 1, _first_line(want.get("source", "")), diff))
    return differences


def describe_structure_mismatch(expected: Any, actual: Any) -> str | None:
    """Why two notebooks cannot be compared cell by cell, or None if they can."""
    if len(expected.cells) != len(actual.cells):
        return f"the output notebook has {len(actual.cells)} cells, the source has {len(expected.cells)}"
    for index, (want, got) in enumerate(zip(expected.cells, actual.cells)):
        if want.get("cell_type") != got.get("cell_type") or _source(want) != _source(got):
            return (f"cell {index + 1} differs from the source notebook's cell "
                    f"({want.get('cell_type')}: {_first_line(_source(want))!r} vs "
                    f"{got.get('cell_type')}: {_first_line(_source(got))!r})")
    return None


def _source(cell: Any) -> str:
    source = cell.get("source", "")
    return source if isinstance(source, str) else "".join(source)


def _first_line(source: Any) -> str:
    text = source if isinstance(source, str) else "".join(source)
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:100]
    return "(empty cell)"
