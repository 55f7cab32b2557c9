"""Resources chosen from Settings when Definitions are built (never at import time)."""

from __future__ import annotations

import os

import dagster as dg
from dagster_aws.s3 import S3Resource

from ..settings import LOCAL_S3_CREDENTIALS, Settings
from .analytics import AnalyticsStore, DuckDBStore
from .contract import ContractSettings
from .lake import SalesLake


def s3_resource(settings: Settings) -> S3Resource:
    """Local loopback S3 gets throwaway credentials; anything else reads them from the environment.

    Outside the embedded default, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are passed as
    dg.EnvVar when set; when unset, boto3's default chain (instance role, profile) applies.
    """
    endpoint = settings.s3_endpoint_url or None
    if settings.uses_local_s3 and "AWS_ACCESS_KEY_ID" not in os.environ:
        key, secret = LOCAL_S3_CREDENTIALS
        return S3Resource(
            endpoint_url=endpoint, region_name=settings.s3_region, aws_access_key_id=key, aws_secret_access_key=secret
        )
    if "AWS_ACCESS_KEY_ID" in os.environ:
        return S3Resource(
            endpoint_url=endpoint,
            region_name=settings.s3_region,
            aws_access_key_id=dg.EnvVar("AWS_ACCESS_KEY_ID"),
            aws_secret_access_key=dg.EnvVar("AWS_SECRET_ACCESS_KEY"),
        )
    return S3Resource(endpoint_url=endpoint, region_name=settings.s3_region)


def build_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    lake = SalesLake(
        s3=s3_resource(settings),
        bucket=settings.bucket,
        landing_prefix=settings.landing_prefix,
        default_datasource=settings.default_datasource,
    )
    contract = ContractSettings(
        max_file_bytes=settings.max_file_bytes,
        max_rejection_rate=settings.max_rejection_rate,
        date_order=settings.date_order,
    )
    return {"lake": lake, "contract": contract, "store": build_store(settings, lake)}


def build_store(settings: Settings, lake: SalesLake) -> AnalyticsStore:
    """The embedded DuckDB store (Druid is selected by configuration once it lands)."""
    return DuckDBStore(path=settings.duckdb_path, lake=lake)
