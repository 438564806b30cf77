//! Reading a reviewer's own details page: each field's text into the details their profile
//! keeps ([`records::reviewers::OwnDetails`]), with a problem per field that names the line.

use records::domain::request::FieldError;
use records::domain::{DateRange, Region, Urn};
use records::reviewers::{DeclaredConflict, OwnDetails, OwnDetailsForm, parse_capacity};

/// Longest reason a reviewer may give for a conflict.
pub const MAX_REASON_CHARS: usize = 200;
/// Most schools one reviewer may declare (a page's worth; the coordinator's import has no cap).
pub const MAX_DECLARED_CONFLICTS: usize = 50;
/// Most unavailable ranges one reviewer may give.
pub const MAX_UNAVAILABLE_RANGES: usize = 60;

/// The details a reviewer's page sent, or every field's problem (ids of the page's fields).
/// `own_school` is the reviewer's home school: always a conflict, never declared.
pub fn parse_own_details(
    form: &OwnDetailsForm,
    own_school: &Urn,
) -> Result<OwnDetails, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut fail = |field, message: String| errors.push(FieldError { field, message });
    let capacity = parse_capacity(form.capacity_per_term.trim())
        .map_err(|e| fail("capacity_per_term", format!("Reviews per term: {e}")))
        .ok();
    let mut unavailable = Vec::new();
    for (number, line) in lines(&form.unavailable) {
        match line.replace(" to ", "..").parse::<DateRange>() {
            Ok(range) if !unavailable.contains(&range) => unavailable.push(range),
            Ok(_) => {}
            Err(e) => {
                fail(
                    "unavailable",
                    format!(
                        "Dates you are away, line {number}: {e}; write a day as 2027-03-01 or a range as 2027-03-01 to 2027-03-05"
                    ),
                );
                break;
            }
        }
    }
    if unavailable.len() > MAX_UNAVAILABLE_RANGES {
        fail(
            "unavailable",
            format!("Dates you are away: give at most {MAX_UNAVAILABLE_RANGES} lines"),
        );
    }
    let mut regions = Vec::new();
    for text in &form.regions {
        match text.parse::<Region>() {
            Ok(region) if !regions.contains(&region) => regions.push(region),
            Ok(_) => {}
            Err(_) => {
                fail("regions", format!("Regions: {text:?} is not a region"));
                break;
            }
        }
    }
    if regions.is_empty() && form.regions.is_empty() {
        fail(
            "regions",
            "Regions: choose at least one region you will travel to".into(),
        );
    }
    let mut conflicts: Vec<DeclaredConflict> = Vec::new();
    for (number, line) in lines(&form.conflicts) {
        let (urn, reason) = line
            .split_once(char::is_whitespace)
            .map(|(urn, reason)| (urn, reason.trim()))
            .unwrap_or((line, ""));
        let problem = match urn.trim_end_matches([':', ',']).parse::<Urn>() {
            Err(e) => Some(format!("{e}")),
            Ok(urn) if urn == *own_school => {
                Some("that is your own school, which you never review anyway".into())
            }
            Ok(_) if reason.is_empty() => {
                Some("give a reason after the URN, e.g. 123456 my sister teaches there".into())
            }
            Ok(_) if reason.chars().count() > MAX_REASON_CHARS => Some(format!(
                "the reason is longer than {MAX_REASON_CHARS} characters"
            )),
            Ok(_) if reason.chars().any(char::is_control) => {
                Some("the reason must be plain text".into())
            }
            Ok(urn) => {
                if !conflicts.iter().any(|c| c.urn == urn) {
                    conflicts.push(DeclaredConflict {
                        urn,
                        reason: reason.to_owned(),
                    });
                }
                None
            }
        };
        if let Some(problem) = problem {
            fail(
                "conflicts",
                format!("Schools you must not review, line {number}: {problem}"),
            );
            break;
        }
    }
    if conflicts.len() > MAX_DECLARED_CONFLICTS {
        fail(
            "conflicts",
            format!("Schools you must not review: give at most {MAX_DECLARED_CONFLICTS}"),
        );
    }
    match capacity {
        Some(capacity_per_term) if errors.is_empty() => Ok(OwnDetails {
            capacity_per_term,
            unavailable,
            regions,
            conflicts,
        }),
        _ => Err(errors),
    }
}

/// The non-blank lines of a text box, trimmed, numbered from 1.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .map(str::trim)
        .enumerate()
        .filter(|(_, line)| !line.is_empty())
        .map(|(i, line)| (i + 1, line))
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn form(
        capacity: &str,
        unavailable: &str,
        regions: &[&str],
        conflicts: &str,
    ) -> OwnDetailsForm {
        OwnDetailsForm {
            capacity_per_term: capacity.into(),
            unavailable: unavailable.into(),
            regions: regions.iter().map(|r| (*r).to_owned()).collect(),
            conflicts: conflicts.into(),
            revision: String::new(),
        }
    }

    fn own() -> Urn {
        "100001".parse().unwrap()
    }

    #[test]
    fn a_good_form_reads_as_details_and_shows_again_as_typed() {
        let sent = form(
            " 2 ",
            "2027-03-01 to 2027-03-05\n\n2027-04-02\n2027-04-02",
            &["london", "south_east", "london"],
            "123456 My sister teaches there\n654321: governor",
        );
        let details = parse_own_details(&sent, &own()).unwrap();
        assert_eq!(details.capacity_per_term, 2);
        assert_eq!(
            details.unavailable,
            vec![
                DateRange::new(date!(2027 - 03 - 01), date!(2027 - 03 - 05)).unwrap(),
                DateRange::day(date!(2027 - 04 - 02)),
            ]
        );
        assert_eq!(details.regions, vec![Region::London, Region::SouthEast]);
        assert_eq!(details.conflicts[0].reason, "My sister teaches there");
        assert_eq!(details.conflicts[1].urn.as_str(), "654321");
        let shown = details.form("r1");
        assert_eq!(shown.unavailable, "2027-03-01 to 2027-03-05\n2027-04-02");
        assert_eq!(parse_own_details(&shown, &own()).unwrap(), details);
    }

    #[test]
    fn each_bad_field_gets_its_own_error_naming_the_line() {
        let errors = parse_own_details(
            &form(
                "eleven",
                "2027-03-01\n2027-03-09 to 2027-03-05",
                &[],
                "12345 typo\n",
            ),
            &own(),
        )
        .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            ["capacity_per_term", "unavailable", "regions", "conflicts"]
        );
        assert!(
            errors[1].message.contains("line 2"),
            "{}",
            errors[1].message
        );
        assert!(
            errors[3].message.contains("line 1"),
            "{}",
            errors[3].message
        );

        let no_reason =
            parse_own_details(&form("1", "", &["london"], "123456"), &own()).unwrap_err();
        assert!(no_reason[0].message.contains("give a reason"));
        let own_school =
            parse_own_details(&form("1", "", &["london"], "100001 mine"), &own()).unwrap_err();
        assert!(own_school[0].message.contains("your own school"));
        let bad_region = parse_own_details(&form("1", "", &["atlantis"], ""), &own()).unwrap_err();
        assert_eq!(bad_region[0].field, "regions");
    }
}
