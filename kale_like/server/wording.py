"""Messages in the panel's language: hints written for the command line (``--host``)
name the panel control that does the same thing when the panel shows them."""
from __future__ import annotations

import re
from typing import Any

# (what the CLI hint says, what the panel says instead); the longest forms first.
_PANEL_WORDS: tuple[tuple[str, str], ...] = (
    (r"--host \(or KF_PIPELINES_ENDPOINT\)", "the KFP host in the panel's Backend settings"),
    (r"--host", "the KFP host in the panel's Backend settings"),
    (r"--token / --cookie", "the authentication in the panel's Backend settings"),
    (r"--token", "the token in the panel's Backend settings"),
    (r"--namespace", "the namespace in the panel's Backend settings"),
    (r"split with --split auto", "choose Steps from: Auto in the panel"),
    (r"--split (auto|tags|headings|cells)", r"Steps from: \1 in the panel"),
    (r"--split", "Steps from in the panel"),
    (r"--no-cache", "a run without cache"),
)
_COMPILED = tuple((re.compile(pattern), words) for pattern, words in _PANEL_WORDS)


def panel_words(text: Any) -> Any:
    """``text`` with command-line flags replaced by the panel controls (non-text unchanged)."""
    if not isinstance(text, str) or "--" not in text:
        return text
    for pattern, words in _COMPILED:
        text = pattern.sub(words, text)
    return text


def panel_diagnostics(result: dict[str, Any]) -> dict[str, Any]:
    """An analysis result whose diagnostics speak the panel's language."""
    for diagnostic in result.get("diagnostics") or []:
        if isinstance(diagnostic, dict):
            diagnostic["message"] = panel_words(diagnostic.get("message"))
    return result
