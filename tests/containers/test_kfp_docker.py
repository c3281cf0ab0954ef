"""Every step in a real container: the compiled IR under kfp.local's DockerRunner, on podman.

Each notebook is run top to bottom with nbclient and with ``kale-like run --backend
kfp-docker``, and the two executed notebooks are compared cell by cell (the
faithfulness harness). Steps run in the step image built by ``kale-like image`` on a
Debian python3 base, or with no image at all in the plain base, installing at start.
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from kale_like.kfp.containers import RUN_LABEL

from conftest import TIMINGS
from faithfulness.harness import assert_faithful
from notebook_builder import build_notebook

pytestmark = pytest.mark.containers


def _write(folder: Path, *cells, name: str = "nb.ipynb") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    nbformat.write(build_notebook(*cells), str(path))
    return path


def _left_over(engine) -> list[str]:
    """Containers of any kale_like run still known to the engine (running or exited)."""
    return engine.podman("ps", "-a", "--filter", f"label={RUN_LABEL}", "--format", "{{.Names}}").stdout.split()


SKLEARN = (
    ("C = 1.0\nmax_iter = 200", ["parameters"]),
    "from sklearn.datasets import load_iris\nfrom sklearn.linear_model import LogisticRegression\n"
    "from sklearn.model_selection import train_test_split\n"
    "X, y = load_iris(return_X_y=True)\n"
    "X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)\nprint(X_train.shape)",
    "model = LogisticRegression(C=C, max_iter=max_iter).fit(X_train, y_train)\nprint(model.coef_.shape)",
    "accuracy = float(model.score(X_test, y_test))\nprint(f'accuracy {accuracy:.4f}')",
    ("accuracy", ["pipeline-metrics"]),
)


def test_sklearn_notebook_with_parameters_and_metrics(engine, step_image, tmp_path):
    path = _write(tmp_path / "sk", *SKLEARN)
    began = time.perf_counter()
    assert_faithful(path, split="cells", extra_args=["--backend", "kfp-docker", "--image", step_image])
    TIMINGS["sklearn notebook (4 steps)"] = time.perf_counter() - began
    out = nbformat.read(tmp_path / "sk.out1" / "nb.ipynb", as_version=4)
    run = out.metadata["kale_like"]["run"]
    assert run["backend"] == "kfp-docker" and run["ok"] is True
    assert 0.5 < run["metrics"]["accuracy"] <= 1.0
    assert _left_over(engine) == []


def test_parameter_value_reaches_the_container(engine, step_image, tmp_path):
    path = _write(tmp_path / "p", ("n = 2", ["parameters"]), "print(n * 10, type(n).__name__)")
    out = tmp_path / "p.ipynb"
    result = subprocess.run([sys.executable, "-m", "kale_like", "run", str(path), "--backend", "kfp-docker",
                             "--image", step_image, "-p", "n", "7", "--out", str(out), "--workdir",
                             str(tmp_path / "w")], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    printed = nbformat.read(out, as_version=4).cells[-1].outputs[0]["text"]  # after papermill's injected cell
    assert printed == "70 int\n"


def test_csv_next_to_the_notebook_is_shipped_with_the_pipeline(engine, step_image, tmp_path):
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "houses.csv").write_text("rooms,price\n2,100\n3,150\n4,210\n")
    path = _write(folder, "import pandas as pd\ndf = pd.read_csv('houses.csv')\nprint(df.shape)",
                  "print(df.price.mean())\nprint(open('houses.csv').readline().strip())")
    assert_faithful(path, split="cells", extra_args=["--backend", "kfp-docker", "--image", step_image])
    assert _left_over(engine) == []


def test_failing_step_is_reported_failed_and_nothing_is_left(engine, step_image, tmp_path):
    path = _write(tmp_path / "fail", "x = 1\nprint('before', x)", "y = x + 1\nraise ValueError(f'bad value {y}')",
                  "print('after', y)")
    out = tmp_path / "fail.ipynb"
    result = subprocess.run([sys.executable, "-m", "kale_like", "run", str(path), "--backend", "kfp-docker",
                             "--image", step_image, "--split", "cells", "--out", str(out), "--workdir",
                             str(tmp_path / "w")], capture_output=True, text=True, timeout=600)
    assert result.returncode == 1, result.stderr[-3000:]
    assert "ValueError" in result.stderr and "bad value 2" in result.stderr
    executed = nbformat.read(out, as_version=4)
    assert executed.cells[0].outputs[0]["text"] == "before 1\n"
    error = [o for o in executed.cells[1].outputs if o["output_type"] == "error"]
    assert error and error[0]["ename"] == "ValueError" and error[0]["evalue"] == "bad value 2"
    assert executed.cells[2].outputs == []  # the later step never ran
    states = {name: s["state"] for name, s in executed.metadata["kale_like"]["run"]["steps"].items()}
    assert sorted(states.values()) == ["failed", "skipped", "succeeded"], states
    assert _left_over(engine) == []


def test_failing_step_exit_code_is_read_even_when_it_fails_fast(engine, step_image, tmp_path):
    """kubeflow/pipelines#13332: a step process that dies without a report (exit status 3) is reported
    failed, not succeeded, and its dependents are skipped."""
    path = _write(tmp_path / "fast", "import os\nx = 1\nos._exit(3)", "print('after', x)")
    result = subprocess.run([sys.executable, "-m", "kale_like", "run", str(path), "--backend", "kfp-docker",
                             "--image", step_image, "--split", "cells", "--out", str(tmp_path / "o.ipynb"),
                             "--workdir", str(tmp_path / "w")], capture_output=True, text=True, timeout=600)
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    executed = nbformat.read(tmp_path / "o.ipynb", as_version=4)
    assert executed.cells[1].outputs == []
    states = {name: s["state"] for name, s in executed.metadata["kale_like"]["run"]["steps"].items()}
    assert states == {"cell_1": "failed", "cell_2": "skipped"}, states
    assert _left_over(engine) == []


def test_timeout_stops_the_container(engine, step_image, tmp_path):
    path = _write(tmp_path / "slow", ("import time\ntime.sleep(120)", ["step:slow", "timeout:8"]),
                  ("print('after')", ["step:after", "prev:slow"]))
    began = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "kale_like", "run", str(path), "--backend", "kfp-docker",
                             "--image", step_image, "--out", str(tmp_path / "o.ipynb"), "--workdir",
                             str(tmp_path / "w")], capture_output=True, text=True, timeout=600)
    assert result.returncode == 1, result.stderr[-3000:]
    assert "timeout" in result.stderr
    assert time.perf_counter() - began < 100  # not the 120 s the cell sleeps
    assert _left_over(engine) == []


def test_ctrl_c_removes_the_running_container(engine, step_image, tmp_path):
    path = _write(tmp_path / "int", "import time\nprint('sleeping', flush=True)\ntime.sleep(300)")
    process = subprocess.Popen([sys.executable, "-m", "kale_like", "run", str(path), "--backend", "kfp-docker",
                                "--image", step_image, "--out", str(tmp_path / "o.ipynb"), "--workdir",
                                str(tmp_path / "w")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    while not _left_over(engine) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _left_over(engine), "no step container started"
    process.send_signal(2)  # SIGINT, as Ctrl-C sends
    process.communicate(timeout=120)
    assert process.returncode != 0
    assert _left_over(engine) == []


def test_no_image_installs_at_step_start_in_the_plain_base(engine, base_image, tmp_path):
    """A pipeline compiled without --image runs on a stock python image (the Debian base stands in for
    python:3.X here) and installs the notebook's pinned requirements when each step starts."""
    stand_in = "python:{}.{}".format(*sys.version_info[:2])
    engine.podman("tag", base_image, f"docker.io/library/{stand_in}")
    path = _write(tmp_path / "plain", "import numpy as np\nxs = np.arange(6).reshape(2, 3)\nprint(xs.sum())",
                  "print(xs.T.shape, int(xs.max()))")
    compiled = subprocess.run([sys.executable, "-m", "kale_like", "compile", str(path), "-o",
                               str(tmp_path / "p.yaml")], capture_output=True, text=True, timeout=300)
    assert compiled.returncode == 0, compiled.stderr
    assert f"steps run in {stand_in} and pip-install the notebook's pinned requirements" in compiled.stderr
    began = time.perf_counter()
    assert_faithful(path, split="cells", extra_args=["--backend", "kfp-docker"], run_timeout=1200)
    TIMINGS["no-image notebook (2 steps, installing)"] = time.perf_counter() - began
    assert _left_over(engine) == []


