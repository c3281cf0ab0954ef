"""Regenerate the bundled example notebooks with nbformat (never hand-written JSON).

Run: python examples/make_examples.py   (tests/examples checks the files match)

- quickstart.ipynb      headings become steps; the Quickstart's first command runs it
- classifier.ipynb      a scikit-learn classifier with Kale tags: parameters, metrics, a plot
- exploration.ipynb     untagged exploration of sensors.csv; headings split it into parallel branches
- report.ipynb          a papermill-parameterised report, meant to be run as a sweep
- from_kale.ipynb       a notebook written for Kale (kubeflow_notebook metadata, block:/prev: tags,
                        MiniKF volumes) that kale_like runs unchanged
"""
from __future__ import annotations

import csv
import io
import os
import random

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = os.path.dirname(os.path.abspath(__file__))


def _finish(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook


def _code(source: str, *tags: str) -> nbformat.NotebookNode:
    return new_code_cell(source, metadata={"tags": list(tags)} if tags else {})


def quickstart() -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell("# Quickstart: a small model, as a pipeline\n"
                          "Each heading becomes a step; kale_like works out what data flows between them."),
        new_code_cell("import numpy as np\nimport pandas as pd\nfrom sklearn.linear_model import LogisticRegression\n"
                      "from sklearn.model_selection import train_test_split",
                      metadata={"tags": ["imports"]}),
        new_code_cell("n_samples = 400\nC = 1.0\nseed = 0", metadata={"tags": ["parameters"]}),
        new_markdown_cell("## Load data"),
        new_code_cell("rng = np.random.default_rng(seed)\n"
                      "X = rng.normal(size=(n_samples, 3))\n"
                      "y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)\n"
                      "df = pd.DataFrame(X, columns=['a', 'b', 'c'])\ndf['y'] = y\ndf.describe().round(2)"),
        new_markdown_cell("## Clean"),
        new_code_cell("del df['c']  # in-place: later steps see the column gone\nprint(df.shape)"),
        new_markdown_cell("## Train"),
        new_code_cell("X_train, X_test, y_train, y_test = train_test_split(df[['a', 'b']], df['y'], random_state=seed)\n"
                      "model = LogisticRegression(C=C).fit(X_train, y_train)\n"
                      "accuracy = model.score(X_test, y_test)\nprint(f'accuracy: {accuracy:.3f}')"),
        new_markdown_cell("## Summary statistics (independent of training)"),
        new_code_cell("counts = df['y'].value_counts().sort_index()\ncounts"),
        new_code_cell("accuracy", metadata={"tags": ["pipeline-metrics"]}),
    ]
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    notebook.metadata["kale_like"] = {"pipeline_name": "quickstart",
                                      "pipeline_description": "Train a logistic regression on synthetic data"}
    return notebook




