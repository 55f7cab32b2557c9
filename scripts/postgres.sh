#!/usr/bin/env bash
# A throwaway PostgreSQL for Dagster's storage, on 127.0.0.1 only.
#   scripts/postgres.sh start   # initdb on first use, start, create role+db; prints `export` lines
#   scripts/postgres.sh stop    # stop exactly the server this script started
#   scripts/postgres.sh status
# Needs Debian's postgresql package (scripts/system-deps.sh installs it).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
STATE="${SALES_STATE_DIR:-$ROOT/.state}"
DATA="$STATE/postgres/data"
LOG="$STATE/logs/postgres.log"
PORT="${SALES_PG_PORT:-55432}"
# Loopback-only throwaway server started by this script: a fixed local password is safe here.
USER_NAME=dagster PASSWORD=dagster DB=dagster

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [[ -z "$dir" ]]; then
    echo "PostgreSQL server binaries not found under /usr/lib/postgresql; run scripts/system-deps.sh" >&2
    exit 1
  fi
  echo "$dir"
}

as_owner() {  # initdb and postgres refuse to run as root
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  local bin; bin=$(pg_bin)
  mkdir -p "$DATA" "$(dirname "$LOG")"
  if [[ $(id -u) -eq 0 ]]; then chown -R postgres "$STATE/postgres"; touch "$LOG"; chown postgres "$LOG"; fi
  if [[ ! -f "$DATA/PG_VERSION" ]]; then
    as_owner "$bin/initdb" -D "$DATA" -U postgres --auth=trust >/dev/null
  fi
  if ! as_owner "$bin/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    as_owner "$bin/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DATA" start >/dev/null
  fi
  local psql=("$bin/psql" -h 127.0.0.1 -p "$PORT" -U postgres -v ON_ERROR_STOP=1 -qtA)
  if [[ -z $("${psql[@]}" -c "select 1 from pg_roles where rolname='$USER_NAME'") ]]; then
    "${psql[@]}" -c "create role $USER_NAME login password '$PASSWORD'" >/dev/null
  fi
  if [[ -z $("${psql[@]}" -c "select 1 from pg_database where datname='$DB'") ]]; then
    "${psql[@]}" -c "create database $DB owner $USER_NAME" >/dev/null
  fi
  cat <<ENV
export DAGSTER_PG_HOST=127.0.0.1
export DAGSTER_PG_PORT=$PORT
export DAGSTER_PG_USERNAME=$USER_NAME
export DAGSTER_PG_PASSWORD=$PASSWORD
export DAGSTER_PG_DB=$DB
ENV
}

stop() {
  [[ -f "$DATA/PG_VERSION" ]] || return 0
  as_owner "$(pg_bin)/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1 || true
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) as_owner "$(pg_bin)/pg_ctl" -D "$DATA" status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
