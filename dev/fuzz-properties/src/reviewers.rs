//! The reviewer pool's CSV import: any file is every row or every problem (each on a line of
//! the file), and what is accepted exports and re-imports as the same reviewers.

use records::reviewers::{Reviewer, parse_csv, to_csv};

pub fn reviewer_csv(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let lines = text.lines().count().max(1) as u64;
    match parse_csv(&text) {
        Err(errors) => {
            assert!(!errors.is_empty(), "a refused file with no problem");
            for error in &errors {
                assert!(
                    (1..=lines + 1).contains(&error.line),
                    "a problem on line {} of a file of {lines}: {error}",
                    error.line
                );
                assert!(!error.problem.is_empty(), "a problem with no words");
            }
        }
        Ok(rows) => {
            let reviewers: Vec<Reviewer> = rows.into_iter().map(|row| row.reviewer).collect();
            let exported = to_csv(&reviewers);
            let again: Vec<Reviewer> = parse_csv(&exported)
                .unwrap_or_else(|errors| panic!("an export does not re-import: {errors:?}"))
                .into_iter()
                .map(|row| row.reviewer)
                .collect();
            assert_eq!(again, reviewers, "an export re-imports as other reviewers");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HEADER: &str = "name,email,home_school_urn,local_authority,regions,phases,school_types,may_lead,capacity_per_term";

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn any_file_is_rows_or_problems(text in any::<String>()) {
            reviewer_csv(text.as_bytes());
        }

        #[test]
        fn any_row_under_the_real_header_is_a_reviewer_or_its_problems(
            cells in proptest::collection::vec("[a-zA-Z0-9 .@;_\"\n-]{0,20}", 0..12)
        ) {
            reviewer_csv(format!("{HEADER}\n{}\n", cells.join(",")).as_bytes());
        }
    }
}
