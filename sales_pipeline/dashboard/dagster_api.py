"""What the dashboard asks the Dagster webserver (its GraphQL API) about runs, and links into its UI."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

PARTITION_TAG = "dagster/partition"
INGEST_JOB = "ingest_file"
# The ingest_file job's assets in order: what a file goes through before its rows are queryable.
STAGES = ("raw_upload", "validated_sales", "sales_parquet", "analytics_ingestion")

_RUNS = """
query Runs($filter: RunsFilter!, $limit: Int) {
  runsOrError(filter: $filter, limit: $limit) {
    __typename
    ... on Runs { results { runId status jobName startTime endTime stepStats { stepKey status } } }
    ... on PythonError { message }
  }
}"""
_FAILURES = """
query Failures($runId: ID!) {
  logsForRun(runId: $runId, limit: 5000) {
    __typename
    ... on EventConnection { events { __typename ... on ExecutionStepFailureEvent { stepKey error { message } } } }
  }
}"""


class DagsterUnavailable(RuntimeError):
    """The webserver did not answer or answered with an error; the message names the URL."""


@dataclass(frozen=True)
class Run:
    run_id: str
    status: str
    job: str
    start_time: float | None
    end_time: float | None
    steps: dict[str, str]  # asset step key -> SUCCESS / FAILURE / IN_PROGRESS / SKIPPED


@dataclass(frozen=True)
class DagsterApi:
    url: str  # the webserver's base URL as the dashboard reaches it, e.g. http://127.0.0.1:3000
    public_url: str = ""  # as people's browsers reach it, for links (default: url)
    timeout: float = 5.0

    @property
    def _links(self) -> str:
        return (self.public_url or self.url).rstrip("/")

    def run_url(self, run_id: str) -> str:
        return f"{self._links}/runs/{run_id}"

    def partition_runs_url(self, partition_key: str) -> str:
        """The UI's run list filtered to one file's partition."""
        return f"{self._links}/runs?q%5B0%5D={quote(f'tag:{PARTITION_TAG}={partition_key}', safe='')}"

    def _post(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        endpoint = f"{self.url.rstrip('/')}/graphql"
        try:
            response = requests.post(endpoint, json={"query": query, "variables": variables}, timeout=self.timeout)
            response.raise_for_status()
            body = response.json()
        except (requests.RequestException, ValueError) as error:
            raise DagsterUnavailable(f"Dagster webserver at {self.url} did not answer: {error}") from error
        if body.get("errors"):
            raise DagsterUnavailable(f"Dagster webserver at {self.url} refused the query: {body['errors'][0]}")
        return body["data"]

    def runs(self, partition_key: str | None = None, job: str | None = None, statuses: list[str] | None = None,
             created_after: float | None = None, limit: int = 20) -> list[Run]:  # fmt: skip
        """Newest first: runs of a file's partition and/or a job, optionally only some statuses or recent ones."""
        run_filter: dict[str, Any] = {}
        if created_after is not None:
            run_filter["createdAfter"] = created_after
        if partition_key is not None:
            run_filter["tags"] = [{"key": PARTITION_TAG, "value": partition_key}]
        if job:
            run_filter["pipelineName"] = job
        if statuses:
            run_filter["statuses"] = statuses
        found = self._post(_RUNS, {"filter": run_filter, "limit": limit})["runsOrError"]
        if found["__typename"] != "Runs":
            raise DagsterUnavailable(f"Dagster webserver at {self.url}: {found.get('message', found['__typename'])}")
        return [
            Run(r["runId"], r["status"], r["jobName"], r["startTime"], r["endTime"],
                {s["stepKey"]: s["status"] for s in r["stepStats"]})
            for r in found["results"]
        ]  # fmt: skip

    def failures(self, run_id: str) -> dict[str, str]:
        """Step key -> the failure message (for a dg.Failure, the text the asset wrote for people)."""
        events = self._post(_FAILURES, {"runId": run_id})["logsForRun"].get("events", [])
        return {e["stepKey"]: e["error"]["message"] for e in events if e["__typename"] == "ExecutionStepFailureEvent"}
