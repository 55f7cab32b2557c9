"""SalesLake: the bucket the pipeline owns, and every S3 operation the assets and sensor need."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl
from botocore.exceptions import ClientError
from dagster_aws.s3 import S3Resource
from pydantic import PrivateAttr

from ..layout import LandedFile, landed_file

_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class LandingObject:
    key: str
    etag: str
    size: int
    last_modified: datetime


def clean_etag(etag: str) -> str:
    return etag.strip('"')


def _is_missing(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}


class SalesLake(dg.ConfigurableResource):
    """The pipeline's bucket: landing inbox, raw archive, staging, quarantine, validated Parquet."""

    s3: S3Resource
    bucket: str
    landing_prefix: str = "landing/"
    default_datasource: str = "sales"

    _client: Any = PrivateAttr(default=None)

    def client(self) -> Any:
        """One boto3 client per resource instance: building a client costs ~50 ms."""
        if self._client is None:
            self._client = self.s3.get_client()
        return self._client

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def landed(self, partition_key: str) -> LandedFile:
        return landed_file(partition_key, self.default_datasource)

    def landing_key(self, partition_key: str) -> str:
        return self.landing_prefix + partition_key

    def storage_options(self) -> dict[str, str]:
        """Options for polars' own s3:// I/O, matching the boto3 client."""
        options = {"aws_region": self.s3.region_name or "us-east-1"}
        if self.s3.endpoint_url:
            options["aws_endpoint_url"] = self.s3.endpoint_url
            options["aws_allow_http"] = str(self.s3.endpoint_url.startswith("http://")).lower()
        if self.s3.aws_access_key_id:
            options["aws_access_key_id"] = self.s3.aws_access_key_id
            options["aws_secret_access_key"] = self.s3.aws_secret_access_key or ""
        if self.s3.aws_session_token:
            options["aws_session_token"] = self.s3.aws_session_token
        return options

    def ensure_bucket(self) -> None:
        client = self.client()
        try:
            client.head_bucket(Bucket=self.bucket)
        except ClientError as error:
            if not _is_missing(error):
                raise
            client.create_bucket(Bucket=self.bucket)

    def list_objects(self, prefix: str) -> Iterator[dict[str, Any]]:
        """Every object under a prefix (list_objects_v2 entries), 1,000 per request."""
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        for page in pages:
            yield from page.get("Contents", [])

    def manifests(self, datasource: str) -> Iterator[dict[str, Any]]:
        """The manifest of every published file of a datasource (one GET each), with its object time."""
        for item in self.list_objects(f"manifests/{datasource}/"):
            manifest = self.read_json(item["Key"])
            if manifest is not None:
                yield {"partition_key": item["Key"], **manifest, "manifest_modified": item["LastModified"]}

    def list_landing(self) -> Iterator[LandingObject]:
        for item in self.list_objects(self.landing_prefix):
            yield LandingObject(item["Key"], clean_etag(item["ETag"]), item["Size"], item["LastModified"])

    def head(self, key: str) -> dict[str, Any] | None:
        try:
            return self.client().head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if _is_missing(error):
                return None
            raise

    def read_json(self, key: str) -> dict[str, Any] | None:
        try:
            body = self.client().get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as error:
            if _is_missing(error):
                return None
            raise
        return json.loads(body)

    def write_json(self, key: str, document: dict[str, Any]) -> None:
        body = json.dumps(document, indent=2, sort_keys=True, default=str).encode()
        self.client().put_object(Bucket=self.bucket, Key=key, Body=body, ContentType="application/json")

    def read_head_bytes(self, key: str, count: int = 8) -> bytes:
        response = self.client().get_object(Bucket=self.bucket, Key=key, Range=f"bytes=0-{count - 1}")
        return response["Body"].read()

    def copy_if_unchanged(self, source: str, target: str, etag: str) -> None:
        """Server-side copy that fails if the source no longer has this ETag."""
        self.client().copy(
            {"Bucket": self.bucket, "Key": source}, self.bucket, target, ExtraArgs={"CopySourceIfMatch": f'"{etag}"'}
        )

    def delete_if_unchanged(self, key: str, etag: str) -> bool:
        """Delete only the version we processed; a newer upload under the same key stays."""
        head = self.head(key)
        if head is None or clean_etag(head["ETag"]) != etag:
            return False
        self.client().delete_object(Bucket=self.bucket, Key=key, IfMatch=f'"{etag}"')
        return True

    def delete(self, keys: list[str]) -> None:
        client = self.client()
        for start in range(0, len(keys), 1000):
            batch = [{"Key": key} for key in keys[start : start + 1000]]
            client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})

    def sha256(self, key: str) -> str:
        digest = hashlib.sha256()
        body = self.client().get_object(Bucket=self.bucket, Key=key)["Body"]
        for chunk in iter(lambda: body.read(_CHUNK), b""):
            digest.update(chunk)
        return digest.hexdigest()

    def download(self, key: str, path: Path) -> None:
        self.client().download_file(self.bucket, key, str(path))

    def upload(self, path: Path, key: str) -> None:
        self.client().upload_file(str(path), self.bucket, key)

    def put_bytes(self, key: str, body: bytes) -> None:
        self.client().put_object(Bucket=self.bucket, Key=key, Body=body)

    def write_parquet(self, frame: pl.DataFrame, key: str) -> None:
        frame.write_parquet(self.uri(key), storage_options=self.storage_options())

    def read_parquet(self, key: str) -> pl.DataFrame:
        return pl.read_parquet(self.uri(key), storage_options=self.storage_options())

    def scan_parquet(self, key: str) -> pl.LazyFrame:
        return pl.scan_parquet(self.uri(key), storage_options=self.storage_options())

    def parquet_rows(self, key: str) -> int:
        """Row count from the Parquet footer, without reading the data pages."""
        return int(self.scan_parquet(key).select(pl.len()).collect().item())
