//! Brook Primary School's request as the form sends it: the one test request every crate's
//! tests start from (matching's fixtures build on it).

use super::RawReviewRequest;

pub const SCHOOL_URN: &str = "100000";
pub const CAMDEN: u16 = 202;

/// Brook Primary School's request as the form sends it.
pub fn raw_request() -> RawReviewRequest {
    RawReviewRequest {
        urn: SCHOOL_URN.into(),
        school_name: "Brook Primary School".into(),
        phase: "primary".into(),
        school_type: "mainstream".into(),
        local_authority: CAMDEN.to_string(),
        trust: "".into(),
        postcode: "NW1 2DB".into(),
        number_on_roll: "420".into(),
        sen_support_percent: "14.5".into(),
        ehc_plan_percent: "3".into(),
        areas_of_need: vec!["communication_and_interaction".into()],
        review_type: "send_review".into(),
        focus_scope: "all".into(),
        focus_areas: vec![],
        visit_windows: vec![
            ("2027-01-11".into(), "2027-01-22".into()),
            ("2027-02-22".into(), "2027-03-05".into()),
        ],
        learning_goal: "How well our graduated approach works in key stage 2.".into(),
        contact_name: "Grace Hopper".into(),
        contact_role: "SENCO".into(),
        contact_email: "g.hopper@brook.example.sch.uk".into(),
        contact_phone: "".into(),
        no_pupil_named: true,
        privacy_notice_accepted: true,
        reciprocal: false,
    }
}
