//! A review request's lifecycle: its stage as stored, and the one rule that says which person
//! may take which action in which stage and on which day.
//!
//! The stage is the request's own state ([`RequestState`], the `state` attribute of the
//! `REQUEST` item) and its report's ([`ReportState`], the `state` of the `REPORT` item, absent
//! until someone saves a draft). Both are stored as the strings they always were.
//!
//! [`allowed`] is a pure function, read by pages (to show only what is allowed now) and by
//! workflows (to refuse with a clear reason); the same rule becomes the condition of the
//! workflow's write ([`Guard`], [`report_check`]), so a step that raced a change of stage
//! stores nothing.

use std::fmt;

use time::Date;

pub use crate::domain::stage::{ReportState, RequestState, Stage, UnknownState};

mod guard;
pub use guard::{Guard, report_check};

use crate::request::StoredRequest;

/// The report item's sort key (`REQUEST#<id>` / `REPORT`).
pub const REPORT_SORT_KEY: &str = "REPORT";

/// Who acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Person {
    School,
    Lead,
    Second,
    /// A reviewer asked to take a place on the review (an open offer's addressee), whose offer
    /// says which place.
    Offeree,
    Administrator,
}

/// What someone does to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Ask to move the booked visit, or confirm the other side's ask (school or lead).
    MoveVisit,
    /// Add or delete a file of evidence (the school).
    ChangeEvidence,
    /// Save or submit the school's self-evaluation (the school).
    EditSelfEvaluation,
    /// Keep the review team's own notes (the lead or the second reviewer).
    KeepNotes,
    /// Write the report, send it to the school or finalise it (the review team), from the day
    /// of the visit. (Which report step comes next is the report's own state.)
    WriteReport,
    /// Answer the draft report's factual check, or write the action plan after the final
    /// report (the school). (Which comes next is the report's own state.)
    AnswerReport,
    /// Ask for a follow-up review, or share the final report (the school).
    AfterReport,
    /// Open the review by a reviewer's link: its page, the school's files and self-evaluation,
    /// the notes and the report (the lead or the second reviewer; writing is each step's own
    /// action).
    OpenReview,
    /// Accept or decline an offer (its addressee). The lead's place is offered while the
    /// request is `offered`, the second's once the lead accepted; the offer's own state says
    /// whether it is still open.
    AnswerOffer,
    /// Offer the lead's place to a reviewer the administrator names.
    OfferNamed,
    /// Offer a booked team's second place, for the lead's day, to a reviewer the
    /// administrator names (a term plan's second).
    OfferSecond,
    /// Ask for the request to be matched again (the administrator).
    Reassign,
    /// Replace a booked reviewer, lead or second, before the day of the visit (the
    /// administrator).
    ReplaceReviewer,
    /// Withdraw the request: every reviewer's access to it ends (the administrator).
    Withdraw,
    /// Erase the request and everything of it (the administrator), in any stage.
    Erase,
    /// Confirm a request from the link in its first email (the school's contact): only a
    /// confirmed request is matched (or held).
    Confirm,
    /// Release a held request for matching (the administrator).
    Release,
    /// Build the visit day's plan, or confirm it (the school or the lead), until the day.
    PlanVisit,
    /// Record the verbal feedback given at the end of the visit (the lead), from the day.
    RecordFeedback,
}

impl Action {
    pub const ALL: &[Action] = &[
        Action::MoveVisit,
        Action::ChangeEvidence,
        Action::EditSelfEvaluation,
        Action::KeepNotes,
        Action::WriteReport,
        Action::AnswerReport,
        Action::AfterReport,
        Action::OpenReview,
        Action::AnswerOffer,
        Action::OfferNamed,
        Action::OfferSecond,
        Action::Reassign,
        Action::ReplaceReviewer,
        Action::Withdraw,
        Action::Erase,
        Action::Confirm,
        Action::Release,
        Action::PlanVisit,
        Action::RecordFeedback,
    ];
}

/// Why an action is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// This person never takes this action.
    NotTheirs,
    Withdrawn,
    /// The request is not (or no longer) in a state that allows it.
    NotNow(RequestState),
    /// The day of the visit has come (or passed).
    VisitDayCame,
    /// The visit has taken place.
    VisitTookPlace,
    /// The day of the visit has not come yet (or no visit is booked).
    VisitToCome,
    /// The report has gone past its draft (sent to the school, checked or final).
    ReportSent(ReportState),
    /// The report is not final yet.
    ReportNotFinal,
}

