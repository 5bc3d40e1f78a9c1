use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OauthStates {
    Table,
    StateHash,
    ConnectionId,
    OrganisationId,
    Verifier,
    ReturnTo,
    ExpiresAt,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OauthStates::Table)
                    // The state travels through the browser; only its hash is kept, like any bearer secret.
                    .col(text(OauthStates::StateHash).primary_key())
                    .col(uuid(OauthStates::ConnectionId))
                    .col(uuid(OauthStates::OrganisationId))
                    // The PKCE verifier, sealed with the instance secret.
                    .col(blob(OauthStates::Verifier))
                    .col(text_null(OauthStates::ReturnTo))
                    .col(timestamp_with_time_zone(OauthStates::ExpiresAt))
                    .col(timestamp_with_time_zone(OauthStates::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OauthStates::Table).to_owned())
            .await
    }
}
