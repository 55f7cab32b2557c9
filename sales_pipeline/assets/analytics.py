"""Validated Parquet -> analytics store -> summary tables.

``analytics_ingestion`` (one partition per landed file) replaces, in the store, every day the
file's current version touches (or touched before) with all validated objects of those days, from
every file. Writers share the ``analytics`` pool, so a load always sees every object written
before it started, and two loads of the same day never interleave.
"""

import time
from datetime import UTC, datetime

import dagster as dg
import polars as pl

from ..contract import CENT
from ..layout import validated_prefix
from ..metadata import markdown_table, preview
from ..partitions import sales_files
from ..resources.lake import SalesLake
from ..stores.base import TIME, AnalyticsStore, StoreError, day_bounds, store_failure, table_name
from ..summaries import AlertRules, Summary, build_alerts
from .ingest import sales_parquet

POOL = "analytics"
GROUP = "analytics"
STORE_RECONCILE = "store_reconcile"
SUMMARY_RECONCILE = "matches_base"


def day_objects(lake: SalesLake, datasource: str, days: list[str]) -> list[str]:
    """Every validated object of these days, from every file."""
    return [item["Key"] for day in days for item in lake.list_objects(f"{validated_prefix(datasource)}date={day}/")]


def store_day_totals(store: AnalyticsStore, datasource: str, days: list[str]) -> tuple[int, float]:
    rows, total = 0, 0.0
    for start, end in day_bounds(days):
        found = store.query(
            f"SELECT COUNT(*) AS n, SUM(total) AS t FROM {table_name(datasource)} WHERE {TIME} >= ? AND {TIME} < ?",
            [start, end],
        ).row(0)
        rows, total = rows + found[0], total + (found[1] or 0.0)
    return rows, total


def _store_reconcile(lake: SalesLake, keys: list[str], rows: int, total: float) -> dg.AssetCheckResult:
    # Independent of the load: only the footer and the total column of each object are read.
    expected = [lake.scan_parquet(key).select(pl.len(), pl.col("total").sum()).collect().row(0) for key in keys]
    expected_rows = sum(r for r, _ in expected)
    expected_total = sum(t for _, t in expected)
    passed = rows == expected_rows and abs(total - expected_total) <= CENT
    return dg.AssetCheckResult(
        check_name=STORE_RECONCILE,
        passed=passed,
        metadata={
            "store_rows": rows,
            "parquet_rows": expected_rows,
            "store_total": total,
            "parquet_total": expected_total,
        },
        description=None if passed else "store rows/totals differ from the validated Parquet of the replaced days",
    )


@dg.asset(
    partitions_def=sales_files,
    group_name=GROUP,
    deps=[sales_parquet],
    pool=POOL,
    kinds={"duckdb", "druid"},
    check_specs=[
        dg.AssetCheckSpec(
            STORE_RECONCILE,
            asset="analytics_ingestion",
            description="Store rows and SUM(total) of the replaced days == the validated Parquet of those days.",
        )
    ],
    retry_policy=dg.RetryPolicy(max_retries=2, delay=5, backoff=dg.Backoff.EXPONENTIAL),
)
def analytics_ingestion(
    context: dg.AssetExecutionContext, lake: SalesLake, store: AnalyticsStore
) -> dg.MaterializeResult:
    """Replace the days this file affects with the current validated objects of those days."""
    landed = lake.landed(context.partition_key)
    manifest = lake.read_json(landed.manifest_key)
    if manifest is None:
        raise dg.Failure(f"No manifest for {context.partition_key!r}: materialize sales_parquet first.")
    days = manifest["affected_days"]
    keys = day_objects(lake, landed.datasource, days)
    try:
        result = store.replace_days(landed.datasource, days, keys)
    except StoreError as error:
        raise store_failure(error, context.partition_key) from error
    rows, total = store_day_totals(store, landed.datasource, days)
    return dg.MaterializeResult(
        metadata={
            "engine": store.engine,
            "datasource": landed.datasource,
            "rows_loaded": result.rows_loaded,
            "days_replaced": len(result.days_replaced),
            "first_day": min(days, default="none"),
            "last_day": max(days, default="none"),
            "objects_read": len(keys),
            "file_rows": manifest["rows"],
            "seconds": round(result.seconds, 3),
            **{f"store_{k}": v for k, v in result.detail.items()},
        },
        check_results=[_store_reconcile(lake, keys, rows, total)],
    )


