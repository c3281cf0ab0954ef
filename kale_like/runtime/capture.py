"""An IPython shell (no kernel, no ZMQ) whose outputs are captured per cell as nbformat
outputs, the way ipykernel would send them to Jupyter.

Running cells through IPython's own ``run_cell`` keeps what a cell *means*
identical to Jupyter: magics, ``!shell``, the trailing-expression display with its
semicolon rule, ``display()``, and matplotlib's inline backend flushing figures at
the end of the cell that drew them.
"""
from __future__ import annotations

import base64
import io
import os
import sys
from typing import Any

from IPython.core.compilerop import CachingCompiler
from IPython.core.displayhook import DisplayHook
from IPython.core.displaypub import DisplayPublisher
from IPython.core.interactiveshell import InteractiveShell
from traitlets import Type

Output = dict[str, Any]


class OutputSink:
    """Where the current cell's outputs go.

    Consecutive writes to one stream become one output, as in Jupyter; their pieces
    are joined once, when the output is closed: appending to a growing string would
    make a loop of many prints quadratic (200k prints took minutes)."""

    def __init__(self) -> None:
        self.outputs: list[Output] = []
        self.live: Any = None  # a runtime.live.LiveWriter while the parent follows the step
        self._open: Output | None = None  # the stream output still being written
        self._parts: list[str] = []

    def stream(self, name: str, text: str) -> None:
        if not text:
            return
        if self.live is not None:
            self.live.write(name, text)
        last = self.outputs[-1] if self.outputs else None
        if last is not None and last is self._open and last["name"] == name:
            self._parts.append(text)
            return
        self._close()
        self._open = {"output_type": "stream", "name": name, "text": ""}
        self._parts = [text]
        self.outputs.append(self._open)

    def add(self, output: Output) -> None:
        self._close()
        self.outputs.append(output)

    def clear(self) -> None:
        self._close()
        self.outputs = []

    def take(self) -> list[Output]:
        self._close()
        outputs, self.outputs = self.outputs, []
        return outputs

    def _close(self) -> None:
        if self._open is not None:
            self._open["text"] = "".join(self._parts)
            self._open, self._parts = None, []


SINK = OutputSink()


class StreamCapture(io.TextIOBase):
    """``sys.stdout``/``sys.stderr`` replacement feeding the sink."""

    def __init__(self, name: str) -> None:
        self.name = name

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        SINK.stream(self.name, text)
        return len(text)

    def flush(self) -> None:
        return None

    def isatty(self) -> bool:
        return False

    # typeshed declares TextIOBase.encoding a plain attribute; ours is fixed, so read-only.
    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    clean = {}
    for mime, value in data.items():
        if isinstance(value, bytes):
            value = base64.b64encode(value).decode("ascii")
        clean[mime] = value
    return clean


class CapturingPublisher(DisplayPublisher):
    def publish(self, data: dict[str, Any], metadata: dict[str, Any] | None = None, source: object = None, *,
                transient: dict[str, Any] | None = None, update: bool = False, **kwargs: Any) -> None:
        output: Output = {"output_type": "display_data", "data": _jsonable(data), "metadata": metadata or {}}
        if transient:
            output["transient"] = transient
        SINK.add(output)

    def clear_output(self, wait: bool = False) -> None:
        SINK.clear()


class CapturingDisplayHook(DisplayHook):
    def start_displayhook(self) -> None:
        self._format = None

    def write_output_prompt(self) -> None:
        return None

    def write_format_data(self, format_dict: dict[str, Any], md_dict: dict[str, Any] | None = None) -> None:
        # ``prompt_count`` is the running cell's number on every IPython: since IPython 9
        # ``shell.execution_count`` already holds the *next* cell's while a cell runs.
        SINK.add({"output_type": "execute_result", "data": _jsonable(format_dict),
                  "metadata": md_dict or {}, "execution_count": self.prompt_count})

    def finish_displayhook(self) -> None:
        sys.stdout.flush()


class CellNamingCompiler(CachingCompiler):
    """Names compiled cells ``<cell N>`` so tracebacks point at notebook cells."""

    current_cell: int | None = None

    def get_code_name(self, raw_code: str, transformed_code: str, number: int) -> str:
        if self.current_cell is not None:
            return f"<cell {self.current_cell}>"
        return super().get_code_name(raw_code, transformed_code, number)


class ZMQCompatibleStepShell(InteractiveShell):
    """The shell steps run in. Its class name says "zmq" on purpose: libraries decide
    whether they are inside a Jupyter kernel by looking for it (pandas'
    ``in_ipython_frontend`` does), and they must format output as they do there —
    pandas, for one, wraps wide frames at 80 columns in a kernel but sizes them to
    the terminal otherwise."""

    display_pub_class = Type(CapturingPublisher)
    displayhook_class = Type(CapturingDisplayHook)
    compiler_class = Type(CellNamingCompiler)
    compile: CellNamingCompiler  # made from compiler_class

    last_error: Output | None = None
    # pandas (``is_terminal``) and others tell a kernel from a terminal by this attribute;
    # there is no kernel object to hand out, only the answer "not a terminal".
    kernel = None

    def _showtraceback(self, etype: type[BaseException] | None, evalue: BaseException | None,
                       stb: list[str]) -> None:
        output = {"output_type": "error", "ename": getattr(etype, "__name__", str(etype)),
                  "evalue": str(evalue), "traceback": list(stb)}
        SINK.add(output)
        self.last_error = output

    def system(self, cmd: str) -> None:
        # Pipe the command's output through sys.stdout, as ipykernel does.
        self.system_piped(cmd)

    def enable_gui(self, gui: str | None = None) -> None:
        return None


StepShell = ZMQCompatibleStepShell


def make_shell() -> ZMQCompatibleStepShell:
    """The process-wide shell; created once (in the warm parent when there is one)."""
    if StepShell.initialized():
        return StepShell.instance()
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False  # no sqlite history file per step
    config.InteractiveShell.colors = "neutral"  # what ipykernel uses: readable on a light output area
    shell = StepShell.instance(config=config)
    # ``obj?`` and ``%page`` go to the pager; a kernel sends that as a payload that
    # never becomes a cell output, so neither do we.
    shell.set_hook("show_in_pager", _drop_page, priority=99)
    # In a kernel, libraries imported by cells can call get_ipython(); ours are often
    # imported earlier by the warm parent, so make it available from the start.
    import builtins

    builtins.get_ipython = shell.get_ipython  # type: ignore[attr-defined]  # not a builtin, as in a kernel
    return shell


def _drop_page(self: object, data: object, start: int = 0, screen_lines: int = 0) -> None:
    return None
