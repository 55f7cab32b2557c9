"""Typed settings read from environment variables, with embedded defaults for local use.

Only loopback services that the project starts itself get defaults; anything that could point at
shared infrastructure must be configured explicitly.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

LOCAL_S3_PORT = 9555
LOCAL_S3_ENDPOINT = f"http://127.0.0.1:{LOCAL_S3_PORT}"
# moto accepts any credentials; these are only ever sent to the loopback server.
LOCAL_S3_CREDENTIALS = ("local", "local")


class SettingsError(ValueError):
    """An environment variable holds a value the pipeline cannot use."""


def env_number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number") from None


def _druid_settings(env: Mapping[str, str]) -> dict:
    verify = env.get("SALES_DRUID_VERIFY_TLS", "true").strip().lower()
    if verify not in {"true", "false"}:
        raise SettingsError(f"SALES_DRUID_VERIFY_TLS={verify!r}: use true or false")
    return {
        "druid_url": env.get("DRUID_URL", "").rstrip("/"),
        "druid_overlord_url": env.get("DRUID_OVERLORD_URL", "").rstrip("/"),
        "druid_coordinator_url": env.get("DRUID_COORDINATOR_URL", "").rstrip("/"),
        "druid_username": env.get("DRUID_USERNAME", ""),
        "druid_verify_tls": verify == "true",
        "druid_ca_bundle": env.get("SALES_DRUID_CA_BUNDLE", ""),
        "druid_request_timeout": env_number(env, "SALES_DRUID_REQUEST_TIMEOUT", 30.0),
        "druid_task_timeout": env_number(env, "SALES_DRUID_TASK_TIMEOUT", 1800.0),
        "druid_pickup_timeout": env_number(env, "SALES_DRUID_PICKUP_TIMEOUT", 120.0),
        "druid_queryable_timeout": env_number(env, "SALES_DRUID_QUERYABLE_TIMEOUT", 300.0),
    }


def is_loopback(url: str) -> bool:
    host = urlparse(url).hostname or ""
    return host in {"localhost", "::1"} or host.startswith("127.")


@dataclass(frozen=True)
class Settings:
    bucket: str = "sales-pipeline"
    landing_prefix: str = "landing/"
    s3_endpoint_url: str = LOCAL_S3_ENDPOINT
    s3_region: str = "us-east-1"
    max_file_bytes: int = 500 * 1024 * 1024
    max_rejection_rate: float = 0.05
    date_order: str = "MDY"
    sensor_interval_seconds: int = 30
    default_datasource: str = "sales"
    state_dir: str = ".state"
    summary_cron: str = "0 2 * * *"
    freshness_hours: float = 26.0
    alert_revenue_drop_pct: float = 50.0
    store: str = "duckdb"
    druid_url: str = ""
    druid_overlord_url: str = ""
    druid_coordinator_url: str = ""
    druid_username: str = ""
    druid_verify_tls: bool = True
    druid_ca_bundle: str = ""
    druid_request_timeout: float = 30.0
    druid_task_timeout: float = 1800.0
    druid_pickup_timeout: float = 120.0
    druid_queryable_timeout: float = 300.0

    @property
    def duckdb_path(self) -> str:
        return str(Path(self.state_dir).expanduser().resolve() / "analytics.duckdb")

    @property
    def uses_local_s3(self) -> bool:
        return bool(self.s3_endpoint_url) and is_loopback(self.s3_endpoint_url)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        prefix = env.get("SALES_LANDING_PREFIX", cls.landing_prefix).strip("/") + "/"
        date_order = env.get("SALES_DATE_ORDER", cls.date_order).upper()
        if date_order not in {"MDY", "DMY"}:
            raise SettingsError(f"SALES_DATE_ORDER={date_order!r}: use MDY or DMY")
        rate = env_number(env, "SALES_MAX_REJECTION_RATE", cls.max_rejection_rate)
        if not 0 <= rate <= 1:
            raise SettingsError(f"SALES_MAX_REJECTION_RATE={rate} must be between 0 and 1")
        store = env.get("SALES_STORE", "").strip().lower() or ("druid" if env.get("DRUID_URL") else cls.store)
        if store not in {"duckdb", "druid"}:
            raise SettingsError(f"SALES_STORE={store!r}: use duckdb or druid")
        if store == "druid" and not env.get("DRUID_URL"):
            raise SettingsError(
                "SALES_STORE=druid needs DRUID_URL (router or broker, e.g. the SQL URL `sales-pipeline druid status` "
                "prints)"
            )
        return cls(
            **_druid_settings(env),
            store=store,
            bucket=env.get("SALES_BUCKET", cls.bucket),
            landing_prefix=prefix,
            # An empty value means "the provider's standard endpoint" (AWS S3).
            s3_endpoint_url=env.get("SALES_S3_ENDPOINT_URL", cls.s3_endpoint_url),
            s3_region=env.get("SALES_S3_REGION", cls.s3_region),
            max_file_bytes=int(env_number(env, "SALES_MAX_FILE_MB", 500) * 1024 * 1024),
            max_rejection_rate=rate,
            date_order=date_order,
            sensor_interval_seconds=int(env_number(env, "SALES_SENSOR_INTERVAL_SECONDS", 30)),
            default_datasource=env.get("SALES_DEFAULT_DATASOURCE", cls.default_datasource),
            state_dir=env.get("SALES_STATE_DIR", cls.state_dir),
            summary_cron=env.get("SALES_SUMMARY_CRON", cls.summary_cron),
            freshness_hours=env_number(env, "SALES_FRESHNESS_HOURS", cls.freshness_hours),
            alert_revenue_drop_pct=env_number(env, "SALES_ALERT_REVENUE_DROP_PCT", cls.alert_revenue_drop_pct),
        )
