//! BambooHR's employee fields by API alias (documentation.bamboohr.com, "Field Names"; APIS.md), rendered from a
//! simulated person. Values are strings or null; an empty date is `0000-00-00`, as BambooHR writes it.
use serde_json::{Value, json};

use crate::people::{Person, Population};

/// (alias, display name, type) of every field the simulator knows.
pub const FIELDS: &[(&str, &str, &str)] = &[
    ("id", "ID", "int"),
    ("displayName", "Display name", "text"),
    ("firstName", "First Name", "text"),
    ("middleName", "Middle Name", "text"),
    ("lastName", "Last Name", "text"),
    ("preferredName", "Preferred Name", "text"),
    ("employeeNumber", "Employee #", "text"),
    ("jobTitle", "Job Title", "list"),
    ("department", "Department", "list"),
    ("division", "Division", "list"),
    ("location", "Location", "list"),
    ("workEmail", "Work Email", "email"),
    ("homeEmail", "Home Email", "email"),
    ("workPhone", "Work Phone", "phone"),
    ("mobilePhone", "Mobile Phone", "phone"),
    ("supervisor", "Reporting to", "employee"),
    ("supervisorId", "Supervisor employee number", "text"),
    ("supervisorEId", "Supervisor ID", "text"),
    ("supervisorEmail", "Supervisor email", "email"),
    ("status", "Status", "status"),
    ("employmentHistoryStatus", "Employment Status", "list"),
    ("hireDate", "Hire Date", "date"),
    ("originalHireDate", "Original Hire Date", "date"),
    ("terminationDate", "Termination Date", "date"),
    ("dateOfBirth", "Birth Date", "date"),
    ("country", "Country", "country"),
    ("lastChanged", "Last changed", "timestamp"),
];

pub fn describe(alias: &str) -> Option<Value> {
    FIELDS
        .iter()
        .find(|(a, _, _)| *a == alias)
        .map(|(alias, name, kind)| json!({"id": alias, "type": kind, "name": name}))
}

pub fn employee_id(index: u32) -> String {
    (u64::from(index) + 1).to_string()
}

pub fn index_of(id: &str) -> Option<u32> {
    id.parse::<u32>().ok()?.checked_sub(1)
}

fn date(d: Option<chrono::NaiveDate>) -> Value {
    json!(d.map_or_else(|| "0000-00-00".to_owned(), |d| d.format("%Y-%m-%d").to_string()))
}

fn country_name(code: &str) -> &str {
    match code {
        "AU" => "Australia",
        "NZ" => "New Zealand",
        other => other,
    }
}

/// The value of `alias` for a person; `None` when the alias is not a field BambooHR would know.
pub fn value(population: &Population, index: u32, person: &Person, alias: &str) -> Option<Value> {
    let manager = || person.manager.and_then(|m| population.get(m).map(|p| (m, p)));
    let terminated = person.is_terminated(population.today());
    Some(match alias {
        "id" => json!(employee_id(index)),
        "displayName" => json!(person.full_name()),
        "firstName" => json!(person.first_name),
        "middleName" => json!(person.middle_name),
        "lastName" => json!(person.last_name),
        "preferredName" => json!(person.preferred_name),
        "employeeNumber" => json!(person.employee_number),
        "jobTitle" => json!(person.job_title),
        "department" => json!(person.department),
        "division" => json!(person.employing_entity),
        "location" => json!(person.location),
        "workEmail" => json!(person.work_email),
        "homeEmail" => json!(person.personal_email),
        "workPhone" | "mobilePhone" => Value::Null,
        "supervisor" => json!(manager().map(|(_, p)| p.full_name())),
        "supervisorId" => json!(manager().map(|(_, p)| p.employee_number)),
        "supervisorEId" => json!(manager().map(|(m, _)| employee_id(m))),
        "supervisorEmail" => json!(manager().and_then(|(_, p)| p.work_email)),
        "status" => json!(if terminated { "Inactive" } else { "Active" }),
        "employmentHistoryStatus" => json!(if terminated { "Terminated" } else { "Full-Time" }),
        "hireDate" | "originalHireDate" => date(Some(person.hire_date)),
        "terminationDate" => date(person.termination_date),
        "dateOfBirth" => date(person.date_of_birth),
        "country" => json!(country_name(&person.country)),
        "lastChanged" => json!(population.last_change(index).map(|c| c.at.to_rfc3339())),
        _ => return None,
    })
}
