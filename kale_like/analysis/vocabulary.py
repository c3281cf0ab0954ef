"""What we know about the world outside the notebook: which calls mutate, which
configure libraries, which touch files or the global random streams.

Lists are deliberately conservative in the direction that keeps results right:
an unknown method call on a name is assumed to mutate it; an unknown function
receiving a name as argument is assumed to mutate it, unless the function comes
from a well-known library that does not mutate its arguments.
"""
from __future__ import annotations

import builtins

BUILTIN_NAMES = frozenset(dir(builtins)) | {"display", "get_ipython", "__file__", "In", "Out", "_", "__", "___"}

# Methods that never change their receiver (unless called with inplace=True).
PURE_METHODS = frozenset("""
head tail describe info copy sum mean median std var min max count unique nunique value_counts
groupby agg aggregate apply map applymap astype to_numpy tolist to_list to_dict to_string to_frame
reshape ravel flatten transpose dot predict predict_proba predict_log_proba decision_function score
transform inverse_transform get_params get_feature_names_out keys values items get index split strip
lstrip rstrip lower upper title format startswith endswith join replace find rfind encode decode
summary corr cov round abs any all argmax argmin argsort cumsum cumprod
query filter merge isna isnull notna notnull dropna fillna sort_values sort_index reset_index set_index
drop rename pivot pivot_table melt stack unstack sample nlargest nsmallest idxmax idxmin quantile
rolling expanding resample shift diff pct_change clip where mask isin between duplicated
drop_duplicates memory_usage select_dtypes iterrows itertuples iteritems equals all_close allclose
conj real imag nonzero searchsorted squeeze swapaxes take repeat prod ptp trace view item
__len__ __getitem__ __contains__ __repr__ __str__ conf_int pvalues params fittedvalues
get_figure get_xlim get_ylim get_title get_legend_handles_labels
""".split())

# Methods that return a new object not sharing the receiver's contents.
FRESH_RESULT_METHODS = frozenset("""
copy deepcopy astype tolist to_list to_dict to_string sum mean median std var min max count describe
predict predict_proba predict_log_proba decision_function score transform fit_transform
inverse_transform format split join strip lower upper replace encode decode nunique value_counts
round abs corr cov quantile idxmax idxmin argmax argmin argsort summary to_numpy
""".split())

# Module functions that mutate an argument in place, by their last dotted name.
ARGUMENT_MUTATORS = frozenset("""
shuffle copyto put place putmask fill_diagonal heappush heappop heapify heapreplace heappushpop
insort insort_left insort_right setitem delitem iadd iand iconcat ifloordiv ilshift imod imul imatmul
ior ipow irshift isub itruediv ixor pack_into readinto
""".split())

# Module functions whose result shares memory or elements with an argument.
ALIASING_FUNCTIONS = frozenset("""
asarray asanyarray ascontiguousarray reshape ravel squeeze transpose atleast_1d atleast_2d
atleast_3d broadcast_to moveaxis swapaxes expand_dims
""".split())
ALIASING_BUILTINS = frozenset("list tuple set frozenset dict sorted reversed iter enumerate zip filter map next".split())

# Builtins that neither mutate their arguments nor return something sharing them.
PURE_BUILTINS = BUILTIN_NAMES - ALIASING_BUILTINS - {"exec", "eval", "globals", "locals", "vars",
                                                     "setattr", "delattr", "open", "__import__", "next"}

# Top-level roots of well-known libraries whose functions do not mutate arguments
# (apart from ARGUMENT_MUTATORS).
KNOWN_LIBRARIES = frozenset("""
numpy pandas scipy sklearn matplotlib seaborn statsmodels math statistics json re collections
itertools functools operator string textwrap datetime time decimal fractions imblearn mapie lmfit
networkx torch tensorflow keras xgboost lightgbm catboost plotly bokeh altair PIL skimage cv2
sympy numbers typing dataclasses enum pathlib copy pprint IPython uncertainties
""".split())

DYNAMIC_CALLS = frozenset({"eval", "exec", "globals", "locals", "vars", "__import__"})
DYNAMIC_MAGICS = frozenset({"run", "store", "who", "who_ls", "whos", "reset", "reset_selective",
                            "load", "xdel", "recall", "rerun", "macro"})
# ``%matplotlib`` backends whose figures stay open and update across cells.
INTERACTIVE_BACKENDS = frozenset({"notebook", "nbagg", "widget", "ipympl"})
# Magics whose argument is Python code we must analyze.
CODE_MAGICS = frozenset({"time", "timeit", "prun", "capture", "debug"})
CONFIG_MAGICS = frozenset({"matplotlib", "config", "env", "load_ext", "reload_ext", "autoreload",
                           "aimport", "precision", "cd", "pylab", "colors", "xmode"})
