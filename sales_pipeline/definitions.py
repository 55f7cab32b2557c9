"""The Dagster code location. Thin: everything is chosen from Settings when Definitions are built."""

import dagster as dg

from .assets.ingest import raw_upload, sales_parquet, validated_sales
from .jobs import ingest_file_job
from .resources.factory import build_resources
from .sensors import build_landing_sensor
from .settings import Settings


def build_definitions(settings: Settings) -> dg.Definitions:
    return dg.Definitions(
        assets=[raw_upload, validated_sales, sales_parquet],
        jobs=[ingest_file_job],
        sensors=[build_landing_sensor(ingest_file_job, settings.sensor_interval_seconds)],
        resources=build_resources(settings),
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(Settings.from_env())
