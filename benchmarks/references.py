"""What the validate stage is measured against, applying the same rules as the contract.

- floor: raw Polars, CSV -> Parquet with no parsing or checks (the fastest possible stage);
- pandas_pandera: the common alternative, pandas read_csv + a pandera (pandas) schema;
- polars_rules: the contract's row rules as hand-written Polars expressions (no pandera).

Unique invoice ids are a file-level rule (sales_pipeline.uniqueness): pandas checks them on the
whole file too; the "validation alone" comparison covers the row rules only.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import polars as pl

from sales_pipeline.contract import ALLOWED, CANONICAL_COLUMNS, CENT, INVOICE_PATTERN, normalise_header

NUMBERS = ["unit_price", "quantity", "tax_5pct", "total", "cogs", "gross_margin_pct", "gross_income", "rating"]


def floor(source: Path, out: Path) -> dict:
    pl.scan_csv(source, infer_schema=False).sink_parquet(out)
    return {}


def _near(left: pd.Series, right: pd.Series) -> pd.Series:
    return (left - right).abs() <= CENT + 1e-9


PANDAS_SCHEMA = pa.DataFrameSchema(
    {
        "invoice_id": pa.Column(str, [pa.Check.str_matches(INVOICE_PATTERN)]),
        **{name: pa.Column(str, pa.Check.isin(values)) for name, values in ALLOWED.items()},
        "unit_price": pa.Column(float, pa.Check.ge(0)),
        "quantity": pa.Column(float, [pa.Check.gt(0), pa.Check(lambda s: s == s.round(0), name="whole")]),
        "tax_5pct": pa.Column(float, pa.Check.ge(0)),
        "total": pa.Column(float, pa.Check.ge(0)),
        "cogs": pa.Column(float, pa.Check.ge(0)),
        "gross_margin_pct": pa.Column(float, pa.Check.in_range(0, 100)),
        "gross_income": pa.Column(float, pa.Check.ge(0)),
        "rating": pa.Column(float, pa.Check.in_range(0, 10)),
        "date": pa.Column("datetime64[ns]"),
        "time": pa.Column("datetime64[ns]"),
    },
    checks=[
        pa.Check(lambda d: _near(d["cogs"], d["unit_price"] * d["quantity"]), name="cogs"),
        pa.Check(lambda d: _near(d["tax_5pct"], d["cogs"] * 0.05), name="tax"),
        pa.Check(lambda d: _near(d["total"], d["cogs"] + d["tax_5pct"]), name="total"),
        pa.Check(lambda d: _near(d["gross_income"], d["total"] - d["cogs"]), name="gross_income"),
    ],
)


def pandas_pandera(source: Path, out: Path) -> dict:
    frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    frame.columns = [normalise_header(c) for c in frame.columns]
    frame = frame[CANONICAL_COLUMNS]
    ids = frame["invoice_id"].str.strip()
    repeated = ids.duplicated(keep=False) & (ids != "")  # file-level, as in sales_pipeline.uniqueness
    for name in NUMBERS:
        frame[name] = pd.to_numeric(frame[name].str.strip(), errors="coerce")
    iso = pd.to_datetime(frame["date"], format="%Y-%m-%d", errors="coerce")
    frame["date"] = iso.fillna(pd.to_datetime(frame["date"], format="%m/%d/%Y", errors="coerce"))
    frame["time"] = pd.to_datetime(frame["time"], format="%H:%M", errors="coerce")
    unparsed = frame[NUMBERS + ["date", "time"]].isna().any(axis=1)
    parsed = frame[~unparsed & ~repeated]
    try:
        PANDAS_SCHEMA.validate(parsed, lazy=True)
        bad = set()
    except pa.errors.SchemaErrors as errors:
        bad = set(errors.failure_cases["index"].dropna().astype(int))
    valid = parsed.drop(index=list(bad))
    valid.to_parquet(out)
    return {"valid_rows": len(valid), "rejected_rows": len(frame) - len(valid)}


def polars_rules(typed: pl.DataFrame) -> pl.Series:
    """The contract's row rules as plain expressions; True where a row breaks any of them."""
    col = pl.col

    def near(a: pl.Expr, b: pl.Expr) -> pl.Expr:
        return (a - b).abs() <= CENT + 1e-9

    ok = [
        col("invoice_id").str.contains(INVOICE_PATTERN),
        *(col(name).is_in(values) for name, values in ALLOWED.items()),
        *(col(name) >= 0 for name in ["unit_price", "tax_5pct", "total", "cogs", "gross_income"]),
        col("quantity") > 0,
        col("gross_margin_pct").is_between(0, 100),
        col("rating").is_between(0, 10),
        near(col("cogs"), col("unit_price") * col("quantity")),
        near(col("tax_5pct"), col("cogs") * 0.05),
        near(col("total"), col("cogs") + col("tax_5pct")),
        near(col("gross_income"), col("total") - col("cogs")),
    ]
    return typed.select(~pl.all_horizontal(ok)).to_series()
