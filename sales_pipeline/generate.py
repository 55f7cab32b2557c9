"""Deterministic synthetic sales files in the supermarket-sales layout, optionally with defects.

Defects are spread evenly over the file and cycle through DEFECTS, one defect per affected row,
so a file with defect rate r has exactly round(rows * r) rows the contract must reject.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import BinaryIO

import numpy as np
import polars as pl

from .contract import ALLOWED

HEADERS = {
    "invoice_id": "Invoice ID",
    "branch": "Branch",
    "city": "City",
    "customer_type": "Customer type",
    "gender": "Gender",
    "product_line": "Product line",
    "unit_price": "Unit price",
    "quantity": "Quantity",
    "tax_5pct": "Tax 5%",
    "total": "Total",
    "date": "Date",
    "time": "Time",
    "payment": "Payment",
    "cogs": "cogs",
    "gross_margin_pct": "gross margin percentage",
    "gross_income": "gross income",
    "rating": "Rating",
}
DEFECTS = [
    ("quantity", "negative quantity"),
    ("total", "total off by 5.00"),
    ("date", "impossible date"),
    ("unit_price", "text in a number"),
    ("payment", "unknown payment method"),
    ("rating", "rating above 10"),
    ("invoice_id", "duplicate invoice id"),  # copies the id of the previous (rating) defect row
]
EXCEL_MAX_ROWS = 1_048_575
GROSS_MARGIN_PCT = 4.761904762


def _pick(rng: np.random.Generator, values: list[str], rows: int) -> np.ndarray:
    return np.asarray(values, dtype=object)[rng.integers(0, len(values), rows)]


def _invoice_ids(rows: int, seed: int) -> pl.Series:
    # Multiplying by a number coprime with 10**9 is a bijection mod 10**9: unique ids, no sampling.
    numbers = (np.arange(rows, dtype=np.int64) * 387_420_489 + seed * 7_919 + 123_456_789) % 1_000_000_000
    text = pl.Series(numbers).cast(pl.String).str.zfill(9)
    return text.str.slice(0, 3) + "-" + text.str.slice(3, 2) + "-" + text.str.slice(5, 4)


def generate_sales(rows: int, seed: int = 0, start: date = date(2019, 1, 1), days: int = 90) -> pl.DataFrame:
    """Valid rows with canonical column names and types (date as Date, time as 'HH:MM')."""
    rng = np.random.default_rng(seed)
    branch = rng.integers(0, 3, rows)
    price = np.round(rng.uniform(10, 100, rows), 2)
    quantity = rng.integers(1, 11, rows)
    cogs = np.round(price * quantity, 2)
    tax = np.round(cogs * 0.05, 4)
    minutes = rng.integers(10 * 60, 21 * 60, rows)
    frame = pl.DataFrame(
        {
            "invoice_id": _invoice_ids(rows, seed),
            "branch": np.asarray(ALLOWED["branch"], dtype=object)[branch],
            "city": np.asarray(ALLOWED["city"], dtype=object)[branch],
            "customer_type": _pick(rng, ALLOWED["customer_type"], rows),
            "gender": _pick(rng, ALLOWED["gender"], rows),
            "product_line": _pick(rng, ALLOWED["product_line"], rows),
            "unit_price": price,
            "quantity": quantity,
            "tax_5pct": tax,
            "total": np.round(cogs + tax, 4),
            "date": pl.Series([start + timedelta(days=int(d)) for d in range(days)])[rng.integers(0, days, rows)],
            "time": [f"{m // 60:02d}:{m % 60:02d}" for m in minutes],
            "payment": _pick(rng, ALLOWED["payment"], rows),
            "cogs": cogs,
            "gross_margin_pct": np.full(rows, GROSS_MARGIN_PCT),
            "gross_income": tax,
            "rating": np.round(rng.uniform(4, 10, rows), 1),
        }
    )
    return frame.with_columns(pl.col(*ALLOWED).cast(pl.String))


def defect_rows(rows: int, rate: float) -> np.ndarray:
    count = round(rows * rate)
    return np.linspace(0, rows - 1, count, dtype=np.int64) if count else np.array([], dtype=np.int64)


def with_defects(frame: pl.DataFrame, rate: float) -> pl.DataFrame:
    """Text columns with one defect in each of round(rows * rate) evenly spread rows."""
    text = frame.with_columns(
        pl.col("date").dt.strftime("%-m/%-d/%Y"), pl.exclude("date").cast(pl.String)
    ).with_row_index("__i")
    targets = defect_rows(frame.height, rate)
    kinds = pl.DataFrame({"__i": targets.astype(np.uint32), "__kind": np.arange(len(targets)) % len(DEFECTS)})
    previous_id = pl.col("invoice_id").gather(pl.col("__prev"))
    text = text.join(kinds.with_columns(pl.col("__i").shift(1).alias("__prev")), on="__i", how="left")
    kind = pl.col("__kind")
    return text.with_columns(
        pl.when(kind == 0).then(pl.lit("-") + pl.col("quantity")).otherwise(pl.col("quantity")).alias("quantity"),
        pl.when(kind == 1)
        .then((pl.col("total").cast(pl.Float64) + 5).round(4).cast(pl.String))
        .otherwise(pl.col("total"))
        .alias("total"),
        pl.when(kind == 2).then(pl.lit("2/30/2019")).otherwise(pl.col("date")).alias("date"),
        pl.when(kind == 3).then(pl.lit("n/a")).otherwise(pl.col("unit_price")).alias("unit_price"),
        pl.when(kind == 4).then(pl.lit("Bitcoin")).otherwise(pl.col("payment")).alias("payment"),
        pl.when(kind == 5).then(pl.lit("11")).otherwise(pl.col("rating")).alias("rating"),
        pl.when((kind == 6) & pl.col("__prev").is_not_null())
        .then(previous_id)
        .otherwise(pl.col("invoice_id"))
        .alias("invoice_id"),
    ).drop("__i", "__kind", "__prev")


def write_sales_file(frame: pl.DataFrame, out: Path | BinaryIO, fmt: str) -> None:
    """Write with the supermarket-sales headers; CSV dates as M/D/YYYY like the public data set."""
    if fmt == "csv" and frame.schema["date"] == pl.Date:
        frame = frame.with_columns(pl.col("date").dt.strftime("%-m/%-d/%Y"))
    named = frame.rename(HEADERS)
    if fmt == "csv":
        named.write_csv(out)
    elif fmt == "parquet":
        named.write_parquet(out)
    elif fmt == "xlsx":
        if frame.height > EXCEL_MAX_ROWS:
            raise ValueError(f"xlsx holds at most {EXCEL_MAX_ROWS:,} data rows; asked for {frame.height:,}")
        named.write_excel(out, autofit=False)
    else:
        raise ValueError(f"unknown format {fmt!r}: use csv, xlsx or parquet")
