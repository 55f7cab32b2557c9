"""Druid failures against the real local Druid: each gives one message a person can act on, and
nothing is lost: the previous rows of the days stay queryable.

Services stopped by a test are started again before it ends, so the session's cluster stays whole.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import replace

import boto3
import dagster as dg
import polars as pl
import pytest
import requests

from sales_pipeline.assets.analytics import analytics_ingestion, day_objects
from sales_pipeline.assets.ingest import raw_upload, sales_parquet, validated_sales
from sales_pipeline.druid_local import cluster
from sales_pipeline.layout import druid_key_for
from sales_pipeline.resources.factory import build_resources, resolved
from sales_pipeline.settings import LOCAL_S3_CREDENTIALS
from sales_pipeline.stores.base import StoreError, table_name

from ..conftest import drop, ingest
from ..samples import csv_bytes, sales_frame

pytestmark = pytest.mark.druid


@pytest.fixture
def engine() -> str:
    return "druid"


def step_failure(result: dg.ExecuteInProcessResult) -> tuple[str, dict]:
    """The failed step's description and metadata, as the Dagster UI shows them."""
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            data = event.step_failure_data
            assert data.user_failure_data, f"not a dg.Failure: {data.error.message} {data.error.cause}"
            user = data.user_failure_data
            return user.description, {k: v.value for k, v in user.metadata.items()}
    raise AssertionError("no step failed")


@pytest.fixture
def loaded(lake, resources, instance, datasource) -> tuple[str, pl.DataFrame]:
    """Version 1 of a file, loaded into Druid; returns its partition key and rows."""
    v1 = sales_frame(60, seed=1, days=3)
    key = f"{datasource}/a.csv"
    drop(lake, key, csv_bytes(v1))
    assert ingest(key, resources, instance).success
    return key, v1


def stage_new_version(lake, resources, instance, key: str) -> pl.DataFrame:
    """Version 2 of the same file (same days) up to its S3 objects; not yet loaded."""
    v2 = sales_frame(40, seed=2, days=3)
    drop(lake, key, csv_bytes(v2))
    assets = [raw_upload, validated_sales, sales_parquet]
    assert dg.materialize(assets, partition_key=key, resources=resources, instance=instance).success
    return v2


def file_days(lake, key: str) -> list[str]:
    return sorted(lake.read_json(lake.landed(key).manifest_key)["days"])


def load(key: str, resources, instance) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [analytics_ingestion], partition_key=key, resources=resources, instance=instance, raise_on_error=False
    )


def assert_still_holds(store, datasource: str, rows: pl.DataFrame) -> None:
    n, total = store.query(f"SELECT COUNT(*) AS n, SUM(total) AS t FROM {table_name(datasource)}").row(0)
    assert n == rows.height
    assert total == pytest.approx(rows["total"].sum(), abs=1e-6)


def task_status(store, task_id: str) -> dict:
    overlord = store.client().endpoints().overlord
    return requests.get(f"{overlord}/druid/indexer/v1/task/{task_id}/status", timeout=10).json()["status"]