def classifier() -> nbformat.NotebookNode:
    """Kale's grammar on a familiar task: steps by tag, parameters, metrics, a confusion-matrix plot."""
    cells = [
        new_markdown_cell("# Wine classifier\n"
                          "A random forest on scikit-learn's bundled wine data (no download). The tags are "
                          "Kale's: `imports`, `pipeline-parameters`, `step:NAME`, `prev:NAME`, `pipeline-metrics`."),
        _code("import matplotlib.pyplot as plt\nimport numpy as np\n"
              "from sklearn.datasets import load_wine\nfrom sklearn.ensemble import RandomForestClassifier\n"
              "from sklearn.metrics import ConfusionMatrixDisplay, accuracy_score, f1_score\n"
              "from sklearn.model_selection import train_test_split", "imports"),
        _code("n_estimators = 50\nmax_depth = 4\ntest_size = 0.3\nseed = 0", "pipeline-parameters"),
        _code("data = load_wine(as_frame=True)\nframe = data.frame\nprint(frame.shape)\n"
              "frame['target'].value_counts().sort_index()", "step:load"),
        _code("X_train, X_test, y_train, y_test = train_test_split(\n"
              "    frame.drop(columns='target'), frame['target'], test_size=test_size,\n"
              "    random_state=seed, stratify=frame['target'])\nprint(len(X_train), 'train rows,', len(X_test), 'test rows')",
              "step:split", "prev:load"),
        _code("model = RandomForestClassifier(n_estimators=n_estimators, max_depth=max_depth, random_state=seed)\n"
              "model.fit(X_train, y_train)", "step:train", "prev:split"),
        _code("predicted = model.predict(X_test)\naccuracy = accuracy_score(y_test, predicted)\n"
              "f1 = f1_score(y_test, predicted, average='macro')\nprint(f'accuracy {accuracy:.3f}, macro F1 {f1:.3f}')",
              "step:evaluate", "prev:train"),
        _code("figure, axes = plt.subplots(figsize=(4, 4))\n"
              "ConfusionMatrixDisplay.from_predictions(y_test, predicted, ax=axes, colorbar=False)\n"
              "axes.set_title('Confusion matrix')\nplt.show()"),
        _code("top = np.argsort(model.feature_importances_)[::-1][:5]\n"
              "[(X_train.columns[i], round(float(model.feature_importances_[i]), 3)) for i in top]",
              "step:importances", "prev:train"),
        _code("accuracy\nf1", "pipeline-metrics"),
    ]
    notebook = _finish(new_notebook(cells=cells))
    notebook.metadata["kale_like"] = {"pipeline_name": "wine-classifier",
                                      "pipeline_description": "Random forest on the wine data, with metrics"}
    return notebook


def sensors_csv() -> str:
    """The CSV the exploration notebook reads: three sites, a reading per hour, a few spikes."""
    rng = random.Random(7)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["site", "hour", "temperature", "humidity"])
    for site, base in (("harbour", 14.0), ("hill", 9.5), ("market", 16.0)):
        for hour in range(48):
            spike = 12.0 if rng.random() < 0.03 else 0.0
            writer.writerow([site, hour, round(base + 4 * rng.random() + spike, 2),
                             round(55 + 30 * rng.random(), 1)])
    return out.getvalue()


def exploration() -> nbformat.NotebookNode:
    """No tags at all: each heading starts a step, and steps that only read the data run in parallel."""
    cells = [
        new_markdown_cell("# Exploring sensor readings\n"
                          "An ordinary exploratory notebook: no tags. `kale-like run` cuts it at the headings; "
                          "the three analyses below only read `readings`, so they run side by side."),
        new_markdown_cell("## Load"),
        _code("import pandas as pd\nreadings = pd.read_csv('sensors.csv')\nreadings.head()"),
        new_markdown_cell("## Per-site summary"),
        _code("summary = readings.groupby('site')[['temperature', 'humidity']].agg(['mean', 'max']).round(2)\nsummary"),
        new_markdown_cell("## Correlation"),
        _code("correlation = readings[['temperature', 'humidity']].corr().iloc[0, 1]\n"
              "print(f'temperature/humidity correlation: {correlation:.3f}')"),
        new_markdown_cell("## Spikes"),
        _code("limit = readings['temperature'].mean() + 2 * readings['temperature'].std()\n"
              "spikes = readings[readings['temperature'] > limit]\nprint(len(spikes), 'readings above', round(limit, 2))"),
    ]
    return _finish(new_notebook(cells=cells))


def report() -> nbformat.NotebookNode:
    """papermill's convention: a `parameters` cell; every run of the sweep writes one report."""
    cells = [
        new_markdown_cell("# Demand report\n"
                          "Parameterised the papermill way (a cell tagged `parameters`). Run it as a sweep:\n\n"
                          "`kale-like run examples/report.ipynb --sweep region=north,south --sweep growth=0.02,0.05`"),
        _code("region = 'north'\ngrowth = 0.02\nweeks = 12", "parameters"),
        new_markdown_cell("## Baseline"),
        _code("import math\nbases = {'north': 120.0, 'south': 95.0, 'east': 80.0}\nbaseline = bases[region]\n"
              "history = [round(baseline * (1 + 0.1 * math.sin(w / 2)), 1) for w in range(weeks)]\nprint(history)"),
        new_markdown_cell("## Forecast"),
        _code("forecast = [round(history[-1] * (1 + growth) ** w, 1) for w in range(1, 5)]\n"
              "total = round(sum(forecast), 1)\nprint(f'{region}: next four weeks {forecast}, total {total}')"),
        _code("total", "pipeline-metrics"),
    ]
    return _finish(new_notebook(cells=cells))


