"""A full ingest run on a Dagster instance built from the repo's dagster.yaml (real PostgreSQL).

scripts/test.sh starts the server and exports DAGSTER_PG_*; without them the test is skipped with
that reason, except in CI, where a missing server is a failure.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import dagster as dg
import pytest

from .conftest import REPO, drop, ingest, materialization_metadata
from .samples import defective_csv

PG_VARS = ["DAGSTER_PG_HOST", "DAGSTER_PG_PORT", "DAGSTER_PG_USERNAME", "DAGSTER_PG_PASSWORD", "DAGSTER_PG_DB"]


@pytest.fixture
def postgres_instance(tmp_path: Path):
    missing = [name for name in PG_VARS if not os.environ.get(name)]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PostgreSQL suite; unset: {', '.join(missing)} (run via scripts/test.sh)")
        pytest.skip(f"no PostgreSQL configured ({', '.join(missing)} unset); scripts/test.sh starts one")
    shutil.copy(REPO / "dagster.yaml", tmp_path / "dagster.yaml")
    instance = dg.DagsterInstance.from_config(str(tmp_path))
    try:
        yield instance
    finally:
        instance.dispose()


@pytest.mark.postgres
def test_full_run_is_recorded_in_postgres(postgres_instance, lake, resources) -> None:
    assert "postgres" in type(postgres_instance.run_storage).__module__
    drop(lake, "sales/pg.csv", defective_csv(50, 0.04))
    result = ingest("sales/pg.csv", resources, postgres_instance)
    assert result.success
    run = postgres_instance.get_run_by_id(result.run_id)
    assert run is not None and run.is_success
    meta = materialization_metadata(result, "validated_sales")
    assert (meta["valid_rows"], meta["rejected_rows"]) == (48, 2)
    stored = postgres_instance.get_latest_materialization_event(dg.AssetKey("validated_sales"))
    assert stored.asset_materialization.metadata["rejected_rows"].value == 2
    assert "sales/pg.csv" in postgres_instance.get_dynamic_partitions("sales_files")
