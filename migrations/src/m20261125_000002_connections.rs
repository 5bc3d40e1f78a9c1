use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261125_000001_accounts::Organisations;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Connections {
    Table,
    Id,
    OrganisationId,
    Name,
    Connector,
    Settings,
    Credentials,
    Status,
    LastError,
    CheckedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum Integrations {
    Table,
    /// Added by the runs migration: how many runs were numbered.
    RunCounter,
    Id,
    OrganisationId,
    Name,
    Kind,
    SourceConnectionId,
    TargetConnectionId,
    Settings,
    State,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Connections::Table)
                    .col(uuid(Connections::Id).primary_key())
                    .col(uuid(Connections::OrganisationId))
                    .col(text(Connections::Name))
                    .col(text(Connections::Connector))
                    .col(json_binary(Connections::Settings))
                    // Sealed with the instance secret (XChaCha20-Poly1305); never readable without it.
                    .col(blob_null(Connections::Credentials))
                    .col(text(Connections::Status))
                    .col(text_null(Connections::LastError))
                    .col(timestamp_with_time_zone_null(Connections::CheckedAt))
                    .col(timestamp_with_time_zone(Connections::CreatedAt))
                    .col(timestamp_with_time_zone(Connections::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Connections::Table, Connections::OrganisationId)
                            .to(Organisations::Table, Organisations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_connections_org_name")
                    .table(Connections::Table)
                    .col(Connections::OrganisationId)
                    .col(Connections::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Integrations::Table)
                    .col(uuid(Integrations::Id).primary_key())
                    .col(uuid(Integrations::OrganisationId))
                    .col(text(Integrations::Name))
                    .col(text(Integrations::Kind))
                    .col(uuid(Integrations::SourceConnectionId))
                    .col(uuid(Integrations::TargetConnectionId))
                    .col(json_binary(Integrations::Settings))
                    .col(text(Integrations::State))
                    .col(timestamp_with_time_zone(Integrations::CreatedAt))
                    .col(timestamp_with_time_zone(Integrations::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Integrations::Table, Integrations::OrganisationId)
                            .to(Organisations::Table, Organisations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    // Deleting a connection in use is refused by the domain with a clear message; the
                    // foreign keys are the backstop.
                    .foreign_key(
                        ForeignKey::create()
                            .from(Integrations::Table, Integrations::SourceConnectionId)
                            .to(Connections::Table, Connections::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Integrations::Table, Integrations::TargetConnectionId)
                            .to(Connections::Table, Connections::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_integrations_org_name")
                    .table(Integrations::Table)
                    .col(Integrations::OrganisationId)
                    .col(Integrations::Name)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Integrations::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Connections::Table).to_owned())
            .await
    }
}
