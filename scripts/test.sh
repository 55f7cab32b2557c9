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
# The Druid suite starts its cluster once per session; installing first (cached after the first
# run) keeps a Maven failure from looking like a test failure.
if [[ -z "$(java -version 2>&1 | grep -E 'version "(1[7-9]|[2-9][0-9])')" ]] && [[ $(id -u) -ne 0 ]]; then
  echo "Java 17+ is missing and cannot be installed by this user: the Druid tests will skip, saying so"
else
  "$BIN/sales-pipeline" druid install
fi
"$BIN/python" -m pytest "$@"
