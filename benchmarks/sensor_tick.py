"""Landing-sensor tick time against a real S3 endpoint (moto on loopback).

Processed files leave landing (their archive, staging and validated objects stay in the bucket),
so a tick should cost the same with 10k or 100k processed files. What a tick does scale with is
the backlog still waiting in landing, measured separately.
"""

from __future__ import annotations

import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import dagster as dg

from sales_pipeline.jobs import ingest_file_job
from sales_pipeline.local_s3 import local_s3
from sales_pipeline.resources.factory import build_resources
from sales_pipeline.sensors import build_landing_sensor
from sales_pipeline.settings import Settings


def _put_many(lake, keys: list[str]) -> None:
    client = lake.client()
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda key: client.put_object(Bucket=lake.bucket, Key=key, Body=b"{}"), keys))


def _tick_seconds(lake, instance, cursor: str | None) -> tuple[float, dg.SensorResult]:
    sensor = build_landing_sensor(ingest_file_job, 30)
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources={"lake": lake}) as context:
        started = time.perf_counter()
        result = sensor(context)
    return time.perf_counter() - started, result


def run(processed_counts: list[int], waiting: int, backlog: int) -> dict:
    results = {"waiting_files": waiting, "processed": {}, "backlog": {}}
    with tempfile.TemporaryDirectory() as state, local_s3() as endpoint, dg.DagsterInstance.ephemeral() as instance:
        settings = replace(Settings(), s3_endpoint_url=endpoint, bucket="bench", state_dir=state)
        lake = build_resources(settings)["lake"]
        lake.ensure_bucket()
        present = 0
        for count in processed_counts:
            _put_many(lake, [f"raw/sales/f{i:06d}/current.json" for i in range(present, count)])
            present = count
            landing = [f"landing/sales/new-{count}-{i}.csv" for i in range(waiting)]
            _put_many(lake, landing)
            first, result = _tick_seconds(lake, instance, None)
            idle, _ = _tick_seconds(lake, instance, result.cursor)
            results["processed"][count] = {"first_tick_s": round(first, 3), "idle_tick_s": round(idle, 3)}
            lake.delete(landing)
        backlog_keys = [f"landing/sales/backlog-{i:06d}.csv" for i in range(backlog)]
        _put_many(lake, backlog_keys)
        first, result = _tick_seconds(lake, instance, None)
        idle, _ = _tick_seconds(lake, instance, result.cursor)
        results["backlog"] = {"files": backlog, "first_tick_s": round(first, 3), "idle_tick_s": round(idle, 3)}
    return results


def table(results: dict) -> str:
    lines = ["| processed objects in bucket | first tick (requests waiting files) s | idle tick s |", "|---|---|---|"]
    for count, entry in results["processed"].items():
        lines.append(f"| {int(count):,} | {entry['first_tick_s']} | {entry['idle_tick_s']} |")
    backlog = results["backlog"]
    return "\n".join(lines) + (
        f"\n\n{results['waiting_files']} files waiting in landing for the rows above. A backlog of "
        f"{backlog['files']:,} files waiting in landing: first tick {backlog['first_tick_s']} s, "
        f"idle tick {backlog['idle_tick_s']} s."
    )
