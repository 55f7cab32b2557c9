"""Sales: revenue and transactions by day and by hour, payment and customer mix."""

import altair as alt
import streamlit as st

from sales_pipeline.dashboard import queries, views

filters = views.analytics_page("Sales")

daily = views.query(queries.daily, filters)
left, right = st.columns(2)
with left:
    st.subheader("Transactions per day")
    views.chart(
        alt.Chart(daily)
        .mark_bar()
        .encode(
            x=alt.X("day:T", title="Day"),
            y=alt.Y("transactions:Q", title="Transactions"),
            tooltip=[alt.Tooltip("day:T", title="Day"), alt.Tooltip("transactions:Q", title="Transactions")],
        )
    )
with right:
    hours = views.query(queries.by_hour, filters)
    st.subheader("Revenue by hour of day")
    views.chart(
        alt.Chart(hours)
        .mark_bar()
        .encode(
            x=alt.X("hour:O", title="Hour of day"),
            y=alt.Y("revenue:Q", axis=views.money_axis("Revenue")),
            tooltip=[
                alt.Tooltip("hour:O", title="Hour"),
                alt.Tooltip("revenue:Q", title="Revenue", format=",.2f"),
                alt.Tooltip("transactions:Q", title="Transactions"),
            ],
        )
    )

for column, (part, title) in zip(
    st.columns(2), (("payment", "Payment method"), ("customer_type", "Customer type")), strict=True
):
    with column:
        mix = views.query(queries.mix, filters, part)
        st.subheader(f"Revenue by {title.lower()}")
        views.chart(
            alt.Chart(mix)
            .mark_bar()
            .encode(
                y=alt.Y(f"{part}:N", title=title),
                x=alt.X("revenue:Q", axis=views.money_axis("Revenue")),
                tooltip=[
                    alt.Tooltip(f"{part}:N", title=title),
                    alt.Tooltip("revenue:Q", title="Revenue", format=",.2f"),
                    alt.Tooltip("share_pct:Q", title="Share of revenue (%)", format=".1f"),
                    alt.Tooltip("transactions:Q", title="Transactions"),
                ],
            ),
            height=200,
        )
        views.table(mix, money=["revenue"], percent=["share_pct"], share_pct="Share of revenue")
