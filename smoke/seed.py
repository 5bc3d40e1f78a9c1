#!/usr/bin/env python3
"""Seed a freshly started Integration Hub for the schemathesis smoke run.

Standard library only. Signs in as the admin that run.sh created with the CLI, creates the API key the run
authenticates with, and creates the objects whose ids schemathesis.toml pins as path parameters. Each
operation that changes or destroys something gets an object of its own, so that no operation can break the
ones after it, whatever order or data the run uses:

  SMOKE_API_KEY                  the admin API key every request of the run sends (never revoked)
  SMOKE_REVOCABLE_KEY_ID         a second key, the only one `POST /api-keys/{id}/revoke` is sent to
  SMOKE_ADMIN_USER_ID            the admin (read only: `GET /users/{id}`)
  SMOKE_OTHER_USER_ID            a support user, the only one `PATCH /users/{id}` is sent to
  SMOKE_CONNECTION_ID            SCIM connection to 127.0.0.1:9 (read and tested, never changed, so
                                 `POST /connections/{id}/test` only ever dials the closed loopback port)
  SMOKE_SOURCE_CONNECTION_ID     BambooHR connection to 127.0.0.1:9, the integrations' source
  SMOKE_MUTABLE_CONNECTION_ID    SCIM connection for `PATCH` and `PUT .../credentials`
  SMOKE_DELETABLE_CONNECTION_ID  SCIM connection for `DELETE`
  SMOKE_INTEGRATION_ID           integration for get, `PATCH`, enable and disable
  SMOKE_DELETABLE_INTEGRATION_ID integration for `DELETE`

Prints `export NAME=value` lines (shell-quoted) on stdout for run.sh to source.
"""
from __future__ import annotations

import argparse
import json
import shlex
import sys
import urllib.error
import urllib.request

DEAD_END = "http://127.0.0.1:9"  # the discard port on loopback: nothing listens, nothing leaves the machine


class Hub:
    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.token: str | None = None

    def call(self, method: str, path: str, body: object | None = None, expect: int = 200) -> dict:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode(errors="replace")
        if status != expect:
            sys.exit(f"seed: {method} {path} answered {status}, expected {expect}: {text}")
        return json.loads(text) if text else {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", required=True)
    args = parser.parse_args()

    hub = Hub(args.base_url)
    pair = hub.call("POST", "/api/v1/auth/login", {"email": args.email, "password": args.password})
    hub.token = pair["access_token"]
    key = hub.call("POST", "/api/v1/api-keys", {"name": "smoke", "role": "admin"}, expect=201)
    # From here on everything goes through the key, as the run will.
    hub.token = key["secret"]
    out: dict[str, str] = {"SMOKE_API_KEY": key["secret"]}

    me = hub.call("GET", "/api/v1/me")
    out["SMOKE_ADMIN_USER_ID"] = me["id"]
    out["SMOKE_REVOCABLE_KEY_ID"] = hub.call(
        "POST", "/api/v1/api-keys", {"name": "smoke-revocable", "role": "support"}, expect=201
    )["id"]
    out["SMOKE_OTHER_USER_ID"] = hub.call(
        "POST",
        "/api/v1/users",
        {"email": "support@smoke.invalid", "password": "smoke-support-password", "role": "support"},
        expect=201,
    )["id"]

    def scim(name: str) -> str:
        return hub.call(
            "POST",
            "/api/v1/connections",
            {
                "name": name,
                "connector": "scim",
                "settings": {"base_url": f"{DEAD_END}/scim/v2"},
                "credentials": {"token": "t"},
            },
            expect=201,
        )["id"]

    out["SMOKE_CONNECTION_ID"] = scim("LMS")
    out["SMOKE_SOURCE_CONNECTION_ID"] = hub.call(
        "POST",
        "/api/v1/connections",
        {
            "name": "HR",
            "connector": "bamboohr",
            "settings": {"company_domain": "acme", "api_base_url": DEAD_END},
            "credentials": {"api_key": "k"},
        },
        expect=201,
    )["id"]
    out["SMOKE_MUTABLE_CONNECTION_ID"] = scim("LMS (to change)")
    out["SMOKE_DELETABLE_CONNECTION_ID"] = scim("LMS (to delete)")

    def integration(name: str) -> str:
        return hub.call(
            "POST",
            "/api/v1/integrations",
            {
                "name": name,
                "kind": "employees_to_users",
                "source_connection_id": out["SMOKE_SOURCE_CONNECTION_ID"],
                "target_connection_id": out["SMOKE_CONNECTION_ID"],
            },
            expect=201,
        )["id"]

    out["SMOKE_INTEGRATION_ID"] = integration("HR to LMS")
    out["SMOKE_DELETABLE_INTEGRATION_ID"] = integration("HR to LMS (to delete)")

    for name, value in out.items():
        print(f"export {name}={shlex.quote(value)}")


if __name__ == "__main__":
    main()
