"""Knobs of the validation stage, set from Settings when Definitions are built."""

import dagster as dg


class ContractSettings(dg.ConfigurableResource):
    max_file_bytes: int = 500 * 1024 * 1024
    max_rejection_rate: float = 0.05
    date_order: str = "MDY"
