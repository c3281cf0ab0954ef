"""Real notebooks written by others, run as kale_like pipelines, print what Jupyter prints.

The notebooks are read from ``../shared/corpus/dev`` (never copied into the project);
each is copied, with its support files, into a temporary folder before either run.
They run with ``--split auto`` (they have markdown headings); a few also with
``--split cells``. The set is chosen from ``dev.tsv`` to keep this module near ten
minutes on two cores (see ``RUNTIME_BUDGET_S``).
"""
from __future__ import annotations

import shutil

import pytest

from .corpus import CORPUS_DIR, CORPUS_ROOT, CorpusNotebook, pick_notebooks, read_catalog
from .harness import assert_faithful

if not CORPUS_DIR.is_dir():
    pytest.skip(f"the development corpus is not at {CORPUS_DIR} (a checkout of the project "
                "with ../shared beside it is needed)", allow_module_level=True)

# Sum of the chosen notebooks' plain-Jupyter run times (dev.tsv). Measured here, a
# test costs about five times its notebook's run time (a kernel start and run, the
# pipeline run), so this keeps the module near ten minutes.
RUNTIME_BUDGET_S = 105.0
MAX_RUNTIME_S = 8.0
ALWAYS = frozenset({
    "statsmodels__glm_weights.ipynb",  # inplace=True and mutation across cells, for real
})
ALSO_SPLIT_BY_CELLS = {
    "scikit-learn__miscellaneous__plot_metadata_routing.ipynb",  # 34 cells, classes, config
    "seaborn___tutorial__error_bars.ipynb",  # writes files, global config
}

CHOSEN = pick_notebooks(read_catalog(CORPUS_ROOT / "dev.tsv"), RUNTIME_BUDGET_S, MAX_RUNTIME_S, ALWAYS)
CASES = [pytest.param(n, "auto", id=f"{n.file.removesuffix('.ipynb')}-auto") for n in CHOSEN]
CASES += [pytest.param(n, "cells", id=f"{n.file.removesuffix('.ipynb')}-cells")
          for n in CHOSEN if n.file in ALSO_SPLIT_BY_CELLS]


@pytest.mark.corpus
@pytest.mark.kernel
@pytest.mark.parametrize("notebook, split", CASES)
def test_corpus_notebook_is_faithful(notebook: CorpusNotebook, split: str, tmp_path) -> None:
    if notebook.missing_packages:
        pytest.skip(f"{notebook.file} needs {', '.join(notebook.missing_packages)} (not installed)")
    folder = tmp_path / "notebook"
    folder.mkdir()
    for name in (notebook.file, *notebook.support_files):
        shutil.copyfile(CORPUS_DIR / name, folder / name)
    assert_faithful(folder / notebook.file, split=split, masks=notebook.masks,
                    cell_timeout=600, run_timeout=1200)
