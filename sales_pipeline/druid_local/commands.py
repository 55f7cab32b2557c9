"""`sales-pipeline druid install|up|down|status|logs`: the local Druid from the command line."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from ..settings import LOCAL_S3_CREDENTIALS, Settings, env_number
from . import cluster
from .config import DEFAULT_PORT_BASE, SERVICES, ClusterConfig
from .install import InstallError, default_install, install_druid


def env_config(settings: Settings, env: dict[str, str] | None = None) -> ClusterConfig:
    """The cluster the environment describes (state dir, ports, S3 endpoint)."""
    env = dict(os.environ) if env is None else env
    return ClusterConfig(
        state_dir=Path(settings.state_dir).expanduser().resolve(),
        install=default_install(env),
        port_base=int(env_number(env, "SALES_DRUID_PORT_BASE", DEFAULT_PORT_BASE)),
        s3_endpoint=settings.s3_endpoint_url,
    )


def cluster_config(settings: Settings | None = None) -> ClusterConfig:
    """The cluster of this state dir as `up` recorded it (ports, S3 endpoint), else as the environment says."""
    settings = settings or Settings.from_env()
    recorded = Path(settings.state_dir).expanduser().resolve() / "druid" / "cluster.json"
    if recorded.is_file():
        return ClusterConfig.from_json(recorded.read_text())
    return env_config(settings)


def s3_credentials(settings: Settings, env: dict[str, str] | None = None) -> tuple[str, str] | None:
    """What Druid reads S3 with: the exported AWS keys, the throwaway local ones, or Druid's own chain."""
    env = dict(os.environ) if env is None else env
    if env.get("AWS_ACCESS_KEY_ID"):
        return env["AWS_ACCESS_KEY_ID"], env.get("AWS_SECRET_ACCESS_KEY", "")
    if settings.uses_local_s3:
        return LOCAL_S3_CREDENTIALS
    return None


def local_druid_url(settings: Settings | None = None) -> str:
    """The SQL URL (broker) of the local cluster of this state dir."""
    return cluster_config(settings).url("broker")


def _print_status(config: ClusterConfig, statuses: list[cluster.ServiceStatus]) -> None:
    for service in statuses:
        print(service.line())
    print(f"SQL (DRUID_URL):       {config.url('broker')}")
    print(f"overlord/coordinator:  {config.url('coordinator')}")
    print(f"S3 endpoint Druid reads: {config.s3_endpoint or 'AWS S3 (default endpoint)'}")
    print(f"state: {config.root}   logs: sales-pipeline druid logs [SERVICE]")


def cmd_install(_: argparse.Namespace) -> int:
    started = time.perf_counter()
    install = install_druid(default_install())
    print(f"Druid {install.version} installed at {install.home} ({time.perf_counter() - started:.1f} s)")
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    config = cluster_config(settings)
    if not any(cluster.running_pid(config, s) for s in SERVICES):
        config = env_config(settings)  # nothing running: ports and S3 endpoint as the environment says now
    started = time.perf_counter()
    statuses = cluster.up(config, s3_credentials(settings), timeout=args.timeout)
    print(f"local Druid up in {time.perf_counter() - started:.1f} s")
    _print_status(config, statuses)
    return 0


def cmd_status(_: argparse.Namespace) -> int:
    config = cluster_config()
    statuses = cluster.status(config)
    _print_status(config, statuses)
    return 0 if all(s.healthy for s in statuses) else 1


def cmd_down(_: argparse.Namespace) -> int:
    stopped = cluster.down(cluster_config())
    print(f"stopped: {', '.join(stopped)}" if stopped else "the local Druid was not running")
    return 0


def cmd_logs(args: argparse.Namespace) -> int:
    config = cluster_config()
    for service in [args.service] if args.service else SERVICES:
        print(f"==> {cluster.log_file(config, service)} <==")
        print(cluster.log_tail(config, service, args.lines))
    return 0


def run(args: argparse.Namespace) -> int:
    try:
        return args.druid_func(args)
    except (cluster.ClusterError, InstallError) as error:
        print(f"ERROR {error}", file=sys.stderr)
        return 1


def add_parser(sub: argparse._SubParsersAction) -> None:
    druid = sub.add_parser(
        "druid",
        help="install, start, check and stop the local Apache Druid 25.0.0 (state under $SALES_STATE_DIR/druid)",
        description="The local Druid: ZooKeeper + coordinator (as overlord) + broker + historical + indexer on "
        "127.0.0.1, ports SALES_DRUID_PORT_BASE..+5 (default 8081-8086), reading the S3 endpoint of "
        "SALES_S3_ENDPOINT_URL with AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (throwaway keys for the loopback S3).",
    )
    verbs = druid.add_subparsers(dest="verb", required=True)
    verbs.add_parser("install", help="assemble Druid from Maven Central into the cache (idempotent)").set_defaults(
        druid_func=cmd_install
    )
    up = verbs.add_parser("up", help="start what is not running; wait for health and an ingestion worker")
    up.add_argument("--timeout", type=float, default=cluster.DEFAULT_UP_TIMEOUT, help="one deadline, seconds")
    up.set_defaults(druid_func=cmd_up)
    verbs.add_parser("status", help="one line per service; exit 1 when any is down").set_defaults(druid_func=cmd_status)
    verbs.add_parser("down", help="stop the services this project started (TERM, then KILL)").set_defaults(
        druid_func=cmd_down
    )
    logs = verbs.add_parser("logs", help="the last lines of a service's log (all services without SERVICE)")
    logs.add_argument("service", nargs="?", choices=SERVICES)
    logs.add_argument("-n", "--lines", type=int, default=cluster.LOG_TAIL_LINES)
    logs.set_defaults(druid_func=cmd_logs)
    druid.set_defaults(func=run)
