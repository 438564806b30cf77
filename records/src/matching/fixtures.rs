//! Realistic test data for matching: a Camden primary asking for a review, and reviewers who
//! are each eligible to lead it until a test changes one thing about them.

use time::Date;
use time::macros::date;
use ulid::Ulid;

use super::ReviewerRecord;
use crate::domain::request::ReviewRequest;
pub use crate::domain::request::fixture::{CAMDEN, SCHOOL_URN, raw_request};
use crate::domain::{LocalAuthority, Phase, Region, SchoolType, Urn};
use crate::programme::ProgrammeSettings;
use crate::reviewers::Reviewer;

/// A Monday.
pub const TODAY: Date = date!(2026 - 11 - 23);
pub const HACKNEY: u16 = 204;
pub const KENT: u16 = 886;
pub const BIRMINGHAM: u16 = 330;

/// Brook Primary School (URN 100000): a mainstream primary in Camden with communication and
/// interaction as its main need, asking for a SEND review with two windows in the spring term
/// 2027 (11–22 January and 22 February–5 March).
pub fn request() -> ReviewRequest {
    ReviewRequest::parse(&raw_request(), TODAY).expect("the fixture request is valid")
}

const NAMES: &[&str] = &[
    "Ada Okafor",
    "Ben Hughes",
    "Chloe Patel",
    "Dev Sharma",
    "Erin Walsh",
    "Femi Adeyemi",
    "Grace Liu",
    "Hamza Khan",
];

/// Reviewer `number`: a SENCO at a Hackney mainstream primary who travels across London,
/// trained, DBS-checked, free in every window and with room for two reviews a term. Their id
/// grows with `number`.
pub fn reviewer(number: u16) -> Reviewer {
    let name = NAMES[usize::from(number) % NAMES.len()];
    Reviewer {
        id: Ulid::from_parts(1_760_000_000_000, u128::from(number)),
        name: name.into(),
        email: format!("senco{number}@example.sch.uk"),
        home_school_urn: urn(&format!("{}", 200_000 + u32::from(number))),
        trust: None,
        local_authority: la(HACKNEY),
        regions: vec![Region::London],
        phases: vec![Phase::Primary],
        school_types: vec![SchoolType::Mainstream],
        specialisms: vec![],
        may_lead: true,
        trained_on: Some(date!(2025 - 06 - 12)),
        dbs_checked_on: Some(date!(2025 - 01 - 20)),
        capacity_per_term: 2,
        unavailable: vec![],
        conflicts: vec![],
        active: true,
    }
}

/// A reviewer with no history and no open offers.
pub fn record(reviewer: &Reviewer) -> ReviewerRecord<'_> {
    ReviewerRecord {
        reviewer,
        history: &[],
        open_offers: &[],
    }
}

/// The demo programme: LA conflict rule on, no repeat review within 3 years.
pub fn settings() -> ProgrammeSettings {
    ProgrammeSettings::demo()
}

pub fn urn(text: &str) -> Urn {
    text.parse().expect("a 6-digit URN")
}

pub fn la(code: u16) -> &'static LocalAuthority {
    LocalAuthority::by_code(code).expect("a bundled LA code")
}
