"""Analytics-store query latency (p50/p95) through the AnalyticsStore interface, on DuckDB.

The dashboard does not exist yet; these are the query shapes its pages need (KPIs and trends on
the base datasource with bound filters, reads of the summary tables). Each query opens its own
connection, as the store does.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path

import polars as pl
from dagster_aws.s3 import S3Resource

from sales_pipeline.generate import generate_sales
from sales_pipeline.resources.analytics import DuckDBStore, table_name, to_base_rows
from sales_pipeline.resources.lake import SalesLake
from sales_pipeline.summaries import SUMMARIES

WINDOW = [datetime(2019, 2, 1), datetime(2019, 3, 1)]
QUERIES = {
    "kpis (base, 1 month)": (
        'SELECT SUM(total), SUM(gross_income), COUNT(*), SUM(quantity), AVG(rating) FROM "sales" '
        "WHERE __time >= ? AND __time < ?",
        WINDOW,
    ),
    "daily trend one branch (base)": (
        "SELECT DATE_TRUNC('day', __time) AS day, SUM(total) AS revenue FROM \"sales\" "
        "WHERE __time >= ? AND __time < ? AND branch = ? GROUP BY DATE_TRUNC('day', __time)",
        [*WINDOW, "A"],
    ),
    "product lines (base)": (
        'SELECT product_line, SUM(total), SUM(gross_income), AVG(rating) FROM "sales" '
        "WHERE __time >= ? AND __time < ? GROUP BY product_line",
        WINDOW,
    ),
    "daily_by_branch (summary)": ('SELECT * FROM "daily_by_branch" WHERE __time >= ? AND __time < ?', WINDOW),
    "daily_profitability (summary)": ('SELECT * FROM "daily_profitability" WHERE __time >= ? AND __time < ?', WINDOW),
}


def run(rows: int, repeats: int = 30) -> dict:
    with tempfile.TemporaryDirectory() as state:
        store = DuckDBStore(path=str(Path(state) / "bench.duckdb"), lake=SalesLake(s3=S3Resource(), bucket="unused"))
        frame = generate_sales(rows, seed=3).with_columns(
            pl.col("time").str.to_time("%H:%M"), pl.lit("bench").alias("file_id")
        )
        store.write_table("sales", to_base_rows(frame))
        for summary in SUMMARIES:
            store.replace_table(summary.name, summary.render(table_name("sales")))
        results = {}
        for name, (sql, params) in QUERIES.items():
            store.query(sql, params)  # warm the file cache
            timings = []
            for _ in range(repeats):
                started = time.perf_counter()
                store.query(sql, params)
                timings.append((time.perf_counter() - started) * 1000)
            timings.sort()
            results[name] = {
                "p50_ms": round(statistics.median(timings), 1),
                "p95_ms": round(timings[int(0.95 * (len(timings) - 1))], 1),
            }
    return {"rows": rows, "repeats": repeats, "queries": results}


def table(results: dict) -> str:
    lines = [f"| query ({results['rows']:,} rows, DuckDB) | p50 ms | p95 ms |", "|---|---|---|"]
    lines += [f"| {name} | {e['p50_ms']} | {e['p95_ms']} |" for name, e in results["queries"].items()]
    return "\n".join(lines)
