"""Products: product-line performance, share of revenue, margin and rating."""

import altair as alt
import streamlit as st

from sales_pipeline.dashboard import queries, views

filters = views.analytics_page("Products")

lines = views.query(queries.product_lines, filters)
left, right = st.columns(2)
with left:
    st.subheader("Revenue by product line")
    views.chart(
        alt.Chart(lines)
        .mark_bar()
        .encode(
            y=alt.Y("product_line:N", title="Product line", sort="-x"),
            x=alt.X("revenue:Q", axis=views.money_axis("Revenue")),
            tooltip=[
                alt.Tooltip("product_line:N", title="Product line"),
                alt.Tooltip("revenue:Q", title="Revenue", format=",.2f"),
                alt.Tooltip("share_pct:Q", title="Share (%)", format=".1f"),
            ],
        )
    )
with right:
    st.subheader("Margin vs rating")
    views.chart(
        alt.Chart(lines)
        .mark_circle(size=160)
        .encode(
            x=alt.X("avg_rating:Q", title="Average rating (1-10)", scale=alt.Scale(zero=False)),
            y=alt.Y("margin_pct:Q", axis=alt.Axis(title="Gross margin (%)", format=".2f"), scale=alt.Scale(zero=False)),
            color=alt.Color("product_line:N", title="Product line"),
            tooltip=[
                alt.Tooltip("product_line:N", title="Product line"),
                alt.Tooltip("margin_pct:Q", title="Margin (%)", format=".2f"),
                alt.Tooltip("avg_rating:Q", title="Rating", format=".2f"),
            ],
        )
    )
views.table(
    lines.select(
        "product_line", "revenue", "share_pct", "gross_income", "margin_pct", "units", "transactions",
        "avg_rating", "avg_unit_price",
    ),
    money=["revenue", "gross_income", "avg_unit_price"],
    percent=["share_pct", "margin_pct"],
    product_line="Product line", revenue="Revenue", share_pct="Share of revenue", gross_income="Gross income",
    margin_pct="Margin", units="Units", transactions="Transactions",
    avg_rating=st.column_config.NumberColumn("Avg rating", format="%.2f"),
    avg_unit_price="Avg unit price",
)  # fmt: skip
