"""``kale_like/notebook/tag_grammar.json`` is the one description of the tags: the parser
(``tags.py``) and the panel (``tags.ts``) read it; the README's and docs/tags.md's tables
are checked against it here (a tag added to the grammar but not to them fails)."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from kale_like.errors import TagError
from kale_like.notebook.tag_grammar import GRAMMAR, load_grammar, why_invalid
from kale_like.notebook.tags import KNOWN_PREFIXES, ROLE_TAGS, CellTags, TagReading, parse_tags

ROOT = Path(__file__).resolve().parents[2]


def _table_tags(path: Path, heading: str) -> set[str]:
    """The tags the first column of the table under ``heading`` names (``limit:KEY:VALUE`` → ``limit:``)."""
    text = path.read_text(encoding="utf-8")
    section = text[text.index(heading):]
    rows = re.findall(r"^\| (.+?) \|", section[:section.index("\n\n", section.index("| ---"))], re.M)
    names = {tok for row in rows[2:] for tok in re.findall(r"`([^`]+)`", row)}
    return {n.split(":")[0] + ":" if ":" in n else n for n in names}


def _grammar_tags() -> set[str]:
    return {f"{p}:" for p in GRAMMAR.prefixes} | set(GRAMMAR.words)


@pytest.mark.parametrize("doc,heading", [("README.md", "## Tag grammar"), ("docs/tags.md", "## The grammar")])
def test_the_docs_tables_name_every_tag_of_the_grammar_and_no_other(doc, heading):
    documented = _table_tags(ROOT / doc, heading)
    assert documented == _grammar_tags(), (
        f"{doc}: missing {sorted(_grammar_tags() - documented)}, unknown {sorted(documented - _grammar_tags())}")


def test_the_check_fails_for_a_tag_missing_from_the_readme():
    raw = (ROOT / "kale_like" / "notebook" / "tag_grammar.json").read_text(encoding="utf-8")
    grown = load_grammar(raw.replace('"prefixes": [', '"prefixes": [\n  {"prefix": "gpu", "field": "limits", '
                                     '"kind": "text", "repeat": "last", "split": "none", "parts": [{"name": "N", '
                                     '"pattern": "[0-9]+"}], "error": "e", "help": "h", "example": "gpu:1"},', 1))
    documented = _table_tags(ROOT / "README.md", "## Tag grammar")
    assert "gpu:" in {f"{p}:" for p in grown.prefixes} - documented


def test_the_parser_derives_from_the_grammar():
    assert KNOWN_PREFIXES == tuple(GRAMMAR.prefixes)
    assert ROLE_TAGS == {w.tag: w.value for w in GRAMMAR.words.values() if w.field == "role"}


def test_every_field_the_grammar_sets_is_a_field_of_cell_tags():
    cell_fields = {f.name: f for f in dataclasses.fields(CellTags)}
    reading = TagReading()
    for rule in [*GRAMMAR.prefixes.values(), *GRAMMAR.words.values()]:
        assert rule.field in cell_fields, rule
        assert isinstance(getattr(reading, rule.field), list) == (rule.repeat == "list"), rule


def test_fragments_hold_no_capture_groups():
    """The whole-value pattern has one group per part, so a fragment must not add groups."""
    for rule in GRAMMAR.prefixes.values():
        assert rule.pattern.groups == len(rule.parts), rule.prefix


@pytest.mark.parametrize("prefix", list(GRAMMAR.prefixes))
def test_every_example_parses_and_every_empty_value_is_refused(prefix):
    rule = GRAMMAR.prefixes[prefix]
    assert rule.example.startswith(prefix + ":") and rule.help
    parse_tags([rule.example], 1)
    if prefix + ":" in GRAMMAR.no_tag:  # Kale's cleared "block:" is no tag
        assert parse_tags([prefix + ":"], 1) == CellTags()
        return
    with pytest.raises(TagError, match=re.escape(rule.error)):
        parse_tags([prefix + ":"], 1)


@pytest.mark.parametrize("prefix,value,why", [
    ("limit", "memory", "expected KEY:VALUE"), ("limit", "memory:", "expected KEY:VALUE"),
    ("limit", "memory:lots", "'lots' is not a valid quantity"), ("limit", "a:b:1", "'a:b' is not a valid key"),
    ("request", "Bad_:1", "'Bad_' is not a valid key"), ("secret", "a:b:c:d", "SECRET_NAME"),
    ("env", "1A:x", "expected env:NAME:VALUE"), ("timeout", "0", "at least 1"),
])
def test_a_wrong_value_names_its_wrong_part(prefix, value, why):
    assert why in why_invalid(GRAMMAR.prefixes[prefix], value)
