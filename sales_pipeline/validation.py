"""One validation code path for the assets, the CLI and the dashboard: file -> valid rows + quarantine.

A file is read and validated in batches of ``BATCH_ROWS`` rows, and both outputs are streamed to
local Parquet files, so memory depends on the batch size, not on the file size. Within a batch,
every rejected row is described in a long failure table (row_number, column, rule, message), from
which the quarantine (one row per bad source row, with all its reasons) and the report (counts
per rule with example rows) are derived. Repeated invoice ids are found by a first pass over the
id column (``uniqueness``). ``row_number`` counts data rows from 1; in a CSV or sheet, row_number
N is on line N + 1 because of the header.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandera.errors
import polars as pl

from .contract import (
    CANONICAL_COLUMNS,
    CHECK_COLUMNS,
    COLUMN_TYPES,
    POLARS_TYPES,
    HeaderMapping,
    ParseRule,
    SalesContract,
    UnsupportedColumnType,
    map_headers,
    parse_rules,
    strip_text,
)
from .failures import (
    FAILURE_SCHEMA,
    QUARANTINE_SCHEMA,
    ROW,
    merge_summaries,
    quarantine_rows,
    summarise_failures,
)
from .parquet_sink import ParquetSink, sink_batches
from .readers import FileProblem, NotUtf8, SourceTable, open_table
from .uniqueness import in_rows, repeated_ids

BATCH_ROWS = 250_000
VALID_SCHEMA = pl.Schema({name: POLARS_TYPES[kind] for name, kind in COLUMN_TYPES.items()})

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
    """Counts and reasons for one file; the rows themselves are in ``valid_path`` / ``quarantine_path``."""

    file: str
    format: str
    rows: int
    valid_rows: int
    rejected_rows: int
    failures: list[dict[str, Any]]  # per (rule, column): count, example_rows, example
    valid_path: Path
    quarantine_path: Path
    ignored_columns: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def valid(self) -> pl.DataFrame:
        """All valid rows, read back from disk: for small files and tests."""
        return pl.read_parquet(self.valid_path)

    @property
    def quarantine(self) -> pl.DataFrame:
        return pl.read_parquet(self.quarantine_path)

    def valid_head(self, rows: int) -> pl.DataFrame:
        return pl.scan_parquet(self.valid_path).head(rows).collect()

    def quarantine_head(self, rows: int) -> pl.DataFrame:
        return pl.scan_parquet(self.quarantine_path).head(rows).collect()

    @property
    def rejection_rate(self) -> float:
        return self.rejected_rows / self.rows if self.rows else 0.0

    def failure_summary(self) -> list[dict[str, Any]]:
        """Failing rows per (rule, column), most frequent first, with example row numbers."""
        return self.failures

    def report(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "format": self.format,
            "rows": self.rows,
            "valid_rows": self.valid_rows,
            "rejected_rows": self.rejected_rows,
            "ignored_columns": self.ignored_columns,
            "failures": self.failures,
            "file_error": None,
        }


def _header_mapping(columns: list[str], name: str) -> HeaderMapping:
    mapping = map_headers(columns)
    if mapping.duplicated:
        dupes = "; ".join(f"{c} <- {', '.join(map(repr, hs))}" for c, hs in mapping.duplicated.items())
        raise FileProblem(name, f"several columns map to the same field ({dupes})", "Keep one column per field.")
    if mapping.missing:
        raise FileProblem(
            name,
            f"missing required column(s): {', '.join(mapping.missing)} (found: {', '.join(columns)})",
            "Add or rename the columns; see README 'Accepted columns'.",
        )
    return mapping


def _canonical(raw: pl.DataFrame, mapping: HeaderMapping, first_row: int) -> pl.DataFrame:
    frame = raw.select(pl.col(h).alias(c) for h, c in mapping.rename.items()).select(CANONICAL_COLUMNS)
    return frame.with_row_index(ROW, offset=first_row)


def _rules(
    source: pl.Schema, mapping: HeaderMapping, name: str, date_order: str, lossy: bool = False
) -> dict[str, ParseRule]:
    schema = pl.Schema({canonical: source[header] for header, canonical in mapping.rename.items()})
    try:
        return parse_rules(schema, date_order, lossy_text=lossy)
    except UnsupportedColumnType as exc:
        raise FileProblem(name, str(exc), "Store the column as text or as the expected type.") from None


def _parse(frame: pl.DataFrame, rules: dict[str, ParseRule]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Typed rows that parsed, and one failure row per (row, column) that did not."""
    flags = [f"__invalid_{col}" for col in rules]
    parsed = (
        frame.with_columns(strip_text(frame.schema))
        .lazy()  # lazily, so that the rules' shared sub-expressions are computed once
        .with_columns(
            *(rule.value.alias(f"__value_{col}") for col, rule in rules.items()),
            *(rule.invalid.alias(flag) for flag, rule in zip(flags, rules.values(), strict=True)),
        )
        .with_columns(pl.any_horizontal(flags).alias("__bad"))
        .collect()
    )
    bad = parsed.filter("__bad")  # messages are built for these rows only
    failures = pl.concat(
        [
            bad.filter(pl.col(flag)).select(
                pl.col(ROW), pl.lit(col).alias("column"), pl.lit(rule.rule).alias("rule"), rule.message.alias("message")
            )
            for (col, rule), flag in zip(rules.items(), flags, strict=True)
        ]
    )
    clean = (
        parsed.select(pl.col(ROW), *(pl.col(f"__value_{col}").alias(col) for col in rules), "__bad")
        .filter(~pl.col("__bad"))
        .drop("__bad")
    )
    return clean, failures.cast(FAILURE_SCHEMA)


