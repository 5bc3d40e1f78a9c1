//! Manager links as the hub wrote them, so a run can find the people whose link is not yet right (their manager
//! reached the target after them, or the run was resumed); and dry runs' "would write" count apart from real writes.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Bindings {
    Table,
    ManagerSourceId,
    ManagerTargetId,
}

#[derive(DeriveIden)]
enum Runs {
    Table,
    RecordsWouldWrite,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Bindings::Table)
                    .add_column(text_null(Bindings::ManagerSourceId))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Bindings::Table)
                    .add_column(text_null(Bindings::ManagerTargetId))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Runs::Table)
                    .add_column(big_integer(Runs::RecordsWouldWrite).default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Bindings::ManagerSourceId, Bindings::ManagerTargetId] {
            manager
                .alter_table(Table::alter().table(Bindings::Table).drop_column(column).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Runs::Table)
                    .drop_column(Runs::RecordsWouldWrite)
                    .to_owned(),
            )
            .await
    }
}
