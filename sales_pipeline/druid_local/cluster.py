"""Start, check and stop the local Druid: only ever the processes this project started.

Each JVM carries two tags on its command line (service and state dir); a PID from a pid file is
signalled only when ``/proc/<pid>/cmdline`` still carries both, so a reused PID or another
cluster's process is never touched.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import requests

from .config import ACCESS_KEY_VAR, SECRET_KEY_VAR, SERVICES, STATE_TAG, TAG, ClusterConfig, command, write_config
from .install import install_druid

STOP_GRACE_SECONDS = 30.0
DEFAULT_UP_TIMEOUT = 240.0
LOG_TAIL_LINES = 40


class ClusterError(RuntimeError):
    """The local Druid could not be started or stopped; the message names the service and why."""


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    pid: int | None
    port: int
    healthy: bool
    rss_mib: float | None

    def line(self) -> str:
        pid = str(self.pid) if self.pid else "-"
        rss = f"{self.rss_mib:.0f} MiB" if self.rss_mib is not None else "-"
        state = "healthy" if self.healthy else ("starting/unhealthy" if self.pid else "down")
        return f"{self.name:<12} pid {pid:<8} port {self.port:<6} {state:<18} rss {rss}"


def _pid_file(config: ClusterConfig, service: str) -> Path:
    return config.path("run", f"{service}.pid")


def log_file(config: ClusterConfig, service: str) -> Path:
    return config.path("logs", f"{service}.log")


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def running_pid(config: ClusterConfig, service: str) -> int | None:
    """PID of our ``service`` of this cluster, or None (no pid file, dead, or PID now someone else's)."""
    try:
        pid = int(_pid_file(config, service).read_text().strip())
    except (OSError, ValueError):
        return None
    args = _cmdline(pid)
    if args == [""] and Path(f"/proc/{pid}").exists():  # cmdline is empty for a moment while a process execs
        time.sleep(0.1)
        args = _cmdline(pid)
    if f"{TAG}{service}" in args and f"{STATE_TAG}{config.root}" in args:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] if args else "X"
        return None if state == "Z" else pid
    return None


def rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def healthy(config: ClusterConfig, service: str) -> bool:
    port = config.ports[service]
    if service == "zookeeper":
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"ruok")
                return sock.recv(16) == b"imok"
        except OSError:
            return False
    try:
        return requests.get(f"{config.url(service)}/status/health", timeout=2).text.strip() == "true"
    except requests.RequestException:
        return False


def workers(config: ClusterConfig) -> list[dict]:
    """Ingestion workers registered with the overlord ([] while the indexer is not announced)."""
    try:
        found = requests.get(f"{config.url('coordinator')}/druid/indexer/v1/workers", timeout=2)
        return found.json() if found.ok else []
    except (requests.RequestException, ValueError):
        return []


def status(config: ClusterConfig) -> list[ServiceStatus]:
    result = []
    for service in SERVICES:
        pid = running_pid(config, service)
        up = pid is not None and healthy(config, service)
        result.append(ServiceStatus(service, pid, config.ports[service], up, rss_mib(pid) if pid else None))
    return result


def log_tail(config: ClusterConfig, service: str, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = log_file(config, service).read_text(errors="replace").splitlines()
    except OSError:
        return f"(no log at {log_file(config, service)})"
    return "\n".join(text[-lines:])


def _druid_env(config: ClusterConfig, credentials: tuple[str, str] | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in (ACCESS_KEY_VAR, SECRET_KEY_VAR)}
    if credentials:
        env[ACCESS_KEY_VAR], env[SECRET_KEY_VAR] = credentials
    return env


def _start(config: ClusterConfig, service: str, env: Mapping[str, str]) -> subprocess.Popen:
    log = log_file(config, service)
    if log.exists():
        log.replace(log.with_name(f"{log.name}.1"))  # keep the previous run's log
    java = shutil.which("java") or "java"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command(config, service, java),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=dict(env),
            start_new_session=True,  # Ctrl-C in a terminal reaches only `down`, never the cluster by accident
            cwd=config.root,
        )
    _pid_file(config, service).write_text(f"{process.pid}\n")
    return process


def _failure(config: ClusterConfig, service: str, why: str) -> ClusterError:
    return ClusterError(
        f"local Druid: {service} {why}. Last lines of {log_file(config, service)}:\n{log_tail(config, service)}"
    )


