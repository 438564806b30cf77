//! The visit day's page, as the school (under its status link) and the review team (under a
//! review link) see it: the plan as a timetable (which is what prints, on one or two A4
//! pages), the areas no session serves, the plan's form for the school and the lead while the
//! stage allows it, the school's confirmation, and on the lead's page the verbal feedback.
//! Everything works without JavaScript: the form always has a few blank rows to add sessions.

use askama::Template;

use records::branding::Branding;
use records::lifecycle::Refusal;
use records::request::StoredRequest;
use records::versioned::Versioned;
use visit_day::ReviewAreas;
use visit_day::feedback::{self, AreaPoints, FeedbackFieldError, VerbalFeedback};
use visit_day::plan::{
    BLANK_ROWS, MAX_ATTENDEES_CHARS, MAX_PLACE_CHARS, Plan, PlanFieldError, RawPlan, RawSession,
    SessionKind,
};
use visit_day::store::{CONFIRMED, DRAFT};

/// One session as the timetable shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimetableRow {
    pub time: String,
    pub title: &'static str,
    pub place: String,
    pub attendees: String,
    pub areas: String,
}

/// `plan`'s sessions as timetable rows, the areas titled as `areas` says.
pub fn timetable(plan: &Plan, areas: &ReviewAreas) -> Vec<TimetableRow> {
    plan.sessions
        .iter()
        .map(|s| TimetableRow {
            time: format!("{}–{}", s.start, s.end),
            title: s.title(),
            place: s.place.clone(),
            attendees: s.attendees.clone(),
            areas: s
                .areas
                .iter()
                .map(|a| areas.title(a))
                .collect::<Vec<_>>()
                .join("; "),
        })
        .collect()
}

/// One row of the plan's form: its fields as typed and their problems.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormRow {
    pub n: usize,
    pub raw: RawSession,
    /// `(key, title, ticked)` for each focus area of the review.
    pub areas: Vec<(String, String, bool)>,
    /// `(part, message)`.
    pub errors: Vec<(String, String)>,
}

impl FormRow {
    pub fn error(&self, part: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(p, _)| p == part)
            .map(|(_, m)| m.as_str())
    }

    pub fn id(&self, part: &str) -> String {
        visit_day::plan::field_id(self.n, part)
    }

    pub fn chosen(&self, kind: &str) -> bool {
        self.raw.kind == kind
    }

    /// `(part, label, value)` of the start and end fields.
    pub fn times(&self) -> [(&'static str, &'static str, &str); 2] {
        [
            ("start", "Starts", self.raw.start.as_str()),
            ("end", "Ends", self.raw.end.as_str()),
        ]
    }

    /// A blank row offered for a new session.
    pub fn is_new(&self) -> bool {
        self.raw.id.is_empty() && self.raw.kind.is_empty()
    }
}

/// The plan's form.
pub struct PlanForm {
    pub action: String,
    pub version: u64,
    pub next_id: u32,
    pub rows: Vec<FormRow>,
    pub kinds: Vec<(&'static str, &'static str)>,
    pub max_place: usize,
    pub max_attendees: usize,
}

impl PlanForm {
    /// The form showing `raw` (with `errors`) for a review of `areas`, and blank rows.
    pub fn new(
        action: String,
        version: u64,
        raw: &RawPlan,
        areas: &ReviewAreas,
        errors: &[PlanFieldError],
    ) -> Self {
        let mut raws = raw.rows.clone();
        raws.retain(|r| r.remove || *r != RawSession::default());
        raws.extend((0..BLANK_ROWS).map(|_| RawSession::default()));
        let rows = raws
            .into_iter()
            .enumerate()
            .map(|(i, raw)| {
                let n = i + 1;
                let prefix = format!("session-{n}-");
                FormRow {
                    n,
                    areas: areas
                        .keys()
                        .into_iter()
                        .map(|a| (a.clone(), areas.title(&a), raw.areas.contains(&a)))
                        .collect(),
                    errors: errors
                        .iter()
                        .filter_map(|e| {
                            e.field
                                .strip_prefix(&prefix)
                                .map(|part| (part.to_owned(), e.message.clone()))
                        })
                        .collect(),
                    raw,
                }
            })
            .collect();
        Self {
            action,
            version,
            next_id: raw.next_id,
            rows,
            kinds: SessionKind::ALL
                .iter()
                .map(|k| (k.as_str(), k.label()))
                .collect(),
            max_place: MAX_PLACE_CHARS,
            max_attendees: MAX_ATTENDEES_CHARS,
        }
    }
}

