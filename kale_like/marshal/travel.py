"""Which values can never leave their process, told apart by type alone (no serialization).

Modules such as ``socket`` or ``sqlite3`` are looked up in ``sys.modules`` instead of
being imported: if a module was never imported, no value of its types can exist.
"""
from __future__ import annotations

import io
import itertools
import sys
import threading
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..errors import MarshalError
from .model import MarshalContext


@dataclass(frozen=True)
class Untravelable:
    """Why a value cannot be saved, and what the user can do instead."""

    reason: str
    hint_template: str  # may mention the variable as {name}

    def hint(self, name: str) -> str:
        return self.hint_template.format(name=name)


_GENERATOR = Untravelable(
    "generators cannot be saved",
    "hint: turn it into a list (`{name} = list({name})`) in the cell that makes it, "
    "or create it in the step that uses it")
_FILE = Untravelable(
    "open files cannot be saved",
    "hint: pass the file's path (or its contents) instead and reopen it in the step that uses it")
_LOCK = Untravelable(
    "locks and other synchronization primitives cannot be saved",
    "hint: create it in the step that uses it")
_THREAD = Untravelable(
    "running threads, processes and executors cannot be saved",
    "hint: wait for their results in this step and pass the results instead")
_SOCKET = Untravelable(
    "network sockets cannot be saved",
    "hint: pass the address instead and reconnect in the step that uses it")
_CONNECTION = Untravelable(
    "database connections and cursors cannot be saved",
    "hint: pass the connection string instead and reconnect in the step that uses it; "
    "fetch query results into a list or DataFrame to pass the data")
_HANDLE = Untravelable(
    "operating-system handles (memory maps, frames, tracebacks) cannot be saved",
    "hint: recreate it in the step that uses it")

_LOCK_TYPES: tuple[type, ...] = (
    type(threading.Lock()), type(threading.RLock()), threading.Condition, threading.Semaphore,
    threading.Event, threading.Barrier)
_FRAME_TYPES: tuple[type, ...] = (types.FrameType, types.TracebackType)
_IN_MEMORY_FILES: tuple[type, ...] = (io.BytesIO, io.StringIO)  # these pickle fine
# Top-level packages of DB-API drivers whose connection/cursor types cannot be pickled.
_DB_PACKAGES = frozenset({
    "sqlite3", "_sqlite3", "psycopg", "psycopg2", "pymysql", "MySQLdb", "mysql", "pyodbc",
    "cx_Oracle", "oracledb", "duckdb", "snowflake", "pymssql", "ibm_db", "sqlalchemy"})
_DB_TYPE_WORDS = ("connection", "cursor", "engine")


def check_travels(name: str, value: object, context: MarshalContext) -> None:
    """Raise :class:`MarshalError` if ``value`` can never be passed to another step."""
    problem = untravelable(value)
    if problem is not None:
        raise MarshalError(
            f"variable '{name}' ({type_label(value)}) cannot be passed to another step: "
            f"{problem.reason}",
            context.location(name), problem.hint(name))


def untravelable(value: object) -> Untravelable | None:
    """Classify ``value`` by its type; ``None`` means it may travel."""
    cls = type(value)
    if cls not in _verdicts:
        # Cached per type: a verdict cannot change later, because a class whose bases
        # come from a module (socket, sqlite3, ...) exists only once that module is imported.
        _verdicts[cls] = next((problem for rule in _RULES if (problem := rule(cls))), None)
    return _verdicts[cls]


def find_untravelable(value: object, name: str,
                      max_nodes: int = 10_000) -> tuple[str, object, Untravelable] | None:
    """Search containers and attributes breadth-first for a part that cannot travel.

    Only used after a save failed, to say *where* inside a value the problem is.
    Returns the path (``cfg['db'].conn``), the part and why it cannot travel.
    """
    seen: set[int] = set()
    queue: list[tuple[str, object]] = [(name, value)]
    for path, part in queue:
        if id(part) in seen:
            continue
        seen.add(id(part))
        problem = untravelable(part)
        if problem is not None:
            return path, part, problem
        queue.extend(itertools.islice(_children(path, part), max(0, max_nodes - len(queue))))
    return None


def type_label(value: object) -> str:
    """A short type name for messages: builtins and notebook classes bare, others qualified."""
    cls = type(value)
    if cls.__module__ in ("builtins", "__main__"):
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def _children(path: str, value: object) -> Iterator[tuple[str, object]]:
    if isinstance(value, dict):
        for key, item in list(value.items()):
            yield f"{path}[{key!r}]", item
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield f"{path}[{index}]", item
    elif isinstance(value, (set, frozenset)):
        for item in value:
            yield f"{path} (an element)", item
    elif not isinstance(value, type) and isinstance(getattr(value, "__dict__", None), dict):
        for attr, item in list(vars(value).items()):
            yield f"{path}.{attr}", item


def _generator(cls: type) -> Untravelable | None:
    kinds = (types.GeneratorType, types.CoroutineType, types.AsyncGeneratorType)
    return _GENERATOR if issubclass(cls, kinds) else None


def _open_file(cls: type) -> Untravelable | None:
    if issubclass(cls, io.IOBase) and not issubclass(cls, _IN_MEMORY_FILES):
        return _FILE
    return _FILE if _subclass_of(cls, "tempfile", "_TemporaryFileWrapper") else None


def _lock(cls: type) -> Untravelable | None:
    if issubclass(cls, _LOCK_TYPES) or _subclass_of(cls, "multiprocessing.synchronize", "SemLock"):
        return _LOCK
    return None


def _thread(cls: type) -> Untravelable | None:
    if issubclass(cls, threading.Thread) or any(
            _subclass_of(cls, module, name) for module, name in (
                ("concurrent.futures", "Executor"), ("multiprocessing.process", "BaseProcess"),
                ("subprocess", "Popen"))):
        return _THREAD
    return None


def _socket(cls: type) -> Untravelable | None:
    return _SOCKET if _subclass_of(cls, "socket", "socket") else None


def _connection(cls: type) -> Untravelable | None:
    if cls.__module__.partition(".")[0] not in _DB_PACKAGES:
        return None
    lowered = cls.__name__.lower()
    return _CONNECTION if any(word in lowered for word in _DB_TYPE_WORDS) else None


def _handle(cls: type) -> Untravelable | None:
    if issubclass(cls, _FRAME_TYPES) or _subclass_of(cls, "mmap", "mmap"):
        return _HANDLE
    return None


def _subclass_of(cls: type, module: str, name: str) -> bool:
    found = getattr(sys.modules.get(module), name, None)
    return isinstance(found, type) and issubclass(cls, found)


_RULES: tuple[Callable[[type], Untravelable | None], ...] = (
    _generator, _open_file, _lock, _thread, _socket, _connection, _handle)
_verdicts: dict[type, Untravelable | None] = {}
