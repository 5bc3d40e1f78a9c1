use actix_web::{HttpResponse, get, patch, post, web};
use ihub_domain::Hub;
use ihub_domain::accounts::users::{self, NewUser, User, UserChanges};
use ihub_domain::pagination::{Page, PageRequest};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::error::ApiResult;
use crate::extract::{Admin, AdminJson, Auth};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_users)
        .service(create_user)
        .service(get_user)
        .service(update_user);
}

/// Users of the caller's organisation (admins only).
#[utoipa::path(tag = "users", security(("bearer" = [])), params(PageRequest),
    responses((status = 200, description = "A page of users", body = Page<User>)))]
#[get("/users")]
async fn list_users(
    hub: web::Data<Hub>,
    Admin(who): Admin,
    page: web::Query<PageRequest>,
) -> ApiResult<web::Json<Page<User>>> {
    Ok(web::Json(users::list(&hub, &who, &page).await?))
}

/// Create an admin or support user (admins only).
#[utoipa::path(tag = "users", security(("bearer" = [])), request_body = NewUser,
    responses(
        (status = 201, description = "Created", body = User),
        (status = 409, description = "The email is already a user of this organisation (`email_taken`) or cannot be used (`email_unavailable`)", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[post("/users")]
async fn create_user(hub: web::Data<Hub>, AdminJson(who, body): AdminJson<NewUser>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(users::create(&hub, &who, body).await?))
}

/// One user; anyone may read themselves, admins anyone in their organisation.
#[utoipa::path(tag = "users", security(("bearer" = [])), params(("id" = Uuid, Path, description = "User id")),
    responses((status = 200, description = "The user", body = User)))]
#[get("/users/{id}")]
async fn get_user(hub: web::Data<Hub>, Auth(who): Auth, id: web::Path<Uuid>) -> ApiResult<web::Json<User>> {
    Ok(web::Json(users::get(&hub, &who, *id).await?))
}

/// Change a user's name, role, password or active flag (admins only).
///
/// Deactivating or changing the password ends the user's sign-ins. The organisation keeps at least one active
/// admin.
#[utoipa::path(tag = "users", security(("bearer" = [])), params(("id" = Uuid, Path, description = "User id")),
    request_body = UserChanges,
    responses(
        (status = 200, description = "Updated", body = User),
        (status = 409, description = "Would leave the organisation without an active admin", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[patch("/users/{id}")]
async fn update_user(
    hub: web::Data<Hub>,
    id: web::Path<Uuid>,
    AdminJson(who, body): AdminJson<UserChanges>,
) -> ApiResult<web::Json<User>> {
    Ok(web::Json(users::update(&hub, &who, *id, body).await?))
}
