"""Pipeline settings from notebook metadata, every value checked when the notebook is read.

A setting that passes here cannot fail later: ``timeout: "abc"`` or ``retries: -1`` in
``step_defaults`` used to pass ``validate`` and crash mid-run. Each error names the
metadata key, the value and what it should be.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import NotebookError, TagError
from .model import NotebookSettings
from .tags import ENV_NAME, IMAGE_REF, QUANTITY, RESOURCE_KEY, parse_tags

_STEP_DEFAULT_KEYS = ("image", "limits", "requests", "annotations", "labels", "cache", "env", "retries", "timeout")


def read_settings(meta: Any) -> NotebookSettings:
    """``metadata.kubeflow_notebook`` (Kale's) overlaid with ``metadata.kale_like``."""
    meta = _mapping(meta, "metadata")
    ours: dict[str, Any] = {}
    for key in ("kubeflow_notebook", "kale_like"):
        ours.update(_mapping(meta.get(key), f"metadata.{key}"))
    experiment = ours.get("experiment_name", ours.get("experiment"))
    if isinstance(experiment, dict):
        experiment = experiment.get("name")
    volumes = ours.get("volumes") or []
    if not isinstance(volumes, list) or not all(isinstance(v, dict) for v in volumes):
        raise _bad("volumes", volumes, "a list of objects like {\"type\": \"pvc\", \"name\": …, \"mount_point\": …}")
    volumes, minikf_only = _without_minikf_settings(ours, volumes)
    return NotebookSettings(
        pipeline_name=_text(ours, "pipeline_name"),
        description=_text(ours, "pipeline_description") or _text(ours, "description") or "",
        experiment=_text({"experiment_name": experiment}, "experiment_name"),
        base_image=_image(ours.get("docker_image", ours.get("base_image")) or None, "base_image"),
        kfp_host=_text(ours, "kfp_host"),
        step_defaults=_overlay(_kale_steps_defaults(ours.get("steps_defaults")),
                               _step_defaults(ours.get("step_defaults"))),
        volumes=tuple(volumes),
        minikf_only=tuple(minikf_only),
    )


# Kale's metadata flags that only MiniKF acts on (Rok snapshots; Kale's Katib trials start
# from them): what each asks for, and what happens to it here.
MINIKF_FLAGS = {
    "snapshot_volumes": ("snapshot the notebook's volumes before the run", "ignored (no snapshot is taken)"),
    "autosnapshot": ("snapshot every step's volumes after it runs", "ignored (no snapshot is taken)"),
    "katib_run": ("run a Katib hyperparameter search from a snapshot of the notebook",
                  "ignored (the pipeline runs once, with its defaults; --sweep runs a grid locally)"),
}


def _without_minikf_settings(meta: dict[str, Any], volumes: list[Any]) -> tuple[list[Any], list[str]]:
    """Drop the settings only MiniKF can honour, with a sentence for each saying what happens.

    Kale accepts them anywhere and MiniKF acts on them; elsewhere there is no Rok to
    clone or snapshot with, so refusing the notebook would only block a run that works.
    """
    kept, notes = [], []
    for number, volume in enumerate(volumes):
        if isinstance(volume, dict) and volume.get("type") == "clone":
            notes.append(f"notebook metadata: volumes[{number}] ('{volume.get('name', '')}' at "
                         f"{volume.get('mount_point', '?')}) is a MiniKF clone of the notebook's volume; "
                         "kale_like does not clone volumes, so it is left out and steps run without it "
                         "(list an existing claim with type 'pvc' to mount it)")
        else:
            kept.append(volume)
    for flag, (meaning, outcome) in MINIKF_FLAGS.items():
        if meta.get(flag):
            notes.append(f"notebook metadata: {flag} asks MiniKF to {meaning}; {outcome}")
    return kept, notes


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise NotebookError(f"notebook {where} must be an object, not {_kind(value)}")
    return value


def _text(settings: dict[str, Any], key: str) -> str | None:
    value = settings.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _bad(key, value, "a string")
    return value


def _image(value: Any, key: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not IMAGE_REF.fullmatch(value):
        raise _bad(key, value, "a container image reference such as python:3.11-slim")
    return value


def _step_defaults(value: Any) -> dict[str, Any]:
    """The defaults every step starts from, normalised to the shapes tags produce."""
    defaults = _mapping(value, "metadata.kale_like.step_defaults")
    unknown = sorted(set(defaults) - set(_STEP_DEFAULT_KEYS))
    if unknown:
        raise NotebookError(f"notebook metadata: unknown step_defaults key {unknown[0]!r}",
                            hint=f"the keys are {', '.join(_STEP_DEFAULT_KEYS)}")
    checked: dict[str, Any] = {}
    if defaults.get("image") is not None:
        checked["image"] = _image(defaults["image"], "step_defaults.image")
    for key in ("limits", "requests"):
        checked[key] = _pairs(defaults.get(key), key, lambda k: bool(RESOURCE_KEY.fullmatch(k)),
                              lambda v: bool(QUANTITY.fullmatch(v)), "resource: quantity (e.g. memory: 2Gi)")
    for key in ("annotations", "labels"):
        checked[key] = _pairs(defaults.get(key), key, lambda k: bool(RESOURCE_KEY.fullmatch(k)), lambda v: True,
                              "key: text")
    checked["env"] = _pairs(defaults.get("env"), "env", lambda k: bool(ENV_NAME.fullmatch(k)), lambda v: True,
                            "NAME: text")
    cache = defaults.get("cache")
    if cache is not None and not isinstance(cache, bool):
        raise _bad("step_defaults.cache", cache, "true or false")
    checked["cache"] = cache
    checked["retries"] = _count(defaults.get("retries"), "step_defaults.retries", minimum=0)
    checked["timeout"] = _count(defaults.get("timeout"), "step_defaults.timeout", minimum=1)
    return checked


def _kale_steps_defaults(value: Any) -> dict[str, Any]:
    """Kale's ``steps_defaults``: tags every step carries (MiniKF writes
    ``label:access-ml-pipeline:true``), read with the tag grammar."""
    if value is None or value == []:
        return {}
    if not isinstance(value, list):
        raise NotebookError(f"notebook metadata: kubeflow_notebook.steps_defaults must be a list of tags, "
                            f"not {_kind(value)}",
                            hint='e.g. ["label:access-ml-pipeline:true", "limit:memory:2Gi"]')
    try:
        tags = parse_tags(value, 0)
    except TagError as exc:
        raise NotebookError(f"notebook metadata: kubeflow_notebook.steps_defaults: {exc.message}",
                            hint=exc.hint) from None
    if tags.step or tags.role or tags.prev or tags.secrets or tags.raises_exception:
        raise NotebookError("notebook metadata: kubeflow_notebook.steps_defaults holds a tag that is not a step "
                            f"setting ({', '.join(map(str, value))})",
                            hint="only limit:, request:, image:, annotation:, label:, cache:, env:, retries: "
                                 "and timeout: tags apply to every step")
    return {"image": tags.image, "limits": dict(tags.limits), "requests": dict(tags.requests),
            "annotations": dict(tags.annotations), "labels": dict(tags.labels), "env": dict(tags.env),
            "cache": tags.cache, "retries": tags.retries, "timeout": tags.timeout}


def _overlay(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """``top``'s settings over ``base``'s: mappings merged key by key, single values replaced."""
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, dict):
            merged[key] = {**(base.get(key) or {}), **value}
        elif value is not None or key not in merged:
            merged[key] = value
    return merged


def _pairs(value: Any, key: str, key_ok: Callable[[str], bool], value_ok: Callable[[str], bool],
           shape: str) -> dict[str, str]:
    where = f"step_defaults.{key}"
    mapping = _mapping(value, f"metadata.kale_like.{where}")
    pairs = {}
    for name, item in mapping.items():
        if isinstance(item, bool) or not isinstance(item, (str, int, float)):
            raise _bad(f"{where}.{name}", item, "a string or a number")
        text = str(item)
        if not key_ok(name) or not value_ok(text):
            raise _bad(where, {name: item}, shape)
        pairs[name] = text
    return pairs


def _count(value: Any, key: str, minimum: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        what = "a whole number of seconds, at least 1" if minimum else "a whole number, 0 or more"
        raise _bad(key, value, what)
    return value


def _bad(key: str, value: Any, expected: str) -> NotebookError:
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return NotebookError(f"notebook metadata: kale_like.{key} is {shown}; it must be {expected}")


def _kind(value: Any) -> str:
    return {list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__)
