"""The contract on bad and odd inputs: every file-level problem has a clear message, every bad row
a reason naming column, row and rule, and valid rows pass untouched."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import polars as pl
import pytest
import xlwt

from sales_pipeline.contract import CANONICAL_COLUMNS, normalise_header
from sales_pipeline.generate import HEADERS
from sales_pipeline.readers import FileProblem
from sales_pipeline.validation import validate_file

from .samples import csv_bytes, file_bytes, sales_frame


def write(tmp_path: Path, name: str, body: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(body)
    return path


def reasons(outcome) -> dict[int, str]:
    return dict(zip(outcome.quarantine["row_number"], outcome.quarantine["errors"], strict=True))


def one_bad_cell(tmp_path: Path, column: str, value: str, row: int = 3):
    frame = sales_frame(6).with_columns(pl.col("date").dt.strftime("%-m/%-d/%Y")).cast(pl.String)
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == row - 1).then(pl.lit(value)).otherwise(pl.col(column)).alias(column)
    )
    return validate_file(write(tmp_path, "one.csv", csv_bytes(frame)), "one.csv")


@pytest.mark.parametrize(
    ("header", "canonical"),
    [("Invoice ID", "invoice_id"), ("Tax 5%", "tax_5pct"), ("gross margin percentage", "gross_margin_pct"),
     ("gross income", "gross_income"), (" Customer type ", "customer_type"), ("\ufeffInvoice ID", "invoice_id"),
     ("unit_price", "unit_price"), ("TOTAL", "total")],
)  # fmt: skip
def test_headers_normalise_to_canonical_names(header: str, canonical: str) -> None:
    assert normalise_header(header) == canonical


def test_public_sample_is_fully_valid(shared_sample: Path) -> None:
    outcome = validate_file(shared_sample, shared_sample.name)
    assert (outcome.rows, outcome.valid.height, outcome.rejected_rows) == (1000, 1000, 0)
    source = pl.read_csv(shared_sample)
    assert outcome.valid["total"].sum() == pytest.approx(source["Total"].sum(), abs=1e-6)
    assert outcome.valid.columns == CANONICAL_COLUMNS
    assert outcome.valid["date"].min() == dt.date(2019, 1, 1)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_each_format_gives_the_same_valid_rows(tmp_path: Path, fmt: str) -> None:
    frame = sales_frame(30)
    outcome = validate_file(write(tmp_path, f"f.{fmt}", file_bytes(frame, fmt, tmp_path)), f"f.{fmt}")
    assert outcome.format == fmt
    assert outcome.valid.height == 30
    assert outcome.valid["total"].sum() == pytest.approx(frame["total"].sum())
    assert outcome.valid["date"].to_list() == frame["date"].to_list()


def test_legacy_xls_is_read(tmp_path: Path) -> None:
    frame = sales_frame(5).with_columns(pl.col("date").dt.strftime("%Y-%m-%d"))
    book = xlwt.Workbook()
    sheet = book.add_sheet("sales")
    for col, name in enumerate(frame.rename(HEADERS).columns):
        sheet.write(0, col, name)
    for row, values in enumerate(frame.rows(), start=1):
        for col, value in enumerate(values):
            sheet.write(row, col, value)
    path = tmp_path / "legacy.xls"
    book.save(str(path))
    outcome = validate_file(path, "legacy.xls")
    assert outcome.format == "xls" and outcome.valid.height == 5 and outcome.rejected_rows == 0


def test_format_is_sniffed_from_content_not_extension(tmp_path: Path) -> None:
    body = file_bytes(sales_frame(4), "parquet", tmp_path)
    outcome = validate_file(write(tmp_path, "misnamed.csv", body), "misnamed.csv")
    assert outcome.format == "parquet" and outcome.valid.height == 4


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"", "empty (0 bytes)"),
        (b"Invoice ID,Branch,City\n", "header but no data rows"),
        (b"PK\x03\x04" + b"\x00" * 40, "truncated or corrupt"),
        (b"PAR1garbage-not-parquet", "Parquet file could not be read"),
    ],
    ids=["zero-bytes", "header-only", "truncated-zip", "broken-parquet"],
)
def test_unusable_files_fail_with_file_name_and_problem(tmp_path: Path, body: bytes, problem: str) -> None:
    with pytest.raises(FileProblem) as caught:
        validate_file(write(tmp_path, "bad file.csv", body), "landing/sales/bad file.csv")
    assert str(caught.value).startswith("landing/sales/bad file.csv: ")
    assert problem in caught.value.problem
    assert caught.value.action


def test_truncated_xlsx(tmp_path: Path) -> None:
    body = file_bytes(sales_frame(50), "xlsx", tmp_path)
    with pytest.raises(FileProblem, match="truncated or corrupt"):
        validate_file(write(tmp_path, "cut.xlsx", body[: len(body) // 2]), "cut.xlsx")


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "notes.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "hello")
    with pytest.raises(FileProblem, match="not an Excel workbook"):
        validate_file(path, "notes.zip")


def test_missing_column_is_named(tmp_path: Path) -> None:
    frame = sales_frame(3).rename(HEADERS).drop("Rating")
    body = frame.with_columns(pl.col("Date").dt.strftime("%-m/%-d/%Y")).write_csv().encode()
    with pytest.raises(FileProblem) as caught:
        validate_file(write(tmp_path, "m.csv", body), "m.csv")
    assert "missing required column(s): rating" in caught.value.problem
    assert "Invoice ID" in caught.value.problem  # lists what was found


def test_two_headers_for_one_field_fail(tmp_path: Path) -> None:
    frame = sales_frame(3).rename(HEADERS).with_columns(pl.col("Total").alias("total"))
    body = frame.with_columns(pl.col("Date").dt.strftime("%-m/%-d/%Y")).write_csv().encode()
    with pytest.raises(FileProblem, match="several columns map to the same field"):
        validate_file(write(tmp_path, "d.csv", body), "d.csv")


def test_extra_columns_are_ignored_and_reported(tmp_path: Path) -> None:
    frame = sales_frame(4).with_columns(pl.lit("north").alias("Region"))
    outcome = validate_file(write(tmp_path, "e.csv", csv_bytes(frame)), "e.csv")
    assert outcome.ignored_columns == ["Region"] and outcome.valid.height == 4
    assert "Region" not in outcome.valid.columns


@pytest.mark.parametrize(
    ("column", "value", "rule", "message"),
    [
        ("unit_price", "abc", "parse_float", "not a number: 'abc'"),
        ("unit_price", "$74.69", "parse_float", "currency symbols are not accepted"),
        ("unit_price", "1,234.5", "parse_float", "comma in a number is ambiguous"),
        ("quantity", "2.5", "parse_int", "not a whole number"),
        ("quantity", "-3", "greater_than(0)", "'-3' fails greater_than(0)"),
        ("date", "31/12/2019", "parse_date", "not a date in YYYY-MM-DD or M/D/YYYY"),
        ("date", "1/5/19", "parse_date", "not a date"),
        ("time", "25:61", "parse_time", "not a time in HH:MM"),
        ("rating", "10.5", "less_than_or_equal_to(10)", "fails less_than_or_equal_to(10)"),
        ("payment", "Bitcoin", "isin", "'Bitcoin' fails isin"),
        ("invoice_id", "12-345", "str_matches", "fails str_matches"),
        ("total", "9999", "total_equals_cogs_plus_tax", "total 9999.0 differs from cogs + tax_5pct"),
        ("branch", "", "parse_string", "empty value"),
    ],
)
def test_bad_cell_rejects_its_row_with_column_rule_and_value(tmp_path, column, value, rule, message) -> None:
    outcome = one_bad_cell(tmp_path, column, value, row=3)
    assert outcome.rejected_rows == 1 and outcome.valid.height == 5
    assert outcome.quarantine["row_number"].to_list() == [3]
    assert outcome.quarantine[column].to_list() == [value.strip() or None] or value == ""
    text = reasons(outcome)[3]
    assert f"{column} [{rule}" in text and message in text
    entries = [f for f in outcome.failure_summary() if f["column"] == column and f["rule"].startswith(rule)]
    assert len(entries) == 1 and entries[0]["count"] == 1 and entries[0]["example_rows"] == [3]


def test_duplicate_invoice_ids_reject_every_copy(tmp_path: Path) -> None:
    frame = sales_frame(6)
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 4)
        .then(pl.lit(frame["invoice_id"][1]))
        .otherwise(pl.col("invoice_id"))
        .alias("invoice_id")
    )
    outcome = validate_file(write(tmp_path, "dup.csv", csv_bytes(frame)), "dup.csv")
    assert outcome.quarantine["row_number"].to_list() == [2, 5]
    assert "appears more than once in the file (rows 2, 5)" in reasons(outcome)[2]
    assert outcome.valid.height == 4 and outcome.valid["invoice_id"].n_unique() == 4


def test_day_first_dates_follow_the_configured_order(tmp_path: Path) -> None:
    frame = sales_frame(3).with_columns(pl.col("date").dt.strftime("%-d/%-m/%Y"))
    path = write(tmp_path, "dmy.csv", csv_bytes(frame))
    dmy = validate_file(path, "dmy.csv", date_order="DMY")
    assert dmy.valid["date"].to_list() == sales_frame(3)["date"].to_list()
    mdy = validate_file(path, "dmy.csv", date_order="MDY")
    ambiguous = [d for d in sales_frame(3)["date"] if d.day <= 12]
    # Under MDY a day-first date either fails or reads differently: never silently "fixed".
    assert mdy.valid["date"].to_list() != dmy.valid["date"].to_list() or not ambiguous


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    outcome = validate_file(write(tmp_path, "bom.csv", b"\xef\xbb\xbf" + csv_bytes(sales_frame(5))), "bom.csv")
    assert outcome.valid.height == 5 and outcome.rejected_rows == 0


def test_latin1_bytes_reject_only_their_rows(tmp_path: Path) -> None:
    body = csv_bytes(sales_frame(5)).decode()
    lines = body.splitlines()
    lines[2] = (
        lines[2].replace("Yangon", "Yang\xf3n").replace("Mandalay", "Mandal\xe1y").replace("Naypyitaw", "Naypyit\xe1w")
    )
    outcome = validate_file(write(tmp_path, "latin1.csv", "\n".join(lines).encode("latin-1")), "latin1.csv")
    assert outcome.quarantine["row_number"].to_list() == [2]
    assert "city [parse_string]: bytes that are not valid UTF-8" in reasons(outcome)[2]
    assert outcome.valid.height == 4


def test_semicolon_separated_csv(tmp_path: Path) -> None:
    frame = sales_frame(4).with_columns(pl.col("date").dt.strftime("%Y-%m-%d")).rename(HEADERS)
    outcome = validate_file(write(tmp_path, "semi.csv", frame.write_csv(separator=";").encode()), "semi.csv")
    assert outcome.valid.height == 4


def test_parquet_with_wrong_dtypes(tmp_path: Path) -> None:
    frame = sales_frame(4).rename(HEADERS)
    as_text = frame.with_columns(
        pl.col("Quantity").cast(pl.String).replace({frame["Quantity"].cast(pl.String)[1]: "seven"})
    )
    as_text.write_parquet(tmp_path / "text.parquet")
    outcome = validate_file(tmp_path / "text.parquet", "text.parquet")
    assert outcome.quarantine["row_number"].to_list() == [2]
    assert "quantity [parse_int]: not a number: 'seven'" in reasons(outcome)[2]

    frame.with_columns(pl.col("Quantity") > 0).write_parquet(tmp_path / "bool.parquet")
    with pytest.raises(FileProblem, match="column 'quantity' is stored as Boolean, expected int"):
        validate_file(tmp_path / "bool.parquet", "bool.parquet")


def test_oversized_file_fails_before_reading(tmp_path: Path) -> None:
    path = write(tmp_path, "big.csv", csv_bytes(sales_frame(200)))
    with pytest.raises(FileProblem, match=r"over the 0 MiB limit.*") as caught:
        validate_file(path, "big.csv", max_bytes=1024)
    assert "SALES_MAX_FILE_MB" in caught.value.action


def test_valid_rows_are_never_changed(tmp_path: Path) -> None:
    frame = sales_frame(40)
    outcome = validate_file(write(tmp_path, "ok.csv", csv_bytes(frame)), "ok.csv")
    assert outcome.valid.drop("time").equals(frame.drop("time"))
    assert outcome.valid["time"].dt.strftime("%H:%M").to_list() == frame["time"].to_list()
