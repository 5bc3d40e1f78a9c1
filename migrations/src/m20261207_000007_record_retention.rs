//! Record-line retention: a run whose lines were removed keeps its row and counts and says when they went, so the
//! report can tell "removed by retention" from "no lines".
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Runs {
    Table,
    RecordsRemovedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Runs::Table)
                    .add_column(timestamp_with_time_zone_null(Runs::RecordsRemovedAt))
                    .to_owned(),
            )
            .await?;
        // The retention pass looks, per integration, for runs whose lines are still there, oldest numbers first;
        // NULLs are indexed on both databases, so runs already pruned are never scanned again.
        manager
            .create_index(
                Index::create()
                    .name("ix_runs_records_kept")
                    .table(Runs::Table)
                    .col(Alias::new("integration_id"))
                    .col(Runs::RecordsRemovedAt)
                    .col(Alias::new("number"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("ix_runs_records_kept").table(Runs::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Runs::Table)
                    .drop_column(Runs::RecordsRemovedAt)
                    .to_owned(),
            )
            .await
    }
}
