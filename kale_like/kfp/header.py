"""The comment block at the top of the IR YAML, with user text kept inside the comments.

kfp's header builder pastes the pipeline name, description and every parameter's
default into ``#`` lines as they are: a default holding a newline starts a line of
YAML structure (``defaultPipelineRoot: …`` taken from a parameter value), and a NUL
or a lone surrogate makes the file unreadable. Here the builder is given escaped
copies of those texts, and the result is checked line by line before it is written.
"""
from __future__ import annotations

import copy
import re
from typing import Any

from ..errors import PipelineError

# What a YAML reader accepts and keeps on one line: printable characters other than the
# line separators (YAML 1.1 breaks lines at \r, \x85, \u2028 and \u2029 too) and the BOM.
_UNSAFE = re.compile("[^\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
_LINE_BREAKS = re.compile("\r\n|[\n\r\x85\u2028\u2029]")


def comment_text(text: str) -> str:
    """``text`` with every character a YAML comment line cannot hold written as an escape."""
    return _UNSAFE.sub(lambda found: found.group().encode("unicode_escape", "backslashreplace").decode("ascii"),
                       text)


def pipeline_header(spec: dict[str, Any], description: str | None) -> str:
    """kfp's ``# PIPELINE DEFINITION`` block for ``spec``, every user text escaped."""
    from kfp.compiler import pipeline_spec_builder as builder

    shown = copy.deepcopy(spec)
    info = shown.get("pipelineInfo", {})
    info["name"] = comment_text(str(info.get("name", "")))
    for section in ("inputDefinitions", "outputDefinitions"):
        for body in shown.get("root", {}).get(section, {}).get("parameters", {}).values():
            if "defaultValue" in body:
                body["defaultValue"] = _escaped(body["defaultValue"])
    lines = (description or "").splitlines()
    header = builder.extract_comments_from_pipeline_spec(shown, "\n".join(comment_text(line) for line in lines))
    check_comment_block(header)
    return header


def _escaped(value: Any) -> Any:
    # Lists and dicts are shown with repr(), which already escapes what a comment cannot hold.
    return comment_text(value) if isinstance(value, str) else value


def check_comment_block(header: str) -> None:
    """Refuse a header any line of which a YAML reader would take for more than a comment."""
    body = header[:-1] if header.endswith("\n") else header
    for line in _LINE_BREAKS.split(body):
        if not line.startswith("#") or _UNSAFE.search(line):
            raise PipelineError("the pipeline's YAML header would carry text outside its comments",
                                hint="this is a bug in kale_like: a name or value was not escaped")