/// An action refused, with a sentence the person can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub action: Action,
    pub why: Why,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use {Action::*, Why::*};
        let text = match (self.action, self.why) {
            (_, NotTheirs) => "This is not yours to change.",
            (ChangeEvidence, Withdrawn) => {
                "This request was withdrawn, so files can no longer be added or deleted."
            }
            (ChangeEvidence, VisitDayCame | VisitTookPlace) => {
                "The visit has taken place, so files can no longer be added or deleted. Write to us if something must be removed."
            }
            (ChangeEvidence, ReportSent(_)) => {
                "The report has been written, so files can no longer be added or deleted. Write to us if something must be removed."
            }
            (ChangeEvidence, NotNow(_) | VisitToCome | ReportNotFinal) => {
                "Files cannot be added or deleted now."
            }
            (MoveVisit, Withdrawn | NotNow(_) | VisitToCome | ReportNotFinal) => {
                "Only a booked visit can move"
            }
            (MoveVisit, VisitDayCame | VisitTookPlace) => {
                "The visit has taken place, so its date can no longer change"
            }
            (MoveVisit, ReportSent(ReportState::Final)) => {
                "The report is final, so the visit date can no longer change"
            }
            (MoveVisit, ReportSent(_)) => {
                "The report has been sent to the school, so the visit date can no longer change"
            }
            (EditSelfEvaluation, Withdrawn) => {
                "This request was withdrawn, so the self-evaluation can no longer be changed."
            }
            (KeepNotes | WriteReport, Withdrawn) => {
                "This review was withdrawn, so it can no longer be changed."
            }
            (AnswerReport, Withdrawn) => {
                "This request was withdrawn, so the report can no longer be answered."
            }
            (WriteReport, VisitToCome) => "The report opens on the day of the visit.",
            (EditSelfEvaluation | KeepNotes | WriteReport | AnswerReport, _) => {
                "This cannot be changed at this stage of the review."
            }
            (AfterReport, Withdrawn) => {
                "This request was withdrawn, so nothing more can be done with it."
            }
            (AfterReport, _) => "This can be done once the report is final.",
            (OpenReview, Withdrawn) => {
                "This review was withdrawn; its files are no longer available to you."
            }
            (OpenReview, _) => "This review is not open to you now.",
            (AnswerOffer, Withdrawn) => "This request was withdrawn, so the offer is closed.",
            (AnswerOffer, _) => "This offer is closed.",
            (Withdraw, Withdrawn) => "The request is already withdrawn.",
            (OfferNamed | OfferSecond | Reassign | ReplaceReviewer | Erase, Withdrawn) => {
                "This request was withdrawn, so its reviewers can no longer change."
            }
            (OfferNamed, _) => {
                "The lead's place can be offered only until a lead reviewer accepts it."
            }
            (OfferSecond, VisitDayCame | VisitTookPlace) => {
                "The visit has taken place, so the team can no longer change."
            }
            (OfferSecond, _) => {
                "The second reviewer's place can be offered only once a lead reviewer is booked."
            }
            (Reassign, _) => {
                "Only a request nobody could take, or with an offer waiting for an answer, can be matched again."
            }
            (ReplaceReviewer, VisitDayCame | VisitTookPlace) => {
                "The visit has taken place, so the team can no longer change."
            }
            (ReplaceReviewer, _) => "Only a booked reviewer can be replaced.",
            (Withdraw | Erase, _) => "This cannot be done at this stage of the review.",
            (Confirm, Withdrawn) => "This request was withdrawn, so it can no longer be confirmed.",
            (Confirm, _) => "This request is already confirmed.",
            (Release, Withdrawn) => "This request was withdrawn, so it can no longer be released.",
            (Release, _) => "Only a held request can be released for matching.",
            (PlanVisit, Withdrawn) => "This request was withdrawn, so its visit plan is closed.",
            (PlanVisit, VisitTookPlace | VisitDayCame) => {
                "The visit has taken place, so its plan can no longer change."
            }
            (PlanVisit, ReportSent(_)) => "The report has been sent, so the visit plan is closed.",
            (PlanVisit, _) => "The visit day can be planned once a visit is booked.",
            (RecordFeedback, Withdrawn) => "This review was withdrawn, so its feedback is closed.",
            (RecordFeedback, VisitToCome) => {
                "The verbal feedback can be recorded from the day of the visit."
            }
            (RecordFeedback, _) => "The verbal feedback cannot be changed now.",
        };
        f.write_str(text)
    }
}

