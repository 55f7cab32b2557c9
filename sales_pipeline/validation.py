"""One validation code path for the assets and the CLI: raw frame -> valid rows + quarantine.

Every rejected row is described in a long failure table (row_number, column, rule, message), from
which both the quarantine (one row per bad source row, with all its reasons) and the report
(counts per rule with example rows) are derived. ``row_number`` counts data rows from 1; in a
CSV or sheet, row_number N is on line N + 1 because of the header.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandera.errors
import polars as pl

from .contract import (
    CANONICAL_COLUMNS,
    CHECK_COLUMNS,
    SalesContract,
    UnsupportedColumnType,
    map_headers,
    parse_rules,
)
from .readers import FileProblem, read_table

ROW = "row_number"
FAILURE_SCHEMA = {ROW: pl.UInt32, "column": pl.String, "rule": pl.String, "message": pl.String}
EXAMPLES_PER_RULE = 5

_CHECK_MESSAGES = {
    "cogs_equals_unit_price_times_quantity": (
        pl.format(
            "cogs {} differs from unit_price x quantity = {}",
            "cogs",
            (pl.col("unit_price") * pl.col("quantity")).round(4),
        )
    ),
    "tax_is_5pct_of_cogs": pl.format(
        "tax_5pct {} differs from 5% of cogs = {}", "tax_5pct", (pl.col("cogs") * 0.05).round(4)
    ),
    "total_equals_cogs_plus_tax": pl.format(
        "total {} differs from cogs + tax_5pct = {}", "total", (pl.col("cogs") + pl.col("tax_5pct")).round(4)
    ),
    "gross_income_equals_total_minus_cogs": pl.format(
        "gross_income {} differs from total - cogs = {}", "gross_income", (pl.col("total") - pl.col("cogs")).round(4)
    ),
}


@dataclass
class ValidationOutcome:
    file: str
    format: str
    rows: int
    valid: pl.DataFrame
    quarantine: pl.DataFrame
    failures: pl.DataFrame
    ignored_columns: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rejected_rows(self) -> int:
        return self.quarantine.height

    @property
    def rejection_rate(self) -> float:
        return self.rejected_rows / self.rows if self.rows else 0.0

    def failure_summary(self) -> list[dict[str, Any]]:
        """Failing rows per (rule, column), most frequent first, with example row numbers."""
        if self.failures.is_empty():
            return []
        grouped = (
            self.failures.group_by("rule", "column")
            .agg(
                pl.col(ROW).n_unique().alias("count"),
                pl.col(ROW).unique().sort().head(EXAMPLES_PER_RULE).alias("example_rows"),
                pl.col("message").first().alias("example"),
            )
            .sort(["count", "rule", "column"], descending=[True, False, False])
        )
        return grouped.to_dicts()

    def report(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "format": self.format,
            "rows": self.rows,
            "valid_rows": self.valid.height,
            "rejected_rows": self.rejected_rows,
            "ignored_columns": self.ignored_columns,
            "failures": self.failure_summary(),
            "file_error": None,
        }


def _canonical_frame(raw: pl.DataFrame, name: str) -> tuple[pl.DataFrame, list[str]]:
    mapping = map_headers(raw.columns)
    if mapping.duplicated:
        dupes = "; ".join(f"{c} <- {', '.join(map(repr, hs))}" for c, hs in mapping.duplicated.items())
        raise FileProblem(name, f"several columns map to the same field ({dupes})", "Keep one column per field.")
    if mapping.missing:
        raise FileProblem(
            name,
            f"missing required column(s): {', '.join(mapping.missing)} (found: {', '.join(raw.columns)})",
            "Add or rename the columns; see README 'Accepted columns'.",
        )
    frame = raw.select(pl.col(h).alias(c) for h, c in mapping.rename.items()).select(CANONICAL_COLUMNS)
    return frame.with_row_index(ROW, offset=1), mapping.ignored


def _parse(frame: pl.DataFrame, name: str, date_order: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Typed rows that parsed, and one failure row per (row, column) that did not."""
    try:
        rules = parse_rules(frame.schema, date_order)
    except UnsupportedColumnType as exc:
        raise FileProblem(name, str(exc), "Store the column as text or as the expected type.") from None
    flags = [f"__invalid_{col}" for col in rules]
    parsed = frame.with_columns(
        *(rule.value.alias(f"__value_{col}") for col, rule in rules.items()),
        *(rule.invalid.alias(flag) for flag, rule in zip(flags, rules.values(), strict=True)),
    )
    bad = parsed.filter(pl.any_horizontal(flags))  # messages are built for these rows only
    failures = pl.concat(
        [
            bad.filter(pl.col(flag)).select(
                pl.col(ROW), pl.lit(col).alias("column"), pl.lit(rule.rule).alias("rule"), rule.message.alias("message")
            )
            for (col, rule), flag in zip(rules.items(), flags, strict=True)
        ]
    )
    clean = parsed.filter(~pl.any_horizontal(flags)).select(
        pl.col(ROW), *(pl.col(f"__value_{col}").alias(col) for col in rules)
    )
    return clean, failures


