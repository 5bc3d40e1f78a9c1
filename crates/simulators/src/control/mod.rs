//! What tests, demos and benchmarks do to the simulators besides calling their APIs: seed and change the
//! workforce, read back what the hub wrote, fire webhooks, and inject faults.
use std::time::Duration;

use chrono::NaiveDate;
use serde_json::{Map, Value};

use crate::bamboohr::hooks::{DeliveryAttempt, Webhook as BambooWebhook};
use crate::bamboohr::webhook::{self as bamboo_webhook, Delivery};
use crate::employment_hero::webhook::{self as eh_webhook, Event};
use crate::faults::{FaultPlan, ScriptedFailure, System};
use crate::odoo::OdooError;
use crate::people::{Person, Population, SeedOptions};
use crate::scim::ScimError;
use crate::{SimState, bamboohr, employment_hero};

pub mod http;

/// The workforce.
impl SimState {
    /// Replaces the workforce of both HR sources with `options.count` generated people.
    pub fn seed_people(&self, options: &SeedOptions) {
        *self.people.write().expect("lock") = Population::generate(options);
    }

    /// `count` generated people from the default seed, dated from today.
    pub fn seed(&self, count: u32) {
        self.seed_people(&SeedOptions::new(count));
    }

    /// People that exist, leavers included.
    pub fn people_count(&self) -> usize {
        self.people.read().expect("lock").len()
    }

    pub fn person(&self, index: u32) -> Option<Person> {
        self.people.read().expect("lock").get(index)
    }

    /// The day generated dates are relative to; leavers have termination dates up to it.
    pub fn today(&self) -> NaiveDate {
        self.people.read().expect("lock").today()
    }

    /// Adds a person to both sources (BambooHR's change feed shows them as inserted, its webhooks fire); returns
    /// their index.
    pub fn add_employee(&self, person: Person) -> u32 {
        let mut people = self.people.write().expect("lock");
        let index = people.add(person);
        let added = people.get(index);
        bamboohr::hooks::employee_changed(&self.bamboohr_hooks, &people, index, None, added.as_ref());
        index
    }

    /// Changes a person (recorded in BambooHR's change feed as updated; webhooks monitoring a changed field fire);
    /// returns them as they are now.
    pub fn update_employee(&self, index: u32, edit: impl FnOnce(&mut Person)) -> Option<Person> {
        let mut people = self.people.write().expect("lock");
        let (before, after) = people.update(index, edit)?;
        bamboohr::hooks::employee_changed(&self.bamboohr_hooks, &people, index, Some(&before), Some(&after));
        Some(after)
    }

    /// Sets a termination date (today or earlier makes the person a leaver in both sources).
    pub fn terminate_employee(&self, index: u32, on: NaiveDate) -> bool {
        self.update_employee(index, |p| p.termination_date = Some(on)).is_some()
    }

    /// Removes a person (BambooHR's change feed shows them as deleted, its webhooks fire; both APIs answer 404 for
    /// them).
    pub fn delete_employee(&self, index: u32) -> bool {
        let mut people = self.people.write().expect("lock");
        let Some(gone) = people.get(index) else {
            return false;
        };
        people.delete(index);
        bamboohr::hooks::employee_changed(&self.bamboohr_hooks, &people, index, Some(&gone), None);
        true
    }

    pub fn employment_hero_employee_id(&self, index: u32) -> String {
        employment_hero::employee_id(self.people.read().expect("lock").seed(), index)
    }

    pub fn employment_hero_index(&self, id: &str) -> Option<u32> {
        employment_hero::index_of(self.people.read().expect("lock").seed(), id)
    }

    pub fn bamboohr_employee_id(&self, index: u32) -> String {
        bamboohr::fields::employee_id(index)
    }

    pub fn bamboohr_index(&self, id: &str) -> Option<u32> {
        bamboohr::fields::index_of(id)
    }

    /// Turns BambooHR's employee directory off (403) or on, as a company can.
    pub fn set_bamboohr_directory_enabled(&self, enabled: bool) {
        self.switches.set_bamboohr_directory_enabled(enabled);
    }
}

/// Employment Hero's OAuth server.
impl SimState {
    /// How long issued access tokens live (15 minutes unless changed).
    pub fn set_employment_hero_token_lifetime(&self, lifetime: Duration) {
        self.eh_auth.lock().expect("lock").access_lifetime =
            chrono::Duration::from_std(lifetime).unwrap_or(chrono::Duration::minutes(15));
    }

    /// Every issued access token expires now (the fixed `Accepted` token is unaffected).
    pub fn expire_employment_hero_tokens(&self) {
        self.eh_auth.lock().expect("lock").expire_access_tokens();
    }

