"""Every summary's SQL checked against an independent Polars computation of the same figures,
and the alert rules on crafted data."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import dagster as dg
import polars as pl
import pytest

from sales_pipeline.definitions import summary_assets
from sales_pipeline.generate import with_defects
from sales_pipeline.summaries import AlertRules, build_alerts

from .conftest import ENGINES, drop, ingest
from .samples import csv_bytes, sales_frame

KEYS = {
    "daily_by_branch": ["__time", "branch", "city"],
    "daily_by_product_line": ["__time", "product_line"],
    "branch_comparison": ["branch", "city"],
    "daily_profitability": ["__time"],
    "daily_payment_customer_mix": ["__time", "payment", "customer_type", "gender"],
}


def expected_summaries(rows: pl.DataFrame) -> dict[str, pl.DataFrame]:
    day = pl.col("date").cast(pl.Datetime("us")).alias("__time")
    stamp = pl.col("date").dt.combine(pl.col("time").str.to_time("%H:%M")).dt.cast_time_unit("us")
    money = [pl.col("total").sum().alias("revenue"), pl.col("gross_income").sum().alias("gross_income")]
    return {
        "daily_by_branch": rows.group_by(day, "branch", "city").agg(
            *money, pl.col("cogs").sum().alias("cogs"), pl.col("quantity").sum().alias("units"),
            pl.len().alias("transactions"), pl.col("rating").mean().alias("avg_rating"),
        ),
        "daily_by_product_line": rows.group_by(day, "product_line").agg(
            *money, pl.col("quantity").sum().alias("units"), pl.len().alias("transactions"),
            pl.col("rating").mean().alias("avg_rating"), pl.col("unit_price").mean().alias("avg_unit_price"),
        ),
        "branch_comparison": rows.group_by("branch", "city").agg(
            stamp.max().alias("__time"), *money, pl.len().alias("transactions"),
            pl.col("quantity").sum().alias("units"),
            pl.col("total").mean().alias("avg_basket"), pl.col("rating").mean().alias("avg_rating"),
            (pl.col("customer_type") == "Member").sum().alias("member_transactions"),
        ),
        "daily_profitability": rows.group_by(day).agg(
            pl.col("total").sum().alias("revenue"), pl.col("cogs").sum().alias("cogs"),
            pl.col("gross_income").sum().alias("gross_income"),
            (100 * pl.col("gross_income").sum() / pl.col("total").sum()).alias("margin_pct"),
        ),
        "daily_payment_customer_mix": rows.group_by(day, "payment", "customer_type", "gender").agg(
            pl.len().alias("transactions"), pl.col("total").sum().alias("revenue"),
        ),
    }  # fmt: skip


@pytest.mark.parametrize("engine", ENGINES, indirect=True)
def test_every_summary_matches_polars(lake, resources, instance, store, settings, datasource) -> None:
    a = sales_frame(300, seed=11, start=date(2019, 1, 1), days=12)
    b = sales_frame(200, seed=12, start=date(2019, 1, 8), days=10)
    for key, frame in ((f"{datasource}/a.csv", a), (f"{datasource}/b.csv", b)):
        drop(lake, key, csv_bytes(frame))
        assert ingest(key, resources, instance).success
    result = dg.materialize(summary_assets(settings), resources=resources, instance=instance)
    assert result.success
    assert all(e.passed for e in result.get_asset_check_evaluations()), "summaries reconcile with the base"
    for name, want in expected_summaries(pl.concat([a, b])).items():
        got = store.query(f'SELECT * FROM "{name}"')
        keys = KEYS[name]
        assert got.height == want.height, name
        assert sorted(got.columns) == sorted(want.columns), name
        joined = want.join(got, on=keys, how="left", suffix="_sql")
        for column in [c for c in want.columns if c not in keys]:
            left, right = joined[column], joined[f"{column}_sql"]
            assert right.null_count() == 0, f"{name}.{column}: rows missing in SQL result"
            if left.dtype.is_numeric():
                assert ((left.cast(pl.Float64) - right.cast(pl.Float64)).abs() < 1e-6).all(), f"{name}.{column}"
            else:
                assert (left == right).all(), f"{name}.{column}"


def daily(branch: str, revenues: list[float], start: date = date(2019, 1, 1)) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "__time": [datetime.combine(start + timedelta(days=i), datetime.min.time()) for i in range(len(revenues))],
            "branch": [branch] * len(revenues),
            "revenue": revenues,
        }
    )


def no_files() -> pl.DataFrame:
    return pl.DataFrame(
        schema={"__time": pl.Datetime("us"), "file": pl.String, "rows": pl.Int64, "rejected_rows": pl.Int64}
    )


def test_revenue_drop_alert_fires_only_below_threshold() -> None:
    steady = daily("A", [100.0] * 7 + [49.0, 51.0])
    alerts = build_alerts(steady, no_files(), AlertRules(revenue_drop_pct=50))
    drops = alerts.filter(pl.col("rule") == "revenue_drop")
    assert drops["__time"].to_list() == [datetime(2019, 1, 8)]
    assert "revenue 49.0 is below 50% of the trailing 7-day mean 100.0" in drops["detail"][0]
    too_early = build_alerts(daily("A", [100.0] * 3 + [1.0]), no_files(), AlertRules())
    assert too_early.filter(pl.col("rule") == "revenue_drop").is_empty(), "needs a full trailing window"


def test_stale_branch_and_rejection_spike_alerts() -> None:
    data = pl.concat([daily("A", [10.0] * 10), daily("B", [10.0] * 5)])
    files = pl.DataFrame(
        {
            "__time": [datetime(2019, 1, 5)] * 2,
            "file": ["sales/x.csv", "sales/y.csv"],
            "rows": [100, 100],
            "rejected_rows": [6, 5],
        }
    )
    alerts = build_alerts(data, files, AlertRules(stale_days=2, max_rejection_rate=0.05))
    stale = alerts.filter(pl.col("rule") == "stale_branch")
    assert stale["branch"].to_list() == ["B"] and stale["value"].to_list() == [5.0]
    spikes = alerts.filter(pl.col("rule") == "rejection_spike")
    assert spikes["detail"].to_list() == ["sales/x.csv: 6 of 100 rows rejected"]


@pytest.mark.parametrize("engine", ENGINES, indirect=True)
def test_alerts_asset_writes_the_alerts_table(lake, resources, instance, store, settings, datasource) -> None:
    frame = sales_frame(100, seed=1, days=10)
    drop(lake, f"{datasource}/a.csv", csv_bytes(with_defects(frame, 0.2)))  # over the rejection limit
    ingest(f"{datasource}/a.csv", resources, instance, raise_on_error=False)
    result = dg.materialize(summary_assets(settings), resources=resources, instance=instance)
    alerts = store.query('SELECT * FROM "alerts"')
    assert alerts.columns == ["__time", "rule", "branch", "detail", "value"]
    assert f"{datasource}/a.csv: 20 of 100 rows rejected" in alerts["detail"].to_list()
    meta = result.asset_materializations_for_node("alerts")[-1].metadata
    assert meta["alerts"].value == alerts.height


@pytest.mark.parametrize("engine", ENGINES, indirect=True)
def test_an_empty_table_replaces_the_old_rows(store, datasource) -> None:
    name = f"{datasource}_alerts"
    store.write_table(name, pl.DataFrame({"__time": [datetime(2019, 1, 1)], "rule": ["x"]}))
    assert store.write_table(name, pl.DataFrame(schema={"__time": pl.Datetime("us"), "rule": pl.String})) == 0
    listed = store.datasources().filter(pl.col("name") == name)
    # DuckDB keeps an empty table; Druid has no empty datasource: its segments are retired.
    assert listed["rows"].sum() == 0
