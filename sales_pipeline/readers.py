"""Local file -> polars frame for CSV, Excel (.xlsx / .xls) and Parquet.

The format is sniffed from the first bytes, not trusted from the extension. Text formats are read
as strings so that every cell reaches the contract's parse rules (and a bad cell fails its row,
not the file). Problems that make the whole file unusable raise ``FileProblem``.
"""

from __future__ import annotations

import zipfile
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


def _read_csv(path: Path, name: str) -> pl.DataFrame:
    try:
        return pl.read_csv(
            path,
            infer_schema=False,
            separator=_csv_separator(path),
            encoding="utf8-lossy",
        )
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FileProblem(
            name, f"not readable as CSV ({first})", "Check that every row has the same number of fields."
        ) from exc


def _read_excel(path: Path, name: str, fmt: str) -> pl.DataFrame:
    if fmt == XLSX:
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
    try:
        # All cells as text: the contract's parse rules decide per cell, so one bad cell fails one row.
        return pl.read_excel(path, sheet_id=1, infer_schema_length=0, raise_if_empty=False)
    except Exception as exc:  # calamine raises its own exception types per problem
        raise FileProblem(
            name,
            f"the Excel workbook could not be read ({str(exc).splitlines()[0][:200]})",
            "Re-export it from Excel and upload again.",
        ) from exc


def _read_parquet(path: Path, name: str) -> pl.DataFrame:
    try:
        return pl.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - any decoder error means an unusable file
        raise FileProblem(
            name,
            f"the Parquet file could not be read ({str(exc).splitlines()[0][:200]})",
            "Re-write it and upload again.",
        ) from exc


def read_table(path: Path, name: str) -> tuple[pl.DataFrame, str]:
    """Read a local file; returns the frame and the detected format."""
    fmt = sniff_format(path, name)
    if fmt == CSV:
        frame = _read_csv(path, name)
    elif fmt == PARQUET:
        frame = _read_parquet(path, name)
    else:
        frame = _read_excel(path, name, fmt)
    if frame.width == 0 or (frame.width == 1 and not frame.columns[0].strip()):
        raise FileProblem(name, f"no header row found in this {fmt} file", "The first row must name the columns.")
    if frame.height == 0:
        raise FileProblem(name, f"the {fmt} file has a header but no data rows", "Upload a file with at least one row.")
    return frame, fmt
