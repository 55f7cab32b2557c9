"""Asset checks of the ingest stage, evaluated inside validated_sales (one result per file)."""

from __future__ import annotations

import dagster as dg

REJECTION_RATE = "rejection_rate"
ROWS_RECONCILE = "rows_reconcile"


def validated_sales_check_specs(asset: str) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            REJECTION_RATE,
            asset=asset,
            description="Warns when any row is rejected; fails above SALES_MAX_REJECTION_RATE.",
        ),
        dg.AssetCheckSpec(
            ROWS_RECONCILE,
            asset=asset,
            description="Rows read == rows in the staged valid Parquet + rows in the quarantine, read back from S3.",
        ),
    ]


def rejection_rate_result(rows: int, rejected: int, max_rate: float) -> dg.AssetCheckResult:
    rate = rejected / rows if rows else 0.0
    metadata = {"rows": rows, "rejected_rows": rejected, "rejection_rate": rate, "max_rejection_rate": max_rate}
    if rejected == 0:
        return dg.AssetCheckResult(check_name=REJECTION_RATE, passed=True, metadata=metadata)
    severity = dg.AssetCheckSeverity.ERROR if rate > max_rate else dg.AssetCheckSeverity.WARN
    return dg.AssetCheckResult(
        check_name=REJECTION_RATE,
        passed=False,
        severity=severity,
        metadata=metadata,
        description=f"{rejected} of {rows} rows rejected ({rate:.2%}); limit {max_rate:.2%}",
    )


def rows_reconcile_result(rows: int, valid_written: int, rejected_written: int) -> dg.AssetCheckResult:
    passed = rows == valid_written + rejected_written
    return dg.AssetCheckResult(
        check_name=ROWS_RECONCILE,
        passed=passed,
        metadata={"rows_read": rows, "valid_written": valid_written, "rejected_written": rejected_written},
        description=None if passed else f"{rows} rows read but {valid_written} + {rejected_written} written",
    )
