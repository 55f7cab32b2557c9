"""Profitability: revenue vs cost of goods vs gross income, and the margin over time."""

import altair as alt
import polars as pl
import streamlit as st

from sales_pipeline.dashboard import formatting, queries, views

filters = views.analytics_page("Profitability")

totals = views.query(queries.totals, filters)
margin = 100 * totals["gross_income"] / totals["revenue"] if totals["revenue"] else None
cards = st.columns(4)
cards[0].metric("Revenue", views.format_value(totals["revenue"], "money"), border=True)
cards[1].metric("Cost of goods sold", views.format_value(totals["cogs"], "money"), border=True)
cards[2].metric("Gross income", views.format_value(totals["gross_income"], "money"), border=True)
cards[3].metric("Gross margin", formatting.percent(margin, 2), border=True)

daily = views.query(queries.daily, filters)
left, right = st.columns(2)
with left:
    st.subheader("Revenue, cost of goods and gross income per day")
    long = daily.unpivot(["revenue", "cogs", "gross_income"], index="day", variable_name="measure").with_columns(
        pl.col("measure").replace({"revenue": "Revenue", "cogs": "Cost of goods", "gross_income": "Gross income"})
    )
    views.per_day(long, "value", views.money_axis("Amount"), "Amount", series=("measure", "Measure"))
with right:
    st.subheader("Gross margin per day")
    margin_axis = alt.Axis(title="Gross margin (%)", format=".2f")
    views.per_day(daily, "margin_pct", margin_axis, "Margin (%)", zero=False, point=True)
