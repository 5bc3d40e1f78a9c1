//! Odoo JSON-RPC: authentication, the ORM methods on hr.employee and hr.department, domains, archived records,
//! and errors as Odoo words them.
use serde_json::{Value, json};

use crate::{client, start};

struct Odoo<'a> {
    sims: &'a ihub_simulators::Simulators,
}

impl Odoo<'_> {
    async fn call(&self, service: &str, method: &str, args: Value) -> Value {
        let response = client()
            .post(format!("{}/jsonrpc", self.sims.odoo_base_url()))
            .json(&json!({"jsonrpc": "2.0", "method": "call", "params": {"service": service, "method": method, "args": args}, "id": 7}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "Odoo answers JSON-RPC errors with 200");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["id"], 7);
        body
    }

    async fn execute(&self, model: &str, method: &str, args: Value, kwargs: Value) -> Value {
        self.call(
            "object",
            "execute_kw",
            json!(["acme", 2, "odoo-secret-key", model, method, args, kwargs]),
        )
        .await
    }

    async fn ok(&self, model: &str, method: &str, args: Value, kwargs: Value) -> Value {
        let body = self.execute(model, method, args, kwargs).await;
        assert!(body.get("error").is_none(), "{body}");
        body["result"].clone()
    }

    async fn error(&self, model: &str, method: &str, args: Value, kwargs: Value) -> String {
        let body = self.execute(model, method, args, kwargs).await;
        assert_eq!(body["error"]["code"], 200);
        assert_eq!(body["error"]["message"], "Odoo Server Error");
        body["error"]["data"]["name"].as_str().unwrap().to_owned()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authentication_and_access() {
    let sims = start().await;
    let odoo = Odoo { sims: &sims };
    assert_eq!(
        odoo.call("common", "version", json!([])).await["result"]["server_version"],
        "17.0"
    );
    assert_eq!(
        odoo.call(
            "common",
            "authenticate",
            json!(["acme", "hub@acme.example", "odoo-secret-key", {}])
        )
        .await["result"],
        2
    );
    assert_eq!(
        odoo.call(
            "common",
            "authenticate",
            json!(["acme", "hub@acme.example", "wrong", {}])
        )
        .await["result"],
        false
    );
    let unknown_db = odoo
        .call(
            "common",
            "authenticate",
            json!(["nope", "hub@acme.example", "odoo-secret-key", {}]),
        )
        .await;
    assert_eq!(unknown_db["error"]["data"]["name"], "psycopg2.OperationalError");
    let denied = odoo
        .call(
            "object",
            "execute_kw",
            json!(["acme", 2, "wrong", "hr.employee", "search", [[]], {}]),
        )
        .await;
    assert_eq!(denied["error"]["data"]["name"], "odoo.exceptions.AccessDenied");
    assert_eq!(
        odoo.error("res.nothing", "search", json!([[]]), json!({})).await,
        "odoo.exceptions.UserError"
    );
    assert_eq!(
        odoo.error("hr.employee", "frobnicate", json!([]), json!({})).await,
        "builtins.AttributeError"
    );
    sims.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn employees_written_read_and_archived() {
    let sims = start().await;
    let odoo = Odoo { sims: &sims };
    let engineering = odoo
        .ok("hr.department", "create", json!([{"name": "Engineering"}]), json!({}))
        .await;
    let boss = odoo
        .ok("hr.employee", "create", json!([{"name": "Grace Hopper", "work_email": "grace@acme.example", "barcode": "E-1", "department_id": engineering}]), json!({}))
        .await;
    let ids = odoo
        .ok(
            "hr.employee",
            "create",
            json!([[
                {"name": "Margaret Hamilton", "work_email": "Peggy@Acme.example", "job_title": "Engineer", "parent_id": boss, "barcode": "E-2"},
                {"name": "Katherine Johnson", "work_email": "kj@acme.example", "barcode": "E-3", "x_location": "Hampton"}
            ]]),
            json!({}),
        )
        .await;
    let [peggy, kj] = [ids[0].as_i64().unwrap(), ids[1].as_i64().unwrap()];

    // search_read: many2one as [id, name], empty as false, `id` always there.
    let rows = odoo
        .ok(
            "hr.employee",
            "search_read",
            json!([[["barcode", "=", "E-2"]]]),
            json!({"fields": ["name", "parent_id", "department_id", "job_title", "coach_id"]}),
        )
        .await;
    assert_eq!(
        rows,
        json!([{"id": peggy, "name": "Margaret Hamilton", "parent_id": [boss, "Grace Hopper"], "department_id": false, "job_title": "Engineer", "coach_id": false}])
    );
    let by_email = odoo
        .ok(
            "hr.employee",
            "search_read",
            json!([[["work_email", "=ilike", "peggy@acme.example"]]]),
            json!({"fields": ["id"], "limit": 1}),
        )
        .await;
    assert_eq!(by_email, json!([{"id": peggy}]));
    let departments = odoo
        .ok("hr.employee", "read", json!([[boss], ["department_id"]]), json!({}))
        .await;
    assert_eq!(departments[0]["department_id"], json!([engineering, "Engineering"]));

    // Domains: prefix operators, in, ilike, ordering and paging.
    let ordered = odoo
        .ok(
            "hr.employee",
            "search",
            json!([["|", ["name", "ilike", "hopper"], ["barcode", "in", ["E-2", "E-3"]]]]),
            json!({"order": "name desc"}),
        )
        .await;
    assert_eq!(ordered, json!([peggy, kj, boss]));
    let paged = odoo
        .ok("hr.employee", "search", json!([[]]), json!({"offset": 1, "limit": 1}))
        .await;
    assert_eq!(paged, json!([kj]), "ordered by name by default");
    let not_managed = odoo
        .ok(
            "hr.employee",
            "search",
            json!([["!", ["parent_id", "!=", false]]]),
            json!({}),
        )
        .await;
    assert_eq!(not_managed, json!([boss, kj]));
    assert_eq!(
        odoo.ok(
            "hr.employee",
            "search_count",
            json!([[["x_location", "=", "Hampton"]]]),
            json!({})
        )
        .await,
        1
    );

    // write answers true; archiving hides the record unless asked not to.
    assert_eq!(
        odoo.ok(
            "hr.employee",
            "write",
            json!([[peggy], {"job_title": "Lead", "active": false}]),
            json!({})
        )
        .await,
        true
    );
    assert_eq!(
        odoo.ok("hr.employee", "search", json!([[["barcode", "=", "E-2"]]]), json!({}))
            .await,
        json!([])
    );
    let archived = odoo
        .ok(
            "hr.employee",
            "search_read",
            json!([[["barcode", "=", "E-2"]]]),
            json!({"fields": ["active", "job_title"], "context": {"active_test": false}}),
        )
        .await;
    assert_eq!(archived, json!([{"id": peggy, "active": false, "job_title": "Lead"}]));
    let with_active = odoo
        .ok(
            "hr.employee",
            "search",
            json!([[["active", "in", [true, false]]]]),
            json!({}),
        )
        .await;
    assert_eq!(
        with_active.as_array().unwrap().len(),
        3,
        "a domain about `active` sees archived records"
    );
    let readback = sims.odoo_employee_where("barcode", &json!("E-2")).unwrap();
    assert_eq!(
        (readback["active"].clone(), readback["parent_id"].clone()),
        (json!(false), json!([boss, "Grace Hopper"]))
    );

    // Errors as Odoo names them.
    assert_eq!(
        odoo.error("hr.employee", "write", json!([[999], {"name": "x"}]), json!({}))
            .await,
        "odoo.exceptions.MissingError"
    );
    assert_eq!(
        odoo.error("hr.employee", "read", json!([[999]]), json!({})).await,
        "odoo.exceptions.MissingError"
    );
    assert_eq!(
        odoo.error(
            "hr.employee",
            "create",
            json!([{"work_email": "nameless@acme.example"}]),
            json!({})
        )
        .await,
        "odoo.exceptions.ValidationError"
    );
    assert_eq!(
        odoo.error(
            "hr.employee",
            "create",
            json!([{"name": "Dup", "barcode": "E-1"}]),
            json!({})
        )
        .await,
        "odoo.exceptions.ValidationError"
    );
    assert_eq!(
        odoo.error("hr.employee", "write", json!([[boss], {"parent_id": peggy}]), json!({}))
            .await,
        "odoo.exceptions.ValidationError",
        "no cycles"
    );
    assert_eq!(
        odoo.error("hr.employee", "write", json!([[boss], {"parent_id": 999}]), json!({}))
            .await,
        "odoo.exceptions.ValidationError"
    );
    assert_eq!(
        odoo.error(
            "hr.employee",
            "create",
            json!([{"name": "X", "favourite_colour": "blue"}]),
            json!({})
        )
        .await,
        "builtins.ValueError"
    );
    assert_eq!(
        odoo.error("hr.employee", "search", json!([[["nope", "=", 1]]]), json!({}))
            .await,
        "builtins.ValueError"
    );
    sims.refuse_odoo_employees_containing("@blocked.example");
    assert_eq!(
        odoo.error(
            "hr.employee",
            "create",
            json!([{"name": "Blocked", "work_email": "x@blocked.example"}]),
            json!({})
        )
        .await,
        "odoo.exceptions.ValidationError"
    );
    assert_eq!(
        sims.odoo_employees().len(),
        3,
        "refused and failed writes leave nothing behind"
    );

    assert_eq!(odoo.ok("hr.employee", "unlink", json!([[kj]]), json!({})).await, true);
    assert_eq!(
        odoo.error("hr.employee", "unlink", json!([[kj]]), json!({})).await,
        "odoo.exceptions.MissingError"
    );
    let described = odoo.ok("hr.employee", "fields_get", json!([]), json!({})).await;
    assert_eq!(described["parent_id"]["relation"], "hr.employee");
    sims.stop().await;
}
