use super::*;

#[test]
fn keys_are_under_the_request_prefix_and_parse_back() {
    let request = Ulid::new().to_string();
    let evidence = Ulid::new().to_string();
    let key = object_key(&request, &evidence);
    assert!(key.starts_with(&request_prefix(&request)));
    assert_eq!(
        parse_object_key(&key),
        Some((request.as_str(), evidence.as_str()))
    );
    for bad in [
        "requests/x/evidence/y",
        "other/key",
        &format!("requests/{request}/evidence/{evidence}/extra"),
        &format!("requests/{request}/notes/{evidence}"),
    ] {
        assert_eq!(parse_object_key(bad), None, "{bad}");
    }
}

#[test]
fn the_form_is_parsed_with_an_error_per_field() {
    let errors = NewEvidence::parse(&RawNewEvidence::default()).unwrap_err();
    let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
    assert_eq!(fields, ["name", "category", "file_type", "no_pupil_named"]);
    let good = RawNewEvidence {
        name: "  SEN information report 2026  ".into(),
        category: "sen_information_report".into(),
        file_type: "pdf".into(),
        no_pupil_named: Some("yes".into()),
    };
    assert_eq!(
        NewEvidence::parse(&good),
        Ok(NewEvidence {
            name: "SEN information report 2026".into(),
            category: Category::SenInformationReport,
            file_type: FileType::Pdf,
        })
    );
    let long = RawNewEvidence {
        name: "x".repeat(MAX_NAME_CHARS + 1),
        category: "nonsense".into(),
        ..good
    };
    let errors = NewEvidence::parse(&long).unwrap_err();
    assert_eq!(errors.len(), 2);
    assert!(errors[0].message.contains("100 characters"));
}

#[test]
fn download_names_are_safe_and_keep_the_extension() {
    let mut evidence = Evidence {
        id: "01".into(),
        request_id: "02".into(),
        name: "Provision map: \"spring\"/2026".into(),
        category: Category::ProvisionMap,
        file_type: FileType::Xlsx,
        state: state::RECEIVED.into(),
        created_at: String::new(),
        max_bytes: 1,
        size: None,
        version_id: None,
        checked_at: None,
        rejected_reason: None,
        deleted_at: None,
    };
    assert_eq!(
        evidence.download_file_name(),
        "Provision map_ _spring__2026.xlsx"
    );
    evidence.name = "plan.XLSX".into();
    assert_eq!(evidence.download_file_name(), "plan.XLSX");
    evidence.name = "…".into();
    assert_eq!(evidence.download_file_name(), "_.xlsx");
}
