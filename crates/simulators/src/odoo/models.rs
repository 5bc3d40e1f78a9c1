//! The two models the simulator keeps, `hr.employee` and `hr.department`, with the fields Odoo 17 gives them
//! that a sync touches. Values are stored as Odoo returns them over JSON-RPC: `false` for empty, many2one as an
//! id.
use std::collections::BTreeMap;

use chrono::Utc;
use serde_json::{Map, Value, json};

use super::OdooError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Integer,
    Char,
    Boolean,
    Datetime,
    Selection(&'static [&'static str]),
    Many2one(&'static str),
}

impl Kind {
    pub fn type_name(self) -> &'static str {
        match self {
            Self::Integer => "integer",
            Self::Char => "char",
            Self::Boolean => "boolean",
            Self::Datetime => "datetime",
            Self::Selection(_) => "selection",
            Self::Many2one(_) => "many2one",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: Kind,
    pub required: bool,
    pub readonly: bool,
}

const fn field(name: &'static str, label: &'static str, kind: Kind) -> Field {
    Field {
        name,
        label,
        kind,
        required: false,
        readonly: false,
    }
}

const fn readonly(name: &'static str, label: &'static str, kind: Kind) -> Field {
    Field {
        name,
        label,
        kind,
        required: false,
        readonly: true,
    }
}

const fn required(name: &'static str, label: &'static str, kind: Kind) -> Field {
    Field {
        name,
        label,
        kind,
        required: true,
        readonly: false,
    }
}

#[derive(Debug)]
pub struct Model {
    pub name: &'static str,
    pub description: &'static str,
    pub fields: &'static [Field],
    /// `_order`: hr.employee and hr.department both sort by name.
    pub order: &'static str,
}

pub const EMPLOYEE_TYPES: &[&str] = &["employee", "student", "trainee", "contractor", "freelance"];

pub static EMPLOYEE: Model = Model {
    name: "hr.employee",
    description: "Employee",
    order: "name",
    fields: &[
        readonly("id", "ID", Kind::Integer),
        required("name", "Employee Name", Kind::Char),
        field("active", "Active", Kind::Boolean),
        field("work_email", "Work Email", Kind::Char),
        field("private_email", "Private Email", Kind::Char),
        field("job_title", "Job Title", Kind::Char),
        field("work_phone", "Work Phone", Kind::Char),
        field("mobile_phone", "Work Mobile", Kind::Char),
        field("barcode", "Badge ID", Kind::Char),
        field("identification_id", "Identification No", Kind::Char),
        field("employee_type", "Employee Type", Kind::Selection(EMPLOYEE_TYPES)),
        field("department_id", "Department", Kind::Many2one("hr.department")),
        field("parent_id", "Manager", Kind::Many2one("hr.employee")),
        field("coach_id", "Coach", Kind::Many2one("hr.employee")),
        field("company_id", "Company", Kind::Many2one("res.company")),
        readonly("display_name", "Display Name", Kind::Char),
        readonly("create_date", "Created on", Kind::Datetime),
        readonly("write_date", "Last Updated on", Kind::Datetime),
    ],
};

pub static DEPARTMENT: Model = Model {
    name: "hr.department",
    description: "Department",
    order: "name",
    fields: &[
        readonly("id", "ID", Kind::Integer),
        required("name", "Department Name", Kind::Char),
        readonly("complete_name", "Complete Name", Kind::Char),
        field("active", "Active", Kind::Boolean),
        field("parent_id", "Parent Department", Kind::Many2one("hr.department")),
        field("manager_id", "Manager", Kind::Many2one("hr.employee")),
        field("company_id", "Company", Kind::Many2one("res.company")),
        readonly("display_name", "Display Name", Kind::Char),
        readonly("create_date", "Created on", Kind::Datetime),
        readonly("write_date", "Last Updated on", Kind::Datetime),
    ],
};

impl Model {
    /// A field of the model; `x_…` names are custom fields (Studio's prefix), taken as text.
    pub fn field(&self, name: &str) -> Option<Field> {
        if let Some(f) = self.fields.iter().find(|f| f.name == name) {
            return Some(*f);
        }
        (name.starts_with("x_") && name.len() > 2).then_some(Field {
            name: "x_",
            label: "Custom Field",
            kind: Kind::Char,
            required: false,
            readonly: false,
        })
    }
}

/// One model's records.
#[derive(Debug)]
pub struct Table {
    pub model: &'static Model,
    next_id: i64,
    pub rows: BTreeMap<i64, Map<String, Value>>,
}

impl Table {
    pub fn new(model: &'static Model) -> Self {
        Self {
            model,
            next_id: 1,
            rows: BTreeMap::new(),
        }
    }

