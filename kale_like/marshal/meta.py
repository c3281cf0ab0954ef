"""``meta.json``: what a group holds, which software wrote it, and the digest of each file.

``meta.json`` carries a digest of its own content too (``self``), so a damaged
description is caught like a damaged payload."""
from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .checksum import digest_bytes

META = "meta.json"
FORMAT = 2  # 2: per-file checksums
BUNDLE = "bundle"  # one pickled dict holding every variable of the group
SINGLE = "single"  # one variable, written by its codec


def build_meta(values: Mapping[str, object], *, codec: str, kind: str, layout: str,
               nbytes: int, step: str, checksums: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "checksums": dict(checksums),
        "format": FORMAT,
        "names": list(values),
        "codec": codec,
        "kind": kind,
        "layout": layout,
        "nbytes": nbytes,
        "step": step,
        "types": {name: _qualified_type(value) for name, value in values.items()},
        "python": python_version(),
        "libraries": library_versions(values, codec),
    }


def python_version() -> str:
    return "{}.{}.{}".format(*sys.version_info[:3])


def write_meta(directory: Path, meta: Mapping[str, Any]) -> None:
    body = dict(meta)
    body["self"] = _self_digest(body)
    (directory / META).write_text(json.dumps(body, indent=1, sort_keys=True))


def read_meta(directory: Path) -> dict[str, Any]:
    """Raises ``OSError`` or ``ValueError`` when missing or unreadable."""
    meta = json.loads((directory / META).read_text())
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError("not a kale_like group description, or one from another version")
    names, layout, checksums = meta.get("names"), meta.get("layout"), meta.get("checksums")
    if (not isinstance(names, list) or not isinstance(meta.get("codec"), str)
            or layout not in (BUNDLE, SINGLE) or (layout == SINGLE and len(names) != 1)
            or not isinstance(checksums, dict) or not isinstance(checksums.get("files"), dict)):
        raise ValueError("names, codec, layout or checksums missing or inconsistent")
    recorded = meta.pop("self", None)
    try:
        expected = _self_digest(meta)
    except LookupError:  # written with a hash this process lacks: cannot check itself
        expected = recorded
    if recorded != expected:
        raise ValueError("its content does not match its own checksum")
    return meta


def _self_digest(meta: Mapping[str, Any]) -> str:
    algorithm = str(dict(meta.get("checksums") or {}).get("algorithm", "crc32"))
    return digest_bytes(json.dumps(meta, sort_keys=True).encode(), algorithm)


def library_versions(values: Mapping[str, object], codec: str) -> dict[str, str]:
    """Versions of the packages the values' types come from (already imported, so free)."""
    packages = {type(value).__module__.partition(".")[0] for value in values.values()}
    if codec == "dill":
        packages.add("dill")
    versions = {}
    for package in sorted(packages - {"builtins", "__main__"}):
        version = getattr(sys.modules.get(package), "__version__", None)
        if isinstance(version, str):
            versions[package] = version
    return versions


def version_skew(meta: Mapping[str, Any]) -> list[str]:
    """Differences between the writer's software and this process's, for error messages."""
    skew = []
    written, here = str(meta.get("python", "")), python_version()
    if written.rsplit(".", 1)[0] != here.rsplit(".", 1)[0]:
        skew.append(f"Python {written} wrote it, this step runs {here}")
    for package, version in dict(meta.get("libraries", {})).items():
        installed = getattr(sys.modules.get(package), "__version__", None)
        if isinstance(installed, str) and installed != version:
            skew.append(f"{package} {version} wrote it, this step has {installed}")
    return skew


def _qualified_type(value: object) -> str:
    cls = type(value)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"
