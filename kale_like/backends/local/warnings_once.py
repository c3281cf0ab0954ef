"""Python shows a warning once per process and location (the ``default`` action).

A notebook runs in one process, so a library warning triggered in several cells is
printed once; split into step processes it would be printed again in every step.
The merged notebook keeps the first one, as the kernel would have.
"""
from __future__ import annotations

import re

# ``warnings.formatwarning``: "FILE:LINE: Category: message\n" then, when the source
# line is known, "  source\n".
_HEADER = re.compile(r"^(?P<file>.+?):(?P<line>\d+): (?P<category>\w+): (?P<message>.*)$")


def drop_repeated_warnings(records: dict[int, dict], notebook_sources: list[str]) -> None:
    """Remove, in notebook order, warnings the kernel would not have shown again.

    A cell's ``warning_events`` (recorded by the step process) say, in order, when the
    warning filters changed ("M": the registry starts over, as in a kernel) and which
    warnings were shown; reports without them fall back to "once per location".
    """
    if any("always" in source for source in notebook_sources):
        return  # the notebook asked to see every occurrence
    seen: set[tuple[str, str, str, str]] = set()
    for index in sorted(records):
        events = records[index].get("warning_events")
        decisions = _decide(events, seen) if events is not None else None
        kept = []
        for output in records[index].get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                output = dict(output, text=_filter(output["text"], seen, decisions))
                if not output["text"]:
                    continue
            kept.append(output)
        records[index]["outputs"] = kept


def _decide(events: list, seen: set[tuple[str, str, str, str]]) -> dict[tuple, list[bool]]:
    """For each warning key, in order of its occurrences in this cell: show it or not."""
    decisions: dict[tuple, list[bool]] = {}
    for event in events:
        if event == "M":
            seen.clear()
            continue
        key = tuple(event[1:5])
        # Warnings raised from the notebook's own code repeat in a kernel too (each
        # cell gets a fresh registry); only library warnings are once per process.
        decisions.setdefault(key, []).append(key not in seen or key[0].startswith("<cell "))
        seen.add(key)
    return decisions


def _filter(text: str, seen: set[tuple[str, str, str, str]], decisions: dict[tuple, list[bool]] | None) -> str:
    lines = text.splitlines(keepends=True)
    kept: list[str] = []
    skipping = False
    for line in lines:
        match = _HEADER.match(line.rstrip("\n"))
        if match and match.group("category").endswith(("Warning", "Warnings")):
            key = (match.group("file"), match.group("line"), match.group("category"), match.group("message"))
            if decisions is None:
                skipping = key in seen and not key[0].startswith("<cell ")
                seen.add(key)
            else:
                queue = decisions.get(key)
                skipping = not queue.pop(0) if queue else False
            if not skipping:
                kept.append(line)
            continue
        if skipping and line.startswith("  "):
            continue
        skipping = False
        kept.append(line)
    return "".join(kept)
