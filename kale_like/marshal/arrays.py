"""Where the bytes of plain numpy arrays go, so that views of one memory stay views.

While pickling, every plain (non-object) ``ndarray`` is replaced by a small reference
``(key, dtype, shape, writeable)``. Afterwards :meth:`ArrayLayout.blocks` groups the
arrays whose memory overlaps and hands back one raw block per group; each array is
rebuilt on load as a view into its block with its original strides. So ``v = arr[:2]``
saved next to ``arr`` comes back sharing memory with ``arr``, and no array is copied
on save. Nothing here imports numpy: it is only reached when arrays exist.
"""
from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

# A group of overlapping arrays is written as one block when the block is not much
# larger than the arrays themselves; a lone strided view such as ``X[:, 0]`` is written
# compactly instead of dragging all of ``X`` along.
_SPARSE_FACTOR = 2
_SPARSE_SLACK = 1 << 20

# (block index, byte offset, strides[, base key, base spec]): the base key names the array
# whose ``.base`` this one was (``v = arr[2:6]``), so the view is rebuilt on top of it and
# ``v.base is arr`` holds again; the spec (dtype, shape, writeable) lets the base be built first.
ArrayEntry = tuple
Block = tuple[Any, int]  # (uint8 array over the raw bytes, their original address)


@dataclass
class _Extent:
    key: int
    array: Any
    lo: int    # lowest byte address the array touches
    hi: int    # one past the highest
    data: int  # address of element [0, ..., 0]


class ArrayLayout:
    """Collects arrays during one pickling pass; then lays out their memory in blocks."""

    def __init__(self) -> None:
        numpy = sys.modules.get("numpy")
        self._ndarray: type | None = numpy.ndarray if numpy is not None else None
        self._extents: list[_Extent] = []
        self._keys: dict[int, int] = {}  # id(array) -> key

    @property
    def active(self) -> bool:
        """False when numpy was never imported: then no array can be in the values."""
        return self._ndarray is not None

    def reduce(self, obj: object) -> tuple[Callable[..., Any], tuple[Any, ...]] | Any:
        """``reducer_override`` for picklers: plain arrays become references."""
        if type(obj) is not self._ndarray:
            return NotImplemented
        array: Any = obj
        if array.dtype.hasobject or array.size == 0:
            return NotImplemented  # numpy's own reduction is right for these
        key = len(self._extents)
        self._extents.append(_extent(key, array))
        self._keys[id(array)] = key
        return rebuild_array, (key, array.dtype, array.shape, bool(array.flags.writeable))

    def blocks(self) -> tuple[list[Block], list[ArrayEntry]]:
        """Raw blocks to write, and per array key: (block, offset, strides).

        The original address comes along so the writer can keep each block's alignment.
        """
        entries: list[ArrayEntry] = [(0, 0, ())] * len(self._extents)
        blocks: list[Block] = []
        for cluster in _overlapping(self._extents):
            if _is_dense(cluster):
                _add_block(blocks, entries, cluster)
            else:
                for extent in cluster:
                    _add_block(blocks, entries, [_extent(extent.key, _compact(extent.array))])
        self._link_bases(entries)
        return blocks, entries

    def _link_bases(self, entries: list[ArrayEntry]) -> None:
        for extent in self._extents:
            base_key = self._keys.get(id(extent.array.base))
            if base_key is None or entries[base_key][0] != entries[extent.key][0]:
                continue
            base = self._extents[base_key].array
            if not base.flags.c_contiguous or base.dtype.fields or base.dtype.hasobject:
                continue
            spec = [base.dtype.str, list(base.shape), bool(base.flags.writeable)]
            entries[extent.key] = (*entries[extent.key][:3], base_key, spec)


def _extent(key: int, array: Any) -> _Extent:
    data = array.__array_interface__["data"][0]
    lo = hi = data
    for size, stride in zip(array.shape, array.strides, strict=True):
        if stride > 0:
            hi += stride * (size - 1)
        else:
            lo += stride * (size - 1)
    return _Extent(key, array, lo, hi + array.itemsize, data)


def _overlapping(extents: Sequence[_Extent]) -> Iterator[list[_Extent]]:
    """Group arrays whose byte ranges overlap (sharing memory is only visible there)."""
    cluster: list[_Extent] = []
    end = -1
    for extent in sorted(extents, key=lambda e: e.lo):
        if cluster and extent.lo >= end:
            yield cluster
            cluster, end = [], -1
        cluster.append(extent)
        end = max(end, extent.hi)
    if cluster:
        yield cluster


def _is_dense(cluster: list[_Extent]) -> bool:
    span = max(e.hi for e in cluster) - min(e.lo for e in cluster)
    used: int = sum(e.array.nbytes for e in cluster)
    return span <= max(_SPARSE_FACTOR * used, used + _SPARSE_SLACK)


def _compact(array: Any) -> Any:
    return array.copy(order="K")


def _add_block(blocks: list[Block], entries: list[ArrayEntry], cluster: list[_Extent]) -> None:
    lo = min(e.lo for e in cluster)
    hi = max(e.hi for e in cluster)
    owners = [e.array for e in cluster]
    blocks.append((_raw_bytes(lo, hi - lo, owners), lo))
    for extent in cluster:
        entries[extent.key] = (len(blocks) - 1, extent.data - lo, tuple(extent.array.strides))


class _RawMemory:
    """Exposes ``size`` bytes at ``address`` to numpy, keeping the arrays that own them alive."""

    def __init__(self, address: int, size: int, owners: list[Any]) -> None:
        self.owners = owners
        self.__array_interface__ = {
            "data": (address, False), "shape": (size,), "typestr": "|u1", "version": 3}


def _raw_bytes(address: int, size: int, owners: list[Any]) -> Any:
    numpy = sys.modules["numpy"]
    return numpy.asarray(_RawMemory(address, size, owners))


# --- loading -------------------------------------------------------------------------

_loading = threading.local()


@contextmanager
def arrays_from(blocks: Sequence[memoryview], entries: Sequence[ArrayEntry]) -> Iterator[None]:
    """Make :func:`rebuild_array` resolve keys against these blocks while unpickling."""
    previous = getattr(_loading, "state", None)
    _loading.state = (blocks, entries, {})
    try:
        yield
    finally:
        _loading.state = previous


def rebuild_array(key: int, dtype: Any, shape: tuple[int, ...], writeable: bool) -> Any:
    """Called by the unpickler: a view into the block that holds array ``key``."""
    import numpy

    state = getattr(_loading, "state", None)
    if state is None:
        raise RuntimeError("array reference found outside kale_like.marshal.load_group")
    blocks, entries, built = state
    if key in built:  # built already, as the base of a view
        return built[key]
    block, offset, strides = entries[key][:3]
    array = None
    if len(entries[key]) > 4:
        base_key, (descr, base_shape, base_writeable) = entries[key][3], entries[key][4]
        base = rebuild_array(base_key, numpy.dtype(descr), tuple(base_shape), True)
        try:
            array = numpy.ndarray(shape, dtype, buffer=base, offset=offset - entries[base_key][1], strides=strides)
        except (TypeError, ValueError):
            array = None
        if not base_writeable:
            base.flags.writeable = False
    if array is None:
        array = numpy.ndarray(shape, dtype, buffer=blocks[block], offset=offset, strides=strides)
    if not writeable:
        array.flags.writeable = False
    built[key] = array
    return array
