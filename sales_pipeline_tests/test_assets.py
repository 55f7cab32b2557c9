"""Ingest assets against a real S3 endpoint (moto server on loopback)."""

from __future__ import annotations

import gzip
import hashlib
from datetime import date

import dagster as dg
import polars as pl
import pytest

from sales_pipeline.assets.ingest import raw_upload
from sales_pipeline.contract import CANONICAL_COLUMNS
from sales_pipeline.generate import with_defects
from sales_pipeline.resources.contract import ContractSettings

from .conftest import drop, ingest, list_keys, materialization_metadata
from .samples import csv_bytes, defective_csv, file_bytes, sales_frame


def test_raw_upload_archives_fingerprints_and_clears_landing(lake, resources) -> None:
    body = csv_bytes(sales_frame(10))
    landing_key = drop(lake, "sales/jan.csv", body)
    etag = lake.head(landing_key)["ETag"].strip('"')
    context = dg.build_asset_context(partition_key="sales/jan.csv")
    result = raw_upload(context, lake=lake)
    meta = result.metadata
    assert meta["sha256"] == hashlib.sha256(body).hexdigest()
    assert meta["size_bytes"] == len(body) and meta["format"] == "csv" and meta["etag"] == etag
    archived = lake.client().get_object(Bucket=lake.bucket, Key=lake.landed("sales/jan.csv").raw_key(etag))
    assert archived["Body"].read() == body
    assert lake.head(landing_key) is None, "landing is an inbox: archived files leave it"


def test_raw_upload_again_after_archive_is_a_no_op(lake) -> None:
    drop(lake, "sales/jan.csv", csv_bytes(sales_frame(3)))
    first = raw_upload(dg.build_asset_context(partition_key="sales/jan.csv"), lake=lake)
    again = raw_upload(dg.build_asset_context(partition_key="sales/jan.csv"), lake=lake)
    assert again.metadata["note"] == "already archived" and again.metadata["sha256"] == first.metadata["sha256"]


def test_raw_upload_without_any_object_fails_clearly(lake) -> None:
    with pytest.raises(dg.Failure, match="No archived copy of 'sales/ghost.csv'"):
        raw_upload(dg.build_asset_context(partition_key="sales/ghost.csv"), lake=lake)


def test_whole_chain_publishes_day_partitioned_parquet(lake, resources, instance) -> None:
    frame = sales_frame(200, days=7)
    drop(lake, "sales/week.csv", csv_bytes(frame))
    result = ingest("sales/week.csv", resources, instance)
    assert result.success
    landed = lake.landed("sales/week.csv")
    manifest = lake.read_json(landed.manifest_key)
    assert manifest["rows"] == 200 and len(manifest["days"]) == 7
    assert manifest["total"] == pytest.approx(frame["total"].sum(), abs=1e-3)
    published = list_keys(lake, "validated/sales/")
    assert published == sorted(entry["key"] for entry in manifest["days"].values())
    for day, entry in manifest["days"].items():
        part = lake.read_parquet(entry["key"])
        assert part["date"].unique().to_list() == [date.fromisoformat(day)]
        assert part.height == entry["rows"] == frame.filter(pl.col("date") == date.fromisoformat(day)).height
        assert part["file_id"].unique().to_list() == [landed.file_id]
        assert part.columns == [*CANONICAL_COLUMNS, "file_id"] and part["time"].is_sorted()
    meta = materialization_metadata(result, "validated_sales")
    assert (meta["rows_in"], meta["valid_rows"], meta["rejected_rows"]) == (200, 200, 0)
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {"rejection_rate": True, "rows_reconcile": True, "store_reconcile": True}


def test_bad_rows_are_quarantined_with_reasons(lake, resources, instance) -> None:
    drop(lake, "sales/dirty.csv", defective_csv(100, 0.07))
    result = ingest("sales/dirty.csv", resources, instance)
    assert result.success
    landed = lake.landed("sales/dirty.csv")
    quarantine = lake.read_parquet(landed.quarantine_key)
    assert quarantine.height == 7
    assert quarantine["errors"].str.contains(r"\[").all()
    assert "payment [isin" in " ".join(quarantine["errors"].to_list())
    valid = lake.read_parquet(landed.staged_key)
    assert valid.height == 93
    assert set(valid["invoice_id"]).isdisjoint(set(quarantine["invoice_id"]))
    meta = materialization_metadata(result, "validated_sales")
    assert meta["rejected_rows"] == 7 and "payment" in meta["failures"]
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["rows_reconcile"].passed
    assert not checks["rejection_rate"].passed
    assert checks["rejection_rate"].severity == dg.AssetCheckSeverity.ERROR  # 7% > 5% default


def read_bytes(lake, key: str) -> bytes:
    return lake.client().get_object(Bucket=lake.bucket, Key=key)["Body"].read()


def test_rejection_below_threshold_only_warns(lake, resources, instance) -> None:
    drop(lake, "sales/few.csv", defective_csv(100, 0.02))
    result = ingest("sales/few.csv", resources, instance)
    check = next(e for e in result.get_asset_check_evaluations() if e.check_name == "rejection_rate")
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN


