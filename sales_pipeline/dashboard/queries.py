"""Every query the dashboard sends, as plain functions of (store, datasource, filters).

No Streamlit here: the pages, the tests and the benchmarks call the same functions. The SQL stays
in the subset both engines accept (see summaries.py) and filter values only ever travel as ``?``
bound parameters; the only identifiers formatted into SQL are validated table names and the
column names of this module. Results are small (per day, hour, branch or product line), so
ordering and derived ratios are done in Polars rather than in engine-specific SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

import polars as pl

from ..stores.base import AnalyticsStore, table_name

DAY = "DATE_TRUNC('day', __time)"
# Filter field -> column of the base datasource.
FILTER_COLUMNS = {
    "branches": "branch",
    "product_lines": "product_line",
    "payments": "payment",
    "customer_types": "customer_type",
}
MIX_COLUMNS = ("payment", "customer_type", "gender")
ALERTS_TABLE = "alerts"


@dataclass(frozen=True)
class Filters:
    """What the user narrowed the view to. Empty selections mean "all". ``end`` is inclusive."""

    start: date
    end: date
    branches: tuple[str, ...] = ()
    product_lines: tuple[str, ...] = ()
    payments: tuple[str, ...] = ()
    customer_types: tuple[str, ...] = ()

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Filters:
        """The period of the same length that ends the day before this one starts."""
        end = self.start - timedelta(days=1)
        return replace(self, start=end - timedelta(days=self.days - 1), end=end)

    def time_bounds(self) -> tuple[datetime, datetime]:
        return datetime.combine(self.start, time.min), datetime.combine(self.end + timedelta(days=1), time.min)


def where(filters: Filters, columns: Sequence[str] = tuple(FILTER_COLUMNS)) -> tuple[str, list[Any]]:
    """WHERE clause and its parameters: the time range plus every non-empty selection in ``columns``."""
    clauses = ["__time >= ?", "__time < ?"]
    params: list[Any] = list(filters.time_bounds())
    for field in columns:
        values = getattr(filters, field)
        if values:
            clauses.append(f"{FILTER_COLUMNS[field]} IN ({', '.join('?' for _ in values)})")
            params.extend(values)
    return " AND ".join(clauses), params


def _select(store: AnalyticsStore, datasource: str, select: str, filters: Filters, group_by: str = "") -> pl.DataFrame:
    clause, params = where(filters)
    sql = f"SELECT {select} FROM {table_name(datasource)} WHERE {clause}"
    return store.query(f"{sql} GROUP BY {group_by}" if group_by else sql, params)


def _margin(frame: pl.DataFrame) -> pl.DataFrame:
    revenue = pl.col("revenue")
    return frame.with_columns(
        pl.when(revenue != 0).then(100 * pl.col("gross_income") / revenue).otherwise(None).alias("margin_pct")
    )


def totals(store: AnalyticsStore, datasource: str, filters: Filters) -> dict[str, float | int | None]:
    """KPI values: revenue, gross income, cogs, transactions, units, average rating (None when no rows)."""
    frame = _select(
        store,
        datasource,
        "SUM(total) AS revenue, SUM(gross_income) AS gross_income, SUM(cogs) AS cogs, "
        "COUNT(*) AS transactions, SUM(quantity) AS units, AVG(rating) AS avg_rating",
        filters,
    )
    row = frame.row(0, named=True)
    return {**row, "transactions": row["transactions"] or 0}


_KPI_AGGREGATES = {  # KPI -> aggregate over the rows of one period ({period} is its time test)
    "revenue": "SUM(CASE WHEN {period} THEN total END)",
    "gross_income": "SUM(CASE WHEN {period} THEN gross_income END)",
    "transactions": "SUM(CASE WHEN {period} THEN 1 ELSE 0 END)",
    "units": "SUM(CASE WHEN {period} THEN quantity END)",
    "avg_rating": "AVG(CASE WHEN {period} THEN rating END)",
}


def kpis(store: AnalyticsStore, datasource: str, filters: Filters) -> pl.DataFrame:
    """One row per KPI: current value, previous-period value and the change in percent.

    Both periods come from one scan of their joint range (one query instead of two).
    """
    periods = {"now": "__time >= ?", "before": "__time < ?"}  # split at the current period's start
    select = [
        f"{sql.format(period=test)} AS {name}_{p}"
        for p, test in periods.items()
        for name, sql in _KPI_AGGREGATES.items()
    ]
    clause, params = where(replace(filters, start=filters.previous().start))
    row = store.query(
        f"SELECT {', '.join(select)} FROM {table_name(datasource)} WHERE {clause}",
        [filters.time_bounds()[0]] * len(select) + params,
    ).row(0, named=True)
    rows = []
    for name in _KPI_AGGREGATES:
        current, previous = row[f"{name}_now"], row[f"{name}_before"]
        if name == "transactions":  # no rows at all gives NULL, not 0
            current, previous = current or 0, previous or 0
        change = 100 * (current - previous) / previous if current is not None and previous else None
        rows.append({"kpi": name, "value": current, "previous": previous, "change_pct": change})
    schema = {"kpi": pl.String, "value": pl.Float64, "previous": pl.Float64, "change_pct": pl.Float64}
    return pl.DataFrame(rows, schema=schema, orient="row")


def daily(store: AnalyticsStore, datasource: str, filters: Filters) -> pl.DataFrame:
    """Per day: revenue, cogs, gross income, transactions, units and margin."""
    frame = _select(
        store,
        datasource,
        f'{DAY} AS "day", SUM(total) AS revenue, SUM(cogs) AS cogs, SUM(gross_income) AS gross_income, '
        "COUNT(*) AS transactions, SUM(quantity) AS units",
        filters,
        DAY,
    )
    return _margin(frame).sort("day")


def by_hour(store: AnalyticsStore, datasource: str, filters: Filters) -> pl.DataFrame:
    """Per hour of the day: transactions and revenue."""
    hour = "EXTRACT(HOUR FROM __time)"
    frame = _select(
        store, datasource, f'{hour} AS "hour", COUNT(*) AS transactions, SUM(total) AS revenue', filters, hour
    )
    return frame.with_columns(pl.col("hour").cast(pl.Int32)).sort("hour")


def mix(store: AnalyticsStore, datasource: str, filters: Filters, column: str) -> pl.DataFrame:
    """Transactions, revenue and revenue share per value of payment, customer_type or gender."""
    if column not in MIX_COLUMNS:
        raise ValueError(f"mix column must be one of {MIX_COLUMNS}, not {column!r}")
    frame = _select(store, datasource, f"{column}, COUNT(*) AS transactions, SUM(total) AS revenue", filters, column)
    return frame.with_columns((100 * pl.col("revenue") / pl.col("revenue").sum()).alias("share_pct")).sort(column)


def product_lines(store: AnalyticsStore, datasource: str, filters: Filters) -> pl.DataFrame:
    """Per product line: revenue, share, gross income, margin, units, transactions, rating, unit price."""
    frame = _select(
        store,
        datasource,
        "product_line, SUM(total) AS revenue, SUM(gross_income) AS gross_income, SUM(quantity) AS units, "
        "COUNT(*) AS transactions, AVG(rating) AS avg_rating, AVG(unit_price) AS avg_unit_price",
        filters,
        "product_line",
    )
    share = (100 * pl.col("revenue") / pl.col("revenue").sum()).alias("share_pct")
    return _margin(frame).with_columns(share).sort("revenue", descending=True)


def branches(store: AnalyticsStore, datasource: str, filters: Filters) -> pl.DataFrame:
    """Per branch: revenue, gross income, margin, transactions, units, basket, rating, member share."""
    frame = _select(
        store,
        datasource,
        "branch, city, SUM(total) AS revenue, SUM(gross_income) AS gross_income, COUNT(*) AS transactions, "
        "SUM(quantity) AS units, AVG(total) AS avg_basket, AVG(rating) AS avg_rating, "
        "SUM(CASE WHEN customer_type = 'Member' THEN 1 ELSE 0 END) AS member_transactions",
        filters,
        "branch, city",
    )
    member_share = (100 * pl.col("member_transactions") / pl.col("transactions")).alias("member_share_pct")
    return _margin(frame).with_columns(member_share).sort("branch")


def branch_daily(store: AnalyticsStore, datasource: str, filters: Filters) -> pl.DataFrame:
    """Per day and branch: revenue and gross income (the side-by-side trend)."""
    frame = _select(
        store,
        datasource,
        f'{DAY} AS "day", branch, SUM(total) AS revenue, SUM(gross_income) AS gross_income',
        filters,
        f"{DAY}, branch",
    )
    return frame.sort("day", "branch")


def alerts(store: AnalyticsStore, datasource: str, filters: Filters) -> pl.DataFrame:
    """Alerts in the date range; branch alerts narrowed by the branch filter, file alerts always kept."""
    schema = {"__time": pl.Datetime("us"), "rule": pl.String, "branch": pl.String, "detail": pl.String}
    if ALERTS_TABLE not in store.datasources()["name"].to_list():
        return pl.DataFrame(schema={**schema, "value": pl.Float64})
    start, end = filters.time_bounds()
    sql = (
        f'SELECT __time, rule, branch, detail, "value" FROM {table_name(ALERTS_TABLE)} WHERE __time >= ? AND __time < ?'
    )
    params: list[Any] = [start, end]
    if filters.branches:
        sql += f" AND (branch IS NULL OR branch IN ({', '.join('?' for _ in filters.branches)}))"
        params.extend(filters.branches)
    return store.query(sql, params).sort("__time", "rule", descending=[True, False])


def options(store: AnalyticsStore, datasource: str) -> dict[str, Any]:
    """What the filters can offer: the values present per filter column, and the first and last day."""
    columns = ", ".join(FILTER_COLUMNS.values())
    frame = store.query(
        f"SELECT {columns}, MIN(__time) AS first_time, MAX(__time) AS last_time "
        f"FROM {table_name(datasource)} GROUP BY {columns}"
    )
    found: dict[str, Any] = {
        field: sorted(frame[column].unique().to_list()) for field, column in FILTER_COLUMNS.items()
    }
    found["first_day"] = frame["first_time"].min().date() if frame.height else None
    found["last_day"] = frame["last_time"].max().date() if frame.height else None
    return found


def has_rows(store: AnalyticsStore, datasource: str) -> bool:
    found = store.datasources().filter(pl.col("name") == datasource)
    return bool(found.height) and found["rows"][0] > 0


QueryFn = Callable[[AnalyticsStore, str, Filters], Any]
# The queries each page sends, for benchmarks and tests (pages call the functions directly).
PAGE_QUERIES: dict[str, list[QueryFn]] = {
    "overview": [kpis, daily],
    "sales": [daily, by_hour, lambda s, d, f: mix(s, d, f, "payment"), lambda s, d, f: mix(s, d, f, "customer_type")],
    "products": [product_lines],
    "branches": [branches, branch_daily],
    "profitability": [daily, totals],
    "alerts": [alerts],
}


def datasources(store: AnalyticsStore, datasource: str) -> pl.DataFrame:
    """Every datasource/table of the store with its rows and time range (datasource: unused, uniform call)."""
    return store.datasources()
