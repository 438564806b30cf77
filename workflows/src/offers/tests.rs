use super::*;
use time::macros::date;

#[test]
fn a_visit_moves_only_to_a_school_day_after_today_within_a_year_when_the_team_is_free() {
    let today = date!(2026 - 11 - 23);
    assert_eq!(check_new_date(date!(2026 - 12 - 02), &[], today), Ok(()));
    assert!(
        check_new_date(date!(2026 - 12 - 05), &[], today)
            .unwrap_err()
            .contains("Monday to Friday")
    );
    assert!(
        check_new_date(today, &[], today)
            .unwrap_err()
            .contains("after today")
    );
    assert!(
        check_new_date(date!(2027 - 12 - 01), &[], today)
            .unwrap_err()
            .contains("12 months")
    );
    let csv = "name,email,home_school_urn,trust,local_authority,regions,phases,school_types,specialisms,may_lead,trained_on,dbs_checked_on,capacity_per_term,unavailable,conflicts,active\n\
               Ada,ada@example.org,100000,,202,london,primary,mainstream,,yes,2024-01-01,2025-01-01,2,2026-12-01..2026-12-04,,yes\n";
    let away = records::reviewers::parse_csv(csv)
        .expect("a valid row")
        .remove(0)
        .reviewer;
    assert!(
        check_new_date(date!(2026 - 12 - 02), std::slice::from_ref(&away), today)
            .unwrap_err()
            .contains("unavailable")
    );
    assert_eq!(
        check_new_date(date!(2026 - 12 - 07), &[away], today),
        Ok(())
    );
}

#[test]
fn an_offer_loads_one_day_in_each_term_its_windows_touch() {
    let windows = [
        VisitWindow {
            start: date!(2026 - 12 - 21),
            end: date!(2027 - 01 - 08),
        },
        VisitWindow {
            start: date!(2027 - 01 - 18),
            end: date!(2027 - 01 - 29),
        },
        VisitWindow {
            start: date!(2027 - 05 - 03),
            end: date!(2027 - 05 - 07),
        },
    ];
    assert_eq!(
        load_dates(&windows),
        vec!["2026-12-21", "2027-01-01", "2027-05-03"]
    );
    assert!(load_dates(&[]).is_empty());
}