    pub fn exists(&self, id: i64) -> bool {
        self.rows.contains_key(&id)
    }
}

pub const COMPANY_ID: i64 = 1;

/// Odoo writes datetimes as `YYYY-MM-DD HH:MM:SS`, in UTC.
fn now() -> String {
    Utc::now().format("%Y-%m-%d %H:%M:%S").to_string()
}

/// The database the simulator serves.
#[derive(Debug)]
pub struct Database {
    pub employees: Table,
    pub departments: Table,
    /// Employees whose name or work email contains one of these are refused (the "record the target refuses"
    /// fault).
    pub refused: Vec<String>,
}

impl Default for Database {
    fn default() -> Self {
        Self {
            employees: Table::new(&EMPLOYEE),
            departments: Table::new(&DEPARTMENT),
            refused: Vec::new(),
        }
    }
}

pub fn missing(model: &Model, ids: &[i64], uid: i64) -> OdooError {
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    OdooError::new(
        "odoo.exceptions.MissingError",
        &format!(
            "Record does not exist or has been deleted.\n(Record: {}({},), User: {uid})",
            model.name,
            list.join(", ")
        ),
    )
}

fn validation(message: &str) -> OdooError {
    OdooError::new("odoo.exceptions.ValidationError", message)
}

impl Database {
    pub fn table(&self, model: &str) -> Option<&Table> {
        match model {
            "hr.employee" => Some(&self.employees),
            "hr.department" => Some(&self.departments),
            _ => None,
        }
    }

    pub fn table_mut(&mut self, model: &str) -> Option<&mut Table> {
        match model {
            "hr.employee" => Some(&mut self.employees),
            "hr.department" => Some(&mut self.departments),
            _ => None,
        }
    }

    /// The name a many2one shows: an employee's name, a department's full path.
    pub fn display_name(&self, model: &str, id: i64) -> Option<String> {
        match model {
            "res.company" => (id == COMPANY_ID).then(|| crate::people::COMPANY.to_owned()),
            "hr.department" => {
                let mut parts = Vec::new();
                let mut current = Some(id);
                while let Some(dept) = current.and_then(|i| self.departments.rows.get(&i)) {
                    parts.push(dept.get("name").and_then(Value::as_str).unwrap_or_default().to_owned());
                    current = dept.get("parent_id").and_then(Value::as_i64);
                    if parts.len() > 50 {
                        break;
                    }
                }
                (!parts.is_empty()).then(|| {
                    parts.reverse();
                    parts.join(" / ")
                })
            }
            other => self
                .table(other)?
                .rows
                .get(&id)
                .and_then(|r| r.get("name"))
                .and_then(Value::as_str)
                .map(str::to_owned),
        }
    }

    /// The value of `field` as `read` returns it: many2one as `[id, "name"]`, nothing as `false`.
    pub fn render(&self, model: &Model, row: &Map<String, Value>, name: &str) -> Value {
        let id = row.get("id").and_then(Value::as_i64).unwrap_or_default();
        match name {
            "display_name" => return json!(self.display_name(model.name, id)).or_false(),
            "complete_name" if model.name == "hr.department" => {
                return json!(self.display_name(model.name, id)).or_false();
            }
            _ => {}
        }
        let raw = row.get(name).cloned().unwrap_or(Value::Bool(false));
        match model.field(name).map(|f| f.kind) {
            Some(Kind::Many2one(target)) => match raw.as_i64() {
                Some(target_id) => json!([target_id, self.display_name(target, target_id).unwrap_or_default()]),
                None => Value::Bool(false),
            },
            _ => raw,
        }
    }

