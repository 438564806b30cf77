//! The pages schools see: askama templates (HTML-escaped) under `templates/pages`, built on one
//! accessible layout that follows the GOV.UK Design System's patterns without its branding.

pub mod after_report;
pub mod console;
pub mod evidence;
pub mod feedback;
pub mod report;
pub mod reviewer_details;
pub mod visit_day;

use askama::Template;
use time::Date;

use records::branding::Branding;
use records::domain::request::{
    FieldError, Frameworks, MAX_HORIZON, MAX_LEARNING_GOAL_CHARS, MIN_NOTICE, NamedArea,
    RawReviewRequest, ReviewType, WINDOW_FIELDS, iso, long_date,
};
use records::domain::{AreaOfNeed, LocalAuthority, Phase, SchoolType};
use records::request::{StoredRequest, TimelineEvent};

#[derive(Template)]
#[template(path = "pages/landing.html")]
pub struct LandingPage<'a> {
    pub branding: &'a Branding,
}

#[derive(Template)]
#[template(path = "pages/privacy.html")]
pub struct PrivacyPage<'a> {
    pub branding: &'a Branding,
}

/// One visit window's two date fields on the form.
pub struct WindowFields {
    pub number: usize,
    pub start_field: &'static str,
    pub end_field: &'static str,
    pub start: String,
    pub end: String,
}

#[derive(Template)]
#[template(path = "pages/request_form.html")]
pub struct RequestFormPage<'a> {
    pub branding: &'a Branding,
    pub form: &'a RawReviewRequest,
    pub errors: &'a [FieldError],
    pub submission_token: &'a str,
    pub phases: &'static [Phase],
    pub school_types: &'static [SchoolType],
    pub areas_of_need: &'static [AreaOfNeed],
    pub review_types: &'static [ReviewType],
    /// Each review type's focus areas (its current framework's), a group of boxes each.
    pub focus_groups: Vec<FocusGroup>,
    pub local_authorities: Vec<&'static LocalAuthority>,
    pub windows: Vec<WindowFields>,
    pub earliest: String,
    pub latest: String,
    pub min_date: String,
    pub max_date: String,
    pub max_learning_goal: usize,
}

/// The focus areas one review type offers on the request form.
pub struct FocusGroup {
    pub review_type: ReviewType,
    pub areas: Vec<NamedArea>,
    /// Its first box is the one the error summary's `#focus_areas` link goes to: the chosen
    /// type's group (the first group while none is chosen).
    pub first: bool,
}

impl FocusGroup {
    /// A box's value: the area's key under its review type (the handler keeps the chosen
    /// type's boxes only, so one framework's ticks never count for another).
    pub fn value(&self, area: &NamedArea) -> String {
        format!("{}:{}", self.review_type.as_str(), area.as_str())
    }
}

impl<'a> RequestFormPage<'a> {
    pub fn new(
        branding: &'a Branding,
        form: &'a RawReviewRequest,
        errors: &'a [FieldError],
        submission_token: &'a str,
        today: Date,
        frameworks: &Frameworks,
    ) -> Self {
        let chosen = form.review_type.parse::<ReviewType>().ok();
        let focus_groups = frameworks
            .iter()
            .enumerate()
            .map(|(i, (review_type, framework))| FocusGroup {
                review_type,
                areas: framework.areas.clone(),
                first: chosen.map_or(i == 0, |chosen| chosen == review_type),
            })
            .collect();
        let mut local_authorities: Vec<_> = LocalAuthority::all().iter().collect();
        local_authorities.sort_by_key(|la| la.name);
        let windows = WINDOW_FIELDS
            .iter()
            .enumerate()
            .map(|(i, (start_field, end_field))| {
                let (start, end) = form.visit_windows.get(i).cloned().unwrap_or_default();
                WindowFields {
                    number: i + 1,
                    start_field,
                    end_field,
                    start,
                    end,
                }
            })
            .collect();
        Self {
            branding,
            form,
            errors,
            submission_token,
            phases: Phase::ALL,
            school_types: SchoolType::ALL,
            areas_of_need: AreaOfNeed::ALL,
            review_types: ReviewType::ALL,
            focus_groups,
            local_authorities,
            windows,
            earliest: long_date(today + MIN_NOTICE),
            latest: long_date(today + MAX_HORIZON),
            min_date: iso(today + MIN_NOTICE),
            max_date: iso(today + MAX_HORIZON),
            max_learning_goal: MAX_LEARNING_GOAL_CHARS,
        }
    }

