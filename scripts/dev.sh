#!/usr/bin/env bash
# `make dev`: the whole pipeline on one machine with embedded defaults.
#   1. the embedded S3 (moto) on 127.0.0.1:$SALES_S3_PORT, bucket created
#   2. a generated 1,000-row sample dropped into landing/sales/
#   3. the Streamlit dashboard on 127.0.0.1:$DASHBOARD_PORT (default 8501), in the background
#   4. `dagster dev` (webserver + daemon) with the landing sensor running
# Ctrl-C stops everything this script started. State lives under $SALES_STATE_DIR (.state/).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
BIN="${VENV:-$ROOT/.venv}/bin"
export SALES_STATE_DIR="${SALES_STATE_DIR:-$ROOT/.state}"
STATE="$SALES_STATE_DIR"
S3_PORT="${SALES_S3_PORT:-9555}"
UI_PORT="${DAGSTER_PORT:-3000}"
DASH_PORT="${DASHBOARD_PORT:-8501}"
export SALES_S3_ENDPOINT_URL="http://127.0.0.1:$S3_PORT"
export SALES_SENSOR_INTERVAL_SECONDS="${SALES_SENSOR_INTERVAL_SECONDS:-10}"
export DAGSTER_HOME="${DAGSTER_HOME:-$STATE/dagster_home}"
mkdir -p "$DAGSTER_HOME" "$STATE/logs" "$STATE/sample"
# SQLite instance; pools serialize writers of the analytics store (DuckDB allows one writer).
[[ -f "$DAGSTER_HOME/dagster.yaml" ]] ||
  printf 'telemetry:\n  enabled: false\nconcurrency:\n  pools:\n    default_limit: 1\n' >"$DAGSTER_HOME/dagster.yaml"

"$BIN/sales-pipeline" local-s3 --port "$S3_PORT" >"$STATE/logs/local-s3.log" 2>&1 &
S3_PID=$!
DASH_PID=""
stop() { # stop a background child: TERM, then KILL if it is still there after 5 s
  [[ -n "$1" ]] || return 0
  kill "$1" 2>/dev/null || return 0
  for _ in $(seq 1 10); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.5; done
  kill -9 "$1" 2>/dev/null || true
}
cleanup() { stop "$DASH_PID"; stop "$S3_PID"; wait 2>/dev/null || true; }
trap cleanup EXIT

for _ in $(seq 1 60); do
  grep -q "local S3 at" "$STATE/logs/local-s3.log" 2>/dev/null && break
  kill -0 "$S3_PID" 2>/dev/null || { echo "local S3 failed to start:" >&2; cat "$STATE/logs/local-s3.log" >&2; exit 1; }
  sleep 0.5
done
grep -q "local S3 at" "$STATE/logs/local-s3.log" || { echo "local S3 did not start within 30 s" >&2; exit 1; }

SAMPLE="$STATE/sample/sample_sales.csv"
"$BIN/sales-pipeline" generate --rows 1000 --seed 2019 --out "$SAMPLE"
"$BIN/sales-pipeline" upload "$SAMPLE" --datasource sales

export SALES_DAGSTER_URL="http://127.0.0.1:$UI_PORT"
"$BIN/sales-pipeline" dashboard --port "$DASH_PORT" >"$STATE/logs/dashboard.log" 2>&1 &
DASH_PID=$!

cat <<MSG

  Dagster UI:  http://127.0.0.1:$UI_PORT   (Overview -> Runs: the sample's run starts within ~${SALES_SENSOR_INTERVAL_SECONDS}s)
  Dashboard:   http://127.0.0.1:$DASH_PORT   (the sample's figures appear once its run has loaded them)
  Local S3:    $SALES_S3_ENDPOINT_URL  bucket ${SALES_BUCKET:-sales-pipeline}  (in memory)
  Drop files:  $BIN/sales-pipeline upload FILE [--datasource NAME]

MSG
# Foreground, so Ctrl-C reaches it: a background job would start with SIGINT ignored, and
# `dagster dev` then ignores SIGTERM as well.
"$BIN/dagster" dev -w workspace.yaml -h 127.0.0.1 -p "$UI_PORT"
