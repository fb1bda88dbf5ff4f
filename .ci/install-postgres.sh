#!/usr/bin/env bash
# PostgreSQL for the store's tests (tests/test_store.py runs each test on SQLite and on
# PostgreSQL): Debian's postgresql where it is missing, then a cluster of the tests' own in
# $AICXS_PG_DIR (default /var/tmp/aicxs-postgres), started on a Unix socket in that folder, no
# TCP port, trust authentication for the local socket only. The tests connect to
# postgresql+psycopg://postgres@/postgres?host=$AICXS_PG_DIR and make (then drop) a database of
# their own. Idempotent: installs only when no PostgreSQL server is installed, initialises the
# cluster only once, starts it only when it is not running.
set -euo pipefail
dir="${AICXS_PG_DIR:-/var/tmp/aicxs-postgres}"
server_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
bin="$(server_bin)"
if [ -z "$bin" ] || [ ! -x "$bin/postgres" ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  $sudo apt-get install -y -q postgresql
  bin="$(server_bin)"
fi
# PostgreSQL refuses to run as root: root runs it as Debian's `postgres` user.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}
mkdir -p "$dir"
if [ "$(id -u)" -eq 0 ]; then
  chown postgres: "$dir"
fi
chmod 0755 "$dir"
if [ ! -f "$dir/data/PG_VERSION" ]; then
  as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-sync >/dev/null
fi
if ! as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-k $dir -h '' -c fsync=off -c synchronous_commit=off" start >/dev/null
fi
as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null
