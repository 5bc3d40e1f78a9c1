//! The hub's own log (SPEC.md §3 "Logs, activities, notifications"): what runs did and what went wrong, per
//! organisation, for people to read and mark checked. Not the process log (`tracing`), which is for operators.
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;
use sea_orm::{ConnectionTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Hub;
use crate::accounts::roles::{Principal, Role};
use crate::entities::log_entry;
use crate::error::{DomainError, Problems, Result};
use crate::pagination::{self, Page, PageRequest};

/// How serious an entry is, from least to most: `debug` < `info` < `warning` < `error` < `critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    Debug,
    Info,
    Warning,
    Error,
    Critical,
}

impl LogLevel {
    pub const ALL: [LogLevel; 5] = [
        LogLevel::Debug,
        LogLevel::Info,
        LogLevel::Warning,
        LogLevel::Error,
        LogLevel::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warning => "warning",
            LogLevel::Error => "error",
            LogLevel::Critical => "critical",
        }
    }

    /// This level and every more serious one.
    fn and_above(self) -> impl Iterator<Item = &'static str> {
        Self::ALL.into_iter().filter(move |l| *l >= self).map(Self::as_str)
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LogLevel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|l| l.as_str() == s)
            .ok_or_else(|| "must be one of debug, info, warning, error, critical".to_owned())
    }
}

/// An entry to be written. Whoever builds one keeps secrets out of it: `message` and `details` are shown to every
/// user of the organisation, so never put credentials, tokens or raw request headers in them.
#[derive(Debug, Clone)]
pub struct NewLogEntry {
    pub organisation_id: Uuid,
    pub level: LogLevel,
    pub message: String,
    pub details: Option<Value>,
    pub integration_id: Option<Uuid>,
    pub run_id: Option<Uuid>,
    /// The source id of the person the entry is about.
    pub source_id: Option<String>,
}

