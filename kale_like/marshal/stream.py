"""One object as a pickle stream plus a file of raw buffers, memory-mapped on load.

Files in the group directory:

- ``values.pkl``: pickle protocol 5; large buffers are out-of-band, arrays are references
- ``buffers.bin``: the raw bytes, each block aligned like the memory it came from
- ``layout.json``: where each out-of-band buffer and array block lives in ``buffers.bin``

A value with no large buffer and no array (most values of a pipeline of small steps) is
``values.pkl`` alone: two empty files fewer to create per saved group, which is most of
what saving a small value costs where creating a file is slow.

On load ``buffers.bin`` is mapped copy-on-write (``ACCESS_COPY``): arrays are writable,
nothing is read until touched, and writes never reach the file.
"""
from __future__ import annotations

import contextlib
import functools
import json
import mmap
import os
import pickle
import sys
import types
from pathlib import Path
from typing import IO, Any

from .arrays import ArrayLayout, arrays_from
from .checksum import SLICE, new_hasher
from .mainref import reduce_main
from .travel import untravelable

STREAM = "values.pkl"
BUFFERS = "buffers.bin"
LAYOUT = "layout.json"
# Below this a table entry and alignment padding cost more than copying in-band.
_IN_BAND_LIMIT = 64 * 1024
# ext4 writes a large file about twice as fast into preallocated extents (1 GiB on the
# dev machine: 1.08 s -> 0.57 s median), since delayed allocation is skipped.
_PREALLOCATE_FROM = 16 << 20


class DamagedGroup(Exception):
    """The files of a group do not agree with each other (truncated or edited)."""


def write_stream(directory: Path, value: object, *, use_dill: bool,
                 algorithm: str) -> dict[str, str]:
    """Pickle ``value`` into ``directory`` (which must exist and be empty).

    Returns the digest of ``buffers.bin``, computed while writing it (the other files
    are small, or already in the page cache, and are hashed by the caller).
    """
    layout = ArrayLayout()
    oob: list[pickle.PickleBuffer] = []

    def keep_in_band(buffer: pickle.PickleBuffer) -> bool:
        if buffer.raw().nbytes < _IN_BAND_LIMIT:
            return True
        oob.append(buffer)
        return False

    with open(directory / STREAM, "wb") as file:
        new_pickler(file, layout, keep_in_band, use_dill=use_dill).dump(value)
    blocks, entries = layout.blocks()
    buffers = [(buffer.raw(), 0) for buffer in oob] + blocks
    if not buffers and not entries:
        return {}  # everything is in values.pkl
    places, size = _place(buffers)
    digest = _write_buffers(directory / BUFFERS, [data for data, _ in buffers], places, size,
                            algorithm)
    table = {"size": size, "oob": places[:len(oob)], "blocks": places[len(oob):],
             "arrays": entries}
    (directory / LAYOUT).write_text(json.dumps(table, separators=(",", ":")))
    return {BUFFERS: digest}


