"""The codec protocol and the registry that picks a codec for a value.

Order of choice: codecs registered by code or through the ``kale_like.codecs``
entry-point group (plug-ins know their types best), then the built-ins (numpy,
pandas, scikit-learn, torch, pickle, dill). Entry points are read the first time a
codec is chosen or looked up by an unknown name, never at import. A plug-in declares
e.g. ``[project.entry-points."kale_like.codecs"] parquet = "mypkg.codecs:ParquetCodec"``;
the target is a :class:`Codec` instance or a class/factory that makes one, and the
codec's ``name`` (not the entry point's) is what ``meta.json`` records.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

ENTRY_POINT_GROUP = "kale_like.codecs"


@runtime_checkable
class Codec(Protocol):
    """Saves one value into a directory and loads it back.

    ``name`` is recorded in the group's ``meta.json`` and used to find the codec on
    load, so it must stay stable. ``kind`` is "Dataset", "Model" or "Artifact".
    ``save`` writes any files except ``meta.json`` into an existing, empty directory;
    it may return digests (:func:`.checksum.preferred_algorithm`) of files it hashed
    while writing them, so they are not read again; every other file is hashed after.
    """

    name: str
    kind: str

    def handles(self, value: object) -> bool: ...

    def save(self, value: object, directory: Path) -> dict[str, str] | None: ...

    def load(self, directory: Path) -> object: ...


class CodecRegistry:
    """Codecs in order of preference; the built-ins end with catch-all ones."""

    def __init__(self, builtins: Sequence[Codec], fallback: Codec,
                 entry_point_group: str | None = ENTRY_POINT_GROUP) -> None:
        self._added: list[Codec] = []
        self._builtins = list(builtins)
        self.fallback = fallback  # the last resort once the chosen codec failed
        self._entry_point_group = entry_point_group
        self._discovered = entry_point_group is None
        self.broken: dict[str, str] = {}  # entry point name -> why it could not be loaded

    def register(self, codec: Codec) -> None:
        """Prefer ``codec`` over every codec registered before it."""
        self._added.insert(0, codec)

    def unregister(self, name: str) -> None:
        self._added = [codec for codec in self._added if codec.name != name]

    def choose(self, value: object) -> Codec:
        """The first codec that handles ``value`` (the built-ins end with catch-alls)."""
        self._discover()
        for codec in self._ordered():
            if codec.handles(value):
                return codec
        return self.fallback

    def named(self, name: str) -> Codec | None:
        for codec in self._ordered():
            if codec.name == name:
                return codec
        if not self._discovered:
            self._discover()
            return self.named(name)
        return None

    def _ordered(self) -> list[Codec]:
        return [*self._added, *self._builtins, self.fallback]

    def _discover(self) -> None:
        if self._discovered:
            return
        self._discovered = True
        assert self._entry_point_group is not None
        if not _may_declare(self._entry_point_group):
            return
        from importlib import metadata  # 50-100 ms to import; worth it only for plug-ins

        for entry_point in metadata.entry_points(group=self._entry_point_group):
            try:
                self._added.append(_instantiate(entry_point.load()))
            except Exception as exc:  # a broken plug-in must not stop every save
                self.broken[entry_point.name] = f"{type(exc).__name__}: {exc}"


def _may_declare(group: str) -> bool:
    """Cheap pre-check (~4 ms): does any installed ``entry_points.txt`` mention ``group``?

    Every step process saves values, and importing :mod:`importlib.metadata` would cost
    more than the rest of a small step. Unusual installs (zip files on ``sys.path``)
    get the full scan.
    """
    needle = group.encode()
    for entry in sys.path:
        folder = entry or "."
        if os.path.isfile(folder):
            return True
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            if name.endswith((".dist-info", ".egg-info")) and _mentions(
                    os.path.join(folder, name, "entry_points.txt"), needle):
                return True
    return False


def _mentions(path: str, needle: bytes) -> bool:
    try:
        with open(path, "rb") as file:
            return needle in file.read()
    except OSError:
        return False


def _instantiate(loaded: Codec | Callable[[], Codec]) -> Codec:
    """An entry point may name a codec instance, or a class / factory that makes one."""
    if isinstance(loaded, type) or not isinstance(loaded, Codec):
        return loaded()
    return loaded