    /// Checks and stores the values of a `create` or `write`; Odoo's own checks and messages.
    pub fn write(&mut self, model_name: &str, id: Option<i64>, vals: &Map<String, Value>) -> Result<i64, OdooError> {
        let table = self.table(model_name).expect("known model");
        let model = table.model;
        let mut clean = Map::new();
        for (name, value) in vals {
            let Some(field) = model.field(name) else {
                return Err(OdooError::new(
                    "builtins.ValueError",
                    &format!("Invalid field '{name}' on model '{}'", model.name),
                ));
            };
            if field.readonly {
                continue;
            }
            let value = match (field.kind, value) {
                (_, Value::Bool(false)) | (_, Value::Null) if field.kind != Kind::Boolean => Value::Bool(false),
                (Kind::Char, Value::String(s)) => json!(s),
                (Kind::Boolean, Value::Bool(b)) => json!(b),
                (Kind::Boolean, Value::Null) => json!(false),
                (Kind::Integer, Value::Number(n)) => json!(n),
                (Kind::Selection(options), Value::String(s)) if options.contains(&s.as_str()) => json!(s),
                (Kind::Selection(_), Value::String(s)) => {
                    return Err(validation(&format!("Wrong value for {}.{name}: '{s}'", model.name)));
                }
                (Kind::Many2one(target), Value::Number(n)) => {
                    let target_id = n.as_i64().unwrap_or_default();
                    let exists = match target {
                        "res.company" => target_id == COMPANY_ID,
                        other => self.table(other).is_some_and(|t| t.exists(target_id)),
                    };
                    if !exists {
                        return Err(validation(&format!(
                            "The operation cannot be completed: the record {target}({target_id},) referenced by {} ({}) does not exist.",
                            field.label, name
                        )));
                    }
                    json!(target_id)
                }
                (kind, other) => {
                    return Err(OdooError::new(
                        "builtins.ValueError",
                        &format!(
                            "Wrong value for {}.{name}: {other} is not a {}",
                            model.name,
                            kind.type_name()
                        ),
                    ));
                }
            };
            clean.insert(name.clone(), value);
        }
        let existing = id.and_then(|i| table.rows.get(&i)).cloned();
        let mut row = existing.unwrap_or_else(|| {
            let mut defaults = Map::new();
            for f in model.fields.iter().filter(|f| !f.readonly) {
                let default = match f.name {
                    "active" => json!(true),
                    "employee_type" => json!("employee"),
                    "company_id" => json!(COMPANY_ID),
                    _ => Value::Bool(false),
                };
                defaults.insert(f.name.to_owned(), default);
            }
            defaults.insert("create_date".into(), json!(now()));
            defaults
        });
        row.extend(clean);
        row.insert("write_date".into(), json!(now()));
        for f in model.fields.iter().filter(|f| f.required) {
            if row
                .get(f.name)
                .is_none_or(|v| v == &Value::Bool(false) || v.as_str() == Some(""))
            {
                return Err(validation(&format!(
                    "The operation cannot be completed:\n- Create/update: a mandatory field is not set.\n- Delete: another model requires the record being deleted. If possible, archive it instead.\n\nModel: {} ({})\nField: {} ({})",
                    model.description, model.name, f.label, f.name
                )));
            }
        }
        if model.name == "hr.employee" {
            self.check_employee(id, &row)?;
        }
        let table = self.table_mut(model_name).expect("known model");
        let id = id.unwrap_or_else(|| {
            let next = table.next_id;
            table.next_id += 1;
            next
        });
        row.insert("id".into(), json!(id));
        table.rows.insert(id, row);
        Ok(id)
    }

    fn check_employee(&self, id: Option<i64>, row: &Map<String, Value>) -> Result<(), OdooError> {
        // hr.employee's `_sql_constraints`: the badge id is unique.
        if let Some(badge) = row.get("barcode").and_then(Value::as_str)
            && self
                .employees
                .rows
                .iter()
                .any(|(other, r)| Some(*other) != id && r.get("barcode").and_then(Value::as_str) == Some(badge))
        {
            return Err(validation(
                "The Badge ID must be unique, this one is already assigned to another employee.",
            ));
        }
        // hr.employee's `_check_parent_id` constraint.
        let mut seen = 0;
        let mut manager = row.get("parent_id").and_then(Value::as_i64);
        while let Some(m) = manager {
            if Some(m) == id || seen > self.employees.rows.len() {
                return Err(validation("You cannot create a recursive hierarchy."));
            }
            seen += 1;
            manager = self
                .employees
                .rows
                .get(&m)
                .and_then(|r| r.get("parent_id"))
                .and_then(Value::as_i64);
        }
        let texts =
            ["name", "work_email"].map(|f| row.get(f).and_then(Value::as_str).unwrap_or_default().to_lowercase());
        if let Some(refused) = self
            .refused
            .iter()
            .find(|r| texts.iter().any(|t| t.contains(&r.to_lowercase())))
        {
            return Err(validation(&format!(
                "This employee cannot be saved: {refused} is not allowed here."
            )));
        }
        Ok(())
    }
}

trait OrFalse {
    fn or_false(self) -> Value;
}

impl OrFalse for Value {
    fn or_false(self) -> Value {
        if self.is_null() { Value::Bool(false) } else { self }
    }
}
