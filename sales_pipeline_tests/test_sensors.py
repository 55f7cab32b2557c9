"""Landing sensor ticks via build_sensor_context(cursor=...), against a real S3 endpoint."""

from __future__ import annotations

import json

import dagster as dg

from sales_pipeline.jobs import ingest_file_job
from sales_pipeline.partitions import ETAG_TAG
from sales_pipeline.sensors import build_landing_sensor

from .conftest import drop, ingest, list_keys
from .samples import csv_bytes, sales_frame

SENSOR = build_landing_sensor(ingest_file_job, interval_seconds=30)


def tick(lake, instance, cursor=None) -> dg.SensorResult:
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources={"lake": lake}) as context:
        return SENSOR(context)


def add_partitions(instance, result: dg.SensorResult) -> None:
    # build_sensor_context does not apply dynamic_partitions_requests; the daemon would.
    for request in result.dynamic_partitions_requests:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))


def test_files_landing_in_the_same_second_are_all_requested(lake, instance) -> None:
    body = csv_bytes(sales_frame(3))
    for i in range(12):
        drop(lake, f"sales/burst-{i:02d}.csv", body)
    first = tick(lake, instance)
    assert sorted(r.partition_key for r in first.run_requests) == [f"sales/burst-{i:02d}.csv" for i in range(12)]
    drop(lake, "sales/burst-late.csv", body)  # same second as the others, after the tick
    second = tick(lake, instance, first.cursor)
    assert [r.partition_key for r in second.run_requests] == ["sales/burst-late.csv"]


def test_listing_pages_past_1000_keys(lake, instance) -> None:
    client = lake.client()
    for i in range(1003):
        client.put_object(Bucket=lake.bucket, Key=f"landing/sales/f{i:04d}.csv", Body=b"x")
    result = tick(lake, instance)
    assert len(result.run_requests) == 1003
    assert len({r.run_key for r in result.run_requests}) == 1003
    assert result.dynamic_partitions_requests[0].partition_keys[-1] == "sales/f1002.csv"
    assert tick(lake, instance, result.cursor).run_requests == []


def test_run_request_targets_the_exact_version(lake, instance) -> None:
    key = drop(lake, "sales/jan.csv", csv_bytes(sales_frame(3)))
    etag = lake.head(key)["ETag"].strip('"')
    (request,) = tick(lake, instance).run_requests
    assert request.partition_key == "sales/jan.csv"
    assert request.tags[ETAG_TAG] == etag
    assert request.run_key.startswith(f"{key}@{etag}@")


def test_identical_redrop_is_a_logged_no_op(lake, resources, instance) -> None:
    body = csv_bytes(sales_frame(5))
    drop(lake, "sales/jan.csv", body)
    first = tick(lake, instance)
    add_partitions(instance, first)
    assert ingest("sales/jan.csv", resources, instance).success
    between = tick(lake, instance, first.cursor)  # the daemon ticks while the run takes seconds
    assert json.loads(between.cursor)["requested"] == {}
    drop(lake, "sales/jan.csv", body)
    again = tick(lake, instance, between.cursor)
    assert again.run_requests == []
    assert list_keys(lake, "landing/") == [], "an identical re-drop is cleared from landing"


def test_changed_file_is_processed_again(lake, resources, instance) -> None:
    drop(lake, "sales/jan.csv", csv_bytes(sales_frame(5, seed=1)))
    first = tick(lake, instance)
    add_partitions(instance, first)
    assert ingest("sales/jan.csv", resources, instance).success
    drop(lake, "sales/jan.csv", csv_bytes(sales_frame(5, seed=2)))
    (request,) = tick(lake, instance, first.cursor).run_requests
    assert request.partition_key == "sales/jan.csv"
    assert request.run_key != first.run_requests[0].run_key


def test_redrop_of_an_older_version_is_processed(lake, resources, instance) -> None:
    version_a, version_b = csv_bytes(sales_frame(5, seed=1)), csv_bytes(sales_frame(5, seed=2))
    cursor, run_keys = None, []
    for body in (version_a, version_b, version_a):
        drop(lake, "sales/jan.csv", body)
        result = tick(lake, instance, cursor)
        add_partitions(instance, result)
        assert len(result.run_requests) == 1
        run_keys.append(result.run_requests[0].run_key)
        assert ingest("sales/jan.csv", resources, instance).success
        cursor = result.cursor
    assert len(set(run_keys)) == 3, "Dagster never reuses a run key: A -> B -> A needs a fresh one"
    manifest = lake.read_json(lake.landed("sales/jan.csv").manifest_key)
    assert manifest["total"] == round(sales_frame(5, seed=1)["total"].sum(), 4)


def test_pending_file_is_not_requested_twice(lake, instance) -> None:
    drop(lake, "sales/jan.csv", csv_bytes(sales_frame(3)))
    first = tick(lake, instance)
    second = tick(lake, instance, first.cursor)
    assert len(first.run_requests) == 1 and second.run_requests == []
    assert json.loads(second.cursor)["requested"] == json.loads(first.cursor)["requested"]


def test_odd_keys_are_skipped_with_a_reason(lake, instance, caplog) -> None:
    client = lake.client()
    skipped = ["sales/", "sales/.~lock.jan.csv#", "sales/~$jan.xlsx", "sales/jan.csv.part", "bad folder!/x.csv"]
    for key in skipped:
        client.put_object(Bucket=lake.bucket, Key=f"landing/{key}", Body=b"x")
    drop(lake, "sales/ok.csv", b"x")
    drop(lake, "top-level.csv", b"x")
    result = tick(lake, instance)
    assert sorted(r.partition_key for r in result.run_requests) == ["sales/ok.csv", "top-level.csv"]
    reasons = json.loads(result.cursor)["skipped"]
    assert set(reasons) == {f"landing/{key}" for key in skipped}
    assert reasons["landing/sales/"] == "directory marker"
    assert "temporary" in reasons["landing/sales/jan.csv.part"]
    assert "datasource folder" in reasons["landing/bad folder!/x.csv"]


def test_cursor_holds_only_what_is_still_in_landing(lake, resources, instance) -> None:
    body = csv_bytes(sales_frame(3))
    for i in range(3):
        drop(lake, f"sales/f{i}.csv", body[:-1] + str(i).encode())
    result = tick(lake, instance)
    add_partitions(instance, result)
    for request in result.run_requests:
        ingest(request.partition_key, resources, instance, raise_on_error=False)
    after = tick(lake, instance, result.cursor)
    assert json.loads(after.cursor) == {"requested": {}, "skipped": {}}
    assert after.run_requests == []


def test_key_with_spaces_and_unicode_is_a_partition(lake, instance) -> None:
    drop(lake, "sales/Ventes été 2019.csv", b"x")
    (request,) = tick(lake, instance).run_requests
    assert request.partition_key == "sales/Ventes été 2019.csv"
