//! What each change of the table adds to the counters: pure rules over the stream's images.
//!
//! Every request is counted in the term it was received in (the term of its `created_at`), so
//! a term's figures follow one cohort of requests from request to final report and never move
//! between terms. Stage counts move with the request (one off the old stage, one on the new).

use std::collections::BTreeMap;

use records::domain::calendar::Term;
use records::lifecycle::RequestState;
use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use crate::counters;
use crate::feedback::FeedbackAnswer;

/// The request item's attributes the counters need.
#[derive(Debug, Clone, Deserialize)]
pub struct RequestImage {
    pub id: String,
    pub state: RequestState,
    pub created_at: String,
    pub request: RequestPart,
    #[serde(default)]
    pub lead: Option<LeadPart>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RequestPart {
    pub review_type: String,
    pub school: SchoolPart,
    /// The framework the request was made under (absent before frameworks were data: the
    /// whole-school one).
    #[serde(default)]
    pub framework: Option<FrameworkPart>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FrameworkPart {
    pub review_type: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SchoolPart {
    pub phase: String,
    pub school_type: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LeadPart {
    pub visit_date: String,
}

impl RequestImage {
    fn received(&self) -> Option<OffsetDateTime> {
        OffsetDateTime::parse(&self.created_at, &Rfc3339).ok()
    }

    /// The term the request is counted in.
    pub fn term(&self) -> Option<Term> {
        self.received().map(|at| Term::of(at.date()))
    }

    fn visit_date(&self) -> Option<Date> {
        let lead = self.lead.as_ref()?;
        Date::parse(
            &lead.visit_date,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .ok()
    }

    /// Counted at all: confirmed by its contact (an unconfirmed request is purged in a week).
    fn counted(&self) -> bool {
        self.state != RequestState::PendingConfirmation
    }
}

/// The report item's attributes the counters need.
#[derive(Debug, Clone, Deserialize)]
pub struct ReportImage {
    pub state: String,
    #[serde(default)]
    pub finalised_at: Option<String>,
    pub body: ReportBody,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ReportBody {
    pub areas: Vec<AreaPart>,
}

/// One focus area's findings; only whether it says "even better if" matters here.
#[derive(Debug, Clone, Deserialize)]
pub struct AreaPart {
    /// The area's key (`outcomes`, ...): counters are keyed by it, never by an enum.
    pub area: String,
    #[serde(default)]
    pub even_better_if: Vec<serde::de::IgnoredAny>,
}

/// A signposting index item: a consenting school strong in one area.
#[derive(Debug, Clone, Deserialize)]
pub struct SignpostImage {
    pub request_id: String,
    pub school_name: String,
}

/// Which counters item a tally adds to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// A term's cohort of requests.
    Term(Term),
    /// The programme as it is now (consenting schools' strengths).
    Programme,
}

/// What one change adds: applied at most once, proved by its marker item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    pub scope: Scope,
    /// The marker item's key: `INSIGHTS_MARK#<first>` / `<second>`, an event's id and `EVENT`,
    /// or a request's id and the milestone (`received`, `booked`, ...).
    pub marker: (String, String),
    pub adds: BTreeMap<String, i64>,
    /// School names added to (`+`) or removed from a name set, by set attribute.
    pub names: Vec<(String, String, bool)>,
}

impl Tally {
    fn new(scope: Scope, marker: (String, String)) -> Self {
        Self {
            scope,
            marker,
            adds: BTreeMap::new(),
            names: Vec::new(),
        }
    }

    fn add(&mut self, counter: String, by: i64) {
        *self.adds.entry(counter).or_default() += by;
    }

    fn is_empty(&self) -> bool {
        self.adds.values().all(|v| *v == 0) && self.names.is_empty()
    }
}

fn days_between(from: Date, to: Date) -> i64 {
    (to - from).whole_days().max(0)
}

/// A request item changed (`old` absent on insert, `new` absent on removal). Removals (the
/// purge) change nothing: the figures outlive the data. `at` is when the change happened.
pub fn request_changed(
    event_id: &str,
    old: Option<&RequestImage>,
    new: Option<&RequestImage>,
    at: OffsetDateTime,
) -> Vec<Tally> {
    let Some(new) = new else { return Vec::new() };
    let (Some(term), Some(received)) = (new.term(), new.received()) else {
        return Vec::new();
    };
    let mut tallies = Vec::new();
    let mut moved = Tally::new(Scope::Term(term), (event_id.to_owned(), "EVENT".into()));
    let was_counted = old.is_some_and(RequestImage::counted);
    if was_counted {
        let old = old.expect("counted");
        if old.state != new.state {
            moved.add(counters::stage(old.state.as_str()), -1);
        }
    }
    if new.counted() && (!was_counted || old.is_some_and(|o| o.state != new.state)) {
        moved.add(counters::stage(new.state.as_str()), 1);
    }
    if !moved.is_empty() {
        tallies.push(moved);
    }
    // Each milestone once per request, whatever happens again (a lead drops out and another
    // books): its marker is the request's, not the event's.
    if new.counted() && !was_counted {
        let mut first = Tally::new(Scope::Term(term), (new.id.clone(), "received".into()));
        first.add(counters::RECEIVED.into(), 1);
        first.add(counters::review_type(&new.request.review_type), 1);
        first.add(counters::phase(&new.request.school.phase), 1);
        first.add(counters::school_type(&new.request.school.school_type), 1);
        tallies.push(first);
    }
    if new.state == RequestState::Accepted && old.is_none_or(|o| o.state != RequestState::Accepted)
    {
        let mut booked = Tally::new(Scope::Term(term), (new.id.clone(), "booked".into()));
        booked.add(counters::BOOKED.into(), 1);
        booked.add(
            counters::days(
                counters::TO_BOOKED,
                days_between(received.date(), at.date()),
            ),
            1,
        );
        tallies.push(booked);
    }
    tallies
}

/// The report of `request` changed to `new` (its state before: `old_state`).
pub fn report_changed(
    request: &RequestImage,
    old_state: Option<&str>,
    new: &ReportImage,
) -> Vec<Tally> {
    const FINAL: &str = records::lifecycle::ReportState::Final.as_str();
    if new.state != FINAL || old_state == Some(FINAL) {
        return Vec::new();
    }
    let (Some(term), Some(received)) = (request.term(), request.received()) else {
        return Vec::new();
    };
    let mut tally = Tally::new(Scope::Term(term), (request.id.clone(), "final".into()));
    tally.add(counters::FINAL.into(), 1);
    if let Some(visit) = request.visit_date() {
        tally.add(
            counters::days(counters::TO_VISIT, days_between(received.date(), visit)),
            1,
        );
    }
    if let Some(finalised) = new
        .finalised_at
        .as_deref()
        .and_then(|at| OffsetDateTime::parse(at, &Rfc3339).ok())
    {
        tally.add(
            counters::days(
                counters::TO_FINAL,
                days_between(received.date(), finalised.date()),
            ),
            1,
        );
    }
    // Areas are counted within their framework: one key may name different areas in two.
    let framework = request
        .request
        .framework
        .as_ref()
        .map(|f| f.review_type.as_str());
    for area in &new.body.areas {
        if !area.even_better_if.is_empty() {
            let key = counters::area_in(framework, &area.area);
            tally.add(counters::even_better_if(&key), 1);
        }
    }
    vec![tally]
}

/// A feedback answer was stored for `request` (answers are never changed).
pub fn feedback_given(request: &RequestImage, answer: &FeedbackAnswer) -> Vec<Tally> {
    let Some(term) = request.term() else {
        return Vec::new();
    };
    let mut tally = Tally::new(
        Scope::Term(term),
        (
            request.id.clone(),
            format!("feedback.{}", answer.respondent.as_str()),
        ),
    );
    let side = answer.respondent.side();
    tally.add(counters::answers(side), 1);
    for (question, score) in &answer.scores {
        tally.add(counters::score(side, question, *score), 1);
    }
    vec![tally]
}

/// A signposting index item of `area` came (`new`) or went (`old`).
pub fn signpost_changed(
    event_id: &str,
    area: &str,
    old: Option<&SignpostImage>,
    new: Option<&SignpostImage>,
) -> Vec<Tally> {
    let mut tally = Tally::new(Scope::Programme, (event_id.to_owned(), "EVENT".into()));
    match (old, new) {
        (None, Some(new)) => {
            tally.add(counters::strong(area), 1);
            tally
                .names
                .push((counters::strong_names(area), new.school_name.clone(), true));
        }
        (Some(old), None) => {
            tally.add(counters::strong(area), -1);
            tally
                .names
                .push((counters::strong_names(area), old.school_name.clone(), false));
        }
        _ => return Vec::new(),
    }
    vec![tally]
}
