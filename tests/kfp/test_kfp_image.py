"""Requirements inferred from imports, and the Dockerfile that bakes them."""
from __future__ import annotations

import subprocess
import sys
from importlib import metadata

from kale_like.kfp.requirements import find_requirements
from kale_like.notebook import load_notebook

from kfp_harness import write_notebook


def test_imports_map_to_installed_distributions_pinned(tmp_path):
    (tmp_path / "helpers.py").write_text("X = 1\n")
    path = write_notebook(tmp_path, "import numpy as np\nimport os, json\nfrom sklearn.linear_model import Ridge",
                          "import helpers\n%matplotlib inline\nimport yaml", "import not_a_real_module_xyz")
    found = find_requirements(load_notebook(path))
    assert found.pinned == (f"numpy=={metadata.version('numpy')}", f"scikit-learn=={metadata.version('scikit-learn')}",
                            f"pyyaml=={metadata.version('pyyaml')}")
    assert found.missing == ("not_a_real_module_xyz",)
    assert found.local == (str(tmp_path / "helpers.py"),)
    assert f"kfp=={metadata.version('kfp')}" in found.runtime


def test_image_writes_a_dockerfile_with_pinned_requirements(tmp_path):
    path = write_notebook(tmp_path, "import pandas as pd\nprint(pd.__version__)")
    result = subprocess.run([sys.executable, "-m", "kale_like", "image", str(path), "-o", str(tmp_path / "img"),
                             "--base", "python:3.11-slim"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    dockerfile = (tmp_path / "img" / "Dockerfile").read_text()
    assert "FROM python:3.11-slim\n" in dockerfile
    assert "pip install --no-cache-dir -r requirements.txt -c constraints.txt" in dockerfile
    requirements = (tmp_path / "img" / "requirements.txt").read_text().splitlines()
    assert f"pandas=={metadata.version('pandas')}" in requirements
    assert any(r.startswith("ipython==") for r in requirements) and not any(r.startswith("kfp") for r in requirements)
    assert f"--no-deps 'kfp=={metadata.version('kfp')}'" in dockerfile  # only its executor runs in a step
    assert "docker build -t" in result.stderr
