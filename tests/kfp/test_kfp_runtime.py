"""What makes a first cluster run work: the runtime inside the component, the default image, installs."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from kale_like.kfp.constraints import dependency_closure
from kale_like.kfp.notebook_server import container_image, notebook_server_image
from kale_like.kfp.options import ImageRequired, default_image
from kale_like.kfp.runtime_bundle import PACKAGE, RUNTIME_MODULES, runtime_stamp

from kfp_harness import compile_ir, executor, task, write_notebook

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def _prelude(ir: dict, function: str) -> str:
    return " ".join(executor(ir, function)["container"]["command"][:-1])


def test_without_an_image_steps_install_pinned_requirements_on_stock_python(tmp_path):
    path = write_notebook(tmp_path, "import yaml\nprint(yaml.__name__)")
    compiled, ir, _ = compile_ir(path)
    assert executor(ir, "cell_1")["container"]["image"] == default_image()
    prelude = _prelude(ir, "cell_1")
    assert f"pyyaml=={metadata.version('pyyaml')}" in prelude and f"ipython=={metadata.version('ipython')}" in prelude
    assert "pip-install the notebook's pinned requirements" in compiled.image_reason
    env = {e["name"]: e["value"] for e in executor(ir, "cell_1")["container"].get("env", [])}
    assert env == {"PIP_BREAK_SYSTEM_PACKAGES": "1"}  # Debian's python3 (PEP 668) accepts the install


def test_no_install_without_an_image_is_one_clear_error(tmp_path):
    path = write_notebook(tmp_path, "print(1)")
    with pytest.raises(ImageRequired, match="--no-install needs an image"):
        compile_ir(path, install=False)
    result = subprocess.run([sys.executable, "-m", "kale_like", "compile", str(path), "--no-install"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--no-install needs an image" in result.stderr and "kale-like image" in result.stderr


def test_no_install_with_the_notebook_metadata_image(tmp_path):
    path = write_notebook(tmp_path, "print(1)", metadata={"base_image": "registry.example/nb:2"})
    compiled, ir, _ = compile_ir(path, install=False)
    assert executor(ir, "cell_1")["container"]["image"] == "registry.example/nb:2"
    assert "pip install" not in _prelude(ir, "cell_1")
    assert compiled.image_reason == "steps run in registry.example/nb:2 (from the notebook's metadata)"


def test_compile_output_says_which_image_and_why(tmp_path):
    path = write_notebook(tmp_path, "print(1)")
    result = subprocess.run([sys.executable, "-m", "kale_like", "compile", str(path)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"steps run in {default_image()} and pip-install" in result.stderr


class _Pod:
    def __init__(self, *containers):
        self.spec = type("Spec", (), {"containers": [type("C", (), c)() for c in containers]})()


def test_kubeflow_notebook_server_image_is_the_default_there():
    pod = _Pod({"name": "istio-proxy", "image": "istio/proxy:1"}, {"name": "my-nb", "image": "reg/jupyter-sk:3"})
    env = {"NB_PREFIX": "/notebook/team/my-nb", "HOSTNAME": "my-nb-0"}
    seen = []
    image = notebook_server_image(env, read_pod=lambda name, ns: seen.append((name, ns)) or pod)
    assert image == "reg/jupyter-sk:3" and seen[0][0] == "my-nb-0"
    assert notebook_server_image({"HOSTNAME": "x"}, read_pod=lambda *a: pod) is None  # not a notebook server
    assert notebook_server_image(env, read_pod=lambda *a: (_ for _ in ()).throw(PermissionError())) is None
    assert container_image(_Pod({"name": "other", "image": "first:1"}), "my-nb") == "first:1"


def test_every_component_ships_the_runtime_with_its_stamp(tmp_path):
    path = write_notebook(tmp_path, "x = 1", "print(x)")
    compiled, ir, _ = compile_ir(path, split="cells", image="registry.example/step:1")
    assert compiled.runtime == runtime_stamp() and compiled.runtime.startswith("0.")
    for component in compiled.components:
        source = executor(ir, component.function)["container"]["command"][-1]
        assert "__KFP_EMBEDDED_ARCHIVE_B64" in source
        assert f"if getattr(kale_like, 'RUNTIME', None) != {compiled.runtime!r}:" in source


def test_runtime_modules_cover_what_the_step_entry_imports():
    """The shipped list is closed under kale_like-internal imports from the step entry point."""
    shipped = {m for m in RUNTIME_MODULES}
    todo, seen, missing = ["runtime/kfp_entry.py"], set(), []
    while todo:
        relative = todo.pop()
        if relative in seen or os.path.normpath(relative) == "__init__.py":  # the package's own: written fresh
            continue
        seen.add(relative)
        if relative not in shipped:
            missing.append(relative)
        tree = ast.parse(Path(PACKAGE, relative).read_text())
        package = os.path.dirname(relative)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package
                for _ in range(node.level - 1):
                    base = os.path.dirname(base)
                for name in ([node.module] if node.module else [a.name for a in node.names]):
                    target = os.path.join(base, *name.split("."))
                    for candidate in (target + ".py", os.path.join(target, "__init__.py")):
                        if os.path.exists(os.path.join(PACKAGE, candidate)):
                            todo.append(os.path.normpath(candidate))
                            todo += _parents(os.path.dirname(os.path.normpath(candidate)))  # imported first
                            break
    assert missing == [], "imported by the step runtime but not in RUNTIME_MODULES"


def _parents(folder: str) -> list[str]:
    parts = [p for p in folder.split(os.sep) if p and p != "."]
    return [os.path.join(*parts[:i], "__init__.py") for i in range(1, len(parts) + 1)
            if os.path.exists(os.path.join(PACKAGE, *parts[:i], "__init__.py"))]


def test_constraints_pin_the_dependency_closure_with_python_markers():
    closure = dependency_closure(["requests"])
    names = {line.split("==")[0] for line in closure}
    assert {"requests", "urllib3", "idna", "certifi", "charset-normalizer"} <= names
    urllib3 = next(line for line in closure if line.startswith("urllib3=="))
    assert urllib3.startswith(f"urllib3=={metadata.version('urllib3')}")
    requires = metadata.distribution("urllib3").metadata.get("Requires-Python")
    if requires:
        assert "; python_full_version" in urllib3


def test_image_context_on_a_debian_base_with_ca_bundle_and_index(tmp_path):
    path = write_notebook(tmp_path, "import pandas as pd\nprint(pd.__version__)")
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    result = subprocess.run([sys.executable, "-m", "kale_like", "image", str(path), "-o", str(tmp_path / "img"),
                             "--base", "debian:bookworm-python3", "--ca-bundle", str(ca), "--index-url",
                             "https://mirror.example/simple"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    dockerfile = (tmp_path / "img" / "Dockerfile").read_text()
    assert "FROM debian:bookworm-python3\n" in dockerfile and "PIP_BREAK_SYSTEM_PACKAGES=1" in dockerfile
    assert "PIP_CERT=/opt/kale_like/build-ca.pem" in dockerfile and (tmp_path / "img" / "build-ca.pem").exists()
    assert "--index-url https://mirror.example/simple -r requirements.txt -c constraints.txt" in dockerfile
    constraints = (tmp_path / "img" / "constraints.txt").read_text()
    assert f"numpy=={metadata.version('numpy')}" in constraints  # pandas' dependency, pinned
    assert not (tmp_path / "img" / "kale_like").exists()  # the runtime travels in the components
    missing = subprocess.run([sys.executable, "-m", "kale_like", "image", str(path), "--ca-bundle",
                              str(tmp_path / "nope.pem")], capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_kfp_local_installs_nothing_and_ignores_the_default(tmp_path):
    from kale_like import api

    path = write_notebook(tmp_path / "nb", "import yaml\nprint(yaml.__name__)")
    result = api.run(path, out=str(tmp_path / "o.ipynb"), backend="kfp-local", workdir=str(tmp_path / "w"))
    assert result.ok, result.error
    package = next((tmp_path / "w").rglob("pipeline.yaml")).read_text()
    assert "pip install" not in package and "PIP_BREAK_SYSTEM_PACKAGES" not in package
    assert task  # harness import kept for symmetry with the other KFP test files