    /// The message for `field`, if it has a problem.
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    pub fn area_checked(&self, value: &str) -> bool {
        self.form.areas_of_need.iter().any(|v| v == value)
    }

    /// Whether the box of `area` in `group` was ticked (the form sent back keeps the chosen
    /// type's ticks, without their prefix).
    pub fn focus_checked(&self, group: &FocusGroup, area: &NamedArea) -> bool {
        self.form.review_type == group.review_type.as_str()
            && self.form.focus_areas.iter().any(|v| v == area.as_str())
    }
}

#[derive(Template)]
#[template(path = "pages/request_sent.html")]
pub struct RequestSentPage<'a> {
    pub branding: &'a Branding,
    pub reference: &'a str,
}

pub struct Step {
    pub title: &'static str,
    pub status: &'static str,
    pub detail: String,
    pub class: &'static str,
    pub tag_class: &'static str,
}

#[derive(Template)]
#[template(path = "pages/status.html")]
pub struct StatusPage<'a> {
    pub branding: &'a Branding,
    pub stored: &'a StoredRequest,
    pub submitted_on: String,
    pub steps: Vec<Step>,
    /// The school's evidence files and the link to its evidence page.
    pub evidence: Option<evidence::EvidenceSummary>,
    /// Once a visit is booked: its date, and asking for or confirming a new one.
    pub date_change: Option<workflows::visit_date::DateChangeView>,
    /// Acting on the final report (action plan, follow-up, signposting), and related requests.
    pub after_report: Option<after_report::AfterReportSection>,
    /// The page's own token, for links to the pages under it.
    pub token: String,
    /// Where the self-evaluation stands, in a sentence.
    pub self_evaluation_state: &'static str,
    /// Where the report stands and what the school can open ([`StatusPage::show_report`]).
    pub report: Option<ReportStatus>,
    /// A withdrawn request's notice ([`StatusPage::withdrawn_data`] says what becomes of its
    /// data when it has no purge date yet).
    pub withdrawal: Option<Withdrawal>,
    /// An unconfirmed request: the last day it can be confirmed (then it is deleted).
    pub confirm_by: Option<String>,
    /// Once a visit is booked: the visit day's page, and where its plan stands.
    pub visit_day: Option<(String, String)>,
    /// The verbal feedback of the visit, from the morning after it.
    pub verbal_feedback: Vec<visit_day::FeedbackArea>,
}

/// A withdrawn request's notice on its status page: when, and what becomes of its data.
pub struct Withdrawal {
    pub when: String,
    pub data: String,
}

