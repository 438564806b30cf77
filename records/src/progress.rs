//! Where a review is, as a coordinator follows it, from what is stored: the request's own
//! state, and once the visit is booked its visit date and its documents' states (the
//! self-evaluation, the report, the action plan), on a given day. Pure: the console reads the
//! items and asks here.

use time::{Date, Duration};

use crate::domain::calendar::add_working_days;
use crate::domain::stage::{ReportState, RequestState};
use crate::request::StoredRequest;

/// Days before the visit the school's self-evaluation is due.
pub const SELF_EVALUATION_DUE_DAYS_BEFORE_VISIT: i64 = 14;

/// The self-evaluation's state once the school has sent it.
pub const SELF_EVALUATION_SUBMITTED: &str = "submitted";

macro_rules! progress_stages {
    ($( $(#[$meta:meta])* $variant:ident = $key:literal, $label:literal; )+) => {
        /// A review's stage on the pipeline, in the order a review passes them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Progress { $( $(#[$meta])* $variant, )+ }

        impl Progress {
            pub const ALL: &'static [Progress] = &[$( Progress::$variant, )+];

            /// The stage's key in a filter's value and in the page's ids.
            pub const fn key(self) -> &'static str {
                match self { $( Progress::$variant => $key, )+ }
            }

            /// The stage's name for a coordinator.
            pub const fn label(self) -> &'static str {
                match self { $( Progress::$variant => $label, )+ }
            }
        }
    };
}

progress_stages! {
    /// Stored; the contact has not confirmed it from the first email's link yet.
    AwaitingConfirmation = "pending_confirmation", "Waiting for the school to confirm";
    /// Confirmed; held for a coordinator to release for matching.
    Held = "held", "Held: release for matching";
    Submitted = "submitted", "Submitted";
    /// A reviewer declined or let an offer expire: the matcher runs again.
    FindingReviewer = "matching", "Finding a reviewer";
    NobodyEligible = "needs_attention", "Nobody eligible";
    Offered = "offered", "Offered to a reviewer";
    /// Booked; the self-evaluation is not due yet.
    SelfEvaluationDue = "self_evaluation_due", "Visit booked: self-evaluation due";
    /// Its due day (two weeks before the visit) has passed and the school has not sent it.
    SelfEvaluationLate = "self_evaluation_late", "Self-evaluation late";
    /// The self-evaluation is in: evidence and the pre-visit analysis until the visit.
    Evidence = "evidence", "Evidence and pre-visit analysis";
    VisitDay = "visit_day", "Visit day";
    /// After the visit, within the programme's working days for the draft.
    ReportDrafting = "report_drafting", "Draft report being written";
    /// Past those days and the report has not gone to the school (or back, once checked).
    ReportLate = "report_late", "Draft report late";
    FactualCheck = "factual_check", "Factual check: waiting for the school";
    /// The school answered; the lead finalises.
    Finalising = "finalising", "Report being finalised";
    Final = "final", "Final report delivered";
    /// The final report's action plan has been saved at least once.
    ActionPlan = "action_plan", "Action plan";
    Withdrawn = "withdrawn", "Withdrawn";
}

impl Progress {
    /// The stage whose key is `key`, if any.
    pub fn from_key(key: &str) -> Option<Self> {
        Progress::ALL.iter().copied().find(|p| p.key() == key)
    }

    /// Late: the self-evaluation or the draft report.
    pub fn is_overdue(self) -> bool {
        matches!(self, Progress::SelfEvaluationLate | Progress::ReportLate)
    }
}

/// The states of a booked review's documents, as stored (absent: never saved).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Documents {
    pub self_evaluation: Option<String>,
    pub report: Option<ReportState>,
    /// When the action plan was last saved (RFC 3339).
    pub action_plan_updated_at: Option<String>,
}

