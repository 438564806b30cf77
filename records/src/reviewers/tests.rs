use time::macros::date;

use super::*;

const HEADER: &str = "name,email,home_school_urn,local_authority,regions,phases,school_types,may_lead,capacity_per_term";
const GOOD: &str = "Ada Okafor,ada.okafor@example.org,100001,202,london,primary,mainstream,yes,2";

/// The problems of a file of HEADER and `rows`, as text.
fn problems(rows: &[&str]) -> Vec<String> {
    let text = std::iter::once(HEADER)
        .chain(rows.iter().copied())
        .collect::<Vec<_>>()
        .join("\n");
    problems_of(&text)
}

/// The problems of the file `text`, as text.
fn problems_of(text: &str) -> Vec<String> {
    parse_csv(text)
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn only_row(text: &str) -> Reviewer {
    let mut rows = parse_csv(text).unwrap();
    assert_eq!(rows.len(), 1);
    rows.remove(0).reviewer
}

#[test]
fn a_full_row_reads_every_column() {
    let text = "id,name,email,home_school_urn,trust,local_authority,regions,phases,school_types,specialisms,may_lead,trained_on,dbs_checked_on,capacity_per_term,unavailable,conflicts,active\n\
        01HZZZZZZZZZZZZZZZZZZZZZZZ, Priya Shah ,Priya.Shah@Brook-Primary.example.sch.uk,123456,\"Oak Learning Trust, North\",380,Yorkshire and the Humber; north_west;,primary;NURSERY;primary,mainstream;resourced_provision,autism;early_years,Yes,2025-03-14,2024-09-01,3,2027-01-05..2027-01-09;2027-03-01,654321;111111,no\n";
    let r = only_row(text);
    assert_eq!(r.id.to_string(), "01HZZZZZZZZZZZZZZZZZZZZZZZ");
    assert_eq!(r.name, "Priya Shah");
    assert_eq!(r.email, "Priya.Shah@Brook-Primary.example.sch.uk");
    assert_eq!(r.home_school_urn.as_str(), "123456");
    assert_eq!(r.trust.as_deref(), Some("Oak Learning Trust, North"));
    assert_eq!(r.local_authority.name, "Bradford");
    assert_eq!(r.regions, [Region::YorkshireHumber, Region::NorthWest]);
    assert_eq!(r.phases, [Phase::Primary, Phase::Nursery]);
    assert_eq!(
        r.school_types,
        [SchoolType::Mainstream, SchoolType::ResourcedProvision]
    );
    assert_eq!(r.specialisms, [Specialism::Autism, Specialism::EarlyYears]);
    assert!(r.may_lead);
    assert_eq!(r.trained_on, Some(date!(2025 - 03 - 14)));
    assert_eq!(r.dbs_checked_on, Some(date!(2024 - 09 - 01)));
    assert_eq!(r.capacity_per_term, 3);
    assert_eq!(
        r.unavailable,
        [
            DateRange::new(date!(2027 - 01 - 05), date!(2027 - 01 - 09)).unwrap(),
            DateRange::day(date!(2027 - 03 - 01)),
        ]
    );
    assert_eq!(r.conflicts.len(), 2);
    assert!(!r.active);
}

#[test]
fn optional_columns_may_be_left_out() {
    let r = only_row(&format!("{HEADER}\n{GOOD}\n"));
    assert_eq!(r.trust, None);
    assert!(r.specialisms.is_empty() && r.unavailable.is_empty() && r.conflicts.is_empty());
    assert_eq!((r.trained_on, r.dbs_checked_on), (None, None));
    assert!(r.active, "active defaults to yes");
}

#[test]
fn a_byte_order_mark_blank_rows_and_column_order_do_not_matter() {
    let text = "\u{feff}Email,NAME,home_school_urn,local_authority,regions,phases,school_types,may_lead,capacity_per_term\n\n\
        ada@example.org,Ada Okafor,100001,202,london,primary,mainstream,no,0\n,,,,,,,,\n";
    let r = only_row(text);
    assert_eq!(
        (r.name.as_str(), r.email.as_str()),
        ("Ada Okafor", "ada@example.org")
    );
}

#[test]
fn rows_without_an_id_get_a_new_one_each() {
    let text = format!(
        "{HEADER}\n{GOOD}\nBen Ng,ben.ng@example.org,100002,202,london,primary,mainstream,no,1\n"
    );
    let rows = parse_csv(&text).unwrap();
    assert_ne!(rows[0].reviewer.id, rows[1].reviewer.id);
    assert_eq!((rows[0].line, rows[1].line), (2, 3));
}

#[test]
fn a_bad_urn_is_refused() {
    assert_eq!(
        problems(&[
            GOOD,
            "Ben Ng,ben@example.org,12345,202,london,primary,mainstream,no,1"
        ]),
        [r#"line 3: home_school_urn "12345" must be 6 digits"#]
    );
}

#[test]
fn an_unknown_local_authority_is_refused() {
    assert_eq!(
        problems(&["Ben Ng,ben@example.org,100002,999,london,primary,mainstream,no,1"]),
        [
            r#"line 2: local_authority "999" is not a local authority code in England (3 digits, e.g. 202 for Camden)"#
        ]
    );
}

#[test]
fn an_unknown_phase_is_refused() {
    assert_eq!(
        problems(&["Ben Ng,ben@example.org,100002,202,london,primary;infant,mainstream,no,1"]),
        [
            r#"line 2: phases "infant" is not a known phase; expected one of: nursery, primary, middle, secondary, all_through, post_16"#
        ]
    );
}

#[test]
fn a_bad_date_is_refused() {
    let text = format!("{HEADER},dbs_checked_on\n{GOOD},31/01/2025\n");
    let errors = problems_of(&text);
    assert_eq!(
        errors,
        [r#"line 2: dbs_checked_on "31/01/2025" is not a date in the form YYYY-MM-DD"#]
    );
}

#[test]
fn a_range_ending_before_it_starts_is_refused() {
    let text =
        format!("{HEADER},unavailable\n{GOOD},2027-01-05..2027-01-09;2027-02-10..2027-02-01\n");
    let errors = problems_of(&text);
    assert_eq!(
        errors,
        [r#"line 2: unavailable "2027-02-10..2027-02-01" ends before it starts"#]
    );
}

#[test]
fn a_duplicate_email_is_refused_whatever_its_case() {
    assert_eq!(
        problems(&[
            GOOD,
            "Ada O,ADA.OKAFOR@example.org,100002,202,london,primary,mainstream,no,1"
        ]),
        [r#"line 3: email "ADA.OKAFOR@example.org" is also on line 2"#]
    );
}

#[test]
fn a_duplicate_id_is_refused() {
    let text = "id,name,email,home_school_urn,local_authority,regions,phases,school_types,may_lead,capacity_per_term\n\
        01HZZZZZZZZZZZZZZZZZZZZZZZ,Ada,ada@example.org,100001,202,london,primary,mainstream,no,1\n\
        01HZZZZZZZZZZZZZZZZZZZZZZZ,Ben,ben@example.org,100002,202,london,primary,mainstream,no,1\n";
    assert_eq!(
        problems_of(text),
        [r#"line 3: id "01HZZZZZZZZZZZZZZZZZZZZZZZ" is also on line 2"#]
    );
}

#[test]
fn a_header_missing_a_required_column_is_refused() {
    let text = "name,email,home_school_urn,regions,phases,school_types,may_lead,capacity_per_term\n\
        Ada,ada@example.org,100001,london,primary,mainstream,no,1\n";
    assert_eq!(
        problems_of(text),
        [r#"line 1: missing required column "local_authority""#]
    );
}

#[test]
fn unknown_and_repeated_columns_are_refused() {
    let text = format!("{HEADER},dbs_checked,Name\n{GOOD},2025-01-01,Ada\n");
    let errors = problems_of(&text);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0]
            .starts_with(r#"line 1: unknown column "dbs_checked"; the columns are name, email,"#)
    );
    assert_eq!(errors[1], r#"line 1: column "name" appears twice"#);
}

#[test]
fn an_empty_name_is_refused() {
    assert_eq!(
        problems(&["  ,ben@example.org,100002,202,london,primary,mainstream,no,1"]),
        ["line 2: name must not be empty"]
    );
}

#[test]
fn other_bad_cells_say_what_is_wrong() {
    assert_eq!(
        problems(&["Ben,ben@@example.org,100002,202,,primary,special school,maybe,11"]),
        [
            r#"line 2: email "ben@@example.org" must be one address, like name@school.sch.uk"#,
            "line 2: regions must not be empty",
            r#"line 2: school_types "special school" is not a known school type; expected one of: mainstream, special, alternative_provision, resourced_provision"#,
            r#"line 2: may_lead "maybe" must be yes or no"#,
            r#"line 2: capacity_per_term "11" must be a whole number from 0 to 10"#,
        ]
    );
    assert_eq!(
        problems(&["Ben,ben @example.org,100002,202,london,primary,mainstream,no,1,extra"]),
        [
            "line 2: has 10 cells but the header has 9 columns (a comma inside a cell needs quotes)",
            r#"line 2: email "ben @example.org" must not contain spaces"#,
        ]
    );
}

#[test]
fn every_bad_row_is_reported_and_nothing_returned() {
    let errors = problems(&[
        "Ben,ben@example.org,12345,202,london,primary,mainstream,no,1",
        GOOD,
        "Cat,cat@example.org,100003,999,london,primary,mainstream,no,1",
    ]);
    assert_eq!(errors.len(), 2);
    assert!(errors[0].starts_with("line 2: home_school_urn"));
    assert!(errors[1].starts_with("line 4: local_authority"));
    assert!(
        parse_csv("").unwrap_err()[0]
            .to_string()
            .starts_with("line 1: the file is empty")
    );
}

#[test]
fn the_profile_item_has_the_documented_keys() {
    let r = only_row(&format!("{HEADER}\n{GOOD}\n"));
    let item = r.to_item();
    assert_eq!(
        get_s(&item, "pk"),
        Some(format!("REVIEWER#{}", r.id).as_str())
    );
    assert_eq!(get_s(&item, "sk"), Some("PROFILE"));
    assert_eq!(get_s(&item, "gsi1pk"), Some("REVIEWER"));
    assert_eq!(
        get_s(&item, "gsi1sk"),
        Some(format!("ada okafor#{}", r.id).as_str())
    );
    // Absent optionals are absent, not empty strings; empty lists are fine in DynamoDB.
    assert!(!item.contains_key("trust") && !item.contains_key("trained_on"));
    assert_eq!(item["specialisms"], AttributeValue::L(vec![]));
    assert_eq!(
        email_pk(" Ada.Okafor@Example.org"),
        "REVIEWER_EMAIL#ada.okafor@example.org"
    );
}

#[test]
fn a_corrupt_item_is_reported_with_its_key() {
    let r = only_row(&format!("{HEADER}\n{GOOD}\n"));
    let mut item = r.to_item();
    item.insert("phases".into(), AttributeValue::L(vec![s("reception")]));
    let error = Reviewer::from_item(&item).unwrap_err().to_string();
    assert!(
        error.starts_with(&format!(
            "stored item REVIEWER#{} is unreadable: phases \"reception\"",
            r.id
        )),
        "{error}"
    );
    item.insert("phases".into(), AttributeValue::L(vec![]));
    assert!(
        Reviewer::from_item(&item)
            .unwrap_err()
            .to_string()
            .ends_with("phases is empty")
    );
}

fn reviewer(email: &str) -> Reviewer {
    Reviewer {
        email: email.into(),
        id: Ulid::new(),
        ..only_row(&format!("{HEADER}\n{GOOD}\n"))
    }
}

fn stored_email(email: &str, id: Ulid) -> (String, Item) {
    let pk = email_pk(email);
    (
        pk.clone(),
        Item::from([
            ("pk".into(), s(pk)),
            ("reviewer_id".into(), s(id.to_string())),
        ]),
    )
}

fn stored_profile(r: &Reviewer) -> (String, Item) {
    let item = r.to_item();
    (profile_pk(r.id), item)
}

#[test]
fn new_reviewers_are_created_with_their_own_id() {
    let r = reviewer("new@example.org");
    let writes = plan_writes(std::slice::from_ref(&r), &HashMap::new()).unwrap();
    assert_eq!(
        writes,
        [ReviewerWrite {
            reviewer: r,
            existed: false,
            old_email_pk: None,
            expected: Expected::Any,
        }]
    );
}

#[test]
fn a_known_email_keeps_its_stored_id() {
    let stored = reviewer("ada@example.org");
    let reimported = Reviewer {
        capacity_per_term: 3,
        ..reviewer("ADA@example.org")
    };
    let db = HashMap::from([
        stored_email("ada@example.org", stored.id),
        stored_profile(&stored),
    ]);
    let writes = plan_writes(std::slice::from_ref(&reimported), &db).unwrap();
    assert_eq!(writes[0].reviewer.id, stored.id);
    assert_eq!(writes[0].reviewer.capacity_per_term, 3);
    assert!(writes[0].existed);
    assert_eq!(writes[0].old_email_pk, None);
}

#[test]
fn a_changed_email_replaces_the_old_email_item() {
    let stored = reviewer("ada@old.example.org");
    let moved = Reviewer {
        email: "ada@new.example.org".into(),
        ..stored.clone()
    };
    let db = HashMap::from([
        stored_email("ada@old.example.org", stored.id),
        stored_profile(&stored),
    ]);
    let writes = plan_writes(std::slice::from_ref(&moved), &db).unwrap();
    assert_eq!(writes[0].reviewer, moved);
    assert!(writes[0].existed);
    assert_eq!(
        writes[0].old_email_pk.as_deref(),
        Some("REVIEWER_EMAIL#ada@old.example.org")
    );
}

#[test]
fn an_existing_reviewer_cannot_take_another_ones_email() {
    let ada = reviewer("ada@example.org");
    let ben = reviewer("ben@example.org");
    let db = HashMap::from([
        stored_email("ada@example.org", ada.id),
        stored_profile(&ada),
        stored_email("ben@example.org", ben.id),
        stored_profile(&ben),
    ]);
    let ben_takes_adas = Reviewer {
        email: "ada@example.org".into(),
        ..ben
    };
    assert!(matches!(
        plan_writes(&[ben_takes_adas], &db),
        Err(StoreError::Conflict(_))
    ));
}

#[test]
fn two_rows_for_one_stored_reviewer_are_refused() {
    let ada = reviewer("ada@example.org");
    let db = HashMap::from([
        stored_email("ada@example.org", ada.id),
        stored_profile(&ada),
    ]);
    // The export's row for Ada, plus a row without an id using her address.
    let by_id = Reviewer {
        email: "ada@new.example.org".into(),
        ..ada.clone()
    };
    let by_email = reviewer("ada@example.org");
    assert!(matches!(
        plan_writes(&[by_id, by_email], &db),
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        refuse_duplicates(&[reviewer("x@example.org"), reviewer("X@example.org")]),
        Err(StoreError::Conflict(_))
    ));
}

#[test]
fn a_form_reads_through_the_rows_rules_and_names_each_bad_field() {
    let good = only_row(&format!("{HEADER}\n{GOOD}"));
    let fields = fields_of(&good);
    let as_refs: Vec<(&'static str, &str)> = fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let read = parse_fields(&as_refs).unwrap();
    assert_eq!(
        Reviewer {
            id: good.id,
            ..read
        },
        good
    );

    let mut bad = as_refs.clone();
    for (name, value) in bad.iter_mut() {
        match *name {
            "home_school_urn" => *value = "12345",
            "capacity_per_term" => *value = "11",
            "name" => *value = "",
            _ => {}
        }
    }
    let errors = parse_fields(&bad).unwrap_err();
    let columns: Vec<_> = errors.iter().map(|e| e.column).collect();
    assert_eq!(
        columns,
        [
            Some("name"),
            Some("home_school_urn"),
            Some("capacity_per_term")
        ]
    );
    assert!(errors[1].problem.contains("\"12345\""), "{:?}", errors[1]);
}

#[test]
fn lines_are_counted_the_same_with_windows_line_endings() {
    // Spreadsheets save CSV with CRLF, and browsers send a text box's lines so.
    let rows = [
        GOOD,
        "Ben,ben@example.org,12345,202,london,primary,mainstream,no,1",
    ];
    let text = std::iter::once(HEADER)
        .chain(rows)
        .collect::<Vec<_>>()
        .join("\r\n");
    let errors = parse_csv(&text).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].to_string().starts_with("line 3: home_school_urn"),
        "{}",
        errors[0]
    );
}
