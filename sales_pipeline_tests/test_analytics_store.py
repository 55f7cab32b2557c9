"""DuckDBStore, the embedded analytics store, against validated Parquet in a real S3 endpoint."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest

from sales_pipeline.stores.base import StoreError, table_name, to_base_rows

from .samples import sales_frame


def put_day_objects(lake, frame: pl.DataFrame, file_id: str) -> list[str]:
    keys = []
    for (day,), part in (
        frame.with_columns(pl.col("time").str.to_time("%H:%M")).partition_by("date", as_dict=True).items()
    ):
        key = f"validated/sales/date={day.isoformat()}/{file_id}.parquet"
        lake.write_parquet(part.with_columns(pl.lit(file_id).alias("file_id")), key)
        keys.append(key)
    return keys


def days_of(frame: pl.DataFrame) -> list[str]:
    return sorted({d.isoformat() for d in frame["date"]})


def test_replace_days_loads_rows_with_time_column(lake, store) -> None:
    frame = sales_frame(50, days=3)
    keys = put_day_objects(lake, frame, "f1")
    result = store.replace_days("sales", days_of(frame), keys)
    assert result.rows_loaded == 50 and result.days_replaced == days_of(frame)
    loaded = store.query('SELECT COUNT(*) AS n, SUM(total) AS t, MIN(__time) AS first FROM "sales"').row(0)
    assert loaded[0] == 50 and loaded[1] == pytest.approx(frame["total"].sum())
    first = frame.sort("date", "time").row(0, named=True)
    assert loaded[2] == datetime.fromisoformat(f"{first['date']}T{first['time']}")


def test_replacing_a_day_leaves_other_days_alone(lake, store) -> None:
    frame = sales_frame(60, days=3)
    store.replace_days("sales", days_of(frame), put_day_objects(lake, frame, "f1"))
    day = days_of(frame)[1]
    newer = sales_frame(7, seed=9, start=date.fromisoformat(day), days=1)
    store.replace_days("sales", [day], put_day_objects(lake, newer, "f2"))
    per_day = store.query('SELECT CAST(__time AS DATE) AS d, COUNT(*) AS n FROM "sales" GROUP BY 1 ORDER BY 1')
    expected = frame.filter(pl.col("date") != date.fromisoformat(day)).group_by("date").len()
    counts = dict(per_day.iter_rows())
    assert counts[date.fromisoformat(day)] == 7
    for d, n in expected.iter_rows():
        assert counts[d] == n


def test_replacing_with_no_objects_empties_the_days(lake, store) -> None:
    frame = sales_frame(20, days=2)
    store.replace_days("sales", days_of(frame), put_day_objects(lake, frame, "f1"))
    store.replace_days("sales", days_of(frame)[:1], [])
    remaining = store.query('SELECT COUNT(*) FROM "sales"').item()
    assert remaining == frame.filter(pl.col("date") != frame["date"].min()).height


def test_rows_outside_the_replaced_days_are_refused(lake, store) -> None:
    frame = sales_frame(20, days=2)
    keys = put_day_objects(lake, frame, "f1")
    with pytest.raises(StoreError, match="fall outside the days being replaced"):
        store.replace_days("sales", days_of(frame)[:1], keys)
    assert "sales" not in store.datasources()["name"].to_list(), "nothing is half-loaded"


def test_query_binds_parameters_and_treats_sql_in_values_as_data(lake, store) -> None:
    frame = sales_frame(30, days=2)
    store.replace_days("sales", days_of(frame), put_day_objects(lake, frame, "f1"))
    one = store.query('SELECT COUNT(*) FROM "sales" WHERE branch = ?', ["A"]).item()
    assert one == frame.filter(pl.col("branch") == "A").height
    hostile = store.query('SELECT COUNT(*) FROM "sales" WHERE branch = ?', ["A' OR '1'='1"]).item()
    assert hostile == 0
    assert store.query('SELECT COUNT(*) FROM "sales"').item() == 30


def test_summary_and_frame_tables_and_listing(lake, store) -> None:
    frame = sales_frame(40, days=4)
    store.replace_days("sales", days_of(frame), put_day_objects(lake, frame, "f1"))
    rows = store.replace_table(
        "per_branch", 'SELECT MIN(__time) AS __time, branch, SUM(total) AS revenue FROM "sales" GROUP BY branch'
    )
    assert rows == frame["branch"].n_unique()
    store.write_table("notes", pl.DataFrame({"__time": [datetime(2019, 1, 1)], "note": ["x"]}))
    listing = {r["name"]: r for r in store.datasources().to_dicts()}
    assert listing["sales"]["rows"] == 40 and listing["notes"]["rows"] == 1
    assert listing["sales"]["min_time"].date() == frame["date"].min()


@pytest.mark.parametrize("name", ['sales"; DROP TABLE x; --', "1abc", "", "a b"])
def test_unsafe_table_names_are_refused(name: str) -> None:
    with pytest.raises(StoreError, match="invalid datasource/table name"):
        table_name(name)


def test_base_rows_combine_date_and_time() -> None:
    frame = sales_frame(3).with_columns(pl.col("time").str.to_time("%H:%M"), pl.lit("f").alias("file_id"))
    base = to_base_rows(frame)
    assert base.columns[0] == "__time" and "date" not in base.columns and "time" not in base.columns
    assert base["__time"].dt.date().to_list() == frame["date"].to_list()
