//! The sync engine's tables: runs and their record lines, the bindings between source people and target users,
//! schedules, integration dates (watermarks) and log entries.
use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261125_000001_accounts::Organisations;
use crate::m20261125_000002_connections::Integrations;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone)]
enum Runs {
    Table,
    Id,
    OrganisationId,
    IntegrationId,
    Number,
    ScheduleId,
    Trigger,
    Status,
    Attempt,
    MaxAttempts,
    DryRun,
    Full,
    Params,
    SourceIds,
    ReplayOf,
    QueuedAt,
    NotBefore,
    StartedAt,
    FinishedAt,
    HeartbeatAt,
    Worker,
    Checkpoint,
    Since,
    ReadStartedAt,
    RecordsRead,
    RecordsFiltered,
    RecordsWritten,
    RecordsErrors,
    Error,
    CancelRequested,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone)]
enum RunRecords {
    Table,
    Id,
    RunId,
    SourceId,
    TargetId,
    Name,
    Decision,
    Reason,
    Outcome,
    Error,
    Changes,
    CreatedAt,
}

#[derive(DeriveIden, Clone)]
enum Bindings {
    Table,
    Id,
    IntegrationId,
    SourceId,
    TargetId,
    Hash,
    Written,
    Active,
    UpdatedAt,
}

#[derive(DeriveIden, Clone)]
enum Schedules {
    Table,
    Id,
    OrganisationId,
    IntegrationId,
    Action,
    Cron,
    EveryN,
    EveryUnit,
    Timezone,
    Active,
    NextRunAt,
    LastRunAt,
    Priority,
    MaxCalls,
    Calls,
    RepeatMissed,
    Params,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone)]
enum IntegrationDates {
    Table,
    IntegrationId,
    Name,
    Value,
    UpdatedAt,
}

#[derive(DeriveIden, Clone)]
enum LogEntries {
    Table,
    Id,
    OrganisationId,
    Level,
    Message,
    Details,
    IntegrationId,
    RunId,
    SourceId,
    CheckedAt,
    CheckedBy,
    CreatedAt,
}

