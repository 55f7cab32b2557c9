"""Landing-to-queryable latency: from put_object into landing until a store query sees the rows.

Runs the real stack of `make dev` (scripts/dev.sh: embedded S3, `dagster dev` with its daemon,
SQLite instance, QueuedRunCoordinator + DefaultRunLauncher, landing sensor at the interval given)
in a temporary state directory on free loopback ports, then drops small files one at a time and
polls the DuckDB store (read-only, as the dashboard reads it) for each file's rows.
"""

from __future__ import annotations

import io
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
from dagster_aws.s3 import S3Resource

from sales_pipeline.generate import generate_sales, write_sales_file
from sales_pipeline.layout import landed_file
from sales_pipeline.local_s3 import free_port
from sales_pipeline.resources.lake import SalesLake
from sales_pipeline.stores.duckdb import DuckDBStore

REPO = Path(__file__).resolve().parents[1]


def _csv(rows: int, seed: int) -> bytes:
    buffer = io.BytesIO()
    write_sales_file(generate_sales(rows, seed=seed), buffer, "csv")
    return buffer.getvalue()


def _visible(store: DuckDBStore, file_id: str) -> int:
    try:
        return store.query('SELECT COUNT(*) AS n FROM "sales" WHERE file_id = ?', [file_id])["n"][0]
    except Exception:  # noqa: BLE001 - table not created yet, or the file is being written
        return 0


def _wait(predicate, timeout: float) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(0.2)
    return None


def run(files: int = 10, rows: int = 100, sensor_interval: int = 5, timeout: float = 300) -> dict:
    with tempfile.TemporaryDirectory(prefix="sales-latency-") as state:
        s3_port, ui_port, dash_port = free_port(), free_port(), free_port()
        env = {
            **os.environ, "VENV": sys.prefix, "SALES_STATE_DIR": state, "SALES_S3_PORT": str(s3_port),
            "DAGSTER_PORT": str(ui_port), "DASHBOARD_PORT": str(dash_port),
            "SALES_SENSOR_INTERVAL_SECONDS": str(sensor_interval),
        }  # fmt: skip
        env.pop("DAGSTER_HOME", None)
        log = open(Path(state) / "dev.log", "wb")  # noqa: SIM115 - closed below
        stack = subprocess.Popen(
            ["bash", str(REPO / "scripts" / "dev.sh")], env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )  # fmt: skip
        endpoint = f"http://127.0.0.1:{s3_port}"
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="local", aws_secret_access_key="local")  # fmt: skip
        lake = SalesLake(s3=S3Resource(endpoint_url=endpoint), bucket="sales-pipeline")
        store = DuckDBStore(path=str(Path(state) / "analytics.duckdb"), lake=lake)
        try:
            warm = _wait(lambda: _visible(store, landed_file("sales/sample_sales.csv").file_id) > 0, timeout)
            if warm is None:
                raise RuntimeError(f"the sample never became queryable; see {log.name}")
            latencies = []
            for index in range(files):
                key = f"sales/latency-{index:03d}.csv"
                s3.put_object(Bucket="sales-pipeline", Key=f"landing/{key}", Body=_csv(rows, seed=1000 + index))
                seconds = _wait(lambda key=key: _visible(store, landed_file(key).file_id) == rows, timeout)
                if seconds is None:
                    raise RuntimeError(f"{key} not queryable within {timeout:.0f} s; see {log.name}")
                latencies.append(seconds)
        finally:
            os.killpg(stack.pid, signal.SIGINT)
            try:
                stack.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(stack.pid, signal.SIGKILL)
            log.close()
    latencies.sort()
    return {
        "files": files,
        "rows_per_file": rows,
        "sensor_interval_s": sensor_interval,
        "instance": "make dev: SQLite, QueuedRunCoordinator, DefaultRunLauncher (one process per run)",
        "engine": "duckdb",
        "first_sample_s": round(warm, 1),
        "p50_s": round(statistics.median(latencies), 1),
        "p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 1),
        "max_s": round(latencies[-1], 1),
    }


def table(result: dict) -> str:
    return "\n".join(
        [
            "| landing -> queryable | files | sensor interval | p50 s | p95 s | max s |",
            "|---|---|---|---|---|---|",
            f"| {result['engine']}, {result['rows_per_file']} rows/file, {result['instance']} | {result['files']} | "
            f"{result['sensor_interval_s']} s | {result['p50_s']} | {result['p95_s']} | {result['max_s']} |",
        ]
    )
