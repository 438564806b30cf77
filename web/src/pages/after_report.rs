//! The school's pages for acting on its report: the action plan page, and the part of the
//! status page under "Acting on your report" (action plan summary, follow-up visit,
//! signposting). Both work without JavaScript; with it, the action plan saves as the school
//! types (the pages' shared autosave script and its protocol: `data-autosave`, a `version`
//! field, `data-maxlength` and `<id>-count`).

use askama::Template;
use time::Date;

use crate::pages::WindowFields;
use records::branding::Branding;
use records::domain::request::{
    FieldError, MAX_HORIZON, MIN_NOTICE, WINDOW_FIELDS, iso, long_date,
};
use records::request::Recommendation;
use records::versioned::Versioned;
use workflows::after_report::action_plan::{
    ActionPlan, ActionRow, ActionStatus, MAX_NOTES_CHARS, MAX_OWNER_CHARS, notes_field,
    owner_field, status_field, target_date_field,
};
use workflows::after_report::follow_up::FollowUpForm;
use workflows::after_report::signposting::AreaPeers;
use workflows::report::ReportFieldError;

/// One action's part of the form.
pub struct ActionRowView {
    pub number: usize,
    pub action: String,
    /// The report's suggested next steps, as a reminder.
    pub next_steps: Option<String>,
    pub row: ActionRow,
    pub owner_field: String,
    pub target_date_field: String,
    pub status_field: String,
    pub notes_field: String,
    pub owner_error: Option<String>,
    pub target_date_error: Option<String>,
    pub status_error: Option<String>,
    pub notes_error: Option<String>,
    /// After a conflict: what the saved version says, field by field, where it differs.
    pub saved: Vec<(&'static str, String)>,
}

impl ActionRowView {
    pub fn has_error(&self) -> bool {
        self.owner_error.is_some()
            || self.target_date_error.is_some()
            || self.status_error.is_some()
            || self.notes_error.is_some()
    }
}

/// The action plan page.
#[derive(Template)]
#[template(path = "pages/action_plan.html")]
pub struct ActionPlanPage<'a> {
    pub branding: &'a Branding,
    pub reference: String,
    pub school_name: String,
    /// Where the form posts.
    pub action: String,
    pub status_link: String,
    pub version: u64,
    pub rows: Vec<ActionRowView>,
    pub statuses: [ActionStatus; 4],
    /// Per-field problems, for the error summary: (field id, message).
    pub errors: Vec<(String, String)>,
    /// After a conflict: who saved the newer version, and when.
    pub conflict: Option<String>,
    pub saved: bool,
    /// When it was last saved, by whom.
    pub last_saved: Option<String>,
    pub script: &'static str,
    pub owner_max: usize,
    pub notes_max: usize,
}

/// What the action plan page shows.
pub struct ActionPlanInput<'a> {
    pub branding: &'a Branding,
    pub reference: String,
    pub school_name: String,
    pub token: &'a str,
    pub recommendations: &'a [Recommendation],
    /// The stored plan, if the school has saved one.
    pub current: Option<&'a Versioned<ActionPlan>>,
    /// The school's own text, when it is not (yet) what is stored.
    pub yours: Option<ActionPlan>,
    pub errors: Vec<ReportFieldError>,
    /// A newer version someone else saved.
    pub conflict: Option<&'a Versioned<ActionPlan>>,
    pub saved: bool,
}

impl<'a> ActionPlanPage<'a> {
    pub fn new(input: ActionPlanInput<'a>) -> Self {
        let stored = ActionPlan::for_report(
            input.recommendations,
            input.current.map(|current| &current.body),
        );
        let shown = input.yours.unwrap_or_else(|| stored.clone());
        let conflict = input
            .conflict
            .map(|c| ActionPlan::for_report(input.recommendations, Some(&c.body)));
        let error_for = |field: &str| {
            input
                .errors
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.message.clone())
        };
        let rows = shown
            .rows
            .into_iter()
            .enumerate()
            .map(|(i, row)| {
                let n = i + 1;
                let saved = conflict
                    .as_ref()
                    .and_then(|c| c.rows.get(i))
                    .map(|theirs| differences(theirs, &row))
                    .unwrap_or_default();
                ActionRowView {
                    number: n,
                    action: row.action.clone(),
                    next_steps: input
                        .recommendations
                        .get(i)
                        .and_then(|r| r.next_steps.as_ref())
                        .map(ToString::to_string),
                    owner_field: owner_field(n),
                    target_date_field: target_date_field(n),
                    status_field: status_field(n),
                    notes_field: notes_field(n),
                    owner_error: error_for(&owner_field(n)),
                    target_date_error: error_for(&target_date_field(n)),
                    status_error: error_for(&status_field(n)),
                    notes_error: error_for(&notes_field(n)),
                    saved,
                    row,
                }
            })
            .collect();
        let who = |by: &str| {
            if by == "the school" {
                "Someone at your school (or another window)".to_owned()
            } else {
                by.to_owned()
            }
        };
        Self {
            branding: input.branding,
            reference: input.reference,
            school_name: input.school_name,
            action: format!("/status/{}/action-plan", input.token),
            status_link: format!("/status/{}", input.token),
            version: input.current.map(|c| c.version).unwrap_or(0),
            rows,
            statuses: ActionStatus::ALL,
            errors: input
                .errors
                .iter()
                .map(|e| (e.field.clone(), e.message.clone()))
                .collect(),
            conflict: input.conflict.map(|c| {
                format!(
                    "{} saved a newer version at {}.",
                    who(&c.updated_by),
                    c.updated_at.get(11..16).unwrap_or_default()
                )
            }),
            saved: input.saved,
            last_saved: input.current.map(|c| {
                format!(
                    "Last saved on {} at {}.",
                    time::OffsetDateTime::parse(
                        &c.updated_at,
                        &time::format_description::well_known::Rfc3339
                    )
                    .map(|at| long_date(at.date()))
                    .unwrap_or_default(),
                    c.updated_at.get(11..16).unwrap_or_default()
                )
            }),
            script: crate::pages::AUTOSAVE_SCRIPT,
            owner_max: MAX_OWNER_CHARS,
            notes_max: MAX_NOTES_CHARS,
        }
    }

    pub fn status_selected(&self, row: &ActionRowView, status: &ActionStatus) -> bool {
        row.row.status == *status
    }
}