/// Until when, relative to the booked visit, an action is allowed (always, if none is booked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Days {
    /// Before the day of the visit.
    BeforeVisitDay,
    /// Until the day of the visit, included.
    UntilVisitDay,
    /// From the day of the visit on (a visit must be booked).
    FromVisitDay,
    /// Whatever the day.
    Always,
}

/// The rule of one action: who, in which request states, with which report states (`None`: no
/// report saved yet), until when.
struct Rule {
    who: &'static [Person],
    states: &'static [RequestState],
    reports: &'static [Option<ReportState>],
    days: Days,
}

const NO_REPORT_OR_DRAFT: &[Option<ReportState>] = &[None, Some(ReportState::Draft)];
const ANY_REPORT: &[Option<ReportState>] = &[
    None,
    Some(ReportState::Draft),
    Some(ReportState::Submitted),
    Some(ReportState::Checked),
    Some(ReportState::Final),
];
/// Every confirmed state but `withdrawn`.
const OPEN: &[RequestState] = &[
    RequestState::Held,
    RequestState::Submitted,
    RequestState::Matching,
    RequestState::Offered,
    RequestState::Accepted,
    RequestState::NeedsAttention,
];

fn rule(action: Action) -> Rule {
    use Days::*;
    use RequestState::*;
    const SCHOOL: &[Person] = &[Person::School];
    const TEAM: &[Person] = &[Person::Lead, Person::Second];
    const ADMINISTRATOR: &[Person] = &[Person::Administrator];
    const FINAL: &[Option<ReportState>] = &[Some(ReportState::Final)];
    type Parts = (
        &'static [Person],
        &'static [RequestState],
        &'static [Option<ReportState>],
        Days,
    );
    let (who, states, reports, days): Parts = match action {
        // Moving the visit: booked, not yet past, and the report not yet sent to the school.
        Action::MoveVisit => (
            &[Person::School, Person::Lead][..],
            &[Accepted][..],
            NO_REPORT_OR_DRAFT,
            UntilVisitDay,
        ),
        // The reviewers prepare from the files: they stay as they are from the visit day on.
        Action::ChangeEvidence => (SCHOOL, OPEN, NO_REPORT_OR_DRAFT, BeforeVisitDay),
        // The school may start its self-evaluation as soon as it asks; a withdrawn request
        // takes nothing more. (Submitting locks the document itself.)
        Action::EditSelfEvaluation => (SCHOOL, OPEN, ANY_REPORT, Always),
        // The team prepares before the visit and writes up after it: only a booked review.
        Action::KeepNotes => (TEAM, &[Accepted], ANY_REPORT, Always),
        Action::WriteReport => (TEAM, &[Accepted], ANY_REPORT, FromVisitDay),
        Action::AnswerReport => (SCHOOL, &[Accepted], ANY_REPORT, Always),
        Action::AfterReport => (SCHOOL, &[Accepted], FINAL, Always),
        // A withdrawn review is closed to its reviewers at once, whatever their link's expiry.
        Action::OpenReview => (TEAM, &[Accepted], ANY_REPORT, Always),
        Action::AnswerOffer => (
            &[Person::Offeree],
            &[Offered, Accepted],
            NO_REPORT_OR_DRAFT,
            Always,
        ),
        Action::OfferNamed => (
            ADMINISTRATOR,
            &[Submitted, Matching, NeedsAttention, Offered],
            ANY_REPORT,
            Always,
        ),
        // A booked team's second place, before the visit day (the workflow checks that the
        // place is still looking for its second).
        Action::OfferSecond => (
            ADMINISTRATOR,
            &[Accepted],
            NO_REPORT_OR_DRAFT,
            BeforeVisitDay,
        ),
        // A booked request only when its second's place found nobody (the workflow checks
        // that part).
        Action::Reassign => (
            ADMINISTRATOR,
            &[NeedsAttention, Offered, Accepted],
            ANY_REPORT,
            Always,
        ),
        Action::ReplaceReviewer => (
            ADMINISTRATOR,
            &[Accepted],
            NO_REPORT_OR_DRAFT,
            BeforeVisitDay,
        ),
        // An unconfirmed request too: a coordinator may close a suspicious one at once.
        Action::Withdraw => (
            ADMINISTRATOR,
            &[
                PendingConfirmation,
                Held,
                Submitted,
                Matching,
                Offered,
                Accepted,
                NeedsAttention,
            ],
            ANY_REPORT,
            Always,
        ),
        Action::Erase => (ADMINISTRATOR, RequestState::ALL, ANY_REPORT, Always),
        Action::Confirm => (SCHOOL, &[PendingConfirmation], ANY_REPORT, Always),
        Action::Release => (ADMINISTRATOR, &[Held], ANY_REPORT, Always),
        // Both sides build the day until it comes; the school confirms it.
        Action::PlanVisit => (
            &[Person::School, Person::Lead][..],
            &[Accepted][..],
            NO_REPORT_OR_DRAFT,
            UntilVisitDay,
        ),
        // Given at the end of the day: the lead records it from then until the report is sent.
        Action::RecordFeedback => (
            &[Person::Lead],
            &[Accepted],
            NO_REPORT_OR_DRAFT,
            FromVisitDay,
        ),
    };
    Rule {
        who,
        states,
        reports,
        days,
    }
}

