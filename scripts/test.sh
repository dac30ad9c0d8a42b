#!/usr/bin/env bash
# Set up (scripts/setup.sh, scripts/system-deps.sh) and run the test suite in two passes
# (docs/testing.md):
#   1. the whole suite on SQLite, the default database;
#   2. tests/web again on PostgreSQL: a throwaway cluster from scripts/pg.sh, OPSPOR_DB=postgresql.
# Both with pytest -n ${OPSPOR_TEST_WORKERS:-2}. Exit status: non-zero if either pass fails.
#
# Arguments go to pytest. With arguments, pass 1 runs just them, and pass 2 runs only if one of
# them is a path in tests/web (or above it, like `tests`): with the same arguments, less the paths
# outside tests/web (a path above it becomes tests/web). Options and their values are kept as they
# are, so `bash scripts/test.sh tests/web -m browser` runs the browser tests on both databases.
#
# OPSPOR_TEST_PG=0 skips pass 2. Without chromium the browser tests fail (OPSPOR_REQUIRE_BROWSER=1,
# set here unless given); OPSPOR_REQUIRE_BROWSER=0 makes them skip instead.
set -euo pipefail
cd "$(dirname "$0")/.."
export OPSPOR_REQUIRE_BROWSER="${OPSPOR_REQUIRE_BROWSER:-1}"
export OPSPOR_TEST_PG="${OPSPOR_TEST_PG:-1}"
# Each pass chooses its database; nothing from the caller's shell decides it.
unset OPSPOR_DB OPSPOR_DB_NAME OPSPOR_DB_USER OPSPOR_DB_PASSWORD OPSPOR_DB_HOST OPSPOR_DB_PORT
unset OPSPOR_PG_DIR DJANGO_SETTINGS_MODULE

bash scripts/setup.sh
bash scripts/system-deps.sh
pytest=(.venv/bin/python -m pytest -n "${OPSPOR_TEST_WORKERS:-2}" --dist loadscope --durations=25)

# Pass 2's arguments.
web=$(realpath tests/web)
pg_args=()
run_pg=0
if [ $# -eq 0 ]; then
    pg_args=(tests/web)
    run_pg=1
fi
for arg in "$@"; do
    path=${arg%%::*}
    if [[ $arg == -* || ! -e $path ]]; then
        pg_args+=("$arg")  # an option or an option's value
        continue
    fi
    full=$(realpath "$path")
    if [[ $full == "$web" || $full == "$web"/* ]]; then
        pg_args+=("$arg")
        run_pg=1
    elif [[ $web == "$full"/* ]]; then
        pg_args+=(tests/web)
        run_pg=1
    fi
done
[ "$OPSPOR_TEST_PG" = 1 ] || run_pg=0

status=0
start=$SECONDS
echo "== pass 1: SQLite: pytest ${*:-(everything)}"
"${pytest[@]}" "$@" || status=1
echo "== pass 1: SQLite: $((SECONDS - start)) s"

if [ "$run_pg" = 1 ]; then
    start=$SECONDS
    eval "$(bash scripts/pg.sh start)"
    trap 'bash scripts/pg.sh stop' EXIT
    echo "== pass 2: PostgreSQL (port $OPSPOR_DB_PORT, started in $((SECONDS - start)) s): pytest ${pg_args[*]}"
    "${pytest[@]}" "${pg_args[@]}" || status=1
    echo "== pass 2: PostgreSQL: $((SECONDS - start)) s"
fi
exit "$status"
