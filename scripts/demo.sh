#!/usr/bin/env bash
# The demo: the hub with its embedded defaults beside the Employment Hero and SCIM simulators, an organisation, both
# connections and an integration set up, and where to sign in printed. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

HUB_PORT="${DEMO_PORT:-8080}"
# The first of four consecutive ports: Employment Hero, BambooHR, SCIM, Odoo (ihub-sim --help).
SIM_PORT="${DEMO_SIM_PORT:-8900}"
EMAIL="admin@demo.example"
PASSWORD="demo password 123"
DIR="target/demo"

rm -rf "$DIR" && mkdir -p "$DIR"
cargo build -q -p ihub --bin ihub -p ihub-simulators --bin ihub-sim
IHUB=target/debug/ihub

cleanup() { kill $(jobs -p) 2>/dev/null || true; }
trap cleanup EXIT INT TERM

target/debug/ihub-sim --port "$SIM_PORT" -n "${DEMO_EMPLOYEES:-200}" --json > "$DIR/sim.json" 2> "$DIR/sim.log" &
export IHUB_ALLOW_PRIVATE_NETWORKS=true IHUB_DATA_DIR="$DIR/data" IHUB_LISTEN="127.0.0.1:$HUB_PORT" IHUB_PUBLIC_URL="http://127.0.0.1:$HUB_PORT"
"$IHUB" serve > "$DIR/hub.log" 2>&1 &
for _ in $(seq 1 60); do
  curl -sf "http://127.0.0.1:$HUB_PORT/readyz" >/dev/null && [ -s "$DIR/sim.json" ] && break
  sleep 0.5
done
curl -sf "http://127.0.0.1:$HUB_PORT/readyz" >/dev/null || { echo "the hub did not start; see $DIR/hub.log"; exit 1; }

"$IHUB" admin create-org --name "Demo Co" >/dev/null
"$IHUB" admin create-user --org "Demo Co" --email "$EMAIL" --password "$PASSWORD" --role admin >/dev/null

python3 - "$HUB_PORT" "$DIR/sim.json" "$EMAIL" "$PASSWORD" <<'PY'
import json, sys, urllib.request
port, sim_file, email, password = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
sim = json.load(open(sim_file))
base = f"http://127.0.0.1:{port}/api/v1"

def call(method, path, body=None, token=None):
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body is not None else None)
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
    with urllib.request.urlopen(request) as response:
        return json.load(response)

token = call("POST", "/auth/login", {"email": email, "password": password})["access_token"]
eh, scim = sim["employment_hero"], sim["scim"]
source = call("POST", "/connections", {
    "name": "Employment Hero (simulator)", "connector": "employment_hero",
    "settings": {k: eh[k] for k in ("api_base_url", "authorize_url", "token_url", "organisation_id")},
    "credentials": {"client_id": eh["client_id"], "client_secret": eh["client_secret"]},
}, token)
target = call("POST", "/connections", {
    "name": "Learning platform (SCIM simulator)", "connector": "scim",
    "settings": {"base_url": scim["base_url"]}, "credentials": {"token": scim["token"]},
}, token)
call("POST", f"/connections/{target['id']}/test", None, token)
call("POST", "/integrations", {
    "name": "Employment Hero → Learning platform", "kind": "employees_to_users",
    "source_connection_id": source["id"], "target_connection_id": target["id"],
}, token)
print(f"""
Integration Hub demo is running.
  Sign in:    http://127.0.0.1:{port}   as {email} / {password}
  Next:       Connections → "Employment Hero (simulator)" → Connect (the simulator approves at once),
              then Integrations → enable.
  API docs:   http://127.0.0.1:{port}/api/docs/
  Simulators: {sim['control']} (people, faults, webhooks)
Ctrl-C stops the hub and the simulators.""")
PY
wait
