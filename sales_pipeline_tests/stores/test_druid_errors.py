"""Druid failure texts -> messages a person can act on.

The failures the real-Druid tests cannot cause on this machine (a signature mismatch, which moto
reports only for the Java SDK's own quirk; a missing bucket; Druid without any credentials; an
unreachable S3 endpoint) use the report texts recorded in DRUID.md, beside the real tests in
test_druid_failures.py that cause the others."""

from __future__ import annotations

import pytest

from sales_pipeline.stores.druid.errors import TaskFailure, explain
from sales_pipeline.stores.druid.tasks import row_stats, unparseable_events

URI = "s3://sales-pipeline/druid/sales/date=2019-01-05/a-1.json.gz"
RECORDED = {
    "SignatureDoesNotMatch": (
        "java.lang.RuntimeException: com.amazonaws.services.s3.model.AmazonS3Exception: The request signature we "
        "calculated does not match the signature you provided. (Service: Amazon S3; Status Code: 403; Error Code: "
        "SignatureDoesNotMatch; Request ID: x)"
    ),
    "NoSuchBucket": (
        "com.amazonaws.services.s3.model.AmazonS3Exception: The specified bucket does not exist (Service: Amazon "
        "S3; Status Code: 404; Error Code: NoSuchBucket; Request ID: x)"
    ),
    "no credentials": "com.amazonaws.SdkClientException: Unable to load AWS credentials from any provider in the chain",
    "unreachable": (
        "com.amazonaws.SdkClientException: Unable to execute HTTP request: Connect to 127.0.0.1:9555 "
        "[/127.0.0.1] failed: Connection refused"
    ),
}


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("SignatureDoesNotMatch", "Druid's S3 credentials are wrong (S3 answered SignatureDoesNotMatch"),
        ("NoSuchBucket", "the bucket does not exist where Druid looks"),
        ("no credentials", "Druid has no S3 credentials"),
        ("unreachable", "Druid cannot reach the S3 endpoint"),
    ],
)
def test_recorded_failures_become_actionable_messages(case: str, expected: str) -> None:
    message = explain(TaskFailure("task-1", RECORDED[case], [URI], [], "http://127.0.0.1:9555"))
    assert expected in message and "task-1" in message and URI in message


def test_unknown_failures_keep_druid_text_and_point_at_the_report() -> None:
    message = explain(TaskFailure("task-2", "java.lang.IllegalStateException: something new", [URI, URI]))
    assert "Druid task task-2 failed: java.lang.IllegalStateException: something new" in message
    assert "full task report is in this run's metadata" in message


def test_report_rows_in_both_shapes() -> None:
    single = {"ingestionStatsAndErrors": {"payload": {"rowStats": {"buildSegments": {"processed": 7}}}}}
    totals = {"ingestionStatsAndErrors": {"payload": {"rowStats": {"totals": {"buildSegments": {"processed": 9,
              "thrownAway": 1}}}}}}  # fmt: skip
    assert row_stats(single) == {"processed": 7, "processedWithError": 0, "thrownAway": 0, "unparseable": 0}
    assert row_stats(totals)["processed"] == 9 and row_stats(totals)["thrownAway"] == 1
    assert row_stats({}) == {"processed": 0, "processedWithError": 0, "thrownAway": 0, "unparseable": 0}
    events = {"ingestionStatsAndErrors": {"payload": {"unparseableEvents": {"totals": {"buildSegments": ["x"]}}}}}
    assert unparseable_events(events) == [{"message": ["x"]}]
