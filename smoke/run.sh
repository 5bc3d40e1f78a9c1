#!/usr/bin/env bash
# OpenAPI-driven smoke test of a built `ihub` binary with schemathesis.
#
# Starts `ihub serve` on a free loopback port with a throwaway data directory, creates an organisation and
# an admin with the CLI, seeds objects through the API (smoke/seed.py), then runs schemathesis against the
# served /api/openapi.json with the checks not_a_server_error, status_code_conformance,
# content_type_conformance and response_schema_conformance. Exits non-zero on any failure.
#
# Usage: smoke/run.sh [extra schemathesis run options...]      (from any working directory)
#
# Environment:
#   IHUB_BIN             the binary to test (default: <repo>/target/debug/ihub); relative to the caller's cwd
#   SMOKE_DATABASE_URL   postgres://USER@HOST:PORT[/DB]: run on PostgreSQL instead of SQLite. A fresh database
#                        is created on that server for the run (createdb) and dropped afterwards; DB is only
#                        the maintenance database used to do that. Needs createdb/dropdb on PATH.
#   SMOKE_PYTHON         interpreter for the virtualenv (default: python3; must be >= 3.11)
#   SMOKE_VENV           virtualenv directory (default: <repo>/.venv-smoke; reused while it matches
#                        smoke/requirements.txt, rebuilt otherwise)
#   SMOKE_REPORT_DIR     where reports go (default: <repo>/target/smoke)
#   SMOKE_MAX_EXAMPLES   fuzzing examples per operation (default: 25)
#   SMOKE_SEED           run randomized with this seed instead of derandomized (default: derandomized, so
#                        the same binary and schema send the same requests every run)
#   SMOKE_PHASES         schemathesis phases (default: examples,coverage,fuzzing)
#   SMOKE_KEEP_TMP=1     keep the temporary directory (data dir, logs) for inspection
set -Eeuo pipefail

SMOKE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$SMOKE_DIR/.." && pwd)"

