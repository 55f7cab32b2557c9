"""Jobs the sensor and the UI launch."""

import dagster as dg

from .assets.analytics import analytics_ingestion
from .assets.ingest import raw_upload, sales_parquet, validated_sales

ingest_file_job = dg.define_asset_job(
    "ingest_file",
    selection=dg.AssetSelection.assets(raw_upload, validated_sales, sales_parquet, analytics_ingestion),
    description="Archive, validate and publish one landed file, then load its days into the analytics store.",
    # The four steps form a chain, so a process per step buys no parallelism and costs ~2 s each.
    executor_def=dg.in_process_executor,
)
