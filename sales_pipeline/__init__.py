"""Sales pipeline: S3 landing prefix -> validated Parquet -> analytics store, orchestrated by Dagster."""

__version__ = "0.1.0"
