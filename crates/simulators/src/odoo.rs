//! Odoo external JSON-RPC API: `POST /jsonrpc` with `common.authenticate`; failures are HTTP 200 with an `error`.
use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use crate::SimState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/jsonrpc", web::post().to(jsonrpc));
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
    match (service, method) {
        ("common", "authenticate") => {
            let accepted = &state.accepted;
            let arg = |i: usize| args.get(i).and_then(Value::as_str).unwrap_or_default();
            if arg(0) != accepted.odoo_database {
                return HttpResponse::Ok().json(server_error(
                    id,
                    "psycopg2.OperationalError",
                    &format!("FATAL:  database \"{}\" does not exist", arg(0)),
                ));
            }
            // Odoo answers `false`, not an error, when the login or key is wrong.
            let uid = if arg(1) == accepted.odoo_login && arg(2) == accepted.odoo_api_key {
                json!(2)
            } else {
                json!(false)
            };
            HttpResponse::Ok().json(json!({"jsonrpc": "2.0", "id": id, "result": uid}))
        }
        _ => HttpResponse::Ok().json(server_error(
            id,
            "builtins.NotImplementedError",
            &format!("the simulator does not implement {service}.{method}"),
        )),
    }
}

fn server_error(id: Value, name: &str, message: &str) -> Value {
    json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {"code": 200, "message": "Odoo Server Error", "data": {"name": name, "message": message, "debug": ""}},
    })
}
