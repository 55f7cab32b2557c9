"""Local file -> polars frames in batches, for CSV, Excel (.xlsx / .xls) and Parquet.

The format is sniffed from the first bytes, not trusted from the extension. Text formats are read
as strings so that every cell reaches the contract's parse rules (and a bad cell fails its row,
not the file). Problems that make the whole file unusable raise ``FileProblem``.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

CSV, XLSX, XLS, PARQUET = "csv", "xlsx", "xls", "parquet"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SEPARATORS = (",", ";", "\t", "|")


class FileProblem(Exception):
    """The whole file cannot be used. Carries what went wrong and what the user can do."""

    def __init__(self, file: str, problem: str, action: str) -> None:
        super().__init__(f"{file}: {problem}. {action}")
        self.file, self.problem, self.action = file, problem, action


def detect_format(head: bytes) -> str:
    """Format from the first bytes: Parquet and Excel have magic numbers; anything else is text."""
    if head.startswith(b"PAR1"):
        return PARQUET
    if head.startswith(_OLE2):
        return XLS
    if head.startswith(b"PK\x03\x04"):
        return XLSX
    return CSV


def sniff_format(path: Path, name: str) -> str:
    with path.open("rb") as handle:
        head = handle.read(8)
    if not head:
        raise FileProblem(name, "the file is empty (0 bytes)", "Upload the file again; the copy in S3 has no content.")
    return detect_format(head)


def _csv_separator(path: Path) -> str:
    with path.open("rb") as handle:
        first_line = handle.readline(64 * 1024).decode("utf-8", errors="replace")
    counts = {sep: first_line.count(sep) for sep in _SEPARATORS}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


class NotUtf8(Exception):
    """The CSV is not valid UTF-8; the caller re-opens it with lossy decoding."""


_READ_ERRORS = (pl.exceptions.PolarsError, OSError)


@dataclass
class SourceTable:
    """An opened file: its format, its columns, and a lazy query over its rows.

    ``problem`` turns a reader error into what the caller should see (``FileProblem`` or
    ``NotUtf8``); errors can surface at any batch, since the file is read as it is consumed.
    """

    name: str
    format: str
    schema: pl.Schema
    query: pl.LazyFrame
    problem: Callable[[Exception], Exception]

    def batches(self, rows: int) -> Iterator[pl.DataFrame]:
        """The rows in order, as frames of at most ``rows`` rows, read while they are consumed."""
        try:
            yield from self.query.collect_batches(chunk_size=rows, lazy=True)
        except _READ_ERRORS as exc:
            raise self.problem(exc) from exc

    def column(self, header: str) -> pl.Series:
        """One whole column: the reader parses only that column into memory."""
        try:
            return self.query.select(header).collect(engine="streaming").to_series()
        except _READ_ERRORS as exc:
            raise self.problem(exc) from exc

    def has_rows(self) -> bool:
        try:
            return self.query.head(1).collect().height > 0
        except _READ_ERRORS as exc:
            raise self.problem(exc) from exc


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def _csv_problem(name: str, lossy: bool) -> Callable[[Exception], Exception]:
    def problem(exc: Exception) -> Exception:
        if not lossy and "utf-8" in str(exc).lower():
            return NotUtf8(name)
        return FileProblem(
            name, f"not readable as CSV ({_first_line(exc)})", "Check that every row has the same number of fields."
        )

    return problem


def _open_csv(path: Path, name: str, lossy: bool) -> SourceTable:
    query = pl.scan_csv(
        path, infer_schema=False, separator=_csv_separator(path), encoding="utf8-lossy" if lossy else "utf8"
    )
    problem = _csv_problem(name, lossy)
    try:
        schema = query.collect_schema()
    except _READ_ERRORS as exc:
        raise problem(exc) from exc
    return SourceTable(name, CSV, schema, query, problem)


def _check_workbook(path: Path, name: str) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            if "xl/workbook.xml" not in archive.namelist():
                raise FileProblem(
                    name, "a zip archive that is not an Excel workbook", "Upload .xlsx, .xls, .csv or .parquet."
                )
    except zipfile.BadZipFile as exc:
        raise FileProblem(
            name,
            "the Excel file is truncated or corrupt (bad zip structure)",
            "Re-export it from Excel and upload again.",
        ) from exc


def _excel_problem(name: str) -> Callable[[Exception], Exception]:
    return lambda exc: FileProblem(
        name, f"the Excel workbook could not be read ({_first_line(exc)})", "Re-export it from Excel and upload again."
    )


def _open_excel(path: Path, name: str, fmt: str) -> SourceTable:
    """Excel is read whole (calamine has no row streaming); sheets are far smaller than CSVs."""
    if fmt == XLSX:
        _check_workbook(path, name)
    try:
        # All cells as text: the contract's parse rules decide per cell, so one bad cell fails one row.
        frame = pl.read_excel(path, sheet_id=1, infer_schema_length=0, raise_if_empty=False)
    except Exception as exc:  # calamine raises its own exception types per problem
        raise _excel_problem(name)(exc) from exc
    return SourceTable(name, fmt, frame.schema, frame.lazy(), _excel_problem(name))


def _parquet_problem(name: str) -> Callable[[Exception], Exception]:
    return lambda exc: FileProblem(
        name, f"the Parquet file could not be read ({_first_line(exc)})", "Re-write it and upload again."
    )


def _open_parquet(path: Path, name: str) -> SourceTable:
    query = pl.scan_parquet(path)
    try:
        schema = query.collect_schema()
    except Exception as exc:  # noqa: BLE001 - any decoder error means an unusable file
        raise _parquet_problem(name)(exc) from exc
    return SourceTable(name, PARQUET, schema, query, _parquet_problem(name))


def open_table(path: Path, name: str, lossy: bool = False) -> SourceTable:
    """Open a local file. ``lossy`` decodes a CSV that is not valid UTF-8 with replacement
    characters; without it such a CSV raises ``NotUtf8``, possibly only when a late batch is read."""
    fmt = sniff_format(path, name)
    if fmt == CSV:
        table = _open_csv(path, name, lossy)
    elif fmt == PARQUET:
        table = _open_parquet(path, name)
    else:
        table = _open_excel(path, name, fmt)
    columns = table.schema.names()
    if not columns or (len(columns) == 1 and not columns[0].strip()):
        raise FileProblem(name, f"no header row found in this {fmt} file", "The first row must name the columns.")
    if not table.has_rows():
        raise FileProblem(name, f"the {fmt} file has a header but no data rows", "Upload a file with at least one row.")
    return table
