"""raw_upload -> validated_sales -> sales_parquet, one dynamic partition per landed file.

Assets do not pass frames to each other; each reads what its upstream wrote to S3, so any step
can be re-materialized on its own from the Dagster UI.
"""

import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl

from ..checks import rejection_rate_result, rows_reconcile_result, validated_sales_check_specs
from ..layout import LandedFile, druid_key_for
from ..metadata import markdown_table, preview, table_schema
from ..partitions import sales_files
from ..readers import FileProblem, detect_format
from ..resources.contract import ContractSettings
from ..resources.lake import SalesLake, clean_etag
from ..stores.druid.handoff import validated_druid_lines
from ..validation import ValidationOutcome, check_size, validate_file

GROUP = "ingest"
_S3_RETRY = dg.RetryPolicy(max_retries=3, delay=2, backoff=dg.Backoff.EXPONENTIAL)


def _current_version(lake: SalesLake, landed: LandedFile) -> dict[str, Any]:
    pointer = lake.read_json(landed.raw_pointer_key)
    if pointer is None:
        raise dg.Failure(
            description=f"No archived copy of {landed.partition_key!r}: "
            "materialize raw_upload for this partition first.",
            metadata={"pointer": lake.uri(landed.raw_pointer_key)},
        )
    return pointer


def _archive_metadata(lake: SalesLake, pointer: dict[str, Any]) -> dict[str, Any]:
    return {
        "landing_uri": lake.uri(pointer["landing_key"]),
        "raw_uri": dg.MetadataValue.url(lake.uri(pointer["raw_key"])),
        "size_bytes": pointer["size"],
        "etag": pointer["etag"],
        "sha256": pointer["sha256"],
        "format": pointer["format"],
        "landed_at": pointer["last_modified"],
    }


@dg.asset(partitions_def=sales_files, group_name=GROUP, kinds={"s3"}, retry_policy=_S3_RETRY)
def raw_upload(context: dg.AssetExecutionContext, lake: SalesLake) -> dg.MaterializeResult:
    """Immutable archive copy of the landed object; the landing object is then removed.

    The copy is server-side and conditional on the ETag, so the archive holds exactly the version
    that was fingerprinted. A newer upload under the same key is never deleted.
    """
    landed = lake.landed(context.partition_key)
    landing_key = lake.landing_key(context.partition_key)
    head = lake.head(landing_key)
    if head is None:
        pointer = _current_version(lake, landed)
        context.log.info(f"{landing_key} already archived as {pointer['raw_key']}; nothing to copy")
        return dg.MaterializeResult(metadata={**_archive_metadata(lake, pointer), "note": "already archived"})
    etag = clean_etag(head["ETag"])
    raw_key = landed.raw_key(etag)
    lake.copy_if_unchanged(landing_key, raw_key, etag)
    pointer = {
        "partition_key": context.partition_key,
        "landing_key": landing_key,
        "raw_key": raw_key,
        "etag": etag,
        "size": head["ContentLength"],
        "last_modified": head["LastModified"].isoformat(),
        "sha256": lake.sha256(raw_key),
        "format": detect_format(lake.read_head_bytes(raw_key)) if head["ContentLength"] else "empty",
        "archived_at": datetime.now(UTC).isoformat(),
    }
    lake.write_json(landed.raw_pointer_key, pointer)
    removed = lake.delete_if_unchanged(landing_key, etag)
    return dg.MaterializeResult(metadata={**_archive_metadata(lake, pointer), "removed_from_landing": removed})


def _file_failure(problem: FileProblem, lake: SalesLake, pointer: dict[str, Any]) -> dg.Failure:
    return dg.Failure(
        description=f"{lake.uri(pointer['landing_key'])}: {problem.problem}. {problem.action} "
        f"The original is kept at {lake.uri(pointer['raw_key'])}.",
        metadata={
            "file": problem.file,
            "problem": problem.problem,
            "action": problem.action,
            "raw_uri": lake.uri(pointer["raw_key"]),
        },
        allow_retries=False,
    )


@dg.asset(
    partitions_def=sales_files,
    group_name=GROUP,
    deps=[raw_upload],
    kinds={"polars", "s3"},
    check_specs=validated_sales_check_specs("validated_sales"),
)
def validated_sales(
    context: dg.AssetExecutionContext, lake: SalesLake, contract: ContractSettings
) -> dg.MaterializeResult:
    """Valid rows in the canonical schema (staged Parquet) and bad rows in the quarantine, with reasons."""
    landed = lake.landed(context.partition_key)
    pointer = _current_version(lake, landed)
    name = pointer["landing_key"]
    try:
        check_size(pointer["size"], contract.max_file_bytes, name)
        with tempfile.TemporaryDirectory(prefix="sales-") as tmp:
            local = Path(tmp) / "raw"
            lake.download(pointer["raw_key"], local)
            outcome = validate_file(local, name, contract.date_order, out_dir=Path(tmp))
            return _publish_outcome(context, lake, landed, outcome, contract)
    except FileProblem as problem:
        raise _file_failure(problem, lake, pointer) from None


