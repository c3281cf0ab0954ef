"""Cheap fingerprints of values, to tell after a step whether it changed them.

A fingerprint walks at most ``budget`` objects of a value's graph (containers,
instance attributes) and records identities, lengths and scalar values; arrays and
other buffers contribute their shape and a hash of a few sampled slices, never all
their bytes, so a 1 GiB array costs microseconds. A change the walk does not reach
(deep inside a huge structure, or an array element between the samples) can be
missed: this is the safety net behind the static analysis, not a replacement for it.
"""
from __future__ import annotations

import sys
import zlib
from typing import Any

_SCALARS = (int, float, complex, str, bool, type(None))
_SAMPLES = 16
_SAMPLE_BYTES = 256


def fingerprint(value: object, budget: int = 2000) -> int | None:
    """A number that changes when the value changes; None when it cannot be taken."""
    try:
        return _fingerprint(value, budget)
    except Exception:  # noqa: BLE001 - a value we cannot look into is never a false alarm
        return None


def _fingerprint(value: object, budget: int) -> int:
    parts: list[Any] = []
    seen: set[int] = set()
    todo = [value]
    while todo and len(seen) < budget:
        item = todo.pop()
        if isinstance(item, _SCALARS):
            parts.append(item if not isinstance(item, str) or len(item) < 256 else (len(item), hash(item)))
            continue
        if id(item) in seen:
            parts.append(("ref", id(item)))
            continue
        seen.add(id(item))
        parts.append((type(item).__name__, id(item)))
        sampled = _buffer_sample(item)
        if sampled is not None:
            parts.append(sampled)
            continue
        if isinstance(item, dict):
            parts.append(len(item))
            for key, val in list(item.items())[:budget]:
                parts.append(key if isinstance(key, _SCALARS) else id(key))
                todo.append(val)
        elif isinstance(item, (list, tuple, set, frozenset)):
            parts.append(len(item))
            todo.extend(list(item)[:budget])
        elif _own_state(item):
            # Only the notebook's own objects are looked into: library objects (figures,
            # estimators) keep caches that change when they are merely read.
            attributes = getattr(item, "__dict__", None)
            if isinstance(attributes, dict):
                todo.append(attributes)
            closure = getattr(item, "__closure__", None)
            if closure:
                todo.extend(_cell_contents(closure))
            owner = getattr(item, "__self__", None)  # a bound method reaches its object
            if owner is not None and not isinstance(owner, type) and type(owner).__module__ != "builtins" or \
                    isinstance(owner, (list, dict, set)):
                todo.append(owner)
    return hash(tuple(map(_hashable, parts)))


def _own_state(item: object) -> bool:
    module = getattr(type(item), "__module__", "")
    return module in ("__main__", "types", "builtins", "functools") or callable(item)


def _hashable(part: Any) -> Any:
    try:
        hash(part)
        return part
    except TypeError:
        return repr(part)


def _cell_contents(closure: tuple) -> list[Any]:
    values = []
    for cell in closure:
        try:
            values.append(cell.cell_contents)
        except ValueError:  # an empty cell
            continue
    return values


def _buffer_sample(item: object) -> tuple | None:
    """Shape and a checksum of sampled bytes for numpy arrays, pandas objects and bytes."""
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(item, numpy.ndarray):
        if item.dtype.hasobject:
            return None
        return (item.shape, str(item.dtype), item.strides, _sample(_raw(numpy, item)))
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(item, (pandas.DataFrame, pandas.Series)):
        try:
            values = item.to_numpy()
        except Exception:  # noqa: BLE001 - mixed frames that cannot be one array: shape only
            return (item.shape,)
        labels = tuple(map(str, item.columns if isinstance(item, pandas.DataFrame) else [item.name]))[:200]
        sample = _buffer_sample(values) if not values.dtype.hasobject else (len(values), str(values[:8]))
        return (item.shape, labels, sample)
    if isinstance(item, (bytes, bytearray, memoryview)):
        return (len(item), _sample(memoryview(item).cast("B")))
    return None


def _raw(numpy: Any, array: Any) -> memoryview:
    contiguous = array if array.flags.c_contiguous else numpy.ascontiguousarray(array.ravel()[:1_000_000])
    return memoryview(contiguous.reshape(-1).view(numpy.uint8))


def _sample(view: memoryview) -> int:
    size = len(view)
    if size <= _SAMPLES * _SAMPLE_BYTES:
        return zlib.crc32(view)
    step = size // _SAMPLES
    crc = 0
    for start in range(0, size - _SAMPLE_BYTES, step):
        crc = zlib.crc32(view[start:start + _SAMPLE_BYTES], crc)
    return zlib.crc32(view[size - _SAMPLE_BYTES:], crc)
