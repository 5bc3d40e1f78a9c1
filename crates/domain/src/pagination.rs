//! Cursor pagination. Ids are UUIDv7, so ordering by id is ordering by creation and the cursor is simply the last
//! id seen, made opaque.
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::{ColumnTrait, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect, Select};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{DomainError, Result};

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 200;

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageRequest {
    /// How many items to return (1–200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Cursor {
    pub limit: u64,
    pub after: Option<Uuid>,
}

impl PageRequest {
    pub fn parse(&self) -> Result<Cursor> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(DomainError::invalid(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            ));
        }
        let after = match self.cursor.as_deref() {
            None | Some("") => None,
            Some(raw) => Some(decode(raw)?),
        };
        Ok(Cursor { limit, after })
    }
}

fn decode(raw: &str) -> Result<Uuid> {
    let bad = || DomainError::invalid("cursor", "is not a cursor this API returned");
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?;
    Uuid::from_slice(&bytes).map_err(|_| bad())
}

pub fn encode(id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

/// Runs `select` for one page ordered by `id_column`, fetching one row more than asked to learn whether a next
/// page exists.
pub async fn fetch<E, C>(
    db: &impl sea_orm::ConnectionTrait,
    select: Select<E>,
    id_column: C,
    cursor: Cursor,
    id_of: impl Fn(&E::Model) -> Uuid,
) -> Result<Page<E::Model>>
where
    E: EntityTrait,
    C: ColumnTrait,
{
    fetch_in(db, select, id_column, Order::Asc, cursor, id_of).await
}

/// Like [`fetch`], newest first: the next page holds older rows. For journals such as logs and runs, whose readers
/// want the latest on the first page.
pub async fn fetch_newest_first<E: EntityTrait, C: ColumnTrait>(
    db: &impl sea_orm::ConnectionTrait,
    select: Select<E>,
    id_column: C,
    cursor: Cursor,
    id_of: impl Fn(&E::Model) -> Uuid,
) -> Result<Page<E::Model>> {
    fetch_in(db, select, id_column, Order::Desc, cursor, id_of).await
}

async fn fetch_in<E: EntityTrait, C: ColumnTrait>(
    db: &impl sea_orm::ConnectionTrait,
    select: Select<E>,
    id_column: C,
    order: Order,
    cursor: Cursor,
    id_of: impl Fn(&E::Model) -> Uuid,
) -> Result<Page<E::Model>> {
    let newest_first = matches!(order, Order::Desc);
    let mut select = select.order_by(id_column, order).limit(cursor.limit + 1);
    if let Some(after) = cursor.after {
        select = select.filter(if newest_first {
            id_column.lt(after)
        } else {
            id_column.gt(after)
        });
    }
    let mut items = select.all(db).await?;
    let next_cursor = if items.len() as u64 > cursor.limit {
        items.truncate(cursor.limit as usize);
        items.last().map(|m| encode(id_of(m)))
    } else {
        None
    };
    Ok(Page { items, next_cursor })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_names_the_field() {
        let id = Uuid::now_v7();
        let req = PageRequest {
            limit: Some(10),
            cursor: Some(encode(id)),
        };
        assert_eq!(req.parse().unwrap().after, Some(id));
        let bad = PageRequest {
            limit: None,
            cursor: Some("not-a-cursor!".into()),
        };
        match bad.parse() {
            Err(DomainError::Validation(errors)) => assert_eq!(errors[0].field, "cursor"),
            other => panic!("expected a validation error, got {other:?}"),
        }
        let too_many = PageRequest {
            limit: Some(201),
            cursor: None,
        };
        assert!(matches!(too_many.parse(), Err(DomainError::Validation(e)) if e[0].field == "limit"));
    }
}