def _contract_failures(clean: pl.DataFrame, name: str) -> pl.DataFrame:
    try:
        SalesContract.validate(clean, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    else:
        return pl.DataFrame(schema=FAILURE_SCHEMA)
    if cases["index"].null_count():
        first = cases.filter(pl.col("index").is_null()).row(0, named=True)
        raise FileProblem(name, f"schema check {first['check']} failed on {first['column']}", "Report this as a bug.")
    rows = cases.with_columns(clean[ROW].gather(cases["index"]).alias(ROW))
    column_rows = rows.filter(pl.col("schema_context") == "Column")
    frame_rows = rows.filter(pl.col("schema_context") != "Column")
    return pl.concat([_column_failures(column_rows), _row_check_failures(frame_rows, clean)]).sort(ROW)


def _column_failures(cases: pl.DataFrame) -> pl.DataFrame:
    unique = cases["check"] == "field_uniqueness"
    dupes = cases.filter(unique).with_columns(
        pl.col(ROW).sort().head(EXAMPLES_PER_RULE).cast(pl.String).str.join(", ").over("failure_case").alias("rows")
    )
    return pl.concat(
        [
            dupes.select(
                ROW,
                "column",
                pl.lit("unique").alias("rule"),
                pl.format("'{}' appears more than once in the file (rows {})", "failure_case", "rows").alias("message"),
            ),
            cases.filter(~unique).select(
                ROW,
                "column",
                pl.col("check").alias("rule"),
                pl.format("'{}' fails {}", "failure_case", "check").alias("message"),
            ),
        ]
    ).cast(FAILURE_SCHEMA)


def _row_check_failures(cases: pl.DataFrame, clean: pl.DataFrame) -> pl.DataFrame:
    if cases.is_empty():
        return pl.DataFrame(schema=FAILURE_SCHEMA)
    parts = []
    for check, part in cases.partition_by("check", as_dict=True).items():
        check_name = check[0]
        failing = clean.join(part.select(ROW), on=ROW, how="semi")
        parts.append(
            failing.select(
                ROW,
                pl.lit(CHECK_COLUMNS.get(check_name, "*")).alias("column"),
                pl.lit(check_name).alias("rule"),
                _CHECK_MESSAGES.get(check_name, pl.lit(f"{check_name} failed")).alias("message"),
            )
        )
    return pl.concat(parts).cast(FAILURE_SCHEMA)


def _quarantine(frame: pl.DataFrame, failures: pl.DataFrame) -> pl.DataFrame:
    reasons = (
        failures.sort(ROW)
        .group_by(ROW, maintain_order=True)
        .agg(pl.format("{} [{}]: {}", "column", "rule", "message").str.join("; ").alias("errors"))
    )
    as_text = frame.select(pl.col(ROW), pl.col(CANONICAL_COLUMNS).cast(pl.String))
    return as_text.join(reasons, on=ROW, how="inner").sort(ROW)


def validate_frame(raw: pl.DataFrame, name: str, date_order: str = "MDY") -> ValidationOutcome:
    """Apply the contract to an already-read frame. Raises FileProblem for file-level problems."""
    started = time.perf_counter()
    frame, ignored = _canonical_frame(raw, name)
    clean, parse_failures = _parse(frame, name, date_order)
    failures = pl.concat([parse_failures.cast(FAILURE_SCHEMA), _contract_failures(clean, name)])
    bad_rows = failures.select(pl.col(ROW).unique())
    valid = clean.join(bad_rows, on=ROW, how="anti").sort(ROW).select(CANONICAL_COLUMNS)
    return ValidationOutcome(
        file=name,
        format="",
        rows=frame.height,
        valid=valid,
        quarantine=_quarantine(frame, failures),
        failures=failures,
        ignored_columns=ignored,
        seconds=time.perf_counter() - started,
    )


def check_size(size: int, max_bytes: int | None, name: str) -> None:
    if max_bytes is not None and size > max_bytes:
        raise FileProblem(
            name,
            f"the file is {size / 2**20:.1f} MiB, over the {max_bytes / 2**20:.0f} MiB limit",
            "Split it into smaller files, or raise SALES_MAX_FILE_MB.",
        )


def validate_file(path: Path, name: str, date_order: str = "MDY", max_bytes: int | None = None) -> ValidationOutcome:
    """Read and validate a local file. Raises FileProblem for file-level problems."""
    check_size(path.stat().st_size, max_bytes, name)
    started = time.perf_counter()
    raw, fmt = read_table(path, name)
    outcome = validate_frame(raw, name, date_order)
    outcome.format = fmt
    outcome.seconds = time.perf_counter() - started
    return outcome
