#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests: Debian's server binaries, a temporary directory, trust
# authentication on 127.0.0.1 and a free port. Never for real data.
#
#   eval "$(bash scripts/pg.sh start)"   initdb + start; prints the exports below (and OPSPOR_PG_DIR)
#   bash scripts/pg.sh env               print the exports again for the cluster in $OPSPOR_PG_DIR
#   bash scripts/pg.sh stop              stop the cluster in $OPSPOR_PG_DIR and delete its directory
#
# Exports: OPSPOR_DB=postgresql OPSPOR_DB_HOST OPSPOR_DB_PORT OPSPOR_DB_USER OPSPOR_DB_NAME=opspor.
# The cluster directory is $OPSPOR_PG_DIR (or the second argument); `start` makes a new temporary
# one when neither is given. The server refuses to run as root, so as root it runs as the
# `postgres` user. The database role is the current user's name, with LOGIN CREATEDB (pytest-django
# and the test server fixture create their own databases) and pg_signal_backend; it owns the
# database `opspor`.
set -euo pipefail

cmd="${1:-}"
dir="${2:-${OPSPOR_PG_DIR:-}}"
db_name=opspor
db_user=$(id -un)
bin=

die() { echo "pg.sh: $*" >&2; exit 1; }

bindir() {
    local pg
    pg=$(compgen -G '/usr/lib/postgresql/*/bin/postgres' | sort -V | tail -n 1) ||
        die "no PostgreSQL server in /usr/lib/postgresql/*/bin (run scripts/system-deps.sh as root)"
    dirname "$pg"
}

# Run a command as the cluster's owner: `postgres` when we are root, else ourselves.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

print_env() {
    [ -n "$dir" ] && [ -f "$dir/port" ] || die "no running cluster: OPSPOR_PG_DIR is unset or has no cluster"
    cat <<EOF
export OPSPOR_PG_DIR='$dir'
export OPSPOR_DB=postgresql
export OPSPOR_DB_HOST=127.0.0.1
export OPSPOR_DB_PORT=$(cat "$dir/port")
export OPSPOR_DB_USER='$db_user'
export OPSPOR_DB_NAME=$db_name
EOF
}

start() {
    local port attempt
    bin=$(bindir)
    if [ "$(id -u)" -eq 0 ]; then
        getent passwd postgres >/dev/null || die "no 'postgres' user to run the server as (install Debian's postgresql)"
    fi
    if [ -z "$dir" ]; then
        dir=$(mktemp -d "${TMPDIR:-/tmp}/opspor-pg.XXXXXX")
    else
        mkdir -p "$dir"
        [ -z "$(ls -A "$dir")" ] || die "$dir is not empty (a cluster already running? try: bash scripts/pg.sh stop)"
    fi
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
    chmod 700 "$dir"
    # A failed start leaves nothing behind.
    trap 'if [ "$?" -ne 0 ]; then as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$dir"; fi' EXIT
    (cd "$dir" && as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
        --no-sync >"$dir/initdb.log" 2>&1) || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    for attempt in 1 2 3; do
        port=$(free_port)
        as_owner tee -a "$dir/data/postgresql.conf" >/dev/null <<EOF
# opspor test cluster (scripts/pg.sh): throwaway, speed over durability
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
        if (cd "$dir" && as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null 2>&1); then
            break
        fi
        [ "$attempt" = 3 ] && { tail -n 20 "$dir/server.log" >&2; die "the server did not start"; }
    done
    echo "$port" >"$dir/port"
    local psql=("$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres)
    if [ "$db_user" != postgres ]; then
        "${psql[@]}" -c "CREATE ROLE \"$db_user\" LOGIN CREATEDB" >/dev/null
        # DROP DATABASE ... WITH (FORCE) of the server fixture terminates every session on that
        # database; one of another role (seen once in CI) needs this membership.
        "${psql[@]}" -c "GRANT pg_signal_backend TO \"$db_user\"" >/dev/null
    fi
    "${psql[@]}" -c "CREATE DATABASE $db_name OWNER \"$db_user\"" >/dev/null
    print_env
}

stop() {
    [ -n "$dir" ] || die "OPSPOR_PG_DIR is unset: which cluster?"
    [ -d "$dir" ] || return 0
    if [ -f "$dir/data/postmaster.pid" ]; then
        (cd "$dir" && as_owner "$(bindir)/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1) ||
            (cd "$dir" && as_owner "$(bindir)/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1) || true
    fi
    rm -rf "$dir"
}

case "$cmd" in
    start) start ;;
    env) print_env ;;
    stop) stop ;;
    *) die "usage: bash scripts/pg.sh start|env|stop [DIR]" ;;
esac