fn organisation_fk(table: impl IntoIden + Clone, column: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(Organisations::Table, Organisations::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn integration_fk(table: impl IntoIden + Clone, column: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(Integrations::Table, Integrations::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn index(name: &str, table: impl IntoIden, columns: &[&'static str], unique: bool) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(Alias::new(*column));
    }
    if unique {
        index.unique();
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Runs are numbered per integration from this counter: an increment locks the row, so two runs
        // created at once never take the same number.
        manager
            .alter_table(
                Table::alter()
                    .table(Integrations::Table)
                    .add_column(big_integer(Integrations::RunCounter).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Schedules::Table)
                    .col(uuid(Schedules::Id).primary_key())
                    .col(uuid(Schedules::OrganisationId))
                    .col(uuid(Schedules::IntegrationId))
                    .col(text(Schedules::Action))
                    .col(text_null(Schedules::Cron))
                    .col(integer_null(Schedules::EveryN))
                    .col(text_null(Schedules::EveryUnit))
                    .col(text(Schedules::Timezone))
                    .col(boolean(Schedules::Active))
                    .col(timestamp_with_time_zone_null(Schedules::NextRunAt))
                    .col(timestamp_with_time_zone_null(Schedules::LastRunAt))
                    .col(integer(Schedules::Priority))
                    .col(big_integer(Schedules::MaxCalls))
                    .col(big_integer(Schedules::Calls))
                    .col(boolean(Schedules::RepeatMissed))
                    .col(json_binary(Schedules::Params))
                    .col(timestamp_with_time_zone(Schedules::CreatedAt))
                    .col(timestamp_with_time_zone(Schedules::UpdatedAt))
                    .foreign_key(&mut organisation_fk(Schedules::Table, Schedules::OrganisationId))
                    .foreign_key(&mut integration_fk(Schedules::Table, Schedules::IntegrationId))
                    .to_owned(),
            )
            .await?;
        // The scheduler tick looks for active schedules that are due.
        manager
            .create_index(index(
                "ix_schedules_due",
                Schedules::Table,
                &["active", "next_run_at"],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Runs::Table)
                    .col(uuid(Runs::Id).primary_key())
                    .col(uuid(Runs::OrganisationId))
                    .col(uuid(Runs::IntegrationId))
                    .col(big_integer(Runs::Number))
                    .col(uuid_null(Runs::ScheduleId))
                    .col(text(Runs::Trigger))
                    .col(text(Runs::Status))
                    .col(integer(Runs::Attempt))
                    .col(integer(Runs::MaxAttempts))
                    .col(boolean(Runs::DryRun))
                    .col(boolean(Runs::Full))
                    .col(json_binary(Runs::Params))
                    // Only these people (a replay of failed records, a webhook's person); null: everyone.
                    .col(json_binary_null(Runs::SourceIds))
                    .col(uuid_null(Runs::ReplayOf))
                    .col(timestamp_with_time_zone(Runs::QueuedAt))
                    // A run waiting to be retried is not taken before this.
                    .col(timestamp_with_time_zone(Runs::NotBefore))
                    .col(timestamp_with_time_zone_null(Runs::StartedAt))
                    .col(timestamp_with_time_zone_null(Runs::FinishedAt))
                    .col(timestamp_with_time_zone_null(Runs::HeartbeatAt))
                    .col(text_null(Runs::Worker))
                    // The source cursor of the next page to read: a resumed run goes on from there.
                    .col(text_null(Runs::Checkpoint))
                    .col(timestamp_with_time_zone_null(Runs::Since))
                    .col(timestamp_with_time_zone_null(Runs::ReadStartedAt))
                    .col(big_integer(Runs::RecordsRead))
                    .col(big_integer(Runs::RecordsFiltered))
                    .col(big_integer(Runs::RecordsWritten))
                    .col(big_integer(Runs::RecordsErrors))
                    .col(text_null(Runs::Error))
                    .col(boolean(Runs::CancelRequested))
                    .col(timestamp_with_time_zone(Runs::CreatedAt))
                    .col(timestamp_with_time_zone(Runs::UpdatedAt))
                    .foreign_key(&mut organisation_fk(Runs::Table, Runs::OrganisationId))
                    .foreign_key(&mut integration_fk(Runs::Table, Runs::IntegrationId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Runs::Table, Runs::ScheduleId)
                            .to(Schedules::Table, Schedules::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "uq_runs_number",
                Runs::Table,
                &["integration_id", "number"],
                true,
            ))
            .await?;
        // The reconciler looks for queued runs whose job may be gone and for stale heartbeats.
        manager
            .create_index(index("ix_runs_status", Runs::Table, &["status", "not_before"], false))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RunRecords::Table)
                    .col(uuid(RunRecords::Id).primary_key())
                    .col(uuid(RunRecords::RunId))
                    .col(text(RunRecords::SourceId))
                    .col(text_null(RunRecords::TargetId))
                    .col(text(RunRecords::Name))
                    .col(text(RunRecords::Decision))
                    .col(text_null(RunRecords::Reason))
                    .col(text(RunRecords::Outcome))
                    .col(text_null(RunRecords::Error))
                    .col(json_binary(RunRecords::Changes))
                    .col(timestamp_with_time_zone(RunRecords::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RunRecords::Table, RunRecords::RunId)
                            .to(Runs::Table, Runs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One line per person per run, even when a resumed run reads a page again.
        manager
            .create_index(index(
                "uq_run_records_person",
                RunRecords::Table,
                &["run_id", "source_id"],
                true,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Bindings::Table)
                    .col(uuid(Bindings::Id).primary_key())
                    .col(uuid(Bindings::IntegrationId))
                    .col(text(Bindings::SourceId))
                    .col(text(Bindings::TargetId))
                    .col(text(Bindings::Hash))
                    // What the hub last wrote, field by field: the "old" of the next change.
                    .col(json_binary(Bindings::Written))
                    .col(boolean(Bindings::Active))
                    .col(timestamp_with_time_zone(Bindings::UpdatedAt))
                    .foreign_key(&mut integration_fk(Bindings::Table, Bindings::IntegrationId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "uq_bindings_person",
                Bindings::Table,
                &["integration_id", "source_id"],
                true,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(IntegrationDates::Table)
                    .col(uuid(IntegrationDates::IntegrationId))
                    .col(text(IntegrationDates::Name))
                    .col(timestamp_with_time_zone(IntegrationDates::Value))
                    .col(timestamp_with_time_zone(IntegrationDates::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(IntegrationDates::IntegrationId)
                            .col(IntegrationDates::Name),
                    )
                    .foreign_key(&mut integration_fk(
                        IntegrationDates::Table,
                        IntegrationDates::IntegrationId,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LogEntries::Table)
                    .col(uuid(LogEntries::Id).primary_key())
                    .col(uuid(LogEntries::OrganisationId))
                    .col(text(LogEntries::Level))
                    .col(text(LogEntries::Message))
                    .col(json_binary_null(LogEntries::Details))
                    // No foreign keys to integrations or runs: a log outlives what it speaks of.
                    .col(uuid_null(LogEntries::IntegrationId))
                    .col(uuid_null(LogEntries::RunId))
                    .col(text_null(LogEntries::SourceId))
                    .col(timestamp_with_time_zone_null(LogEntries::CheckedAt))
                    .col(uuid_null(LogEntries::CheckedBy))
                    .col(timestamp_with_time_zone(LogEntries::CreatedAt))
                    .foreign_key(&mut organisation_fk(LogEntries::Table, LogEntries::OrganisationId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_log_entries_org",
                LogEntries::Table,
                &["organisation_id", "id"],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            LogEntries::Table.into_iden(),
            IntegrationDates::Table.into_iden(),
            Bindings::Table.into_iden(),
            RunRecords::Table.into_iden(),
            Runs::Table.into_iden(),
            Schedules::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Integrations::Table)
                    .drop_column(Integrations::RunCounter)
                    .to_owned(),
            )
            .await
    }
}