    /// Every refresh token stops working, so the next refresh fails with `invalid_grant`.
    pub fn revoke_employment_hero_refresh_tokens(&self) {
        self.eh_auth.lock().expect("lock").revoke_refresh_tokens();
    }

    /// With `true`, the next authorization request is denied: the browser goes back to the redirect URI with
    /// `error=access_denied` and the state, as when the admin presses Deny. `false` takes that back.
    pub fn refuse_next_employment_hero_authorization(&self, refuse: bool) {
        self.eh_auth.lock().expect("lock").refuse_next = refuse;
    }
}

/// Webhooks.
impl SimState {
    /// Posts an Employment Hero event about person `index` to `url` (the hub's webhook URL with its secret).
    pub async fn send_employment_hero_webhook(
        &self,
        url: &str,
        event: Event,
        index: u32,
    ) -> Result<u16, reqwest::Error> {
        let employee_id = self.employment_hero_employee_id(index);
        eh_webhook::deliver(url, event, &self.accepted.employment_hero_organisation_id, &employee_id).await
    }

    /// A signed BambooHR delivery about `indices`, timestamped `timestamp` (Unix seconds), not sent: for tests
    /// that tamper with it or replay it.
    pub fn bamboohr_webhook_delivery(
        &self,
        private_key: &str,
        indices: &[u32],
        changed_fields: &[&str],
        timestamp: i64,
    ) -> Delivery {
        let population = self.people.read().expect("lock");
        let employees = indices
            .iter()
            .map(|i| bamboo_webhook::entry(&population, *i, changed_fields, bamboo_webhook::DEFAULT_POST_FIELDS))
            .collect();
        bamboo_webhook::prepare(employees, private_key, timestamp)
    }

    /// Signs and posts a BambooHR webhook about `indices` to `url`, timestamped now.
    pub async fn send_bamboohr_webhook(
        &self,
        url: &str,
        private_key: &str,
        indices: &[u32],
        changed_fields: &[&str],
    ) -> Result<u16, reqwest::Error> {
        let delivery =
            self.bamboohr_webhook_delivery(private_key, indices, changed_fields, chrono::Utc::now().timestamp());
        bamboo_webhook::deliver(url, &delivery).await
    }

    /// Posts a delivery made earlier, unchanged (a replay) or altered.
    pub async fn resend_bamboohr_webhook(&self, url: &str, delivery: &Delivery) -> Result<u16, reqwest::Error> {
        bamboo_webhook::deliver(url, delivery).await
    }

    /// The webhooks registered through BambooHR's API (`POST webhooks/`), private keys included.
    pub fn bamboohr_webhooks(&self) -> Vec<BambooWebhook> {
        self.bamboohr_hooks.lock().expect("lock").webhooks()
    }

    /// What registered BambooHR webhooks sent when people changed, oldest first (the latest 10,000): deliveries
    /// still on their way are not in it until answered (see [`SimState::flush_bamboohr_webhooks`]).
    pub fn bamboohr_webhook_deliveries(&self) -> Vec<DeliveryAttempt> {
        self.bamboohr_hooks.lock().expect("lock").deliveries()
    }

    /// Waits until every BambooHR webhook delivery queued so far has been answered or has failed. Changes queue
    /// deliveries and return at once; this is how a test waits for them.
    pub async fn flush_bamboohr_webhooks(&self) {
        bamboohr::hooks::flush(&self.bamboohr_hooks).await;
    }
}

/// What the targets hold.
impl SimState {
    pub fn scim_users(&self) -> Vec<Map<String, Value>> {
        self.scim.read().expect("lock").all().cloned().collect()
    }

    pub fn scim_user(&self, id: &str) -> Option<Map<String, Value>> {
        self.scim.read().expect("lock").get(id).cloned()
    }

    pub fn scim_user_by_external_id(&self, external_id: &str) -> Option<Map<String, Value>> {
        self.scim
            .read()
            .expect("lock")
            .all()
            .find(|u| u.get("externalId").and_then(Value::as_str) == Some(external_id))
            .cloned()
    }

    pub fn scim_user_by_user_name(&self, user_name: &str) -> Option<Map<String, Value>> {
        self.scim
            .read()
            .expect("lock")
            .all()
            .find(|u| {
                u.get("userName")
                    .and_then(Value::as_str)
                    .is_some_and(|n| n.eq_ignore_ascii_case(user_name))
            })
            .cloned()
    }

    /// A user that was there before the hub (to test linking by email instead of creating twice).
    pub fn add_scim_user(&self, user: Value) -> Result<Map<String, Value>, ScimError> {
        let base = self
            .scim_base_url
            .get()
            .map_or("http://localhost/scim/v2", String::as_str);
        self.scim.write().expect("lock").create(user, base)
    }

