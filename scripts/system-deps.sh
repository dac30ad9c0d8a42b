#!/usr/bin/env bash
# Install the system packages the test suite needs, if they are missing: Debian's chromium (the
# browser tests drive it with Playwright) and the PostgreSQL server (scripts/pg.sh runs a
# throwaway cluster for the second pass of tests/web), plus a font so screenshots show text, and
# Node.js with npm (the log-in tests run a real OpenID provider from npm: tests/support/oidc.py
# installs it with `npm ci` from tests/support/node/package-lock.json).
#
# Idempotent and quiet: nothing is done when everything is there. As root with apt-get it installs
# what is missing; otherwise it prints what to install and fails only for what is required:
#   OPSPOR_REQUIRE_BROWSER=1   chromium is required (default 0 here; scripts/test.sh sets 1)
#   OPSPOR_TEST_PG=1           the PostgreSQL server is required (default 0 here; test.sh sets 1)
set -euo pipefail

need_browser="${OPSPOR_REQUIRE_BROWSER:-0}"
need_pg="${OPSPOR_TEST_PG:-0}"

have_chromium() { command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; }
have_postgres() { compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; }
have_node() { command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; }
have_font() { compgen -G '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf' >/dev/null; }

missing=()
have_chromium || missing+=(chromium)
have_postgres || missing+=(postgresql)
have_font || missing+=(fonts-dejavu-core)
have_node || missing+=(nodejs npm)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "system-deps: installing ${missing[*]} with apt-get ..." >&2
    start=$SECONDS
    log=$(mktemp)
    export DEBIAN_FRONTEND=noninteractive
    if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        rm -f "$log"
        echo "system-deps: apt-get failed (output above)" >&2
        exit 1
    fi
    rm -f "$log"
    echo "system-deps: installed ${missing[*]} in $((SECONDS - start)) s" >&2
    exit 0
fi

echo "system-deps: missing system packages: ${missing[*]}" >&2
echo "system-deps: install them as root, e.g.: apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
fail=0
if ! have_chromium; then
    if [ "$need_browser" = 1 ]; then
        echo "system-deps: chromium is required (OPSPOR_REQUIRE_BROWSER=1); set OPSPOR_REQUIRE_BROWSER=0 to skip the browser tests" >&2
        fail=1
    else
        echo "system-deps: the browser tests will be skipped" >&2
    fi
fi
if ! have_postgres; then
    if [ "$need_pg" = 1 ]; then
        echo "system-deps: the PostgreSQL server is required for the PostgreSQL pass; set OPSPOR_TEST_PG=0 to skip it" >&2
        fail=1
    else
        echo "system-deps: the PostgreSQL pass will not run" >&2
    fi
fi
exit "$fail"
