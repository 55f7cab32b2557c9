"""Validation in batches: the batch size never changes what is valid, what is rejected or why.

Each test validates small files with tiny batches, so that every path a 500 MB file takes
(many batches, repeats across batches, a problem found mid-file) is exercised on a few rows.
"""

from __future__ import annotations

import gc
from pathlib import Path

import polars as pl
import pytest

from sales_pipeline.generate import generate_sales, with_defects, write_sales_file
from sales_pipeline.readers import FileProblem
from sales_pipeline.validation import validate_file

from .samples import csv_bytes, sales_frame


def _rules_per_row(quarantine: pl.DataFrame) -> dict[int, set[str]]:
    """row -> the 'column [rule]' parts of its reasons."""
    return {
        row: {reason.split(": ", 1)[0] for reason in errors.split("; ")}
        for row, errors in zip(quarantine["row_number"], quarantine["errors"], strict=True)
    }


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_batch_size_does_not_change_the_outcome(tmp_path: Path, fmt: str) -> None:
    source = tmp_path / f"defects.{fmt}"
    frame = with_defects(generate_sales(600, seed=5), 0.1)
    write_sales_file(frame, source, fmt)
    whole = validate_file(source, source.name)
    batched = validate_file(source, source.name, batch_rows=37)
    assert whole.rows == batched.rows == 600
    assert (batched.valid_rows, batched.rejected_rows) == (whole.valid_rows, whole.rejected_rows)
    assert whole.rejected_rows > 0 and whole.valid_rows + whole.rejected_rows == 600
    assert batched.valid.equals(whole.valid)
    assert batched.quarantine.equals(whole.quarantine)
    assert batched.failure_summary() == whole.failure_summary()
    assert any(f["rule"] == "unique" for f in whole.failure_summary())  # the defects include repeated ids


def _with_invoice(frame: pl.DataFrame, row: int, invoice: str) -> pl.DataFrame:
    return frame.with_columns(
        pl.when(pl.int_range(pl.len()) == row - 1)
        .then(pl.lit(invoice))
        .otherwise(pl.col("invoice_id"))
        .alias("invoice_id")
    )


def test_a_repeat_in_a_later_batch_moves_the_earlier_copy_to_the_quarantine(tmp_path: Path) -> None:
    frame = sales_frame(12)
    repeated = frame["invoice_id"][1]
    frame = _with_invoice(frame, 10, repeated)  # rows 2 and 10: batches 1 and 3 of 4 rows
    outcome = validate_file(_write(tmp_path, frame), "dup.csv", batch_rows=4)
    assert (outcome.valid_rows, outcome.rejected_rows) == (10, 2)
    assert repeated not in outcome.valid["invoice_id"].to_list()
    quarantine = outcome.quarantine
    assert quarantine["row_number"].to_list() == [2, 10]
    assert all(f"'{repeated}' appears more than once in the file (rows 2, 10)" in e for e in quarantine["errors"])
    assert quarantine["invoice_id"].to_list() == [repeated, repeated]
    assert outcome.failure_summary() == [
        {
            "rule": "unique",
            "column": "invoice_id",
            "count": 2,
            "example_rows": [2, 10],
            "example": f"'{repeated}' appears more than once in the file (rows 2, 10)",
        }
    ]


def test_a_repeat_of_a_row_rejected_for_another_reason_adds_the_reason(tmp_path: Path) -> None:
    frame = sales_frame(9)
    repeated = frame["invoice_id"][0]
    frame = _with_invoice(frame, 8, repeated).with_columns(
        pl.when(pl.int_range(pl.len()) == 7).then(11.0).otherwise(pl.col("rating")).alias("rating")
    )
    outcome = validate_file(_write(tmp_path, frame), "dup.csv", batch_rows=3)
    assert outcome.quarantine["row_number"].to_list() == [1, 8]
    rules = _rules_per_row(outcome.quarantine)
    assert rules == {1: {"invoice_id [unique]"}, 8: {"rating [less_than_or_equal_to(10)]", "invoice_id [unique]"}}
    assert outcome.valid_rows == 7 and outcome.valid.height == 7


def test_a_file_problem_found_mid_file_names_the_file(tmp_path: Path) -> None:
    lines = csv_bytes(sales_frame(40)).decode().splitlines()
    lines[30] += ",extra"
    path = tmp_path / "ragged.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(FileProblem, match=r"^landing/sales/ragged\.csv: not readable as CSV"):
        validate_file(path, "landing/sales/ragged.csv", batch_rows=5)


def test_bytes_that_are_not_utf8_late_in_the_file_reject_only_their_row(tmp_path: Path) -> None:
    lines = csv_bytes(sales_frame(30)).decode().splitlines()
    lines[25] = (
        lines[25].replace("Yangon", "Yang\xf3n").replace("Mandalay", "Mandal\xe1y").replace("Naypyitaw", "N\xe1y")
    )
    path = tmp_path / "latin1.csv"
    path.write_bytes("\n".join(lines).encode("latin-1"))
    outcome = validate_file(path, "latin1.csv", batch_rows=4)
    assert outcome.quarantine["row_number"].to_list() == [25]
    assert "city [parse_string]: bytes that are not valid UTF-8" in outcome.quarantine["errors"][0]
    assert (outcome.rows, outcome.valid_rows) == (30, 29) and outcome.valid.height == 29


def test_outputs_go_to_the_given_directory_or_a_temporary_one(tmp_path: Path) -> None:
    path = _write(tmp_path, with_defects(sales_frame(50), 0.1))
    out = tmp_path / "out"
    out.mkdir()
    kept = validate_file(path, "f.csv", out_dir=out)
    assert kept.valid_path == out / "valid.parquet" and kept.quarantine_path == out / "quarantine.parquet"
    assert pl.read_parquet(kept.quarantine_path).height == kept.rejected_rows > 0
    temporary = validate_file(path, "f.csv")
    folder = temporary.valid_path.parent
    assert folder.exists() and folder != out
    del temporary
    gc.collect()
    assert not folder.exists()


def _write(tmp_path: Path, frame: pl.DataFrame) -> Path:
    path = tmp_path / "dup.csv"
    path.write_bytes(csv_bytes(frame))
    return path
