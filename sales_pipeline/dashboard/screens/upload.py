"""Upload: check a file with the pipeline's own validation, put it into landing, follow its run."""

import math
import tempfile
import time
from pathlib import Path

import polars as pl
import streamlit as st

from sales_pipeline.dashboard import status, views
from sales_pipeline.dashboard.dagster_api import STAGES, DagsterUnavailable
from sales_pipeline.layout import skip_reason
from sales_pipeline.readers import FileProblem
from sales_pipeline.validation import validate_file

ICONS = {
    "waiting": ":material/hourglass_empty:",
    "queued": ":material/schedule:",
    "running": ":material/sync:",
    "done": ":green[:material/check_circle:]",
    "failed": ":red[:material/cancel:]",
    "skipped": ":material/skip_next:",
}
WARNING = ":material/warning:"
current = views.app()
pipeline = current.settings.pipeline
limit_mb = math.ceil(pipeline.max_file_bytes / 2**20)

st.title("Upload a sales file")
st.caption(
    f"CSV, Excel (.xlsx/.xls) or Parquet, up to {limit_mb} MB. The file is checked here with the same "
    f"rules as `sales-pipeline validate`, then put into `s3://{pipeline.bucket}/{pipeline.landing_prefix}` "
    "where the landing sensor picks it up."
)
datasource = st.text_input("Datasource", value=pipeline.default_datasource, help="Folder under the landing prefix.")
uploaded = st.file_uploader(
    "Sales file", type=["csv", "xlsx", "xls", "parquet"], max_upload_size=limit_mb, key="upload_file"
)


def checked(file) -> dict:
    """Validate once per uploaded file (reruns reuse the report); the bytes stay in a temp file."""
    cached = st.session_state.get("checked")
    if cached and cached["file_id"] == file.file_id:
        return cached
    discard_checked()
    folder = Path(pipeline.state_dir) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, suffix=Path(file.name).suffix, delete=False) as handle:
        handle.write(file.getbuffer())
    path = Path(handle.name)
    try:
        report = validate_file(path, file.name, pipeline.date_order, pipeline.max_file_bytes).report()
    except FileProblem as problem:
        report = {"file": file.name, "file_error": str(problem)}
    result = {"file_id": file.file_id, "name": file.name, "path": str(path), "report": report}
    st.session_state["checked"] = result
    return result


def discard_checked() -> None:
    """Remove the temp copy of a file that was checked but not sent (up to the size limit each)."""
    cached = st.session_state.pop("checked", None)
    if cached:
        Path(cached["path"]).unlink(missing_ok=True)


def show_report(report: dict) -> None:
    if report["file_error"]:
        st.error(report["file_error"], icon=":material/error:")
        return
    cards = st.columns(3)
    cards[0].metric("Rows", f"{report['rows']:,}", border=True)
    cards[1].metric("Valid rows", f"{report['valid_rows']:,}", border=True)
    cards[2].metric("Rejected rows", f"{report['rejected_rows']:,}", border=True)
    if report["ignored_columns"]:
        st.caption(f"Ignored columns: {', '.join(report['ignored_columns'])}")
    if report["failures"]:
        st.warning("Rejected rows are quarantined with these reasons; valid rows are loaded.", icon=WARNING)
        failures = pl.DataFrame(report["failures"]).with_columns(
            pl.col("example_rows").list.eval(pl.element().cast(pl.String)).list.join(", ")
        )
        views.table(
            failures.select("count", "column", "rule", "example_rows", "example"),
            count="Rows", column="Column", rule="Rule", example_rows="Example rows", example="Example message",
        )  # fmt: skip
    else:
        st.success("Every row passes the contract.", icon=":material/check_circle:")


def send(result: dict) -> None:
    partition_key = f"{datasource.strip('/')}/{result['name']}"
    reason = skip_reason(partition_key)
    if reason:
        st.error(f"Cannot send {partition_key!r}: {reason}.")
        return
    path = Path(result["path"])
    try:
        current.lake.upload(path, f"{pipeline.landing_prefix}{partition_key}")
    except Exception as error:  # S3 refused: name the bucket and keep the file for another try
        st.error(f"Could not put the file into s3://{pipeline.bucket}/{pipeline.landing_prefix}: {error}")
        return
    discard_checked()
    st.session_state.setdefault("sent", []).insert(0, {"partition_key": partition_key, "sent_at": time.time()})


if uploaded is None:
    discard_checked()
else:
    result = checked(uploaded)
    show_report(result["report"])
    if not result["report"]["file_error"] and st.button("Send to landing", type="primary"):
        send(result)


def show_progress(upload: dict) -> bool:
    """Draw one sent file's newest run; True once it has finished (either way)."""
    key = upload["partition_key"]
    st.markdown(f"**{key}** · [all runs of this file]({current.dagster.partition_runs_url(key)})")
    try:
        runs = current.dagster.runs(partition_key=key, created_after=upload["sent_at"] - 5, limit=1)
    except DagsterUnavailable as error:
        st.warning(f"Progress unavailable: {error}", icon=":material/warning:")
        return False
    run = runs[0] if runs else None
    for column, (stage, state) in zip(st.columns(len(STAGES)), status.stage_states(run).items(), strict=True):
        column.markdown(f"{ICONS[state]} `{stage}`  \n{state}")
    st.caption(status.progress_summary(run, pipeline.sensor_interval_seconds))
    if run is None:
        return False
    st.markdown(f"[Open run {run.run_id[:8]} in the Dagster UI]({current.dagster.run_url(run.run_id)})")
    if run.status == "FAILURE":
        for stage, message in current.dagster.failures(run.run_id).items():
            st.error(f"**{stage}**: {message}")
    return run.status in {"SUCCESS", "FAILURE", "CANCELED"}


sent = st.session_state.get("sent", [])
if sent:
    st.subheader("Sent files")

    @st.fragment(run_every=None if st.session_state.get("all_finished") else 2)
    def progress() -> None:
        finished = [show_progress(upload) for upload in sent]
        if all(finished) != st.session_state.get("all_finished", False):
            st.session_state["all_finished"] = all(finished)
            st.rerun()  # restart the page so polling stops (or starts again)

    progress()