def _summary_check(store: AnalyticsStore, summary: Summary, base: str) -> dg.AssetCheckResult:
    columns = store.query(f"SELECT * FROM {table_name(summary.name)} LIMIT 0").columns
    base_totals = store.query(f"SELECT COUNT(*) AS n, SUM(total) AS revenue FROM {table_name(base)}").row(0, named=True)
    metric = "transactions" if "transactions" in columns else None
    sums = store.query(
        f"SELECT SUM(revenue) AS revenue{', SUM(transactions) AS n' if metric else ''} FROM {table_name(summary.name)}"
    ).row(0, named=True)
    revenue_ok = abs((sums["revenue"] or 0.0) - (base_totals["revenue"] or 0.0)) <= CENT
    count_ok = not metric or (sums["n"] or 0) == base_totals["n"]
    return dg.AssetCheckResult(
        asset_key=summary.name,
        check_name=SUMMARY_RECONCILE,
        passed=revenue_ok and count_ok,
        metadata={"summary_revenue": sums["revenue"] or 0.0, "base_revenue": base_totals["revenue"] or 0.0},
    )


def build_summary_asset(summary: Summary, base: str, automation: dg.AutomationCondition) -> dg.AssetsDefinition:
    @dg.asset(
        name=summary.name,
        group_name="summaries",
        deps=[analytics_ingestion],
        pool=POOL,
        kinds={"sql"},
        description=summary.description,
        automation_condition=automation,
        check_specs=[
            dg.AssetCheckSpec(
                SUMMARY_RECONCILE,
                asset=summary.name,
                description="SUM(revenue) and transactions equal the base datasource.",
            )
        ],
    )
    def _summary(store: AnalyticsStore) -> dg.MaterializeResult:
        started = time.perf_counter()
        sql = summary.render(table_name(base))
        rows = store.replace_table(summary.name, sql)
        sample = store.query(f"SELECT * FROM {table_name(summary.name)} ORDER BY __time DESC LIMIT 10")
        return dg.MaterializeResult(
            metadata={
                "engine": store.engine,
                "rows": rows,
                "sql": dg.MetadataValue.md(f"```sql\n{sql}\n```"),
                "preview": preview(sample),
                "seconds": round(time.perf_counter() - started, 3),
            },
            check_results=[_summary_check(store, summary, base)],
        )

    return _summary


def _file_stats(lake: SalesLake, datasource: str) -> pl.DataFrame:
    stats = []
    for manifest in lake.manifests(datasource):
        landed_at = datetime.fromisoformat(manifest.get("landed_at", manifest["manifest_modified"].isoformat()))
        stats.append(
            {
                "__time": landed_at.astimezone(UTC).replace(tzinfo=None),
                "file": manifest["partition_key"],
                "rows": manifest.get("rows", 0) + manifest.get("rejected_rows", 0),
                "rejected_rows": manifest.get("rejected_rows", 0),
            }
        )
    schema = {"__time": pl.Datetime("us"), "file": pl.String, "rows": pl.Int64, "rejected_rows": pl.Int64}
    return pl.DataFrame(stats, schema=schema)


def build_alerts_asset(base: str, rules: AlertRules, automation: dg.AutomationCondition) -> dg.AssetsDefinition:
    @dg.asset(
        name="alerts",
        group_name="summaries",
        deps=["daily_by_branch"],
        pool=POOL,
        kinds={"polars"},
        automation_condition=automation,
        description=(
            f"Revenue below {rules.revenue_drop_pct}% of a branch's trailing {rules.trailing_days}-day mean; "
            f"branches without sales for {rules.stale_days}+ days before the newest sale; "
            f"files with more than {rules.max_rejection_rate:.0%} rows rejected."
        ),
    )
    def alerts(lake: SalesLake, store: AnalyticsStore) -> dg.MaterializeResult:
        daily = store.query(f"SELECT __time, branch, revenue FROM {table_name('daily_by_branch')}")
        table = build_alerts(daily, _file_stats(lake, base), rules)
        store.write_table("alerts", table)
        counts = table.group_by("rule").len().sort("rule").to_dicts()
        return dg.MaterializeResult(
            metadata={"alerts": table.height, "by_rule": markdown_table(counts), "preview": preview(table, 20)}
        )

    return alerts
