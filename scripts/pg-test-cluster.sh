#!/usr/bin/env bash
# A private, throwaway PostgreSQL cluster for the test run: a temp directory, a Unix socket in it and no TCP
# port, fsync off (nothing here must survive a crash). Debian's PostgreSQL refuses to run as root, so as root
# the server runs as the `postgres` user.
#
#   eval "$(scripts/pg-test-cluster.sh start)"   # exports ARBITER_TEST_POSTGRES_URL and ARBITER_TEST_PG_DIR
#   scripts/pg-test-cluster.sh stop "$ARBITER_TEST_PG_DIR"
#
# ARBITER_PG_FSYNC=on starts it durable instead (fsync, full_page_writes and synchronous_commit on, PostgreSQL's
# defaults), for benchmarks that should pay what a production server pays per commit (bench/lib/dialects.ts);
# ARBITER_PG_SYNCHRONOUS_COMMIT then overrides synchronous_commit alone (e.g. off).
set -euo pipefail

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  if [ -z "$dir" ]; then dir=$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)"); fi
  [ -x "$dir/initdb" ] || { echo "pg-test-cluster: initdb not found (apt-get install postgresql)" >&2; exit 1; }
  echo "$dir"
}

as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "${1:-}" in
  start)
    bin=$(pg_bin)
    case "${ARBITER_PG_FSYNC:-off}" in
      off) durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off" ;;
      on) durability="-c fsync=on -c synchronous_commit=${ARBITER_PG_SYNCHRONOUS_COMMIT:-on} -c full_page_writes=on" ;;
      *) echo "pg-test-cluster: ARBITER_PG_FSYNC must be on or off" >&2; exit 2 ;;
    esac
    dir=$(mktemp -d /tmp/arbiter-pg-XXXXXX)
    chmod 755 "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
    user=$(if [ "$(id -u)" = 0 ]; then echo postgres; else id -un; fi)
    as_owner "$bin/initdb" -D "$dir/data" -A trust --locale=C -E UTF8 -U "$user" >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    # max_connections: each test file's processes (web server, workers, CLI) hold small pools of their own.
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
      -o "-k $dir -c listen_addresses='' $durability -c max_connections=300" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    echo "export ARBITER_TEST_PG_DIR='$dir'"
    echo "export ARBITER_TEST_POSTGRES_URL='postgresql://$user@localhost/postgres?host=$dir'"
    ;;
  stop)
    dir=${2:?usage: pg-test-cluster.sh stop DIR}
    bin=$(pg_bin)
    [ -d "$dir/data" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start | stop DIR" >&2
    exit 2
    ;;
esac
