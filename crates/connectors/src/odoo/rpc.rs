//! Odoo's external JSON-RPC API: `POST /jsonrpc` with `{service, method, args}`; `common.authenticate` gives the
//! user id that `object.execute_kw` then needs with every call. Failures come as HTTP 200 with an `error` whose
//! `data.name` is the Python exception's class (odoo.com documentation, "External API").
use std::sync::atomic::{AtomicU64, Ordering};

use ihub_domain::connections::ports::ConnectorError;
use serde_json::{Value, json};
use tokio::sync::OnceCell;

use super::{Credentials, SYSTEM, Settings};
use crate::http::{Http, Idempotence};

pub struct Rpc {
    http: Http,
    url: String,
    database: String,
    login: String,
    api_key: String,
    uid: OnceCell<i64>,
    next_id: AtomicU64,
}

impl Rpc {
    pub fn new(http: Http, settings: &Settings, credentials: &Credentials) -> Self {
        Self {
            http,
            url: format!("{}/jsonrpc", settings.base_url.trim_end_matches('/')),
            database: settings.database.clone(),
            login: credentials.login.clone(),
            api_key: credentials.api_key.clone(),
            uid: OnceCell::new(),
            next_id: AtomicU64::new(1),
        }
    }

    async fn call(
        &self,
        service: &str,
        method: &str,
        args: Value,
        idempotence: Idempotence,
    ) -> Result<Value, ConnectorError> {
        let request = json!({
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"service": service, "method": method, "args": args},
            "id": self.next_id.fetch_add(1, Ordering::Relaxed),
        });
        let response = self
            .http
            .send(idempotence, |c| c.post(&self.url).json(&request))
            .await?;
        let mut body: Value = response
            .json()
            .await
            .map_err(|_| ConnectorError::Config(format!("{SYSTEM} did not answer JSON-RPC at /jsonrpc")))?;
        if let Some(error) = body.get("error") {
            return Err(classify(error));
        }
        Ok(body.get_mut("result").map(Value::take).unwrap_or(Value::Null))
    }

    /// The user id, authenticating on first use; `false` from Odoo means the login or key was refused.
    pub async fn uid(&self) -> Result<i64, ConnectorError> {
        self.uid
            .get_or_try_init(|| async {
                let args = json!([self.database, self.login, self.api_key, {}]);
                match self
                    .call("common", "authenticate", args, Idempotence::Idempotent)
                    .await?
                {
                    Value::Number(uid) => uid
                        .as_i64()
                        .ok_or_else(|| ConnectorError::Rejected("odd user id".into())),
                    _ => Err(ConnectorError::Auth(format!(
                        "{SYSTEM} refused the login `{}` on database `{}`",
                        self.login, self.database
                    ))),
                }
            })
            .await
            .copied()
    }

    pub async fn execute_kw(
        &self,
        model: &str,
        method: &str,
        args: Value,
        kwargs: Value,
        idempotence: Idempotence,
    ) -> Result<Value, ConnectorError> {
        let uid = self.uid().await?;
        let args = json!([self.database, uid, self.api_key, model, method, args, kwargs]);
        self.call("object", "execute_kw", args, idempotence).await
    }
}

fn classify(error: &Value) -> ConnectorError {
    let name = error.pointer("/data/name").and_then(Value::as_str).unwrap_or("unknown");
    let message = error
        .pointer("/data/message")
        .and_then(Value::as_str)
        .unwrap_or("no message");
    let text = format!("{SYSTEM} error {name}: {message}");
    let class = name.rsplit('.').next().unwrap_or(name);
    match class {
        "AccessDenied" | "AccessError" => ConnectorError::Auth(text),
        "MissingError" => ConnectorError::NotFound(text),
        "ValidationError" | "UserError" | "IntegrityError" => ConnectorError::Rejected(text),
        // The database is restarting or busy (serialisation failures, lost connections): try again later.
        "OperationalError" | "SerializationFailure" | "TransactionRollbackError" => ConnectorError::retryable(text),
        _ => ConnectorError::Rejected(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odoo_exceptions_are_classified() {
        let error =
            |name: &str| json!({"code": 200, "message": "Odoo Server Error", "data": {"name": name, "message": "m"}});
        assert!(matches!(
            classify(&error("odoo.exceptions.AccessDenied")),
            ConnectorError::Auth(_)
        ));
        assert!(matches!(
            classify(&error("odoo.exceptions.MissingError")),
            ConnectorError::NotFound(_)
        ));
        assert!(matches!(
            classify(&error("odoo.exceptions.ValidationError")),
            ConnectorError::Rejected(_)
        ));
        assert!(classify(&error("psycopg2.errors.SerializationFailure")).is_retryable());
    }
}
