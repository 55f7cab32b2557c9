"""`sales-pipeline`: validate, generate and upload files; run the demo, the embedded S3 or the dashboard."""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import threading
from dataclasses import replace
from pathlib import Path

from .druid_local.commands import add_parser as add_druid_parser
from .druid_local.commands import local_druid_url
from .readers import FileProblem
from .settings import LOCAL_S3_PORT, Settings, SettingsError


def _print_report(report: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report, indent=2, default=str))
        return
    if report["file_error"]:
        print(f"ERROR {report['file_error']}", file=sys.stderr)
        return
    print(
        f"{report['file']} ({report['format']}): {report['rows']} rows, "
        f"{report['valid_rows']} valid, {report['rejected_rows']} rejected"
    )
    if report["ignored_columns"]:
        print(f"  ignored columns: {', '.join(report['ignored_columns'])}")
    for failure in report["failures"]:
        rows = ", ".join(map(str, failure["example_rows"]))
        where = f"{failure['column']} [{failure['rule']}]"
        print(f"  {failure['count']:>7} x {where} e.g. rows {rows}: {failure['example']}")


def cmd_validate(args: argparse.Namespace) -> int:
    from .validation import validate_file

    path = Path(args.file)
    try:
        if not path.is_file():
            raise FileProblem(str(path), "no such file", "Check the path.")
        outcome = validate_file(path, str(path), args.date_order, int(args.max_file_mb * 2**20))
    except FileProblem as problem:
        _print_report({"file": str(path), "rows": 0, "valid_rows": 0, "rejected_rows": 0, "failures": [],
                       "file_error": str(problem)}, args.json)  # fmt: skip
        return 1
    _print_report(outcome.report(), args.json)
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from .generate import generate_sales, with_defects, write_sales_file

    frame = generate_sales(args.rows, seed=args.seed)
    if args.defects:
        frame = with_defects(frame, args.defects)
    try:
        write_sales_file(frame, Path(args.out), args.format)
    except ValueError as error:
        print(f"ERROR {error}", file=sys.stderr)
        return 1
    print(f"wrote {args.rows} rows to {args.out} ({args.format}, seed {args.seed}, defect rate {args.defects})")
    return 0


def cmd_local_s3(args: argparse.Namespace) -> int:
    from .local_s3 import local_s3
    from .resources.factory import build_resources, resolved

    settings = Settings.from_env()
    with local_s3(args.port) as endpoint:
        lake = resolved(build_resources(replace(settings, s3_endpoint_url=endpoint))["lake"])
        lake.ensure_bucket()
        print(f"local S3 at {endpoint}, bucket {settings.bucket} (in memory; Ctrl-C to stop)", flush=True)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
    return 0


def cmd_upload(args: argparse.Namespace) -> int:
    from .resources.factory import build_resources, resolved

    settings = Settings.from_env()
    lake = resolved(build_resources(settings)["lake"])
    lake.ensure_bucket()
    path = Path(args.file)
    key = f"{settings.landing_prefix}{args.datasource}/{args.name or path.name}"
    lake.upload(path, key)
    print(f"uploaded {path} to {lake.uri(key)}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import DemoFailed, run_demo

    paths = [Path(f) for f in args.files]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        print(f"ERROR no such file: {', '.join(missing)}", file=sys.stderr)
        return 1
    settings = Settings.from_env()
    if args.store:
        settings = replace(settings, store=args.store)
    if settings.store == "druid" and not settings.druid_url:
        settings = replace(settings, druid_url=local_druid_url(settings))
    try:
        result = run_demo(paths, settings)
    except DemoFailed as error:
        print(f"ERROR demo failed: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{len(result['files'])} file(s) -> {result['engine']}: {result['rows_loaded']} rows loaded, "
          f"{result['rows_rejected']} rejected")  # fmt: skip
    print(f"revenue {result['total_revenue']:,.2f}  gross income {result['gross_income']:,.2f}")
    for branch, revenue in result["by_branch"].items():
        print(f"  branch {branch}: {revenue:,.2f}")
    for line, revenue in result["by_product_line"].items():
        print(f"  {line}: {revenue:,.2f}")
    return 0


def dashboard_command(host: str, port: int, max_file_mb: float) -> list[str]:
    """`streamlit run` for the dashboard, headless, bound to host, uploads capped at the file limit."""
    app = Path(__file__).parent / "dashboard" / "app.py"
    return [
        sys.executable, "-m", "streamlit", "run", str(app),
        "--server.headless", "true", "--server.address", host, "--server.port", str(port),
        "--browser.gatherUsageStats", "false", "--server.maxUploadSize", str(max(1, math.ceil(max_file_mb))),
        "--client.toolbarMode", "viewer", "--server.fileWatcherType", "none",
    ]  # fmt: skip


def cmd_dashboard(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    command = dashboard_command(args.host, args.port, settings.max_file_bytes / 2**20)
    os.execv(command[0], command)  # replaces this process: signals reach Streamlit directly
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sales-pipeline", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    validate = sub.add_parser("validate", help="validate a local file with the pipeline's contract")
    validate.add_argument("file")
    validate.add_argument("--json", action="store_true", help="print one JSON object")
    validate.add_argument("--date-order", choices=["MDY", "DMY"], default="MDY", help="how to read 1/2/2019")
    validate.add_argument("--max-file-mb", type=float, default=500.0)
    validate.set_defaults(func=cmd_validate)

    generate = sub.add_parser("generate", help="write a deterministic synthetic sales file")
    generate.add_argument("--rows", type=int, required=True)
    generate.add_argument("--out", required=True)
    generate.add_argument("--seed", type=int, default=0)
    generate.add_argument("--defects", type=float, default=0.0, help="share of rows with one defect (0-1)")
    generate.add_argument("--format", choices=["csv", "xlsx", "parquet"], default="csv")
    generate.set_defaults(func=cmd_generate)

    s3 = sub.add_parser("local-s3", help="run the embedded S3 (moto) on 127.0.0.1 in the foreground")
    s3.add_argument("--port", type=int, default=LOCAL_S3_PORT)
    s3.set_defaults(func=cmd_local_s3)

    demo = sub.add_parser("demo", help="run the whole pipeline in-process on embedded defaults and print KPIs")
    demo.add_argument("files", nargs="*", help="files to drop into landing (default: a generated 1,000-row sample)")
    demo.add_argument("--json", action="store_true", help="print one JSON object")
    demo.add_argument(
        "--store",
        choices=["duckdb", "druid"],
        help="analytics store (default: druid when DRUID_URL is set, else duckdb); --store druid without "
        "DRUID_URL uses the local Druid of `sales-pipeline druid up`",
    )
    demo.set_defaults(func=cmd_demo)

    add_druid_parser(sub)

    dashboard = sub.add_parser(
        "dashboard",
        help="serve the Streamlit dashboard (reads the analytics store; settings from SALES_* env vars)",
    )
    dashboard.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    dashboard.add_argument("--port", type=int, default=8501)
    dashboard.set_defaults(func=cmd_dashboard)

    upload = sub.add_parser("upload", help="put a local file into the landing prefix")
    upload.add_argument("file")
    upload.add_argument("--datasource", default="sales")
    upload.add_argument("--name", help="object name under landing/<datasource>/ (default: file name)")
    upload.set_defaults(func=cmd_upload)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "rows", 1) < 1 or not 0 <= getattr(args, "defects", 0) <= 1:
        print("ERROR --rows must be >= 1 and --defects between 0 and 1", file=sys.stderr)
        return 2
    try:
        return args.func(args)
    except SettingsError as error:
        print(f"ERROR {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
