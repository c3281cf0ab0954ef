"""A step's settings (tags, notebook defaults, volumes) as task calls in the pipeline function.

Everything a tag says lands in the IR: resources, retries and caching through
``PipelineTask`` methods; timeouts, secrets, pod metadata and volumes through
``kfp-kubernetes`` (which the compiler writes into the IR's platform section).
Settings KFP cannot express are reported, not silently dropped.
"""
from __future__ import annotations

from typing import Any

from ..errors import PipelineError
from ..notebook.tag_grammar import GRAMMAR
from ..pipeline import StepSettings

ACCELERATORS = GRAMMAR.accelerators


def task_settings(task: str, step: str, settings: StepSettings, volumes: tuple[dict[str, Any], ...]) -> tuple[list[str], list[str], bool]:
    """(source lines, warnings, whether kfp-kubernetes is used) for one task variable."""
    lines = [f"{task}.set_display_name({step!r})"]
    warnings: list[str] = []
    lines += _limits(task, step, settings, warnings)
    lines += _requests(task, step, settings, warnings)
    if settings.retries is not None:
        lines.append(f"{task}.set_retry(num_retries={int(settings.retries)})")
    if settings.cache is not None:
        lines.append(f"{task}.set_caching_options(enable_caching={bool(settings.cache)})")
    for name, value in settings.env:
        lines.append(f"{task}.set_env_variable({name!r}, {value!r})")
    platform = _platform(task, settings, volumes)
    return lines + platform, warnings, bool(platform)


def _limits(task: str, step: str, settings: StepSettings, warnings: list[str]) -> list[str]:
    lines = []
    accelerators = [(k, v) for k, v in settings.limits if "/" in k]
    if len(accelerators) > 1:
        raise PipelineError(f"step '{step}' asks for two kinds of accelerator ({', '.join(k for k, _ in accelerators)})",
                            hint="KFP gives a task one accelerator type; keep one limit:<vendor>/gpu tag")
    for key, value in settings.limits:
        if key == "cpu":
            lines.append(f"{task}.set_cpu_limit({value!r})")
        elif key == "memory":
            lines.append(f"{task}.set_memory_limit({value!r})")
        elif "/" in key:
            if key not in ACCELERATORS:
                warnings.append(f"step '{step}': accelerator '{key}' is passed to KFP as is")
            lines.append(f"{task}.set_accelerator_type({key!r})")
            lines.append(f"{task}.set_accelerator_limit({value!r})")
        else:
            warnings.append(f"step '{step}': KFP has no task setting for limit '{key}'; ignored")
    return lines


def _requests(task: str, step: str, settings: StepSettings, warnings: list[str]) -> list[str]:
    lines = []
    for key, value in settings.requests:
        if key == "cpu":
            lines.append(f"{task}.set_cpu_request({value!r})")
        elif key == "memory":
            lines.append(f"{task}.set_memory_request({value!r})")
        else:
            warnings.append(f"step '{step}': KFP has no task setting for request '{key}' (accelerators "
                            f"take limits only); ignored")
    return lines


def _platform(task: str, settings: StepSettings, volumes: tuple[dict[str, Any], ...]) -> list[str]:
    lines = []
    if settings.timeout is not None:
        lines.append(f"kubernetes.set_timeout({task}, {int(settings.timeout)})")
    for secret, key, env in settings.secrets:
        lines.append(f"kubernetes.use_secret_as_env({task}, secret_name={secret!r}, "
                     f"secret_key_to_env={{{key!r}: {env!r}}})")
    for key, value in settings.annotations:
        lines.append(f"kubernetes.add_pod_annotation({task}, {key!r}, {value!r})")
    for key, value in settings.labels:
        lines.append(f"kubernetes.add_pod_label({task}, {key!r}, {value!r})")
    for volume in volumes:
        claim, path = volume_claim(volume)
        lines.append(f"kubernetes.mount_pvc({task}, pvc_name={claim!r}, mount_path={path!r})")
    return lines


def volume_claim(volume: dict[str, Any]) -> tuple[str, str]:
    """(claim name, mount path) of an existing PVC from ``metadata.kale_like.volumes``.

    Accepts Kale's spelling (``{"type": "pvc", "name": …, "mount_point": …}``) and
    ``claim``/``pvc_name`` plus ``mount_path``.
    """
    if not isinstance(volume, dict):
        raise PipelineError("notebook metadata: each entry of kale_like.volumes must be a mapping")
    kind = volume.get("type", "pvc")
    claim = volume.get("claim") or volume.get("pvc_name") or volume.get("name")
    path = volume.get("mount_path") or volume.get("mount_point") or volume.get("mountPath")
    if kind != "pvc":
        raise PipelineError(f"notebook metadata: volume type '{kind}' is not supported",
                            hint="create the claim beforehand and list it with type 'pvc'")
    if not claim or not path or not str(path).startswith("/"):
        raise PipelineError(f"notebook metadata: volume {volume!r} needs a claim name and an absolute mount path",
                            hint='e.g. {"type": "pvc", "name": "data", "mount_point": "/data"}')
    return str(claim), str(path)