def from_kale() -> nbformat.NotebookNode:
    """Written the way Kale's panel writes notebooks, MiniKF settings included."""
    cells = [
        new_markdown_cell("# Dice tournament (written for Kale)\n"
                          "Tagged in Kale's panel: `block:` and `prev:` tags, `imports`, `functions`, "
                          "`pipeline-parameters`, `pipeline-metrics`, `skip`, and the metadata Kale keeps under "
                          "`kubeflow_notebook`, including a MiniKF volume clone. kale_like runs it unchanged."),
        _code("import random\nimport statistics", "imports"),
        _code("PLAYERS = 4\nROUNDS = 30\nSEED = 11", "pipeline-parameters"),
        _code("def roll(rng, dice=2):\n    return sum(rng.randint(1, 6) for _ in range(dice))", "functions"),
        _code("rng = random.Random(SEED)\nscores = {f'player{p}': [roll(rng) for _ in range(ROUNDS)] "
              "for p in range(1, PLAYERS + 1)}\nprint(len(scores), 'players rolled', ROUNDS, 'times')", "block:play"),
        # Kale's panel leaves an empty "block:" when a step name is cleared: the cell continues the step above.
        _code("print('first rolls:', {p: s[:3] for p, s in scores.items()})", "block:"),
        _code("means = {p: statistics.mean(s) for p, s in scores.items()}\nmeans", "block:summarise", "prev:play"),
        _code("best = max(scores, key=lambda p: sum(scores[p]))\nprint('winner:', best)",
              "block:winner", "prev:play"),
        _code("scores['player1'][:10]", "skip"),
        _code("top_mean = max(means.values())\nspread = round(max(means.values()) - min(means.values()), 3)",
              "block:report", "prev:summarise", "prev:winner"),
        _code("top_mean\nspread", "pipeline-metrics"),
    ]
    notebook = _finish(new_notebook(cells=cells))
    notebook.metadata["kubeflow_notebook"] = {
        "autosnapshot": True,
        "docker_image": "",
        "experiment": {"id": "new", "name": "dice"},
        "experiment_name": "dice",
        "katib_metadata": {"algorithm": {"algorithmName": "grid"}, "maxFailedTrialCount": 3, "maxTrialCount": 12,
                           "objective": {"objectiveMetricName": "", "type": "minimize"}, "parallelTrialCount": 3,
                           "parameters": []},
        "katib_run": False,
        "pipeline_description": "Roll dice for a few players and crown a winner",
        "pipeline_name": "dice-tournament",
        "snapshot_volumes": True,
        "steps_defaults": ["label:access-ml-pipeline:true"],
        "volume_access_mode": "rwm",
        "volumes": [{"annotations": [], "mount_point": "/home/jovyan", "name": "workspace-dice-abc12",
                     "size": 5, "size_type": "Gi", "snapshot": False, "type": "clone"}],
    }
    return notebook


def _stable_ids(notebook: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """Cell ids from the position, so regenerating leaves unchanged notebooks byte for byte the same."""
    stem = os.path.splitext(name)[0].replace("_", "-")
    for number, cell in enumerate(notebook.cells, 1):
        cell["id"] = f"{stem}-{number}"
    return notebook


NOTEBOOKS = {"quickstart.ipynb": quickstart, "classifier.ipynb": classifier, "exploration.ipynb": exploration,
             "report.ipynb": report, "from_kale.ipynb": from_kale}
DATA = {"sensors.csv": sensors_csv}


def render_all() -> dict[str, str]:
    """Every example file's text, as this script writes it."""
    files = {name: nbformat.writes(_stable_ids(make(), name)) + "\n" for name, make in NOTEBOOKS.items()}
    files.update({name: make() for name, make in DATA.items()})
    return files


if __name__ == "__main__":
    for name, text in render_all().items():
        with open(os.path.join(HERE, name), "w", encoding="utf-8") as handle:
            handle.write(text)
