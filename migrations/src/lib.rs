//! Schema migrations, run on start by every role and by `ihub migrate`. Written against sea-query so one history
//! serves SQLite and PostgreSQL.
pub use sea_orm_migration::prelude::*;

mod m20261125_000001_accounts;
mod m20261125_000002_connections;
mod m20261125_000003_oauth_states;
mod m20261125_000004_runs;
mod m20261125_000005_queue;
mod m20261207_000006_manager_links;
mod m20261207_000007_record_retention;
mod m20261207_000008_api_key_expiry;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_accounts::Migration),
            Box::new(m20261125_000002_connections::Migration),
            Box::new(m20261125_000003_oauth_states::Migration),
            Box::new(m20261125_000004_runs::Migration),
            Box::new(m20261125_000005_queue::Migration),
            Box::new(m20261207_000006_manager_links::Migration),
            Box::new(m20261207_000007_record_retention::Migration),
            Box::new(m20261207_000008_api_key_expiry::Migration),
        ]
    }
}
