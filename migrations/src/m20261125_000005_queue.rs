//! Inbound webhooks: each integration's secret URL token, and the durable queue of deliveries waiting to be
//! processed.
use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261125_000001_accounts::Organisations;
use crate::m20261125_000002_connections::Integrations;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone)]
enum QueueItems {
    Table,
    Id,
    OrganisationId,
    IntegrationId,
    EventType,
    SourceId,
    EventId,
    Payload,
    ReceivedAt,
    ExecuteAt,
    Status,
    Attempts,
    Error,
    RunId,
    LockedBy,
    LockedAt,
    ProcessedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Webhook {
    /// On `integrations`: the URL token, sealed with the instance secret.
    WebhookToken,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Integrations::Table)
                    .add_column(blob_null(Webhook::WebhookToken))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(QueueItems::Table)
                    .col(uuid(QueueItems::Id).primary_key())
                    .col(uuid(QueueItems::OrganisationId))
                    .col(uuid(QueueItems::IntegrationId))
                    .col(text(QueueItems::EventType))
                    .col(text(QueueItems::SourceId))
                    // The source's id of the delivery, when it gives one: redeliveries are stored once.
                    .col(text_null(QueueItems::EventId))
                    .col(text(QueueItems::Payload))
                    .col(timestamp_with_time_zone(QueueItems::ReceivedAt))
                    .col(timestamp_with_time_zone(QueueItems::ExecuteAt))
                    .col(text(QueueItems::Status))
                    .col(integer(QueueItems::Attempts))
                    .col(text_null(QueueItems::Error))
                    .col(uuid_null(QueueItems::RunId))
                    .col(text_null(QueueItems::LockedBy))
                    .col(timestamp_with_time_zone_null(QueueItems::LockedAt))
                    .col(timestamp_with_time_zone_null(QueueItems::ProcessedAt))
                    .col(timestamp_with_time_zone(QueueItems::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(QueueItems::Table, QueueItems::OrganisationId)
                            .to(Organisations::Table, Organisations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(QueueItems::Table, QueueItems::IntegrationId)
                            .to(Integrations::Table, Integrations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // NULLs are distinct in unique indexes on both backends: deliveries without an event id are all kept.
        manager
            .create_index(
                Index::create()
                    .name("uq_queue_items_event")
                    .table(QueueItems::Table)
                    .col(QueueItems::IntegrationId)
                    .col(QueueItems::EventId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Processors take pending items in order of execution time.
        manager
            .create_index(
                Index::create()
                    .name("ix_queue_items_due")
                    .table(QueueItems::Table)
                    .col(QueueItems::Status)
                    .col(QueueItems::ExecuteAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_queue_items_person")
                    .table(QueueItems::Table)
                    .col(QueueItems::IntegrationId)
                    .col(QueueItems::SourceId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(QueueItems::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Integrations::Table)
                    .drop_column(Webhook::WebhookToken)
                    .to_owned(),
            )
            .await
    }
}
