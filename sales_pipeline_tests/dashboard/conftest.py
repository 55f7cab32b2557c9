"""A DuckDB analytics store holding known generated sales, shared by the dashboard tests."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest
from dagster_aws.s3 import S3Resource

from sales_pipeline.dashboard.queries import FILTER_COLUMNS, Filters
from sales_pipeline.generate import generate_sales
from sales_pipeline.resources.lake import SalesLake
from sales_pipeline.stores.base import to_base_rows
from sales_pipeline.stores.duckdb import DuckDBStore
from sales_pipeline.summaries import ALERT_SCHEMA

DATASOURCE = "sales"


def typed_rows(rows: int, seed: int, start: date, days: int) -> pl.DataFrame:
    """Generated sales with date and time typed, as the validated Parquet holds them."""
    frame = generate_sales(rows, seed=seed, start=start, days=days)
    return frame.with_columns(pl.col("time").str.to_time("%H:%M"))


def selected(rows: pl.DataFrame, f: Filters) -> pl.DataFrame:
    """The rows a Filters value keeps, computed in Polars (independent of the SQL)."""
    keep = pl.col("date").is_between(f.start, f.end)
    for field, column in FILTER_COLUMNS.items():
        if getattr(f, field):
            keep &= pl.col(column).is_in(list(getattr(f, field)))
    return rows.filter(keep)


def load(store: DuckDBStore, rows: pl.DataFrame, alerts: pl.DataFrame | None = None) -> None:
    store.write_table(DATASOURCE, to_base_rows(rows.with_columns(file_id=pl.lit("generated-0000000000"))))
    if alerts is not None:
        store.write_table("alerts", alerts.cast(ALERT_SCHEMA))


def offline_store(path: Path) -> DuckDBStore:
    """A store for queries only: its lake is never contacted."""
    lake = SalesLake(s3=S3Resource(endpoint_url="http://127.0.0.1:9"), bucket="unused")
    return DuckDBStore(path=str(path), lake=lake)


@pytest.fixture(scope="module")
def rows() -> pl.DataFrame:
    return typed_rows(3000, seed=7, start=date(2019, 1, 1), days=90)


@pytest.fixture(scope="module")
def alerts_table() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "__time": [datetime(2019, 2, 3), datetime(2019, 3, 20), datetime(2019, 3, 25)],
            "rule": ["revenue_drop", "stale_branch", "rejection_spike"],
            "branch": ["A", "C", None],
            "detail": [
                "revenue 10 is below 50% of the trailing 7-day mean 40",
                "no sales for 3 days",
                "f.csv: 9 of 10",
            ],
            "value": [10.0, 3.0, 0.9],
        }
    ).cast(ALERT_SCHEMA)


@pytest.fixture(scope="module")
def loaded_store(tmp_path_factory: pytest.TempPathFactory, rows: pl.DataFrame, alerts_table) -> DuckDBStore:
    store = offline_store(tmp_path_factory.mktemp("dash") / "analytics.duckdb")
    load(store, rows, alerts_table)
    return store
