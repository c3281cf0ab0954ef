"""``limit:memory:QUANTITY`` enforced on this machine, as a container would enforce it.

The step process gets ``RLIMIT_DATA`` (private writable memory: the heap, anonymous
mappings, numpy arrays) set to the limit. Counted like a container's limit: the
interpreter and the notebook's libraries the step inherits from the warm parent count
too (about 120 MB with numpy and pandas), and so do inputs mapped from the cache.
``RLIMIT_AS`` was not chosen: it counts address space that is only reserved (thread
stacks, allocator arenas), which would fail steps far below their real use. Going
over the limit raises ``MemoryError`` in the step, which ends the step, never the machine.
"""
from __future__ import annotations

import re
import resource

_UNITS = {"": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18,
          "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60, "m": 10**-3}
_QUANTITY = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(m|k|Ki|Mi|Gi|Ti|Pi|Ei|M|G|T|P|E)?$")


def quantity_bytes(text: str) -> int:
    """Bytes in a Kubernetes quantity (``512Mi``, ``2G``, ``1.5Gi``); ValueError if it is not one."""
    match = _QUANTITY.match(text.strip())
    if not match:
        raise ValueError(f"'{text}' is not a memory quantity")
    return int(float(match.group(1)) * _UNITS[match.group(2) or ""])


def limit_memory(quantity: str | None) -> None:
    """Apply the step's memory limit to this process (and what it starts)."""
    if not quantity:
        return
    limit = quantity_bytes(quantity)
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


def over_limit_message(quantity: str, error: str) -> str:
    return (f"the step ran out of memory under its limit of {quantity} (limit:memory:{quantity}): {error}")
