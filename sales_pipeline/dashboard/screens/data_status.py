"""Data status: what the store holds, every published file with its rejected rows, and recent runs."""

from datetime import UTC, datetime

import polars as pl
import streamlit as st

from sales_pipeline.dashboard import queries, status, views
from sales_pipeline.dashboard.dagster_api import INGEST_JOB, DagsterUnavailable


@st.cache_data(ttl=views.CACHE_SECONDS, show_spinner=False)
def published_files(bucket: str, datasource: str) -> pl.DataFrame:
    current = views.app()
    return status.file_table(current.lake.manifests(datasource), bucket, current.dagster)


@st.cache_data(ttl=10, show_spinner=False)
def recent_runs(url: str) -> tuple[list, list]:
    dagster = views.app().dagster
    return (
        dagster.runs(job=INGEST_JOB, statuses=["SUCCESS"], limit=1),
        dagster.runs(job=INGEST_JOB, statuses=["FAILURE", "CANCELED"], limit=10),
    )


def _when(seconds: float | None) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if seconds else "—"


current = views.app()
pipeline = current.settings.pipeline
st.title("Data status")
st.caption(
    f"Store: {current.store.engine} at `{current.store.location}` · Bucket: `s3://{pipeline.bucket}` · "
    f"Dagster: {current.settings.dagster_url}"
)

st.subheader("Datasources")
sources = views.query(queries.datasources)
if sources.is_empty():
    views.explain_no_data()
else:
    views.table(sources, name="Datasource", rows="Rows", min_time="First sale", max_time="Last sale")

st.subheader("Ingestion runs")
try:
    succeeded, failed = recent_runs(current.settings.dagster_url)
except DagsterUnavailable as error:
    st.warning(f"Run history unavailable: {error}", icon=":material/warning:")
else:
    if succeeded:
        last = succeeded[0]
        st.markdown(
            f"Last successful ingestion: **{_when(last.end_time)}** · [run {last.run_id[:8]}]"
            f"({current.dagster.run_url(last.run_id)})"
        )
    else:
        st.markdown("No successful `ingest_file` run yet.")
    if failed:
        st.error(f"{len(failed)} recent ingestion run(s) failed; open them for the message:", icon=":material/error:")
        views.table(
            pl.DataFrame(
                [
                    {"run": current.dagster.run_url(r.run_id), "status": r.status, "ended": _when(r.end_time)}
                    for r in failed
                ]  # fmt: skip
            ),
            run=st.column_config.LinkColumn("Run", display_text=r"runs/(.{8})"),
        )

st.subheader(f"Published files in `{current.datasource}`")
try:
    files = published_files(pipeline.bucket, current.datasource)
except Exception as error:  # S3 down or denied: say which bucket was tried
    st.error(f"Could not list the manifests in s3://{pipeline.bucket}/manifests/{current.datasource}/: {error}")
else:
    if files.is_empty():
        st.info("No file has been published yet.")
    else:
        views.table(
            files,
            percent=["rejected_pct"],
            file="File", valid_rows="Valid rows", rejected_rows="Rejected rows", rejected_pct="Rejected",
            first_day="First day", last_day="Last day", landed_at="Landed", published_at="Published",
            quarantine="Quarantined rows",
            runs=st.column_config.LinkColumn("Runs", display_text="open in Dagster"),
        )  # fmt: skip
