# Integration Hub — the commands a developer types. `just --list` shows them all.

set shell := ["bash", "-euo", "pipefail", "-c"]

# PostgreSQL the tests create their databases in (one per test).
export IHUB_TEST_POSTGRES_URL := env_var_or_default("IHUB_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")

# Where cargo builds: `target/` unless CARGO_TARGET_DIR says otherwise (CI keeps one outside the clone). The smoke and
# browser tests run the same debug binaries the Rust tests built.
target_dir := env_var_or_default("CARGO_TARGET_DIR", justfile_directory() / "target")
export IHUB_BIN := target_dir / "debug" / "ihub"
export IHUB_SIM_BIN := target_dir / "debug" / "ihub-sim"

default:
    @just --list

# Build the web app and run the hub with its embedded defaults (SQLite in ./data, in-process jobs) on :8080.
serve *ARGS: web-build
    cargo run --release -p ihub --bin ihub -- serve {{ARGS}}

# The demo: the hub beside the Employment Hero and SCIM simulators, set up with an organisation, both connections and an integration.
demo: web-build
    bash scripts/demo.sh

# Everything CI checks: formatting, lints, the OpenAPI document, Rust tests on SQLite and PostgreSQL, web tests, the OpenAPI smoke test, the browser end-to-end tests. One debug build serves them all; each stage's time is printed at the end.
test:
    #!/usr/bin/env bash
    set -euo pipefail
    times=$(mktemp)
    trap 'echo "stage times:"; cat "$times"; rm -f "$times"' EXIT
    for stage in lint build test-rust test-web smoke test-e2e; do
        start=$SECONDS
        status=0
        just "$stage" || status=$?
        printf '  %-10s %4d s%s\n' "$stage" $((SECONDS - start)) "$([ "$status" = 0 ] || echo ' (failed)')" \
            | tee -a "${IHUB_STAGE_TIMES:-/dev/null}" >> "$times"
        [ "$status" = 0 ] || exit "$status"
    done

# One debug build of every crate, test and binary: the Rust tests, the smoke test and the browser tests all use it.
build:
    cargo build --workspace --all-targets

# Rust unit and end-to-end tests (each end-to-end test runs on SQLite and on PostgreSQL), with cargo-nextest when it is installed (tests of all binaries side by side), else cargo test.
test-rust:
    #!/usr/bin/env bash
    set -euo pipefail
    if cargo nextest --version >/dev/null 2>&1; then
        cargo nextest run --workspace --all-targets --profile "${NEXTEST_PROFILE:-default}"
    else
        echo "cargo-nextest is not installed: running cargo test (cargo install --locked cargo-nextest is faster)"
        cargo test --workspace --all-targets
    fi

# Formatting and clippy, warnings as errors.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Regenerate the checked-in OpenAPI document and the web app's types from the code (tests fail when they differ).
openapi:
    cargo run --quiet -p ihub --bin ihub -- openapi > openapi/openapi.json
    npm --prefix web run gen:api

# Install the web app's dependencies exactly as locked.
web-install:
    npm --prefix web ci --no-audit --no-fund

# Build the web app into web/dist, where the hub serves it from.
web-build: web-install
    npm --prefix web run build

# Type-check, unit-test and build the web app; its API types must match openapi/openapi.json.
test-web: web-install
    npm --prefix web run gen:api
    git diff --exit-code -- web/src/api/schema.d.ts || (echo "web/src/api/schema.d.ts is stale: run 'npm --prefix web run gen:api' and commit it" && exit 1)
    npm --prefix web run check
    npm --prefix web test
    npm --prefix web run build

# The web app in headless Chromium (/usr/bin/chromium, or $CHROMIUM) against a real `ihub serve` beside the simulators, on SQLite and again on PostgreSQL + Redis; screenshots in target/e2e-screenshots.
test-e2e: web-build
    cargo build -p ihub --bin ihub -p ihub-simulators --bin ihub-sim
    npm --prefix web run e2e
    E2E_POSTGRES_URL="$IHUB_TEST_POSTGRES_URL" E2E_REDIS_URL="${IHUB_TEST_REDIS_URL:-redis://127.0.0.1:6379}" E2E_SHOTS="{{justfile_directory()}}/target/e2e-screenshots/postgres-redis" npm --prefix web run e2e

# Drive a running hub from its OpenAPI document with schemathesis, on SQLite and on PostgreSQL.
smoke:
    cargo build -p ihub --bin ihub
    bash smoke/run.sh
    SMOKE_DATABASE_URL="$IHUB_TEST_POSTGRES_URL" bash smoke/run.sh

# The model-based soak test (not part of `just test`): the real hub against the simulators through rounds of random source changes and target faults, compared after every round with the model of the expected projection; seed after seed for MINUTES (or $SOAK_MINUTES, 10), from SEED (or $SOAK_SEED, else the clock). Prints every round and each difference with its seed; `just soak 0 SEED` replays one seed. SOAK_BACKEND=sqlite (default), postgres or both.
soak MINUTES=env_var_or_default("SOAK_MINUTES", "10") SEED=env_var_or_default("SOAK_SEED", ""):
    #!/usr/bin/env bash
    set -euo pipefail
    export SOAK_MINUTES="{{MINUTES}}" SOAK_SEED="{{SEED}}"
    if cargo nextest --version >/dev/null 2>&1; then
        cargo nextest run -p ihub-tests --test api --run-ignored only --no-capture -E 'test(=model::soak)'
    else
        cargo test -p ihub-tests --test api -- --ignored --exact --nocapture model::soak
    fi

# Benchmarks (not part of `just test`): full and no-change sync of 100,000 people simulator → simulator on SQLite and PostgreSQL (each measured 3 times from nothing, the median shown), one full sync of 1,000,000 for its memory, jobs through the Redis queue, webhook ingestion (signed 1 KB deliveries/s and p50/p99 beside a bare actix-web handler), rate-limit fidelity (2,000 people to a SCIM target allowing 150 requests/min, ~15 min); rewrites BENCHMARKS.md. Options override, e.g. `just bench --people 5000 --big-people 0 --repeat 1 --backend sqlite`; only the webhook part, merged into BENCHMARKS.md: `just bench --only webhooks` (or `--only rate-limit`).
bench *ARGS:
    cargo build --release -p ihub --bin ihub -p ihub-bench --bin ihub-bench
    {{target_dir}}/release/ihub-bench --ihub {{target_dir}}/release/ihub --people 100000 --big-people 1000000 --backend both --write BENCHMARKS.md {{ARGS}}
