"""DruidStore: the AnalyticsStore on Apache Druid, over HTTP with ``requests``.

- ``replace_days``: one ``index_parallel`` task over the explicit URIs of the days' Druid objects
  (see handoff.py), ``dropExisting`` over those days; row counts checked against the Parquet
  footers; then a wait until the days are served and a COUNT over them equals what was sent, so
  "materialized" means "queryable".
- ``replace_table`` / ``write_table``: summaries and alerts are small; the SELECT runs on Druid
  and its result is ingested inline as one segment over all time, replacing the old one. (A
  roll-up reindex inside Druid would keep the data in Druid but cannot express the summaries'
  CASE/AVG columns as ingestion metrics; inline keeps one SQL for both engines.)
- ``query``: Druid SQL with typed parameters, answered as a Polars frame with the dtypes the
  DuckDB store returns for the same query.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
from pydantic import PrivateAttr

from ...layout import day_of_key, druid_key_for
from ...resources.lake import SalesLake
from ..base import BASE_SCHEMA, TIME, AnalyticsStore, LoadResult, StoreError, day_bounds, table_name
from .client import DruidClient
from .errors import DruidTaskError
from .handoff import json_lines
from .specs import ETERNITY, day_interval, days_spec, table_spec
from .tasks import TaskRunner

INTS = {"BIGINT", "INTEGER", "SMALLINT", "TINYINT"}
FLOATS = {"DOUBLE", "FLOAT", "REAL", "DECIMAL"}
_TIMESTAMP = "%Y-%m-%dT%H:%M:%S%.3fZ"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parameter(value: Any) -> dict[str, Any]:
    """A Python value as a typed Druid SQL parameter."""
    if isinstance(value, bool):
        return {"type": "BOOLEAN", "value": value}
    if isinstance(value, int):
        return {"type": "BIGINT", "value": value}
    if isinstance(value, float):
        return {"type": "DOUBLE", "value": value}
    if isinstance(value, date):  # Avatica takes TIMESTAMP values as epoch millis; naive times are UTC
        moment = value if isinstance(value, datetime) else datetime.combine(value, datetime.min.time())
        since = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
        return {"type": "TIMESTAMP", "value": int((since - EPOCH).total_seconds() * 1000)}
    if isinstance(value, str):
        return {"type": "VARCHAR", "value": value}
    raise StoreError(f"cannot bind a {type(value).__name__} as a Druid SQL parameter")


def _series(name: str, values: list[Any], sql_type: str) -> pl.Series:
    if sql_type == "TIMESTAMP":
        return pl.Series(name, values, pl.String).str.to_datetime(_TIMESTAMP, time_unit="us")
    if sql_type == "DATE":
        return pl.Series(name, values, pl.String).str.to_datetime(_TIMESTAMP, time_unit="us").dt.date()
    if sql_type in INTS:
        return pl.Series(name, values, pl.Int64)
    if sql_type in FLOATS:
        return pl.Series(name, values, pl.Float64, strict=False)
    if sql_type == "BOOLEAN":
        return pl.Series(name, values, pl.Boolean)
    return pl.Series(name, [v if v is None or isinstance(v, str) else str(v) for v in values], pl.String)


def to_frame(result: list[list[Any]]) -> pl.DataFrame:
    """Druid's array result with headers -> a typed frame (empty results keep their columns)."""
    names, sql_types, rows = result[0], result[2], result[3:]
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in names]
    return pl.DataFrame([_series(n, list(c), t) for n, c, t in zip(names, columns, sql_types, strict=True)])


