"""Definitions load, pick resources from settings, and settings validate their inputs."""

from __future__ import annotations

import dagster as dg
import pytest

from sales_pipeline.definitions import build_definitions, defs
from sales_pipeline.resources.factory import resolved
from sales_pipeline.settings import LOCAL_S3_ENDPOINT, Settings, SettingsError
from sales_pipeline.summaries import SUMMARY_NAMES


def test_definitions_load_with_embedded_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ["SALES_S3_ENDPOINT_URL", "SALES_BUCKET", "AWS_ACCESS_KEY_ID"]:
        monkeypatch.delenv(name, raising=False)
    loaded = defs()
    repo = loaded.get_repository_def()
    assert {key.to_user_string() for key in repo.asset_graph.get_all_asset_keys()} == {
        "raw_upload",
        "validated_sales",
        "sales_parquet",
        "analytics_ingestion",
        *SUMMARY_NAMES,
        "alerts",
    }
    assert repo.get_sensor_def("landing_sensor").default_status == dg.DefaultSensorStatus.RUNNING
    lake = loaded.resources["lake"]
    assert lake.s3.endpoint_url == LOCAL_S3_ENDPOINT and lake.bucket == "sales-pipeline"


def test_checks_are_attached_where_they_belong() -> None:
    repo = build_definitions(Settings()).get_repository_def()
    checks = {(key.asset_key.to_user_string(), key.name) for key in repo.asset_graph.asset_check_keys}
    assert {("validated_sales", "rejection_rate"), ("validated_sales", "rows_reconcile")} <= checks
    assert ("analytics_ingestion", "store_reconcile") in checks
    for name in SUMMARY_NAMES:
        assert {(name, "matches_base"), (name, "freshness_check")} <= checks
    assert ("alerts", "freshness_check") in checks


def test_writers_to_the_store_share_one_pool() -> None:
    repo = build_definitions(Settings()).get_repository_def()
    for name in ["analytics_ingestion", *SUMMARY_NAMES, "alerts"]:
        assert repo.assets_defs_by_key[dg.AssetKey(name)].op.pool == "analytics"


def test_remote_s3_reads_credentials_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    loaded = build_definitions(Settings.from_env({"SALES_S3_ENDPOINT_URL": "https://s3.example.com"}))
    s3 = loaded.resources["lake"].s3
    assert s3.endpoint_url == "https://s3.example.com"
    assert isinstance(s3.aws_access_key_id, dg.EnvVar) and s3.aws_access_key_id.env_var_name == "AWS_ACCESS_KEY_ID"


def test_aws_default_chain_when_no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    s3 = build_definitions(Settings.from_env({"SALES_S3_ENDPOINT_URL": ""})).resources["lake"].s3
    assert s3.endpoint_url is None and s3.aws_access_key_id is None


def test_settings_from_env() -> None:
    settings = Settings.from_env(
        {"SALES_BUCKET": "b", "SALES_LANDING_PREFIX": "/in/box/", "SALES_MAX_FILE_MB": "10", "SALES_DATE_ORDER": "dmy"}
    )
    assert settings.bucket == "b" and settings.landing_prefix == "in/box/"
    assert settings.max_file_bytes == 10 * 2**20 and settings.date_order == "DMY"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SALES_DATE_ORDER": "YMD"}, "use MDY or DMY"),
        ({"SALES_MAX_REJECTION_RATE": "2"}, "between 0 and 1"),
        ({"SALES_MAX_FILE_MB": "lots"}, "is not a number"),
        ({"SALES_STORE": "clickhouse"}, "use duckdb or druid"),
        ({"SALES_STORE": "druid"}, "needs DRUID_URL"),
        ({"DRUID_URL": "http://d:8082", "SALES_DRUID_VERIFY_TLS": "maybe"}, "use true or false"),
    ],
)
def test_bad_settings_are_rejected(env: dict, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_store_is_chosen_by_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRUID_PASSWORD", "from-the-environment")
    env = {
        "DRUID_URL": "https://druid.example:8888/",
        "DRUID_USERNAME": "pipeline",
        "SALES_DRUID_CA_BUNDLE": "/etc/ssl/druid.pem",
        "SALES_DRUID_TASK_TIMEOUT": "600",
    }
    store = build_definitions(Settings.from_env(env)).resources["store"]
    assert store.engine == "druid" and store.url == "https://druid.example:8888"
    assert store.username == "pipeline" and store.ca_bundle == "/etc/ssl/druid.pem" and store.task_timeout == 600
    assert isinstance(store.password, dg.EnvVar), "the password is read at run time, never stored"
    assert resolved(store).client().session.auth == ("pipeline", "from-the-environment")
    assert resolved(store).client().session.verify == "/etc/ssl/druid.pem"
    duck = build_definitions(Settings.from_env({**env, "SALES_STORE": "duckdb"})).resources["store"]
    assert duck.engine == "duckdb"