FILE_MAGICS = frozenset({"writefile", "store", "bash", "sh", "script", "system", "sx", "pip", "conda",
                         "mkdir", "rm", "cp", "mv", "ls", "cat", "less", "more", "pycat", "save",
                         "download", "html", "HTML", "javascript", "js", "svg", "latex", "markdown"})

# Library configuration: dotted call paths (after resolving import aliases).
CONFIG_CALLS = frozenset("""
matplotlib.pyplot.rc matplotlib.pyplot.rcdefaults matplotlib.pyplot.style.use matplotlib.pyplot.ion
matplotlib.pyplot.ioff matplotlib.pyplot.xkcd matplotlib.pyplot.set_cmap matplotlib.pyplot.switch_backend
matplotlib.rc matplotlib.rcdefaults matplotlib.style.use matplotlib.use matplotlib.rcParams.update
matplotlib.pyplot.rcParams.update
seaborn.set seaborn.set_theme seaborn.set_style seaborn.set_context seaborn.set_palette
seaborn.set_color_codes seaborn.reset_defaults seaborn.reset_orig
pandas.set_option pandas.reset_option pandas.options.display.max_rows pandas.describe_option
numpy.set_printoptions numpy.seterr numpy.set_string_function
sklearn.set_config
warnings.filterwarnings warnings.simplefilter warnings.resetwarnings
os.chdir os.putenv os.unsetenv os.environ.update os.environ.setdefault os.environ.pop os.umask
sys.path.append sys.path.insert sys.path.extend sys.setrecursionlimit
logging.basicConfig logging.disable
torch.set_printoptions torch.set_num_threads torch.set_default_dtype
IPython.display.set_matplotlib_formats matplotlib_inline.backend_inline.set_matplotlib_formats
statsmodels.api.show_versions
""".split())
# Assignment targets rooted at these dotted paths configure a library.
CONFIG_TARGET_ROOTS = ("matplotlib.rcParams", "matplotlib.pyplot.rcParams", "pandas.options",
                       "os.environ", "numpy.random.bit_generator", "sklearn.set_config")

# The legacy global random streams.
RNG_MODULES = ("random", "numpy.random")
RNG_NOT_GLOBAL = frozenset({"default_rng", "Generator", "RandomState", "SeedSequence", "BitGenerator",
                            "PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64", "SystemRandom", "Random"})
RNG_SEEDS = frozenset({"seed"})

# Calls that read or write files, by dotted path prefix or by method name.
FILE_CALLS = frozenset("""
open io.open os.remove os.rename os.replace os.mkdir os.makedirs os.unlink os.rmdir os.listdir
os.scandir os.walk os.system os.popen os.path.exists os.path.isfile os.path.isdir os.path.getsize
shutil glob subprocess tempfile numpy.save numpy.savez numpy.savez_compressed numpy.load
numpy.loadtxt numpy.savetxt numpy.genfromtxt numpy.fromfile pandas.read_csv pandas.read_parquet
pandas.read_json pandas.read_excel pandas.read_pickle pandas.read_table pandas.read_hdf
pandas.read_feather pandas.read_sql pandas.read_fwf pandas.ExcelWriter pandas.HDFStore joblib.dump joblib.load
pickle.dump pickle.load dill.dump dill.load json.dump json.load torch.save torch.load
matplotlib.pyplot.savefig matplotlib.pyplot.imread matplotlib.pyplot.imsave pathlib.Path
csv.reader csv.writer sqlite3.connect zipfile tarfile gzip.open bz2.open lzma.open
""".split())
FILE_METHODS = frozenset("""
to_csv to_parquet to_pickle to_json to_excel to_hdf to_feather to_sql to_stata to_latex to_html
to_markdown to_netcdf to_zarr savefig save load write_text write_bytes read_text read_bytes
mkdir unlink rmdir touch rename replace_file tofile dump write writelines
""".split())

UNTRAVELABLE_CALLS = {
    "open": "open file", "io.open": "open file", "gzip.open": "open file", "bz2.open": "open file",
    "lzma.open": "open file", "threading.Lock": "lock", "threading.RLock": "lock",
    "threading.Thread": "thread", "threading.Condition": "lock", "threading.Semaphore": "lock",
    "multiprocessing.Pool": "process pool", "multiprocessing.Lock": "lock",
    "socket.socket": "socket", "sqlite3.connect": "database connection",
    "concurrent.futures.ThreadPoolExecutor": "thread pool",
    "concurrent.futures.ProcessPoolExecutor": "process pool",
    "tempfile.TemporaryFile": "open file", "tempfile.NamedTemporaryFile": "open file",
}
