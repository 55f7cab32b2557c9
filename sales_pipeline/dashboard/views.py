"""Streamlit building blocks shared by the pages: resources, cached queries, states, charts, access."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
import polars as pl
import streamlit as st

from ..resources.factory import build_resources, resolved
from ..resources.lake import SalesLake
from ..stores.base import AnalyticsStore
from . import formatting, queries
from .config import DashboardSettings
from .dagster_api import DagsterApi
from .filters import sidebar

CACHE_SECONDS = 30  # how stale a figure may be; a load's effect shows up within this


@dataclass(frozen=True)
class App:
    settings: DashboardSettings
    store: AnalyticsStore
    lake: SalesLake
    dagster: DagsterApi

    @property
    def datasource(self) -> str:
        return self.settings.pipeline.default_datasource


@st.cache_resource
def app() -> App:
    """Built once per server process from the environment (the same settings as the pipeline)."""
    settings = DashboardSettings.from_env()
    built = build_resources(settings.pipeline)
    return App(
        settings,
        resolved(built["store"]),
        resolved(built["lake"]),
        DagsterApi(settings.dagster_url, settings.dagster_public_url),
    )


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _cached(name: str, location: str, datasource: str, filters: queries.Filters | None, extra: tuple) -> Any:
    """Results keyed by query, store location, datasource and filters (the store object is not hashable)."""
    function = getattr(queries, name)
    args = (app().store, datasource) if filters is None else (app().store, datasource, filters)
    return function(*args, *extra)


def query(function: Callable[..., Any], filters: queries.Filters | None = None, *extra: Any) -> Any:
    """Run a function of queries.py through the cache; a store failure stops the page with a banner."""
    current = app()
    try:
        with st.spinner("Querying the analytics store…"):
            return _cached(function.__name__, current.store.location, current.datasource, filters, extra)
    except Exception as error:  # any engine error: the page cannot continue, say what was tried
        st.error(
            f"**Analytics store unreachable** ({current.store.engine} at `{current.store.location}`): {error}",
            icon=":material/error:",
        )
        st.stop()


def require_data() -> dict[str, Any]:
    """Filter options of the base datasource; without any rows, explain how to load data and stop."""
    if not query(queries.has_rows):
        explain_no_data()
        st.stop()
    return query(queries.options)


def explain_no_data() -> None:
    pipeline = app().settings.pipeline
    landing = f"s3://{pipeline.bucket}/{pipeline.landing_prefix}{pipeline.default_datasource}/"
    st.info(
        f"**No sales loaded yet** in datasource `{pipeline.default_datasource}`.\n\n"
        f"Load a CSV, Excel or Parquet file in any of these ways; its rows show up here once the "
        f"`ingest_file` run finishes (the landing sensor checks every {pipeline.sensor_interval_seconds} s):\n"
        f"- the **Upload** page of this dashboard;\n"
        f"- `sales-pipeline upload FILE --datasource {pipeline.default_datasource}`;\n"
        f"- put the file under `{landing}` with any S3 client.",
        icon=":material/inbox:",
    )


# Pages (by title) that show the shared filters, and which fields each one applies.
FILTERED_PAGES: dict[str, Sequence[str]] = {
    **dict.fromkeys(["Overview", "Sales", "Products", "Branches", "Profitability"], tuple(queries.FILTER_COLUMNS)),
    "Alerts": ("branches",),
}
_FILTERS = "current_filters"


def shared_filters(page: str) -> None:
    """Called by app.py before the page runs: Streamlit keeps the state of widgets rendered by the
    entry point across page switches, so the filters live there (and in the URL)."""
    if page in FILTERED_PAGES and query(queries.has_rows):
        st.session_state[_FILTERS] = sidebar(query(queries.options), FILTERED_PAGES[page])


def filters() -> queries.Filters:
    """The filters app.py rendered for this page (call require_data first)."""
    return st.session_state[_FILTERS]


def analytics_page(title: str) -> queries.Filters:
    """Title, the no-data check and the current filters of a page that shows sales figures."""
    st.title(title)
    require_data()
    current = filters()
    period_caption(current)
    return current


def period_caption(current: queries.Filters) -> None:
    before = current.previous()
    st.caption(
        f"{current.start:%d %b %Y} – {current.end:%d %b %Y} ({current.days} days), "
        f"compared with {before.start:%d %b %Y} – {before.end:%d %b %Y}"
    )


KPI_LABELS = {
    "revenue": ("Revenue", "money"),
    "gross_income": ("Gross income", "money"),
    "transactions": ("Transactions", "count"),
    "units": ("Units sold", "count"),
    "avg_rating": ("Average rating", "rating"),
}


def format_value(value: float | None, kind: str) -> str:
    if kind == "money":
        return formatting.money(value, app().settings.currency)
    return {"count": formatting.count, "rating": formatting.rating, "percent": formatting.percent}[kind](value)


def kpi_cards(kpis: pl.DataFrame) -> None:
    """Money KPIs on a row of their own (full amounts need the width), then the counts and rating."""
    rows = list(kpis.iter_rows(named=True))
    money = [row for row in rows if KPI_LABELS[row["kpi"]][1] == "money"]
    others = [row for row in rows if KPI_LABELS[row["kpi"]][1] != "money"]
    for group in (money, others):
        for column, row in zip(st.columns(len(group)), group, strict=True):
            label, kind = KPI_LABELS[row["kpi"]]
            column.metric(label, format_value(row["value"], kind), formatting.change(row["change_pct"]), border=True)


def money_axis(title: str) -> alt.Axis:
    return alt.Axis(title=f"{title} ({app().settings.currency})", format=",.0f")


def chart(spec: alt.Chart, height: int = 300) -> None:
    st.altair_chart(spec.properties(height=height), width="stretch")


def per_day(
    frame: pl.DataFrame,
    value: str,
    axis: alt.Axis,
    tooltip: str,
    series: tuple[str, str] | None = None,
    zero: bool = True,
    point: bool = False,
) -> None:
    """A line of ``value`` per day (one per value of the ``series`` column when given), with tooltips."""
    tips = [alt.Tooltip("day:T", title="Day"), alt.Tooltip(f"{value}:Q", title=tooltip, format=",.2f")]
    encoding: dict[str, Any] = {
        "x": alt.X("day:T", title="Day"),
        "y": alt.Y(f"{value}:Q", axis=axis, scale=alt.Scale(zero=zero)),
    }
    if series:
        column, label = series
        encoding["color"] = alt.Color(f"{column}:N", title=label)
        tips.insert(1, alt.Tooltip(f"{column}:N", title=label))
    chart(alt.Chart(frame).mark_line(point=point).encode(**encoding, tooltip=tips))


def table(frame: pl.DataFrame, money: Sequence[str] = (), percent: Sequence[str] = (), **labels: Any) -> None:
    """A result table with money and percent columns formatted; labels: column -> header or column config."""
    symbol = app().settings.currency
    config: dict[str, Any] = {
        c: st.column_config.NumberColumn(labels.get(c, c), format=f"{symbol}%,.2f") for c in money
    }
    config |= {c: st.column_config.NumberColumn(labels.get(c, c), format="%.1f%%") for c in percent}
    config |= {c: labels[c] for c in labels if c not in config}
    st.dataframe(frame, column_config=config, hide_index=True, width="stretch")


def require_password() -> None:
    """When SALES_DASHBOARD_PASSWORD is set, ask for it once per session (constant-time compare)."""
    expected = app().settings.password
    if not expected or st.session_state.get("authenticated"):
        return
    st.title("Sales dashboard")
    with st.form("login"):
        entered = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Sign in")
    if submitted and hmac.compare_digest(entered.encode(), expected.encode()):
        st.session_state["authenticated"] = True
        st.rerun()
    if submitted:
        st.error("Wrong password.")
    st.stop()
