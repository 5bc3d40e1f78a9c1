//! Contract tests: each connector against its provider's simulator over real HTTP, through the same `Connector`
//! port the hub uses.
mod bamboohr;
mod employment_hero;
mod odoo;
mod scim;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ihub_domain::connections::people::Person;
use ihub_domain::connections::ports::{
    ConnectionContext, Connector, ConnectorError, CredentialSink, PeopleSource, SourcePage, UserTarget,
};
use ihub_simulators::{Accepted, Simulators};
use serde_json::Value;

/// Keeps what a connector stores, as the hub's sealed credentials would.
#[derive(Default)]
pub struct MemorySink {
    pub stored: Mutex<Vec<Value>>,
}

#[async_trait::async_trait]
impl CredentialSink for MemorySink {
    async fn store(&self, credentials: Value) -> Result<(), ConnectorError> {
        self.stored.lock().unwrap().push(credentials);
        Ok(())
    }
}

impl MemorySink {
    pub fn last(&self) -> Option<Value> {
        self.stored.lock().unwrap().last().cloned()
    }

    pub fn count(&self) -> usize {
        self.stored.lock().unwrap().len()
    }
}

pub async fn sims() -> Simulators {
    // The simulators listen on loopback, which the hub calls only when allowed.
    ihub_connectors::egress::configure(ihub_connectors::egress::Egress::open());
    Simulators::start(Accepted::default()).await.expect("simulators start")
}

pub fn connector(kind: &str) -> Arc<dyn Connector> {
    ihub_connectors::egress::configure(ihub_connectors::egress::Egress::open());
    ihub_connectors::catalog()
        .get(kind)
        .expect("a shipped connector")
        .clone()
}

pub fn context(settings: Value, credentials: Value, sink: &Arc<MemorySink>) -> ConnectionContext {
    ConnectionContext {
        id: uuid::Uuid::new_v4(),
        settings,
        credentials,
        sink: sink.clone(),
    }
}

pub fn source(kind: &str, connection: ConnectionContext) -> Arc<dyn PeopleSource> {
    connector(kind)
        .source(connection)
        .expect("a source connector")
        .expect("valid configuration")
}

pub fn target(kind: &str, connection: ConnectionContext) -> Arc<dyn UserTarget> {
    connector(kind)
        .target(connection)
        .expect("a target connector")
        .expect("valid configuration")
}

/// Every page of `list_page`, and how many pages there were.
pub async fn read_all(source: &dyn PeopleSource) -> (Vec<Person>, usize) {
    let mut people = Vec::new();
    let mut pages = 0;
    let mut cursor: Option<String> = None;
    loop {
        let SourcePage { people: page, next, .. } = source.list_page(cursor.as_deref()).await.expect("a page");
        pages += 1;
        people.extend(page);
        match next {
            Some(next) => cursor = Some(next),
            None => return (people, pages),
        }
    }
}

/// Runs `call` and answers its result with how long it took.
pub async fn timed<T>(call: impl Future<Output = T>) -> (T, Duration) {
    let started = Instant::now();
    let out = call.await;
    (out, started.elapsed())
}
