"""The benchmark references must apply the same rules as the contract, or the ratios are unfair."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from benchmarks.references import pandas_pandera, polars_rules
from sales_pipeline import validation
from sales_pipeline.generate import generate_sales, with_defects, write_sales_file


def test_pandas_pandera_reference_accepts_the_same_rows(tmp_path: Path) -> None:
    source = tmp_path / "defects.csv"
    write_sales_file(with_defects(generate_sales(1400, seed=8), 0.07), source, "csv")
    ours = validation.validate_file(source, "defects.csv")
    theirs = pandas_pandera(source, tmp_path / "out.parquet")
    assert (theirs["valid_rows"], theirs["rejected_rows"]) == (ours.valid.height, ours.rejected_rows) == (1302, 98)
    assert (
        pl.read_parquet(tmp_path / "out.parquet")["invoice_id"].sort().to_list()
        == ours.valid["invoice_id"].sort().to_list()
    )


def test_hand_written_rules_flag_the_same_rows_as_the_contract() -> None:
    raw = with_defects(generate_sales(700, seed=9), 0.07)
    typed, parse_failures = validation.parse_frame(raw, "x")
    contract_rows = set(validation.contract_failures(typed, "x")["row_number"])
    flagged = set(typed.filter(polars_rules(typed))["row_number"])
    assert flagged == contract_rows and len(flagged) > 0 and parse_failures.height > 0
