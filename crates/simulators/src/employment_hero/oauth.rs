//! The authorization code grant with PKCE (RFC 6749 §4.1, RFC 7636) and refresh tokens (RFC 6749 §6), answering
//! as Employment Hero's authorization server does: the page approves at once, since the simulated admin is
//! always signed in, unless a test asked it to refuse the next authorization (the admin pressing Deny).
use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::SimState;

/// Access tokens live 15 minutes at Employment Hero (docs.stackone.com, Employment Hero connector guide).
pub const DEFAULT_ACCESS_LIFETIME: Duration = Duration::minutes(15);
/// RFC 6749 §4.1.2 recommends at most ten minutes for an authorization code.
const CODE_LIFETIME: Duration = Duration::minutes(10);

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/authorize", web::get().to(authorize))
        .route("/token", web::post().to(token));
}

#[derive(Debug, Clone)]
struct CodeGrant {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    method: String,
    expires_at: DateTime<Utc>,
}

/// The tokens the server issued and their state.
#[derive(Debug)]
pub struct AuthServer {
    codes: HashMap<String, CodeGrant>,
    access: HashMap<String, DateTime<Utc>>,
    refresh: HashMap<String, String>,
    pub access_lifetime: Duration,
    /// The next valid authorization request is denied, as when the admin presses Deny on the consent page.
    pub refuse_next: bool,
}

impl Default for AuthServer {
    fn default() -> Self {
        Self {
            codes: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            access_lifetime: DEFAULT_ACCESS_LIFETIME,
            refuse_next: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenCheck {
    Valid,
    Expired,
    Unknown,
}

impl AuthServer {
    pub fn check(&self, token: &str) -> TokenCheck {
        match self.access.get(token) {
            Some(expiry) if *expiry > Utc::now() => TokenCheck::Valid,
            Some(_) => TokenCheck::Expired,
            None => TokenCheck::Unknown,
        }
    }

    /// Every issued access token lapses now, as if the clock had run past them.
    pub fn expire_access_tokens(&mut self) {
        let past = Utc::now() - Duration::seconds(1);
        for expiry in self.access.values_mut() {
            *expiry = past;
        }
    }

    /// Every refresh token stops working, as when the customer revokes the app: the next refresh fails.
    pub fn revoke_refresh_tokens(&mut self) {
        self.refresh.clear();
    }

    pub fn refresh_tokens(&self) -> usize {
        self.refresh.len()
    }

    fn issue(&mut self, client_id: &str) -> serde_json::Value {
        let access = format!("eh-at-{}", uuid::Uuid::new_v4().simple());
        let refresh = format!("eh-rt-{}", uuid::Uuid::new_v4().simple());
        self.access.insert(access.clone(), Utc::now() + self.access_lifetime);
        self.refresh.insert(refresh.clone(), client_id.to_owned());
        json!({
            "access_token": access,
            "token_type": "bearer",
            "expires_in": self.access_lifetime.num_seconds(),
            "refresh_token": refresh,
            "scope": "urn:mainapp:organisations:read urn:mainapp:employees:read",
            "created_at": Utc::now().timestamp(),
        })
    }
}

fn page(status: u16, title: &str, text: &str) -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).expect("valid status"))
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!doctype html><title>{title}</title><h1>{title}</h1><p>{text}</p>"
        ))
}

fn redirect_with(redirect_uri: &url::Url, params: &[(&str, &str)]) -> HttpResponse {
    let mut target = redirect_uri.clone();
    {
        let mut query = target.query_pairs_mut();
        for (k, v) in params {
            query.append_pair(k, v);
        }
    }
    HttpResponse::Found()
        .insert_header(("Location", target.to_string()))
        .finish()
}

