"""`sales-pipeline demo`: the whole pipeline in one process, on embedded defaults.

Starts a local S3, drops the files into landing, runs one landing-sensor tick, executes the
ingest job for every file it requested and then the summaries job, and reads the KPIs back from
the analytics store. Uses the same Definitions as `dagster dev`.

On DuckDB everything is private to the run (a temporary store and S3). On Druid the files go
where that Druid reads: the S3 endpoint of the settings (the one `sales-pipeline druid up` was
given), in a bucket of the demo's own; if nothing answers at a loopback endpoint, the embedded S3
is started there. The Druid datasource is the cluster's own, so the KPIs count only the rows of
the demo's files.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import dagster as dg
import requests

from .definitions import build_definitions
from .generate import generate_sales, write_sales_file
from .local_s3 import local_s3
from .partitions import sales_files
from .resources.factory import resolved
from .sensors import evaluate_landing
from .settings import Settings, is_loopback
from .stores.base import table_name

QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


class DemoFailed(RuntimeError):
    """A step of the demo failed; the message names the file and the step."""


def _failure_message(result: dg.ExecuteInProcessResult) -> str:
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            data = event.step_failure_data
            user = data.user_failure_data.description if data.user_failure_data else None
            return f"step {event.step_key} failed: {user or data.error.message.strip()}"
    return "run failed"


def _ingest(defs: dg.Definitions, instance: dg.DagsterInstance, lake: Any) -> list[str]:
    with dg.build_sensor_context(instance=instance, resources={"lake": lake}) as context:
        tick = evaluate_landing(context, lake)
    keys = [request.partition_key for request in tick.run_requests]
    instance.add_dynamic_partitions(sales_files.name, keys)
    job = defs.resolve_job_def("ingest_file")
    for key in keys:
        result = job.execute_in_process(partition_key=key, instance=instance, run_config=QUIET, raise_on_error=False)
        if not result.success:
            raise DemoFailed(f"{key}: {_failure_message(result)}")
    return keys


def _kpis(store: Any, datasource: str, file_ids: list[str]) -> dict[str, Any]:
    base = table_name(datasource)
    where = f"WHERE file_id IN ({', '.join('?' for _ in file_ids)})"
    totals = store.query(
        f"SELECT COUNT(*) AS n, SUM(total) AS revenue, SUM(gross_income) AS gi FROM {base} {where}", file_ids
    )
    rows, revenue, gross_income = totals.row(0)

    def by(column: str) -> dict[str, float]:
        frame = store.query(
            f"SELECT {column} AS k, SUM(total) AS v FROM {base} {where} GROUP BY {column} ORDER BY {column}", file_ids
        )
        return {k: round(v, 4) for k, v in frame.iter_rows()}

    return {
        "rows_loaded": rows,
        "total_revenue": round(revenue or 0.0, 4),
        "gross_income": round(gross_income or 0.0, 4),
        "by_branch": by("branch"),
        "by_product_line": by("product_line"),
    }


def _answers(endpoint: str) -> bool:
    try:
        return requests.get(endpoint, timeout=2).status_code < 500
    except requests.RequestException:
        return False


@contextmanager
def demo_s3(settings: Settings) -> Iterator[Settings]:
    """Where the demo's files go: a private S3, or on Druid the S3 that Druid reads (see above)."""
    if settings.store != "druid":
        with local_s3() as endpoint:
            yield replace(settings, s3_endpoint_url=endpoint)
        return
    bucket = f"sales-demo-{uuid.uuid4().hex[:8]}"
    endpoint = settings.s3_endpoint_url
    if endpoint and is_loopback(endpoint) and not _answers(endpoint):
        with local_s3(urlparse(endpoint).port) as started:
            yield replace(settings, s3_endpoint_url=started, bucket=bucket)
        return
    yield replace(settings, bucket=bucket)


def run_demo(files: list[Path], settings: Settings | None = None) -> dict[str, Any]:
    settings = settings or Settings()
    with tempfile.TemporaryDirectory(prefix="sales-demo-") as state, demo_s3(settings) as settings:
        if not files:
            sample = Path(state) / "sample_sales.csv"
            write_sales_file(generate_sales(1000, seed=2019), sample, "csv")
            files = [sample]
        settings = replace(settings, state_dir=state)
        defs = build_definitions(settings)
        lake, store = resolved(defs.resources["lake"]), resolved(defs.resources["store"])
        lake.ensure_bucket()
        for path in files:
            lake.upload(path, f"{settings.landing_prefix}{settings.default_datasource}/{path.name}")
        with dg.DagsterInstance.ephemeral() as instance:
            keys = _ingest(defs, instance, lake)
            summaries = defs.resolve_job_def("refresh_summaries").execute_in_process(
                instance=instance, run_config=QUIET, raise_on_error=False
            )
            if not summaries.success:
                raise DemoFailed(f"summaries: {_failure_message(summaries)}")
        rejected = sum((lake.read_json(lake.landed(k).manifest_key) or {}).get("rejected_rows", 0) for k in keys)
        return {
            "files": [str(p) for p in files],
            "engine": store.engine,
            "rows_rejected": rejected,
            **_kpis(store, settings.default_datasource, [lake.landed(k).file_id for k in keys]),
        }
