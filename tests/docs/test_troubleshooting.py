"""docs/troubleshooting.md lists every error message the code can print; the docs'
links resolve. Message templates are found mechanically (see message_templates), so
a message added anywhere in kale_like fails this test until the page explains it."""
from __future__ import annotations

import re
from pathlib import Path

from message_templates import PLACEHOLDER, normalise, templates

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
PAGE = DOCS / "troubleshooting.md"


def test_every_error_message_is_on_the_troubleshooting_page():
    found, _ = templates(REPO / "kale_like")
    assert len(found) > 40, "the extraction found too few messages to be working"
    page = normalise(PAGE.read_text(encoding="utf-8"))
    missing = sorted({(t.text, f"{t.path}:{t.line}") for t in found if t.text not in page})
    assert not missing, (
        f"{len(missing)} error message(s) missing from docs/troubleshooting.md; add each, word for word "
        f"with {PLACEHOLDER} for the parts that change, with its cause and fix:\n"
        + "\n".join(f"  - `{text}`   ({where})" for text, where in missing))


def test_the_extraction_finds_every_kind_of_message(tmp_path: Path):
    """The mechanism, on a package written for the purpose: nothing it should see is missed."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "errors.py").write_text(
        "class KaleLikeError(Exception): ...\nclass TagError(KaleLikeError): ...\nclass Deeper(TagError): ...\n")
    (package / "use.py").write_text('''
from .errors import Deeper, KaleLikeError, TagError
def f(name, n, parser, message):
    raise KaleLikeError("plain text")
    raise TagError(f"tag '{name}' has {n!r} parts", hint="ignored")
    raise Deeper("joined " + f"{name} here")
    raise Deeper("old %s style %d" % (name, n))
    raise Deeper("format {} style {name}".format(1, name=name))
    raise Deeper(f"stripped {name} ".rstrip())
    raise Deeper(message=f"by keyword {name}")
    parser.error(f"argparse says {name}")
    findings = [Finding("error", "code", f"finding {name}", 1), Finding("warning", "code", "not an error")]
    raise Deeper(message)
    raise ValueError("not ours")
''')
    found, dynamic = templates(package)
    assert sorted(t.text for t in found) == sorted([
        "plain text", "tag '…' has … parts", "joined … here", "old … style …", "format … style …",
        "stripped …", "by keyword …", "argparse says …", "finding …"])
    assert [t.text for t in dynamic] == ["message"]
    assert all(t.path.startswith("pkg/") and t.line > 1 for t in found)


def test_placeholders_and_wrapping_match_the_page():
    assert normalise("a  …\n   b") == "a … b"
    assert normalise("in use by ……") == "in use by …"
    assert normalise("`x '…': …`") == "`x '…': …`"


def test_links_between_the_docs_resolve():
    """Every link of the docs pages, and the README's links to pages (its images are the panel's)."""
    pages = [*DOCS.glob("*.md"), REPO / "README.md"]
    broken = []
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if "://" in target or (page.name == "README.md" and page.parent == REPO and not target.endswith(".md")):
                continue
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(REPO)} -> {target}")
    assert not broken, broken
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert all(f"docs/{p.name}" in readme for p in DOCS.glob("*.md")), "the README links every docs page"


def test_the_docs_name_only_real_commands_and_flags():
    """Every `--flag` the docs show for kale-like exists in its parsers."""
    from kale_like.cli import _parser

    parser = _parser()
    flags = set()
    for action in parser._actions:
        flags.update(action.option_strings)
        for sub in getattr(action, "choices", None) or {}:
            if isinstance(action.choices, dict):
                flags.update(o for a in action.choices[sub]._actions for o in a.option_strings)
    documented = set()
    for page in DOCS.glob("*.md"):
        for block in re.findall(r"```(?:text|bash)\n(.*?)```", page.read_text(encoding="utf-8"), re.S):
            if "kale-like" not in block:
                continue
            for line in block.splitlines():
                if "papermill" not in line:  # papermill's own options are papermill's
                    documented.update(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", line))
    assert len(documented) > 20 and not documented - flags, sorted(documented - flags)
