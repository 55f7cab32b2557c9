"""Validate stage (read + validate + write Parquet) vs the raw Polars floor, same file, same run.

Each measurement runs in its own process so peak RSS (ru_maxrss) belongs to that step alone.
Results: benchmarks/results/validate_stage-<timestamp>.{json,md}.

    python -m benchmarks.validate_stage [--rows N] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def _ours(source: str, out_dir: str) -> dict:
    from sales_pipeline.validation import validate_file

    outcome = validate_file(Path(source), source)
    outcome.valid.write_parquet(Path(out_dir) / "valid.parquet")
    outcome.quarantine.write_parquet(Path(out_dir) / "quarantine.parquet")
    return {"valid_rows": outcome.valid.height, "rejected_rows": outcome.rejected_rows}


def _floor(source: str, out_dir: str) -> dict:
    import polars as pl

    pl.scan_csv(source, infer_schema=False).sink_parquet(Path(out_dir) / "floor.parquet")
    return {}


STEPS = {"ours": _ours, "floor": _floor}


def child(step: str, source: str) -> None:
    with tempfile.TemporaryDirectory() as out_dir:
        started = time.perf_counter()
        extra = STEPS[step](source, out_dir)
        seconds = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_rss_mib": peak_mib, **extra}))


def measure(step: str, source: Path, repeats: int) -> dict:
    runs = []
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.validate_stage", "--child", step, str(source)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        runs.append(json.loads(out.stdout))
    best = min(runs, key=lambda r: r["seconds"])
    return {**best, "runs": [round(r["seconds"], 3) for r in runs]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--defects", type=float, default=0.01)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="200k rows, 2 repeats")
    parser.add_argument("--child", nargs=2, metavar=("STEP", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    rows, repeats = (200_000, 2) if args.quick else (args.rows, args.repeats)

    from sales_pipeline.generate import generate_sales, with_defects, write_sales_file

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "bench.csv"
        write_sales_file(with_defects(generate_sales(rows, seed=42), args.defects), source, "csv")
        size_mb = source.stat().st_size / 1e6
        results = {step: measure(step, source, repeats) for step in ("floor", "ours")}
    ours, floor = results["ours"], results["floor"]
    report = {
        "benchmark": "validate_stage",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "input": {"rows": rows, "csv_mb": round(size_mb, 1), "defect_rate": args.defects, "repeats": repeats},
        "results": results,
        "rows_per_s": round(rows / ours["seconds"]),
        "mb_per_s": round(size_mb / ours["seconds"], 1),
        "ratio_to_floor": round(ours["seconds"] / floor["seconds"], 2),
    }
    RESULTS.mkdir(exist_ok=True)
    stem = RESULTS / f"validate_stage-{report['at'].replace(':', '')}"
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2))
    table = (
        "| step | best s | runs | peak RSS MiB |\n|---|---|---|---|\n"
        + "".join(f"| {k} | {v['seconds']:.2f} | {v['runs']} | {v['peak_rss_mib']:.0f} |\n" for k, v in results.items())
        + f"\n{rows:,} rows, {size_mb:.0f} MB CSV: {report['rows_per_s']:,} rows/s, {report['mb_per_s']} MB/s, "
        f"ratio to floor {report['ratio_to_floor']}x\n"
    )
    stem.with_suffix(".md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
