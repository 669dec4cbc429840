#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests (Debian's `postgresql` package, no Docker):
#
#   tests/postgres.sh start DIR   a new cluster in DIR, listening only on a socket in DIR;
#                                 prints the URL of its `postgres` database (user `desk`)
#   tests/postgres.sh stop DIR    stops it (DIR can then be removed)
#
# PostgreSQL refuses to run as root, so as root the server runs as `nobody`.
set -euo pipefail

bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[ -x "$bin/initdb" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
  else
    "$@"
  fi
}

case "${1:-}" in
  start)
    dir="$(realpath "$2")"
    mkdir -p "$dir"
    [ "$(id -u)" -ne 0 ] || chown nobody:nogroup "$dir"
    as_owner test -w "$dir" || { echo "$dir: the server's user cannot write here (is a parent folder private?)" >&2; exit 1; }
    as_owner "$bin/initdb" -D "$dir/data" -A trust -U desk --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
    # Tests only: losing the last commits on a power cut does not matter, waiting for the disk does.
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
      -o "-k $dir -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c max_connections=300" start >/dev/null
    echo "postgres://desk@localhost/postgres?host=$dir"
    ;;
  stop)
    dir="$(realpath "$2")"
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
