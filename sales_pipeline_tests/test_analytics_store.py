"""Both analytics stores (DuckDB file, real local Druid) against validated Parquet in a real S3 endpoint."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest

from sales_pipeline.layout import druid_key_for
from sales_pipeline.stores.base import StoreError, table_name, to_base_rows
from sales_pipeline.stores.druid.handoff import validated_druid_lines

from .conftest import ENGINES
from .samples import sales_frame


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


def put_day_objects(lake, frame: pl.DataFrame, file_id: str, datasource: str) -> list[str]:
    """Day objects as sales_parquet writes them: validated Parquet plus its Druid sibling."""
    keys = []
    for (day,), part in (
        frame.with_columns(pl.col("time").str.to_time("%H:%M")).partition_by("date", as_dict=True).items()
    ):
        key = f"validated/{datasource}/date={day.isoformat()}/{file_id}.parquet"
        rows = part.with_columns(pl.lit(file_id).alias("file_id"))
        lake.write_parquet(rows, key)
        lake.put_bytes(druid_key_for(key), validated_druid_lines(rows))
        keys.append(key)
    return keys


def days_of(frame: pl.DataFrame) -> list[str]:
    return sorted({d.isoformat() for d in frame["date"]})


def test_replace_days_loads_rows_with_time_column(lake, store, datasource) -> None:
    frame = sales_frame(50, days=3)
    keys = put_day_objects(lake, frame, "f1", datasource)
    result = store.replace_days(datasource, days_of(frame), keys)
    assert result.rows_loaded == 50 and result.days_replaced == days_of(frame)
    loaded = store.query(
        f"SELECT COUNT(*) AS n, SUM(total) AS t, MIN(__time) AS first FROM {table_name(datasource)}"
    ).row(0)
    assert loaded[0] == 50 and loaded[1] == pytest.approx(frame["total"].sum())
    first = frame.sort("date", "time").row(0, named=True)
    assert loaded[2] == datetime.fromisoformat(f"{first['date']}T{first['time']}")


def test_replacing_a_day_leaves_other_days_alone(lake, store, datasource) -> None:
    frame = sales_frame(60, days=3)
    store.replace_days(datasource, days_of(frame), put_day_objects(lake, frame, "f1", datasource))
    day = days_of(frame)[1]
    newer = sales_frame(7, seed=9, start=date.fromisoformat(day), days=1)
    store.replace_days(datasource, [day], put_day_objects(lake, newer, "f2", datasource))
    per_day = store.query(
        f"SELECT CAST(__time AS DATE) AS d, COUNT(*) AS n FROM {table_name(datasource)} GROUP BY CAST(__time AS DATE)"
    )
    expected = frame.filter(pl.col("date") != date.fromisoformat(day)).group_by("date").len()
    counts = dict(per_day.iter_rows())
    assert counts[date.fromisoformat(day)] == 7
    for d, n in expected.iter_rows():
        assert counts[d] == n


def test_replacing_with_no_objects_empties_the_days(lake, store, datasource) -> None:
    frame = sales_frame(20, days=2)
    store.replace_days(datasource, days_of(frame), put_day_objects(lake, frame, "f1", datasource))
    store.replace_days(datasource, days_of(frame)[:1], [])
    remaining = store.query(f"SELECT COUNT(*) FROM {table_name(datasource)}").item()
    assert remaining == frame.filter(pl.col("date") != frame["date"].min()).height


def test_rows_outside_the_replaced_days_are_refused(lake, store, datasource) -> None:
    frame = sales_frame(20, days=2)
    keys = put_day_objects(lake, frame, "f1", datasource)
    with pytest.raises(StoreError, match="fall outside the days being replaced"):
        store.replace_days(datasource, days_of(frame)[:1], keys)
    assert datasource not in store.datasources()["name"].to_list(), "nothing is half-loaded"


def test_query_binds_parameters_and_treats_sql_in_values_as_data(lake, store, datasource) -> None:
    frame = sales_frame(30, days=2)
    store.replace_days(datasource, days_of(frame), put_day_objects(lake, frame, "f1", datasource))
    one = store.query(f"SELECT COUNT(*) FROM {table_name(datasource)} WHERE branch = ?", ["A"]).item()
    assert one == frame.filter(pl.col("branch") == "A").height
    hostile = store.query(f"SELECT COUNT(*) FROM {table_name(datasource)} WHERE branch = ?", ["A' OR '1'='1"]).item()
    assert hostile == 0
    assert store.query(f"SELECT COUNT(*) FROM {table_name(datasource)}").item() == 30


def test_summary_and_frame_tables_and_listing(lake, store, datasource) -> None:
    frame = sales_frame(40, days=4)
    store.replace_days(datasource, days_of(frame), put_day_objects(lake, frame, "f1", datasource))
    rows = store.replace_table(
        f"{datasource}_per_branch",
        f"SELECT MIN(__time) AS __time, branch, SUM(total) AS revenue FROM {table_name(datasource)} GROUP BY branch",
    )
    assert rows == frame["branch"].n_unique()
    store.write_table(f"{datasource}_notes", pl.DataFrame({"__time": [datetime(2019, 1, 1)], "note": ["x"]}))
    listing = {r["name"]: r for r in store.datasources().to_dicts()}
    assert listing[datasource]["rows"] == 40 and listing[f"{datasource}_notes"]["rows"] == 1
    assert listing[datasource]["min_time"].date() == frame["date"].min()


@pytest.mark.parametrize("name", ['sales"; DROP TABLE x; --', "1abc", "", "a b"])
def test_unsafe_table_names_are_refused(name: str) -> None:
    with pytest.raises(StoreError, match="invalid datasource/table name"):
        table_name(name)


def test_base_rows_combine_date_and_time() -> None:
    frame = sales_frame(3).with_columns(pl.col("time").str.to_time("%H:%M"), pl.lit("f").alias("file_id"))
    base = to_base_rows(frame)
    assert base.columns[0] == "__time" and "date" not in base.columns and "time" not in base.columns
    assert base["__time"].dt.date().to_list() == frame["date"].to_list()
