"""One dynamic partition per landed file; the key is the landing key minus the landing prefix."""

import dagster as dg

sales_files = dg.DynamicPartitionsDefinition(name="sales_files")

# Run tags the landing sensor sets, so a run names the exact object version it was started for.
LANDING_KEY_TAG = "sales/landing_key"
ETAG_TAG = "sales/etag"
