//! The report as a PDF: any report text the editor accepts lays out into a PDF (every word
//! fits somewhere, every page breaks), whatever its characters, lengths and line breaks.

use workflows::report::examples::{areas, document, review};
use workflows::report::{RawReport, Report, pdf};

/// The report editor's form body (for a review of the example areas); `school_name` and
/// `programme_name` set those of the document.
pub fn report_pdf(body: &[u8]) {
    let pairs: Vec<(String, String)> = serde_html_form::from_bytes(body).unwrap_or_default();
    let raw = RawReport::from_pairs(&pairs);
    let Ok(report) = Report::parse(&raw, &review(&areas()), None) else {
        return;
    };
    let mut doc = document(&report);
    for (name, value) in &pairs {
        match name.as_str() {
            "school_name" => doc.school_name = value.clone(),
            "programme_name" => doc.programme_name = value.clone(),
            _ => {}
        }
    }
    let pdf = pdf::render(&doc).unwrap_or_else(|e| panic!("an accepted report: {e}"));
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        // Each case lays out a whole report: a few, the fuzz target runs the many.
        #![proptest_config(ProptestConfig::with_cases(12))]

        #[test]
        fn any_accepted_report_text_lays_out(
            points in proptest::collection::vec(any::<String>(), 0..6),
            summary in any::<String>(),
            school_name in any::<String>(),
        ) {
            let mut pairs: Vec<(String, String)> = points
                .into_iter()
                .map(|p| ("outcomes.went_well".to_owned(), p))
                .collect();
            pairs.push(("summary".into(), summary));
            pairs.push(("school_name".into(), school_name));
            report_pdf(serde_html_form::to_string(&pairs).expect("encodes").as_bytes());
        }
    }
}
