"""The landing sensor: one run per new or changed object under the landing prefix.

Why its tick cost does not grow with history: landing is an inbox. raw_upload archives each
object and then deletes it from landing, so a tick lists only files not yet archived (1,000 keys
per request). The cursor holds only the objects already requested that are still in landing, and
is pruned to the current listing every tick. There is no LastModified watermark, so files that
land in the same second cannot be skipped.

Run key = landing key + ETag + LastModified. With key + ETag alone, Dagster (which never reuses a
run key) would silently ignore a re-drop of an older version (A -> B -> A), leaving B current.
An identical re-drop (same ETag as the archived current version) is a logged no-op and is cleared
from landing. Known corner: identical content re-dropped within the same wall-clock second as the
original upload, after it was archived and before the next tick, has the version the cursor still
holds as requested; it then waits in landing (no run, no data effect) until it changes or is removed.
Runs take seconds, so this needs a sub-second archive; checking the archive for every pending object
on every tick would make large backlogs slow instead.
"""

import json
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from .layout import skip_reason
from .partitions import ETAG_TAG, LANDING_KEY_TAG, sales_files
from .resources.lake import LandingObject, SalesLake


@dataclass
class LandingCursor:
    requested: dict[str, str] = field(default_factory=dict)  # landing key -> version requested
    skipped: dict[str, str] = field(default_factory=dict)  # landing key -> reason already logged

    @classmethod
    def parse(cls, raw: str | None) -> "LandingCursor":
        if not raw:
            return cls()
        data = json.loads(raw)
        return cls(requested=data.get("requested", {}), skipped=data.get("skipped", {}))

    def dump(self) -> str:
        return json.dumps({"requested": self.requested, "skipped": self.skipped}, sort_keys=True)


def version_of(obj: LandingObject) -> str:
    return f"{obj.etag}@{obj.last_modified.isoformat()}"


def _is_identical_redrop(
    context: dg.SensorEvaluationContext, lake: SalesLake, partition_key: str, obj: LandingObject
) -> bool:
    # A key without a partition was never processed, so it cannot be a re-drop: skip the S3 read
    # (an instance lookup is much cheaper; this keeps a large backlog's first tick fast).
    if not context.instance.has_dynamic_partition(sales_files.name, partition_key):
        return False
    pointer = lake.read_json(lake.landed(partition_key).raw_pointer_key)
    return pointer is not None and pointer["etag"] == obj.etag


def evaluate_landing(context: dg.SensorEvaluationContext, lake: SalesLake) -> dg.SensorResult:
    old = LandingCursor.parse(context.cursor)
    new = LandingCursor()
    run_requests, new_partitions = [], []
    for obj in lake.list_landing():
        partition_key = obj.key[len(lake.landing_prefix) :]
        reason = skip_reason(partition_key)
        if reason:
            if old.skipped.get(obj.key) != reason:
                context.log.info(f"skipping {lake.uri(obj.key)}: {reason}")
            new.skipped[obj.key] = reason
            continue
        version = version_of(obj)
        if old.requested.get(obj.key) == version:
            new.requested[obj.key] = version  # run already requested, not archived yet
            continue
        if _is_identical_redrop(context, lake, partition_key, obj):
            lake.delete_if_unchanged(obj.key, obj.etag)
            context.log.info(
                f"{lake.uri(obj.key)} is identical to the archived current version (ETag {obj.etag}); "
                "no-op, removed from landing"
            )
            continue
        new.requested[obj.key] = version
        new_partitions.append(partition_key)
        run_requests.append(
            dg.RunRequest(
                run_key=f"{obj.key}@{version}",
                partition_key=partition_key,
                tags={LANDING_KEY_TAG: obj.key, ETAG_TAG: obj.etag},
            )
        )
    return dg.SensorResult(
        run_requests=run_requests,
        cursor=new.dump(),
        dynamic_partitions_requests=[sales_files.build_add_request(new_partitions)] if new_partitions else [],
        skip_reason=None if run_requests else "no new or changed files in landing",
    )


def build_landing_sensor(job: Any, interval_seconds: int) -> dg.SensorDefinition:
    @dg.sensor(
        name="landing_sensor",
        job=job,
        minimum_interval_seconds=interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Starts one ingest run per new or changed file under the S3 landing prefix.",
    )
    def landing_sensor(context: dg.SensorEvaluationContext, lake: SalesLake) -> dg.SensorResult:
        return evaluate_landing(context, lake)

    return landing_sensor