BIN="${IHUB_BIN:-$REPO/target/debug/ihub}"
case "$BIN" in /*) ;; *) BIN="$PWD/$BIN" ;; esac
PYTHON="${SMOKE_PYTHON:-python3}"
VENV="${SMOKE_VENV:-$REPO/.venv-smoke}"
REPORT_DIR="${SMOKE_REPORT_DIR:-$REPO/target/smoke}"
MAX_EXAMPLES="${SMOKE_MAX_EXAMPLES:-25}"
if [[ -n "${SMOKE_SEED:-}" ]]; then
    RANDOMNESS=(--seed "$SMOKE_SEED")
else
    RANDOMNESS=(--generation-deterministic)
fi
PHASES="${SMOKE_PHASES:-examples,coverage,fuzzing}"
CHECKS="not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
ORG="Smoke"
ADMIN_EMAIL="admin@smoke.invalid"
ADMIN_PASSWORD="smoke-admin-password"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'smoke: %s\n' "$*" >&2; exit 1; }

[[ -f "$BIN" && -x "$BIN" ]] || die "no executable ihub at $BIN (build it, or set IHUB_BIN)"

# The hub reads IHUB_*, DATABASE_URL and REDIS_URL from its environment (and ./ihub.toml or $IHUB_CONFIG):
# none of the caller's may leak into the run, least of all a real DATABASE_URL. IHUB_BIN is ours, and
# would be refused by the hub as an unknown setting.
while IFS= read -r name; do unset "$name"; done < <(compgen -e | grep '^IHUB_' || true)
unset DATABASE_URL REDIS_URL

# ---------------------------------------------------------------------------------------------------------
# Cleanup: stop the hub, drop the database, remove the temporary directory. Runs on every exit.
TMP="$(mktemp -d "${TMPDIR:-/tmp}/ihub-smoke.XXXXXX")"
HUB_PID=""
ST_PID=""
PG_DB=""
PG_ADMIN_URL=""
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if [[ -n "$ST_PID" ]] && kill -0 "$ST_PID" 2>/dev/null; then
        kill -TERM "$ST_PID" 2>/dev/null || true
        wait "$ST_PID" 2>/dev/null || true
    fi
    if [[ -n "$HUB_PID" ]] && kill -0 "$HUB_PID" 2>/dev/null; then
        kill -TERM "$HUB_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$HUB_PID" 2>/dev/null || break; sleep 0.2; done
        if kill -0 "$HUB_PID" 2>/dev/null; then
            log "hub did not stop within 10 s of SIGTERM; killing it"
            kill -KILL "$HUB_PID" 2>/dev/null || true
        fi
        wait "$HUB_PID" 2>/dev/null || true
    fi
    if [[ -f "$TMP/ihub.log" ]]; then
        cp "$TMP/ihub.log" "$REPORT_DIR/ihub.log" || true
    fi
    if [[ -n "$PG_DB" ]]; then
        dropdb --if-exists --force --maintenance-db="$PG_ADMIN_URL" "$PG_DB" 2>/dev/null \
            || dropdb --if-exists --maintenance-db="$PG_ADMIN_URL" "$PG_DB" \
            || log "could not drop database $PG_DB"
    fi
    if [[ "${SMOKE_KEEP_TMP:-}" == 1 ]]; then
        log "kept $TMP"
    else
        rm -rf "$TMP"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$REPORT_DIR"
rm -f "$REPORT_DIR/junit.xml" "$REPORT_DIR/schemathesis.txt" "$REPORT_DIR/ihub.log"

# ---------------------------------------------------------------------------------------------------------
# Python virtualenv with the pinned tools, reused while it was built from the same requirements and Python.
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
    || die "$PYTHON is missing or older than 3.11 (schemathesis needs 3.11+); set SMOKE_PYTHON"
STAMP="$( { cat "$SMOKE_DIR/requirements.txt"; "$PYTHON" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)"
if [[ -x "$VENV/bin/schemathesis" && "$(cat "$VENV/.smoke-stamp" 2>/dev/null)" == "$STAMP" ]]; then
    log "reusing $VENV"
else
    log "creating $VENV"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
        -r "$SMOKE_DIR/requirements.txt"
    echo "$STAMP" > "$VENV/.smoke-stamp"
fi
log "$("$VENV/bin/schemathesis" --version)"

# ---------------------------------------------------------------------------------------------------------
# Database: SQLite in the data directory, or a fresh PostgreSQL database for this run.
if [[ -n "${SMOKE_DATABASE_URL:-}" ]]; then
    PG_ADMIN_URL="$SMOKE_DATABASE_URL"
    command -v createdb >/dev/null || die "SMOKE_DATABASE_URL is set but createdb is not on PATH"
    PG_NAME="ihub_smoke_$(date +%s)_$$"
    DATABASE_URL="$("$VENV/bin/python" - "$PG_ADMIN_URL" "$PG_NAME" <<'EOF'
import sys
from urllib.parse import urlsplit, urlunsplit
url, name = sys.argv[1], sys.argv[2]
parts = urlsplit(url)
if parts.scheme not in ("postgres", "postgresql"):
    sys.exit("SMOKE_DATABASE_URL must be a postgres:// URL")
print(urlunsplit(parts._replace(path="/" + name)))
EOF
)"
    log "creating database $PG_NAME"
    createdb --maintenance-db="$PG_ADMIN_URL" "$PG_NAME"
    PG_DB="$PG_NAME"
    export DATABASE_URL
    DB_KIND=postgres
else
    DB_KIND=sqlite
fi

# ---------------------------------------------------------------------------------------------------------
# The hub, run from the temporary directory (so no ./ihub.toml is picked up) with an empty config file.
PORT="$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
: > "$TMP/ihub.toml"
export IHUB_CONFIG="$TMP/ihub.toml"
export IHUB_DATA_DIR="$TMP/data"
export IHUB_LISTEN="127.0.0.1:$PORT"
export IHUB_SECRET_KEY="smoke-test-secret-key-not-for-production-0123456789"
# The simulators listen on loopback, which the hub refuses to call unless allowed.
export IHUB_ALLOW_PRIVATE_NETWORKS=true
cd "$TMP"

log "starting $BIN serve on $BASE ($DB_KIND)"
"$BIN" serve > "$TMP/ihub.log" 2>&1 &
HUB_PID=$!
ready=""
for _ in $(seq 1 150); do
    kill -0 "$HUB_PID" 2>/dev/null || { cat "$TMP/ihub.log" >&2; die "ihub serve exited during start-up"; }
    if "$VENV/bin/python" - "$BASE/readyz" <<'EOF' 2>/dev/null
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
    sys.exit(0 if r.status == 200 else 1)
EOF
    then ready=1; break; fi
    sleep 0.2
done
[[ -n "$ready" ]] || { cat "$TMP/ihub.log" >&2; die "$BASE/readyz not ready after 30 s"; }

log "creating organisation and admin with the CLI"
"$BIN" admin create-org --name "$ORG" > /dev/null
"$BIN" admin create-user --org "$ORG" --email "$ADMIN_EMAIL" --password "$ADMIN_PASSWORD" --role admin > /dev/null

log "seeding objects"
"$VENV/bin/python" "$SMOKE_DIR/seed.py" --base-url "$BASE" --email "$ADMIN_EMAIL" --password "$ADMIN_PASSWORD" \
    > "$TMP/seed.env"
# shellcheck disable=SC1091
source "$TMP/seed.env"

# ---------------------------------------------------------------------------------------------------------
log "schemathesis: phases=$PHASES max-examples=$MAX_EXAMPLES ${RANDOMNESS[*]}"
started=$SECONDS
# In the background with `wait`, so that a signal reaches the trap at once rather than after the run; the
# console output also goes to $REPORT_DIR/schemathesis.txt.
exec 3> >(tee "$REPORT_DIR/schemathesis.txt")
TEE_PID=$!
"$VENV/bin/schemathesis" --config-file "$SMOKE_DIR/schemathesis.toml" run "$BASE/api/openapi.json" \
    --checks "$CHECKS" \
    --phases "$PHASES" \
    --max-examples "$MAX_EXAMPLES" \
    "${RANDOMNESS[@]}" \
    --workers 1 \
    --request-timeout 30 \
    --report junit --report-junit-path "$REPORT_DIR/junit.xml" \
    --no-color \
    "$@" >&3 2>&3 &
ST_PID=$!
st_status=0
wait "$ST_PID" || st_status=$?
ST_PID=""
exec 3>&-
wait "$TEE_PID" 2>/dev/null || true
log "schemathesis finished in $((SECONDS - started)) s with status $st_status; reports in $REPORT_DIR"

# One closing line in the plain `N passed, N failed` form, counted per operation from the JUnit report.
if [[ -s "$REPORT_DIR/junit.xml" ]]; then
    "$VENV/bin/python" - "$REPORT_DIR/junit.xml" <<'EOF' || true
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.iter("testsuite")
count = {k: 0 for k in ("tests", "failures", "errors", "skipped")}
for suite in suites:
    for k in count:
        count[k] += int(suite.get(k, 0))
failed = count["failures"] + count["errors"]
passed = count["tests"] - failed - count["skipped"]
print(f"smoke: {passed} passed, {failed} failed" + (f", {count['skipped']} skipped" if count["skipped"] else ""))
EOF
fi

kill -0 "$HUB_PID" 2>/dev/null || { log "the hub died during the run; see $REPORT_DIR/ihub.log"; exit 1; }
exit "$st_status"
