//! The funders' export: one CSV row per request, in every state.
//!
//! An export is shared outside the programme (with funders), so it holds what describes the
//! school and the review, and the contact's role, but never the contact's name, email or
//! phone, nor the school's free-text learning goal. Free-text cells that a spreadsheet would
//! run as a formula (starting `=`, `+`, `-`, `@`) are prefixed with `'`.

use std::collections::HashMap;
use std::io::Write;

use records::domain::LocalAuthority;
use records::request::StoredRequest;
use records::store::{Table, s};

use crate::requests::{focus_values, read_request, sort_oldest_first, window_values};
use crate::{AdminError, stored_error};

/// The export's columns, in order.
pub const HEADER: &[&str] = &[
    "reference",
    "created_at",
    "state",
    "urn",
    "school_name",
    "phase",
    "school_type",
    "la_code",
    "la_name",
    "review_type",
    "focus_areas",
    "visit_windows",
    "contact_role",
];

/// Every request stored, whatever its state (a scan: states that leave the index are found
/// too), oldest first.
pub async fn all_requests(table: &Table) -> Result<Vec<StoredRequest>, AdminError> {
    let values = HashMap::from([
        (":sk".to_owned(), s("REQUEST")),
        (":prefix".to_owned(), s(records::keys::REQUEST_PREFIX)),
    ]);
    let items = table
        .scan_items("sk = :sk AND begins_with(pk, :prefix)", values, None)
        .await
        .map_err(|e| stored_error(table, e))?;
    let mut requests = items
        .into_iter()
        .map(read_request)
        .collect::<Result<Vec<_>, _>>()?;
    sort_oldest_first(&mut requests);
    Ok(requests)
}

/// A cell of free text that a spreadsheet will not run as a formula.
fn inert(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// Writes the CSV: the header, then a row per request.
pub fn write_csv(out: impl Write, requests: &[StoredRequest]) -> Result<(), AdminError> {
    let io = |e: csv::Error| AdminError::Io(format!("cannot write the export: {e}"));
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(HEADER).map_err(io)?;
    for stored in requests {
        let r = &stored.request;
        let school = &r.school;
        let la_name = LocalAuthority::by_code(school.local_authority_code).map_or("", |la| la.name);
        writer
            .write_record([
                stored.reference.to_string(),
                stored.created_at.clone(),
                stored.state.to_string(),
                school.urn.to_string(),
                inert(school.name.as_str()),
                school.phase.as_str().to_owned(),
                school.school_type.as_str().to_owned(),
                school.local_authority_code.to_string(),
                la_name.to_owned(),
                r.review_type.as_str().to_owned(),
                focus_values(r).join(";"),
                window_values(r).join(";"),
                inert(r.contact.role.as_str()),
            ])
            .map_err(io)?;
    }
    writer
        .flush()
        .map_err(|e| AdminError::Io(format!("cannot write the export: {e}")))
}

/// Reads every request and writes the CSV to `out`; returns how many rows it wrote.
pub async fn export(table: &Table, out: impl Write) -> Result<usize, AdminError> {
    let requests = all_requests(table).await?;
    write_csv(out, &requests)?;
    Ok(requests.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_made_inert() {
        assert_eq!(inert("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(inert("-1+2"), "'-1+2");
        assert_eq!(inert("SENCO"), "SENCO");
    }

    #[test]
    fn an_empty_export_is_just_the_header() {
        let mut out = Vec::new();
        write_csv(&mut out, &[]).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!("{}\n", HEADER.join(","))
        );
    }
}
