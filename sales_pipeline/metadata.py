"""Helpers that turn frames and reports into Dagster metadata values."""

from __future__ import annotations

from typing import Any

import dagster as dg
import polars as pl


def markdown_table(rows: list[dict[str, Any]], max_rows: int = 20) -> dg.MetadataValue:
    if not rows:
        return dg.MetadataValue.md("_none_")
    headers = list(rows[0])
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for row in rows[:max_rows]:
        cells = (str(row[h]).replace("|", "\\|").replace("\n", " ") for h in headers)
        lines.append("| " + " | ".join(cells) + " |")
    if len(rows) > max_rows:
        lines.append(f"\n_{len(rows) - max_rows} more not shown_")
    return dg.MetadataValue.md("\n".join(lines))


def preview(frame: pl.DataFrame, rows: int = 10) -> dg.MetadataValue:
    return markdown_table(frame.head(rows).cast({c: pl.String for c in frame.columns}).to_dicts(), rows)


def table_schema(schema: pl.Schema) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(name, str(dtype)) for name, dtype in schema.items()])
