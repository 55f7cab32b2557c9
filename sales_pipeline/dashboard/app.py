"""Entry point: `streamlit run sales_pipeline/dashboard/app.py` (what `make dev` starts).

Access check, then the navigation; the shared filters live in the sidebar of the analytics pages
(filters.py) and in the URL, so a view can be shared as a link.
"""

from pathlib import Path

import streamlit as st

from sales_pipeline.dashboard import views

PAGES = Path(__file__).parent / "screens"  # not "pages/": that name switches on the older multipage mode

st.set_page_config(page_title="Sales dashboard", page_icon=":material/monitoring:", layout="wide")
views.require_password()
navigation = st.navigation(
    {
        "Sales": [
            st.Page(PAGES / "overview.py", title="Overview", icon=":material/dashboard:", default=True),
            st.Page(PAGES / "sales.py", title="Sales", icon=":material/receipt_long:"),
            st.Page(PAGES / "products.py", title="Products", icon=":material/shopping_cart:"),
            st.Page(PAGES / "branches.py", title="Branches", icon=":material/store:"),
            st.Page(PAGES / "profitability.py", title="Profitability", icon=":material/payments:"),
            st.Page(PAGES / "alerts.py", title="Alerts", icon=":material/notifications:"),
        ],
        "Data": [
            st.Page(PAGES / "data_status.py", title="Data status", icon=":material/monitor_heart:"),
            st.Page(PAGES / "upload.py", title="Upload", icon=":material/upload:"),
        ],
    }
)
views.shared_filters(navigation.title)
navigation.run()
