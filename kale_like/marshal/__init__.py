"""Moving notebook variables between step processes.

A *group* is the set of variables one step hands on that may share objects. It is
written into one directory atomically (:func:`save_group`) and read back with shared
objects still shared (:func:`load_group`). Codecs are chosen by value type through a
registry (:mod:`.codec`); third-party codecs plug in through the ``kale_like.codecs``
entry-point group.

This package imports only the standard library: it is imported by every step process,
and numpy, pandas or dill are imported only when a value needs them.
"""
from .builtin import default_registry
from .codec import ENTRY_POINT_GROUP, Codec, CodecRegistry
from .deferred import confirm_loaded
from .group import load_group, save_group
from .model import ARTIFACT, DATASET, MODEL, GroupInfo, MarshalContext
from .travel import check_travels


def register_codec(codec: Codec) -> None:
    """Prefer ``codec`` over the built-ins (and over codecs registered before it)."""
    default_registry().register(codec)


__all__ = [
    "ARTIFACT", "DATASET", "ENTRY_POINT_GROUP", "MODEL", "Codec", "CodecRegistry", "GroupInfo",
    "confirm_loaded",
    "MarshalContext", "check_travels", "default_registry", "load_group", "register_codec",
    "save_group",
]
