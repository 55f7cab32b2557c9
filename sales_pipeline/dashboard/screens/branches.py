"""Branches: side-by-side comparison and the daily revenue of each branch."""

import altair as alt
import streamlit as st

from sales_pipeline.dashboard import queries, views

filters = views.analytics_page("Branches")

compared = views.query(queries.branches, filters)
views.table(
    compared.select(
        "branch", "city", "revenue", "gross_income", "margin_pct", "transactions", "units", "avg_basket",
        "avg_rating", "member_share_pct",
    ),
    money=["revenue", "gross_income", "avg_basket"],
    percent=["margin_pct", "member_share_pct"],
    branch="Branch", city="City", revenue="Revenue", gross_income="Gross income", margin_pct="Margin",
    transactions="Transactions", units="Units", avg_basket="Avg basket",
    avg_rating=st.column_config.NumberColumn("Avg rating", format="%.2f"),
    member_share_pct="Member share",
)  # fmt: skip

left, right = st.columns(2)
with left:
    st.subheader("Revenue by branch")
    views.chart(
        alt.Chart(compared)
        .mark_bar()
        .encode(
            x=alt.X("branch:N", title="Branch"),
            y=alt.Y("revenue:Q", axis=views.money_axis("Revenue")),
            color=alt.Color("branch:N", legend=None),
            tooltip=[
                alt.Tooltip("branch:N", title="Branch"),
                alt.Tooltip("city:N", title="City"),
                alt.Tooltip("revenue:Q", title="Revenue", format=",.2f"),
            ],
        )
    )
with right:
    st.subheader("Revenue per day by branch")
    by_day = views.query(queries.branch_daily, filters)
    views.per_day(by_day, "revenue", views.money_axis("Revenue"), "Revenue", series=("branch", "Branch"))
