"""Files the notebook reads from its folder: shipped inside the components, read from a volume, or refused."""
from __future__ import annotations

import base64
import gzip
import io
import json
import re
import tarfile

import pytest

from kale_like.errors import PipelineError
from kale_like.kfp.files import SHIP_LIMIT, files_read
from kale_like.notebook import load_notebook

from kfp_harness import compile_ir, executor, platform_executor, write_notebook

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def _shipped(ir: dict, function: str) -> dict[str, bytes]:
    source = executor(ir, function)["container"]["command"][-1]
    archive = re.search(r"__KFP_EMBEDDED_ARCHIVE_B64 = '([^']+)'", source).group(1)
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(base64.b64decode(archive)))) as tar:
        return {m.name.removeprefix("./"): tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


def test_literal_paths_in_calls_name_the_files_read(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.csv").write_text("x\n1\n")
    (tmp_path / "b.txt").write_text("hi")
    path = write_notebook(tmp_path, "import pandas as pd\ndf = pd.read_csv('data/a.csv')",
                          "text = open(file='b.txt').read()\nname = 'b.txt'",  # a bare literal is not a read
                          "open('missing.csv')\nopen('/etc/hostname')\nopen('../outside.txt')")
    (tmp_path.parent / "outside.txt").write_text("no")
    found = files_read(load_notebook(path))
    assert [(f.relative, f.cell) for f in found] == [("data/a.csv", 1), ("b.txt", 2)]


def test_small_files_travel_inside_the_components(tmp_path):
    (tmp_path / "houses.csv").write_text("rooms,price\n2,100\n")
    path = write_notebook(tmp_path, "import csv\nrows = list(csv.reader(open('houses.csv')))", "print(rows)")
    compiled, ir, _ = compile_ir(path, split="cells", image="registry.example/step:1")
    assert [f.relative for f in compiled.files.shipped] == ["houses.csv"]
    files = _shipped(ir, compiled.components[0].function)
    assert files["notebook_files/houses.csv"] == b"rooms,price\n2,100\n"
    assert json.loads(files["notebook_files/on_volume.json"]) == {}
    assert "kale_like/runtime/kfp_entry.py" in files


def test_large_file_without_a_volume_is_refused_naming_file_and_cell(tmp_path):
    (tmp_path / "big.csv").write_bytes(b"0" * (SHIP_LIMIT + 1))
    path = write_notebook(tmp_path, "x = 1", "import pandas as pd\ndf = pd.read_csv('big.csv')")
    with pytest.raises(PipelineError, match=r"cell 2: cell 2 reads 'big.csv' .* too large") as caught:
        compile_ir(path, image="registry.example/step:1")
    assert "notebook_files" in str(caught.value)


def test_large_file_is_read_from_the_marked_volume(tmp_path):
    (tmp_path / "big.csv").write_bytes(b"0" * (SHIP_LIMIT + 1))
    volume = {"type": "pvc", "name": "data", "mount_point": "/data", "notebook_files": True}
    path = write_notebook(tmp_path, "import pandas as pd\ndf = pd.read_csv('big.csv')", metadata={"volumes": [volume]})
    compiled, ir, platform = compile_ir(path, image="registry.example/step:1")
    assert compiled.files.on_volume == {"big.csv": "/data/big.csv"}
    files = _shipped(ir, compiled.components[0].function)
    assert json.loads(files["notebook_files/on_volume.json"]) == {"big.csv": "/data/big.csv"}
    assert "notebook_files/big.csv" not in files
    mount = platform_executor(platform, compiled.components[0].function)["pvcMount"][0]
    assert mount["mountPath"] == "/data"


def test_equal_notebooks_compile_to_equal_components(tmp_path):
    (tmp_path / "a.csv").write_text("x\n1\n")
    path = write_notebook(tmp_path, "print(open('a.csv').read())")
    _, first, _ = compile_ir(path, image="registry.example/step:1")
    _, second, _ = compile_ir(path, image="registry.example/step:1")
    assert first["deploymentSpec"] == second["deploymentSpec"]  # KFP's cache keys on the component


def test_files_a_local_run_opened_are_shipped_too(tmp_path, monkeypatch):
    """A path built at run time is invisible statically; the local run's audit hook saw it."""
    from kale_like import api

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = tmp_path / "nb"
    folder.mkdir()
    (folder / "part_1.txt").write_text("one\n")
    (folder / "unread.txt").write_text("never opened\n")
    path = write_notebook(folder, "stem = 'part'\nnumber = 1", "text = open(f'{stem}_{number}.txt').read()",
                          "with open('made.txt', 'w') as out:\n    out.write('mine')\nprint(open('made.txt').read(), text)")
    _, ir, _ = compile_ir(path, split="cells", image="registry.example/step:1")
    assert not any(name.startswith("notebook_files/part") for name in _shipped(ir, "cell_2"))
    result = api.run(path, out=str(tmp_path / "o.ipynb"), split="cells")
    assert result.ok, result.error
    compiled, ir, _ = compile_ir(path, split="cells", image="registry.example/step:1")
    assert [(f.relative, f.cell) for f in compiled.files.shipped] == [("part_1.txt", 2)]
    assert _shipped(ir, "cell_2")["notebook_files/part_1.txt"] == b"one\n"


def test_files_a_step_writes_travel_to_the_step_that_reads_them(tmp_path):
    path = write_notebook(tmp_path, "with open('table.txt', 'w') as out:\n    out.write('a b')", "x = 2",
                          "print(open('table.txt').read(), x)")
    _, ir, _ = compile_ir(path, split="cells", image="registry.example/step:1")
    reader = ir["root"]["dag"]["tasks"]["cell-3"]
    source = reader["inputs"]["artifacts"]["kale_files_in"]["taskOutputArtifact"]
    assert source == {"outputArtifactKey": "kale_files", "producerTask": "cell-1"}
    assert "kale_files" not in ir["components"]["comp-cell-2"].get("outputDefinitions", {}).get("artifacts", {})


def test_written_files_reach_a_later_step_under_kfp_local(tmp_path):
    from kale_like import api

    path = write_notebook(tmp_path / "nb", "import json\nwith open('state.json', 'w') as out:\n    json.dump([1, 2], out)",
                          "import json\nprint(json.load(open('state.json')))")
    result = api.run(path, out=str(tmp_path / "o.ipynb"), split="cells", backend="kfp-local",
                     workdir=str(tmp_path / "w"))
    assert result.ok, result.error
    import nbformat

    assert nbformat.read(result.output, as_version=4).cells[1].outputs[0]["text"] == "[1, 2]\n"
