"""The analytics store: where validated rows become queryable, and summary tables live.

One interface, two engines: DuckDB (embedded default, a file under the state dir) and Apache
Druid (production). Assets and queries only use this interface, and the SQL they send stays in a
subset both engines accept (see summaries.py).

Time model (Druid's): the base datasource has a ``__time`` timestamp (the sale's date + time);
a "day" is ``__time`` truncated to the day, and loads replace whole days.
"""

from __future__ import annotations

import re
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import polars as pl

from ..contract import CANONICAL_COLUMNS, COLUMN_TYPES, POLARS_TYPES
from .lake import SalesLake

_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,127}$")
TIME = "__time"
LOCK_WAIT_SECONDS = 10.0  # how long opening the file waits for another process's write lock (loads take seconds)
# Base datasource columns: __time, every canonical column but date/time, and the file that sent the row.
BASE_SCHEMA = {
    TIME: pl.Datetime("us"),
    **{c: POLARS_TYPES[COLUMN_TYPES[c]] for c in CANONICAL_COLUMNS if c not in ("date", "time")},
    "file_id": pl.String,
}


class StoreError(RuntimeError):
    """The analytics store refused or failed an operation; the message says which and why."""


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


class DuckDBStore(AnalyticsStore):
    """Embedded store: one DuckDB file. Reads the validated Parquet from S3 through the lake.

    Connections are opened per operation so that other processes (the dashboard) can use the file
    between writes; DuckDB allows one writing process at a time, which the ``analytics`` pool
    guarantees for the pipeline's own writers.
    """

    path: str
    lake: SalesLake

    @property
    def engine(self) -> str:
        return "duckdb"

    @property
    def location(self) -> str:
        return f"duckdb:{self.path}"

    def _connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        """Open the file; while another process holds the write lock, retry for up to LOCK_WAIT_SECONDS."""
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            try:
                if read_only and not Path(self.path).exists():
                    return duckdb.connect(self.path)  # creates the empty file once
                return duckdb.connect(self.path, read_only=read_only)
            except duckdb.IOException as error:
                if "lock" not in str(error).lower() or time.monotonic() > deadline:
                    raise StoreError(f"DuckDB file {self.path} is not available: {error}") from error
                time.sleep(0.05)

    def _ensure_base(self, con: duckdb.DuckDBPyConnection, table: str) -> None:
        con.register("empty_base", pl.DataFrame(schema=BASE_SCHEMA))
        con.execute(f"CREATE TABLE IF NOT EXISTS {table} AS SELECT * FROM empty_base")
        con.unregister("empty_base")

    def replace_days(self, datasource: str, days: Sequence[str], object_keys: Sequence[str]) -> LoadResult:
        started = time.perf_counter()
        table = table_name(datasource)
        frames = [to_base_rows(self.lake.read_parquet(key)) for key in object_keys]
        # Time-ordered inserts let DuckDB's zone maps skip row groups outside a queried range.
        incoming = pl.concat(frames).sort(TIME) if frames else pl.DataFrame(schema=BASE_SCHEMA)
        bounds = day_bounds(days)
        outside = incoming.filter(~pl.any_horizontal([pl.col(TIME).is_between(s, e, closed="left") for s, e in bounds]))
        if bounds and outside.height:
            raise StoreError(f"{outside.height} rows fall outside the days being replaced ({', '.join(days)})")
        with self._connect() as con:
            self._ensure_base(con, table)
            con.execute("BEGIN TRANSACTION")
            for start, end in bounds:
                con.execute(f"DELETE FROM {table} WHERE {TIME} >= ? AND {TIME} < ?", [start, end])
            con.register("incoming", incoming)
            con.execute(f"INSERT INTO {table} SELECT * FROM incoming")
            con.unregister("incoming")
            con.execute("COMMIT")
        return LoadResult(incoming.height, sorted(days), time.perf_counter() - started, {"objects": len(object_keys)})

    def query(self, sql: str, params: Sequence[Any] = ()) -> pl.DataFrame:
        with self._connect(read_only=True) as con:
            return without_decimals(pl.from_arrow(con.sql(sql, params=list(params)).to_arrow_table()))

    def replace_table(self, name: str, select_sql: str, params: Sequence[Any] = ()) -> int:
        table = table_name(name)
        with self._connect() as con:
            con.execute(f"CREATE OR REPLACE TABLE {table} AS {select_sql}", list(params))
            return con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]

    def write_table(self, name: str, frame: pl.DataFrame) -> int:
        table = table_name(name)
        with self._connect() as con:
            con.register("incoming", frame)
            con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM incoming")
            con.unregister("incoming")
        return frame.height

    def datasources(self) -> pl.DataFrame:
        with self._connect(read_only=True) as con:
            names = [row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
            rows = [
                con.execute(f"SELECT ?, COUNT(*), MIN({TIME}), MAX({TIME}) FROM {table_name(name)}", [name]).fetchone()
                for name in sorted(names)
            ]
        return pl.DataFrame(
            rows,
            schema={"name": pl.String, "rows": pl.Int64, "min_time": pl.Datetime("us"), "max_time": pl.Datetime("us")},
            orient="row",
        )