/// The status page's report section: where the report stands, and links to what the school
/// can check, read or download now.
pub struct ReportStatus {
    pub state: String,
    /// (address, link text).
    pub links: Vec<(String, &'static str)>,
}

impl<'a> StatusPage<'a> {
    pub fn new(
        branding: &'a Branding,
        stored: &'a StoredRequest,
        events: &[TimelineEvent],
    ) -> Self {
        let day = |at: &str| {
            time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
                .map(|t| long_date(t.date()))
                .unwrap_or_default()
        };
        let submitted_on = events
            .iter()
            .find(|e| e.kind == "submitted")
            .map(|e| day(&e.at))
            .unwrap_or_else(|| day(&stored.created_at));
        let step = |title, status, detail: String, class, tag_class| Step {
            title,
            status,
            detail,
            class,
            tag_class,
        };
        let done = |title, detail: String| step(title, "Done", detail, "done", "tag--done");
        let current =
            |title, detail: &str| step(title, "In progress", detail.to_owned(), "current", "");
        let todo = |title| step(title, "Not started", String::new(), "", "tag--todo");
        let mut steps = vec![done("Request received", format!("On {submitted_on}."))];
        let withdrawn_on = (stored.withdrawn_at.as_deref())
            .or_else(|| {
                events
                    .iter()
                    .rfind(|e| e.kind == "withdrawn")
                    .map(|e| e.at.as_str())
            })
            .map(day)
            .filter(|on| !on.is_empty());
        let withdrawal = (stored.state == records::lifecycle::RequestState::Withdrawn).then(|| {
            let when = match &withdrawn_on {
                Some(on) => format!("We withdrew this request on {on}."),
                None => "We withdrew this request.".to_owned(),
            };
            Withdrawal {
                when: format!("{when} Nothing more will happen with it: no reviewer will visit, and its reviewers can no longer open anything you shared."),
                data: match &stored.purge_after {
                    Some(date) => format!(
                        "Its details, your self-evaluation and your files are kept until {} and then deleted, as the programme's retention rule says.",
                        records::domain::parse_date(date).map(long_date).unwrap_or_else(|_| date.clone())
                    ),
                    None => "Its details, your self-evaluation and your files are deleted as the programme's retention rule says.".to_owned(),
                },
            }
        });
        match (stored.state, &stored.lead) {
            (records::lifecycle::RequestState::PendingConfirmation, _) => {
                steps.push(current(
                    "Confirm your request",
                    "Check what you asked for and confirm it below. Until you do, we do not look for a reviewer.",
                ));
                steps.push(todo("Finding a reviewer"));
            }
            (records::lifecycle::RequestState::Held, _) => steps.push(current(
                "Finding a reviewer",
                "You confirmed your request. A coordinator checks every request before we look for a reviewer; we will email you when a reviewer accepts.",
            )),
            (records::lifecycle::RequestState::Withdrawn, _) => {
                let on = withdrawn_on
                    .map(|on| format!("On {on}. "))
                    .unwrap_or_default();
                steps.push(done(
                    "Request withdrawn",
                    format!("{on}Nothing more will happen with this request."),
                ));
                return Self::with_steps(branding, stored, submitted_on, steps, withdrawal);
            }
            (records::lifecycle::RequestState::Accepted, Some(lead)) => {
                let date = long_date(lead.visit_date);
                let team = match &stored.second {
                    Some(second) => format!("{} and {}", lead.reviewer_name, second.reviewer_name),
                    None => lead.reviewer_name.clone(),
                };
                steps.push(done(
                    "Reviewer and visit date confirmed",
                    format!("{team} will visit on {date}."),
                ));
                steps.push(current(
                    "Self-evaluation and evidence",
                    "Due two weeks before the visit.",
                ));
            }
            (state, _) => {
                let detail = if state == records::lifecycle::RequestState::Offered {
                    "We have asked a trained reviewer with no link to your school, and are waiting for their answer."
                } else {
                    "We are finding a trained reviewer with no link to your school."
                };
                steps.push(current("Finding a reviewer", detail));
                steps.push(todo("Reviewer and visit date confirmed"));
                steps.push(todo("Self-evaluation and evidence"));
            }
        }
        steps.push(todo("Visit"));
        steps.push(todo("Report"));
        let mut page = Self::with_steps(branding, stored, submitted_on, steps, None);
        if stored.state == records::lifecycle::RequestState::PendingConfirmation {
            page.confirm_by =
                records::confirmation::confirm_by(stored).map(|by| long_date(by.date()));
        }
        page
    }

    fn with_steps(
        branding: &'a Branding,
        stored: &'a StoredRequest,
        submitted_on: String,
        steps: Vec<Step>,
        withdrawal: Option<Withdrawal>,
    ) -> Self {
        Self {
            branding,
            stored,
            submitted_on,
            steps,
            evidence: None,
            date_change: None,
            after_report: None,
            token: String::new(),
            self_evaluation_state: "You have not started your self-evaluation.",
            report: None,
            withdrawal,
            confirm_by: None,
            visit_day: None,
            verbal_feedback: Vec::new(),
        }
    }

    /// A withdrawn request with no purge date yet: its data is kept at most
    /// `retention_months` (the programme's retention), and the school can ask for it to go
    /// sooner.
    pub fn withdrawn_data(&mut self, retention_months: u16) {
        if self.stored.purge_after.is_some() {
            return;
        }
        let (contact, reference) = (&self.branding.contact_email, &self.stored.reference);
        if let Some(withdrawal) = &mut self.withdrawal {
            withdrawal.data = format!(
                "The programme keeps the details, self-evaluation and files of a request for {retention_months} months after it ends, then deletes them. To have them deleted sooner, write to {contact} quoting {reference}."
            );
        }
    }