/// The fields of `theirs` that differ from `yours`, labelled, with their saved values.
fn differences(theirs: &ActionRow, yours: &ActionRow) -> Vec<(&'static str, String)> {
    let mut saved = Vec::new();
    if theirs.owner != yours.owner {
        saved.push(("Owner", theirs.owner.clone()));
    }
    if theirs.target_date != yours.target_date {
        saved.push(("Target date", theirs.target_date.clone()));
    }
    if theirs.status != yours.status {
        saved.push(("Status", theirs.status.label().to_owned()));
    }
    if theirs.notes != yours.notes {
        saved.push(("Notes", theirs.notes.clone()));
    }
    saved
}

/// Another request of the same school: a follow-up, or the review it follows up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedRequest {
    pub reference: String,
    /// Its status page; `None` once its records are purged (`workflows::retention`), when the
    /// page says so instead of linking to a page that is gone.
    pub link: Option<String>,
}

/// The follow-up form on the status page.
pub struct FollowUpFormView {
    pub action: String,
    pub windows: Vec<WindowFields>,
    pub error: Option<FieldError>,
    /// Shown once, after a refusal.
    pub refused: Option<String>,
    pub earliest: String,
    pub latest: String,
    pub min_date: String,
    pub max_date: String,
}

impl FollowUpFormView {
    pub fn new(
        action: String,
        form: &FollowUpForm,
        error: Option<FieldError>,
        refused: Option<String>,
        today: Date,
    ) -> Self {
        let typed = [
            (&form.window_1_start, &form.window_1_end),
            (&form.window_2_start, &form.window_2_end),
            (&form.window_3_start, &form.window_3_end),
        ];
        let windows = WINDOW_FIELDS
            .iter()
            .zip(typed)
            .enumerate()
            .map(
                |(i, ((start_field, end_field), (start, end)))| WindowFields {
                    number: i + 1,
                    start_field,
                    end_field,
                    start: start.clone(),
                    end: end.clone(),
                },
            )
            .collect();
        Self {
            action,
            windows,
            error,
            refused,
            earliest: long_date(today + MIN_NOTICE),
            latest: long_date(today + MAX_HORIZON),
            min_date: iso(today + MIN_NOTICE),
            max_date: iso(today + MAX_HORIZON),
        }
    }

    /// The message for `field`, if it has the problem.
    pub fn error_for(&self, field: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

/// Signposting on the status page.
pub struct SignpostingView {
    pub action: String,
    pub consent: bool,
    /// With consent: the peers for each "even better if" area.
    pub peers: Vec<AreaPeers>,
    /// How to get in touch: through the programme.
    pub contact_email: String,
}

/// The status page's part once the report is final.
pub struct ActingOnReport {
    pub action_plan_link: String,
    pub actions: usize,
    pub progress: Vec<String>,
    /// The follow-up the school asked for, or the form to ask.
    pub follow_up: Result<LinkedRequest, FollowUpFormView>,
    pub signposting: SignpostingView,
    /// Sharing the report, and whom it was shared with.
    pub sharing: workflows::after_report::sharing::SharingView,
}

/// What the status page shows about acting on the report and related requests.
#[derive(Default)]
pub struct AfterReportSection {
    /// This request is a follow-up: the review it returns to.
    pub follows_up: Option<LinkedRequest>,
    /// Once this request's report is final.
    pub acting: Option<ActingOnReport>,
}

impl AfterReportSection {
    /// Whether the follow-up or share form is shown with an error.
    pub fn has_error(&self) -> bool {
        self.acting.as_ref().is_some_and(|acting| {
            acting.sharing.has_error()
                || acting
                    .follow_up
                    .as_ref()
                    .err()
                    .is_some_and(|form| form.error.is_some() || form.refused.is_some())
        })
    }
}
