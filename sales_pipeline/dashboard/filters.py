"""Shared filters: sidebar widgets bound to the URL query string, kept across pages.

Streamlit binds each widget to a query parameter (``bind="query-params"``) and keeps its value
across page switches (``persist_state="session"``), so a view is shared by copying its URL:
``?dates=2019-01-01&dates=2019-01-28&branch=A&branch=C``. Values the data does not contain are
dropped by the widget; the queries would treat them as plain data anyway (bound parameters).
Parameters equal to the default (the latest four weeks, all values) are left out of the URL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import streamlit as st

from .queries import FILTER_COLUMNS, Filters

DEFAULT_DAYS = 28  # four whole weeks: the previous period then has the same weekdays
DATES_KEY = "dates"
URL_KEYS = {"branches": "branch", "product_lines": "product_line", "payments": "payment", "customer_types": "customer"}
LABELS = {
    "branches": "Branch",
    "product_lines": "Product line",
    "payments": "Payment",
    "customer_types": "Customer type",
}


def default_filters(options: Mapping[str, Any]) -> Filters:
    last, first = options["last_day"], options["first_day"]
    return Filters(max(first, last - timedelta(days=DEFAULT_DAYS - 1)), last)


def sidebar(options: Mapping[str, Any], fields: Sequence[str] = tuple(FILTER_COLUMNS)) -> Filters:
    """Render the filters in the sidebar; returns the current Filters. Fields a page does not show are
    not applied there (the Alerts page has no product-line filter)."""
    default = default_filters(options)
    with st.sidebar:
        st.header("Filters")
        picked = st.date_input(
            "Date range",
            value=(default.start, default.end),
            min_value=options["first_day"],
            max_value=options["last_day"],
            key=DATES_KEY,
            bind="query-params",
            persist_state="session",
        )
        chosen = {
            field: tuple(
                st.multiselect(
                    LABELS[field],
                    options[field],
                    key=URL_KEYS[field],
                    placeholder="All",
                    bind="query-params",
                    persist_state="session",
                )
            )
            for field in fields
        }
    # While a range is being picked the widget holds one date.
    start, end = (tuple(picked) * 2)[:2] if picked else (default.start, default.end)
    return Filters(start, end, **chosen)
