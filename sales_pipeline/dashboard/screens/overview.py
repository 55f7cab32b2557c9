"""Overview: the KPIs with their change vs the previous period, and the revenue trend."""

import streamlit as st

from sales_pipeline.dashboard import queries, views

filters = views.analytics_page("Overview")
views.kpi_cards(views.query(queries.kpis, filters))

daily = views.query(queries.daily, filters)
st.subheader("Revenue per day")
views.per_day(daily, "revenue", views.money_axis("Revenue"), "Revenue", point=True)