/// One area's verbal feedback on a page: the points, or (on the lead's form) the boxes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedbackArea {
    /// The points given (or typed), under the area's key.
    pub points: AreaPoints,
    pub title: String,
    /// The problems of its "What went well" and "Even better if" boxes.
    pub errors: (Option<String>, Option<String>),
}

impl FeedbackArea {
    /// The lead's two boxes for this area: `(id, label, points a line, error)`.
    pub fn boxes(&self) -> [(String, &'static str, String, Option<&str>); 2] {
        let (points, id) = (&self.points, |part| {
            feedback::field_id(&self.points.area, part)
        });
        [
            (
                id("went_well"),
                "What went well",
                points.went_well.join("\n"),
                self.errors.0.as_deref(),
            ),
            (
                id("even_better_if"),
                "Even better if",
                points.even_better_if.join("\n"),
                self.errors.1.as_deref(),
            ),
        ]
    }
}

/// The verbal feedback's section: the lead's form, or the points as given.
pub struct FeedbackSection {
    /// Where the lead's form posts; `None`: read only.
    pub action: Option<String>,
    pub version: u64,
    pub areas: Vec<FeedbackArea>,
    pub conflict_by: Option<String>,
    pub saved: bool,
    /// Why it cannot be recorded now, or when the school sees it.
    pub note: String,
}

impl FeedbackSection {
    /// The points of `given` for each of `areas` (the general points first); `errors` on the
    /// boxes of a form.
    pub fn areas(
        given: &VerbalFeedback,
        areas: &ReviewAreas,
        errors: &[FeedbackFieldError],
        every_area: bool,
    ) -> Vec<FeedbackArea> {
        let error = |key: &str, part: &str| {
            let id = feedback::field_id(key, part);
            errors
                .iter()
                .find(|e| e.field == id)
                .map(|e| e.message.clone())
        };
        std::iter::once(feedback::GENERAL.to_owned())
            .chain(areas.keys())
            .filter_map(|key| {
                let key = key.as_str();
                let points = given.about(key);
                if points.is_none() && !every_area {
                    return None;
                }
                Some(FeedbackArea {
                    points: points.cloned().unwrap_or_else(|| AreaPoints {
                        area: key.to_owned(),
                        ..AreaPoints::default()
                    }),
                    title: areas.title(key),
                    errors: (error(key, "went_well"), error(key, "even_better_if")),
                })
            })
            .collect()
    }
}

#[derive(Template)]
#[template(path = "pages/visit_day.html")]
pub struct VisitDayPage<'a> {
    pub branding: &'a Branding,
    pub school_name: String,
    pub reference: String,
    pub visit_date_text: String,
    /// "school", "lead" or "second".
    pub viewer: &'static str,
    /// The page this one belongs to, and its name.
    pub back: (String, &'static str),
    pub timetable: Vec<TimetableRow>,
    /// Nothing saved yet: the timetable is the suggested day.
    pub suggested: bool,
    /// Where the plan stands, in a sentence.
    pub state_text: String,
    pub uncovered: Vec<String>,
    pub form: Option<PlanForm>,
    /// `(field, message)` of the plan's form.
    pub errors: Vec<(String, String)>,
    /// Someone saved a newer plan: who, and their timetable.
    pub conflict: Option<(String, Vec<TimetableRow>)>,
    /// Where the school's confirmation posts, when it may confirm.
    pub confirm_action: Option<String>,
    /// Why the plan cannot change now.
    pub closed: Option<String>,
    pub saved: bool,
    pub feedback: Option<FeedbackSection>,
}

impl VisitDayPage<'_> {
    pub fn has_error(&self) -> bool {
        !self.errors.is_empty()
            || self.conflict.is_some()
            || self.feedback.as_ref().is_some_and(|f| {
                f.conflict_by.is_some()
                    || f.areas
                        .iter()
                        .any(|a| a.errors.0.is_some() || a.errors.1.is_some())
            })
    }
}

/// The status page's section of verbal feedback the school may see.
pub fn school_feedback(given: &VerbalFeedback, areas: &ReviewAreas) -> Vec<FeedbackArea> {
    FeedbackSection::areas(given, areas, &[], false)
}

/// Who looks at the visit day's page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    School,
    Lead,
    Second,
}

/// What the plan's part of the page shows besides what is stored.
#[derive(Default)]
pub struct PlanShown<'a> {
    /// The plan as the person typed it, when it is not (yet) what is stored.
    pub yours: Option<&'a RawPlan>,
    pub errors: &'a [PlanFieldError],
    /// A newer plan someone else saved.
    pub conflict: Option<&'a Versioned<Plan>>,
    pub saved: bool,
}

