"""The Dagster code location. Thin: everything is chosen from Settings when Definitions are built."""

import dagster as dg

from .assets.analytics import analytics_ingestion, build_alerts_asset, build_summary_asset
from .assets.ingest import raw_upload, sales_parquet, validated_sales
from .automation import (
    after_new_data,
    freshness,
    refresh_summaries_job,
    summaries_automation_sensor,
    summaries_schedule,
)
from .jobs import ingest_file_job
from .resources.factory import build_resources
from .sensors import build_landing_sensor
from .settings import Settings
from .summaries import SUMMARIES, AlertRules


def summary_assets(settings: Settings) -> list[dg.AssetsDefinition]:
    base = settings.default_datasource
    rules = AlertRules(revenue_drop_pct=settings.alert_revenue_drop_pct, max_rejection_rate=settings.max_rejection_rate)
    summaries = [build_summary_asset(summary, base, after_new_data()) for summary in SUMMARIES]
    return [*summaries, build_alerts_asset(base, rules, after_new_data())]


def build_definitions(settings: Settings) -> dg.Definitions:
    summaries = summary_assets(settings)
    freshness_checks, freshness_sensor = freshness(summaries, settings.freshness_hours)
    return dg.Definitions(
        assets=[raw_upload, validated_sales, sales_parquet, analytics_ingestion, *summaries],
        asset_checks=freshness_checks,
        jobs=[ingest_file_job, refresh_summaries_job],
        schedules=[summaries_schedule(settings.summary_cron)],
        sensors=[
            build_landing_sensor(ingest_file_job, settings.sensor_interval_seconds),
            summaries_automation_sensor(max(settings.sensor_interval_seconds, 30)),
            freshness_sensor,
        ],
        resources=build_resources(settings),
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(Settings.from_env())
