"""The part of kale_like a step needs, shipped inside every component.

A component's embedded folder (kfp's ``embedded_artifact_path``: a tar.gz inside the
IR, unpacked at the front of ``sys.path`` when the step starts) carries these modules,
so a step runs on any Python image that has the notebook's libraries and kfp; nothing
of kale_like needs to be installed in the image. The package's ``__init__`` is written
fresh: it holds only the runtime's stamp (version and a digest of the shipped files),
which the component checks before running, so a kale_like that the image loaded first
(a different runtime) is one clear error, never a half-working mix.

``RUNTIME_MODULES`` is what :mod:`kale_like.runtime.kfp_entry` imports, directly or not
(a test walks the imports and keeps this list complete).
"""
from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import shutil
from collections.abc import Iterator
from types import SimpleNamespace

from .._version import __version__

RUNTIME_MODULES = (
    "errors.py", "nbformat_loader.py",
    "runtime/__init__.py", "runtime/kfp_entry.py", "runtime/cells.py", "runtime/child.py", "runtime/capture.py",
    "runtime/fdcapture.py", "runtime/spec.py", "runtime/stepdoc.py", "runtime/file_audit.py", "runtime/memory.py",
    "runtime/fingerprint.py", "runtime/modstate.py", "runtime/warning_events.py", "runtime/live.py",
    "marshal/checksum.py", "marshal/deferred.py", "marshal/mainref.py",
    "marshal/__init__.py", "marshal/arrays.py", "marshal/builtin.py", "marshal/codec.py", "marshal/failures.py",
    "marshal/group.py", "marshal/meta.py", "marshal/model.py", "marshal/publish.py", "marshal/stream.py",
    "marshal/travel.py",
)
PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXED_TIME = 315532800  # 1980-01-01: the shipped folder's timestamps, so equal content gives equal IR


def runtime_stamp() -> str:
    """``VERSION+DIGEST``: the version, and which files exactly (development copies differ)."""
    digest = hashlib.sha256()
    for relative in RUNTIME_MODULES:
        path = os.path.join(PACKAGE, relative)
        if os.path.exists(path):
            with open(path, "rb") as handle:
                digest.update(relative.encode() + b"\0" + handle.read())
    return f"{__version__}+{digest.hexdigest()[:12]}"


def stage_runtime(target: str) -> str:
    """Copy the runtime into ``target/kale_like``; return its stamp."""
    stamp = runtime_stamp()
    package = os.path.join(target, "kale_like")
    for relative in RUNTIME_MODULES:
        source = os.path.join(PACKAGE, relative)
        if os.path.exists(source):
            os.makedirs(os.path.dirname(os.path.join(package, relative)), exist_ok=True)
            shutil.copyfile(source, os.path.join(package, relative))
    with open(os.path.join(package, "__init__.py"), "w", encoding="utf-8") as handle:
        handle.write(f'"""kale_like\'s step runtime, shipped inside a Kubeflow component."""\n'
                     f"__version__ = {__version__!r}\nRUNTIME = {stamp!r}\n")
    return stamp


def freeze_times(folder: str) -> None:
    """Give every file and folder under ``folder`` the same timestamp (tar records them)."""
    for root, dirs, files in os.walk(folder, topdown=False):
        for name in files + dirs:
            os.utime(os.path.join(root, name), (FIXED_TIME, FIXED_TIME), follow_symlinks=False)
    os.utime(folder, (FIXED_TIME, FIXED_TIME))


def fix_archive_time() -> object:
    """Make kfp gzip components' embedded folders with a fixed header time; return what it used.

    kfp writes the current time into the gzip header, so every compile of the same notebook
    would give different components, and KFP's cache, keyed on the component, would never
    hit. Only kfp's component factory sees the change.
    """
    from kfp.dsl import component_factory

    original = component_factory.gzip
    component_factory.gzip = SimpleNamespace(compress=lambda data, *a, **k: gzip.compress(data, 9, mtime=0))
    return original


@contextlib.contextmanager
def deterministic_archives() -> Iterator[None]:
    """:func:`fix_archive_time` while the block runs."""
    from kfp.dsl import component_factory

    original = fix_archive_time()
    try:
        yield
    finally:
        component_factory.gzip = original
