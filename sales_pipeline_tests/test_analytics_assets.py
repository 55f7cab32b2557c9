"""The store invariant: after any sequence of drops, changed re-drops and re-materializations,
the store holds exactly the valid rows of the current version of every landed file."""

from __future__ import annotations

from datetime import date

import dagster as dg
import polars as pl
import pytest

from sales_pipeline.assets.analytics import analytics_ingestion
from sales_pipeline.generate import defect_rows, with_defects
from sales_pipeline.stores.base import table_name

from .conftest import ENGINES, drop, ingest, materialization_metadata
from .samples import csv_bytes, sales_frame


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


def assert_store_holds(store, datasource: str, current: dict[str, pl.DataFrame]) -> None:
    expected = pl.concat(list(current.values()))
    table = table_name(datasource)
    n, total = store.query(f"SELECT COUNT(*) AS n, SUM(total) AS t FROM {table}").row(0)
    assert n == expected.height
    assert (total or 0.0) == pytest.approx(expected["total"].sum(), abs=1e-6)
    day = "CAST(__time AS DATE)"
    per_day = store.query(f'SELECT {day} AS "date", COUNT(*) AS n, SUM(total) AS t FROM {table} GROUP BY {day}')
    want = expected.group_by("date").agg(pl.len().alias("n"), pl.col("total").sum().alias("t"))
    joined = want.join(per_day, on="date", how="full", suffix="_store").fill_null(0)
    assert (joined["n"] == joined["n_store"]).all(), joined
    assert ((joined["t"] - joined["t_store"]).abs() < 1e-6).all()


def land(lake, resources, instance, key: str, frame: pl.DataFrame) -> dg.ExecuteInProcessResult:
    drop(lake, key, csv_bytes(frame))
    result = ingest(key, resources, instance)
    assert result.success
    return result


def test_same_file_twice_is_counted_once(lake, resources, instance, store, datasource) -> None:
    a = sales_frame(80, seed=1, days=5)
    first = land(lake, resources, instance, f"{datasource}/a.csv", a)
    assert_store_holds(store, datasource, {"a": a})
    again = dg.materialize(
        [analytics_ingestion], partition_key=f"{datasource}/a.csv", resources=resources, instance=instance
    )
    assert_store_holds(store, datasource, {"a": a})
    meta = materialization_metadata(first, "analytics_ingestion")
    assert meta["engine"] == store.engine and meta["rows_loaded"] == 80 and meta["days_replaced"] == 5
    assert all(e.passed for e in again.get_asset_check_evaluations())


def test_changed_file_replaces_its_rows(lake, resources, instance, store, datasource) -> None:
    land(lake, resources, instance, f"{datasource}/a.csv", sales_frame(80, seed=1, days=5))
    v2 = sales_frame(30, seed=2, start=date(2019, 1, 3), days=2)
    land(lake, resources, instance, f"{datasource}/a.csv", v2)
    assert_store_holds(store, datasource, {"a": v2})


def test_overlapping_days_from_two_files(lake, resources, instance, store, datasource) -> None:
    a = sales_frame(100, seed=1, start=date(2019, 1, 1), days=5)
    b = sales_frame(100, seed=2, start=date(2019, 1, 3), days=5)
    land(lake, resources, instance, f"{datasource}/a.csv", a)
    land(lake, resources, instance, f"{datasource}/b.csv", b)
    assert_store_holds(store, datasource, {"a": a, "b": b})
    a2 = sales_frame(10, seed=3, start=date(2019, 1, 1), days=2)  # a leaves days 3-5, where b stays
    result = land(lake, resources, instance, f"{datasource}/a.csv", a2)
    assert_store_holds(store, datasource, {"a": a2, "b": b})
    assert materialization_metadata(result, "analytics_ingestion")["days_replaced"] == 5


def test_rows_deleted_in_a_new_version_disappear(lake, resources, instance, store, datasource) -> None:
    a = sales_frame(120, seed=4, days=6)
    land(lake, resources, instance, f"{datasource}/a.csv", a)
    fewer = a.filter(pl.int_range(pl.len()) % 3 != 0)
    land(lake, resources, instance, f"{datasource}/a.csv", fewer)
    assert_store_holds(store, datasource, {"a": fewer})


def test_only_valid_rows_reach_the_store(lake, resources, instance, store, datasource) -> None:
    frame = sales_frame(200, seed=5, days=5)
    drop(lake, f"{datasource}/dirty.csv", csv_bytes(with_defects(frame, 0.05)))
    result = ingest(f"{datasource}/dirty.csv", resources, instance)
    bad = set(defect_rows(200, 0.05).tolist())
    valid = frame.filter(~pl.int_range(pl.len()).is_in(list(bad)))
    assert_store_holds(store, datasource, {"dirty": valid})
    check = next(e for e in result.get_asset_check_evaluations() if e.check_name == "store_reconcile")
    assert check.passed and check.metadata["store_rows"].value == valid.height


def test_reingesting_an_older_partition_keeps_newer_data_of_shared_days(
    lake, resources, instance, store, datasource
) -> None:
    a = sales_frame(50, seed=1, days=4)
    b = sales_frame(50, seed=2, days=4)
    land(lake, resources, instance, f"{datasource}/a.csv", a)
    land(lake, resources, instance, f"{datasource}/b.csv", b)
    dg.materialize([analytics_ingestion], partition_key=f"{datasource}/a.csv", resources=resources, instance=instance)
    assert_store_holds(store, datasource, {"a": a, "b": b})
