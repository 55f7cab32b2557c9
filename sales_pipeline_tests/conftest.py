"""Fixtures: a real S3 endpoint (moto server on a free loopback port), a bucket per test, a real
local Druid started once per session for the tests that use it, Dagster instances, and the
public sample from ../shared (skipped with a reason where absent).

Tests that matter for both engines override ``engine`` with ``params=ENGINES``; on Druid each
test gets a datasource of its own, since the cluster (unlike a DuckDB file) outlives the test."""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import dagster as dg
import pytest

from sales_pipeline.assets.analytics import analytics_ingestion
from sales_pipeline.assets.ingest import raw_upload, sales_parquet, validated_sales
from sales_pipeline.druid_local import cluster
from sales_pipeline.druid_local.config import ClusterConfig
from sales_pipeline.druid_local.install import default_install, missing_tools
from sales_pipeline.local_s3 import local_s3
from sales_pipeline.partitions import sales_files
from sales_pipeline.resources.factory import build_resources
from sales_pipeline.resources.lake import SalesLake
from sales_pipeline.settings import LOCAL_S3_CREDENTIALS, Settings

REPO = Path(__file__).resolve().parents[1]
SHARED_SAMPLE = REPO.parent / "shared" / "data" / "supermarket_sales.csv"
INGEST_ASSETS = [raw_upload, validated_sales, sales_parquet, analytics_ingestion]


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    with local_s3() as endpoint:
        yield endpoint


ENGINES = ["duckdb", pytest.param("druid", marks=pytest.mark.druid)]


def free_port_block(size: int = 6) -> int:
    """A base port whose ``size`` successors are free on 127.0.0.1, below the ephemeral range.

    Below it, because a service restarted by a test must get its port back: an ephemeral port
    would be handed to some client connection while the service is down.
    """
    ephemeral_low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for _ in range(200):
        base = random.randint(10000, ephemeral_low - size - 1)
        if not any(cluster.port_in_use(port) for port in range(base, base + size)):
            return base
    raise RuntimeError("no free block of loopback ports found")


def druid_unavailable() -> str | None:
    """Why the local Druid cannot run here, or None. As root, install_druid installs what is missing."""
    missing = missing_tools()
    if missing and os.geteuid() != 0:
        return f"the local Druid needs {', '.join(missing)} and this user cannot install them (not root)"
    return None


@pytest.fixture(scope="session")
def druid_cluster(s3_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClusterConfig]:
    """A real Druid 25 (installed from Maven Central, cached) reading the session's S3, once per session."""
    reason = druid_unavailable()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"the Druid suite must run in CI: {reason}")
        pytest.skip(reason)
    config = ClusterConfig(
        state_dir=tmp_path_factory.mktemp("druid"),
        install=default_install(),
        port_base=free_port_block(),
        s3_endpoint=s3_endpoint,
    )
    cluster.up(config, LOCAL_S3_CREDENTIALS)
    yield config
    cluster.down(config)


@pytest.fixture
def engine(request: pytest.FixtureRequest) -> str:
    """duckdb, unless a test asks for ``ENGINES`` (``params=`` or ``indirect=True``)."""
    return getattr(request, "param", "duckdb")


@pytest.fixture
def datasource(engine: str) -> str:
    return "sales" if engine == "duckdb" else f"s{uuid.uuid4().hex[:10]}"


@pytest.fixture
def settings(
    s3_endpoint: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    engine: str,
    datasource: str,
    request: pytest.FixtureRequest,
) -> Settings:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    built = replace(
        Settings(),
        bucket=f"test-{uuid.uuid4().hex[:12]}",
        s3_endpoint_url=s3_endpoint,
        state_dir=str(tmp_path / "state"),
        default_datasource=datasource,
    )
    if engine == "druid":
        druid: ClusterConfig = request.getfixturevalue("druid_cluster")
        built = replace(built, store="druid", druid_url=druid.url("broker"), druid_queryable_timeout=120.0)
    return built


@pytest.fixture
def resources(settings: Settings) -> dict:
    built = build_resources(settings)
    built["lake"].ensure_bucket()
    return built


@pytest.fixture
def lake(resources: dict) -> SalesLake:
    return resources["lake"]


@pytest.fixture
def store(resources: dict):
    return resources["store"]


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as test_instance:
        yield test_instance


@pytest.fixture
def shared_sample() -> Path:
    if not SHARED_SAMPLE.is_file():
        pytest.skip(f"public sample not found at {SHARED_SAMPLE} (../shared is not checked out beside the repo)")
    return SHARED_SAMPLE


def drop(lake: SalesLake, partition_key: str, body: bytes) -> str:
    """Put a file into landing as a user would; returns the landing key."""
    key = lake.landing_key(partition_key)
    lake.client().put_object(Bucket=lake.bucket, Key=key, Body=body)
    return key


def ingest(partition_key: str, resources: dict, instance: dg.DagsterInstance, **kwargs) -> dg.ExecuteInProcessResult:
    """Materialize the ingest chain for one landed file, as the sensor's run would."""
    if not instance.has_dynamic_partition(sales_files.name, partition_key):
        instance.add_dynamic_partitions(sales_files.name, [partition_key])
    return dg.materialize(INGEST_ASSETS, partition_key=partition_key, resources=resources, instance=instance, **kwargs)


def list_keys(lake: SalesLake, prefix: str) -> list[str]:
    return sorted(item["Key"] for item in lake.list_objects(prefix))


def materialization_metadata(result: dg.ExecuteInProcessResult, asset: str) -> dict:
    events = result.asset_materializations_for_node(asset)
    assert events, f"{asset} was not materialized"
    return {key: value.value for key, value in events[-1].metadata.items()}
