"""Steps in containers: ``kfp.local.DockerRunner`` with the real exit code and nothing left behind.

Runs inside the kfp.local worker process (see :mod:`.local_worker`) and, for clean-up, in
the backend's process. Any Docker-API engine works (``DOCKER_HOST``: Docker or podman).
Every container of a run carries the label ``RUN_LABEL=<run id>``, so a cancelled,
timed-out or interrupted run removes exactly its own containers.
"""
from __future__ import annotations

import os
from typing import Any

RUN_LABEL = "io.kale-like.run"
HOST_CA_PATH = "/etc/kale_like/host-ca.pem"


def docker_runner(run_id: str, network: str, ca_bundle: str | None = None) -> Any:
    """kfp's DockerRunner for one run: labelled containers, the given network mode."""
    from kfp import local

    arguments: dict[str, Any] = {"labels": {RUN_LABEL: run_id}, "network_mode": network}
    if ca_bundle:
        # Steps that pip-install at start go through this machine's network; they trust what
        # this machine's pip trusts (a TLS-inspecting proxy's CA, for instance).
        from docker.types import Mount

        arguments["mounts"] = [Mount(HOST_CA_PATH, os.path.abspath(ca_bundle), type="bind", read_only=True)]
    _keep_containers_until_exit_code_is_read(ca_bundle is not None)
    return local.DockerRunner(**arguments)


def _keep_containers_until_exit_code_is_read(with_ca: bool) -> None:
    """Replace kfp's container start (``docker_task_handler.run_docker_container``).

    kfp 2.17 starts each step container with ``auto_remove=True``. Under podman the
    container is already gone when kfp asks for its exit status, kfp then assumes 0,
    and a failing step is reported as succeeded (kubeflow/pipelines#13332). The
    replacement is kfp's function with one change: the container is kept until its
    exit code has been read, then removed. kfp passes ``auto_remove`` itself, so the
    function is swapped rather than given another argument.
    """
    from kfp.local import docker_task_handler

    def run_container(client: Any, image: str, command: list[str], volumes: dict[str, Any],
                      **run_args: Any) -> int:
        if with_ca:
            run_args["environment"] = dict(run_args.get("environment") or {}, PIP_CERT=HOST_CA_PATH)
        return run_to_exit(client, _present_image(client, image), command, volumes, **run_args)

    docker_task_handler.run_docker_container = run_container


def run_to_exit(client: Any, image: str, command: list[str], volumes: dict[str, Any], **run_args: Any) -> int:
    """Start the container, stream its log, return its real exit code, remove it.

    Created and started in two calls (``containers.run`` does both): when the start
    fails, the created container is still ours to remove."""
    # detach: a container created attached waits, under podman, for a client to attach before it starts.
    container = client.containers.create(image=image, command=command, volumes=volumes, auto_remove=False,
                                         detach=True, **run_args)
    try:
        container.start()
        for chunk in container.logs(stream=True, follow=True):
            print(chunk.decode(errors="replace"), end="", flush=True)
        return int(container.wait()["StatusCode"])
    finally:
        container.remove(force=True)


def _present_image(client: Any, image: str) -> str:
    """The image as the engine names it, pulled only when the engine has no such image.

    kfp compares the name with the engine's tags literally, so ``python:3.11`` is pulled
    although podman holds ``docker.io/library/python:3.11``; asking the engine resolves
    short names the way ``docker run`` does.
    """
    import docker

    try:
        client.images.get(image)
        return image
    except docker.errors.ImageNotFound:
        pass
    print(f"Pulling image {image!r}", flush=True)
    try:
        client.images.pull(image)
    except docker.errors.APIError as exc:
        raise RuntimeError(f"the image {image!r} is not in the container engine and cannot be pulled "
                           f"({exc.explanation or exc}); build it and tag it with that name, or pass "
                           f"--image with one the engine has") from None
    return image


def remove_run_containers(run_id: str) -> list[str]:
    """Force-remove every container labelled with this run (running or not); their names."""
    import docker

    client = docker.from_env()
    removed: list[str] = []
    try:
        for container in client.containers.list(all=True, filters={"label": f"{RUN_LABEL}={run_id}"}):
            try:
                container.remove(force=True)
                removed.append(container.name or container.short_id)
            except docker.errors.NotFound:
                continue
    finally:
        client.close()
    return removed
