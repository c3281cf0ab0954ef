"""The cell-tag grammar (Kale's, plus papermill's ``parameters``).

=========================  ==============================================================
tag                        meaning
=========================  ==============================================================
``step:NAME``              the cell starts (or continues) step NAME; ``block:NAME`` is the
                           older Kale spelling of the same thing
``prev:NAME``              the step depends on step NAME (besides what the data implies)
``imports``                cell runs at the start of every later step (Kale semantics)
``functions``              same as ``imports``
``pipeline-parameters``    literal assignments that become pipeline parameters
``parameters``             papermill's spelling of the same
``pipeline-metrics``       names whose values are reported as pipeline metrics
``skip``                   the cell is left out of the pipeline
``limit:KEY:VALUE``        resource limit, e.g. ``limit:memory:2Gi``, ``limit:nvidia.com/gpu:1``
``request:KEY:VALUE``      resource request, e.g. ``request:cpu:500m``
``image:REF``              container image for the step
``annotation:KEY:VALUE``   pod annotation
``label:KEY:VALUE``        pod label
``cache:enabled|disabled`` step caching
``secret:NAME:KEY:ENV``    expose key KEY of Kubernetes secret NAME as env var ENV
``env:NAME:VALUE``         environment variable for the step
``retries:N``              retry the step up to N times
``timeout:SECONDS``        fail the step after SECONDS
``raises-exception``       an error in this cell is expected (as nbclient treats it)
=========================  ==============================================================

An empty ``block:`` (what Kale's panel leaves when a step name is cleared) is no
tag, as in Kale. Tags that are none of these and have no ``:`` (``hide-input``, ``remove-cell``, …)
belong to other tools and are ignored. A tag with one of the prefixes above but a
malformed value is an error that names the cell.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import Location, TagError

STEP_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,62}$")
# Kubernetes-ish keys: DNS subdomain prefix optional, then a name.
RESOURCE_KEY = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|Pi|M|G|T|P|E|Ei)?$")
IMAGE_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:@-]*$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
K8S_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")

ROLE_TAGS = {
    "imports": "imports",
    "functions": "functions",
    "pipeline-parameters": "parameters",
    "parameters": "parameters",
    "pipeline-metrics": "metrics",
    "skip": "skip",
}
# Kale's panel writes "block:" on a cell whose step name was cleared; Kale reads it as no tag.
EMPTY_KALE_BLOCK = "block:"
KNOWN_PREFIXES = ("step", "block", "prev", "limit", "request", "image", "annotation",
                  "label", "cache", "secret", "env", "retries", "timeout")


@dataclass(frozen=True)
class Secret:
    name: str
    key: str
    env: str


@dataclass(frozen=True)
class CellTags:
    """What one cell's tags say, already validated."""

    step: str | None = None
    role: str | None = None  # imports | functions | parameters | metrics | skip
    prev: tuple[str, ...] = ()
    limits: tuple[tuple[str, str], ...] = ()
    requests: tuple[tuple[str, str], ...] = ()
    image: str | None = None
    annotations: tuple[tuple[str, str], ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    cache: bool | None = None
    secrets: tuple[Secret, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    retries: int | None = None
    timeout: int | None = None
    raises_exception: bool = False
    ignored: tuple[str, ...] = field(default=())


def parse_tags(tags: list[str] | tuple[str, ...], cell: int) -> CellTags:
    """Parse one cell's tags. ``cell`` is the 1-based cell number used in errors."""
    state: dict = {"prev": [], "limits": [], "requests": [], "annotations": [], "labels": [],
                   "secrets": [], "env": [], "ignored": []}
    for raw in tags:
        if not isinstance(raw, str):
            # JupyterLab only writes strings; a number or a list here was put there by hand
            # or by a tool, and dropping or stringifying it would change the pipeline silently.
            raise TagError(f"tag {raw!r} is not a string", Location(cell=cell),
                           hint="tags are strings such as 'step:train'")
        tag = raw.strip()
        if not tag or tag == EMPTY_KALE_BLOCK:
            continue
        _apply_tag(tag, state, Location(cell=cell))
    return CellTags(
        step=state.get("step"), role=state.get("role"), prev=tuple(state["prev"]),
        limits=tuple(state["limits"]), requests=tuple(state["requests"]), image=state.get("image"),
        annotations=tuple(state["annotations"]), labels=tuple(state["labels"]),
        cache=state.get("cache"), secrets=tuple(state["secrets"]), env=tuple(state["env"]),
        retries=state.get("retries"), timeout=state.get("timeout"),
        raises_exception=bool(state.get("raises_exception")), ignored=tuple(state["ignored"]),
    )


def _apply_tag(tag: str, state: dict, where: Location) -> None:
    if tag in ROLE_TAGS:
        role = ROLE_TAGS[tag]
        if state.get("role") not in (None, role):
            raise TagError(f"tags '{state['role']}' and '{tag}' cannot be on the same cell", where)
        state["role"] = role
        return
    if tag == "raises-exception":
        state["raises_exception"] = True
        return
    prefix, sep, rest = tag.partition(":")
    if not sep or prefix not in KNOWN_PREFIXES:
        state["ignored"].append(tag)
        return
    _PARSERS[prefix](rest, tag, state, where)


def _bad(tag: str, why: str, where: Location) -> TagError:
    return TagError(f"invalid tag '{tag}': {why}", where,
                    hint="see the tag grammar in the README")


def _parse_step(rest: str, tag: str, state: dict, where: Location) -> None:
    if not STEP_NAME.fullmatch(rest):
        raise _bad(tag, "a step name starts with a letter or '_' and holds only letters, digits, '_' and '-'", where)
    if state.get("step") not in (None, rest):
        raise _bad(tag, f"the cell is already in step '{state['step']}'", where)
    state["step"] = rest


def _parse_prev(rest: str, tag: str, state: dict, where: Location) -> None:
    if not STEP_NAME.fullmatch(rest):
        raise _bad(tag, "prev: takes a step name", where)
    state["prev"].append(rest)


def _key_value(rest: str, tag: str, where: Location, value_pattern: re.Pattern | None = None) -> tuple[str, str]:
    key, sep, value = rest.rpartition(":")
    if not sep or not key or not value:
        raise _bad(tag, "expected KEY:VALUE", where)
    if not RESOURCE_KEY.fullmatch(key):
        raise _bad(tag, f"'{key}' is not a valid key", where)
    if value_pattern is not None and not value_pattern.fullmatch(value):
        raise _bad(tag, f"'{value}' is not a valid quantity (e.g. 500m, 2, 4Gi)", where)
    return key, value


def _parse_limit(rest: str, tag: str, state: dict, where: Location) -> None:
    state["limits"].append(_key_value(rest, tag, where, QUANTITY))


def _parse_request(rest: str, tag: str, state: dict, where: Location) -> None:
    state["requests"].append(_key_value(rest, tag, where, QUANTITY))


def _parse_image(rest: str, tag: str, state: dict, where: Location) -> None:
    if not IMAGE_REF.fullmatch(rest):
        raise _bad(tag, "not a container image reference", where)
    state["image"] = rest


def _parse_annotation(rest: str, tag: str, state: dict, where: Location) -> None:
    key, sep, value = rest.partition(":")
    if not sep or not RESOURCE_KEY.fullmatch(key):
        raise _bad(tag, "expected annotation:KEY:VALUE", where)
    state["annotations"].append((key, value))


def _parse_label(rest: str, tag: str, state: dict, where: Location) -> None:
    key, sep, value = rest.partition(":")
    if not sep or not RESOURCE_KEY.fullmatch(key) or (value and not re.fullmatch(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$", value)):
        raise _bad(tag, "expected label:KEY:VALUE with a valid Kubernetes label", where)
    state["labels"].append((key, value))


def _parse_cache(rest: str, tag: str, state: dict, where: Location) -> None:
    if rest not in ("enabled", "disabled"):
        raise _bad(tag, "cache: takes 'enabled' or 'disabled'", where)
    state["cache"] = rest == "enabled"


def _parse_secret(rest: str, tag: str, state: dict, where: Location) -> None:
    parts = rest.split(":")
    if len(parts) != 3 or not K8S_NAME.fullmatch(parts[0]) or not parts[1] or not ENV_NAME.fullmatch(parts[2]):
        raise _bad(tag, "expected secret:SECRET_NAME:KEY:ENV_VAR", where)
    state["secrets"].append(Secret(*parts))


def _parse_env(rest: str, tag: str, state: dict, where: Location) -> None:
    name, sep, value = rest.partition(":")
    if not sep or not ENV_NAME.fullmatch(name):
        raise _bad(tag, "expected env:NAME:VALUE", where)
    state["env"].append((name, value))


def _parse_count(field_name: str, minimum: int = 0):
    def parse(rest: str, tag: str, state: dict, where: Location) -> None:
        if not (rest.isascii() and rest.isdigit()) or int(rest) < minimum:
            raise _bad(tag, f"{field_name}: takes a whole number{' of seconds, at least 1' if minimum else ''}", where)
        state[field_name] = int(rest)
    return parse


_PARSERS = {
    "step": _parse_step, "block": _parse_step, "prev": _parse_prev, "limit": _parse_limit,
    "request": _parse_request, "image": _parse_image, "annotation": _parse_annotation,
    "label": _parse_label, "cache": _parse_cache, "secret": _parse_secret, "env": _parse_env,
    "retries": _parse_count("retries"), "timeout": _parse_count("timeout", minimum=1),
}
