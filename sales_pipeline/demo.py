"""`sales-pipeline demo`: the whole pipeline in one process, on embedded defaults.

Starts a local S3, drops the files into landing, runs one landing-sensor tick, executes the
ingest job for every file it requested and then the summaries job, and reads the KPIs back from
the analytics store. Uses the same Definitions as `dagster dev`.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import dagster as dg

from .definitions import build_definitions
from .generate import generate_sales, write_sales_file
from .local_s3 import local_s3
from .partitions import sales_files
from .resources.analytics import table_name
from .sensors import evaluate_landing
from .settings import Settings

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


def _kpis(store: Any, datasource: str) -> dict[str, Any]:
    base = table_name(datasource)
    totals = store.query(f"SELECT COUNT(*) AS rows, SUM(total) AS revenue, SUM(gross_income) AS gi FROM {base}")
    rows, revenue, gross_income = totals.row(0)

    def by(column: str) -> dict[str, float]:
        frame = store.query(f"SELECT {column} AS k, SUM(total) AS v FROM {base} GROUP BY {column} ORDER BY {column}")
        return {k: round(v, 4) for k, v in frame.iter_rows()}

    return {
        "rows_loaded": rows,
        "total_revenue": round(revenue or 0.0, 4),
        "gross_income": round(gross_income or 0.0, 4),
        "by_branch": by("branch"),
        "by_product_line": by("product_line"),
    }


def run_demo(files: list[Path], settings: Settings | None = None) -> dict[str, Any]:
    settings = settings or Settings()
    with tempfile.TemporaryDirectory(prefix="sales-demo-") as state, local_s3() as endpoint:
        if not files:
            sample = Path(state) / "sample_sales.csv"
            write_sales_file(generate_sales(1000, seed=2019), sample, "csv")
            files = [sample]
        settings = replace(settings, s3_endpoint_url=endpoint, state_dir=state)
        defs = build_definitions(settings)
        lake, store = defs.resources["lake"], defs.resources["store"]
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
            **_kpis(store, settings.default_datasource),
        }
