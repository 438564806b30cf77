//! Realistic test data for matching: a Camden primary asking for a review, and reviewers who
//! are each eligible to lead it until a test changes one thing about them.

use time::Date;
use time::macros::date;
use ulid::Ulid;

use super::ReviewerRecord;
use crate::domain::request::ReviewRequest;
pub use crate::domain::request::fixture::{CAMDEN, SCHOOL_URN, raw_request};
use crate::domain::{LocalAuthority, Phase, Region, SchoolType, Specialism, Urn};
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

/// Forty schools of one local authority asking at once, and a pool where matching them one
/// by one in arrival order strands half of them while a plan of the term serves all forty.
pub struct ArrivalOrderTrap {
    /// The forty schools' URNs, in arrival order (`100000` to `100039`).
    pub schools: Vec<Urn>,
    /// Ten autism specialists every school prefers (the schools' need is communication and
    /// interaction), with room for two reviews a term each.
    pub specialists: Vec<Reviewer>,
    /// Ten reviewers with no specialism and room for two each, who declared a conflict with
    /// the last twenty schools.
    pub others: Vec<Reviewer>,
}

impl ArrivalOrderTrap {
    /// How many of the schools arrival order leaves with nobody: the first twenty take every
    /// specialist place, and only the specialists may review the last twenty.
    pub const STRANDED_IN_ARRIVAL_ORDER: usize = 20;

    /// Every reviewer: the specialists, then the others.
    pub fn pool(&self) -> Vec<Reviewer> {
        self.specialists
            .iter()
            .chain(&self.others)
            .cloned()
            .collect()
    }
}

/// [`ArrivalOrderTrap`] over `base`, a reviewer eligible to lead every school's review (the
/// caller's, so its dates can be the caller's too): twenty copies of it, each with its own id,
/// name, address and home school.
pub fn arrival_order_trap(base: &Reviewer) -> ArrivalOrderTrap {
    let schools: Vec<Urn> = (0..40).map(|i| urn(&format!("1000{i:02}"))).collect();
    let copy = |n: u16| Reviewer {
        id: Ulid::from_parts(base.id.timestamp_ms(), u128::from(n)),
        name: format!("{} {n}", base.name),
        email: format!("r{n}.{}", base.email),
        home_school_urn: urn(&format!("{}", 200_000 + u32::from(n))),
        capacity_per_term: 2,
        specialisms: vec![],
        conflicts: vec![],
        ..base.clone()
    };
    ArrivalOrderTrap {
        specialists: (1..=10)
            .map(|n| Reviewer {
                specialisms: vec![Specialism::Autism],
                ..copy(n)
            })
            .collect(),
        others: (11..=20)
            .map(|n| Reviewer {
                conflicts: schools[20..].to_vec(),
                ..copy(n)
            })
            .collect(),
        schools,
    }
}
