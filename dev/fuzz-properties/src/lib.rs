//! What must hold for any input to the product's parsers and builders, one function per fuzz
//! target. Each takes the raw bytes a fuzzer produces and panics, saying which promise broke,
//! when the product breaks one; a panic inside the product is a finding too. The fuzz targets
//! (`fuzz/`, `scripts/fuzz`) call these; each module's tests run the same function on
//! proptest's inputs, and on every seed and regression input in `fuzz/seeds/<target>/`.
//!
//! Inputs of several strings are split on NUL bytes ([`fields`]), so a seed is a readable file.

mod calendar;
mod mime;
mod pdf;
mod requests;
mod reviewers;

pub use calendar::calendar;
pub use mime::mime;
pub use pdf::report_pdf;
pub use requests::{api_request, request_form};
pub use reviewers::reviewer_csv;

use time::Date;
use time::macros::date;

/// The day every property runs on: the request form's visit windows are relative to today,
/// and no check may depend on the calendar date it runs on.
pub const TODAY: Date = date!(2027 - 01 - 11);

/// The first `n` NUL-separated fields of `data` as text (missing ones empty; invalid UTF-8
/// replaced, since every product input here arrives as text).
pub fn fields(data: &[u8], n: usize) -> Vec<String> {
    let mut fields: Vec<String> = data
        .splitn(n, |&b| b == 0)
        .map(|field| String::from_utf8_lossy(field).into_owned())
        .collect();
    fields.resize(n, String::new());
    fields
}

/// A property: returns when it holds for the input, panics saying why when it does not.
pub type Property = fn(&[u8]);

/// Every target: its name (the fuzz target's and its seed folder's) and its property.
pub const TARGETS: &[(&str, Property)] = &[
    ("request_form", request_form),
    ("api_request", api_request),
    ("reviewer_csv", reviewer_csv),
    ("mime", mime),
    ("calendar", calendar),
    ("report_pdf", report_pdf),
];

#[cfg(test)]
mod seeds {
    use std::path::PathBuf;

    /// Every seed and regression input of `target`, with its file name.
    pub fn of(target: &str) -> Vec<(String, Vec<u8>)> {
        let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/seeds")
            .join(target);
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&folder)
            .unwrap_or_else(|e| panic!("{}: {e}", folder.display()))
            .map(|entry| {
                let path = entry.expect("a readable folder").path();
                let name = path
                    .file_name()
                    .expect("a file")
                    .to_string_lossy()
                    .into_owned();
                (name, std::fs::read(&path).expect("a readable seed"))
            })
            .collect();
        files.sort();
        files
    }

    #[test]
    fn every_seed_and_regression_input_holds_its_property() {
        for (target, property) in super::TARGETS {
            let seeds = of(target);
            assert!(!seeds.is_empty(), "{target} has no seeds");
            for (name, data) in seeds {
                let outcome = std::panic::catch_unwind(|| property(&data));
                assert!(outcome.is_ok(), "{target}: seed {name} broke its property");
            }
        }
    }
}
