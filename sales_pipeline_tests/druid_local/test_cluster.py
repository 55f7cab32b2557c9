"""The local Druid's scripts: health and status of the running session cluster, idempotent `up`,
ports held by other programs refused, and only our own tagged processes ever signalled."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from sales_pipeline.cli import main
from sales_pipeline.druid_local import cluster
from sales_pipeline.druid_local.config import SERVICES, ClusterConfig, common_properties
from sales_pipeline.druid_local.install import default_install
from sales_pipeline.settings import LOCAL_S3_CREDENTIALS

from ..conftest import free_port_block

pytestmark = pytest.mark.druid


def test_session_cluster_is_healthy_on_loopback_with_a_worker(druid_cluster: ClusterConfig) -> None:
    statuses = cluster.status(druid_cluster)
    assert [s.name for s in statuses] == list(SERVICES)
    assert all(s.healthy and s.pid and s.rss_mib for s in statuses)
    assert cluster.workers(druid_cluster), "an ingestion worker is registered"
    listening = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout
    for status in statuses:
        ours = [line for line in listening.splitlines() if f"pid={status.pid}," in line]
        assert ours, f"{status.name} listens"
        addresses = [line.split()[3] for line in ours]
        assert all("127.0.0.1]:" in a or a.startswith("127.0.0.1:") for a in addresses), f"{status.name}: {ours}"
    sql = requests.post(
        f"{druid_cluster.url('broker')}/druid/v2/sql", json={"query": "SELECT 1 + 1 AS two"}, timeout=10
    )
    assert sql.json() == [{"two": 2}]


def test_up_again_is_a_no_op(druid_cluster: ClusterConfig) -> None:
    before = {s.name: s.pid for s in cluster.status(druid_cluster)}
    started = time.monotonic()
    again = cluster.up(druid_cluster, LOCAL_S3_CREDENTIALS)
    assert {s.name: s.pid for s in again} == before
    assert time.monotonic() - started < 10


def test_s3_credentials_reach_druid_only_through_its_environment(druid_cluster: ClusterConfig) -> None:
    properties = dict(
        line.split("=", 1)
        for line in druid_cluster.path("conf", "_common", "common.runtime.properties").read_text().splitlines()
    )
    assert properties["druid.s3.accessKey"] == '{"type": "environment", "variable": "DRUID_S3_ACCESS_KEY"}'
    assert properties["druid.s3.secretKey"] == '{"type": "environment", "variable": "DRUID_S3_SECRET_KEY"}'
    assert "druid.s3.accessKey" in properties["druid.server.hiddenProperties"]
    assert properties["druid.s3.endpoint.url"] == druid_cluster.s3_endpoint
    indexer = cluster.running_pid(druid_cluster, "indexer")
    environment = Path(f"/proc/{indexer}/environ").read_bytes().split(b"\0")
    assert f"DRUID_S3_ACCESS_KEY={LOCAL_S3_CREDENTIALS[0]}".encode() in environment


def test_a_port_held_by_another_program_is_refused(tmp_path: Path) -> None:
    config = ClusterConfig(state_dir=tmp_path, install=default_install(), port_base=free_port_block())
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", config.ports["broker"]))
        squatter.listen()
        with pytest.raises(cluster.ClusterError, match=rf"port {config.ports['broker']} \(broker\) is in use"):
            cluster.up(config, None)
    assert all(cluster.running_pid(config, s) is None for s in SERVICES), "nothing was started"


def test_down_signals_only_processes_that_carry_our_tags(tmp_path: Path) -> None:
    config = ClusterConfig(state_dir=tmp_path, install=default_install(), port_base=free_port_block())
    config.path("run").mkdir(parents=True)
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (config.path("run", "broker.pid")).write_text(f"{stranger.pid}\n")  # a stale pid file, PID reused
        assert cluster.running_pid(config, "broker") is None
        assert cluster.down(config) == []
        assert stranger.poll() is None, "a process without our tags is never signalled"
    finally:
        stranger.kill()
        stranger.wait()


def test_status_command_exits_1_when_the_cluster_is_down(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("SALES_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("SALES_DRUID_PORT_BASE", str(free_port_block()))
    assert main(["druid", "status"]) == 1
    out = capsys.readouterr().out
    assert out.count(" down") == len(SERVICES)
    assert "SQL (DRUID_URL):" in out


def test_status_command_prints_the_urls_of_a_running_cluster(druid_cluster, monkeypatch, capsys) -> None:
    monkeypatch.setenv("SALES_STATE_DIR", str(druid_cluster.state_dir))
    assert main(["druid", "status"]) == 0
    out = capsys.readouterr().out
    assert f"SQL (DRUID_URL):       {druid_cluster.url('broker')}" in out
    assert out.count(" healthy ") == len(SERVICES)


def test_without_s3_credentials_druid_uses_its_own_chain(tmp_path: Path) -> None:
    config = ClusterConfig(state_dir=tmp_path, install=default_install(), s3_endpoint="")
    properties = common_properties(config, with_credentials=False)
    assert not any(key.startswith("druid.s3.") for key in properties)
