"""Reading one cell's tags (Kale's grammar, plus papermill's ``parameters``).

The grammar itself (every tag, the field it sets, the pattern of its value, its help
text) is data in ``tag_grammar.json``, shared with the panel; ``tag_grammar.py`` reads it.
This module applies it to a cell: ``parse_tags`` gives a validated ``CellTags``.

An empty ``block:`` (what Kale's panel leaves when a step name is cleared) is no
tag, as in Kale. Tags that are none of the grammar's (``hide-input``, ``remove-cell``,
``papermill:x``, …) belong to other tools and are ignored. A tag with one of the grammar's
prefixes but a malformed value is an error that names the cell.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import Location, TagError
from .tag_grammar import GRAMMAR, PrefixRule, WordRule, fragment, why_invalid

STEP_NAME = fragment("step_name")
RESOURCE_KEY = fragment("resource_key")
QUANTITY = fragment("quantity")
IMAGE_REF = fragment("image_ref")
ENV_NAME = fragment("env_name")

ROLE_TAGS = {w.tag: str(w.value) for w in GRAMMAR.words.values() if w.field == "role"}
KNOWN_PREFIXES = tuple(GRAMMAR.prefixes)


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


TagValue = str | bool | int | tuple[str, str] | Secret


@dataclass
class TagReading:
    """``CellTags`` while the tags are read: the grammar's fields, repeatable ones as lists."""

    step: str | None = None
    role: str | None = None
    prev: list[str] = field(default_factory=list)
    limits: list[tuple[str, str]] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    image: str | None = None
    annotations: list[tuple[str, str]] = field(default_factory=list)
    labels: list[tuple[str, str]] = field(default_factory=list)
    cache: bool | None = None
    secrets: list[Secret] = field(default_factory=list)
    env: list[tuple[str, str]] = field(default_factory=list)
    retries: int | None = None
    timeout: int | None = None
    raises_exception: bool = False
    ignored: list[str] = field(default_factory=list)

    def set(self, name: str, value: TagValue, repeat: str) -> TagValue | None:
        """Record ``value`` in field ``name``; the value it conflicts with (``repeat: once``), if any."""
        if repeat == "list":
            getattr(self, name).append(value)
            return None
        old = getattr(self, name)
        if repeat == "once" and old not in (None, value):
            return old
        setattr(self, name, value)
        return None

    def cell_tags(self) -> CellTags:
        return CellTags(
            step=self.step, role=self.role, prev=tuple(self.prev), limits=tuple(self.limits),
            requests=tuple(self.requests), image=self.image, annotations=tuple(self.annotations),
            labels=tuple(self.labels), cache=self.cache, secrets=tuple(self.secrets), env=tuple(self.env),
            retries=self.retries, timeout=self.timeout, raises_exception=self.raises_exception,
            ignored=tuple(self.ignored),
        )


def parse_tags(tags: list[str] | tuple[str, ...], cell: int) -> CellTags:
    """Parse one cell's tags. ``cell`` is the 1-based cell number used in errors."""
    reading = TagReading()
    for raw in tags:
        if not isinstance(raw, str):
            # JupyterLab only writes strings; a number or a list here was put there by hand
            # or by a tool, and dropping or stringifying it would change the pipeline silently.
            raise TagError(f"tag {raw!r} is not a string", Location(cell=cell),
                           hint="tags are strings such as 'step:train'")
        tag = raw.strip()
        if tag and tag not in GRAMMAR.no_tag:
            _apply_tag(tag, reading, Location(cell=cell))
    return reading.cell_tags()


def _apply_tag(tag: str, reading: TagReading, where: Location) -> None:
    word = GRAMMAR.words.get(tag)
    if word is not None:
        _apply_word(word, reading, where)
        return
    prefix, sep, rest = tag.partition(":")
    rule = GRAMMAR.prefixes.get(prefix) if sep else None
    if rule is None:
        reading.ignored.append(tag)
        return
    old = reading.set(rule.field, _value(rule, rest, tag, where), rule.repeat)
    if old is not None:
        raise _bad(tag, (rule.conflict or "").format(old=old, tag=tag), where)


def _apply_word(word: WordRule, reading: TagReading, where: Location) -> None:
    old = reading.set(word.field, word.value, word.repeat)
    if old is not None:
        raise TagError(GRAMMAR.word_conflict.format(old=old, tag=word.tag), where)


def _value(rule: PrefixRule, rest: str, tag: str, where: Location) -> TagValue:
    """The value ``rest`` of one tag, as the rule's field holds it."""
    match = rule.pattern.fullmatch(rest)
    if match is None:
        raise _bad(tag, why_invalid(rule, rest), where)
    groups = match.groups()
    if rule.kind == "pair":
        return groups[0], groups[1]
    if rule.kind == "secret":
        return Secret(*groups)
    if rule.kind == "switch":
        return groups[0] == rule.on
    if rule.kind == "count":
        return int(groups[0])
    return groups[0]


def _bad(tag: str, why: str, where: Location) -> TagError:
    return TagError(f"invalid tag '{tag}': {why}", where,
                    hint="see the tag grammar in the README")
