"""The local Druid: install time (cached), cluster start time and idle RSS, and submit-to-queryable
for generated files through DruidStore.replace_days (one index_parallel task over the days' Druid
objects, then the wait until a COUNT over the days equals the rows sent), with the cluster's peak
RSS while loading. The S3 is the embedded moto server, as in `make dev`.
"""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

import polars as pl
from dagster_aws.s3 import S3Resource

from sales_pipeline.druid_local import cluster
from sales_pipeline.druid_local.config import SERVICES, ClusterConfig
from sales_pipeline.druid_local.install import default_install, install_druid
from sales_pipeline.generate import generate_sales
from sales_pipeline.layout import druid_key_for
from sales_pipeline.local_s3 import local_s3
from sales_pipeline.resources.lake import SalesLake
from sales_pipeline.settings import LOCAL_S3_CREDENTIALS
from sales_pipeline.stores.druid.handoff import validated_druid_lines
from sales_pipeline.stores.druid.store import DruidStore

PORT_BASE = 28081


def _cluster_rss_mib(config: ClusterConfig) -> float:
    pids = [cluster.running_pid(config, s) for s in SERVICES]
    return sum(cluster.rss_mib(pid) or 0.0 for pid in pids if pid)


class _PeakRss(threading.Thread):
    def __init__(self, config: ClusterConfig) -> None:
        super().__init__(daemon=True)
        self.config, self.peak, self.done = config, 0.0, threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, _cluster_rss_mib(self.config))
            time.sleep(0.25)


def _stage(lake: SalesLake, rows: int, datasource: str) -> tuple[list[str], list[str]]:
    """Day objects as sales_parquet writes them (validated Parquet + Druid sibling)."""
    frame = generate_sales(rows, seed=5).with_columns(
        pl.col("time").str.to_time("%H:%M"), pl.lit("bench").alias("file_id")
    )
    keys = []
    for (day,), part in frame.partition_by("date", as_dict=True).items():
        key = f"validated/{datasource}/date={day.isoformat()}/bench.parquet"
        lake.write_parquet(part, key)
        lake.put_bytes(druid_key_for(key), validated_druid_lines(part))
        keys.append(key)
    return sorted({k.split("date=")[1][:10] for k in keys}), keys


def run(sizes: list[int]) -> dict:
    started = time.perf_counter()
    install = install_druid(default_install())
    results: dict = {"install_s": round(time.perf_counter() - started, 1), "loads": []}
    with tempfile.TemporaryDirectory(prefix="druid-bench-") as state, local_s3() as endpoint:
        config = ClusterConfig(state_dir=Path(state), install=install, port_base=PORT_BASE, s3_endpoint=endpoint)
        started = time.perf_counter()
        cluster.up(config, LOCAL_S3_CREDENTIALS)
        results["start_s"] = round(time.perf_counter() - started, 1)
        try:
            time.sleep(10)
            results["idle_rss_mib"] = round(_cluster_rss_mib(config))
            s3 = S3Resource(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=LOCAL_S3_CREDENTIALS[0],
                            aws_secret_access_key=LOCAL_S3_CREDENTIALS[1])  # fmt: skip
            lake = SalesLake(s3=s3, bucket="druid-bench")
            lake.ensure_bucket()
            store = DruidStore(url=config.url("broker"), lake=lake)
            for rows in sizes:
                datasource = f"bench_{rows}"
                days, keys = _stage(lake, rows, datasource)
                sampler = _PeakRss(config)
                sampler.start()
                result = store.replace_days(datasource, days, keys)
                sampler.done.set()
                sampler.join()
                results["loads"].append(
                    {
                        "rows": rows,
                        "days": len(days),
                        "submit_to_queryable_s": round(result.seconds, 2),
                        "task_s": result.detail.get("task_seconds"),
                        "peak_rss_mib": round(sampler.peak),
                    }
                )
        finally:
            cluster.down(config)
    return results


def table(results: dict) -> str:
    lines = [
        f"install (cached): {results['install_s']} s · cluster start: {results['start_s']} s · "
        f"idle RSS of the five JVMs: {results['idle_rss_mib']} MiB",
        "",
        "| rows | days | submit → queryable (s) | task (s) | peak cluster RSS (MiB) |",
        "|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r['rows']:,} | {r['days']} | {r['submit_to_queryable_s']} | {r['task_s']} | {r['peak_rss_mib']:,} |"
        for r in results["loads"]
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run([1_000, 1_000_000])))
