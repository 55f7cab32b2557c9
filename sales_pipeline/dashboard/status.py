"""Data status and upload progress as plain data (the pages only lay them out)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import polars as pl

from ..layout import landed_file
from .dagster_api import STAGES, DagsterApi, Run

FILE_SCHEMA = {
    "file": pl.String,
    "valid_rows": pl.Int64,
    "rejected_rows": pl.Int64,
    "rejected_pct": pl.Float64,
    "first_day": pl.String,
    "last_day": pl.String,
    "landed_at": pl.Datetime("us", "UTC"),
    "published_at": pl.Datetime("us", "UTC"),
    "quarantine": pl.String,
    "runs": pl.String,
}


def file_table(manifests: Iterable[dict[str, Any]], bucket: str, dagster: DagsterApi) -> pl.DataFrame:
    """One row per published file: rows kept and rejected, days covered, when, and where to look."""
    rows = []
    for m in manifests:
        valid, rejected = m.get("rows", 0), m.get("rejected_rows", 0)
        days = sorted(m.get("days", {}))
        landed = landed_file(m["partition_key"], m.get("datasource", "sales"))
        rows.append(
            {
                "file": m["partition_key"],
                "valid_rows": valid,
                "rejected_rows": rejected,
                "rejected_pct": 100 * rejected / (valid + rejected) if valid + rejected else 0.0,
                "first_day": days[0] if days else None,
                "last_day": days[-1] if days else None,
                "landed_at": _time(m.get("landed_at")),
                "published_at": _time(m.get("written_at")),
                "quarantine": f"s3://{bucket}/{landed.quarantine_key}" if rejected else None,
                "runs": dagster.partition_runs_url(m["partition_key"]),
            }
        )
    return pl.DataFrame(rows, schema=FILE_SCHEMA, orient="row").sort("published_at", descending=True)


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).astimezone(UTC) if value else None


def stage_states(run: Run | None) -> dict[str, str]:
    """Each stage of ingest_file as waiting / queued / running / done / failed / skipped for one run."""
    names = {"SUCCESS": "done", "FAILURE": "failed", "IN_PROGRESS": "running", "SKIPPED": "skipped"}
    steps = run.steps if run else {}
    if run and run.status in {"QUEUED", "NOT_STARTED", "STARTING"}:
        return dict.fromkeys(STAGES, "queued")
    return {stage: names.get(steps.get(stage, ""), "waiting") for stage in STAGES}


def progress_summary(run: Run | None, sensor_interval: int) -> str:
    """One sentence for a file's newest run: what it is doing, or what we are waiting for."""
    if run is None:
        return f"Waiting for the landing sensor to start a run (it checks every {sensor_interval} s)."
    states = stage_states(run)
    if run.status == "SUCCESS":
        return "Loaded: the rows are in the analytics store."
    if run.status in {"FAILURE", "CANCELED"}:
        failed = [stage for stage, state in states.items() if state == "failed"]
        where = f" at {failed[0]}" if failed else ""
        verb = "failed" if run.status == "FAILURE" else "was canceled"
        return f"The run {verb}{where}: see the message below and the run in the Dagster UI."
    return f"Run {run.status.lower().replace('_', ' ')}."
