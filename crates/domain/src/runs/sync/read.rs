//! Step 1, read: the source page by page — everyone, the people changed since the watermark, or named people (a
//! webhook's, a replay's) — from a position that is saved after every page, so a resumed run reads on from there.
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use uuid::Uuid;

use super::{Abort, classify};
use crate::connections::people::{Person, PersonStatus};
use crate::connections::ports::{PeopleSource, SourcePage};
use crate::entities::run;
use crate::runs::RunTrigger;

/// Where the read is: the mode and the cursor of the page to read next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Position {
    Ids(usize),
    Changed(Option<String>),
    Full(Option<String>),
}

impl Position {
    pub fn encode(&self) -> String {
        match self {
            Self::Ids(offset) => format!("ids:{offset}"),
            Self::Changed(cursor) => format!("changed:{}", cursor.as_deref().unwrap_or("")),
            Self::Full(cursor) => format!("full:{}", cursor.as_deref().unwrap_or("")),
        }
    }

    fn decode(text: &str) -> Option<Self> {
        let (mode, cursor) = text.split_once(':')?;
        let cursor = (!cursor.is_empty()).then(|| cursor.to_owned());
        match mode {
            "ids" => cursor.unwrap_or_default().parse().ok().map(Self::Ids),
            "changed" => Some(Self::Changed(cursor)),
            "full" => Some(Self::Full(cursor)),
            _ => None,
        }
    }

    /// Where a run starts: its checkpoint when resumed, else by what it reads.
    pub fn start(run: &run::Model) -> Self {
        if let Some(at) = run.checkpoint.as_deref().and_then(Self::decode) {
            return at;
        }
        match (&run.source_ids, run.since) {
            (Some(_), _) => Self::Ids(0),
            (None, Some(_)) => Self::Changed(None),
            (None, None) => Self::Full(None),
        }
    }
}

/// A page read, where the next one is, and, when the source numbers its pages, the positions of the pages after
/// `next` up to the last it said it has (they can be read before `next` answers).
pub(super) struct Page {
    pub people: Vec<Person>,
    pub next: Option<Position>,
    pub numbered_until: Option<u64>,
}

impl Page {
    fn chained(people: Vec<Person>, next: Option<Position>) -> Self {
        Self {
            people,
            next,
            numbered_until: None,
        }
    }

    /// The positions of the numbered pages from `next` to the last the source said it has; empty when the source
    /// pages in a chain or this was its last page.
    pub fn numbered_from_next(&self) -> Vec<Position> {
        let (Some(Position::Full(Some(next))), Some(last)) = (&self.next, self.numbered_until) else {
            return Vec::new();
        };
        let Ok(first) = next.parse::<u64>() else {
            return Vec::new();
        };
        (first..=last).map(|n| Position::Full(Some(n.to_string()))).collect()
    }
}

const IDS_PAGE: usize = 100;
/// Named people fetched at once (the connection's rate limit paces them further).
const IDS_AT_ONCE: usize = 8;

pub(super) struct Reader {
    source: Arc<dyn PeopleSource>,
    source_connection: Uuid,
    /// The named people, when the run reads only them.
    ids: Vec<String>,
    since: Option<DateTime<Utc>>,
    /// A webhook's events may say what the record cannot (Employment Hero's employee has no onboarding field):
    /// whom they said finished onboarding, or (`true`, as runs queued by an earlier version said it) everyone.
    webhook: Option<Onboarded>,
}

struct Onboarded {
    all: bool,
    ids: Vec<String>,
}

