"""`sales-pipeline demo`: the whole pipeline in one process; its JSON checked against the inputs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import polars as pl
import pytest

from sales_pipeline.generate import HEADERS, defect_rows, generate_sales, with_defects, write_sales_file

from .test_cli import run


def expected_from(frame: pl.DataFrame) -> dict:
    def by(column: str) -> dict:
        grouped = frame.group_by(column).agg(pl.col("total").sum()).sort(column)
        return {k: pytest.approx(v, abs=1e-3) for k, v in grouped.iter_rows()}

    return {
        "rows_loaded": frame.height,
        "total_revenue": pytest.approx(frame["total"].sum(), abs=1e-3),
        "gross_income": pytest.approx(frame["gross_income"].sum(), abs=1e-3),
        "by_branch": by("branch"),
        "by_product_line": by("product_line"),
    }


def test_demo_json_on_public_sample_equals_direct_computation(shared_sample: Path) -> None:
    done = run("demo", "--json", str(shared_sample))
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    source = pl.read_csv(shared_sample).rename({v: k for k, v in HEADERS.items()})
    assert result["engine"] == "duckdb" and result["rows_rejected"] == 0
    assert result["files"] == [str(shared_sample)]
    for key, value in expected_from(source).items():
        assert result[key] == value, key


@pytest.mark.druid
def test_demo_on_druid_prints_the_same_figures(shared_sample: Path, druid_cluster, s3_endpoint: str) -> None:
    """The issue's done-when: `DRUID_URL=<druid status's SQL URL> sales-pipeline demo --json FILE`."""
    env = {**os.environ, "DRUID_URL": druid_cluster.url("broker"), "SALES_S3_ENDPOINT_URL": s3_endpoint}
    env.pop("AWS_ACCESS_KEY_ID", None)
    done = run("demo", "--json", str(shared_sample), env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["engine"] == "druid" and result["rows_rejected"] == 0
    assert result["rows_loaded"] == 1000 and result["total_revenue"] == pytest.approx(322966.749, abs=1e-3)
    source = pl.read_csv(shared_sample).rename({v: k for k, v in HEADERS.items()})
    for key, value in expected_from(source).items():
        assert result[key] == value, key


def test_demo_counts_rejections_and_sums_several_files(tmp_path: Path) -> None:
    clean, dirty = generate_sales(400, seed=1), generate_sales(300, seed=2)
    write_sales_file(clean, tmp_path / "clean.csv", "csv")
    write_sales_file(with_defects(dirty, 0.1), tmp_path / "dirty.xlsx", "xlsx")
    done = run("demo", "--json", str(tmp_path / "clean.csv"), str(tmp_path / "dirty.xlsx"))
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    bad = defect_rows(300, 0.1).tolist()
    valid = pl.concat([clean, dirty.filter(~pl.int_range(pl.len()).is_in(bad))])
    assert result["rows_rejected"] == len(bad) == 30
    for key, value in expected_from(valid).items():
        assert result[key] == value, key


def test_demo_fails_clearly_on_a_bad_file(tmp_path: Path) -> None:
    (tmp_path / "broken.csv").write_text("Invoice ID,Branch\n1,A\n")
    done = run("demo", str(tmp_path / "broken.csv"))
    assert done.returncode == 1
    assert "demo failed: sales/broken.csv: step validated_sales failed" in done.stderr
    assert "missing required column(s)" in done.stderr and "Traceback" not in done.stderr


def test_demo_without_files_uses_the_generated_sample() -> None:
    done = run("demo", "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    sample = generate_sales(1000, seed=2019)
    assert result["rows_loaded"] == 1000
    assert result["total_revenue"] == pytest.approx(sample["total"].sum(), abs=1e-3)
