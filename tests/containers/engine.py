"""A podman engine of the test session's own: configuration, Docker-API socket, base image.

Everything podman needs lives under one folder the session owns: ``storage.conf`` and
``containers.conf`` are written *before the first podman command* and exported
(``CONTAINERS_CONF`` / ``CONTAINERS_STORAGE_CONF``) to every podman call and to the API
service. Otherwise libpod records an empty graph driver on first use, conmon's cleanup
disagrees with it, and every container exit then waits 20 s for a conmon timeout.

The base image stands in for a stock ``python3`` image without any registry: a Debian
minbase with python3 built by ``mmdebstrap`` from the mirror apt on this machine already
uses (read from apt's own sources files at run time, never written into the repository),
then ``podman import``-ed. The tarball is cached between sessions, keyed by suite, date
and mirror.
"""
from __future__ import annotations

import datetime
import glob
import hashlib
import os
import resource
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

BASE_IMAGE = "localhost/kl-base:bookworm"
BASE_PACKAGES = "python3,python3-venv,python3-pip,ca-certificates"
ENGINE_TOOLS = ("podman", "runc", "mmdebstrap")


@dataclass(frozen=True)
class Engine:
    root: Path
    socket: Path
    env: dict[str, str]          # what every podman call and the Docker SDK need
    service_pid: int

    @property
    def docker_host(self) -> str:
        return f"unix://{self.socket}"

    def podman(self, *args: str, timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["podman", *args], env=self.env, capture_output=True, text=True, timeout=timeout,
                              check=check)


def missing_tools() -> list[str]:
    return [tool for tool in ENGINE_TOOLS if shutil.which(tool) is None]


def write_configs(root: Path) -> dict[str, str]:
    """The two config files, and the environment that points podman at them."""
    root.mkdir(parents=True, exist_ok=True)
    storage = root / "storage.conf"
    storage.write_text(
        "[storage]\n"
        'driver = "overlay"\n'
        f'graphroot = "{root / "storage"}"\n'
        f'runroot = "{root / "runroot"}"\n', encoding="utf-8")
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    nofile = hard if hard != resource.RLIM_INFINITY else 1048576
    containers = root / "containers.conf"
    # Private tmp_dir and volume_path: the defaults (/run/libpod, …) are shared by every engine on
    # the machine, and ``podman system reset`` at the end would delete them under the others.
    (root / "libpod-tmp").mkdir(exist_ok=True)
    # Explicit ulimits: podman would raise nofile to a value this sandbox forbids (no CAP_SYS_RESOURCE).
    # runc, cgroupfs: crun fails here with "cgroups in hybrid mode not supported".
    containers.write_text(
        "[containers]\n"
        f'default_ulimits = ["nofile={nofile}:{nofile}", "nproc=32768:32768"]\n'
        'netns = "none"\n'
        "[engine]\n"
        f'tmp_dir = "{root / "libpod-tmp"}"\n'
        f'volume_path = "{root / "volumes"}"\n'
        'runtime = "runc"\n'
        'cgroup_manager = "cgroupfs"\n'
        'events_logger = "file"\n', encoding="utf-8")
    env = dict(os.environ, CONTAINERS_CONF=str(containers), CONTAINERS_STORAGE_CONF=str(storage))
    return env


