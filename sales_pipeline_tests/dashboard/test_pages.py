"""Every page through Streamlit's AppTest against a real DuckDB store (and the moto S3 where a page
reads the lake). Figures shown are compared with an independent Polars computation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from sales_pipeline.dashboard import formatting
from sales_pipeline.dashboard.filters import DEFAULT_DAYS
from sales_pipeline.dashboard.queries import Filters
from sales_pipeline.validation import validate_file

from ..conftest import drop, ingest, list_keys
from ..samples import csv_bytes, defective_csv, sales_frame
from .conftest import selected

APP = Path(__file__).resolve().parents[2] / "sales_pipeline" / "dashboard" / "app.py"
ANALYTICS_PAGES = ["overview", "sales", "products", "branches", "profitability", "alerts"]
NO_DAGSTER = "http://127.0.0.1:9"  # nothing listens on the discard port: connection refused at once


@pytest.fixture
def dashboard_env(monkeypatch: pytest.MonkeyPatch, s3_endpoint: str) -> Iterator[pytest.MonkeyPatch]:
    """Environment the app reads at start; caches cleared so every test builds its own resources."""
    monkeypatch.setenv("SALES_S3_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("SALES_DAGSTER_URL", NO_DAGSTER)
    monkeypatch.delenv("SALES_DASHBOARD_PASSWORD", raising=False)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield monkeypatch
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def loaded_env(dashboard_env: pytest.MonkeyPatch, loaded_store) -> pytest.MonkeyPatch:
    dashboard_env.setenv("SALES_STATE_DIR", str(Path(loaded_store.path).parent))
    return dashboard_env


def open_page(page: str = "overview", query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params.update(query or {})
    at.run()
    if page != "overview":
        at.switch_page(f"screens/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def charts(at: AppTest) -> list[tuple[dict, pl.DataFrame]]:
    """(Vega-Lite spec, data) of every chart on the page."""
    found = []
    for element in at.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        data = pa.ipc.open_stream(element.proto.datasets[0].data.data).read_all()
        found.append((spec, pl.from_arrow(data)))
    return found


def frames(at: AppTest) -> list[pl.DataFrame]:
    return [pl.from_pandas(table.value) for table in at.dataframe]


def shown_money(text: str, expected: float) -> bool:
    """A displayed amount equals the expected one to the cent (sums differ in the last float bits)."""
    return abs(float(text.replace("$", "").replace(",", "")) - expected) <= 0.005 + 1e-6


def default_period(rows: pl.DataFrame) -> Filters:
    last = rows["date"].max()
    return Filters(last - timedelta(days=DEFAULT_DAYS - 1), last)


def test_overview_kpis_changes_and_trend_match_polars(loaded_env, rows) -> None:
    at = open_page()
    period = default_period(rows)
    now, before = selected(rows, period), selected(rows, period.previous())
    shown = {m.label: (m.value, m.delta) for m in at.metric}
    assert shown_money(shown["Revenue"][0], now["total"].sum())
    assert shown["Revenue"][1] == formatting.change(100 * (now["total"].sum() / before["total"].sum() - 1))
    assert shown_money(shown["Gross income"][0], now["gross_income"].sum())
    assert shown["Transactions"] == (f"{now.height:,}", formatting.change(100 * (now.height / before.height - 1)))
    assert shown["Units sold"][0] == f"{now['quantity'].sum():,}"
    assert shown["Average rating"][0] == formatting.rating(now["rating"].mean())
    spec, trend = charts(at)[0]
    assert spec["encoding"]["y"]["axis"]["title"] == "Revenue ($)"
    expected = now.group_by("date").agg(pl.col("total").sum()).sort("date")
    assert trend["day"].dt.date().to_list() == expected["date"].to_list()
    assert trend["revenue"].to_list() == pytest.approx(expected["total"].to_list(), rel=1e-9)
    assert "dates" not in at.query_params  # the default view keeps the URL clean


def test_filters_from_the_url_narrow_the_figures_and_stay_in_the_url(loaded_env, rows) -> None:
    query = {"dates": ["2019-02-01", "2019-02-28"], "branch": ["A", "C"], "product_line": "Health and beauty"}
    at = open_page("overview", query)
    f = Filters(date(2019, 2, 1), date(2019, 2, 28), branches=("A", "C"), product_lines=("Health and beauty",))
    part = selected(rows, f)
    assert shown_money({m.label: m.value for m in at.metric}["Revenue"], part["total"].sum())
    assert at.multiselect(key="branch").value == ["A", "C"]
    assert at.query_params["branch"] == ["A", "C"] and at.query_params["product_line"] == "Health and beauty"
    # The filters follow the user to the next page.
    at.switch_page("screens/branches.py").run()
    assert sorted(frames(at)[0]["branch"]) == ["A", "C"]
    # Narrowing in the sidebar narrows again.
    at.multiselect(key="branch").set_value(["C"]).run()
    assert frames(at)[0]["branch"].to_list() == ["C"]


def test_sql_in_url_filter_values_is_dropped_and_named(loaded_env, rows) -> None:
    hostile = "A' OR '1'='1"
    at = open_page("overview", {"branch": [hostile, "B"], "dates": "2019-01-01'; DROP TABLE sales; --"})
    assert at.multiselect(key="branch").value == ["B"]
    assert at.query_params["branch"] == "B" and "dates" not in at.query_params
    period = default_period(rows)  # the unreadable date falls back to the default
    revenue = selected(rows, Filters(period.start, period.end, branches=("B",)))["total"].sum()
    assert shown_money({m.label: m.value for m in at.metric}["Revenue"], revenue)


def test_sales_page_charts_match_polars(loaded_env, rows) -> None:
    at = open_page("sales")
    now = selected(rows, default_period(rows))
    by_title = {spec["encoding"]["x"].get("title") or spec["encoding"]["y"]["title"]: data for spec, data in charts(at)}
    assert by_title["Day"]["transactions"].sum() == now.height
    hours = by_title["Hour of day"].sort("hour")
    expected = now.group_by(pl.col("time").dt.hour()).agg(pl.col("total").sum()).sort("time")
    assert hours["hour"].to_list() == expected["time"].to_list()
    assert hours["revenue"].to_list() == pytest.approx(expected["total"].to_list(), rel=1e-9)
    payment, customer = frames(at)
    for table, column in ((payment, "payment"), (customer, "customer_type")):
        expected = now.group_by(column).agg(pl.col("total").sum()).sort(column)
        assert table.sort(column)["revenue"].to_list() == pytest.approx(expected["total"].to_list(), rel=1e-9)
        assert table["share_pct"].sum() == pytest.approx(100)


def test_products_and_branches_tables_match_polars(loaded_env, rows) -> None:
    now = selected(rows, default_period(rows))
    products = frames(open_page("products"))[0]
    expected = now.group_by("product_line").agg(pl.col("total").sum(), pl.col("rating").mean()).sort("total")
    assert products.sort("revenue")["product_line"].to_list() == expected["product_line"].to_list()
    assert products.sort("revenue")["avg_rating"].to_list() == pytest.approx(expected["rating"].to_list())
    assert products["share_pct"].sum() == pytest.approx(100)
    branches = frames(open_page("branches"))[0].sort("branch")
    expected = now.group_by("branch").agg(pl.len(), (pl.col("customer_type") == "Member").mean()).sort("branch")
    assert branches["transactions"].to_list() == expected["len"].to_list()
    assert branches["member_share_pct"].to_list() == pytest.approx((100 * expected["customer_type"]).to_list())


def test_profitability_cards_match_polars(loaded_env, rows) -> None:
    at = open_page("profitability")
    now = selected(rows, default_period(rows))
    shown = {m.label: m.value for m in at.metric}
    assert shown_money(shown["Cost of goods sold"], now["cogs"].sum())
    assert shown["Gross margin"] == formatting.percent(100 * now["gross_income"].sum() / now["total"].sum(), 2)
    measures = charts(at)[0][1]
    assert set(measures["measure"]) == {"Revenue", "Cost of goods", "Gross income"}


def test_alerts_page_counts_rules_and_follows_the_branch_filter(loaded_env, alerts_table) -> None:
    at = open_page("alerts", {"dates": ["2019-01-01", "2019-03-31"]})
    assert {m.label: m.value for m in at.metric} == {"Revenue drop": "1", "Stale branch": "1", "Rejection spike": "1"}
    assert frames(at)[0]["rule"].to_list() == ["rejection_spike", "stale_branch", "revenue_drop"]
    at.multiselect(key="branch").set_value(["A"]).run()
    assert sorted(frames(at)[0]["rule"]) == ["rejection_spike", "revenue_drop"]


@pytest.mark.parametrize("page", ANALYTICS_PAGES)
def test_empty_store_explains_how_to_load_data(dashboard_env, tmp_path, page) -> None:
    dashboard_env.setenv("SALES_STATE_DIR", str(tmp_path))
    at = open_page(page)
    assert "No sales loaded yet" in at.info[0].value and "sales-pipeline upload" in at.info[0].value
    assert not at.metric and not at.get("vega_lite_chart")


def test_unreadable_store_shows_a_banner_with_the_location(dashboard_env, tmp_path) -> None:
    (tmp_path / "analytics.duckdb").write_bytes(b"this is not a duckdb file" * 100)
    dashboard_env.setenv("SALES_STATE_DIR", str(tmp_path))
    at = open_page()
    assert "Analytics store unreachable" in at.error[0].value
    assert str(tmp_path / "analytics.duckdb") in at.error[0].value


def test_password_gate(loaded_env) -> None:
    loaded_env.setenv("SALES_DASHBOARD_PASSWORD", "correct horse")
    at = open_page()
    assert not at.metric and at.text_input[0].label == "Password"
    at.text_input[0].input("wrong")
    at.button[0].click().run()
    assert at.error[0].value == "Wrong password." and not at.metric
    at.text_input[0].input("correct horse")
    at.button[0].click().run()
    assert {m.label for m in at.metric} >= {"Revenue", "Transactions"}


def test_data_status_shows_store_files_rejections_and_dagster_outage(
    dashboard_env, settings, resources, instance, lake
) -> None:
    drop(lake, "sales/defects.csv", defective_csv(200, rate=0.1, seed=5))
    ingest("sales/defects.csv", resources, instance)
    dashboard_env.setenv("SALES_STATE_DIR", settings.state_dir)
    dashboard_env.setenv("SALES_BUCKET", settings.bucket)
    at = open_page("data_status")
    sources, files = frames(at)
    manifest = lake.read_json(lake.landed("sales/defects.csv").manifest_key)
    assert sources.filter(pl.col("name") == "sales")["rows"].item() == manifest["rows"]
    row = files.row(0, named=True)
    assert (row["file"], row["valid_rows"], row["rejected_rows"]) == ("sales/defects.csv", 180, 20)
    assert row["quarantine"] == f"s3://{settings.bucket}/{lake.landed('sales/defects.csv').quarantine_key}"
    assert "tag%3Adagster%2Fpartition%3Dsales%2Fdefects.csv" in row["runs"]
    assert NO_DAGSTER in at.warning[0].value  # run history needs the webserver; the page says which URL


def test_upload_validates_like_the_cli_then_lands_the_file(dashboard_env, settings, lake, tmp_path) -> None:
    dashboard_env.setenv("SALES_STATE_DIR", settings.state_dir)
    dashboard_env.setenv("SALES_BUCKET", settings.bucket)
    body = defective_csv(120, rate=0.05, seed=9)
    (tmp_path / "q1.csv").write_bytes(body)
    expected = validate_file(tmp_path / "q1.csv", "q1.csv").report()
    at = open_page("upload")
    at.file_uploader[0].set_value(("q1.csv", body, "text/csv")).run()
    shown = {m.label: m.value for m in at.metric}
    assert shown == {"Rows": "120", "Valid rows": f"{expected['valid_rows']:,}", "Rejected rows": "6"}
    failures = frames(at)[0]
    assert failures["count"].sum() >= 6 and set(failures["rule"]) == {f["rule"] for f in expected["failures"]}
    at.button[0].click().run()
    assert list_keys(lake, settings.landing_prefix) == [f"{settings.landing_prefix}sales/q1.csv"]
    assert any("sales/q1.csv" in m.value for m in at.markdown)
    assert any(NO_DAGSTER in w.value for w in at.warning)  # progress needs the webserver


def test_upload_refuses_a_file_over_the_size_limit(dashboard_env, settings, lake) -> None:
    dashboard_env.setenv("SALES_STATE_DIR", settings.state_dir)
    dashboard_env.setenv("SALES_BUCKET", settings.bucket)
    dashboard_env.setenv("SALES_MAX_FILE_MB", "0.001")  # 1 KiB
    at = open_page("upload")
    at.file_uploader[0].set_value(("big.csv", csv_bytes(sales_frame(50)), "text/csv")).run()
    assert "big.csv" in at.error[0].value and "limit" in at.error[0].value.lower()
    assert not at.button and list_keys(lake, settings.landing_prefix) == []