def parse_frame(raw: pl.DataFrame, name: str, date_order: str = "MDY") -> tuple[pl.DataFrame, pl.DataFrame]:
    """A frame in memory (source headers) -> typed rows that parsed, and the parse failures.

    The layers apart, for the benchmark that times the contract alone and the tests of its references.
    """
    mapping = _header_mapping(raw.columns, name)
    return _parse(_canonical(raw, mapping, 1), _rules(raw.schema, mapping, name, date_order))


def contract_failures(clean: pl.DataFrame, name: str) -> pl.DataFrame:
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
    return cases.select(
        ROW,
        "column",
        pl.col("check").alias("rule"),
        pl.format("'{}' fails {}", "failure_case", "check").alias("message"),
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


@dataclass
class _Batch:
    valid: pl.DataFrame
    quarantine: pl.DataFrame
    summary: pl.DataFrame


def _validate_batch(frame: pl.DataFrame, rules: dict[str, ParseRule], repeats: pl.DataFrame, name: str) -> _Batch:
    clean, parse_failures = _parse(frame, rules)
    first, last = frame[ROW][0], frame[ROW][-1]
    failures = pl.concat([parse_failures, contract_failures(clean, name), in_rows(repeats, first, last)])
    passed = ~pl.col(ROW).is_in(failures[ROW].unique().implode())
    return _Batch(
        valid=clean.filter(passed).select(CANONICAL_COLUMNS),
        quarantine=quarantine_rows(frame, failures),
        summary=summarise_failures(failures),
    )


@dataclass
class _Totals:
    rows: int = 0
    valid_rows: int = 0
    summaries: list[pl.DataFrame] = field(default_factory=list)


def _valid_batches(
    table: SourceTable,
    mapping: HeaderMapping,
    rules: dict[str, ParseRule],
    batch_rows: int,
    rejected: ParquetSink,
    totals: _Totals,
) -> Iterator[pl.DataFrame]:
    """Validate batch by batch: quarantine rows go to ``rejected``, valid rows are yielded."""
    invoice_header = next(h for h, c in mapping.rename.items() if c == "invoice_id")
    repeats = repeated_ids(table.column(invoice_header))
    for raw in table.batches(batch_rows):
        batch = _validate_batch(_canonical(raw, mapping, totals.rows + 1), rules, repeats, table.name)
        rejected.write(batch.quarantine)
        totals.rows += raw.height
        totals.valid_rows += batch.valid.height
        totals.summaries.append(batch.summary)
        yield batch.valid


def _validate_batches(
    path: Path, name: str, date_order: str, out_dir: Path, batch_rows: int, lossy: bool
) -> ValidationOutcome:
    table = open_table(path, name, lossy)
    mapping = _header_mapping(table.schema.names(), name)
    rules = _rules(table.schema, mapping, name, date_order, lossy)
    valid_path, quarantine_path = out_dir / "valid.parquet", out_dir / "quarantine.parquet"
    totals = _Totals()
    with ParquetSink(quarantine_path, QUARANTINE_SCHEMA) as rejected:
        sink_batches(_valid_batches(table, mapping, rules, batch_rows, rejected, totals), VALID_SCHEMA, valid_path)
    return ValidationOutcome(
        file=name,
        format=table.format,
        rows=totals.rows,
        valid_rows=totals.valid_rows,
        rejected_rows=rejected.rows,
        failures=merge_summaries(totals.summaries),
        valid_path=valid_path,
        quarantine_path=quarantine_path,
        ignored_columns=mapping.ignored,
    )


def check_size(size: int, max_bytes: int | None, name: str) -> None:
    if max_bytes is not None and size > max_bytes:
        raise FileProblem(
            name,
            f"the file is {size / 2**20:.1f} MiB, over the {max_bytes / 2**20:.0f} MiB limit",
            "Split it into smaller files, or raise SALES_MAX_FILE_MB.",
        )


def validate_file(
    path: Path,
    name: str,
    date_order: str = "MDY",
    max_bytes: int | None = None,
    out_dir: Path | None = None,
    batch_rows: int = BATCH_ROWS,
) -> ValidationOutcome:
    """Read and validate a local file in batches. Raises FileProblem for file-level problems.

    Valid rows and the quarantine are written to ``out_dir`` (valid.parquet, quarantine.parquet).
    Without ``out_dir`` they go to a temporary directory removed with the outcome.
    """
    check_size(path.stat().st_size, max_bytes, name)
    started = time.perf_counter()
    owned = out_dir is None
    target = Path(tempfile.mkdtemp(prefix="sales-validate-")) if owned else out_dir
    try:
        try:
            outcome = _validate_batches(path, name, date_order, target, batch_rows, lossy=False)
        except NotUtf8:  # rare: start again, decoding with replacement characters
            outcome = _validate_batches(path, name, date_order, target, batch_rows, lossy=True)
    except BaseException:
        if owned:
            shutil.rmtree(target, ignore_errors=True)
        raise
    if owned:
        weakref.finalize(outcome, shutil.rmtree, target, True)
    outcome.seconds = time.perf_counter() - started
    return outcome