def start_engine(root: Path, ready_timeout: float = 60) -> Engine:
    env = write_configs(root)
    sock = root / "podman.sock"
    log = open(root / "service.log", "w", encoding="utf-8")
    process = subprocess.Popen(["podman", "system", "service", "--time=0", f"unix://{sock}"], env=env,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    env = dict(env, DOCKER_HOST=f"unix://{sock}")
    engine = Engine(root, sock, env, process.pid)
    deadline = time.monotonic() + ready_timeout
    while not _answers(sock):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_engine(engine)
            raise RuntimeError(f"podman system service did not come up: {(root / 'service.log').read_text()[-2000:]}")
        time.sleep(0.2)
    return engine


def _answers(sock: Path) -> bool:
    """The Docker API's ``/_ping`` answers OK on the socket."""
    if not sock.exists():
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(2)
            client.connect(str(sock))
            client.sendall(b"GET /_ping HTTP/1.0\r\nHost: d\r\n\r\n")
            return b" 200 " in client.recv(256)
    except OSError:
        return False


def stop_engine(engine: Engine) -> None:
    """Stop the API service (its process group: podman forks helpers) and wait for it."""
    try:
        os.killpg(engine.service_pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    for _ in range(100):
        try:
            os.waitpid(engine.service_pid, os.WNOHANG)
            os.kill(engine.service_pid, 0)
        except (ChildProcessError, ProcessLookupError):
            return
        time.sleep(0.1)
    try:
        os.killpg(engine.service_pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def remove_engine_folder(engine: Engine) -> None:
    """Every container, image and layer of the engine, then its folder. podman keeps its
    overlay folder mounted onto itself; ``system reset`` unmounts it, a lazy unmount is the
    fallback when the reset fails (a container stuck in the engine)."""
    engine.podman("system", "reset", "--force", check=False, timeout=300)
    overlay = engine.root / "storage" / "overlay"
    if os.path.ismount(overlay):
        subprocess.run(["umount", "-l", str(overlay)], capture_output=True, check=False)
    shutil.rmtree(engine.root, ignore_errors=True)


# --- the base image ------------------------------------------------------------------------------
def debian_suite() -> str:
    for line in Path("/etc/os-release").read_text(encoding="utf-8").splitlines():
        if line.startswith("VERSION_CODENAME="):
            return line.split("=", 1)[1].strip().strip('"')
    raise RuntimeError("this is not a Debian system (no VERSION_CODENAME in /etc/os-release)")


def apt_mirror(suite: str) -> str:
    """The mirror apt itself uses for ``suite main`` (deb822 ``.sources`` or one-line ``.list``)."""
    for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        for stanza in Path(path).read_text(encoding="utf-8").split("\n\n"):
            fields = _deb822(stanza)
            if ("deb" in fields.get("types", "").split() and suite in fields.get("suites", "").split()
                    and "main" in fields.get("components", "").split() and fields.get("enabled", "yes") != "no"):
                return fields["uris"].split()[0]
    for path in ["/etc/apt/sources.list", *sorted(glob.glob("/etc/apt/sources.list.d/*.list"))]:
        if not os.path.exists(path):
            continue
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            words = [w for w in line.split() if not w.startswith("[")]
            if len(words) >= 4 and words[0] == "deb" and words[2] == suite and "main" in words[3:]:
                return words[1]
    raise RuntimeError(f"apt has no 'deb … {suite} main' source on this machine")


def _deb822(stanza: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in stanza.splitlines():
        if line.startswith("#") or ":" not in line or line[:1].isspace():
            continue
        key, value = line.split(":", 1)
        fields[key.strip().lower()] = value.strip()
    return fields


def base_tarball(cache: Path) -> Path:
    """The minbase tarball, built once per day and mirror (about 150 MB, 1-2 minutes)."""
    suite = debian_suite()
    mirror = apt_mirror(suite)
    key = hashlib.sha256(f"{suite} {mirror} {BASE_PACKAGES}".encode()).hexdigest()[:12]
    target = cache / f"base-{suite}-{datetime.date.today().isoformat()}-{key}.tar"
    if target.exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    for stale in cache.glob(f"base-{suite}-*.tar"):
        stale.unlink()
    partial = target.with_suffix(".partial")
    # The EXTERNALLY-MANAGED marker (PEP 668) stays: the image is a stock Debian python3.
    subprocess.run(["mmdebstrap", "--quiet", "--format=tar", "--variant=minbase", f"--include={BASE_PACKAGES}",
                    "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr", suite, str(partial),
                    f"deb {mirror} {suite} main"], check=True, capture_output=True, text=True, timeout=1200)
    partial.rename(target)
    return target


def import_base(engine: Engine, tarball: Path) -> str:
    engine.podman("import", "--change", 'CMD ["/bin/bash"]', str(tarball), BASE_IMAGE)
    return BASE_IMAGE


def host_ca_bundle() -> str | None:
    """The CA bundle this machine trusts (a TLS-inspecting proxy needs it inside the build)."""
    for candidate in (os.environ.get("PIP_CERT"), os.environ.get("SSL_CERT_FILE"),
                      os.environ.get("REQUESTS_CA_BUNDLE"), "/etc/ssl/certs/ca-certificates.crt"):
        if candidate and os.path.isfile(candidate):
            return candidate
    return None


def leftover_containers(engine: Engine, label: str) -> list[str]:
    """Every container (running or not) carrying ``label``: what a run left behind."""
    result = engine.podman("ps", "-a", "--filter", f"label={label}", "--format", "{{.ID}} {{.Names}}")
    return [line for line in result.stdout.splitlines() if line.strip()]
