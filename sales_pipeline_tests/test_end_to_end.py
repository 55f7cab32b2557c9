"""End to end, as a user runs it: scripts/dev.sh (what `make dev` runs) starts the embedded S3 and
`dagster dev`; the daemon's landing sensor picks up the sample and a file we drop; the counts are
read back from S3 and from the Dagster webserver's GraphQL API (what the UI shows)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
import requests

from sales_pipeline.dashboard.dagster_api import STAGES, DagsterApi, DagsterUnavailable, Run
from sales_pipeline.dashboard.status import progress_summary, stage_states
from sales_pipeline.layout import landed_file
from sales_pipeline.local_s3 import free_port

from .conftest import REPO
from .dashboard.test_browser import CHROMIUM, CHROMIUM_ARGS
from .samples import defective_csv

METADATA_QUERY = """
query($partition: String!) {
  assetOrError(assetKey: {path: ["validated_sales"]}) {
    ... on Asset { assetMaterializations(partitions: [$partition]) {
      runId metadataEntries { label ... on IntMetadataEntry { intValue } } } }
  }
}"""
SUMMARY_QUERY = """
query($name: String!) {
  assetOrError(assetKey: {path: [$name]}) {
    ... on Asset { assetMaterializations(limit: 1) {
      runId metadataEntries { label ... on IntMetadataEntry { intValue } } } }
  }
}"""
RUN_QUERY = """query($id: ID!) { runOrError(runId: $id) { ... on Run { status tags { key value } } } }"""


def default_signals() -> None:
    """Signals ignored by whoever started pytest would be ignored by dev.sh too (bash cannot trap
    a signal ignored on entry); restore what a user's terminal gives."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.SIG_DFL)


def wait_for(predicate, timeout: float, what: str, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(2)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}; dev.sh log tail:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def dev_stack(tmp_path_factory):
    state = tmp_path_factory.mktemp("dev-state")
    s3_port, ui_port, dashboard_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "VENV": sys.prefix,
        "SALES_STATE_DIR": str(state),
        "SALES_S3_PORT": str(s3_port),
        "DAGSTER_PORT": str(ui_port),
        "DASHBOARD_PORT": str(dashboard_port),
        "SALES_SENSOR_INTERVAL_SECONDS": "3",
    }
    env.pop("AWS_ACCESS_KEY_ID", None)
    env.pop("DAGSTER_HOME", None)
    log = state / "dev.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            ["bash", str(REPO / "scripts" / "dev.sh")],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    s3 = boto3.client(
        "s3", endpoint_url=f"http://127.0.0.1:{s3_port}", region_name="us-east-1",
        aws_access_key_id="local", aws_secret_access_key="local",
    )  # fmt: skip
    try:
        yield {
            "s3": s3,
            "ui": f"http://127.0.0.1:{ui_port}",
            "dashboard": f"http://127.0.0.1:{dashboard_port}",
            "log": log,
            "proc": proc,
        }
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in the terminal sends
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise


def manifest(s3, partition_key: str) -> dict | None:
    key = landed_file(partition_key).manifest_key
    try:
        return json.loads(s3.get_object(Bucket="sales-pipeline", Key=key)["Body"].read())
    except s3.exceptions.NoSuchKey:
        return None
    except Exception:  # noqa: BLE001 - S3 or bucket not up yet
        return None


def graphql(ui: str, query: str, variables: dict) -> dict | None:
    """The query's data, or None while the webserver or its code location is still starting."""
    try:
        reply = requests.post(f"{ui}/graphql", json={"query": query, "variables": variables}, timeout=10)
        return reply.json().get("data") if reply.ok else None
    except (requests.RequestException, ValueError):
        return None


def ui_counts(ui: str, partition_key: str) -> dict | None:
    data = graphql(ui, METADATA_QUERY, {"partition": partition_key})
    events = ((data or {}).get("assetOrError") or {}).get("assetMaterializations") or []
    if not events:
        return None
    entries = {e["label"]: e.get("intValue") for e in events[-1]["metadataEntries"]}
    return {"run_id": events[-1]["runId"], **entries}


def finished_run(ui: str, run_id: str) -> dict | None:
    run = (graphql(ui, RUN_QUERY, {"id": run_id}) or {}).get("runOrError") or {}
    return run if run.get("status") in {"SUCCESS", "FAILURE", "CANCELED"} else None


def test_make_dev_sample_lands_as_parquet_with_counts_in_the_ui(dev_stack) -> None:
    s3, log = dev_stack["s3"], dev_stack["log"]
    sample = wait_for(lambda: manifest(s3, "sales/sample_sales.csv"), 240, "the sample's manifest", log)
    assert sample["rows"] == 1000 and sample["days"]
    assert s3.list_objects_v2(Bucket="sales-pipeline", Prefix="landing/")["KeyCount"] == 0
    counts = wait_for(lambda: ui_counts(dev_stack["ui"], "sales/sample_sales.csv"), 60, "UI metadata", log)
    assert (counts["rows_in"], counts["valid_rows"], counts["rejected_rows"]) == (1000, 1000, 0)
    run = wait_for(lambda: finished_run(dev_stack["ui"], counts["run_id"]), 120, "the run to finish", log)
    assert run["status"] == "SUCCESS"
    assert {"key": "dagster/partition", "value": "sales/sample_sales.csv"} in run["tags"]


