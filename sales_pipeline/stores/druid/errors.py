"""Druid failures in words a person can act on.

The task status cuts Druid's error at ~100 characters; the task report holds the whole text with
the AWS error code. Each known failure becomes one message: what happened, to which object, what
to do. The full report text always goes along as metadata.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from ..base import StoreError

_S3_URI = re.compile(r"s3://[^\s,\]\"')]+")


class DruidTaskError(StoreError):
    """A Druid ingestion failed; ``metadata`` carries the task id, the report and what was sent."""


@dataclass(frozen=True)
class TaskFailure:
    task_id: str
    error_text: str  # the report's errorMsg, or the status errorMsg when no report exists
    uris: list[str] = field(default_factory=list)
    unparseable: list[dict[str, Any]] = field(default_factory=list)
    s3_endpoint: str = ""


def _object(failure: TaskFailure) -> str:
    found = _S3_URI.search(failure.error_text)
    if found:  # Druid quotes the key URL-encoded (date%3D...): show it as the pipeline wrote it
        return unquote(found.group(0))
    if len(failure.uris) == 1:
        return failure.uris[0]
    return (
        f"one of {len(failure.uris)} objects ({', '.join(failure.uris[:3])}{', ...' if len(failure.uris) > 3 else ''})"
    )


def _parse_rows(unparseable: list[dict[str, Any]]) -> str:
    """Druid 25 reports ``{"input", "errorType", "details": [messages]}``; older shapes had a dict."""
    quoted = []
    for event in unparseable[:5]:
        details = event.get("details") or event.get("message") or []
        if isinstance(details, dict):
            details = details.get("message") or []
        messages = "; ".join(map(str, details if isinstance(details, list) else [details]))[:300]
        record = str(event.get("input") or event.get("record") or "")[:300]
        quoted.append(f"  {messages} | row: {record}")
    return "\n".join(quoted) or "  (Druid quoted none; see the task report)"


def explain(failure: TaskFailure) -> str:
    """One message for a failed task: what happened and what to do."""
    text, task = failure.error_text, failure.task_id
    target = _object(failure)
    if "SignatureDoesNotMatch" in text or "InvalidAccessKeyId" in text:
        code = "SignatureDoesNotMatch" if "SignatureDoesNotMatch" in text else "InvalidAccessKeyId"
        return (
            f"Druid could not read {target}: Druid's S3 credentials are wrong (S3 answered {code}; task {task}). "
            "Set the key Druid uses (druid.s3.accessKey / druid.s3.secretKey; for the local cluster export "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY and run `sales-pipeline druid down` then `up`) to one "
            "that may s3:GetObject in the pipeline's bucket."
        )
    if "Unable to load AWS credentials" in text:
        return (
            f"Druid could not read {target}: Druid has no S3 credentials (task {task}). Set druid.s3.accessKey and "
            "druid.s3.secretKey (password providers), or give Druid's hosts an instance role."
        )
    if "NoSuchBucket" in text:
        return (
            f"Druid could not read {target}: the bucket does not exist where Druid looks (task {task}). "
            "Druid's druid.s3.endpoint.url must be the S3 endpoint the pipeline writes to "
            f"({failure.s3_endpoint or 'SALES_S3_ENDPOINT_URL'})."
        )
    if "NoSuchKey" in text:
        return (
            f"Druid could not read {target}: the object does not exist (task {task}). It was removed or never "
            "written: re-materialize sales_parquet for the file, then analytics_ingestion."
        )
    if "Unable to execute HTTP request" in text or "Connection refused" in text or "UnknownHost" in text:
        return (
            f"Druid cannot reach the S3 endpoint to read {target} (task {task}): check druid.s3.endpoint.url "
            f"(the pipeline writes to {failure.s3_endpoint or 'SALES_S3_ENDPOINT_URL'}), and for a host name "
            "endpoint (localhost, minio) druid.s3.enablePathStyleAccess=true and the path-style / endpoint "
            "settings; then check that the S3 service is up and reachable from the Druid hosts."
        )
    if "Not in GZIP format" in text or "ZipException" in text or "Unexpected end of ZLIB" in text:
        return (
            f"Druid could not read {target}: the object is not valid gzip (task {task}); it was truncated or "
            "overwritten after the pipeline wrote it. Nothing was replaced: re-materialize sales_parquet for the "
            "file, then analytics_ingestion."
        )
    if "Max parse exceptions" in text or failure.unparseable:
        return (
            f"Druid could not parse rows of {target} (task {task}); nothing was replaced. "
            "The object no longer matches the datasource's schema: re-materialize sales_parquet for the file. "
            f"Rows Druid quoted:\n{_parse_rows(failure.unparseable)}"
        )
    return f"Druid task {task} failed: {text[:1000]}. The full task report is in this run's metadata."
