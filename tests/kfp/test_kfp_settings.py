"""Every tag's setting lands in the IR, where a KFP backend reads it."""
from __future__ import annotations

import pytest

from kale_like.errors import PipelineError

from kfp_harness import compile_ir, executor, platform_executor, task, write_notebook

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")

VOLUMES = [{"type": "pvc", "name": "shared-data", "mount_point": "/data"},
           {"claim": "models", "mount_path": "/models"}]


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("settings")
    path = write_notebook(
        folder,
        ("x = 1", ["step:train", "image:registry.example/train:1.2", "limit:cpu:2", "limit:memory:4Gi",
                   "limit:nvidia.com/gpu:1", "request:cpu:500m", "request:memory:1Gi", "retries:3",
                   "timeout:600", "cache:disabled", "env:MY_FLAG:on", "secret:s3-creds:access_key:AWS_ACCESS_KEY_ID",
                   "annotation:team:ml", "label:tier:gold"]),
        ("y = x + 1", ["step:score", "prev:train", "limit:amd.com/gpu:2", "cache:enabled"]),
        ("print(y)", ["step:report", "prev:score"]),
        metadata={"volumes": VOLUMES, "docker_image": "registry.example/base:7"})
    return compile_ir(path, split="tags")


def test_image_from_tag_and_from_notebook_metadata(compiled):
    _, ir, _ = compiled
    assert executor(ir, "train")["container"]["image"] == "registry.example/train:1.2"
    assert executor(ir, "score")["container"]["image"] == "registry.example/base:7"


def test_cpu_and_memory_limits_and_requests(compiled):
    resources = executor(compiled[1], "train")["container"]["resources"]
    assert resources["resourceCpuLimit"] == "2"
    assert resources["resourceMemoryLimit"] == "4Gi"
    assert resources["resourceCpuRequest"] == "500m"
    assert resources["resourceMemoryRequest"] == "1Gi"


def test_gpu_limits_of_either_vendor(compiled):
    _, ir, _ = compiled
    train = executor(ir, "train")["container"]["resources"]["accelerator"]
    score = executor(ir, "score")["container"]["resources"]["accelerator"]
    assert (train["resourceType"], train["resourceCount"]) == ("nvidia.com/gpu", "1")
    assert (score["resourceType"], score["resourceCount"]) == ("amd.com/gpu", "2")


def test_retries_and_cache(compiled):
    _, ir, _ = compiled
    assert task(ir, "train")["retryPolicy"]["maxRetryCount"] == 3
    assert task(ir, "train")["cachingOptions"] == {}
    assert task(ir, "score")["cachingOptions"] == {"enableCache": True}


def test_env_variable(compiled):
    assert {"name": "MY_FLAG", "value": "on"} in executor(compiled[1], "train")["container"]["env"]


def test_timeout_secret_annotation_label_through_kfp_kubernetes(compiled):
    config = platform_executor(compiled[2], "train")
    assert config["activeDeadlineSeconds"] == "600"
    assert config["secretAsEnv"] == [{"secretName": "s3-creds", "secretNameParameter": {"runtimeValue": {"constant": "s3-creds"}},
                                      "keyToEnv": [{"secretKey": "access_key", "envVar": "AWS_ACCESS_KEY_ID"}],
                                      "optional": False}]
    assert config["podMetadata"] == {"annotations": {"team": "ml"}, "labels": {"tier": "gold"}}


def test_pvc_volumes_from_notebook_metadata_on_every_step(compiled):
    for function in ("train", "score", "report"):
        mounts = platform_executor(compiled[2], function)["pvcMount"]
        assert [(m["pvcNameParameter"]["runtimeValue"]["constant"], m["mountPath"]) for m in mounts] == [
            ("shared-data", "/data"), ("models", "/models")]


def test_display_names_and_order(compiled):
    _, ir, _ = compiled
    assert task(ir, "score")["taskInfo"]["name"] == "score"
    assert task(ir, "report")["dependentTasks"] == ["score"]


def test_image_given_installs_nothing_and_installs_when_asked(tmp_path):
    path = write_notebook(tmp_path, "import yaml\nprint(yaml.__name__)")
    compiled, ir, _ = compile_ir(path, image="registry.example/step:1")
    command = executor(ir, "cell_1")["container"]["command"]
    assert "pip install" not in " ".join(command[:-1])
    assert compiled.image_reason == "steps run in registry.example/step:1 (from --image)"
    _, ir, _ = compile_ir(path, image="registry.example/step:1", install=True,
                          pip_index_urls=("http://mirror.local:8080/simple",))
    prelude = " ".join(executor(ir, "cell_1")["container"]["command"][:-1])
    assert "pyyaml==" in prelude and "--index-url http://mirror.local:8080/simple" in prelude
    assert "--trusted-host mirror.local:8080" in prelude


def test_two_accelerator_kinds_on_one_step_are_refused(tmp_path):
    path = write_notebook(tmp_path, ("x = 1", ["step:a", "limit:nvidia.com/gpu:1", "limit:amd.com/gpu:1"]))
    with pytest.raises(PipelineError, match="two kinds of accelerator"):
        compile_ir(path, split="tags")


def test_unsupported_settings_are_reported(tmp_path):
    path = write_notebook(tmp_path, ("x = 1", ["step:a", "limit:ephemeral-storage:1Gi"]))
    compiled, _, _ = compile_ir(path, split="tags")
    assert any("ephemeral-storage" in w for w in compiled.warnings)
