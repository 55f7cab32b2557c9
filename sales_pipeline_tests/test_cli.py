"""The `sales-pipeline` command, run as a user runs it (a subprocess of the installed script)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import pytest

from sales_pipeline.generate import defect_rows

CLI = [sys.executable, "-m", "sales_pipeline.cli"]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300, env=env)


def test_validate_json_on_public_sample(shared_sample: Path) -> None:
    done = run("validate", str(shared_sample), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["rows"], report["valid_rows"], report["rejected_rows"]) == (1000, 1000, 0)
    assert report["failures"] == [] and report["file_error"] is None


def test_generate_then_validate_with_defects(tmp_path: Path) -> None:
    out = tmp_path / "gen.csv"
    assert run("generate", "--rows", "700", "--out", str(out), "--seed", "5", "--defects", "0.1").returncode == 0
    done = run("validate", str(out), "--json")
    assert done.returncode == 0
    report = json.loads(done.stdout)
    assert report["rows"] == 700 and report["rejected_rows"] == len(defect_rows(700, 0.1)) == 70
    assert report["valid_rows"] == 630
    first = report["failures"][0]
    assert set(first) >= {"rule", "column", "count", "example_rows"} and first["example_rows"]
    text = run("validate", str(out))
    assert "630 valid, 70 rejected" in text.stdout and "Bitcoin" in text.stdout


def test_generate_is_deterministic(tmp_path: Path) -> None:
    for name in ("a.csv", "b.csv"):
        assert run("generate", "--rows", "300", "--out", str(tmp_path / name), "--seed", "9").returncode == 0
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    run("generate", "--rows", "300", "--out", str(tmp_path / "c.csv"), "--seed", "10")
    assert (tmp_path / "c.csv").read_bytes() != (tmp_path / "a.csv").read_bytes()


@pytest.mark.parametrize("fmt", ["xlsx", "parquet"])
def test_generate_other_formats(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"gen.{fmt}"
    assert run("generate", "--rows", "50", "--out", str(out), "--format", fmt).returncode == 0
    report = json.loads(run("validate", str(out), "--json").stdout)
    assert report["format"] == fmt and report["valid_rows"] == 50


@pytest.mark.parametrize(
    ("body", "message"),
    [(b"", "empty (0 bytes)"), (b"a,b\n1,2\n", "missing required column(s)"), (b"PK\x03\x04junk", "truncated")],
)
def test_file_errors_exit_1_without_traceback(tmp_path: Path, body: bytes, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(body)
    done = run("validate", str(path), "--json")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout
    report = json.loads(done.stdout)
    assert message in report["file_error"] and str(path) in report["file_error"]
    human = run("validate", str(path))
    assert human.returncode == 1 and message in human.stderr and "Traceback" not in human.stderr


def test_missing_path_is_a_file_error(tmp_path: Path) -> None:
    done = run("validate", str(tmp_path / "nope.csv"))
    assert done.returncode == 1 and "no such file" in done.stderr


def test_xlsx_row_limit_is_explained(tmp_path: Path) -> None:
    done = run("generate", "--rows", "1048576", "--out", str(tmp_path / "x.xlsx"), "--format", "xlsx")
    assert done.returncode == 1 and "at most 1,048,575" in done.stderr


def test_help_lists_commands() -> None:
    done = run("--help")
    assert all(cmd in done.stdout for cmd in ("validate", "generate", "local-s3", "upload"))


def test_bad_arguments_are_refused() -> None:
    done = run("generate", "--rows", "0", "--out", "x.csv")
    assert done.returncode == 2 and "--rows must be >= 1" in done.stderr


def test_upload_with_aws_keys_exported(tmp_path: Path, s3_endpoint: str) -> None:
    """Many users export AWS keys: resources used outside a run must read them, not trip on EnvVar."""
    path = tmp_path / "week.csv"
    assert run("generate", "--rows", "20", "--out", str(path)).returncode == 0
    bucket = f"cli-{uuid.uuid4().hex[:10]}"
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "exported-key", "AWS_SECRET_ACCESS_KEY": "exported-secret",
           "SALES_S3_ENDPOINT_URL": s3_endpoint, "SALES_BUCKET": bucket}  # fmt: skip
    done = run("upload", str(path), "--datasource", "sales", env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"s3://{bucket}/landing/sales/week.csv" in done.stdout
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")  # fmt: skip
    assert client.get_object(Bucket=bucket, Key="landing/sales/week.csv")["Body"].read() == path.read_bytes()
