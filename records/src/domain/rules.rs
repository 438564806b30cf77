//! The hard rules of matching, as reasons a reviewer is ruled out for a request (the matcher
//! in `workflows::matching` decides them; pages and emails show their descriptions).

use std::borrow::Cow;
use std::fmt;

/// An enhanced DBS check older than this many years on the day of the visit is out of date.
pub const DBS_VALID_FOR_YEARS: i32 = 3;

/// A hard rule a reviewer breaks for a request. The descriptions are safe to show to anyone
/// who can see the request: they name no other school and nothing personal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleOut {
    OwnSchool,
    SameTrust,
    SameLocalAuthority,
    ReviewedRecently { years: u8 },
    DeclaredConflict,
    DeclinedOrExpired,
    NoDbsCheck,
    DbsOutOfDate,
    NotTrained,
    Inactive,
    AtCapacity,
    UnavailableInEveryWindow,
    DoesNotTravelToRegion,
    MayNotLead,
}

impl RuleOut {
    pub fn description(&self) -> Cow<'static, str> {
        match self {
            RuleOut::OwnSchool => "works at this school".into(),
            RuleOut::SameTrust => "works in the same trust as this school".into(),
            RuleOut::SameLocalAuthority => {
                "works in the same local authority as this school".into()
            }
            RuleOut::ReviewedRecently { years: 1 } => {
                "reviewed this school in the last year".into()
            }
            RuleOut::ReviewedRecently { years } => {
                format!("reviewed this school in the last {years} years").into()
            }
            RuleOut::DeclaredConflict => "declared a conflict of interest with this school".into(),
            RuleOut::DeclinedOrExpired => {
                "declined this review, let its offer expire, or is already on it".into()
            }
            RuleOut::NoDbsCheck => "has no enhanced DBS check on record".into(),
            RuleOut::DbsOutOfDate => format!(
                "their DBS check will be more than {DBS_VALID_FOR_YEARS} years old at the visit"
            )
            .into(),
            RuleOut::NotTrained => "has not done the reviewer training".into(),
            RuleOut::Inactive => "is marked inactive in the reviewer pool".into(),
            RuleOut::AtCapacity => "has no room left in the terms of the visit windows".into(),
            RuleOut::UnavailableInEveryWindow => {
                "is unavailable on every weekday of every visit window".into()
            }
            RuleOut::DoesNotTravelToRegion => "does not travel to this school's region".into(),
            RuleOut::MayNotLead => "may not lead a review".into(),
        }
    }
}

impl fmt::Display for RuleOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description())
    }
}

/// How many reviewers each rule ruled out: what the administrator needs, naming nobody.
pub fn summary<'a>(
    ruled_out: impl IntoIterator<Item = &'a [RuleOut]>,
    pool_size: usize,
) -> Vec<String> {
    if pool_size == 0 {
        return vec!["The reviewer pool is empty: import reviewers with the admin tool.".into()];
    }
    let mut counts: Vec<(String, usize)> = Vec::new();
    for reasons in ruled_out {
        for reason in reasons {
            let text = reason.description().into_owned();
            match counts.iter_mut().find(|(t, _)| *t == text) {
                Some((_, count)) => *count += 1,
                None => counts.push((text, 1)),
            }
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    counts
        .into_iter()
        .map(|(text, count)| format!("{count} of {pool_size} reviewers: {text}"))
        .collect()
}
