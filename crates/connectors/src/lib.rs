//! Clients for third-party systems, each behind the domain's `Connector` port, and the catalog of them all.
//! Nothing here knows about HTTP handlers or the database.
use std::sync::Arc;

use ihub_domain::connections::ports::{Catalog, Connector};

pub mod bamboohr;
pub mod egress;
pub mod employment_hero;
pub mod http;
pub mod limits;
pub mod oauth;
pub mod odoo;
pub mod scim;
mod settings;
pub mod typed;

pub use ihub_domain::connections::ports::ConnectorError;
use typed::Typed;

/// Every connector this build ships, ready to hand to the domain.
pub fn catalog() -> Catalog {
    let connectors: Vec<Arc<dyn Connector>> = vec![
        Arc::new(Typed(employment_hero::EmploymentHero::new())),
        Arc::new(Typed(bamboohr::BambooHr::new())),
        Arc::new(Typed(scim::Scim::new())),
        Arc::new(Typed(odoo::Odoo::new())),
    ];
    Catalog::new(connectors)
}
