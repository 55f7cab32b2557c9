"""Apache Druid as the analytics store: HTTP client, ingestion specs, task waits, readable errors."""
