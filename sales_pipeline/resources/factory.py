"""Resources chosen from Settings when Definitions are built (never at import time)."""

from __future__ import annotations

import os
from typing import Any, TypeVar

import dagster as dg
from dagster_aws.s3 import S3Resource

from ..settings import LOCAL_S3_CREDENTIALS, Settings
from ..stores.base import AnalyticsStore
from ..stores.druid.store import DruidStore
from ..stores.duckdb import DuckDBStore
from .contract import ContractSettings
from .lake import SalesLake

R = TypeVar("R", bound=dg.ConfigurableResource)


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


def resolved(resource: R) -> R:
    """A resource for use outside a Dagster run (CLI, demo, dashboard): ``dg.EnvVar`` values read now.

    Inside runs Dagster resolves them itself; used directly, an unresolved EnvVar refuses to be read.
    """
    updates: dict[str, Any] = {}
    for name in type(resource).model_fields:
        value = resource.__dict__.get(name)
        if isinstance(value, dg.EnvVar):
            updates[name] = value.get_value()
        elif isinstance(value, dg.ConfigurableResource):
            updates[name] = resolved(value)
    return resource.model_copy(update=updates) if updates else resource


def build_store(settings: Settings, lake: SalesLake) -> AnalyticsStore:
    """DuckDB (embedded, the default) or Druid (``SALES_STORE=druid`` / ``DRUID_URL``)."""
    if settings.store != "druid":
        return DuckDBStore(path=settings.duckdb_path, lake=lake)
    return DruidStore(
        url=settings.druid_url,
        lake=lake,
        overlord_url=settings.druid_overlord_url,
        coordinator_url=settings.druid_coordinator_url,
        username=settings.druid_username,
        # Basic auth (druid-basic-security on the cluster): the password only ever comes from the environment.
        password=dg.EnvVar("DRUID_PASSWORD") if settings.druid_username else "",
        verify_tls=settings.druid_verify_tls,
        ca_bundle=settings.druid_ca_bundle,
        request_timeout=settings.druid_request_timeout,
        task_timeout=settings.druid_task_timeout,
        pickup_timeout=settings.druid_pickup_timeout,
        queryable_timeout=settings.druid_queryable_timeout,
        s3_endpoint=settings.s3_endpoint_url,
    )
