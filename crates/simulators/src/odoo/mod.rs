//! Odoo's external JSON-RPC API: `POST /jsonrpc` with `{"service", "method", "args"}` for the `common`, `object`
//! and `db` services (odoo.com documentation, "External API"). Failures are HTTP 200 with an `error` whose
//! `data` is Odoo's `serialize_exception` (`name` = the Python exception's module and class, `message`,
//! `arguments`, `context`, `debug`; odoo/http.py).
use actix_web::{HttpResponse, web};
use serde_json::{Map, Value, json};

pub mod domain;
pub mod models;
pub mod orm;

pub use models::Database;

use crate::SimState;

/// The user id `authenticate` gives the accepted login (2 is the admin user of a new Odoo database).
pub const UID: i64 = 2;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/jsonrpc", web::post().to(jsonrpc));
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OdooError {
    pub name: String,
    pub message: String,
}

impl OdooError {
    pub fn new(name: &str, message: &str) -> Self {
        Self {
            name: name.to_owned(),
            message: message.to_owned(),
        }
    }
}

fn server_error(id: Value, error: &OdooError) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {
            "code": 200,
            "message": "Odoo Server Error",
            "data": {
                "name": error.name,
                "message": error.message,
                "arguments": [error.message],
                "context": {},
                "debug": format!("Traceback (most recent call last):\n{}: {}\n", error.name, error.message),
            },
        },
    }))
}

fn result(id: Value, value: Value) -> HttpResponse {
    HttpResponse::Ok().json(json!({"jsonrpc": "2.0", "id": id, "result": value}))
}

fn no_database(name: &str) -> OdooError {
    OdooError::new(
        "psycopg2.OperationalError",
        &format!("connection to server failed: FATAL:  database \"{name}\" does not exist\n"),
    )
}

async fn jsonrpc(state: web::Data<SimState>, body: web::Json<Value>) -> HttpResponse {
    let id = body.get("id").cloned().unwrap_or(Value::Null);
    let service = body
        .pointer("/params/service")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let method = body
        .pointer("/params/method")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let args = body
        .pointer("/params/args")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let accepted = &state.accepted;
    let arg = |i: usize| args.get(i).and_then(Value::as_str).unwrap_or_default();
    match (service, method) {
        ("common", "version") => result(
            id,
            json!({
                "server_version": "17.0",
                "server_version_info": [17, 0, 0, "final", 0, ""],
                "server_serie": "17.0",
                "protocol_version": 1,
            }),
        ),
        ("common", "authenticate" | "login") => {
            if arg(0) != accepted.odoo_database {
                return server_error(id, &no_database(arg(0)));
            }
            // A refused login is `false`, not an error.
            let uid = if arg(1) == accepted.odoo_login && arg(2) == accepted.odoo_api_key {
                json!(UID)
            } else {
                json!(false)
            };
            result(id, uid)
        }
        ("db", "list") => result(id, json!([accepted.odoo_database])),
        ("object", "execute_kw" | "execute") => {
            if arg(0) != accepted.odoo_database {
                return server_error(id, &no_database(arg(0)));
            }
            let uid = args.get(1).and_then(Value::as_i64);
            if uid != Some(UID) || arg(2) != accepted.odoo_api_key {
                return server_error(id, &OdooError::new("odoo.exceptions.AccessDenied", "Access Denied"));
            }
            let model = arg(3).to_owned();
            let rpc_method = arg(4).to_owned();
            let (call_args, kwargs) = if method == "execute_kw" {
                let call_args = args.get(5).and_then(Value::as_array).cloned().unwrap_or_default();
                let kwargs = args.get(6).and_then(Value::as_object).cloned().unwrap_or_default();
                (call_args, kwargs)
            } else {
                (args.get(5..).map(<[Value]>::to_vec).unwrap_or_default(), Map::new())
            };
            let mut db = state.odoo.lock().expect("lock");
            match orm::execute(&mut db, UID, &model, &rpc_method, &call_args, &kwargs) {
                Ok(value) => result(id, value),
                Err(e) => server_error(id, &e),
            }
        }
        (service, method) => server_error(
            id,
            &OdooError::new(
                "builtins.KeyError",
                &format!("'{service}.{method} is not a known RPC method'"),
            ),
        ),
    }
}