/// Writes one entry with a single insert; call it inside the caller's transaction when the entry belongs to a
/// change. The entry starts unchecked. The caller keeps secrets out of it (see [`NewLogEntry`]).
pub async fn write(db: &impl ConnectionTrait, entry: NewLogEntry) -> Result<()> {
    let model = log_entry::ActiveModel {
        id: Set(Uuid::now_v7()),
        organisation_id: Set(entry.organisation_id),
        level: Set(entry.level.as_str().to_owned()),
        message: Set(entry.message),
        details: Set(entry.details),
        integration_id: Set(entry.integration_id),
        run_id: Set(entry.run_id),
        source_id: Set(entry.source_id),
        checked_at: Set(None),
        checked_by: Set(None),
        created_at: Set(Utc::now()),
    };
    log_entry::Entity::insert(model).exec_without_returning(db).await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LogEntry {
    pub id: Uuid,
    pub level: LogLevel,
    #[schema(example = "Run 12 finished: 40 read, 2 filtered, 37 written, 1 error")]
    pub message: String,
    /// Structured context, such as the error a target answered.
    #[schema(value_type = Option<Object>)]
    pub details: Option<Value>,
    pub integration_id: Option<Uuid>,
    pub run_id: Option<Uuid>,
    /// The source id of the person the entry is about.
    pub source_id: Option<String>,
    /// Whether someone has marked the entry checked.
    pub checked: bool,
    pub checked_at: Option<DateTime<Utc>>,
    /// The user who marked it checked.
    pub checked_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<log_entry::Model> for LogEntry {
    type Error = DomainError;

    fn try_from(m: log_entry::Model) -> Result<Self> {
        Ok(Self {
            level: m
                .level
                .parse()
                .map_err(|_| DomainError::Internal(format!("log entry {} has level `{}`", m.id, m.level)))?,
            id: m.id,
            message: m.message,
            details: m.details,
            integration_id: m.integration_id,
            run_id: m.run_id,
            source_id: m.source_id,
            checked: m.checked_at.is_some(),
            checked_at: m.checked_at,
            checked_by: m.checked_by,
            created_at: m.created_at,
        })
    }
}

/// Query filters of the log list, all optional and combined with AND. Taken as text and parsed here so that a bad
/// value is a validation error naming its parameter.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogFilters {
    /// Only entries of exactly this level.
    #[param(value_type = Option<LogLevel>)]
    pub level: Option<String>,
    /// Only entries of this level or a more serious one.
    #[param(value_type = Option<LogLevel>)]
    pub min_level: Option<String>,
    /// Only entries about this integration.
    #[param(value_type = Option<Uuid>)]
    pub integration_id: Option<String>,
    /// Only entries of this run.
    #[param(value_type = Option<Uuid>)]
    pub run_id: Option<String>,
    /// `true`: only checked entries; `false`: only unchecked ones.
    #[param(value_type = Option<bool>)]
    pub checked: Option<String>,
}

impl LogFilters {
    fn condition(&self) -> Result<sea_orm::Condition> {
        let mut problems = Problems::default();
        let mut condition = sea_orm::Condition::all();
        if let Some(level) = parse(&mut problems, "level", &self.level, LogLevel::from_str) {
            condition = condition.add(log_entry::Column::Level.eq(level.as_str()));
        }
        if let Some(min) = parse(&mut problems, "min_level", &self.min_level, LogLevel::from_str) {
            condition = condition.add(log_entry::Column::Level.is_in(min.and_above()));
        }
        let uuid = |raw: &str| Uuid::parse_str(raw).map_err(|_| "must be a UUID".to_owned());
        if let Some(id) = parse(&mut problems, "integration_id", &self.integration_id, uuid) {
            condition = condition.add(log_entry::Column::IntegrationId.eq(id));
        }
        if let Some(id) = parse(&mut problems, "run_id", &self.run_id, uuid) {
            condition = condition.add(log_entry::Column::RunId.eq(id));
        }
        let boolean = |raw: &str| match raw {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err("must be true or false".to_owned()),
        };
        match parse(&mut problems, "checked", &self.checked, boolean) {
            Some(true) => condition = condition.add(log_entry::Column::CheckedAt.is_not_null()),
            Some(false) => condition = condition.add(log_entry::Column::CheckedAt.is_null()),
            None => {}
        }
        problems.finish()?;
        Ok(condition)
    }
}

fn parse<T>(
    problems: &mut Problems,
    field: &str,
    raw: &Option<String>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Option<T> {
    let raw = raw.as_deref()?;
    parse(raw).map_err(|message| problems.add(field, message)).ok()
}

/// A page of the caller's organisation's entries, newest first.
pub async fn list(hub: &Hub, who: &Principal, filters: &LogFilters, page: &PageRequest) -> Result<Page<LogEntry>> {
    let cursor = page.parse()?;
    let select = log_entry::Entity::find()
        .filter(log_entry::Column::OrganisationId.eq(who.organisation_id))
        .filter(filters.condition()?);
    let page = pagination::fetch_newest_first(&hub.db, select, log_entry::Column::Id, cursor, |m| m.id).await?;
    Ok(Page {
        items: page.items.into_iter().map(TryInto::try_into).collect::<Result<_>>()?,
        next_cursor: page.next_cursor,
    })
}

async fn find(hub: &Hub, who: &Principal, id: Uuid) -> Result<log_entry::Model> {
    log_entry::Entity::find_by_id(id)
        .filter(log_entry::Column::OrganisationId.eq(who.organisation_id))
        .one(&hub.db)
        .await?
        .ok_or(DomainError::NotFound("log entry"))
}

pub async fn get(hub: &Hub, who: &Principal, id: Uuid) -> Result<LogEntry> {
    find(hub, who, id).await?.try_into()
}

/// Marks an entry checked by the caller, now. Admins and support users may; checking again keeps the first
/// who and when. Answers the entry.
pub async fn check(hub: &Hub, who: &Principal, id: Uuid) -> Result<LogEntry> {
    // Every role checks logs today; a new role must decide here whether it may.
    match who.role {
        Role::Admin | Role::Support => {}
    }
    find(hub, who, id).await?;
    // Only an unchecked entry changes, so two people checking at once agree on the first.
    log_entry::Entity::update_many()
        .col_expr(log_entry::Column::CheckedAt, Expr::value(Utc::now()))
        .col_expr(log_entry::Column::CheckedBy, Expr::value(who.user_id))
        .filter(log_entry::Column::Id.eq(id))
        .filter(log_entry::Column::OrganisationId.eq(who.organisation_id))
        .filter(log_entry::Column::CheckedAt.is_null())
        .exec(&hub.db)
        .await?;
    get(hub, who, id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_order_parse_and_serialise_alike() {
        assert!(LogLevel::Debug < LogLevel::Info && LogLevel::Error < LogLevel::Critical);
        for level in LogLevel::ALL {
            assert_eq!(level.as_str().parse::<LogLevel>(), Ok(level));
            assert_eq!(serde_json::to_value(level).unwrap(), level.as_str());
        }
        assert_eq!(
            LogLevel::Warning.and_above().collect::<Vec<_>>(),
            ["warning", "error", "critical"]
        );
        assert!("fatal".parse::<LogLevel>().is_err());
    }

    #[test]
    fn bad_filters_name_their_parameter() {
        let filters = LogFilters {
            level: Some("loud".into()),
            min_level: Some("info".into()),
            integration_id: Some("nope".into()),
            run_id: None,
            checked: Some("yes".into()),
        };
        match filters.condition() {
            Err(DomainError::Validation(errors)) => assert_eq!(
                errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
                ["level", "integration_id", "checked"]
            ),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }
}
