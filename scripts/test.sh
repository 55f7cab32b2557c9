#!/usr/bin/env bash
# `make test`: lint, then the whole suite with a real PostgreSQL started (and stopped) here.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
BIN="${VENV:-$ROOT/.venv}/bin"

scripts/system-deps.sh
eval "$(scripts/postgres.sh start)"
trap 'scripts/postgres.sh stop' EXIT
echo "PostgreSQL for Dagster storage on 127.0.0.1:$DAGSTER_PG_PORT"

"$BIN/ruff" check .
"$BIN/ruff" format --check .
"$BIN/python" -m pytest "$@"
