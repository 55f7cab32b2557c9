"""Native batch (``index_parallel``) specs, derived from a table's schema, never hand-written.

One spec shape serves the local Druid 25 and current Druid clusters. Settings that matter:
- explicit ``uris`` only: an empty prefix listing with ``dropExisting`` wipes days and succeeds;
- ``dropExisting`` over exactly the replaced days: a day without input rows is emptied;
- ``maxParseExceptions: 0``: one bad row fails the task and leaves the old data in place;
- one subtask: fastest on small machines and the fewest segments;
- ``awaitSegmentAvailabilityTimeoutMillis``: the task waits for its segments to be served.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import polars as pl

from ..base import TIME, StoreError
from .handoff import INPUT_FORMAT, TIMESTAMP_SPEC

ETERNITY = "1000-01-01/3000-01-01"
AVAILABILITY_WAIT_MS = 60_000


def dimension(name: str, dtype: pl.DataType) -> str | dict[str, str]:
    """Druid dimension for a column: strings as string dimensions, numbers typed, times as millis."""
    if dtype == pl.String or dtype == pl.Categorical:
        return {"type": "string", "name": name}
    if dtype.is_integer() or isinstance(dtype, pl.Datetime) or dtype == pl.Boolean:
        return {"type": "long", "name": name}
    if dtype.is_float() or isinstance(dtype, pl.Decimal):
        return {"type": "double", "name": name}
    raise StoreError(f"column {name!r} has type {dtype}, which the Druid store cannot hold")


def dimensions(schema: Mapping[str, pl.DataType]) -> list[str | dict[str, str]]:
    return [dimension(name, dtype) for name, dtype in schema.items() if name != TIME]


def day_interval(start: datetime, end: datetime) -> str:
    return f"{start:%Y-%m-%dT%H:%M:%S}Z/{end:%Y-%m-%dT%H:%M:%S}Z"


def _spec(
    datasource: str,
    schema: Mapping[str, pl.DataType],
    input_source: dict[str, Any],
    intervals: Sequence[str],
    segment_granularity: str,
) -> dict[str, Any]:
    return {
        "type": "index_parallel",
        "spec": {
            "dataSchema": {
                "dataSource": datasource,
                "timestampSpec": TIMESTAMP_SPEC,
                "dimensionsSpec": {"dimensions": dimensions(schema)},
                "metricsSpec": [],
                "granularitySpec": {
                    "type": "uniform",
                    "segmentGranularity": segment_granularity,
                    "queryGranularity": "NONE",
                    "rollup": False,
                    "intervals": list(intervals),
                },
            },
            "ioConfig": {
                "type": "index_parallel",
                "inputSource": input_source,
                "inputFormat": INPUT_FORMAT,
                "appendToExisting": False,
                "dropExisting": True,
            },
            "tuningConfig": {
                "type": "index_parallel",
                "partitionsSpec": {"type": "dynamic"},
                "maxNumConcurrentSubTasks": 1,
                "maxParseExceptions": 0,
                "maxSavedParseExceptions": 20,
                "logParseExceptions": True,
                "awaitSegmentAvailabilityTimeoutMillis": AVAILABILITY_WAIT_MS,
            },
        },
    }


def days_spec(
    datasource: str, schema: Mapping[str, pl.DataType], uris: Sequence[str], intervals: Sequence[str]
) -> dict[str, Any]:
    """Replace exactly these day intervals with the rows of these S3 objects."""
    if not uris:
        raise StoreError("an ingestion over no objects would wipe the days and report success; refused")
    return _spec(datasource, schema, {"type": "s3", "uris": list(uris)}, intervals, "DAY")


def table_spec(datasource: str, schema: Mapping[str, pl.DataType], lines: bytes) -> dict[str, Any]:
    """A whole small table as one segment over all time, from inline JSON lines (summaries, alerts)."""
    return _spec(datasource, schema, {"type": "inline", "data": lines.decode()}, [ETERNITY], "ALL")


def describe(spec: dict[str, Any]) -> str:
    """The spec without inline data, for metadata."""
    shown = json.loads(json.dumps(spec))
    source = shown["spec"]["ioConfig"]["inputSource"]
    if source.get("type") == "inline":
        source["data"] = f"<{len(source['data'])} characters of JSON lines>"
    return json.dumps(shown, indent=2)