def test_runtime_in_the_image_must_match_the_pipeline(engine, step_image, tmp_path):
    """An image that loads another kale_like before the step (here through sitecustomize) is one clear error."""
    context = tmp_path / "ctx"
    (context / "kale_like").mkdir(parents=True)
    (context / "kale_like" / "__init__.py").write_text("__version__ = '0.0.1'\n")
    (context / "sitecustomize.py").write_text("import kale_like\n")
    (context / "Dockerfile").write_text(f"FROM {step_image}\nCOPY kale_like /opt/old/kale_like\n"
                                        "COPY sitecustomize.py /opt/old/\nENV PYTHONPATH=/opt/old\n")
    engine.podman("build", "--pull=never", "-t", "localhost/kl-step:old-runtime", str(context))
    path = _write(tmp_path / "old", "print('hello')")
    result = subprocess.run([sys.executable, "-m", "kale_like", "run", str(path), "--backend", "kfp-docker",
                             "--image", "localhost/kl-step:old-runtime", "--out", str(tmp_path / "o.ipynb"),
                             "--workdir", str(tmp_path / "w")], capture_output=True, text=True, timeout=600)
    assert result.returncode == 1
    log = "".join(p.read_text() for p in (tmp_path / "w").rglob("kfp-docker.log"))
    assert "this pipeline ships kale_like runtime" in log and "/opt/old/kale_like" in log, log[-3000:]
    assert _left_over(engine) == []


def test_files_written_by_one_step_are_read_by_a_later_one(engine, step_image, tmp_path):
    """Containers share no folder: the file travels as an artifact, as variables do."""
    path = _write(tmp_path / "wr", "import pandas as pd\npd.DataFrame({'a': [1, 2, 3]}).to_csv('made.csv', index=False)",
                  "n = 5\nprint(n)", "import pandas as pd\nprint(pd.read_csv('made.csv').a.sum() + n)")
    assert_faithful(path, split="cells", extra_args=["--backend", "kfp-docker", "--image", step_image])
    assert _left_over(engine) == []


def test_steps_run_without_network(engine, step_image, tmp_path):
    path = _write(tmp_path / "net", "import socket\ntry:\n    socket.create_connection(('10.255.255.1', 80), timeout=3)\n"
                  "    print('online')\nexcept OSError:\n    print('offline', [n for _, n in socket.if_nameindex()])")
    out = tmp_path / "o.ipynb"
    result = subprocess.run([sys.executable, "-m", "kale_like", "run", str(path), "--backend", "kfp-docker",
                             "--image", step_image, "--out", str(out), "--workdir", str(tmp_path / "w")],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert nbformat.read(out, as_version=4).cells[0].outputs[0]["text"] == "offline ['lo']\n"
    assert _left_over(engine) == []
