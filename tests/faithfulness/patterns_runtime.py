"""Pattern notebooks about hidden process state and about what a cell shows.

Randomness streams, files, the environment and working directory, library
configuration, pyplot figures, IPython magics and shell lines, trailing-expression
display, local modules and the common library workflows (numpy, pandas, scikit-learn).
"""
from __future__ import annotations

from .pattern_model import Pattern, section

ALL_SPLITS = ("cells", "headings", "tags")

HELPERS_MODULE = """
CONSTANT = 7

def double(x):
    return 2 * x
"""

WARNING_MODULE = """
import warnings

def old():
    warnings.warn('old() is deprecated', UserWarning)
    return 1
"""

RANDOMNESS_PATTERNS = (
    Pattern("random_module_seeded", (
        section("Seed", "import random\nrandom.seed(0)"),
        section("Draw", "print(random.random())", "print(random.randint(1, 100))"),
        section("Draw more", "deck = list(range(6))\nrandom.shuffle(deck)\nprint(deck)",
                "print(random.random())"),
    ), splits=ALL_SPLITS, runs=2),
    Pattern("numpy_random_seeded", (
        section("Seed", "import numpy as np\nnp.random.seed(0)"),
        section("Legacy draws", "a = np.random.rand(3)\nprint(a)", "print(np.random.rand(2))"),
        section("Generator", "rng = np.random.default_rng(0)", "print(rng.random())",
                "print(rng.integers(0, 100, 3))"),
    ), splits=ALL_SPLITS),
)

FILE_AND_PROCESS_PATTERNS = (
    Pattern("file_written_then_read", (
        section("Write", """
            import time
            time.sleep(0.5)
            with open('data.txt', 'w') as fh:
                fh.write('alpha\\nbeta\\n')
            """),
        section("Read", "print(open('data.txt').read().split())"),
        section("Tables", "import pandas as pd\npd.DataFrame({'v': [1, 2]}).to_csv('table.csv', index=False)",
                "print(pd.read_csv('table.csv').v.sum())"),
    ), splits=ALL_SPLITS, runs=2),
    Pattern("local_module", (
        section("Import", "import my_helpers\nfrom my_helpers import double"),
        section("Use", "print(my_helpers.double(my_helpers.CONSTANT), double(5), my_helpers.__name__)"),
    ), files={"my_helpers.py": HELPERS_MODULE}, splits=ALL_SPLITS),
    Pattern("local_module_state", (
        section("Import", "import my_helpers"),
        section("Configure", "my_helpers.CONSTANT = 8"),
        section("Use", "print(my_helpers.CONSTANT, my_helpers.double(my_helpers.CONSTANT))"),
    ), files={"my_helpers.py": HELPERS_MODULE}),
    Pattern("environ_changes", (
        section("Set", "import os\nos.environ['PIPELINE_FLAG'] = 'on'"),
        section("Read", "print(os.environ.get('PIPELINE_FLAG'))",
                "import subprocess\nprint(subprocess.run(['sh', '-c', 'echo $PIPELINE_FLAG'], "
                "capture_output=True, text=True).stdout.strip())"),
    ), splits=ALL_SPLITS, runs=2),
    Pattern("chdir_changes", (
        section("Move", "import os\nos.makedirs('work', exist_ok=True)\nos.chdir('work')"),
        section("Write", "with open('out.txt', 'w') as fh:\n    fh.write('x')\n"
                         "print(os.path.basename(os.getcwd()))"),
        section("Read", "print(sorted(os.listdir('.')), os.path.exists('../work/out.txt'))"),
    ), splits=ALL_SPLITS),
)

CONFIG_PATTERNS = (
    Pattern("pandas_options", (
        section("Configure", "import pandas as pd\npd.set_option('display.max_rows', 5)"),
        section("Show", "df = pd.DataFrame({'n': range(20)})", "df", "print(df)",
                "print(pd.get_option('display.max_rows'))"),
    ), splits=ALL_SPLITS),
    Pattern("numpy_printoptions", (
        section("Configure", "import numpy as np\nnp.set_printoptions(precision=2)"),
        section("Show", "a = np.array([1 / 3, 2 / 3, 1.0])", "print(a)", "a"),
    ), splits=ALL_SPLITS),
    Pattern("warnings_filter", (
        section("Configure", "import warnings\nwarnings.filterwarnings('ignore', category=UserWarning)"),
        section("Warn", "warnings.warn('hidden by the filter')\nprint('after hidden')",
                "warnings.warn('shown', RuntimeWarning)"),
        section("Repeat", "def noisy():\n    warnings.warn('from a function', RuntimeWarning)",
                "noisy()", "noisy()"),
    ), splits=ALL_SPLITS),
    Pattern("warning_from_module", (
        section("Import", "import old_api"),
        section("Call", "old_api.old()\nold_api.old()\nprint('called twice')", "old_api.old()"),
        section("Again", "print(old_api.old())"),
    ), files={"old_api.py": WARNING_MODULE}, splits=ALL_SPLITS),
    Pattern("matplotlib_rcparams", (
        section("Configure", "import matplotlib.pyplot as plt\nplt.rcParams['figure.figsize'] = (3, 2)"),
        section("Plot", "plt.plot([1, 2])\nprint(plt.gcf().get_size_inches())"),
    ), splits=ALL_SPLITS),
)

