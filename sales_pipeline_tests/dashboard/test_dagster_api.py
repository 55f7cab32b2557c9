"""DagsterApi's links and its failure message; its answers from a real webserver are checked in
test_end_to_end (the sample's run as `make dev` runs it)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from sales_pipeline.dashboard.dagster_api import DagsterApi, DagsterUnavailable, Run
from sales_pipeline.dashboard.status import progress_summary, stage_states


def test_links_use_the_public_url_and_filter_by_partition() -> None:
    api = DagsterApi("http://webserver:3000", public_url="https://dagster.example.com/")
    assert api.run_url("abc") == "https://dagster.example.com/runs/abc"
    link = urlparse(api.partition_runs_url("sales/2019 Q1 & more.csv"))
    assert link.netloc == "dagster.example.com"
    assert parse_qs(link.query) == {"q[0]": ["tag:dagster/partition=sales/2019 Q1 & more.csv"]}


def test_an_unreachable_webserver_is_named_in_the_error() -> None:
    with pytest.raises(DagsterUnavailable, match=r"Dagster webserver at http://127\.0\.0\.1:9 did not answer"):
        DagsterApi("http://127.0.0.1:9", timeout=2).runs(partition_key="sales/x.csv")


def test_progress_of_a_failed_run_names_the_failed_stage() -> None:
    run = Run("r1", "FAILURE", "ingest_file", 1.0, 2.0, {"raw_upload": "SUCCESS", "validated_sales": "FAILURE"})
    assert stage_states(run) == {
        "raw_upload": "done",
        "validated_sales": "failed",
        "sales_parquet": "waiting",
        "analytics_ingestion": "waiting",
    }
    assert progress_summary(run, 30).startswith("The run failed at validated_sales")
    assert "every 30 s" in progress_summary(None, 30)
