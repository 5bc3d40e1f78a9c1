//! Opening the database (SQLite by default, PostgreSQL when configured) and bringing its schema up to date.
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
pub use sea_orm::DbErr;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, DatabaseTransaction,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};

pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30));
    if url.starts_with("sqlite:") {
        // WAL lets readers proceed beside the one writer; the busy timeout makes writers queue instead of failing.
        options.max_connections(8).map_sqlx_sqlite_opts(|o| {
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    } else {
        // PostgreSQL plans statements the usual way (custom plans first, a cached generic one when it is as good).
        // Forcing custom plans, once a fix for a generic plan of the bindings read made on an empty table, re-planned
        // every insert of a hundred rows: a third of PostgreSQL's CPU in a full sync. The sync now renews the
        // bindings' statistics as it grows them, which also invalidates plans made on old ones
        // (`crates/domain/src/runs/sync/record.rs`, `Growth`).
        options.max_connections(20);
    }
    Database::connect(options).await
}

/// Any number of processes may start at once against one PostgreSQL database; an advisory lock held for the
/// migration's transaction lets the first migrate and the rest find the work done.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    if is_postgres(db) {
        let txn = db.begin().await?;
        txn.execute_unprepared("SELECT pg_advisory_xact_lock(4832197761)")
            .await?;
        Migrator::up(&txn, None).await?;
        txn.commit().await
    } else {
        Migrator::up(db, None).await
    }
}

/// A transaction that will write. On SQLite it takes the write lock at `BEGIN` (`IMMEDIATE`): a deferred one that
/// reads first and then writes cannot wait for another writer (SQLite answers "database is locked" at once instead
/// of honouring the busy timeout), so writers queue at the start instead. PostgreSQL ignores the mode.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// A trivial query, for readiness checks.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.ping().await
}

pub fn is_postgres(db: &DatabaseConnection) -> bool {
    db.get_database_backend() == DatabaseBackend::Postgres
}

/// Unique violations are how concurrent creators learn a name is taken; both backends report them differently.
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}
