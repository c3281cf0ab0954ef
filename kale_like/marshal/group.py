"""Saving and loading a group: the variables of one step output that may share objects."""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import DamagedData, MarshalError, NoSpace, is_no_space
from . import deferred
from .builtin import bundle_codec, default_registry
from .checksum import digest_files, mismatches, preferred_algorithm
from .codec import Codec
from .failures import load_failure, save_failure, variables_phrase, write_failure
from .meta import BUNDLE, META, SINGLE, build_meta, read_meta, version_skew, write_meta
from .model import ARTIFACT, GroupInfo, MarshalContext
from .publish import empty_directory, staged_directory
from .travel import check_travels

DEFER_FROM = 32 << 20  # below this a check costs under 2 ms: not worth a thread


def save_group(directory: str | os.PathLike[str], values: dict[str, object],
               context: MarshalContext) -> GroupInfo:
    """Write ``values`` into the new directory ``directory``, all at once or not at all.

    One variable is written by the codec its type selects; several are pickled as one
    dict so that objects they share (``y = x``, views of one array) stay shared.
    """
    final = Path(directory)
    for name, value in values.items():
        check_travels(name, value, context)
    registry = default_registry()
    payload: object
    if len(values) == 1:
        layout, payload = SINGLE, next(iter(values.values()))
        codec: Codec = registry.choose(payload)
        kind = codec.kind
    else:
        layout, payload = BUNDLE, dict(values)
        codec = bundle_codec(dict(values))
        kind = _group_kind([registry.choose(value).kind for value in values.values()])
    try:
        with staged_directory(final) as staging:
            codec, known = _save_with_fallback(codec, payload, staging, values, context)
            files = [path.name for path in staging.iterdir()]
            nbytes = sum((staging / name).stat().st_size for name in files)
            algorithm = preferred_algorithm()
            checksums = {"algorithm": algorithm,
                         "files": digest_files(staging, files, algorithm, known)}
            write_meta(staging, build_meta(values, codec=codec.name, kind=kind, layout=layout,
                                           nbytes=nbytes, step=context.step, checksums=checksums))
    except OSError as exc:
        if is_no_space(exc):
            raise NoSpace(str(final.parent)) from exc
        raise write_failure(values, context, final, exc) from exc
    return GroupInfo(tuple(values), codec.name, kind, nbytes)


def load_group(directory: str | os.PathLike[str], *, defer_large: bool = False,
               verify: bool = True) -> dict[str, object]:
    """Load every variable of a group written by :func:`save_group`.

    Every file is checked against its checksum first; with ``defer_large`` files of
    ``DEFER_FROM`` bytes or more are checked in the background instead, and the caller
    must call :func:`kale_like.marshal.confirm_loaded` before trusting what it computed.
    ``verify=False`` skips the files' checksums (``meta.json`` still checks itself): for
    a group the caller saw written, moments ago, by a process that finished well.
    """
    path = Path(directory)
    meta = _read_meta(path)
    if verify:
        _verify(path, meta, defer_large)
    codec = default_registry().named(meta["codec"])
    if codec is None:
        raise load_failure(path, meta, LookupError(
            f"no codec named '{meta['codec']}' is installed (it may come from a plug-in "
            f"registered under the 'kale_like.codecs' entry point)"), [])
    try:
        loaded = codec.load(path)
    except Exception as exc:  # any foreign failure becomes one error naming the variables
        raise load_failure(path, meta, exc, version_skew(meta)) from exc
    names: list[str] = meta["names"]
    if meta["layout"] == SINGLE:
        return {names[0]: loaded}
    if not isinstance(loaded, dict) or list(loaded) != names:
        mismatch = ValueError("the bundle does not hold the names listed in meta.json")
        raise load_failure(path, meta, mismatch, [])
    return loaded


def _verify(path: Path, meta: Mapping[str, Any], defer_large: bool) -> None:
    """Refuse a group whose files differ from what was written (see :mod:`.checksum`)."""
    checksums = meta["checksums"]
    algorithm = str(checksums.get("algorithm"))
    recorded: dict[str, str] = checksums["files"]
    present = {child.name: child.stat().st_size for child in path.iterdir() if child.name != META}
    extra = sorted(set(present) - set(recorded))
    if extra:
        raise _damaged(path, meta, extra)
    later = {n: d for n, d in recorded.items() if defer_large and present.get(n, 0) >= DEFER_FROM}
    now = {n: d for n, d in recorded.items() if n not in later}
    problem = _check(path, meta, now, algorithm)
    if problem is not None:
        raise problem
    if later:
        deferred.start(lambda: _check(path, meta, later, algorithm))


def _check(path: Path, meta: Mapping[str, Any], recorded: Mapping[str, str], algorithm: str) -> DamagedData | None:
    try:
        bad = mismatches(path, recorded, algorithm)
    except LookupError as exc:
        raise MarshalError(f"{path} cannot be checked: {exc}") from exc
    return _damaged(path, meta, bad) if bad else None


def _damaged(path: Path, meta: Mapping[str, Any], bad: list[str]) -> DamagedData:
    return DamagedData(
        f"{variables_phrase(meta['names'])} saved by step '{meta.get('step', '?')}' cannot be "
        f"loaded from {path}: its files are damaged or incomplete ({', '.join(bad)} "
        f"{'does' if len(bad) == 1 else 'do'} not match what was written)",
        directory=str(path), hint="hint: run the step that produced it again")


def _save_with_fallback(codec: Codec, payload: object, staging: Path,
                        values: Mapping[str, object],
                        context: MarshalContext) -> tuple[Codec, dict[str, str]]:
    """Save with ``codec``; if it cannot serialize the value, try dill before giving up.

    Returns the codec that saved it and the digests it computed while writing.
    """
    fallback = default_registry().fallback
    try:
        return codec, dict(codec.save(payload, staging) or {})
    except OSError:
        raise
    except Exception as exc:
        if codec is fallback:
            raise save_failure(values, context, exc) from exc
        first = exc
    empty_directory(staging)
    try:
        return fallback, dict(fallback.save(payload, staging) or {})
    except OSError:
        raise
    except Exception as exc:
        raise save_failure(values, context, first) from exc


def _read_meta(path: Path) -> dict[str, Any]:
    if not path.is_dir():
        raise MarshalError(f"no saved variables at {path}",
                           hint="hint: run the step that produces them first")
    try:
        return read_meta(path)
    except (OSError, ValueError) as exc:
        # Damage like any other (an edit, or a crash before the description reached the
        # disk): the caller recomputes the producer.
        raise DamagedData(
            f"{path} is not a complete group of saved variables ({META}: {exc})", directory=str(path),
            hint="hint: run the step that produced it again") from exc


def _group_kind(kinds: list[str]) -> str:
    return kinds[0] if kinds and all(kind == kinds[0] for kind in kinds) else ARTIFACT