def summary_rows(ui: str, name: str) -> int | None:
    data = graphql(ui, SUMMARY_QUERY, {"name": name})
    events = ((data or {}).get("assetOrError") or {}).get("assetMaterializations") or []
    entries = {e["label"]: e.get("intValue") for e in events[0]["metadataEntries"]} if events else {}
    return entries.get("rows")


def test_summaries_refresh_automatically_after_new_data(dev_stack) -> None:
    # The sample covers 90 days and 3 branches; automation rebuilds the summaries after its load.
    rows = wait_for(
        lambda: summary_rows(dev_stack["ui"], "branch_comparison"), 180, "automated summaries", dev_stack["log"]
    )
    assert rows == 3
    assert (
        wait_for(lambda: summary_rows(dev_stack["ui"], "daily_profitability"), 60, "profitability", dev_stack["log"])
        == 90
    )


def test_dropped_file_is_picked_up_by_the_running_sensor(dev_stack) -> None:
    s3, log = dev_stack["s3"], dev_stack["log"]
    s3.put_object(Bucket="sales-pipeline", Key="landing/sales/dirty week.csv", Body=defective_csv(300, 0.05))
    dropped = wait_for(lambda: manifest(s3, "sales/dirty week.csv"), 240, "the dropped file's manifest", log)
    assert dropped["rows"] == 285
    counts = wait_for(lambda: ui_counts(dev_stack["ui"], "sales/dirty week.csv"), 60, "UI metadata", log)
    assert (counts["rows_in"], counts["valid_rows"], counts["rejected_rows"]) == (300, 285, 15)
    quarantine_key = landed_file("sales/dirty week.csv").quarantine_key
    assert s3.head_object(Bucket="sales-pipeline", Key=quarantine_key)["ContentLength"] > 0


def newest_run(api: DagsterApi, partition_key: str) -> Run | None:
    try:
        runs = api.runs(partition_key=partition_key, limit=1)
    except DagsterUnavailable:
        return None
    return runs[0] if runs and runs[0].status == "SUCCESS" else None


def dashboard_up(url: str) -> bool:
    try:
        return requests.get(f"{url}/_stcore/health", timeout=5).ok
    except requests.RequestException:
        return False


def test_dashboard_shows_the_sample_and_its_run(dev_stack) -> None:
    """What a new user sees after `make dev`: the sample's run, as the Upload page follows it, and
    the sample's revenue on the dashboard (read in Chromium where it is installed)."""
    s3, log = dev_stack["s3"], dev_stack["log"]
    wait_for(lambda: manifest(s3, "sales/sample_sales.csv"), 240, "the sample's manifest", log)
    api = DagsterApi(dev_stack["ui"])
    run = wait_for(lambda: newest_run(api, "sales/sample_sales.csv"), 120, "the sample's run via DagsterApi", log)
    assert stage_states(run) == dict.fromkeys(STAGES, "done")
    assert "Loaded" in progress_summary(run, 3)
    wait_for(lambda: dashboard_up(dev_stack["dashboard"]), 60, "the dashboard's health endpoint", log)
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} not found: the dashboard answered, its figures were not read in a browser")
    from playwright.sync_api import sync_playwright

    # Every file loaded so far (the sample, and the file another test dropped) counts on the page.
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="sales-pipeline", Prefix="manifests/sales/")["Contents"]]
    published = [json.loads(s3.get_object(Bucket="sales-pipeline", Key=key)["Body"].read()) for key in keys]
    for m in published:  # each one's run has finished, so its rows are in the store
        wait_for(lambda m=m: newest_run(api, m["partition_key"]), 120, f"{m['partition_key']}'s run", log)
    first = min(day for m in published for day in m["days"])
    last = max(day for m in published for day in m["days"])
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{dev_stack['dashboard']}/?dates={first}&dates={last}")
        page.get_by_role("heading", name="Overview", exact=True).wait_for(timeout=60_000)
        revenue = page.locator('[data-testid="stMetricValue"]').first.inner_text(timeout=60_000)
        browser.close()
    assert abs(float(revenue.replace("$", "").replace(",", "")) - sum(m["total"] for m in published)) <= 0.01


def test_upload_page_sends_a_file_and_follows_its_run_to_the_store(dev_stack, tmp_path) -> None:
    """The old system's drag-and-drop upload, done right, in a real browser against `make dev`."""
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} not found: the upload page needs a browser")
    from playwright.sync_api import sync_playwright

    upload = tmp_path / "browser upload.csv"
    upload.write_bytes(defective_csv(200, 0.05, seed=21))
    wait_for(lambda: dashboard_up(dev_stack["dashboard"]), 60, "the dashboard's health endpoint", dev_stack["log"])
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{dev_stack['dashboard']}/upload")
        page.locator('input[type="file"]').set_input_files(str(upload))
        page.get_by_text("Rejected rows are quarantined").wait_for(timeout=60_000)
        page.locator('[data-testid="stMetricValue"]').nth(2).wait_for(timeout=30_000)
        assert page.locator('[data-testid="stMetricValue"]').all_inner_texts() == ["200", "190", "10"]
        page.get_by_role("button", name="Send to landing").click()
        page.get_by_text("Loaded: the rows are in the analytics store.").wait_for(timeout=240_000)
        run_link = page.get_by_role("link", name="Open run").get_attribute("href")
        browser.close()
    assert run_link.startswith(f"{dev_stack['ui']}/runs/")
    published = manifest(dev_stack["s3"], "sales/browser upload.csv")
    assert (published["rows"], published["rejected_rows"]) == (190, 10)