    /// Shows the visit and the report from the booked date, `today` and the report (if one was
    /// saved): the steps' "Visit" and "Report", and the report section with its links (under
    /// `token`, so set that first).
    pub fn show_report(
        &mut self,
        report: Option<&workflows::report::store::StoredReport>,
        today: Date,
    ) {
        use workflows::report::store::report_state;
        let Some(visit) = self.stored.lead.as_ref().map(|lead| lead.visit_date) else {
            return;
        };
        let state = report.map(|r| r.state.as_str());
        let position = |title: &str| self.steps.iter().position(|s| s.title == title);
        let (self_evaluation, visit_step, report_step) = (
            position("Self-evaluation and evidence"),
            position("Visit"),
            position("Report"),
        );
        let set = |steps: &mut Vec<Step>, at: Option<usize>, done: bool, detail: String| {
            if let Some(step) = at.and_then(|i| steps.get_mut(i)) {
                (step.status, step.class, step.tag_class) = if done {
                    ("Done", "done", "tag--done")
                } else {
                    ("In progress", "current", "")
                };
                step.detail = detail;
            }
        };
        let visited = today > visit || state.is_some_and(|s| s != report_state::DRAFT);
        if today == visit && !visited {
            set(&mut self.steps, visit_step, false, "Today.".into());
            return;
        }
        if !visited {
            return;
        }
        set(
            &mut self.steps,
            self_evaluation,
            true,
            "Before the visit.".into(),
        );
        set(
            &mut self.steps,
            visit_step,
            true,
            format!("On {}.", long_date(visit)),
        );
        let base = format!("/status/{}/report", self.token);
        let (done, detail, links) = match state {
            Some(report_state::SUBMITTED) => (
                false,
                "Your draft report is ready for you to check for factual accuracy.",
                vec![(base, "Check your draft report")],
            ),
            Some(report_state::CHECKED) => (
                false,
                "You have answered on the draft. Your reviewers are finishing the report.",
                vec![(base, "Read the draft and your answer")],
            ),
            Some(report_state::FINAL) => (
                true,
                "Your final report is ready. We have emailed it to your school.",
                vec![
                    (base.clone(), "Read your report"),
                    (format!("{base}.pdf"), "Download your report (PDF)"),
                ],
            ),
            _ => (
                false,
                "Your reviewers are writing the report. We will email you when the draft is ready for you to check.",
                Vec::new(),
            ),
        };
        set(&mut self.steps, report_step, done, detail.to_owned());
        self.report = Some(ReportStatus {
            state: detail.to_owned(),
            links,
        });
    }

    /// Whether a form on the page is shown with an error (the title says so first).
    pub fn has_error(&self) -> bool {
        self.date_change.as_ref().is_some_and(|d| d.error.is_some())
            || self.after_report.as_ref().is_some_and(|a| a.has_error())
    }
}

#[derive(Template)]
#[template(path = "pages/message.html")]
pub struct MessagePage<'a> {
    pub branding: &'a Branding,
    pub title: &'a str,
    pub paragraphs: Vec<String>,
    pub link_href: &'a str,
    pub link_text: &'a str,
}

/// A page of a title, paragraphs and (when `link_href` is not empty) one link onwards: every
/// function's answer for what is not a form or a document.
pub fn message(
    branding: &Branding,
    status: lambda_http::http::StatusCode,
    title: &str,
    paragraphs: Vec<String>,
    (link_href, link_text): (&str, &str),
) -> lambda_http::Response<lambda_http::Body> {
    crate::http::page(
        status,
        MessagePage {
            branding,
            title,
            paragraphs,
            link_href,
            link_text,
        }
        .render(),
    )
}

/// The answer to an action the request's stage does not allow now (409): the lifecycle's
/// sentence, as a page with a way back, or as problem detail for the pages' scripts.
pub fn not_now(
    branding: &Branding,
    refusal: &records::lifecycle::Refusal,
    wants_json: bool,
    (link_href, link_text): (&str, &str),
) -> lambda_http::Response<lambda_http::Body> {
    use lambda_http::http::StatusCode;
    let detail = refusal.to_string();
    if wants_json {
        return crate::http::json(
            StatusCode::CONFLICT,
            &serde_json::json!({ "detail": detail }),
        );
    }
    message(
        branding,
        StatusCode::CONFLICT,
        "This cannot be changed now",
        vec![detail],
        (link_href, link_text),
    )
}

#[derive(Template)]
#[template(path = "pages/offer.html")]
pub struct OfferPage<'a> {
    pub branding: &'a Branding,
    pub reference: &'a str,
    pub request: &'a records::domain::request::ReviewRequest,
    pub local_authority: &'a str,
    pub respond_by: String,
    /// Where both forms post: the page's own address.
    pub action: &'a str,
    pub visit_date: &'a str,
    pub error: Option<&'a str>,
    pub min_date: String,
    pub max_date: String,
    /// A second reviewer's offer: the lead and the fixed date they would join.
    pub joining: Option<workflows::offers::Joining>,
    /// With `joining`: the fixed date, `YYYY-MM-DD`, which the accept form posts back.
    pub fixed_date: String,
}