class DruidStore(AnalyticsStore):
    """Apache Druid: ``url`` is a router or broker; overlord and coordinator are found when not set."""

    url: str
    lake: SalesLake
    overlord_url: str = ""
    coordinator_url: str = ""
    username: str = ""
    password: str = ""
    verify_tls: bool = True
    ca_bundle: str = ""
    request_timeout: float = 30.0
    task_timeout: float = 1800.0
    pickup_timeout: float = 120.0
    queryable_timeout: float = 300.0
    s3_endpoint: str = ""  # where the pipeline writes; only used in messages

    _client: DruidClient | None = PrivateAttr(default=None)

    @property
    def engine(self) -> str:
        return "druid"

    @property
    def location(self) -> str:
        return self.url

    def client(self) -> DruidClient:
        if self._client is None:
            self._client = DruidClient(
                self.url,
                overlord_url=self.overlord_url,
                coordinator_url=self.coordinator_url,
                auth=(self.username, self.password) if self.username else None,
                verify=self.ca_bundle or self.verify_tls,
                timeout=self.request_timeout,
            )
        return self._client

    def runner(self) -> TaskRunner:
        return TaskRunner(
            self.client(),
            task_timeout=self.task_timeout,
            pickup_timeout=self.pickup_timeout,
            s3_endpoint=self.s3_endpoint,
        )

    def replace_days(self, datasource: str, days: Sequence[str], object_keys: Sequence[str]) -> LoadResult:
        started = time.perf_counter()
        table_name(datasource)
        bounds = day_bounds(days)
        if not bounds:
            return LoadResult(0, [], 0.0, {"objects": 0})
        outside = sorted({day_of_key(key) for key in object_keys} - set(days))
        if outside:  # Druid would silently throw these rows away; refuse before anything is replaced
            raise StoreError(
                f"objects of {len(outside)} day(s) ({', '.join(outside[:5])}) fall outside the days being replaced "
                f"({', '.join(sorted(days))})"
            )
        intervals = [day_interval(start, end) for start, end in bounds]
        uris = [self.lake.uri(druid_key_for(key)) for key in object_keys]
        expected = sum(self.lake.parquet_rows(key) for key in object_keys)
        what = f"{len(days)} day(s) of {datasource!r} from {len(uris)} object(s)"
        detail: dict[str, Any] = {"objects": len(uris)}
        if uris:
            spec = days_spec(datasource, BASE_SCHEMA, uris, intervals)
            task = self.runner().run(spec, what, expected, uris)
            detail |= {"druid_task_id": task.task_id, "task_seconds": round(task.seconds, 3)}
        else:  # every file left these days: there is nothing to ingest, so the days' segments are retired
            self._mark_unused(datasource, intervals)
        self._await_queryable(datasource, bounds, expected, detail.get("druid_task_id", "mark-unused"))
        return LoadResult(expected, sorted(days), time.perf_counter() - started, detail)

    def _coordinator(self) -> str:
        return f"{self.client().endpoints().coordinator}/druid/coordinator/v1"

    def _mark_unused(self, datasource: str, intervals: Sequence[str]) -> None:
        for interval in intervals:
            response = self.client().request(
                "POST",
                f"{self._coordinator()}/datasources/{datasource}/markUnused",
                what=f"retire {interval} of {datasource}",
                json={"interval": interval},
            )
            if not response.ok and response.status_code != 404:  # 404: the datasource has no segments
                raise StoreError(f"Druid refused to retire {interval} of {datasource}: {response.text[:500]}")

    def _count(self, datasource: str, bounds: Sequence[tuple[datetime, datetime]]) -> int:
        where = " OR ".join(f"({TIME} >= ? AND {TIME} < ?)" for _ in bounds) or "TRUE"
        params = [value for bound in bounds for value in bound]
        try:
            return int(self.query(f"SELECT COUNT(*) AS n FROM {table_name(datasource)} WHERE {where}", params).item())
        except StoreError as error:
            if "not found" in str(error):  # a datasource with no served segment does not exist for SQL
                return 0
            raise

    def _loaded(self, datasource: str, interval: str) -> float:
        """Percent of the interval's used segments that are served; 100 when it has none (all retired)."""
        response = self.client().request(
            "GET",
            f"{self._coordinator()}/datasources/{datasource}/loadstatus",
            what=f"read the load status of {datasource}",
            params={"forceMetadataRefresh": "true", "interval": interval},
        )
        if response.status_code == 204 or not response.content.strip().startswith(b"{"):
            return 100.0
        if not response.ok:
            raise StoreError(f"Druid refused the load status of {datasource} ({response.status_code}): {response.text}")
        return float(response.json().get(datasource, 100.0))

    def _await_queryable(
        self, datasource: str, bounds: Sequence[tuple[datetime, datetime]], expected: int, task_id: str
    ) -> None:
        interval = day_interval(bounds[0][0], bounds[-1][1]) if bounds else ETERNITY
        deadline = time.monotonic() + self.queryable_timeout
        while True:
            loaded = self._loaded(datasource, interval)
            counted = self._count(datasource, bounds) if loaded >= 100.0 else -1
            if counted == expected:
                return
            if time.monotonic() > deadline:
                raise DruidTaskError(
                    f"Druid task {task_id} for {datasource!r} succeeded, but the data was not queryable within "
                    f"{self.queryable_timeout:.0f} s ({loaded:.0f}% of segments loaded; the broker counts "
                    f"{max(counted, 0)} of {expected} rows). Check the historical (`sales-pipeline druid logs "
                    "historical` locally: disk space, segment cache) and the coordinator; re-run to verify again.",
                    {"druid_task_id": task_id},
                    transient=True,
                )
            time.sleep(0.5)

    def query(self, sql: str, params: Sequence[Any] = ()) -> pl.DataFrame:
        return to_frame(self.client().sql(sql, [parameter(p) for p in params]))

    def replace_table(self, name: str, select_sql: str, params: Sequence[Any] = ()) -> int:
        return self.write_table(name, self.query(select_sql, params))

    def write_table(self, name: str, frame: pl.DataFrame) -> int:
        table_name(name)
        if TIME not in frame.columns:
            raise StoreError(f"table {name!r} needs a {TIME} column to live in Druid")
        if frame.height == 0:
            self._mark_unused(name, [ETERNITY])
        else:
            spec = table_spec(name, frame.schema, json_lines(frame))
            self.runner().run(spec, f"table {name!r}", frame.height, [])
        self._await_queryable(name, [], frame.height, f"table {name!r}")
        return frame.height

    def datasources(self) -> pl.DataFrame:
        names = self.client().json("GET", f"{self.url}/druid/v2/datasources", what="list datasources") or []
        rows = [
            self.query(
                f"SELECT ? AS name, COUNT(*) AS n, MIN({TIME}) AS lo, MAX({TIME}) AS hi FROM {table_name(n)}", [n]
            ).row(0)
            for n in sorted(names)
        ]
        return pl.DataFrame(
            rows,
            schema={"name": pl.String, "rows": pl.Int64, "min_time": pl.Datetime("us"), "max_time": pl.Datetime("us")},
            orient="row",
        )
