"""The analytics store: where validated rows become queryable, and summary tables live.

One interface, two engines: DuckDB (embedded default, a file under the state dir) and Apache
Druid (production). Assets and queries only use this interface, and the SQL they send stays in a
subset both engines accept (see summaries.py).

Time model (Druid's): the base datasource has a ``__time`` timestamp (the sale's date + time);
a "day" is ``__time`` truncated to the day, and loads replace whole days.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import dagster as dg
import polars as pl

from ..contract import CANONICAL_COLUMNS, COLUMN_TYPES, POLARS_TYPES

_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,127}$")
TIME = "__time"
# Base datasource columns: __time, every canonical column but date/time, and the file that sent the row.
BASE_SCHEMA = {
    TIME: pl.Datetime("us"),
    **{c: POLARS_TYPES[COLUMN_TYPES[c]] for c in CANONICAL_COLUMNS if c not in ("date", "time")},
    "file_id": pl.String,
}


class StoreError(RuntimeError):
    """The analytics store refused or failed an operation; the message says which and why.

    ``metadata`` (task ids, reports) goes into the failed run; ``transient`` errors may be retried.
    """

    def __init__(self, message: str, metadata: dict[str, Any] | None = None, transient: bool = False) -> None:
        super().__init__(message)
        self.metadata = metadata or {}
        self.transient = transient


def store_failure(error: StoreError, partition_key: str) -> dg.Failure:
    """A store failure as the run's one message, naming the file first."""
    metadata = {
        key: dg.MetadataValue.md(f"```json\n{value}\n```") if key == "druid_report" else value
        for key, value in error.metadata.items()
    }
    return dg.Failure(description=f"{partition_key}: {error}", metadata=metadata, allow_retries=error.transient)


@dataclass(frozen=True)
class LoadResult:
    rows_loaded: int
    days_replaced: list[str]
    seconds: float
    detail: dict[str, Any]


def table_name(name: str) -> str:
    """Validated, quoted identifier; names come from settings and code, never from users' SQL."""
    if not _IDENTIFIER.match(name):
        raise StoreError(f"invalid datasource/table name {name!r}")
    return f'"{name}"'


def to_base_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """Validated Parquet rows -> base datasource rows (``__time`` = date + time)."""
    return frame.with_columns(pl.col("date").dt.combine(pl.col("time")).dt.cast_time_unit("us").alias(TIME)).select(
        [pl.col(c).cast(t) for c, t in BASE_SCHEMA.items()]
    )


def without_decimals(frame: pl.DataFrame) -> pl.DataFrame:
    """DuckDB sums integers into HUGEINT (a decimal here); Druid answers LONG/DOUBLE. Match Druid."""
    return frame.with_columns(
        pl.col(name).cast(pl.Int64 if dtype.scale == 0 else pl.Float64)
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Decimal)
    )


def day_bounds(days: Sequence[str]) -> list[tuple[datetime, datetime]]:
    starts = sorted(datetime.combine(date.fromisoformat(d), datetime.min.time()) for d in days)
    return [(start, start + timedelta(days=1)) for start in starts]


class AnalyticsStore(dg.ConfigurableResource, ABC):
    """Interface every engine implements."""

    @property
    @abstractmethod
    def engine(self) -> str: ...

    @property
    @abstractmethod
    def location(self) -> str:
        """Where the store is (URL or file), for messages that tell people what was tried."""

    @abstractmethod
    def replace_days(self, datasource: str, days: Sequence[str], object_keys: Sequence[str]) -> LoadResult:
        """Make ``days`` of ``datasource`` hold exactly the rows of these validated Parquet objects."""

    @abstractmethod
    def query(self, sql: str, params: Sequence[Any] = ()) -> pl.DataFrame:
        """Run SQL with ``?`` placeholders bound to ``params``."""

    @abstractmethod
    def replace_table(self, name: str, select_sql: str, params: Sequence[Any] = ()) -> int:
        """Build or replace table ``name`` from a SELECT; returns its row count."""

    @abstractmethod
    def write_table(self, name: str, frame: pl.DataFrame) -> int:
        """Build or replace table ``name`` with the rows of a frame (must have ``__time``)."""

    @abstractmethod
    def datasources(self) -> pl.DataFrame:
        """name, rows, min_time, max_time of every datasource/table."""
