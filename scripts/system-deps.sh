#!/usr/bin/env bash
# Debian packages the project needs on a new machine: python3-venv (make's venv), postgresql
# (the PostgreSQL suite), chromium (the dashboard's browser check, driven by Playwright), and
# Java 17 + Maven (the local Druid, assembled from Maven Central by `sales-pipeline druid install`).
# Installs only what is missing; needs root for apt-get.
set -euo pipefail

missing=()
python3 -m venv --help >/dev/null 2>&1 || missing+=(python3-venv)
ls -d /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing+=(postgresql)
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
java_major=$( (java -version 2>&1 || true) | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
[[ ${java_major:-0} -ge 17 ]] || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "missing Debian packages: ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian's package starts a cluster of its own on 5432 where it can; the tests use their own.
