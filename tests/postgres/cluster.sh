#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the server's tests (ctest's `postgres`
# fixture starts and stops it; see tests/CMakeLists.txt).
#
#   tests/postgres/cluster.sh start DIR   initdb and start; prints the conninfo
#                                         and writes it to DIR/conninfo
#   tests/postgres/cluster.sh stop DIR    stop and remove it (nothing to stop is fine)
#
# The cluster itself lives in a fresh directory under $TMPDIR (/tmp) that
# DIR/cluster links to: run as root, initdb and the server run as the
# `postgres` user (PostgreSQL refuses root), which may not reach a build
# tree under /root; and a Unix socket's path must stay under 108 bytes.
# Clients name the socket directory through the link, so the conninfo is
# known before the cluster starts: host=DIR/cluster port=5432
# user=postgres dbname=postgres. The server listens on that socket only,
# never on TCP, and trusts whoever reaches it; its data may be lost in a
# crash (fsync=off), which a test cluster can afford.
#
# The binaries: $DALA_POSTGRES_BIN, else Debian's PostgreSQL 15
# (scripts/bootstrap installs it), else pg_config's bindir.
set -euo pipefail

usage() {
  echo "usage: $0 start|stop DIR" >&2
  exit 2
}
[ $# -eq 2 ] || usage
command=$1
mkdir -p "$2"
dir=$(cd "$2" && pwd)
link="$dir/cluster"

bin=${DALA_POSTGRES_BIN:-/usr/lib/postgresql/15/bin}
if [ ! -x "$bin/initdb" ] && command -v pg_config >/dev/null 2>&1; then
  bin=$(pg_config --bindir)
fi

# Runs a PostgreSQL program as the user that owns the cluster.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

stop() {
  if [ -L "$link" ]; then
    local cluster
    cluster=$(readlink "$link")
    if [ -f "$cluster/data/postmaster.pid" ]; then
      # Immediate: nothing in a throwaway cluster needs to reach the disk.
      as_owner "$bin/pg_ctl" stop -D "$cluster/data" -m immediate -w -t 30 >/dev/null 2>&1 || true
    fi
    rm -rf "$cluster"
    rm -f "$link" "$dir/conninfo"
  fi
}

start() {
  if [ ! -x "$bin/initdb" ]; then
    echo "cluster.sh: no initdb in $bin: install postgresql-15 (scripts/bootstrap)" >&2
    exit 1
  fi
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    echo "cluster.sh: run as root, the cluster needs the postgres user, which postgresql-15 adds" >&2
    exit 1
  fi
  # A cluster left by an interrupted run goes first.
  stop
  local cluster
  cluster=$(mktemp -d "${TMPDIR:-/tmp}/dala-pg.XXXXXX")
  ln -s "$cluster" "$link"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$cluster"
  fi

  local log="$cluster/server.log"
  if ! as_owner "$bin/initdb" -D "$cluster/data" -U postgres -A trust -E UTF8 --locale=C --no-sync \
      >"$cluster/initdb.log" 2>&1; then
    cat "$cluster/initdb.log" >&2
    echo "cluster.sh: initdb failed" >&2
    stop
    exit 1
  fi
  # Every test opens a database of its own, and ctest runs them side by
  # side: room for their connections; and nothing waits for the disk.
  cat >>"$cluster/data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$cluster'
unix_socket_permissions = 0777
port = 5432
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 32MB
EOF
  if ! as_owner "$bin/pg_ctl" start -D "$cluster/data" -l "$log" -w -t 30 >/dev/null 2>&1; then
    cat "$log" >&2 || true
    echo "cluster.sh: the server did not start (log above)" >&2
    stop
    exit 1
  fi
  local conninfo="host=$link port=5432 user=postgres dbname=postgres"
  echo "$conninfo" >"$dir/conninfo"
  echo "$conninfo"
}

case "$command" in
  start) start ;;
  stop) stop ;;
  *) usage ;;
esac
