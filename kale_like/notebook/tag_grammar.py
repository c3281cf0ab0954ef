"""The tag grammar as data: ``tag_grammar.json``, read here and by the panel.

The JSON file is the one description of the tags (the panel's ``tags.ts`` imports the
same file; ``tests/core/test_tag_grammar.py`` checks the README tables against it). This
module turns it into typed rules: a whole-value pattern per prefix, the field it sets,
how a repeated tag behaves, and the words to say when a value is wrong.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

Repeat = Literal["list", "once", "last"]
Kind = Literal["text", "pair", "secret", "switch", "count"]
Split = Literal["none", "first", "last", "all"]

_FRAGMENT = re.compile(r"\$\{(\w+)\}")


@dataclass(frozen=True)
class Part:
    """One ``:``-separated part of a value (``KEY`` of ``limit:KEY:VALUE``)."""

    name: str
    regex: re.Pattern[str]
    error: str | None  # '{}' is the part; None: the rule's own error is said


@dataclass(frozen=True)
class PrefixRule:
    """``PREFIX:VALUE`` tags: what the value must look like and which field it sets."""

    prefix: str
    field: str
    kind: Kind
    repeat: Repeat
    split: Split
    parts: tuple[Part, ...]
    pattern: re.Pattern[str]  # the whole value; one group per part
    error: str
    conflict: str | None
    on: str | None  # the value meaning True for a switch
    help: str
    example: str


@dataclass(frozen=True)
class WordRule:
    """A tag that is one word (``imports``, ``raises-exception``)."""

    tag: str
    field: str
    value: str | bool
    repeat: Repeat
    help: str


@dataclass(frozen=True)
class Grammar:
    fragments: dict[str, str]
    no_tag: frozenset[str]
    accelerators: tuple[str, ...]  # the limit: keys that ask for a GPU (KFP's set_accelerator_type)
    words: dict[str, WordRule]
    word_conflict: str
    prefixes: dict[str, PrefixRule]


def _expand(pattern: str, fragments: dict[str, str]) -> str:
    return _FRAGMENT.sub(lambda m: fragments[m.group(1)], pattern)


def _prefix_rule(entry: dict[str, Any], fragments: dict[str, str]) -> PrefixRule:
    parts = tuple(Part(p["name"], re.compile(_expand(p["pattern"], fragments)), p.get("error"))
                  for p in entry["parts"])
    whole = ":".join(f"({part.regex.pattern})" for part in parts)
    return PrefixRule(
        prefix=entry["prefix"], field=entry["field"], kind=entry["kind"], repeat=entry["repeat"],
        split=entry["split"], parts=parts, pattern=re.compile(whole), error=entry["error"],
        conflict=entry.get("conflict"), on=entry.get("on"), help=entry["help"], example=entry["example"],
    )


def load_grammar(text: str) -> Grammar:
    """The grammar in ``text`` (the JSON file's content)."""
    raw = json.loads(text)
    fragments = dict(raw["fragments"])
    return Grammar(
        fragments=fragments,
        no_tag=frozenset(raw["no_tag"]),
        accelerators=tuple(raw["accelerators"]),
        words={w["tag"]: WordRule(w["tag"], w["field"], w["value"], w["repeat"], w["help"]) for w in raw["words"]},
        word_conflict=raw["word_conflict"],
        prefixes={p["prefix"]: _prefix_rule(p, fragments) for p in raw["prefixes"]},
    )


GRAMMAR_FILE = "tag_grammar.json"
GRAMMAR = load_grammar(resources.files(__package__).joinpath(GRAMMAR_FILE).read_text(encoding="utf-8"))


def fragment(name: str) -> re.Pattern[str]:
    """A named pattern of the grammar (``quantity``, ``image_ref``), for other checks of the same values."""
    return re.compile(GRAMMAR.fragments[name])


def split_value(rule: PrefixRule, value: str) -> list[str] | None:
    """``value`` cut into the rule's parts, or None when it has the wrong number of ``:``."""
    count = len(rule.parts)
    if rule.split == "none":
        return [value]
    pieces = value.split(":") if rule.split == "all" else (
        value.split(":", count - 1) if rule.split == "first" else value.rsplit(":", count - 1))
    return pieces if len(pieces) == count else None


def why_invalid(rule: PrefixRule, value: str) -> str:
    """What is wrong with ``value`` (which the rule's pattern refused): its first wrong part, if it can say."""
    pieces = split_value(rule, value)
    if pieces is None or not all(pieces):
        return rule.error  # the shape is wrong: name it rather than one part
    for part, piece in zip(rule.parts, pieces):
        if not part.regex.fullmatch(piece):
            return part.error.format(piece) if part.error else rule.error
    return rule.error
