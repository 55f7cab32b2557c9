"""The canonical sales contract.

Two layers:
1. Parsing (``parse_rules``): each incoming column is turned into its canonical type by an
   explicit rule. A value that does not fit the rule becomes a row-level failure with a reason;
   nothing is guessed (no currency stripping, no swapping day and month, no 2-digit years).
2. Validation (``SalesContract``): a pandera.polars model with ranges, allowed sets, the invoice
   id format and the cross-field arithmetic of the layout. Files are validated in batches, so
   the one rule that spans the whole file, unique invoice ids, lives in ``uniqueness``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

CENT = 0.01

STRING, FLOAT, INT, DATE, TIME = "string", "float", "int", "date", "time"

COLUMN_TYPES: dict[str, str] = {
    "invoice_id": STRING,
    "branch": STRING,
    "city": STRING,
    "customer_type": STRING,
    "gender": STRING,
    "product_line": STRING,
    "unit_price": FLOAT,
    "quantity": INT,
    "tax_5pct": FLOAT,
    "total": FLOAT,
    "date": DATE,
    "time": TIME,
    "payment": STRING,
    "cogs": FLOAT,
    "gross_margin_pct": FLOAT,
    "gross_income": FLOAT,
    "rating": FLOAT,
}
CANONICAL_COLUMNS = list(COLUMN_TYPES)

POLARS_TYPES = {STRING: pl.String, FLOAT: pl.Float64, INT: pl.Int64, DATE: pl.Date, TIME: pl.Time}

# Allowed sets, as found in the supermarket-sales layout. Extend here for new branches.
ALLOWED = {
    "branch": ["A", "B", "C"],
    "city": ["Yangon", "Mandalay", "Naypyitaw"],
    "customer_type": ["Member", "Normal"],
    "gender": ["Female", "Male"],
    "product_line": [
        "Electronic accessories",
        "Fashion accessories",
        "Food and beverages",
        "Health and beauty",
        "Home and lifestyle",
        "Sports and travel",
    ],
    "payment": ["Cash", "Credit card", "Ewallet"],
}

# Normalised header -> canonical name, for headers that do not normalise to the name itself.
HEADER_ALIASES = {
    "invoice": "invoice_id",
    "tax_5": "tax_5pct",
    "tax": "tax_5pct",
    "gross_margin_percentage": "gross_margin_pct",
    "gross_margin": "gross_margin_pct",
    "unitprice": "unit_price",
    "customertype": "customer_type",
    "productline": "product_line",
}

INVOICE_PATTERN = r"^\d{3}-\d{2}-\d{4}$"
_CURRENCY = r"[$€£¥₹₩฿]|\b(USD|EUR|GBP|MMK|K)\b"


def normalise_header(header: str) -> str:
    """'Tax 5%' -> 'tax_5pct', ' Invoice ID' -> 'invoice_id', 'gross margin percentage' -> alias."""
    text = header.replace("\ufeff", "").strip().lower().replace("%", "pct")
    text = re.sub(r"[^a-z0-9]+", "_", text).strip("_")
    text = re.sub(r"(\d)_pct$", r"\1pct", text)
    return HEADER_ALIASES.get(text, text)


@dataclass(frozen=True)
class HeaderMapping:
    rename: dict[str, str]  # original header -> canonical name
    missing: list[str]
    ignored: list[str]
    duplicated: dict[str, list[str]]  # canonical name -> the headers that map to it


def map_headers(headers: list[str]) -> HeaderMapping:
    by_name: dict[str, list[str]] = {}
    for header in headers:
        by_name.setdefault(normalise_header(header), []).append(header)
    rename = {h[0]: name for name, h in by_name.items() if name in COLUMN_TYPES and len(h) == 1}
    return HeaderMapping(
        rename=rename,
        missing=[c for c in CANONICAL_COLUMNS if c not in by_name],
        ignored=[h for name, hs in by_name.items() if name not in COLUMN_TYPES for h in hs],
        duplicated={n: hs for n, hs in by_name.items() if n in COLUMN_TYPES and len(hs) > 1},
    )


@dataclass(frozen=True)
class ParseRule:
    """How one column becomes its canonical type.

    ``invalid`` is a cheap boolean over every row; ``message`` explains a failure and is only
    evaluated on the (few) rows where ``invalid`` is true, which keeps parsing fast.
    """

    value: pl.Expr
    invalid: pl.Expr
    message: pl.Expr
    rule: str


class UnsupportedColumnType(TypeError):
    """A typed source (Parquet) stores a column in a type no rule can convert."""


def _quoted(col: pl.Expr) -> pl.Expr:
    return pl.lit("'") + col.cast(pl.String).str.slice(0, 60) + pl.lit("'")


def _number_from_text(text: pl.Expr, integer: bool) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    number = text.cast(pl.Float64, strict=False)
    invalid = number.is_null() | ~number.is_finite()
    message = (
        pl.when(text.str.contains(_CURRENCY))
        .then(pl.lit("currency symbols are not accepted, got ") + _quoted(text))
        .when(text.str.contains(",", literal=True))
        .then(pl.lit("comma in a number is ambiguous (thousands or decimal?), got ") + _quoted(text))
        .when(invalid)
        .then(pl.lit("not a number: ") + _quoted(text))
        .otherwise(pl.lit("not a whole number: ") + _quoted(text))
    )
    if integer:
        return number.cast(pl.Int64, strict=False), invalid | (number != number.round(0)), message
    return number, invalid, message


def _date_from_text(text: pl.Expr, date_order: str) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    slash_format = "%m/%d/%Y" if date_order == "MDY" else "%d/%m/%Y"
    label = "M/D/YYYY" if date_order == "MDY" else "D/M/YYYY"
    value = pl.coalesce(
        text.str.strptime(pl.Date, "%Y-%m-%d", strict=False),
        text.str.strptime(pl.Datetime, "%Y-%m-%d %H:%M:%S", strict=False).dt.date(),  # Excel date cells
        text.str.strptime(pl.Date, slash_format, strict=False),
    )
    invalid = value.is_null() | (value.dt.year() < 1000)  # chrono reads '1/5/19' as year 19
    return value, invalid, pl.lit(f"not a date in YYYY-MM-DD or {label}: ") + _quoted(text)


def _time_from_text(text: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    value = pl.coalesce(
        text.str.strptime(pl.Time, "%H:%M", strict=False), text.str.strptime(pl.Time, "%H:%M:%S", strict=False)
    )
    return value, value.is_null(), pl.lit("not a time in HH:MM: ") + _quoted(text)


def _from_text(name: str, kind: str, date_order: str) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    text = pl.col(name)
    if kind == STRING:
        return text, pl.lit(False), pl.lit("invalid text")
    if kind in (FLOAT, INT):
        return _number_from_text(text, integer=kind == INT)
    if kind == DATE:
        return _date_from_text(text, date_order)
    return _time_from_text(text)


def _from_typed(name: str, kind: str, dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    col = pl.col(name)
    if kind == STRING:
        return col.cast(pl.String), pl.lit(False), pl.lit("invalid text")
    if kind in (FLOAT, INT) and dtype.is_numeric():
        as_float = col.cast(pl.Float64)
        if kind == FLOAT:
            return as_float, ~as_float.is_finite(), pl.lit("not a finite number: ") + _quoted(col)
        whole = as_float == as_float.round(0)
        return col.cast(pl.Int64, strict=False), ~whole, pl.lit("not a whole number: ") + _quoted(col)
    if kind == DATE and (dtype == pl.Date or isinstance(dtype, pl.Datetime)):
        return col.cast(pl.Date), pl.lit(False), pl.lit("invalid date")
    if kind == TIME and dtype == pl.Time:
        return col, pl.lit(False), pl.lit("invalid time")
    if kind == TIME and isinstance(dtype, pl.Datetime):
        return col.dt.time(), pl.lit(False), pl.lit("invalid time")
    raise UnsupportedColumnType(f"column {name!r} is stored as {dtype}, expected {kind}")


def strip_text(schema: pl.Schema) -> list[pl.Expr]:
    """Surrounding whitespace off every canonical text column: the step before ``parse_rules``.

    Materialising the stripped text once is what keeps parsing cheap: each rule reads a column
    several times (emptiness, the cast, the failure check), and stripping inside every rule
    repeated that work per use.
    """
    return [pl.col(name).str.strip_chars() for name in COLUMN_TYPES if schema[name] == pl.String]


def parse_rules(schema: pl.Schema, date_order: str = "MDY", lossy_text: bool = False) -> dict[str, ParseRule]:
    """One rule per canonical column of a frame whose columns carry canonical names and whose
    text columns went through ``strip_text``.

    Empty cells fail before the type rule is tried. ``lossy_text`` says the text was decoded with
    replacement characters (the file was not valid UTF-8): cells holding one then fail too.
    """
    rules = {}
    for name, kind in COLUMN_TYPES.items():
        dtype = schema[name]
        if dtype == pl.String:
            value, invalid, message = _from_text(name, kind, date_order)
            text = pl.col(name)
            empty = text.is_null() | (text == "")
            invalid = empty | invalid
            message = pl.when(empty).then(pl.lit("empty value")).otherwise(message)
            if lossy_text:
                undecodable = text.str.contains("\ufffd", literal=True)
                invalid = invalid | undecodable
                message = (
                    pl.when(undecodable)
                    .then(pl.lit("bytes that are not valid UTF-8 (save the file as UTF-8)"))
                    .otherwise(message)
                )
        else:
            value, invalid, message = _from_typed(name, kind, dtype)
            empty = pl.col(name).is_null()
            invalid = empty | invalid.fill_null(False)
            message = pl.when(empty).then(pl.lit("empty value")).otherwise(message)
        rules[name] = ParseRule(value.alias(name), invalid.fill_null(True), message, rule=f"parse_{kind}")
    return rules


def _near(left: pl.Expr, right: pl.Expr) -> pl.Expr:
    return (left - right).abs() <= CENT + 1e-9


class SalesContract(pa.DataFrameModel):
    """Row rules of the canonical layout (values are already typed by the parse rules)."""

    invoice_id: str = pa.Field(str_matches=INVOICE_PATTERN)  # unique in the file: see uniqueness.py
    branch: str = pa.Field(isin=ALLOWED["branch"])
    city: str = pa.Field(isin=ALLOWED["city"])
    customer_type: str = pa.Field(isin=ALLOWED["customer_type"])
    gender: str = pa.Field(isin=ALLOWED["gender"])
    product_line: str = pa.Field(isin=ALLOWED["product_line"])
    unit_price: float = pa.Field(ge=0)
    quantity: int = pa.Field(gt=0)
    tax_5pct: float = pa.Field(ge=0)
    total: float = pa.Field(ge=0)
    date: pl.Date
    time: pl.Time
    payment: str = pa.Field(isin=ALLOWED["payment"])
    cogs: float = pa.Field(ge=0)
    gross_margin_pct: float = pa.Field(ge=0, le=100)
    gross_income: float = pa.Field(ge=0)
    rating: float = pa.Field(ge=0, le=10)

    class Config:
        strict = False  # bookkeeping columns such as source_row ride along
        coerce = False

    @pa.dataframe_check
    def cogs_equals_unit_price_times_quantity(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(_near(pl.col("cogs"), pl.col("unit_price") * pl.col("quantity")))

    @pa.dataframe_check
    def tax_is_5pct_of_cogs(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(_near(pl.col("tax_5pct"), pl.col("cogs") * 0.05))

    @pa.dataframe_check
    def total_equals_cogs_plus_tax(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(_near(pl.col("total"), pl.col("cogs") + pl.col("tax_5pct")))

    @pa.dataframe_check
    def gross_income_equals_total_minus_cogs(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(_near(pl.col("gross_income"), pl.col("total") - pl.col("cogs")))


# The column a row-wise dataframe check is reported against.
CHECK_COLUMNS = {
    "cogs_equals_unit_price_times_quantity": "cogs",
    "tax_is_5pct_of_cogs": "tax_5pct",
    "total_equals_cogs_plus_tax": "total",
    "gross_income_equals_total_minus_cogs": "gross_income",
}