/// A reviewer's page for a review they accepted: the school, the visit, and what to do next.
#[derive(Template)]
#[template(path = "pages/review.html")]
pub struct ReviewPage<'a> {
    pub branding: &'a Branding,
    pub stored: &'a StoredRequest,
    /// "lead reviewer" or "second reviewer".
    pub role: &'a str,
    pub local_authority: &'a str,
    pub date_change: workflows::visit_date::DateChangeView,
    /// The school's self-evaluation, once submitted; else where it stands.
    pub self_evaluation: Option<Vec<SelfEvaluationSection>>,
    pub self_evaluation_status: &'static str,
    /// The school's received files: (name, category, size, download link).
    pub evidence: Vec<(String, &'static str, String, String)>,
    pub notes: NotesView,
    /// The report editor, under the reviewer's link.
    pub report_link: String,
    /// The visit day's plan (and, for the lead, its verbal feedback), under the reviewer's link.
    pub visit_day_link: String,
    pub script: &'static str,
}

/// The review team's notes form.
pub struct NotesView {
    pub action: String,
    pub text: String,
    pub version: u64,
    pub max: usize,
    pub error: Option<String>,
    /// After a conflict: who saved the newer text, and that text.
    pub conflict: Option<(String, String)>,
    pub saved: bool,
    /// A box per session of the visit day's plan (and per session no longer in it that has notes).
    pub sessions: Vec<SessionNotes>,
}

/// The notes on one session of the plan.
pub struct SessionNotes {
    /// The form field's name, also the box's id.
    pub field: String,
    pub title: String,
    pub text: String,
    /// After a conflict: what the newer version says, where it differs.
    pub saved: Option<String>,
}

impl ReviewPage<'_> {
    /// On a follow-up visit: the day of the review it follows up, as a long date.
    pub fn original_visit_text(&self) -> String {
        self.stored
            .follow_up_of
            .as_ref()
            .and_then(|original| records::domain::parse_date(&original.lead_visit_date).ok())
            .map(records::domain::request::long_date)
            .unwrap_or_default()
    }

    /// Whether a form on the page is shown with an error (the title says so first).
    pub fn has_error(&self) -> bool {
        self.date_change.error.is_some()
            || self.notes.error.is_some()
            || self.notes.conflict.is_some()
    }
}

/// The autosave and character-count script of the pages people write on (progressive
/// enhancement: every form works without it).
pub const AUTOSAVE_SCRIPT: &str = include_str!("../templates/pages/autosave.js");

/// One focus area's part of the self-evaluation form.
pub struct SelfEvaluationSection {
    pub label: String,
    pub code: String,
    /// The area's description in the request's framework.
    pub description: String,
    pub prompts: Vec<String>,
    pub evaluation: String,
    pub evidence: String,
    pub rating: Option<String>,
    pub evaluation_error: Option<String>,
    pub evidence_error: Option<String>,
    pub rating_error: Option<String>,
    /// After a conflict: the stored text, where it differs from the school's.
    pub saved_evaluation: Option<String>,
    pub saved_evidence: Option<String>,
}

/// The school's self-evaluation: the form while a draft, read-only once submitted.
#[derive(Template)]
#[template(path = "pages/self_evaluation.html")]
pub struct SelfEvaluationPage<'a> {
    pub branding: &'a Branding,
    pub stored: &'a StoredRequest,
    pub action: String,
    pub status_link: String,
    pub sections: Vec<SelfEvaluationSection>,
    pub version: u64,
    pub submitted: bool,
    /// Why the school can no longer change it (the request was withdrawn), if so.
    pub closed: Option<String>,
    pub due_date_text: Option<String>,
    /// The programme's grades, if it grades.
    pub scale: Vec<String>,
    /// Per-field problems, for the error summary: (field id, message).
    pub errors: Vec<(String, String)>,
    /// After a conflict: who saved the newer version, and when.
    pub conflict: Option<String>,
    pub saved: bool,
    pub script: &'static str,
    pub evaluation_max: usize,
    pub evidence_max: usize,
}

impl SelfEvaluationPage<'_> {
    pub fn rating_checked(&self, section: &SelfEvaluationSection, grade: &str) -> bool {
        section.rating.as_deref() == Some(grade)
    }
}