/// The stage of `request` on `today`, with its documents' states.
pub fn progress(
    request: &StoredRequest,
    documents: &Documents,
    today: Date,
    report_due_working_days: u8,
) -> Progress {
    match request.state {
        RequestState::PendingConfirmation => return Progress::AwaitingConfirmation,
        RequestState::Held => return Progress::Held,
        RequestState::Submitted => return Progress::Submitted,
        RequestState::Matching => return Progress::FindingReviewer,
        RequestState::NeedsAttention => return Progress::NobodyEligible,
        RequestState::Offered => return Progress::Offered,
        RequestState::Withdrawn => return Progress::Withdrawn,
        RequestState::Accepted => {}
    }
    match documents.report {
        Some(ReportState::Final) if documents.action_plan_updated_at.is_some() => {
            return Progress::ActionPlan;
        }
        Some(ReportState::Final) => return Progress::Final,
        Some(ReportState::Submitted) => return Progress::FactualCheck,
        _ => {}
    }
    let Some(visit) = visit_date(request) else {
        // Accepted with no readable date: shown as booked rather than hidden.
        return Progress::SelfEvaluationDue;
    };
    if today > visit {
        if today > add_working_days(visit, report_due_working_days) {
            Progress::ReportLate
        } else if documents.report == Some(ReportState::Checked) {
            Progress::Finalising
        } else {
            Progress::ReportDrafting
        }
    } else if today == visit {
        Progress::VisitDay
    } else if documents.self_evaluation.as_deref() == Some(SELF_EVALUATION_SUBMITTED) {
        Progress::Evidence
    } else if today > self_evaluation_due(visit) {
        Progress::SelfEvaluationLate
    } else {
        Progress::SelfEvaluationDue
    }
}

/// The booked visit's date, if the request has one.
pub fn visit_date(request: &StoredRequest) -> Option<Date> {
    request.lead.as_ref().map(|lead| lead.visit_date)
}

/// The day the self-evaluation of a visit on `visit` is due.
pub fn self_evaluation_due(visit: Date) -> Date {
    visit - Duration::days(SELF_EVALUATION_DUE_DAYS_BEFORE_VISIT)
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;
    use crate::request::TeamMember;

    fn booked(visit: &str) -> StoredRequest {
        let raw = crate::domain::request::tests::valid();
        let parsed =
            crate::domain::request::ReviewRequest::parse(&raw, date!(2026 - 11 - 23)).unwrap();
        let mut request = StoredRequest::submitted(
            "01R".into(),
            "SR-ABCD-EF".parse().unwrap(),
            parsed,
            "2026-01-05T09:00:00Z".into(),
        );
        request.state = RequestState::Accepted;
        request.lead = Some(TeamMember {
            reviewer_id: "01V".into(),
            reviewer_name: "Ada".into(),
            visit_date: crate::domain::parse_date(visit).unwrap(),
            offer_id: "01O".into(),
        });
        request
    }

    #[test]
    fn a_booked_review_moves_through_its_stages_by_day_and_document() {
        // Visit Wednesday 4 March 2026; self-evaluation due 18 February; report due (15
        // working days) 25 March.
        let request = booked("2026-03-04");
        let none = Documents::default();
        let stage = |documents: &Documents, today: Date| progress(&request, documents, today, 15);
        assert_eq!(
            stage(&none, date!(2026 - 02 - 18)),
            Progress::SelfEvaluationDue
        );
        assert_eq!(
            stage(&none, date!(2026 - 02 - 19)),
            Progress::SelfEvaluationLate
        );
        let sent = Documents {
            self_evaluation: Some("submitted".into()),
            ..Documents::default()
        };
        assert_eq!(stage(&sent, date!(2026 - 02 - 19)), Progress::Evidence);
        assert_eq!(stage(&sent, date!(2026 - 03 - 04)), Progress::VisitDay);
        assert_eq!(
            stage(&sent, date!(2026 - 03 - 25)),
            Progress::ReportDrafting
        );
        assert_eq!(stage(&sent, date!(2026 - 03 - 26)), Progress::ReportLate);
        let report = |state| Documents {
            report: Some(state),
            ..sent.clone()
        };
        assert_eq!(
            stage(&report(ReportState::Submitted), date!(2026 - 04 - 30)),
            Progress::FactualCheck
        );
        assert_eq!(
            stage(&report(ReportState::Checked), date!(2026 - 03 - 20)),
            Progress::Finalising
        );
        assert_eq!(
            stage(&report(ReportState::Final), date!(2026 - 04 - 30)),
            Progress::Final
        );
        let planned = Documents {
            action_plan_updated_at: Some("2026-05-01T10:00:00Z".into()),
            ..report(ReportState::Final)
        };
        assert_eq!(stage(&planned, date!(2026 - 05 - 02)), Progress::ActionPlan);
        assert!(Progress::ReportLate.is_overdue() && !Progress::Final.is_overdue());
    }

    #[test]
    fn every_stage_reads_back_from_its_key() {
        for stage in Progress::ALL {
            assert_eq!(Progress::from_key(stage.key()), Some(*stage));
        }
        assert_eq!(Progress::from_key("nope"), None);
    }
}
