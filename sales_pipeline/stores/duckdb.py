"""The embedded analytics store: one DuckDB file under the state dir."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from ..resources.lake import SalesLake
from .base import (
    BASE_SCHEMA,
    TIME,
    AnalyticsStore,
    LoadResult,
    StoreError,
    day_bounds,
    table_name,
    to_base_rows,
    without_decimals,
)

LOCK_WAIT_SECONDS = 10.0  # how long opening the file waits for another process's write lock (loads take seconds)


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
