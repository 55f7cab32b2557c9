"""The same landed files give the same figures, with the same dtypes, on DuckDB and on a real Druid:
every summary table, table by table, and every query the dashboard pages send."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date

import dagster as dg
import pytest
from polars.testing import assert_frame_equal

from sales_pipeline.assets.analytics import analytics_ingestion
from sales_pipeline.dashboard import queries
from sales_pipeline.definitions import summary_assets
from sales_pipeline.resources.factory import build_resources
from sales_pipeline.summaries import SUMMARY_NAMES

from .conftest import drop, ingest
from .samples import csv_bytes, sales_frame

pytestmark = pytest.mark.druid

SUMMARY_ORDER = {
    "daily_by_branch": ["__time", "branch"],
    "daily_by_product_line": ["__time", "product_line"],
    "branch_comparison": ["branch"],
    "daily_profitability": ["__time"],
    "daily_payment_customer_mix": ["__time", "payment", "customer_type", "gender"],
    "alerts": ["__time", "rule", "detail"],
}


@pytest.fixture
def both(settings, druid_cluster, instance):
    """DuckDB and Druid resources over one bucket, after the same files went through the same assets."""
    datasource = f"s{uuid.uuid4().hex[:10]}"
    duck_settings = replace(settings, default_datasource=datasource)
    druid_settings = replace(duck_settings, store="druid", druid_url=druid_cluster.url("broker"))
    duck = build_resources(duck_settings)
    duck["lake"].ensure_bucket()
    druid = {**build_resources(druid_settings), "lake": duck["lake"]}
    druid["store"] = druid["store"].model_copy(update={"lake": duck["lake"]})
    frames = {
        "a.csv": sales_frame(400, seed=21, start=date(2019, 1, 1), days=20),
        "b.csv": sales_frame(300, seed=22, start=date(2019, 1, 10), days=15),
    }
    for name, frame in frames.items():
        key = f"{datasource}/{name}"
        drop(duck["lake"], key, csv_bytes(frame))
        assert ingest(key, duck, instance).success
        assert dg.materialize([analytics_ingestion], partition_key=key, resources=druid, instance=instance).success
    for resources, engine_settings in ((duck, duck_settings), (druid, druid_settings)):
        assert dg.materialize(summary_assets(engine_settings), resources=resources, instance=instance).success
    return datasource, duck["store"], druid["store"]


def test_summaries_and_page_queries_agree(both) -> None:
    datasource, duck, druid = both
    assert (duck.engine, druid.engine) == ("duckdb", "druid")
    for name in SUMMARY_NAMES + ["alerts"]:
        order = SUMMARY_ORDER[name]
        on_duck = duck.query(f'SELECT * FROM "{name}"').sort(order)
        on_druid = druid.query(f'SELECT * FROM "{name}"').sort(order)
        assert on_duck.height > 0, name
        assert_frame_equal(on_duck, on_druid, check_exact=False, rel_tol=1e-9, abs_tol=1e-6)
    everything = queries.Filters(start=date(2019, 1, 1), end=date(2019, 1, 31))
    narrowed = replace(everything, start=date(2019, 1, 12), branches=("A", "C"), payments=("Cash",))
    for filters in (everything, narrowed):
        for page, functions in queries.PAGE_QUERIES.items():
            for function in functions:
                on_duck, on_druid = function(duck, datasource, filters), function(druid, datasource, filters)
                if isinstance(on_duck, dict):
                    assert on_duck == pytest.approx(on_druid), page
                else:
                    assert_frame_equal(on_duck, on_druid, check_exact=False, rel_tol=1e-9, abs_tol=1e-6)
    assert queries.options(duck, datasource) == queries.options(druid, datasource)