def test_changed_file_replaces_its_objects_exactly(lake, resources, instance) -> None:
    first = sales_frame(60, seed=1, start=date(2019, 1, 1), days=6)
    drop(lake, "sales/rolling.csv", csv_bytes(with_defects(first, 0.05)))
    assert ingest("sales/rolling.csv", resources, instance).success
    landed = lake.landed("sales/rolling.csv")
    assert lake.head(landed.quarantine_key) is not None
    second = sales_frame(30, seed=2, start=date(2019, 1, 4), days=2)  # drops days 1-3 and 6
    drop(lake, "sales/rolling.csv", csv_bytes(second))
    result = ingest("sales/rolling.csv", resources, instance)
    assert materialization_metadata(result, "sales_parquet")["removed_stale_objects"] == 8  # 4 days x 2 objects
    published = list_keys(lake, "validated/sales/")
    assert published == [landed.validated_key("2019-01-04"), landed.validated_key("2019-01-05")]
    assert list_keys(lake, "druid/sales/") == [landed.druid_key("2019-01-04"), landed.druid_key("2019-01-05")]
    rows = pl.concat([lake.read_parquet(key) for key in published])
    assert rows.height == 30 and rows["total"].sum() == pytest.approx(second["total"].sum())
    druid_rows = pl.concat([pl.read_ndjson(gzip.decompress(read_bytes(lake, landed.druid_key(d)))) for d in
                            ("2019-01-04", "2019-01-05")])  # fmt: skip
    assert druid_rows.height == 30 and druid_rows["total"].sum() == pytest.approx(second["total"].sum())
    assert druid_rows.columns[0] == "__time" and druid_rows["__time"].dtype == pl.Int64, "epoch millis"
    assert lake.head(landed.quarantine_key) is None, "the old version's quarantine must not linger"
    assert len(list_keys(lake, f"raw/sales/{landed.file_id}/")) == 3  # two versions + current.json


def test_other_files_objects_are_untouched(lake, resources, instance) -> None:
    drop(lake, "sales/a.csv", csv_bytes(sales_frame(20, seed=1, days=3)))
    drop(lake, "sales/b.csv", csv_bytes(sales_frame(20, seed=2, days=3)))
    assert ingest("sales/a.csv", resources, instance).success
    assert ingest("sales/b.csv", resources, instance).success
    drop(lake, "sales/a.csv", csv_bytes(sales_frame(5, seed=3, days=1)))
    assert ingest("sales/a.csv", resources, instance).success
    b_keys = [e["key"] for e in lake.read_json(lake.landed("sales/b.csv").manifest_key)["days"].values()]
    assert set(b_keys) <= set(list_keys(lake, "validated/sales/"))
    assert sum(lake.parquet_rows(k) for k in list_keys(lake, "validated/sales/")) == 25


@pytest.mark.parametrize("fmt", ["xlsx", "parquet"])
def test_excel_and_parquet_files_flow_through(lake, resources, instance, tmp_path, fmt) -> None:
    drop(lake, f"sales/book.{fmt}", file_bytes(sales_frame(25), fmt, tmp_path))
    result = ingest(f"sales/book.{fmt}", resources, instance)
    assert materialization_metadata(result, "raw_upload")["format"] == fmt
    assert materialization_metadata(result, "sales_parquet")["rows"] == 25


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"", "the file is empty (0 bytes)"),
        (b"Invoice ID,Branch\n", "header but no data rows"),
        (b"Invoice ID,Branch\n1,A\n", "missing required column(s)"),
    ],
    ids=["zero-byte-object", "header-only", "missing-columns"],
)
def test_file_level_failure_names_file_and_keeps_raw(lake, resources, instance, body, expected) -> None:
    drop(lake, "sales/broken.csv", body)
    result = ingest("sales/broken.csv", resources, instance, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = failure.step_failure_data.user_failure_data.description
    assert f"s3://{lake.bucket}/landing/sales/broken.csv: " in message and expected in message
    assert "The original is kept at s3://" in message
    pointer = lake.read_json(lake.landed("sales/broken.csv").raw_pointer_key)
    assert lake.head(pointer["raw_key"])["ContentLength"] == len(body)
    assert list_keys(lake, "validated/") == []


def test_oversized_file_fails_without_download(lake, resources, instance) -> None:
    small_limit = {**resources, "contract": ContractSettings(max_file_bytes=100)}
    drop(lake, "sales/huge.csv", csv_bytes(sales_frame(10)))
    result = ingest("sales/huge.csv", small_limit, instance, raise_on_error=False)
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "MiB limit" in failure.step_failure_data.user_failure_data.description
    assert failure.step_key == "validated_sales"


def test_key_with_spaces_and_unicode(lake, resources, instance) -> None:
    key = "sales/Ventes été 2019 (final).csv"
    drop(lake, key, csv_bytes(sales_frame(8)))
    assert ingest(key, resources, instance).success
    landed = lake.landed(key)
    assert landed.file_id.startswith("ventes-ete-2019-final-")
    assert lake.read_json(landed.manifest_key)["rows"] == 8
