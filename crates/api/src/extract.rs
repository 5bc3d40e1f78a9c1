//! Request extractors: the authenticated principal, and JSON bodies whose errors name the offending field.
use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::{FromRequest, HttpRequest};
use futures::StreamExt;
use ihub_domain::{DomainError, FieldError, Hub, Principal};
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::state::Limits;

/// The caller, authenticated by `Authorization: Bearer <access token or API key>`.
pub struct Auth(pub Principal);

impl FromRequest for Auth {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let hub = req.app_data::<web::Data<Hub>>().cloned();
        let bearer = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(|t| t.trim().to_owned());
        Box::pin(async move {
            let hub = hub.ok_or_else(|| ApiError::Domain(DomainError::Internal("hub state missing".into())))?;
            let bearer = bearer
                .filter(|b| !b.is_empty())
                .ok_or(ApiError::Domain(DomainError::Unauthenticated(
                    "this endpoint needs `Authorization: Bearer <access token or API key>`",
                )))?;
            Ok(Auth(ihub_domain::accounts::auth::authenticate(&hub, &bearer).await?))
        })
    }
}

/// An authenticated admin. Extracted before the body, so a support user is told they may not act rather than
/// what is wrong with a body they may not send; the domain services check the role again.
pub struct Admin(pub Principal);

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let auth = Auth::from_request(req, payload);
        Box::pin(async move {
            let Auth(who) = auth.await?;
            who.require_admin()?;
            Ok(Admin(who))
        })
    }
}

/// A JSON body, read up to the configured limit, parsed so that type errors name their field.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = JsonBody::new(req, payload);
        Box::pin(async move { body.read().await.map(ApiJson) })
    }
}

/// An admin and their JSON body, in that order: actix polls sibling extractors together, so a separate body
/// extractor would report a bad body to a caller whose role forbids the call before the role check finished.
pub struct AdminJson<T>(pub Principal, pub T);

impl<T: DeserializeOwned + 'static> FromRequest for AdminJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let admin = Admin::from_request(req, payload);
        let body = JsonBody::new(req, payload);
        Box::pin(async move {
            let Admin(who) = admin.await?;
            Ok(AdminJson(who, body.read().await?))
        })
    }
}

/// A signed-in user and a body whose every field is optional: no body at all means the defaults, so scripts may
/// `POST` with nothing.
pub struct AuthOptionalJson<T>(pub Principal, pub T);

impl<T: DeserializeOwned + Default + 'static> FromRequest for AuthOptionalJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let auth = Auth::from_request(req, payload);
        let body = JsonBody::new(req, payload);
        Box::pin(async move {
            let Auth(who) = auth.await?;
            if !body.is_json && body.declared_len.unwrap_or(0) == 0 {
                return Ok(AuthOptionalJson(who, T::default()));
            }
            Ok(AuthOptionalJson(who, body.read().await?))
        })
    }
}

/// A signed-in user and their JSON body, read only once the user is known.
pub struct AuthJson<T>(pub Principal, pub T);

impl<T: DeserializeOwned + 'static> FromRequest for AuthJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let auth = Auth::from_request(req, payload);
        let body = JsonBody::new(req, payload);
        Box::pin(async move {
            let Auth(who) = auth.await?;
            Ok(AuthJson(who, body.read().await?))
        })
    }
}

/// What reading a JSON body needs from the request, taken up front so the reading can happen later.
struct JsonBody {
    limit: usize,
    is_json: bool,
    declared_len: Option<usize>,
    payload: Payload,
}

impl JsonBody {
    fn new(req: &HttpRequest, payload: &mut Payload) -> Self {
        let limit = req
            .app_data::<web::Data<Limits>>()
            .map(|l| l.max_body_bytes)
            .unwrap_or(256 * 1024);
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<mime::Mime>().ok())
            .is_some_and(|m| m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON));
        let declared_len = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        Self {
            limit,
            is_json,
            declared_len,
            payload: payload.take(),
        }
    }

    async fn read<T: DeserializeOwned>(mut self) -> Result<T, ApiError> {
        let limit = self.limit;
        if self.declared_len.is_some_and(|len| len > limit) {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        if !self.is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let mut body = web::BytesMut::new();
        while let Some(chunk) = self.payload.next().await {
            let chunk = chunk.map_err(|e| ApiError::MalformedJson(e.to_string()))?;
            if body.len() + chunk.len() > limit {
                return Err(ApiError::PayloadTooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
        parse_json(&body.freeze())
    }
}

fn parse_json<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    // serde reads a struct from an array too (`["a@b.c", "pw"]`); every body of this API is an object.
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => {}
        None => return Err(ApiError::MalformedJson("the body is empty".into())),
        Some(_) if serde_json::from_slice::<serde_json::Value>(body).is_err() => {
            return Err(ApiError::MalformedJson("the body is not valid JSON".into()));
        }
        Some(_) => return Err(ApiError::invalid("", "the body must be a JSON object")),
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() || inner.is_io() {
            ApiError::MalformedJson(inner.to_string())
        } else {
            ApiError::Domain(DomainError::Validation(vec![FieldError::from_serde(
                &path,
                &inner.to_string(),
            )]))
        }
    })?;
    Ok(value)
}

/// Path segments that do not parse (an id that is not a UUID) name a resource that cannot exist.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_, _| ApiError::NoRoute.into())
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _| {
        let message = err.to_string();
        let field = message
            .split('`')
            .nth(1)
            .filter(|_| message.contains("field"))
            .unwrap_or("query")
            .to_owned();
        ApiError::Domain(DomainError::Validation(vec![FieldError::new(field, message)])).into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        inner: Inner,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        count: u32,
    }

    #[test]
    fn json_errors_name_the_field_or_say_the_body_is_malformed() {
        let err = parse_json::<Body>(&Bytes::from_static(br#"{"name": "x", "inner": {"count": "many"}}"#)).unwrap_err();
        match err {
            ApiError::Domain(DomainError::Validation(errors)) => {
                assert_eq!(errors[0].field, "inner.count");
                assert!(!errors[0].message.contains("line 1"), "{}", errors[0].message);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse_json::<Body>(&Bytes::from_static(b"{\"name\":")),
            Err(ApiError::MalformedJson(_))
        ));
    }
}