impl Reader {
    pub fn new(run: &run::Model, source: Arc<dyn PeopleSource>, source_connection: Uuid) -> Self {
        let ids = run
            .source_ids
            .as_ref()
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default();
        let webhook = (run.trigger == RunTrigger::Webhook).then(|| Onboarded {
            all: run.params.get("onboarding_complete") == Some(&serde_json::Value::Bool(true)),
            ids: run
                .params
                .get("onboarded")
                .and_then(serde_json::Value::as_array)
                .map(|ids| ids.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
                .unwrap_or_default(),
        });
        Self {
            source,
            source_connection,
            ids,
            since: run.since,
            webhook,
        }
    }

    /// One person, read again (the end of a run revisits people for their manager links).
    pub async fn fetch(&self, source_id: &str) -> Result<Option<Person>, Abort> {
        self.source
            .fetch(source_id)
            .await
            .map_err(|e| classify(self.source_connection, e))
    }

    /// The page at `at`, and where the next one is.
    pub async fn page(&self, at: &Position) -> Result<Page, Abort> {
        let source_error = |e| classify(self.source_connection, e);
        match at {
            Position::Ids(offset) => {
                // The named people are fetched a few at a time, in order.
                let fetches: Vec<_> = self
                    .ids
                    .iter()
                    .skip(*offset)
                    .take(IDS_PAGE)
                    .map(|id| {
                        let source = self.source.clone();
                        let id = id.clone();
                        async move { source.fetch(&id).await }
                    })
                    .collect();
                let fetched: Vec<Result<Option<Person>, _>> =
                    futures::stream::iter(fetches).buffered(IDS_AT_ONCE).collect().await;
                let mut people = Vec::with_capacity(fetched.len());
                for (id, person) in self.ids.iter().skip(*offset).zip(fetched) {
                    match person.map_err(source_error)? {
                        Some(mut person) => {
                            if let Some(onboarded) = &self.webhook
                                && person.onboarding_complete.is_none()
                            {
                                person.onboarding_complete = Some(onboarded.all || onboarded.ids.contains(id));
                            }
                            people.push(person)
                        }
                        // Gone from the source: a leaver as far as the target is concerned.
                        None => {
                            let mut gone = Person::new(id.clone());
                            gone.status = PersonStatus::Terminated;
                            people.push(gone);
                        }
                    }
                }
                let next = offset + IDS_PAGE;
                Ok(Page::chained(
                    people,
                    (next < self.ids.len()).then_some(Position::Ids(next)),
                ))
            }
            Position::Changed(cursor) => {
                let since = self.since.expect("an incremental read has a watermark");
                match self
                    .source
                    .changed_page(since, cursor.as_deref())
                    .await
                    .map_err(source_error)?
                {
                    Some(SourcePage { people, next, .. }) => {
                        Ok(Page::chained(people, next.map(|c| Position::Changed(Some(c)))))
                    }
                    // The source cannot say what changed: read everyone instead.
                    None => Box::pin(self.page(&Position::Full(None))).await,
                }
            }
            Position::Full(cursor) => {
                let SourcePage { people, next, numbered } =
                    self.source.list_page(cursor.as_deref()).await.map_err(source_error)?;
                Ok(Page {
                    people,
                    next: next.map(|c| Position::Full(Some(c))),
                    numbered_until: numbered,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(n: u64) -> Position {
        Position::Full(Some(n.to_string()))
    }

    #[test]
    fn numbered_pages_name_every_page_from_next_to_the_last() {
        let page = Page {
            people: Vec::new(),
            next: Some(full(2)),
            numbered_until: Some(4),
        };
        assert_eq!(page.numbered_from_next(), [full(2), full(3), full(4)]);
    }

    #[test]
    fn chained_or_last_pages_name_none_ahead() {
        assert!(Page::chained(Vec::new(), Some(full(2))).numbered_from_next().is_empty());
        let last = Page {
            people: Vec::new(),
            next: None,
            numbered_until: Some(4),
        };
        assert!(last.numbered_from_next().is_empty());
        let opaque = Page {
            people: Vec::new(),
            next: Some(Position::Full(Some("abc".into()))),
            numbered_until: Some(4),
        };
        assert!(opaque.numbered_from_next().is_empty());
    }
}