FIGURE_PATTERNS = (
    Pattern("figure_across_cells", (
        section("Create", "import matplotlib.pyplot as plt", "fig, ax = plt.subplots()"),
        section("Draw", "ax.plot([1, 2, 3], [1, 4, 9])", "ax.set_title('squares');"),
        section("Show", "fig", "print(len(ax.lines), ax.get_title())"),
    ), splits=ALL_SPLITS),
    Pattern("pyplot_state", (
        section("Inline", "%matplotlib inline\nimport matplotlib.pyplot as plt", "plt.plot([1, 2, 3])"),
        section("Implicit figures", "plt.title('a title')", "print(plt.get_fignums())"),
        section("Explicit", "plt.figure(figsize=(3, 2))\nplt.bar(['a', 'b'], [1, 2])\nplt.show()",
                "fig = plt.figure()\nplt.close(fig)"),
    ), splits=ALL_SPLITS),
)

MAGIC_PATTERNS = (
    Pattern("shell_lines", (
        section("Shell", "!echo hi", "out = !echo one two\nprint(out, type(out).__name__)"),
        section("Expansion", "name = 'world'", "!echo hello $name {1 + 2}"),
    ), splits=ALL_SPLITS),
    Pattern("magic_env", (
        section("Set", "%env GREETING=hello"),
        section("Read", "import os\nprint(os.environ['GREETING'])", "%env GREETING"),
    )),
    Pattern("magic_capture", (
        section("Capture", "%%capture captured\nprint('inside')"),
        section("Report", "print(repr(captured.stdout))"),
    )),
    Pattern("magic_writefile", (
        section("Write", "%%writefile generated_mod.py\nVALUE = 41\n"),
        section("Import", "import generated_mod\nprint(generated_mod.VALUE + 1)"),
    )),
    Pattern("magic_precision", (
        section("Configure", "%precision 3"),
        section("Show", "import math\nmath.pi", "print(math.pi)"),
    )),
)

DISPLAY_PATTERNS = (
    Pattern("trailing_expression_display", (
        section("Values", "import pandas as pd\ndf = pd.DataFrame({'a': [1, 2], 'b': [3.5, 4.5]})",
                "df", "41 + 1", "None", "x = 5\nx;"),
        section("Display", "from IPython.display import display\ndisplay(df.a.sum())\n"
                           "display('text', 3)\nprint('after display')",
                "print('p')\nx * 2", "if True:\n    x", "df.b.mean()  # a comment", "(x, x)"),
    ), splits=ALL_SPLITS),
    Pattern("wide_dataframe_repr", (
        section("Make", "import pandas as pd\n"
                        "wide = pd.DataFrame({f'column_{i}': [i * 1000.5, -i] for i in range(12)})"),
        section("Show", "print(wide)", "wide", "print(pd.get_option('display.max_columns'))"),
    ), splits=ALL_SPLITS),
    Pattern("output_history", (
        section("Compute", "6 * 7"),
        section("Reuse", "_ + 1", "print(_, __, Out[1])"),
    )),
)

LIBRARY_PATTERNS = (
    Pattern("large_numpy_array", (
        section("Make", "import hashlib\nimport numpy as np",
                "big = np.arange(50 * 2**20 // 8, dtype=np.float64)\nprint(big.nbytes)"),
        section("Mutate", "big[::2] *= 2"),
        section("Check", "print(big.sum(), hashlib.sha256(big.tobytes()).hexdigest()[:16])"),
    )),
    Pattern("pandas_workflow", (
        section("Load", """
            import pandas as pd
            sales = pd.DataFrame({'store': ['s1', 's2', 's3', 's1', 's2', 's3'],
                                  'price': [2.0, 3.0, 4.0, 2.5, 3.5, 4.5],
                                  'qty': [10, 20, 30, 40, 50, 60]})
            regions = pd.DataFrame({'store': ['s1', 's2', 's3'], 'region': ['north', 'south', 'north']})
            """),
        section("Transform", "sales['total'] = sales.price * sales.qty",
                "sales.rename(columns={'qty': 'quantity'}, inplace=True)",
                "merged = sales.merge(regions, on='store')"),
        section("Summarize", "summary = merged.groupby('region')['total'].agg(['sum', 'mean'])\nsummary",
                "merged.sort_values('total', ascending=False, inplace=True)\nprint(merged.head(3))",
                "merged.groupby('region').quantity.sum()"),
    ), splits=ALL_SPLITS + ("auto",)),
    Pattern("sklearn_workflow", (
        section("Data", """
            from sklearn.datasets import load_iris
            from sklearn.linear_model import LogisticRegression
            from sklearn.model_selection import train_test_split
            X, y = load_iris(return_X_y=True)
            X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
            """),
        section("Fit", "clf = LogisticRegression(max_iter=1000)", "clf.fit(X_train, y_train)"),
        section("Evaluate", "print(clf.predict(X_test[:5]))", "print(round(clf.score(X_test, y_test), 4))"),
    ), splits=ALL_SPLITS),
)

RUNTIME_PATTERNS = (RANDOMNESS_PATTERNS + FILE_AND_PROCESS_PATTERNS + CONFIG_PATTERNS + FIGURE_PATTERNS
                    + MAGIC_PATTERNS + DISPLAY_PATTERNS + LIBRARY_PATTERNS)
