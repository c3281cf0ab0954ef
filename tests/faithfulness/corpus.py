"""Which real notebooks of the development corpus can be compared, and how to mask them.

``../shared/corpus/dev.tsv`` describes each notebook: its run time here, the packages
it needs and notes (``deterministic (…)``, ``deterministic after normalizing …``,
``NONDETERMINISTIC: <why> [cells …]``, ``needs support files …: NAME;``). A notebook
is comparable when its text output is deterministic, or when its only nondeterminism
is the wall-clock Date/Time line of statsmodels summaries, which we mask.
"""
from __future__ import annotations

import csv
import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

from .outputs import Mask

CORPUS_ROOT = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
CORPUS_DIR = CORPUS_ROOT / "dev"

# statsmodels' summary() and summary2() print when they were made.
SUMMARY_CLOCK_MASKS: tuple[Mask, ...] = (
    (r"(Date:\s+)\w{3}, \d{2} \w{3} \d{4}", r"\1<date>"),
    (r"(Time:\s+)\d{2}:\d{2}:\d{2}", r"\1<time>"),
    (r"(Date:\s+)\d{4}-\d{2}-\d{2} \d{2}:\d{2}", r"\1<date>"),
)
MASKABLE_NONDETERMINISM = "wall-clock Date/Time lines in printed model summaries"
IMPORT_NAMES = {"scikit-learn": "sklearn", "imbalanced-learn": "imblearn", "MAPIE": "mapie",
                "ipython": "IPython"}


@dataclass(frozen=True)
class CorpusNotebook:
    file: str
    runtime_s: float
    packages: tuple[str, ...]
    notes: str

    @property
    def deterministic(self) -> bool:
        return "NONDETERMINISTIC" not in self.notes

    @property
    def comparable(self) -> bool:
        if self.deterministic:
            return True
        reasons = re.findall(r"NONDETERMINISTIC: ([^\[;]+)", self.notes)
        return all(reason.strip() == MASKABLE_NONDETERMINISM for reason in reasons)

    @property
    def masks(self) -> tuple[Mask, ...]:
        return () if self.deterministic else SUMMARY_CLOCK_MASKS

    @property
    def support_files(self) -> tuple[str, ...]:
        found = re.search(r"needs support files \(relative to notebook dir\): ([^;]+);", self.notes)
        return tuple(name.strip() for name in found.group(1).split(",")) if found else ()

    @property
    def missing_packages(self) -> tuple[str, ...]:
        names = [p for p in self.packages if p and not p.startswith("(")]
        return tuple(p for p in names if importlib.util.find_spec(IMPORT_NAMES.get(p, p)) is None)


def read_catalog(path: Path) -> list[CorpusNotebook]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [CorpusNotebook(file=row["file"], runtime_s=float(row["runtime_s"]),
                           packages=tuple(row["packages_needed"].split(",")), notes=row["notes"])
            for row in rows]


def pick_notebooks(catalog: list[CorpusNotebook], budget_s: float, max_runtime_s: float,
                   always: frozenset[str] = frozenset()) -> list[CorpusNotebook]:
    """Comparable notebooks: those named in ``always``, then the fastest, within the budget.

    The budget is the sum of the notebooks' plain-Jupyter run times from dev.tsv.
    """
    comparable = [n for n in catalog if n.comparable]
    chosen = [n for n in comparable if n.file in always]
    spent = sum(n.runtime_s for n in chosen)
    rest = [n for n in comparable if n.file not in always and n.runtime_s <= max_runtime_s]
    for notebook in sorted(rest, key=lambda n: (n.runtime_s, n.file)):
        if spent + notebook.runtime_s > budget_s:
            break
        chosen.append(notebook)
        spent += notebook.runtime_s
    return sorted(chosen, key=lambda n: n.file)