/// Whether `person` may take `action` on a request at `stage`, on `today`, its visit booked
/// for `visit_date` (if any).
pub fn allowed(
    stage: Stage,
    person: Person,
    action: Action,
    today: Date,
    visit_date: Option<Date>,
) -> Result<(), Refusal> {
    let rule = rule(action);
    let refuse = |why| Err(Refusal { action, why });
    if !rule.who.contains(&person) {
        return refuse(Why::NotTheirs);
    }
    if !rule.states.contains(&stage.request) {
        return refuse(match stage.request {
            RequestState::Withdrawn => Why::Withdrawn,
            other => Why::NotNow(other),
        });
    }
    match (rule.days, visit_date) {
        (Days::BeforeVisitDay, Some(visit)) if today >= visit => return refuse(Why::VisitDayCame),
        (Days::UntilVisitDay, Some(visit)) if today > visit => return refuse(Why::VisitTookPlace),
        (Days::FromVisitDay, None) => return refuse(Why::VisitToCome),
        (Days::FromVisitDay, Some(visit)) if today < visit => return refuse(Why::VisitToCome),
        _ => {}
    }
    if !rule.reports.contains(&stage.report) {
        // A rule either allows "no report yet" (and refuses the report once it went on), or
        // asks for the final report.
        return refuse(match stage.report {
            Some(report) if rule.reports.contains(&None) => Why::ReportSent(report),
            _ => Why::ReportNotFinal,
        });
    }
    Ok(())
}

/// [`allowed`] for request `stored`, its report at `report` (`None`: none saved, or a rule
/// that does not look at it), its visit day its lead's.
pub fn allowed_on(
    stored: &StoredRequest,
    report: Option<ReportState>,
    person: Person,
    action: Action,
    today: Date,
) -> Result<(), Refusal> {
    let stage = Stage {
        request: stored.state,
        report,
    };
    let visit = stored.lead.as_ref().map(|lead| lead.visit_date);
    allowed(stage, person, action, today, visit)
}

/// Why a write guarded by `action`'s [`Guard`] was refused, from the request's state read after
/// it: its state, or else (the state allows it) the day.
pub fn refused_by_guard(action: Action, request: RequestState) -> Refusal {
    let rule = rule(action);
    let why = if request == RequestState::Withdrawn {
        Why::Withdrawn
    } else if !rule.states.contains(&request) {
        Why::NotNow(request)
    } else {
        match rule.days {
            Days::BeforeVisitDay => Why::VisitDayCame,
            Days::UntilVisitDay => Why::VisitTookPlace,
            Days::FromVisitDay | Days::Always => Why::VisitToCome,
        }
    };
    Refusal { action, why }
}

#[cfg(test)]
mod tests;
