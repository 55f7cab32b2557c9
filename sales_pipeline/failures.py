"""The long failure table (row_number, column, rule, message) and what is derived from it:
the quarantine (one row per bad source row, with all its reasons) and the per-rule summary."""

from __future__ import annotations

from typing import Any

import polars as pl

from .contract import CANONICAL_COLUMNS

ROW = "row_number"
FAILURE_SCHEMA = {ROW: pl.UInt32, "column": pl.String, "rule": pl.String, "message": pl.String}
QUARANTINE_SCHEMA = pl.Schema({ROW: pl.UInt32, **dict.fromkeys(CANONICAL_COLUMNS, pl.String), "errors": pl.String})
EXAMPLES_PER_RULE = 5
REASON = pl.format("{} [{}]: {}", "column", "rule", "message")


def quarantine_rows(frame: pl.DataFrame, failures: pl.DataFrame) -> pl.DataFrame:
    """One row per failing source row: its cells as text and all its reasons."""
    in_order = failures.sort(ROW, "column", "rule")  # the same order of reasons whatever the batch size
    reasons = in_order.group_by(ROW, maintain_order=True).agg(REASON.str.join("; ").alias("errors"))
    as_text = frame.select(pl.col(ROW), pl.col(CANONICAL_COLUMNS).cast(pl.String))
    return as_text.join(reasons, on=ROW, how="inner").sort(ROW)


def summarise_failures(failures: pl.DataFrame) -> pl.DataFrame:
    """Per (rule, column): failing rows, the first example rows and one example message."""
    return failures.group_by("rule", "column", maintain_order=True).agg(
        pl.col(ROW).n_unique().alias("count"),
        pl.col(ROW).unique().sort().head(EXAMPLES_PER_RULE).alias("example_rows"),
        pl.col("message").first().alias("example"),
    )


def merge_summaries(parts: list[pl.DataFrame]) -> list[dict[str, Any]]:
    """Batch summaries -> one for the file (batches hold disjoint rows, so counts add up)."""
    parts = [part for part in parts if not part.is_empty()]
    if not parts:
        return []
    merged = (
        pl.concat(parts)
        .group_by("rule", "column", maintain_order=True)
        .agg(
            pl.col("count").sum(),
            pl.col("example_rows").list.explode(keep_nulls=False, empty_as_null=False).sort().head(EXAMPLES_PER_RULE),
            pl.col("example").first(),
        )
        .sort(["count", "rule", "column"], descending=[True, False, False])
    )
    return merged.to_dicts()
