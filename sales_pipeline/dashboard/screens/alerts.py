"""Alerts: what the `alerts` asset flagged, with what each rule means and what to do."""

import streamlit as st

from sales_pipeline.dashboard import queries, views
from sales_pipeline.summaries import AlertRules

st.title("Alerts")
options = views.require_data()
filters = views.filters()
rules = AlertRules(
    revenue_drop_pct=views.app().settings.pipeline.alert_revenue_drop_pct,
    max_rejection_rate=views.app().settings.pipeline.max_rejection_rate,
)
EXPLANATIONS = {
    "revenue_drop": (
        "Revenue drop",
        f"A branch's revenue for the day is below {rules.revenue_drop_pct:g}% of its mean over the previous "
        f"{rules.trailing_days} days. Check whether the day's file arrived complete, then the branch itself.",
    ),
    "stale_branch": (
        "Stale branch",
        f"A branch has no sales for more than {rules.stale_days} days before the newest sale in the data: "
        "its files are probably missing. The value is the number of days.",
    ),
    "rejection_spike": (
        "Rejection spike",
        f"More than {rules.max_rejection_rate:.0%} of a file's rows were rejected. The rejected rows and their "
        "reasons are in the file's quarantine object (see Data status). The value is the rejected share.",
    ),
}

found = views.query(queries.alerts, filters)
st.caption(f"{filters.start:%d %b %Y} – {filters.end:%d %b %Y}; file alerts are shown whatever the branch filter.")
for column, (rule, (title, explanation)) in zip(st.columns(len(EXPLANATIONS)), EXPLANATIONS.items(), strict=True):
    column.metric(title, int((found["rule"] == rule).sum()), help=explanation, border=True)
if found.is_empty():
    st.success("No alerts in this period.", icon=":material/check_circle:")
else:
    views.table(
        found.rename({"__time": "day"}),
        day=st.column_config.DateColumn("Day", format="YYYY-MM-DD"), rule="Rule", branch="Branch",
        detail="What happened", value=st.column_config.NumberColumn("Value", format="%.2f"),
    )  # fmt: skip
with st.expander("What the rules mean", expanded=found.is_empty()):
    for title, explanation in EXPLANATIONS.values():
        st.markdown(f"**{title}**: {explanation}")