async fn authorize(state: web::Data<SimState>, query: web::Query<HashMap<String, String>>) -> HttpResponse {
    let accepted = &state.accepted;
    let param = |k: &str| query.get(k).map(String::as_str).filter(|v| !v.is_empty());
    // RFC 6749 §4.1.2.1: with an unknown client or a bad redirect URI the server must not redirect, since the
    // redirect target cannot be trusted; it tells the person instead.
    if param("client_id") != Some(accepted.employment_hero_client_id.as_str()) {
        return page(
            400,
            "Client authentication failed",
            "invalid_client: the client_id is not an application registered in the Developer Portal.",
        );
    }
    let Some(redirect_uri) = param("redirect_uri").and_then(|u| url::Url::parse(u).ok()) else {
        return page(
            400,
            "Invalid redirect URI",
            "invalid_request: redirect_uri is missing or not a URL.",
        );
    };
    let registered = &accepted.employment_hero_redirect_uris;
    if !registered.is_empty() && !registered.iter().any(|r| r == redirect_uri.as_str()) {
        return page(
            400,
            "Invalid redirect URI",
            "invalid_redirect_uri: the redirect URI is not registered for this application.",
        );
    }
    let state_param = param("state").unwrap_or_default();
    let fail = |error: &str, description: &str| {
        let mut params = vec![("error", error), ("error_description", description)];
        if !state_param.is_empty() {
            params.push(("state", state_param));
        }
        redirect_with(&redirect_uri, &params)
    };
    if param("response_type") != Some("code") {
        return fail(
            "unsupported_response_type",
            "The authorization server does not support this response type.",
        );
    }
    // PKCE is mandatory at Employment Hero from 2026-09-14 (developer docs, "Authentication").
    let Some(challenge) = param("code_challenge") else {
        return fail("invalid_request", "Code challenge is required.");
    };
    let method = param("code_challenge_method").unwrap_or("plain");
    if method != "S256" && method != "plain" {
        return fail("invalid_request", "Transform algorithm not supported.");
    }
    let mut server = state.eh_auth.lock().expect("lock");
    // The request is sound, so the consent page would be shown; a refusal goes back with the state (§4.1.2.1).
    if std::mem::take(&mut server.refuse_next) {
        return fail("access_denied", "The resource owner denied the request.");
    }
    let code = uuid::Uuid::new_v4().simple().to_string();
    server.codes.insert(
        code.clone(),
        CodeGrant {
            client_id: accepted.employment_hero_client_id.clone(),
            redirect_uri: redirect_uri.to_string(),
            challenge: challenge.to_owned(),
            method: method.to_owned(),
            expires_at: Utc::now() + CODE_LIFETIME,
        },
    );
    let mut params = vec![("code", code.as_str())];
    if !state_param.is_empty() {
        params.push(("state", state_param));
    }
    redirect_with(&redirect_uri, &params)
}

fn token_error(status: u16, error: &str, description: &str) -> HttpResponse {
    let mut response = HttpResponse::build(actix_web::http::StatusCode::from_u16(status).expect("valid status"));
    if status == 401 {
        response.insert_header(("WWW-Authenticate", "Basic realm=\"Employment Hero\""));
    }
    response
        .insert_header(("Cache-Control", "no-store"))
        .json(json!({"error": error, "error_description": description}))
}

/// Client credentials from HTTP Basic (RFC 6749 §2.3.1, preferred) or the form body.
fn client_credentials(req: &HttpRequest, form: &HashMap<String, String>) -> Option<(String, String)> {
    if let Some(basic) = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    {
        let decoded = base64::engine::general_purpose::STANDARD.decode(basic.trim()).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (id, secret) = text.split_once(':')?;
        let unescape = |s: &str| {
            url::form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
        };
        return Some((unescape(id)?, unescape(secret)?));
    }
    Some((form.get("client_id")?.clone(), form.get("client_secret")?.clone()))
}

fn pkce_matches(grant: &CodeGrant, verifier: &str) -> bool {
    match grant.method.as_str() {
        "S256" => {
            let digest = Sha256::digest(verifier.as_bytes());
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest) == grant.challenge
        }
        _ => verifier == grant.challenge,
    }
}

async fn token(req: HttpRequest, state: web::Data<SimState>, form: web::Form<HashMap<String, String>>) -> HttpResponse {
    let accepted = &state.accepted;
    let authenticated = client_credentials(&req, &form).is_some_and(|(id, secret)| {
        id == accepted.employment_hero_client_id && secret == accepted.employment_hero_client_secret
    });
    if !authenticated {
        return token_error(
            401,
            "invalid_client",
            "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.",
        );
    }
    let invalid_grant = || {
        token_error(
            400,
            "invalid_grant",
            "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.",
        )
    };
    let mut server = state.eh_auth.lock().expect("lock");
    match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            // A code is good once, whatever the outcome (RFC 6749 §4.1.2).
            let Some(grant) = form.get("code").and_then(|c| server.codes.remove(c)) else {
                return invalid_grant();
            };
            if grant.expires_at < Utc::now()
                || form.get("redirect_uri") != Some(&grant.redirect_uri)
                || grant.client_id != accepted.employment_hero_client_id
            {
                return invalid_grant();
            }
            match form.get("code_verifier") {
                Some(verifier) if pkce_matches(&grant, verifier) => {}
                Some(_) => return invalid_grant(),
                None => return token_error(400, "invalid_request", "Code verifier is required."),
            }
            let body = server.issue(&grant.client_id);
            HttpResponse::Ok()
                .insert_header(("Cache-Control", "no-store"))
                .json(body)
        }
        Some("refresh_token") => {
            let Some(client_id) = form.get("refresh_token").and_then(|t| server.refresh.remove(t)) else {
                return invalid_grant();
            };
            let body = server.issue(&client_id);
            HttpResponse::Ok()
                .insert_header(("Cache-Control", "no-store"))
                .json(body)
        }
        Some(_) => token_error(
            400,
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
        ),
        None => token_error(400, "invalid_request", "grant_type is missing."),
    }
}
