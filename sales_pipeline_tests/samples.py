"""Small in-memory sales files for tests, built with the project's own generator."""

from __future__ import annotations

import io
from datetime import date

import polars as pl

from sales_pipeline.generate import generate_sales, with_defects, write_sales_file


def sales_frame(rows: int = 20, seed: int = 1, start: date = date(2019, 1, 1), days: int = 5) -> pl.DataFrame:
    return generate_sales(rows, seed=seed, start=start, days=days)


def csv_bytes(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    write_sales_file(frame, buffer, "csv")
    return buffer.getvalue()


def defective_csv(rows: int, rate: float, seed: int = 1) -> bytes:
    return csv_bytes(with_defects(sales_frame(rows, seed=seed), rate))


def file_bytes(frame: pl.DataFrame, fmt: str, tmp_path) -> bytes:
    path = tmp_path / f"sample.{fmt}"
    write_sales_file(frame, path, fmt)
    return path.read_bytes()
