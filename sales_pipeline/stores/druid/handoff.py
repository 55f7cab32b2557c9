"""The S3 -> Druid handoff: the object Druid reads beside every validated Parquet object.

Druid 25 has no Parquet reader, so every day object of a file also gets a gzipped JSON-lines
sibling holding the same rows in the base datasource's shape (``__time`` as epoch milliseconds,
so no timestamp format is ever guessed). JSON lines was chosen over CSV: Druid spends its time
building segments either way (same task time, measured in DRUID.md), and JSON carries column
names and nulls without quoting rules.
"""

from __future__ import annotations

import gzip
import io

import polars as pl

from ..base import TIME, to_base_rows

SUFFIX = ".json.gz"
INPUT_FORMAT = {"type": "json"}
TIMESTAMP_SPEC = {"column": TIME, "format": "millis"}


def json_lines(frame: pl.DataFrame) -> bytes:
    """JSON lines of a frame that has ``__time``; every datetime column as epoch milliseconds."""
    out = frame.with_columns(
        pl.col(name).dt.epoch("ms") for name, dtype in frame.schema.items() if isinstance(dtype, pl.Datetime)
    )
    buffer = io.BytesIO()
    out.write_ndjson(buffer)
    return buffer.getvalue()


def druid_lines(frame: pl.DataFrame) -> bytes:
    """Gzipped JSON lines (level 1: the object is written once and read once, speed matters more)."""
    return gzip.compress(json_lines(frame), compresslevel=1)


def validated_druid_lines(validated: pl.DataFrame) -> bytes:
    """Validated Parquet rows (date + time columns) -> the Druid object's bytes."""
    return druid_lines(to_base_rows(validated))
