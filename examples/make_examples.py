"""Regenerate the bundled example notebooks with nbformat (never hand-written JSON).

Run: python examples/make_examples.py
"""
from __future__ import annotations

import os

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = os.path.dirname(os.path.abspath(__file__))


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


if __name__ == "__main__":
    nbformat.write(quickstart(), os.path.join(HERE, "quickstart.ipynb"))
