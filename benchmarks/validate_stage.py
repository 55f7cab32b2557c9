"""Validate stage (read + validate + write Parquet) against its references, in one run.

Each measured step runs in its own process (best of N), so peak RSS (VmHWM) is that step's
alone. Steps:
- ours_<fmt>: sales_pipeline.validation.validate_file (writes valid rows and quarantine as Parquet)
- floor_<fmt>: the same file to Parquet with raw Polars, no parsing or checks
- pandas_csv: pandas read_csv + pandera (pandas) with the same rules + to_parquet
- contract / polars_rules: validation alone on an already typed frame (pandera.polars vs
  hand-written expressions)
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from . import references


def _ours(source: Path, out: Path) -> dict:
    from sales_pipeline.validation import validate_file

    outcome = validate_file(source, str(source), out_dir=out.parent)  # writes valid + quarantine Parquet
    return {"valid_rows": outcome.valid_rows, "rejected_rows": outcome.rejected_rows}


def _floor(source: Path, out: Path) -> dict:
    if source.suffix == ".csv":
        return references.floor(source, out)
    if source.suffix == ".parquet":
        pl.scan_parquet(source).sink_parquet(out)
    else:
        pl.read_excel(source).write_parquet(out)
    return {}


def _validation_alone(source: Path, out: Path) -> dict:
    """Time pandera.polars and the hand-written rules on the same typed frame (in this process)."""
    from sales_pipeline import validation

    typed, _ = validation.parse_frame(pl.read_parquet(source), "bench")
    timings = {}
    for name, run in {
        "contract": lambda: validation.contract_failures(typed, "bench"),
        "polars_rules": lambda: references.polars_rules(typed),
    }.items():
        started = time.perf_counter()
        run()
        timings[f"{name}_seconds"] = time.perf_counter() - started
    return timings


STEPS = {"ours": _ours, "floor": _floor, "pandas": references.pandas_pandera, "alone": _validation_alone}


def peak_rss_mib() -> float:
    """This process's peak RSS. Not ru_maxrss: Linux carries it across exec, so a child would
    report at least its parent's size at spawn time. VmHWM belongs to the post-exec address space."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(step: str, source: str) -> None:
    with tempfile.TemporaryDirectory() as out_dir:
        started = time.perf_counter()
        extra = STEPS[step](Path(source), Path(out_dir) / "out.parquet")
        seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "peak_rss_mib": peak_rss_mib(), **extra}))


def measure(step: str, source: Path, repeats: int) -> dict:
    runs = []
    for _ in range(repeats):
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.validate_stage", step, str(source)], capture_output=True, text=True
        )
        if done.returncode:
            raise RuntimeError(f"{step} on {source.name} failed:\n{done.stderr[-2000:]}")
        runs.append(json.loads(done.stdout))
    best = min(runs, key=lambda r: r["seconds"])
    return {**best, "runs": [round(r["seconds"], 3) for r in runs]}


def run(rows: int, xlsx_rows: int, defects: float, repeats: int, workdir: Path) -> dict:
    """All validate-stage figures for generated files of ``rows`` rows (xlsx: ``xlsx_rows``)."""
    from sales_pipeline.generate import generate_sales, with_defects, write_sales_file

    frame = with_defects(generate_sales(rows, seed=42), defects)
    files = {"csv": workdir / "bench.csv", "parquet": workdir / "bench.parquet", "xlsx": workdir / "bench.xlsx"}
    write_sales_file(frame, files["csv"], "csv")
    write_sales_file(frame, files["parquet"], "parquet")
    write_sales_file(frame.head(xlsx_rows), files["xlsx"], "xlsx")
    results = {}
    for fmt, path in files.items():
        n = xlsx_rows if fmt == "xlsx" else rows
        entry = {"rows": n, "mb": round(path.stat().st_size / 1e6, 1)}
        entry["ours"] = measure("ours", path, repeats)
        entry["floor"] = measure("floor", path, repeats)
        entry["ratio_to_floor"] = round(entry["ours"]["seconds"] / entry["floor"]["seconds"], 2)
        entry["rows_per_s"] = round(n / entry["ours"]["seconds"])
        entry["mb_per_s"] = round(entry["mb"] / entry["ours"]["seconds"], 1)
        if fmt == "csv":
            entry["pandas"] = measure("pandas", path, 1 if rows > 1_000_000 else repeats)
            entry["speedup_vs_pandas"] = round(entry["pandas"]["seconds"] / entry["ours"]["seconds"], 2)
            assert entry["pandas"]["valid_rows"] == entry["ours"]["valid_rows"], "references must apply the same rules"
        results[fmt] = entry
    results["validation_alone"] = measure("alone", files["parquet"], repeats)
    return results


def table(results: dict) -> str:
    lines = [
        "| input | rows | MB | ours s | floor s | ours/floor | pandas s | pandas/ours | rows/s | MB/s "
        "| peak RSS MiB (ours) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for fmt in ("csv", "parquet", "xlsx"):
        e = results[fmt]
        pandas = f"{e['pandas']['seconds']:.2f}" if "pandas" in e else "-"
        speedup = e.get("speedup_vs_pandas", "-")
        lines.append(
            f"| {fmt} | {e['rows']:,} | {e['mb']} | {e['ours']['seconds']:.2f} | {e['floor']['seconds']:.2f} | "
            f"{e['ratio_to_floor']} | {pandas} | {speedup} | {e['rows_per_s']:,} | {e['mb_per_s']} | "
            f"{e['ours']['peak_rss_mib']:.0f} |"
        )
    alone = results["validation_alone"]
    lines.append(
        f"\nValidation alone ({results['parquet']['rows']:,} typed rows): pandera.polars contract "
        f"{alone['contract_seconds']:.2f} s, hand-written Polars rules {alone['polars_rules_seconds']:.2f} s."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    child(sys.argv[1], sys.argv[2])
