"""`make bench`: every benchmark in one run; results in benchmarks/results/<timestamp>.{json,md}.

python -m benchmarks.run            # 1M-row files (xlsx: 100k rows), ~15 minutes on 2 cores
python -m benchmarks.run --quick    # 200k rows (xlsx: 20k), under 5 minutes
python -m benchmarks.run --rows 5000000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from . import druid_ingest, landing_latency, sensor_tick, store_queries, validate_stage

RESULTS = Path(__file__).parent / "results"
PACKAGES = ["polars", "pandera", "pandas", "duckdb", "dagster", "moto"]


def machine() -> dict:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(memory, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": {name: version(name) for name in PACKAGES},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--defects", type=float, default=0.01)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--page-rows", type=int, default=5_000_000, help="second size for dashboard page latency")
    args = parser.parse_args()
    rows, xlsx_rows, repeats = (200_000, 20_000, 2) if args.quick else (args.rows, args.xlsx_rows, args.repeats)
    started = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="sales-bench-") as tmp:
        stage = validate_stage.run(rows, xlsx_rows, args.defects, repeats, Path(tmp))
    counts, backlog = ([1_000, 10_000], 1_000) if args.quick else ([10_000, 100_000], 10_000)
    sensor = sensor_tick.run(counts, waiting=20, backlog=backlog)
    queries = [store_queries.run(n) for n in ([rows] if args.quick else [rows, args.page_rows])]
    latency = landing_latency.run(files=5 if args.quick else 20)
    druid = druid_ingest.run([1_000, 100_000] if args.quick else [1_000, rows])
    report = {
        "at": started.isoformat(timespec="seconds"),
        "seconds": round((datetime.now(UTC) - started).total_seconds()),
        "machine": machine(),
        "settings": {"rows": rows, "xlsx_rows": xlsx_rows, "defect_rate": args.defects, "repeats": repeats},
        "validate_stage": stage,
        "sensor_tick": sensor,
        "dashboard_pages": queries,
        "landing_to_queryable": latency,
        "druid_ingest": druid,
    }
    RESULTS.mkdir(exist_ok=True)
    stem = RESULTS / started.strftime("%Y%m%dT%H%M%SZ")
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2))
    markdown = (
        f"## Benchmarks ({report['at']}, {report['seconds']} s, {report['machine']['cpus']} cores)\n\n"
        f"### Validate stage\n\n{validate_stage.table(stage)}\n\n"
        f"### Landing sensor tick\n\n{sensor_tick.table(sensor)}\n\n"
        f"### Dashboard pages (DuckDB, uncached)\n\n{store_queries.table(queries)}\n\n"
        f"### Landing to queryable\n\n{landing_latency.table(latency)}\n\n"
        f"### Local Druid: start and submit-to-queryable\n\n{druid_ingest.table(druid)}\n"
    )
    stem.with_suffix(".md").write_text(markdown)
    print(markdown)
    print(f"results: {stem}.json")


if __name__ == "__main__":
    main()