    /// From now on, SCIM refuses (400 `invalidValue`) users whose userName or email contains `text`.
    pub fn refuse_scim_users_containing(&self, text: &str) {
        self.scim.write().expect("lock").refused.push(text.to_owned());
    }

    /// SCIM takes every user again (the target's admin fixed what it refused).
    pub fn accept_all_scim_users(&self) {
        self.scim.write().expect("lock").refused.clear();
    }

    /// Every `hr.employee`, archived ones included, with all fields as `read` returns them.
    pub fn odoo_employees(&self) -> Vec<Value> {
        let db = self.odoo.lock().expect("lock");
        let model = db.employees.model;
        db.employees
            .rows
            .values()
            .map(|row| {
                let out: Map<String, Value> = row
                    .keys()
                    .chain(["display_name".to_owned()].iter())
                    .map(|k| (k.clone(), db.render(model, row, k)))
                    .collect();
                Value::Object(out)
            })
            .collect()
    }

    /// The `hr.employee` whose `field` holds `value` (e.g. `barcode`, the hub's default external id field).
    pub fn odoo_employee_where(&self, field: &str, value: &Value) -> Option<Value> {
        self.odoo_employees().into_iter().find(|e| e.get(field) == Some(value))
    }

    /// Creates a record as `create` would (`hr.employee` or `hr.department`); returns its id.
    pub fn add_odoo_record(&self, model: &str, values: Value) -> Result<i64, OdooError> {
        let Value::Object(values) = values else {
            return Err(OdooError::new(
                "builtins.TypeError",
                "values are a dictionary of fields",
            ));
        };
        let mut db = self.odoo.lock().expect("lock");
        if db.table(model).is_none() {
            return Err(OdooError::new(
                "odoo.exceptions.UserError",
                &format!("Object {model} doesn't exist"),
            ));
        }
        db.write(model, None, &values)
    }

    /// From now on, Odoo refuses (`ValidationError`) employees whose name or work email contains `text`.
    pub fn refuse_odoo_employees_containing(&self, text: &str) {
        self.odoo.lock().expect("lock").refused.push(text.to_owned());
    }
}

/// Faults and measurements.
impl SimState {
    pub fn set_faults(&self, system: System, plan: FaultPlan) {
        self.faults.set(system, plan);
    }

    pub fn faults(&self, system: System) -> FaultPlan {
        self.faults.plan(system)
    }

    /// The next `times` requests to `system` answer `status`, with `Retry-After: retry_after` seconds if given.
    pub fn fail_next(&self, system: System, times: usize, status: u16, retry_after: Option<u64>) {
        self.faults.update(system, |plan| {
            plan.scripted
                .extend(std::iter::repeat_n(ScriptedFailure { status, retry_after }, times));
        });
    }

    /// After `passes` more requests pass, the next `times` requests to `system` answer `status`.
    pub fn fail_after(&self, system: System, passes: u32, times: usize, status: u16) {
        self.faults.update(system, |plan| {
            plan.scripted_after = passes;
            plan.scripted.extend(std::iter::repeat_n(
                ScriptedFailure {
                    status,
                    retry_after: None,
                },
                times,
            ));
        });
    }

    /// Every answer from `system` waits `latency` first.
    pub fn set_latency(&self, system: System, latency: Duration) {
        self.faults.update(system, |plan| plan.latency = latency);
    }

    /// At most `per_minute` requests a minute (all of them at once if they come at once); past that, 429
    /// (BambooHR: 503) with `Retry-After`.
    pub fn set_rate_limit(&self, system: System, per_minute: Option<u32>) {
        self.faults
            .update(system, |plan| plan.rate_limit_per_minute = per_minute);
    }

    /// A share of requests (0.0–1.0, spread evenly) answers `status`.
    pub fn set_error_rate(&self, system: System, rate: f64, status: u16) {
        self.faults
            .update(system, |plan| plan.error_rate = (rate > 0.0).then_some((rate, status)));
    }

    pub fn clear_faults(&self, system: System) {
        self.faults.clear(system);
    }

    pub fn clear_all_faults(&self) {
        for system in System::ALL {
            self.faults.clear(system);
        }
    }

    /// Requests `system` refused for its rate limit.
    pub fn rate_limited_count(&self, system: System) -> u64 {
        self.faults.rate_limited(system)
    }

    /// Requests `system` received, faulted ones included.
    pub fn request_count(&self, system: System) -> u64 {
        self.faults.requests(system)
    }

    pub fn reset_request_counts(&self) {
        self.faults.reset_counts();
    }
}