def _exited(config: ClusterConfig, service: str, started: Mapping[str, subprocess.Popen]) -> bool:
    """Our own children are asked directly (no /proc race while the JVM launcher execs)."""
    if service in started:
        return started[service].poll() is not None
    return running_pid(config, service) is None


def _wait(
    config: ClusterConfig,
    services: list[str],
    deadline: float,
    need_worker: bool,
    started: Mapping[str, subprocess.Popen],
) -> None:
    pending = list(services)
    while True:
        for service in list(pending):
            if _exited(config, service, started):
                raise _failure(config, service, "exited while starting")
            if healthy(config, service):
                pending.remove(service)
        if not pending and (not need_worker or workers(config)):
            return
        if time.monotonic() > deadline:
            if pending:
                raise _failure(config, pending[0], "did not report healthy in time")
            raise _failure(config, "indexer", "is healthy but registered no ingestion worker with the overlord in time")
        time.sleep(0.5)


def _check_ports(config: ClusterConfig, services: list[str]) -> None:
    taken = [(s, config.ports[s]) for s in services if port_in_use(config.ports[s])]
    if config.ports["derby"] and "coordinator" in services and port_in_use(config.ports["derby"]):
        taken.append(("derby (metadata, inside the coordinator)", config.ports["derby"]))
    if taken:
        where = ", ".join(f"{port} ({service})" for service, port in taken)
        raise ClusterError(
            f"local Druid: port {where} is in use by another program; stop it, or choose other ports with "
            "SALES_DRUID_PORT_BASE (services use BASE..BASE+5)"
        )


def up(
    config: ClusterConfig,
    credentials: tuple[str, str] | None,
    timeout: float = DEFAULT_UP_TIMEOUT,
) -> list[ServiceStatus]:
    """Start whatever is not running and wait for health and a registered worker (one deadline).

    Idempotent: services already running are left alone. On failure, the services this call
    started are stopped again and the error carries the failing service's log tail.
    """
    install_druid(config.install)
    deadline = time.monotonic() + timeout
    for folder in ("run", "logs", "tmp", "zookeeper", "tasks", "segment-cache"):
        config.path(folder).mkdir(parents=True, exist_ok=True)
    to_start = [s for s in SERVICES if running_pid(config, s) is None]
    _check_ports(config, to_start)
    write_config(config, with_credentials=credentials is not None)
    env = _druid_env(config, credentials)
    started: dict[str, subprocess.Popen] = {}
    try:
        if "zookeeper" in to_start:
            started["zookeeper"] = _start(config, "zookeeper", env)
        _wait(config, ["zookeeper"], deadline, False, started)
        for service in to_start:
            if service != "zookeeper":
                started[service] = _start(config, service, env)
        _wait(config, list(SERVICES[1:]), deadline, True, started)
    except BaseException:
        for service in reversed(started):
            stop_service(config, service)
        raise
    return status(config)


def stop_service(config: ClusterConfig, service: str, grace: float = STOP_GRACE_SECONDS) -> bool:
    """TERM, then KILL after ``grace`` seconds; True when a process of ours was stopped."""
    pid = running_pid(config, service)
    if pid is None:
        _pid_file(config, service).unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while running_pid(config, service) == pid and time.monotonic() < deadline:
        time.sleep(0.2)
    if running_pid(config, service) == pid:
        os.kill(pid, signal.SIGKILL)
        while running_pid(config, service) == pid:
            time.sleep(0.1)
    _pid_file(config, service).unlink(missing_ok=True)
    return True


def start_service(config: ClusterConfig, service: str, credentials: tuple[str, str] | None,
                  timeout: float = DEFAULT_UP_TIMEOUT) -> None:  # fmt: skip
    """Start one stopped service of a configured cluster again and wait for it (fault tests, restarts)."""
    started = {}
    if running_pid(config, service) is None:
        _check_ports(config, [service])
        started[service] = _start(config, service, _druid_env(config, credentials))
    _wait(config, [service], time.monotonic() + timeout, service == "indexer", started)


def down(config: ClusterConfig) -> list[str]:
    """Stop our services in reverse start order; returns the names that were running."""
    return [service for service in reversed(SERVICES) if stop_service(config, service)]
