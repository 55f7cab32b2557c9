"""Submit an ingestion task, wait for it with backoff and two deadlines, read its report.

Deadlines: ``pickup_timeout`` for a task no worker has started (Druid would keep it pending
forever), ``task_timeout`` for the whole task. Either cancels the task before failing, so a late
task can never replace days after the run has reported a failure.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from .client import DruidClient, DruidUnreachable
from .errors import DruidTaskError, TaskFailure, explain

WAITING = {"PENDING", "WAITING"}
REPORT_ATTEMPTS = 20


@dataclass(frozen=True)
class TaskResult:
    task_id: str
    seconds: float
    row_stats: dict[str, int]
    report: dict[str, Any]
    segment_availability_confirmed: bool


def _payload(report: dict[str, Any]) -> dict[str, Any]:
    return (report.get("ingestionStatsAndErrors") or {}).get("payload") or {}


def row_stats(report: dict[str, Any]) -> dict[str, int]:
    """``rowStats.buildSegments`` (one task) or ``rowStats.totals.buildSegments`` (with subtasks)."""
    stats = _payload(report).get("rowStats") or {}
    stats = stats.get("totals", stats)
    found = stats.get("buildSegments") or {}
    return {k: int(found.get(k, 0)) for k in ("processed", "processedWithError", "thrownAway", "unparseable")}


def unparseable_events(report: dict[str, Any]) -> list[dict[str, Any]]:
    events = _payload(report).get("unparseableEvents") or {}
    events = events.get("totals", events)
    found = events.get("buildSegments") or []
    return [e if isinstance(e, dict) else {"message": [str(e)]} for e in found]


class TaskRunner:
    """What one call of the store needs to run a task to the end."""

    def __init__(
        self,
        client: DruidClient,
        *,
        task_timeout: float,
        pickup_timeout: float,
        s3_endpoint: str = "",
        poll_start: float = 0.25,
        poll_max: float = 2.0,
    ) -> None:
        self.client = client
        self.task_timeout = task_timeout
        self.pickup_timeout = pickup_timeout
        self.s3_endpoint = s3_endpoint
        self.poll_start = poll_start
        self.poll_max = poll_max

    @property
    def _tasks(self) -> str:
        return f"{self.client.endpoints().overlord}/druid/indexer/v1"

    def submit(self, spec: dict[str, Any], what: str) -> str:
        try:
            answer = self.client.json("POST", f"{self._tasks}/task", what=f"submit the ingestion of {what}", json=spec)
        except DruidUnreachable as error:
            raise DruidTaskError(
                f"Druid's overlord did not accept the ingestion of {what}: {error} Nothing was submitted; "
                "the datasource still holds its previous data.",
                transient=True,
            ) from error
        return answer["task"]

    def run(self, spec: dict[str, Any], what: str, expected_rows: int, uris: list[str]) -> TaskResult:
        started = time.monotonic()
        task_id = self.submit(spec, what)
        status = self._wait(task_id, started, what)
        report = self._report(task_id)
        meta = {"druid_task_id": task_id, "druid_report": json.dumps(report, indent=2)[:200_000]}
        if status.get("status") != "SUCCESS":
            text = _payload(report).get("errorMsg") or status.get("errorMsg") or "no error text"
            failure = TaskFailure(task_id, text, uris, unparseable_events(report), self.s3_endpoint)
            raise DruidTaskError(explain(failure), meta | {"druid_error": text})
        stats = row_stats(report)
        bad = stats["processed"] != expected_rows or any(stats[k] for k in ("thrownAway", "processedWithError"))
        if bad or stats["unparseable"]:
            raise DruidTaskError(
                f"Druid task {task_id} for {what} succeeded but its row counts do not match what was sent: "
                f"sent {expected_rows} rows, Druid processed {stats['processed']} (thrown away "
                f"{stats['thrownAway']}, with errors {stats['processedWithError']}, unparseable "
                f"{stats['unparseable']}). The Druid objects differ from the validated Parquet: re-materialize "
                "sales_parquet for the affected files, then this load.",
                meta | {"druid_row_stats": json.dumps(stats)},
            )
        confirmed = bool(_payload(report).get("segmentAvailabilityConfirmed"))
        return TaskResult(task_id, time.monotonic() - started, stats, report, confirmed)

    def _status(self, task_id: str) -> dict[str, Any]:
        answer = self.client.json("GET", f"{self._tasks}/task/{task_id}/status", what=f"read task {task_id}")
        return answer.get("status") or {}

    def _wait(self, task_id: str, started: float, what: str) -> dict[str, Any]:
        delay = self.poll_start
        while True:
            status = self._status(task_id)
            if status.get("status") in {"SUCCESS", "FAILED"}:
                return status
            elapsed = time.monotonic() - started
            not_started = status.get("runnerStatusCode") in WAITING or not (status.get("location") or {}).get("host")
            if not_started and elapsed > self.pickup_timeout:
                self.cancel(task_id)
                workers = self._worker_count()
                raise DruidTaskError(
                    f"No Druid ingestion worker picked up task {task_id} ({what}) within {self.pickup_timeout:.0f} s; "
                    f"the overlord has {workers} worker(s) registered. The task was cancelled and nothing was "
                    "replaced. Start an indexer or middleManager (local: `sales-pipeline druid up`; "
                    "`sales-pipeline druid status` shows each service), or free task slots, then re-run.",
                    {"druid_task_id": task_id, "druid_status": json.dumps(status)},
                )
            if elapsed > self.task_timeout:
                self.cancel(task_id)
                raise DruidTaskError(
                    f"Druid task {task_id} ({what}) did not finish within {self.task_timeout:.0f} s and was "
                    "cancelled; nothing was replaced. Raise SALES_DRUID_TASK_TIMEOUT for files this large, or "
                    "check the worker's load (`sales-pipeline druid logs indexer` locally).",
                    {"druid_task_id": task_id, "druid_status": json.dumps(status)},
                )
            time.sleep(delay)
            delay = min(delay * 1.5, self.poll_max)

    def cancel(self, task_id: str) -> None:
        self.client.request("POST", f"{self._tasks}/task/{task_id}/shutdown", what=f"cancel task {task_id}")

    def _worker_count(self) -> int:
        try:
            return len(self.client.json("GET", f"{self._tasks}/workers", what="list workers") or [])
        except Exception:  # noqa: BLE001 - only for the message
            return 0

    def _report(self, task_id: str) -> dict[str, Any]:
        """The report appears a moment after the status; a missing one becomes {} (status text is used)."""
        for _ in range(REPORT_ATTEMPTS):
            response = self.client.request("GET", f"{self._tasks}/task/{task_id}/reports", what="read the report")
            if response.ok:
                return response.json()
            time.sleep(0.25)
        return {}