def read_stream(directory: Path, *, use_dill: bool) -> object:
    """Load what :func:`write_stream` wrote. Raises :class:`DamagedGroup` on mismatch."""
    try:
        table = _read_layout(directory)
        data = _map_buffers(directory / BUFFERS, table["size"])
        oob = [data[offset:offset + size] for offset, size in table["oob"]]
        blocks = [data[offset:offset + size] for offset, size in table["blocks"]]
        entries = [(entry[0], entry[1], tuple(entry[2]), *entry[3:]) for entry in table["arrays"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DamagedGroup(f"{type(exc).__name__}: {exc}") from exc
    with arrays_from(blocks, entries), open(directory / STREAM, "rb") as file:
        return new_unpickler(file, oob, use_dill=use_dill).load()


_NO_BUFFERS = {"size": 0, "oob": [], "blocks": [], "arrays": []}


def _read_layout(directory: Path) -> dict[str, Any]:
    """The layout table; a group written without buffers has neither file."""
    try:
        text = (directory / LAYOUT).read_text()
    except FileNotFoundError:
        if (directory / BUFFERS).exists():
            raise
        return _NO_BUFFERS
    table: dict[str, Any] = json.loads(text)
    return table


def probe(value: object, *, use_dill: bool) -> None:
    """Pickle ``value`` to nowhere, raising what saving it would raise.

    Buffers go out-of-band and arrays become references, so no data is copied.
    """
    new_pickler(_Discard(), ArrayLayout(), lambda buffer: False, use_dill=use_dill).dump(value)


def new_pickler(file: Any, layout: ArrayLayout, buffer_callback: Any, *,
                use_dill: bool) -> pickle.Pickler:
    if use_dill:
        pickler: pickle.Pickler = _dill_pickler_class()(file, layout, buffer_callback)
        return pickler
    if layout.active or _notebook_objects():
        return _ArrayPickler(file, layout, buffer_callback)
    # No numpy, no notebook classes or functions: the C pickler without a Python-level hook is fastest.
    return pickle.Pickler(file, protocol=5, buffer_callback=buffer_callback)


def _notebook_objects() -> bool:
    """Does the notebook define functions or classes (which then travel with their origin)?"""
    main = sys.modules.get("__main__")
    return any(isinstance(v, (type, types.FunctionType)) and getattr(v, "__module__", None) == "__main__"
               for v in list(vars(main).values())) if main is not None else False


def new_unpickler(file: IO[bytes], buffers: list[memoryview], *,
                  use_dill: bool) -> pickle.Unpickler:
    if not use_dill:
        return pickle.Unpickler(file, buffers=buffers)
    import dill

    unpickler: pickle.Unpickler = dill.Unpickler(file, buffers=buffers)
    # dill remembers the __main__ of the moment it was imported; functions saved by
    # value must see the __main__ this step runs the notebook in.
    setattr(unpickler, "_main", sys.modules["__main__"])  # noqa: B010 - private to dill
    return unpickler


def referable(obj: type | types.FunctionType) -> bool:
    """True if ``<module>.<qualname>`` is this very object, so pickle can save it by name."""
    target: object = sys.modules.get(obj.__module__ or "")
    for part in obj.__qualname__.split("."):
        target = getattr(target, part, None)
    return target is obj


class _ArrayPickler(pickle.Pickler):
    def __init__(self, file: Any, layout: ArrayLayout, buffer_callback: Any) -> None:
        super().__init__(file, protocol=5, buffer_callback=buffer_callback)
        self._layout = layout

    def reducer_override(self, obj: object) -> Any:
        reduced = reduce_main(obj)
        return self._layout.reduce(obj) if reduced is NotImplemented else reduced


@functools.cache
def _dill_pickler_class() -> type:
    import dill

    class DillArrayPickler(dill.Pickler):
        """dill, but notebook classes and functions that ``__main__`` names go by reference.

        The consumer re-runs the notebook's ``def``/``class`` statements, so by-reference
        keeps ``isinstance`` true there; dill alone would copy every ``__main__`` class.
        """

        def __init__(self, file: Any, layout: ArrayLayout, buffer_callback: Any) -> None:
            super().__init__(file, protocol=5, buffer_callback=buffer_callback,
                             byref=False, recurse=False)
            self._layout = layout
            self._main = sys.modules["__main__"]

        def reducer_override(self, obj: object) -> Any:
            reduced = reduce_main(obj)
            if reduced is not NotImplemented:
                return reduced
            if (isinstance(obj, (type, types.FunctionType)) and obj.__module__ == "__main__"
                    and referable(obj)):
                return obj.__qualname__
            problem = untravelable(obj)
            if problem is not None:
                # dill would "save" a lock or an open file as a new one; that is not the
                # same value, so refuse like pickle does.
                raise pickle.PicklingError(f"{type(obj).__qualname__}: {problem.reason}")
            return self._layout.reduce(obj)

    return DillArrayPickler


class _Discard:
    def write(self, data: Any) -> int:
        return memoryview(data).nbytes


def _place(buffers: list[tuple[Any, int]]) -> tuple[list[tuple[int, int]], int]:
    """Offset and length in the file of each (data, original address), and the file size.

    Each buffer starts at the same offset modulo 64 (16 for small ones) as its original
    address, so arrays come back exactly as aligned as they were.
    """
    places: list[tuple[int, int]] = []
    end = 0
    for data, address in buffers:
        nbytes = memoryview(data).nbytes
        alignment = 64 if nbytes >= 4096 else 16
        offset = end + (address - end) % alignment
        places.append((offset, nbytes))
        end = offset + nbytes
    return places, end


def _write_buffers(path: Path, buffers: list[Any], places: list[tuple[int, int]],
                   size: int, algorithm: str) -> str:
    """Write the buffers at their places and return the digest of the whole file.

    Each slice is hashed just before it is written, while it is in the CPU cache.
    """
    hasher = new_hasher(algorithm)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        if size >= _PREALLOCATE_FROM and hasattr(os, "posix_fallocate"):
            with contextlib.suppress(OSError):  # cannot preallocate here; plain writes work
                os.posix_fallocate(fd, 0, size)
        end = 0
        for data, (offset, _) in zip(buffers, places, strict=True):
            hasher.update(bytes(offset - end))  # alignment padding reads back as zeros
            view = memoryview(data).cast("B")
            end = offset + view.nbytes
            for start in range(0, view.nbytes, SLICE):
                _write_fully(fd, view[start:start + SLICE], offset + start, hasher)
        os.ftruncate(fd, size)
    finally:
        os.close(fd)
    return hasher.hexdigest()


def _write_fully(fd: int, view: memoryview, offset: int, hasher: Any) -> None:
    hasher.update(view)
    while view:  # pwrite may write less than asked
        written = os.pwrite(fd, view, offset)
        view, offset = view[written:], offset + written


def _map_buffers(path: Path, size: int) -> memoryview:
    if size == 0 and not path.exists():
        return memoryview(bytearray())  # written without buffers
    with open(path, "rb") as file:
        actual = os.fstat(file.fileno()).st_size
        if actual != size:
            raise ValueError(f"{path.name} has {actual} bytes, the layout expects {size}")
        if size == 0:
            return memoryview(bytearray())
        return memoryview(mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_COPY))
