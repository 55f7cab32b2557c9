"""Every dashboard query against DuckDB, checked against an independent Polars computation."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from sales_pipeline.dashboard import queries
from sales_pipeline.dashboard.queries import Filters

from .conftest import DATASOURCE, offline_store, selected

ALL = Filters(date(2019, 1, 1), date(2019, 3, 31))
NARROW = Filters(
    date(2019, 2, 1), date(2019, 2, 28), branches=("A", "C"), product_lines=("Health and beauty", "Sports and travel")
)
BY_PAYMENT = Filters(date(2019, 1, 15), date(2019, 3, 10), payments=("Cash",), customer_types=("Member",))


def approx(frame: pl.DataFrame, expected: pl.DataFrame, keys: list[str]) -> None:
    assert_frame_equal(frame.select(expected.columns).sort(keys), expected.sort(keys), check_dtypes=False, rel_tol=1e-9)


@pytest.mark.parametrize("f", [ALL, NARROW, BY_PAYMENT], ids=["all", "narrow", "payment"])
def test_kpis_and_previous_period(loaded_store, rows, f: Filters) -> None:
    frame = queries.kpis(loaded_store, DATASOURCE, f)
    for period, column in ((f, "value"), (f.previous(), "previous")):
        part = selected(rows, period)
        expected = {
            "revenue": part["total"].sum(),
            "gross_income": part["gross_income"].sum(),
            "transactions": part.height,
            "units": part["quantity"].sum(),
            "avg_rating": part["rating"].mean(),
        }
        got = dict(zip(frame["kpi"], frame[column], strict=True))
        for name, value in expected.items():
            assert got[name] == pytest.approx(value, rel=1e-9, abs=0) if value else got[name] in (None, 0)
    revenue = frame.row(0, named=True)
    if revenue["previous"]:
        assert revenue["change_pct"] == pytest.approx(100 * (revenue["value"] / revenue["previous"] - 1))


def test_previous_period_is_the_same_length_just_before() -> None:
    assert NARROW.previous() == Filters(date(2019, 1, 4), date(2019, 1, 31), NARROW.branches, NARROW.product_lines)
    assert Filters(date(2019, 3, 1), date(2019, 3, 1)).previous().start == date(2019, 2, 28)


@pytest.mark.parametrize("f", [ALL, NARROW, BY_PAYMENT], ids=["all", "narrow", "payment"])
def test_breakdowns_match_polars(loaded_store, rows, f: Filters) -> None:
    part = selected(rows, f)
    money = [pl.col("total").sum().alias("revenue"), pl.col("gross_income").sum().alias("gross_income")]
    day = pl.col("date").cast(pl.Datetime("us")).alias("day")
    approx(
        queries.daily(loaded_store, DATASOURCE, f),
        part.group_by(day).agg(
            *money, pl.col("cogs").sum().alias("cogs"), pl.len().alias("transactions"),
            pl.col("quantity").sum().alias("units"),
            (100 * pl.col("gross_income").sum() / pl.col("total").sum()).alias("margin_pct"),
        ),
        ["day"],
    )  # fmt: skip
    approx(
        queries.by_hour(loaded_store, DATASOURCE, f),
        part.group_by(pl.col("time").dt.hour().alias("hour")).agg(pl.len().alias("transactions"), money[0]),
        ["hour"],
    )
    for column in ("payment", "customer_type"):
        approx(
            queries.mix(loaded_store, DATASOURCE, f, column),
            part.group_by(column)
            .agg(pl.len().alias("transactions"), money[0])
            .with_columns((100 * pl.col("revenue") / pl.col("revenue").sum()).alias("share_pct")),
            [column],
        )
    approx(
        queries.product_lines(loaded_store, DATASOURCE, f),
        part.group_by("product_line").agg(
            *money, pl.col("quantity").sum().alias("units"), pl.len().alias("transactions"),
            pl.col("rating").mean().alias("avg_rating"), pl.col("unit_price").mean().alias("avg_unit_price"),
        ).with_columns(
            (100 * pl.col("revenue") / pl.col("revenue").sum()).alias("share_pct"),
            (100 * pl.col("gross_income") / pl.col("revenue")).alias("margin_pct"),
        ),
        ["product_line"],
    )  # fmt: skip
    approx(
        queries.branches(loaded_store, DATASOURCE, f),
        part.group_by("branch", "city").agg(
            *money, pl.len().alias("transactions"), pl.col("quantity").sum().alias("units"),
            pl.col("total").mean().alias("avg_basket"), pl.col("rating").mean().alias("avg_rating"),
            (100 * (pl.col("customer_type") == "Member").mean()).alias("member_share_pct"),
        ),
        ["branch"],
    )  # fmt: skip
    approx(
        queries.branch_daily(loaded_store, DATASOURCE, f),
        part.group_by(day, "branch").agg(*money),
        ["day", "branch"],
    )


def test_filters_narrow_results(loaded_store, rows) -> None:
    narrow = queries.branches(loaded_store, DATASOURCE, NARROW)
    assert sorted(narrow["branch"]) == ["A", "C"]
    assert set(queries.product_lines(loaded_store, DATASOURCE, NARROW)["product_line"]) == set(NARROW.product_lines)
    whole = queries.totals(loaded_store, DATASOURCE, ALL)["transactions"]
    assert 0 < queries.totals(loaded_store, DATASOURCE, NARROW)["transactions"] < whole == rows.height


def test_alerts_filtered_by_range_and_branch_keep_file_alerts(loaded_store) -> None:
    everything = queries.alerts(loaded_store, DATASOURCE, ALL)
    assert everything["rule"].to_list() == ["rejection_spike", "stale_branch", "revenue_drop"]  # newest first
    only_a = queries.alerts(loaded_store, DATASOURCE, Filters(date(2019, 1, 1), date(2019, 3, 31), branches=("A",)))
    assert sorted(only_a["rule"]) == ["rejection_spike", "revenue_drop"]
    february = queries.alerts(loaded_store, DATASOURCE, Filters(date(2019, 2, 1), date(2019, 2, 28)))
    assert february["rule"].to_list() == ["revenue_drop"]


def test_options_list_values_present_and_the_data_range(loaded_store, rows) -> None:
    found = queries.options(loaded_store, DATASOURCE)
    assert found["branches"] == sorted(rows["branch"].unique())
    assert found["product_lines"] == sorted(rows["product_line"].unique())
    assert (found["first_day"], found["last_day"]) == (rows["date"].min(), rows["date"].max())


def test_sql_in_a_filter_value_is_only_data(loaded_store, rows) -> None:
    hostile = ("A' OR '1'='1", 'A"); DROP TABLE sales; --')
    f = Filters(date(2019, 1, 1), date(2019, 3, 31), branches=hostile, product_lines=("x' OR 1=1 --",))
    assert queries.totals(loaded_store, DATASOURCE, f)["transactions"] == 0
    assert queries.branches(loaded_store, DATASOURCE, f).is_empty()
    assert queries.alerts(loaded_store, DATASOURCE, f)["rule"].to_list() == ["rejection_spike"]  # only file alerts
    assert queries.totals(loaded_store, DATASOURCE, ALL)["transactions"] == rows.height  # table intact


def test_empty_store_reports_no_rows(tmp_path) -> None:
    store = offline_store(tmp_path / "empty.duckdb")
    assert not queries.has_rows(store, DATASOURCE)
    assert queries.alerts(store, DATASOURCE, ALL).is_empty()


def test_mix_refuses_unknown_columns(loaded_store) -> None:
    with pytest.raises(ValueError, match="mix column"):
        queries.mix(loaded_store, DATASOURCE, ALL, "total; DROP TABLE sales")
