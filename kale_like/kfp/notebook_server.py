"""The image of the Kubeflow notebook server this process runs in, if it runs in one.

Kale's behaviour: inside a Kubeflow notebook server, pipeline steps default to the
server's own image, which by construction has the notebook's libraries. Kubeflow
starts notebook servers with ``NB_PREFIX=/notebook/<namespace>/<name>`` in the
environment; the pod is named by ``HOSTNAME`` and its namespace is in the mounted
service-account folder. The pod is read through the Kubernetes API (the server's
service account may read its own pod); the container named after the notebook holds
the image. Anything missing or refused means "not known": the caller falls back.
"""
from __future__ import annotations

import os
from typing import Any

NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"


def notebook_server_image(environ: dict[str, str] | None = None, read_pod: Any = None) -> str | None:
    env = os.environ if environ is None else environ
    prefix = env.get("NB_PREFIX", "")
    pod_name = env.get("HOSTNAME", "")
    if not prefix.startswith("/notebook/") or not pod_name:
        return None
    notebook = prefix.rstrip("/").rsplit("/", 1)[-1]
    namespace = _namespace(prefix)
    try:
        pod = (read_pod or _read_pod)(pod_name, namespace)
    except Exception:
        return None
    return container_image(pod, notebook)


def container_image(pod: Any, notebook: str) -> str | None:
    """The image of the container named after the notebook, else of the pod's first container."""
    containers = list(getattr(getattr(pod, "spec", None), "containers", None) or [])
    chosen = next((c for c in containers if getattr(c, "name", None) == notebook), containers[0] if containers else None)
    image = getattr(chosen, "image", None)
    return image or None


def _namespace(prefix: str) -> str:
    try:
        with open(NAMESPACE_FILE, encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError:
        parts = prefix.strip("/").split("/")  # /notebook/<namespace>/<name>
        return parts[1] if len(parts) >= 3 else "default"


def _read_pod(name: str, namespace: str) -> Any:
    from kubernetes import client, config

    config.load_incluster_config()
    return client.CoreV1Api().read_namespaced_pod(name, namespace, _request_timeout=5)