@pytest.fixture
def s3_auth(settings, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The session's S3 enforcing credentials: the pipeline gets a real IAM key, Druid keeps its own.

    After ``settings``, which clears AWS_ACCESS_KEY_ID for every other test.
    """
    key, secret = LOCAL_S3_CREDENTIALS
    iam = boto3.client(
        "iam", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id=key, aws_secret_access_key=secret
    )
    user = f"pipeline-{id(monkeypatch)}"
    iam.create_user(UserName=user)
    allow_all = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    iam.put_user_policy(UserName=user, PolicyName="all", PolicyDocument=json.dumps(allow_all))
    access = iam.create_access_key(UserName=user)["AccessKey"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", access["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", access["SecretAccessKey"])
    yield
    requests.post(f"{s3_endpoint}/moto-api/reset-auth", data=b"inf", headers={"Content-Type": "text/plain"}, timeout=10)


def enforce_auth(s3_endpoint: str) -> None:
    answer = requests.post(
        f"{s3_endpoint}/moto-api/reset-auth", data=b"0", headers={"Content-Type": "text/plain"}, timeout=10
    )
    assert answer.ok


def test_wrong_s3_credentials_for_druid(s3_auth, settings, s3_endpoint, instance, datasource) -> None:
    resources = build_resources(settings)  # the pipeline's lake now signs with the IAM key
    lake, store = resolved(resources["lake"]), resolved(resources["store"])
    lake.ensure_bucket()
    v1 = sales_frame(50, seed=3, days=2)
    key = f"{datasource}/a.csv"
    drop(lake, key, csv_bytes(v1))
    assert ingest(key, resources, instance).success
    stage_new_version(lake, resources, instance, key)
    enforce_auth(s3_endpoint)  # Druid still signs with the loopback throwaway key, which S3 now refuses
    result = load(key, resources, instance)
    message, metadata = step_failure(result)
    assert message.startswith(f"{key}: Druid could not read s3://{lake.bucket}/druid/{datasource}/")
    assert "Druid's S3 credentials are wrong (S3 answered InvalidAccessKeyId" in message
    assert "AWS_ACCESS_KEY_ID" in message and "druid.s3.accessKey" in message
    assert metadata["druid_task_id"] in message
    assert "InvalidAccessKeyId" in metadata["druid_error"]
    assert_still_holds(store, datasource, v1)


def test_missing_object(loaded, lake, resources, instance, store, datasource) -> None:
    key, v1 = loaded
    stage_new_version(lake, resources, instance, key)
    gone = druid_key_for(
        day_objects(lake, datasource, sorted(lake.read_json(lake.landed(key).manifest_key)["days"]))[0]
    )
    lake.delete([gone])
    message, metadata = step_failure(load(key, resources, instance))
    assert f"Druid could not read s3://{lake.bucket}/{gone}: the object does not exist" in message
    assert "re-materialize sales_parquet" in message and metadata["druid_task_id"] in message
    assert_still_holds(store, datasource, v1)


def test_parse_error_quotes_the_rows(loaded, lake, resources, instance, store, datasource) -> None:
    key, v1 = loaded
    stage_new_version(lake, resources, instance, key)
    target = druid_key_for(day_objects(lake, datasource, file_days(lake, key))[0])
    lake.put_bytes(target, gzip.compress(b'{"__time": 1546300800000, "quantity": "many", "total": 1.0}\n'))
    message, _ = step_failure(load(key, resources, instance))
    assert "Druid could not parse rows of" in message and "nothing was replaced" in message
    assert "many" in message, "the row Druid quoted is in the message"
    assert_still_holds(store, datasource, v1)


def test_corrupt_object(loaded, lake, resources, instance, store, datasource) -> None:
    key, v1 = loaded
    stage_new_version(lake, resources, instance, key)
    target = druid_key_for(day_objects(lake, datasource, file_days(lake, key))[0])
    lake.put_bytes(target, b"this is not gzip")
    message, _ = step_failure(load(key, resources, instance))
    assert f"Druid could not read s3://{lake.bucket}/{target}: the object is not valid gzip" in message
    assert_still_holds(store, datasource, v1)


def test_row_count_mismatch_is_reported(loaded, lake, resources, instance, store, datasource) -> None:
    key, _ = loaded
    stage_new_version(lake, resources, instance, key)
    target = druid_key_for(day_objects(lake, datasource, file_days(lake, key))[0])
    body = lake.client().get_object(Bucket=lake.bucket, Key=target)["Body"].read()
    lake.put_bytes(target, gzip.compress(gzip.decompress(body).splitlines(keepends=True)[0]))  # lost rows
    message, metadata = step_failure(load(key, resources, instance))
    assert "succeeded but its row counts do not match what was sent" in message
    assert json.loads(metadata["druid_row_stats"])["processed"] < 40


def test_druid_down_at_submit(loaded, lake, resources, instance, store, datasource, druid_cluster) -> None:
    key, v1 = loaded
    stage_new_version(lake, resources, instance, key)
    store.client().endpoints()  # the overlord's address is known, as in a long-running process
    cluster.stop_service(druid_cluster, "coordinator")
    try:
        days = file_days(lake, key)
        with pytest.raises(StoreError) as failure:
            store.replace_days(datasource, days, day_objects(lake, datasource, days))
        assert "Druid's overlord did not accept the ingestion" in str(failure.value)
        assert "Nothing was submitted" in str(failure.value) and failure.value.transient
        assert_still_holds(store, datasource, v1)  # the broker and historical still serve the old rows
    finally:
        cluster.start_service(druid_cluster, "coordinator", LOCAL_S3_CREDENTIALS)


def test_no_worker_cancels_the_task(loaded, lake, resources, instance, store, datasource, druid_cluster) -> None:
    key, v1 = loaded
    stage_new_version(lake, resources, instance, key)
    impatient = store.model_copy(update={"pickup_timeout": 5.0})
    cluster.stop_service(druid_cluster, "indexer")
    try:
        days = file_days(lake, key)
        with pytest.raises(StoreError) as failure:
            impatient.replace_days(datasource, days, day_objects(lake, datasource, days))
        message = str(failure.value)
        assert "No Druid ingestion worker picked up task" in message and "0 worker(s) registered" in message
        assert not failure.value.transient, "a person must start a worker: retrying only delays the message"
        assert task_status(store, failure.value.metadata["druid_task_id"])["status"] == "FAILED", "cancelled"
    finally:
        cluster.start_service(druid_cluster, "indexer", LOCAL_S3_CREDENTIALS)
    assert_still_holds(store, datasource, v1)


def test_task_timeout_cancels_the_task(loaded, lake, resources, instance, settings, datasource) -> None:
    key, v1 = loaded
    stage_new_version(lake, resources, instance, key)
    hasty = build_resources(replace(settings, druid_task_timeout=0.3))
    result = load(key, {**hasty, "lake": lake}, instance)
    message, metadata = step_failure(result)
    assert "did not finish within 0 s and was cancelled; nothing was replaced" in message
    store = hasty["store"]
    for _ in range(60):
        if task_status(store, metadata["druid_task_id"])["status"] != "RUNNING":
            break
    assert task_status(store, metadata["druid_task_id"])["status"] == "FAILED"
    assert_still_holds(store, datasource, v1)
