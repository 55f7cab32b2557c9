"""Overview: the KPIs with their change vs the previous period, and the revenue trend."""

import altair as alt
import streamlit as st

from sales_pipeline.dashboard import queries, views

st.title("Overview")
options = views.require_data()
filters = views.filters()
views.period_caption(filters)
views.kpi_cards(views.query(queries.kpis, filters))

daily = views.query(queries.daily, filters)
st.subheader("Revenue per day")
views.chart(
    alt.Chart(daily)
    .mark_line(point=True)
    .encode(
        x=alt.X("day:T", title="Day"),
        y=alt.Y("revenue:Q", axis=views.money_axis("Revenue")),
        tooltip=[alt.Tooltip("day:T", title="Day"), alt.Tooltip("revenue:Q", title="Revenue", format=",.2f")],
    )
)