impl<'a> PlanShown<'a> {
    /// The plan as typed, with its problems (nothing was stored).
    pub fn typed(yours: &'a RawPlan, errors: &'a [PlanFieldError]) -> Self {
        Self {
            yours: Some(yours),
            errors,
            ..Self::default()
        }
    }

    /// The plan as typed, over an older version than `current` (nothing was stored).
    pub fn stale(yours: &'a RawPlan, current: &'a Versioned<Plan>) -> Self {
        Self {
            yours: Some(yours),
            conflict: Some(current),
            ..Self::default()
        }
    }
}

impl<'a> VisitDayPage<'a> {
    /// The page for `viewer` of `stored`'s plan (`current`: as stored, if saved), whose forms
    /// post to `action`; `may_plan`: whether the lifecycle lets the viewer change it now.
    pub fn new(
        branding: &'a Branding,
        stored: &StoredRequest,
        (viewer, action, back): (Viewer, String, (String, &'static str)),
        current: Option<&Versioned<Plan>>,
        may_plan: Result<(), Refusal>,
        shown: PlanShown<'_>,
    ) -> Self {
        let titled = ReviewAreas::of(&stored.request);
        let areas = titled.keys();
        let drafted;
        let plan = match current {
            Some(current) => &current.body,
            None => {
                drafted = Plan::draft(&areas, stored.request.review_type.as_str());
                &drafted
            }
        };
        let confirmed = current.is_some_and(|c| c.state == CONFIRMED);
        let state_text = match current {
            None if may_plan.is_ok() => "A suggested day, drafted from the review's focus areas: nothing is saved yet. Change what you need and save it; the school then confirms it.".to_owned(),
            None => "Nobody has planned the day yet.".to_owned(),
            Some(_) if confirmed => "The school has confirmed this plan. A change from now on is emailed to the other side.".to_owned(),
            Some(c) => format!("Last saved by {}. The school has not confirmed it yet.", c.updated_by),
        };
        let version = shown
            .conflict
            .map(|c| c.version)
            .or(current.map(|c| c.version))
            .unwrap_or(0);
        let may_change = may_plan.is_ok() && viewer != Viewer::Second;
        let form = may_change.then(|| {
            let from_plan = RawPlan::from_plan(plan);
            PlanForm::new(
                action.clone(),
                version,
                shown.yours.unwrap_or(&from_plan),
                &titled,
                shown.errors,
            )
        });
        let closed = match (&may_plan, viewer) {
            (_, Viewer::Second) => Some(
                "The lead reviewer and the school build the plan: you can read it here.".to_owned(),
            ),
            (Err(refusal), _) => Some(refusal.to_string()),
            (Ok(()), _) => None,
        };
        let can_confirm = viewer == Viewer::School
            && may_change
            && current.is_some_and(|c| c.state == DRAFT)
            && shown.errors.is_empty()
            && shown.conflict.is_none();
        Self {
            branding,
            school_name: stored.request.school.name.to_string(),
            reference: stored.reference.to_string(),
            visit_date_text: visit_day::visit_date_text(stored),
            viewer: match viewer {
                Viewer::School => "school",
                Viewer::Lead => "lead",
                Viewer::Second => "second",
            },
            back,
            timetable: timetable(plan, &titled),
            suggested: current.is_none(),
            state_text,
            uncovered: plan
                .uncovered(&areas)
                .into_iter()
                .map(|key| titled.title(key))
                .collect(),
            form,
            errors: shown
                .errors
                .iter()
                .map(|e| (e.field.clone(), e.message.clone()))
                .collect(),
            conflict: shown
                .conflict
                .map(|c| (c.updated_by.clone(), timetable(&c.body, &titled))),
            confirm_action: can_confirm.then_some(action),
            closed,
            saved: shown.saved,
            feedback: None,
        }
    }
}

/// Room for a plan of sixteen sessions, or the verbal feedback, in the worst encoding.
pub const MAX_FORM_BYTES: usize = 256 * 1024;

/// A visit-day form as posted: its fields, which button was pressed, and the version of the
/// document it was typed over (0: none).
pub struct Posted {
    pub pairs: Vec<(String, String)>,
    pub decision: String,
    pub based_on: u64,
}

impl Posted {
    /// The form `request` posted, or `None` if it cannot be read.
    pub fn read(request: &lambda_http::Request) -> Option<Self> {
        let pairs: Vec<(String, String)> = crate::http::read_form(request, MAX_FORM_BYTES).ok()?;
        let field = |name: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        Some(Self {
            decision: field("decision").unwrap_or_default(),
            based_on: field("version").and_then(|v| v.parse().ok()).unwrap_or(0),
            pairs,
        })
    }
}
