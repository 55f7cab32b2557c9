"""Summary tables: SQL in the subset DuckDB and Druid SQL both accept, plus the alert rules.

SQL subset rules (checked against both engines):
- the time column is ``__time``; days are ``DATE_TRUNC('day', __time)``, and every summary keeps
  ``__time`` as its first column (Druid datasources need one);
- aggregates: SUM, COUNT(*), AVG, MIN, MAX; conditional logic with CASE; division guarded by CASE;
- GROUP BY repeats the expressions (no ordinals), no window functions, no joins, no CTEs;
- identifiers double-quoted; values only as ``?`` bound parameters, never formatted into SQL;
- ``__time`` is the only timestamp column of a summary (Druid stores no other timestamp type);
- names Druid reserves (``date``, ``time``, ...) are double-quoted when used as aliases.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

DAY = "DATE_TRUNC('day', __time)"


@dataclass(frozen=True)
class Summary:
    name: str
    description: str
    sql: str  # "{base}" is replaced by the quoted base datasource

    def render(self, base_table: str) -> str:
        return self.sql.format(base=base_table, day=DAY)


SUMMARIES = [
    Summary(
        "daily_by_branch",
        "Per day and branch: revenue, gross income, cogs, units, transactions, average rating.",
        """SELECT {day} AS __time, branch, city,
       SUM(total) AS revenue, SUM(gross_income) AS gross_income, SUM(cogs) AS cogs,
       SUM(quantity) AS units, COUNT(*) AS transactions, AVG(rating) AS avg_rating
FROM {base} GROUP BY {day}, branch, city""",
    ),
    Summary(
        "daily_by_product_line",
        "Per day and product line: revenue, gross income, units, transactions, average rating and unit price.",
        """SELECT {day} AS __time, product_line,
       SUM(total) AS revenue, SUM(gross_income) AS gross_income, SUM(quantity) AS units,
       COUNT(*) AS transactions, AVG(rating) AS avg_rating, AVG(unit_price) AS avg_unit_price
FROM {base} GROUP BY {day}, product_line""",
    ),
    Summary(
        "branch_comparison",
        "Per branch over all data: totals, average basket, member share; __time is the branch's last sale.",
        """SELECT MAX(__time) AS __time, branch, city,
       SUM(total) AS revenue, SUM(gross_income) AS gross_income, COUNT(*) AS transactions,
       SUM(quantity) AS units, AVG(total) AS avg_basket, AVG(rating) AS avg_rating,
       SUM(CASE WHEN customer_type = 'Member' THEN 1 ELSE 0 END) AS member_transactions
FROM {base} GROUP BY branch, city""",
    ),
    Summary(
        "daily_profitability",
        "Per day: revenue vs cogs vs gross income, and gross margin in percent of revenue.",
        """SELECT {day} AS __time,
       SUM(total) AS revenue, SUM(cogs) AS cogs, SUM(gross_income) AS gross_income,
       CASE WHEN SUM(total) = 0 THEN 0 ELSE 100.0 * SUM(gross_income) / SUM(total) END AS margin_pct
FROM {base} GROUP BY {day}""",
    ),
    Summary(
        "daily_payment_customer_mix",
        "Per day, payment method, customer type and gender: transactions and revenue.",
        """SELECT {day} AS __time, payment, customer_type, gender,
       COUNT(*) AS transactions, SUM(total) AS revenue
FROM {base} GROUP BY {day}, payment, customer_type, gender""",
    ),
]
SUMMARY_NAMES = [s.name for s in SUMMARIES]


ALERT_SCHEMA = {
    "__time": pl.Datetime("us"),
    "rule": pl.String,
    "branch": pl.String,
    "detail": pl.String,
    "value": pl.Float64,
}


@dataclass(frozen=True)
class AlertRules:
    """Documented in README 'Alerts'. Defaults are overridable through settings."""

    revenue_drop_pct: float = 50.0  # day revenue below this % of the branch's trailing 7-day mean
    trailing_days: int = 7
    stale_days: int = 2  # a branch with no sales for this many days before the newest sale
    max_rejection_rate: float = 0.05  # a file whose rejection rate is above this


def revenue_drop_alerts(daily_by_branch: pl.DataFrame, rules: AlertRules) -> pl.DataFrame:
    """Days whose revenue fell below revenue_drop_pct % of the trailing mean of the previous days."""
    daily = (
        daily_by_branch.group_by("__time", "branch")
        .agg(pl.col("revenue").sum())
        .sort("branch", "__time")
        .with_columns(
            pl.col("revenue")
            .shift(1)
            .rolling_mean(window_size=rules.trailing_days, min_samples=rules.trailing_days)
            .over("branch")
            .alias("trailing_mean")
        )
    )
    hits = daily.filter(pl.col("revenue") < pl.col("trailing_mean") * rules.revenue_drop_pct / 100)
    return hits.select(
        "__time",
        pl.lit("revenue_drop").alias("rule"),
        "branch",
        pl.format(
            "revenue {} is below {}% of the trailing {}-day mean {}",
            pl.col("revenue").round(2),
            pl.lit(rules.revenue_drop_pct),
            pl.lit(rules.trailing_days),
            pl.col("trailing_mean").round(2),
        ).alias("detail"),
        pl.col("revenue").alias("value"),
    )


def stale_branch_alerts(daily_by_branch: pl.DataFrame, rules: AlertRules) -> pl.DataFrame:
    """Branches whose last sale is more than stale_days before the newest sale in the data."""
    if daily_by_branch.is_empty():
        return pl.DataFrame(schema=ALERT_SCHEMA)
    newest = daily_by_branch["__time"].max()
    last = daily_by_branch.group_by("branch").agg(pl.col("__time").max().alias("last_day"))
    gap = (pl.lit(newest) - pl.col("last_day")).dt.total_days()
    return last.filter(gap > rules.stale_days).select(
        pl.lit(newest).alias("__time"),
        pl.lit("stale_branch").alias("rule"),
        "branch",
        pl.format("no sales for {} days before the newest sale", gap).alias("detail"),
        gap.cast(pl.Float64).alias("value"),
    )


def rejection_alerts(file_stats: pl.DataFrame, rules: AlertRules) -> pl.DataFrame:
    """Files whose rejection rate is above the limit. file_stats: __time, file, rows, rejected_rows."""
    rate = pl.col("rejected_rows") / pl.col("rows")
    return file_stats.filter((pl.col("rows") > 0) & (rate > rules.max_rejection_rate)).select(
        "__time",
        pl.lit("rejection_spike").alias("rule"),
        pl.lit(None, dtype=pl.String).alias("branch"),
        pl.format("{}: {} of {} rows rejected", "file", "rejected_rows", "rows").alias("detail"),
        rate.alias("value"),
    )


def build_alerts(daily_by_branch: pl.DataFrame, file_stats: pl.DataFrame, rules: AlertRules) -> pl.DataFrame:
    parts = [
        revenue_drop_alerts(daily_by_branch, rules),
        stale_branch_alerts(daily_by_branch, rules),
        rejection_alerts(file_stats, rules),
    ]
    return pl.concat([pl.DataFrame(schema=ALERT_SCHEMA), *(p.cast(ALERT_SCHEMA) for p in parts)]).sort("__time", "rule")
