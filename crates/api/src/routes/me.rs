use actix_web::{get, web};
use ihub_domain::Hub;
use ihub_domain::accounts::users::{self, Me};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::ApiResult;
use crate::extract::Auth;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_me);
}

/// The signed-in user (or the creator of the API key) and their organisation.
#[utoipa::path(tag = "users", security(("bearer" = [])), responses((status = 200, description = "The caller", body = Me)))]
#[get("/me")]
async fn get_me(hub: web::Data<Hub>, Auth(who): Auth) -> ApiResult<web::Json<Me>> {
    Ok(web::Json(users::me(&hub, &who).await?))
}
