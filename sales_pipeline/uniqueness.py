"""Invoice ids that repeat in the file: a file-level rule, settled before the batches are validated.

Validation sees one batch at a time, so a check inside a batch would miss a copy 300,000 rows
away. A first pass therefore reads only the invoice id column (the reader parses no other
column), and each batch then knows which of its rows repeat and where the other copies are.
Every copy is rejected, whatever else is wrong with it: the file holds the id more than once.
Empty ids are left to the parse rules.
"""

from __future__ import annotations

import polars as pl

from .failures import EXAMPLES_PER_RULE, FAILURE_SCHEMA, ROW

RULE = "unique"


def repeated_ids(column: pl.Series) -> pl.DataFrame:
    """The failure rows (``FAILURE_SCHEMA``) of every row whose id appears more than once, in row order."""
    ids = pl.DataFrame({"invoice_id": column.cast(pl.String).str.strip_chars()}).with_row_index(ROW, offset=1)
    keyed = ids.filter(pl.col("invoice_id").is_not_null() & (pl.col("invoice_id") != ""))
    candidates = keyed.filter(pl.col("invoice_id").hash().is_duplicated())  # hashes compare faster than text
    repeated = candidates.filter(pl.col("invoice_id").is_duplicated())
    examples = repeated.group_by("invoice_id").agg(
        pl.col(ROW).sort().head(EXAMPLES_PER_RULE).cast(pl.String).str.join(", ").alias("rows")
    )
    return (
        repeated.join(examples, on="invoice_id")
        .select(
            ROW,
            pl.lit("invoice_id").alias("column"),
            pl.lit(RULE).alias("rule"),
            pl.format("'{}' appears more than once in the file (rows {})", "invoice_id", "rows").alias("message"),
        )
        .cast(FAILURE_SCHEMA)
        .sort(ROW)
    )


def in_rows(repeats: pl.DataFrame, first: int, last: int) -> pl.DataFrame:
    """The failures of rows ``first`` to ``last`` (inclusive)."""
    return repeats.filter(pl.col(ROW).is_between(first, last))