def _publish_outcome(
    context: dg.AssetExecutionContext,
    lake: SalesLake,
    landed: LandedFile,
    outcome: ValidationOutcome,
    contract: ContractSettings,
) -> dg.MaterializeResult:
    """Upload the staged rows and the quarantine that validation wrote locally."""
    lake.upload(outcome.valid_path, landed.staged_key)
    if outcome.rejected_rows:
        lake.upload(outcome.quarantine_path, landed.quarantine_key)
        rejected_written = lake.parquet_rows(landed.quarantine_key)
    else:
        lake.delete([landed.quarantine_key])
        rejected_written = 0
    summary = outcome.failure_summary()
    if summary:
        context.log.warning(
            f"{outcome.file}: {outcome.rejected_rows} of {outcome.rows} rows quarantined; "
            f"top rule {summary[0]['rule']} on {summary[0]['column']}"
        )
    return dg.MaterializeResult(
        metadata={
            "rows_in": outcome.rows,
            "valid_rows": outcome.valid_rows,
            "rejected_rows": outcome.rejected_rows,
            "rejection_rate": outcome.rejection_rate,
            "format": outcome.format,
            "failures": markdown_table(summary),
            "rejected_sample": preview(outcome.quarantine_head(10).select("row_number", "errors")),
            "ignored_columns": ", ".join(outcome.ignored_columns) or "none",
            "staged_uri": dg.MetadataValue.url(lake.uri(landed.staged_key)),
            "quarantine_uri": lake.uri(landed.quarantine_key) if outcome.rejected_rows else "none",
            "validate_seconds": round(outcome.seconds, 3),
            "dagster/column_schema": table_schema(pl.read_parquet_schema(outcome.valid_path)),
            "preview": preview(outcome.valid_head(10)),
        },
        check_results=[
            rejection_rate_result(outcome.rows, outcome.rejected_rows, contract.max_rejection_rate),
            rows_reconcile_result(outcome.rows, lake.parquet_rows(landed.staged_key), rejected_written),
        ],
    )


def _write_days(lake: SalesLake, landed: LandedFile, staged: Path) -> dict[str, dict[str, Any]]:
    """One object per day, rows in time order, each row carrying the file it came from.

    The staged file is split into local day files by a streaming sink first, so memory holds one
    day at a time, not the whole file.
    """
    split = staged.parent / "days"
    pl.scan_parquet(staged).with_columns(pl.lit(landed.file_id).alias("file_id")).sink_parquet(
        pl.PartitionBy(split, key="date", include_key=True, approximate_bytes_per_file=None), mkdir=True
    )
    days = {}
    for folder in sorted(split.glob("date=*")):  # ISO dates: name order is time order
        day = folder.name.removeprefix("date=")
        part = pl.read_parquet(folder).sort("time")
        key, druid_key = landed.validated_key(day), landed.druid_key(day)
        lake.write_parquet(part, key)
        lake.put_bytes(druid_key, validated_druid_lines(part))
        days[day] = {
            "key": key,
            "druid_key": druid_key,
            "rows": part.height,
            "total": round(float(part["total"].sum()), 4),
        }
    return days


@dg.asset(
    partitions_def=sales_files,
    group_name=GROUP,
    deps=[validated_sales],
    kinds={"parquet", "s3"},
    retry_policy=_S3_RETRY,
)
def sales_parquet(context: dg.AssetExecutionContext, lake: SalesLake) -> dg.MaterializeResult:
    """Valid rows as validated/<datasource>/date=YYYY-MM-DD/<file-id>.parquet plus a manifest.

    Re-landing a changed file replaces its objects exactly: days the new version still has are
    overwritten, days it no longer has are deleted. The manifest is written last and is the
    record of what this file currently contributes.
    """
    started = time.perf_counter()
    landed = lake.landed(context.partition_key)
    pointer = _current_version(lake, landed)
    previous = lake.read_json(landed.manifest_key) or {"days": {}}
    with tempfile.TemporaryDirectory(prefix="sales-") as tmp:
        staged = Path(tmp) / "staged.parquet"
        lake.download(landed.staged_key, staged)
        days = _write_days(lake, landed, staged)
        rows, total = pl.scan_parquet(staged).select(pl.len(), pl.col("total").sum()).collect().row(0)
    stale = [
        key
        for day, entry in previous["days"].items()
        if day not in days
        for key in (entry["key"], entry.get("druid_key") or druid_key_for(entry["key"]))
    ]
    lake.delete(stale)
    manifest = {
        "partition_key": context.partition_key,
        "datasource": landed.datasource,
        "file_id": landed.file_id,
        "source": {"etag": pointer["etag"], "sha256": pointer["sha256"], "raw_key": pointer["raw_key"]},
        "rows": rows,
        "rejected_rows": lake.parquet_rows(landed.quarantine_key) if lake.head(landed.quarantine_key) else 0,
        "landed_at": pointer["last_modified"],
        "total": round(float(total or 0.0), 4),
        "days": days,
        # Days whose contents this version changed: its own, and those the previous version had.
        "affected_days": sorted(set(days) | set(previous["days"])),
        "written_at": datetime.now(UTC).isoformat(),
    }
    lake.write_json(landed.manifest_key, manifest)
    return dg.MaterializeResult(
        metadata={
            "rows": rows,
            "days": len(days),
            "first_day": min(days, default="none"),
            "last_day": max(days, default="none"),
            "objects": markdown_table([{"day": d, **e} for d, e in days.items()], max_rows=31),
            "removed_stale_objects": len(stale),
            "manifest_uri": dg.MetadataValue.url(lake.uri(landed.manifest_key)),
            "total_revenue": manifest["total"],
            "seconds": round(time.perf_counter() - started, 3),
        }
    )
