"""Dashboard page latency (p50/p95) on DuckDB: each page's own queries (dashboard/queries.py),
uncached, through the AnalyticsStore interface, with the default view (the latest four weeks)
and a narrowed one (two branches, two product lines). Each query opens its own connection, as
the store does; a page load is the sum of its queries.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import polars as pl
from dagster_aws.s3 import S3Resource

from sales_pipeline.dashboard import queries
from sales_pipeline.dashboard.filters import DEFAULT_DAYS
from sales_pipeline.dashboard.queries import PAGE_QUERIES, Filters
from sales_pipeline.generate import generate_sales
from sales_pipeline.resources.lake import SalesLake
from sales_pipeline.stores.base import table_name, to_base_rows
from sales_pipeline.stores.duckdb import DuckDBStore
from sales_pipeline.summaries import SUMMARIES, AlertRules, build_alerts

DATASOURCE = "sales"


def _load(store: DuckDBStore, rows: int) -> Filters:
    frame = generate_sales(rows, seed=3).with_columns(
        pl.col("time").str.to_time("%H:%M"), pl.lit("bench").alias("file_id")
    )
    store.write_table(DATASOURCE, to_base_rows(frame).sort("__time"))  # as replace_days inserts
    for summary in SUMMARIES:
        store.replace_table(summary.name, summary.render(table_name(DATASOURCE)))
    daily = store.query('SELECT __time, branch, revenue FROM "daily_by_branch"')
    store.write_table("alerts", build_alerts(daily, pl.DataFrame(schema={"__time": pl.Datetime("us"), "file": pl.String,
                      "rows": pl.Int64, "rejected_rows": pl.Int64}), AlertRules()))  # fmt: skip
    last = frame["date"].max()
    return Filters(last - timedelta(days=DEFAULT_DAYS - 1), last)


def _page_ms(store: DuckDBStore, page: str, filters: Filters) -> float:
    started = time.perf_counter()
    for query in PAGE_QUERIES[page]:
        query(store, DATASOURCE, filters)
    return (time.perf_counter() - started) * 1000


def _percentiles(timings: list[float]) -> dict:
    timings = sorted(timings)
    return {"p50_ms": round(statistics.median(timings), 1), "p95_ms": round(timings[int(0.95 * (len(timings) - 1))], 1)}


def run(rows: int, repeats: int = 30) -> dict:
    with tempfile.TemporaryDirectory() as state:
        store = DuckDBStore(path=str(Path(state) / "bench.duckdb"), lake=SalesLake(s3=S3Resource(), bucket="unused"))
        default = _load(store, rows)
        narrowed = Filters(default.start, default.end, ("A", "C"), ("Health and beauty", "Sports and travel"))
        results = {}
        for page in [*PAGE_QUERIES, "data_status"]:
            for view, filters in (("default", default), ("narrowed", narrowed)):
                if page == "data_status":
                    measure = lambda: queries.datasources(store, DATASOURCE)  # noqa: E731
                else:
                    measure = lambda page=page, filters=filters: _page_ms(store, page, filters)  # noqa: E731
                measure()  # warm the file cache
                timings = []
                for _ in range(repeats):
                    started = time.perf_counter()
                    measure()
                    timings.append((time.perf_counter() - started) * 1000)
                results[f"{page} ({view})"] = {"queries": len(PAGE_QUERIES.get(page, [1])), **_percentiles(timings)}
                if page == "data_status":
                    break
    return {"rows": rows, "repeats": repeats, "engine": "duckdb", "pages": results}


def table(results: list[dict]) -> str:
    lines = ["| page (view) | query calls | " + " | ".join(f"{r['rows']:,} rows p50 / p95 ms" for r in results) + " |"]
    lines.append("|---|---|" + "---|" * len(results))
    for name, entry in results[0]["pages"].items():
        cells = " | ".join(f"{r['pages'][name]['p50_ms']} / {r['pages'][name]['p95_ms']}" for r in results)
        lines.append(f"| {name} | {entry['queries']} | {cells} |")
    return "\n".join(lines)
