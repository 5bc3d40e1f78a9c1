use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use ihub_domain::Hub;
use ihub_domain::connections::{
    self, ChoiceList, ConnectRequest, ConnectStart, Connection, ConnectionChanges, CredentialsReplacement,
    NewConnection,
};
use ihub_domain::pagination::{Page, PageRequest};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::error::ApiResult;
use crate::extract::{Admin, AdminJson, Auth};
use crate::state::OAuthCallback;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_connections)
        .service(create_connection)
        .service(get_connection)
        .service(update_connection)
        .service(replace_connection_credentials)
        .service(delete_connection)
        .service(test_connection)
        .service(connect_connection)
        .service(list_setting_choices);
}

/// Connections of the organisation. Credentials are never returned.
#[utoipa::path(tag = "connections", security(("bearer" = [])), params(PageRequest),
    responses((status = 200, description = "A page of connections", body = Page<Connection>)))]
#[get("/connections")]
async fn list_connections(
    hub: web::Data<Hub>,
    Auth(who): Auth,
    page: web::Query<PageRequest>,
) -> ApiResult<web::Json<Page<Connection>>> {
    Ok(web::Json(connections::list(&hub, &who, &page).await?))
}

/// Create a connection (admins only). It starts `disconnected`; test or connect it next.
#[utoipa::path(tag = "connections", security(("bearer" = [])), request_body = NewConnection,
    responses(
        (status = 201, description = "Created", body = Connection),
        (status = 409, description = "The name is taken", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[post("/connections")]
async fn create_connection(
    hub: web::Data<Hub>,
    AdminJson(who, body): AdminJson<NewConnection>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(connections::create(&hub, &who, body).await?))
}

#[utoipa::path(tag = "connections", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Connection id")),
    responses((status = 200, description = "The connection", body = Connection)))]
#[get("/connections/{id}")]
async fn get_connection(hub: web::Data<Hub>, Auth(who): Auth, id: web::Path<Uuid>) -> ApiResult<web::Json<Connection>> {
    Ok(web::Json(connections::get(&hub, &who, *id).await?))
}

/// Rename or change settings (admins only). Changed settings return the connection to `disconnected`.
#[utoipa::path(tag = "connections", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Connection id")),
    request_body = ConnectionChanges,
    responses(
        (status = 200, description = "Updated", body = Connection),
        (status = 409, description = "The name is taken", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[patch("/connections/{id}")]
async fn update_connection(
    hub: web::Data<Hub>,
    id: web::Path<Uuid>,
    AdminJson(who, body): AdminJson<ConnectionChanges>,
) -> ApiResult<web::Json<Connection>> {
    Ok(web::Json(connections::update(&hub, &who, *id, body).await?))
}

/// Replace the credentials (admins only). They are sealed at rest and never returned.
#[utoipa::path(tag = "connections", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Connection id")),
    request_body = CredentialsReplacement,
    responses((status = 200, description = "Replaced; the connection is `disconnected` until tested", body = Connection)))]
#[put("/connections/{id}/credentials")]
async fn replace_connection_credentials(
    hub: web::Data<Hub>,
    id: web::Path<Uuid>,
    AdminJson(who, body): AdminJson<CredentialsReplacement>,
) -> ApiResult<web::Json<Connection>> {
    Ok(web::Json(
        connections::replace_credentials(&hub, &who, *id, body).await?,
    ))
}

/// Delete a connection (admins only); refused while an integration uses it.
#[utoipa::path(tag = "connections", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Connection id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "An integration uses the connection", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[delete("/connections/{id}")]
async fn delete_connection(hub: web::Data<Hub>, Admin(who): Admin, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    connections::delete(&hub, &who, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Make a cheap real call to the system and record the outcome as the connection's status (admins only).
#[utoipa::path(tag = "connections", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Connection id")),
    responses((status = 200, description = "The connection with its new status", body = Connection)))]
#[post("/connections/{id}/test")]
async fn test_connection(
    hub: web::Data<Hub>,
    Admin(who): Admin,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<Connection>> {
    Ok(web::Json(connections::test(&hub, &who, *id).await?))
}

/// Start connecting through the provider's OAuth sign-in (admins only): answers the URL to send the browser to.
///
/// The provider sends the browser back to `/api/v1/oauth/callback`, which stores the tokens, tests the connection
/// and returns to `return_to`.
#[utoipa::path(tag = "connections", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Connection id")),
    request_body = ConnectRequest,
    responses(
        (status = 200, description = "Where to send the browser", body = ConnectStart),
        (status = 409, description = "The connector does not use OAuth (`not_oauth`), its client credentials are missing (`credentials_missing`), or its settings cannot make a sign-in address (`oauth_unavailable`)", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[post("/connections/{id}/connect")]
async fn connect_connection(
    hub: web::Data<Hub>,
    callback: web::Data<OAuthCallback>,
    id: web::Path<Uuid>,
    AdminJson(who, body): AdminJson<ConnectRequest>,
) -> ApiResult<web::Json<ConnectStart>> {
    Ok(web::Json(
        connections::connect(&hub, &who, *id, body, &callback.0).await?,
    ))
}

/// The values a setting may take, read through the connection (admins only): for Employment Hero, the
/// organisations its token can see (`organisation_id`).
#[utoipa::path(tag = "connections", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Connection id"), ("setting" = String, Path, description = "Setting name", example = "organisation_id")),
    responses(
        (status = 200, description = "The choices", body = ChoiceList),
        (status = 409, description = "No credentials yet, or the system could not be asked", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[get("/connections/{id}/settings/{setting}/choices")]
async fn list_setting_choices(
    hub: web::Data<Hub>,
    Admin(who): Admin,
    path: web::Path<(Uuid, String)>,
) -> ApiResult<web::Json<ChoiceList>> {
    let (id, setting) = path.into_inner();
    Ok(web::Json(connections::choices(&hub, &who, id, &setting).await?))
}
