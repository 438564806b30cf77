//! The visit day's plan: a timetable of sessions, each of a usual kind, with its times, place,
//! who attends (roles) and the focus areas it serves. Parsed from the plan form with every
//! field's problem at once, drafted from the request, and checked for areas no session serves.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Sessions in one plan.
pub const MAX_SESSIONS: usize = 16;
/// Empty rows the form offers under the plan's sessions, to add sessions without JavaScript.
pub const BLANK_ROWS: usize = 3;
/// Characters in a session's place.
pub const MAX_PLACE_CHARS: usize = 100;
/// Characters in a session's list of who attends.
pub const MAX_ATTENDEES_CHARS: usize = 200;

/// The usual kinds of session on a peer review visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionKind {
    SencoMeeting,
    HeadMeeting,
    GovernorsMeeting,
    LearningWalk,
    LessonVisits,
    PupilVoice,
    ParentVoice,
    WorkScrutiny,
    Reflection,
    VerbalFeedback,
}

impl SessionKind {
    pub const ALL: [SessionKind; 10] = [
        SessionKind::SencoMeeting,
        SessionKind::HeadMeeting,
        SessionKind::GovernorsMeeting,
        SessionKind::LearningWalk,
        SessionKind::LessonVisits,
        SessionKind::PupilVoice,
        SessionKind::ParentVoice,
        SessionKind::WorkScrutiny,
        SessionKind::Reflection,
        SessionKind::VerbalFeedback,
    ];

    /// The form and storage value.
    pub const fn as_str(self) -> &'static str {
        match self {
            SessionKind::SencoMeeting => "senco_meeting",
            SessionKind::HeadMeeting => "head_meeting",
            SessionKind::GovernorsMeeting => "governors_meeting",
            SessionKind::LearningWalk => "learning_walk",
            SessionKind::LessonVisits => "lesson_visits",
            SessionKind::PupilVoice => "pupil_voice",
            SessionKind::ParentVoice => "parent_voice",
            SessionKind::WorkScrutiny => "work_scrutiny",
            SessionKind::Reflection => "reflection",
            SessionKind::VerbalFeedback => "verbal_feedback",
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            SessionKind::SencoMeeting => "Meeting with the SENCO",
            SessionKind::HeadMeeting => "Meeting with the headteacher",
            SessionKind::GovernorsMeeting => "Meeting with governors",
            SessionKind::LearningWalk => "Learning walk",
            SessionKind::LessonVisits => "Lesson visits",
            SessionKind::PupilVoice => "Pupil voice",
            SessionKind::ParentVoice => "Parent and carer voice",
            SessionKind::WorkScrutiny => "Work scrutiny",
            SessionKind::Reflection => "Reviewers' time to reflect",
            SessionKind::VerbalFeedback => "Verbal feedback",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == value.trim())
    }

    /// The focus areas (keys) a session of this kind usually serves; `None`: every area.
    fn serves(self) -> Option<&'static [&'static str]> {
        Some(match self {
            SessionKind::SencoMeeting => &[
                "leadership",
                "assessment_of_need",
                "monitoring_and_evaluation",
                "quality_of_provision",
            ],
            SessionKind::HeadMeeting => &["leadership", "use_of_resources", "outcomes"],
            SessionKind::GovernorsMeeting => &["leadership", "use_of_resources"],
            SessionKind::LearningWalk => &["quality_of_provision", "teaching_and_learning"],
            SessionKind::LessonVisits => &["teaching_and_learning", "outcomes"],
            SessionKind::PupilVoice => &["learners_and_families", "quality_of_provision"],
            SessionKind::ParentVoice => &["learners_and_families"],
            SessionKind::WorkScrutiny => &["outcomes", "assessment_of_need"],
            SessionKind::Reflection | SessionKind::VerbalFeedback => return None,
        })
    }
}

/// A time of day, minutes after midnight; written `HH:MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TimeOfDay(u16);

impl TimeOfDay {
    /// `9:30`, `09:30` or `09:30:00` (what a time input sends), within the day.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.trim().split(':');
        let (hours, minutes) = (parts.next()?, parts.next()?);
        if parts.next().is_some_and(|seconds| seconds != "00") || parts.next().is_some() {
            return None;
        }
        let number = |t: &str, max: u16| {
            (!t.is_empty() && t.len() <= 2 && t.bytes().all(|b| b.is_ascii_digit()))
                .then(|| t.parse::<u16>().ok())
                .flatten()
                .filter(|n| *n <= max)
        };
        Some(Self(number(hours, 23)? * 60 + number(minutes, 59)?))
    }

    pub const fn at(hours: u16, minutes: u16) -> Self {
        Self(hours * 60 + minutes)
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

/// One session of the day, as stored (times `HH:MM`, areas by key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Stable while the plan changes: the team's notes on the session are kept under it.
    pub id: String,
    pub kind: SessionKind,
    pub start: String,
    pub end: String,
    pub place: String,
    /// Roles, never pupils' names.
    pub attendees: String,
    /// The focus areas it serves, by key.
    pub areas: Vec<String>,
}

impl Session {
    pub fn title(&self) -> &'static str {
        self.kind.label()
    }

    pub fn serves(&self, area: &str) -> bool {
        self.areas.iter().any(|a| a == area)
    }
}

/// The plan of the day: its sessions in time order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub sessions: Vec<Session>,
    /// The number the next new session's id takes (ids are never reused).
    #[serde(default)]
    pub next_id: u32,
}

/// One field's problem: `field` is the form control's id, for the error summary's link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanFieldError {
    pub field: String,
    pub message: String,
}

/// The form id of session row `row`'s `part` (`session-2-start`).
pub fn field_id(row: usize, part: &str) -> String {
    format!("session-{row}-{part}")
}

/// One row of the plan form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawSession {
    pub id: String,
    pub kind: String,
    pub start: String,
    pub end: String,
    pub place: String,
    pub attendees: String,
    pub areas: Vec<String>,
    pub remove: bool,
}

impl RawSession {
    fn is_blank(&self) -> bool {
        self.kind.trim().is_empty()
            && self.start.trim().is_empty()
            && self.end.trim().is_empty()
            && self.place.trim().is_empty()
            && self.attendees.trim().is_empty()
    }

    /// A stored session as the form shows it.
    pub fn from_session(session: &Session) -> Self {
        Self {
            id: session.id.clone(),
            kind: session.kind.as_str().to_owned(),
            start: session.start.clone(),
            end: session.end.clone(),
            place: session.place.clone(),
            attendees: session.attendees.clone(),
            areas: session.areas.clone(),
            remove: false,
        }
    }
}

/// The plan form as posted: its rows (1-based by position) and the next id it was shown with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawPlan {
    pub rows: Vec<RawSession>,
    pub next_id: u32,
}

impl RawPlan {
    /// Reads the posted pairs (`session-<n>-<part>`, `next_id`); other fields are the caller's.
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut raw = RawPlan::default();
        for (name, value) in pairs {
            if name == "next_id" {
                raw.next_id = value.trim().parse().unwrap_or(0);
                continue;
            }
            let Some((row, part)) = row_field(name) else {
                continue;
            };
            if raw.rows.len() < row {
                raw.rows.resize(row, RawSession::default());
            }
            let entry = &mut raw.rows[row - 1];
            match part {
                "id" => entry.id = value.clone(),
                "kind" => entry.kind = value.clone(),
                "start" => entry.start = value.clone(),
                "end" => entry.end = value.clone(),
                "place" => entry.place = value.clone(),
                "attendees" => entry.attendees = value.clone(),
                "area" => entry.areas.push(value.clone()),
                "remove" => entry.remove = true,
                _ => {}
            }
        }
        raw
    }

    /// The form showing `plan`.
    pub fn from_plan(plan: &Plan) -> Self {
        Self {
            rows: plan.sessions.iter().map(RawSession::from_session).collect(),
            next_id: plan.next_id,
        }
    }
}

/// Single-line text as typed: control characters dropped, spaces trimmed.
fn line(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .to_owned()
}

impl Plan {
    /// The plan typed in `raw`, for a review of `areas` (keys): every field's problem at once.
    /// Blank rows are left out, ticked "remove" rows dropped; sessions are kept in time order
    /// and must not overlap.
    pub fn parse(raw: &RawPlan, areas: &[String]) -> Result<Self, Vec<PlanFieldError>> {
        let mut errors = Vec::new();
        let rows: Vec<(usize, &RawSession)> = raw
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| (i + 1, r))
            .filter(|(_, r)| !r.remove && !r.is_blank())
            .collect();
        if rows.len() > MAX_SESSIONS {
            push(
                &mut errors,
                rows[MAX_SESSIONS].0,
                "kind",
                format!("A plan can have at most {MAX_SESSIONS} sessions: remove one"),
            );
        }
        let mut next_id = raw.next_id.max(highest_id(raw) + 1);
        let mut parsed = Vec::new();
        for (n, row) in rows.into_iter().take(MAX_SESSIONS) {
            let kind = match SessionKind::parse(&row.kind) {
                Some(kind) => Some(kind),
                None if row.kind.trim().is_empty() => {
                    push(
                        &mut errors,
                        n,
                        "kind",
                        format!("Choose what session {n} is"),
                    );
                    None
                }
                None => {
                    push(
                        &mut errors,
                        n,
                        "kind",
                        "Choose one of the kinds of session listed".into(),
                    );
                    None
                }
            };
            let start = time(&mut errors, n, ("start", "starts"), &row.start);
            let end = time(&mut errors, n, ("end", "ends"), &row.end);
            if let (Some(start), Some(end)) = (start, end)
                && end <= start
            {
                push(
                    &mut errors,
                    n,
                    "end",
                    format!("Session {n} must end after it starts ({start})"),
                );
            }
            let place = limited(&row.place, MAX_PLACE_CHARS).unwrap_or_else(|count| {
                let message = format!(
                    "The place must be {MAX_PLACE_CHARS} characters or fewer (it has {count})"
                );
                push(&mut errors, n, "place", message);
                String::new()
            });
            let attendees = limited(&row.attendees, MAX_ATTENDEES_CHARS).unwrap_or_else(|count| {
                push(&mut errors, n, "attendees", format!("Who attends must be {MAX_ATTENDEES_CHARS} characters or fewer (it has {count}): name roles only"));
                String::new()
            });
            let mut chosen = Vec::new();
            for area in &row.areas {
                if !areas.contains(area) {
                    push(
                        &mut errors,
                        n,
                        "areas",
                        "Choose among the review's focus areas".into(),
                    );
                    break;
                }
                if !chosen.contains(area) {
                    chosen.push(area.clone());
                }
            }
            let id = if is_session_id(&row.id) {
                row.id.clone()
            } else {
                next_id += 1;
                format!("s{}", next_id - 1)
            };
            if let (Some(kind), Some(start), Some(end)) = (kind, start, end) {
                parsed.push((
                    n,
                    start,
                    end,
                    Session {
                        id,
                        kind,
                        start: start.to_string(),
                        end: end.to_string(),
                        place,
                        attendees,
                        areas: chosen,
                    },
                ));
            }
        }
        if parsed.is_empty() && errors.is_empty() {
            push(
                &mut errors,
                1,
                "kind",
                "Add at least one session to the plan".into(),
            );
        }
        parsed.sort_by_key(|(n, start, _, _)| (*start, *n));
        for pair in parsed.windows(2) {
            let (_, _, earlier_end, earlier) = &pair[0];
            let (n, start, _, _) = &pair[1];
            if start < earlier_end {
                push(
                    &mut errors,
                    *n,
                    "start",
                    format!(
                        "Session {n} starts at {start}, before {} ends at {earlier_end}: sessions must not overlap",
                        earlier.title().to_lowercase()
                    ),
                );
            }
        }
        // Ids must be unique (a form could repeat one): a repeat becomes a new session.
        let mut seen = BTreeSet::new();
        let mut sessions: Vec<Session> = parsed.into_iter().map(|(_, _, _, s)| s).collect();
        for session in &mut sessions {
            if !seen.insert(session.id.clone()) {
                session.id = format!("s{next_id}");
                next_id += 1;
                seen.insert(session.id.clone());
            }
        }
        if errors.is_empty() {
            Ok(Plan { sessions, next_id })
        } else {
            Err(errors)
        }
    }

    /// The areas of `areas` (keys) no session serves, in their order.
    pub fn uncovered<'a>(&self, areas: &'a [String]) -> Vec<&'a str> {
        areas
            .iter()
            .filter(|area| !self.sessions.iter().any(|s| s.serves(area)))
            .map(String::as_str)
            .collect()
    }

    /// The session with `id`.
    pub fn session(&self, id: &str) -> Option<&Session> {
        self.sessions.iter().find(|s| s.id == id)
    }

    /// A suggested day for a review of `areas` (keys) of type `review_type` (its key): the
    /// usual sessions that serve at least one of the areas, each serving the ones it usually
    /// does, around the SENCO meeting, the reviewers' reflection and the verbal feedback.
    pub fn draft(areas: &[String], review_type: &str) -> Self {
        use SessionKind::*;
        // A trust-level review meets leaders rather than visiting lessons and families.
        let day: &[(SessionKind, TimeOfDay, TimeOfDay, &str, &str)] = if review_type == "trust_send"
        {
            &[
                (
                    SencoMeeting,
                    TimeOfDay::at(9, 0),
                    TimeOfDay::at(10, 0),
                    "Meeting room",
                    "Trust SEND lead, SENCOs, review team",
                ),
                (
                    HeadMeeting,
                    TimeOfDay::at(10, 0),
                    TimeOfDay::at(10, 45),
                    "Meeting room",
                    "Headteachers, trust leaders, review team",
                ),
                (
                    LearningWalk,
                    TimeOfDay::at(11, 0),
                    TimeOfDay::at(12, 0),
                    "Around the school",
                    "SENCO, review team",
                ),
                (
                    WorkScrutiny,
                    TimeOfDay::at(13, 0),
                    TimeOfDay::at(14, 0),
                    "Meeting room",
                    "SENCOs, review team",
                ),
                (
                    GovernorsMeeting,
                    TimeOfDay::at(14, 0),
                    TimeOfDay::at(14, 30),
                    "Meeting room",
                    "Trustees or governors, review team",
                ),
                (
                    Reflection,
                    TimeOfDay::at(14, 30),
                    TimeOfDay::at(15, 15),
                    "Meeting room",
                    "Review team",
                ),
                (
                    VerbalFeedback,
                    TimeOfDay::at(15, 15),
                    TimeOfDay::at(16, 0),
                    "Meeting room",
                    "Trust SEND lead, headteachers, review team",
                ),
            ]
        } else {
            &[
                (
                    SencoMeeting,
                    TimeOfDay::at(8, 45),
                    TimeOfDay::at(9, 30),
                    "SENCO's office",
                    "SENCO, review team",
                ),
                (
                    HeadMeeting,
                    TimeOfDay::at(9, 30),
                    TimeOfDay::at(10, 0),
                    "Headteacher's office",
                    "Headteacher, review team",
                ),
                (
                    LearningWalk,
                    TimeOfDay::at(10, 0),
                    TimeOfDay::at(11, 0),
                    "Around the school",
                    "SENCO, review team",
                ),
                (
                    LessonVisits,
                    TimeOfDay::at(11, 15),
                    TimeOfDay::at(12, 15),
                    "Classrooms",
                    "Class teachers, teaching assistants, review team",
                ),
                (
                    PupilVoice,
                    TimeOfDay::at(13, 0),
                    TimeOfDay::at(13, 30),
                    "Library",
                    "A small group of pupils with SEND, a familiar adult, review team",
                ),
                (
                    ParentVoice,
                    TimeOfDay::at(13, 30),
                    TimeOfDay::at(14, 0),
                    "Meeting room",
                    "Parents and carers, review team",
                ),
                (
                    WorkScrutiny,
                    TimeOfDay::at(14, 0),
                    TimeOfDay::at(14, 45),
                    "Meeting room",
                    "SENCO, review team",
                ),
                (
                    GovernorsMeeting,
                    TimeOfDay::at(14, 45),
                    TimeOfDay::at(15, 15),
                    "Meeting room",
                    "SEND governor, review team",
                ),
                (
                    Reflection,
                    TimeOfDay::at(15, 15),
                    TimeOfDay::at(15, 45),
                    "Meeting room",
                    "Review team",
                ),
                (
                    VerbalFeedback,
                    TimeOfDay::at(15, 45),
                    TimeOfDay::at(16, 15),
                    "Headteacher's office",
                    "Headteacher, SENCO, review team",
                ),
            ]
        };
        let mut sessions = Vec::new();
        for (kind, start, end, place, attendees) in day {
            // An area of another framework, which no usual session names, is met in the
            // SENCO meeting and on the learning walk.
            let general = matches!(kind, SencoMeeting | LearningWalk);
            let served: Vec<String> = match kind.serves() {
                None => areas.to_vec(),
                Some(usual) => areas
                    .iter()
                    .filter(|a| usual.contains(&a.as_str()) || (general && !usually_served(a)))
                    .cloned()
                    .collect(),
            };
            // The SENCO meeting always opens the day; other sessions come if they serve an area.
            if served.is_empty() && kind.serves().is_some() && *kind != SencoMeeting {
                continue;
            }
            sessions.push(Session {
                id: format!("s{}", sessions.len() + 1),
                kind: *kind,
                start: start.to_string(),
                end: end.to_string(),
                place: (*place).to_owned(),
                attendees: (*attendees).to_owned(),
                areas: served,
            });
        }
        let next_id = sessions.len() as u32 + 1;
        Plan { sessions, next_id }
    }
}

/// A plan form field's row (1-based, within the rows a form can have) and part:
/// `session-2-start` is `(2, "start")`.
fn row_field(name: &str) -> Option<(usize, &str)> {
    let (row, part) = name.strip_prefix("session-")?.split_once('-')?;
    let row: usize = row.parse().ok()?;
    (1..=MAX_SESSIONS + BLANK_ROWS)
        .contains(&row)
        .then_some((row, part))
}

/// One line of `text` as typed, or its length in characters if over `max`.
fn limited(text: &str, max: usize) -> Result<String, usize> {
    let text = line(text);
    let count = text.chars().count();
    if count > max { Err(count) } else { Ok(text) }
}

fn push(errors: &mut Vec<PlanFieldError>, row: usize, part: &str, message: String) {
    errors.push(PlanFieldError {
        field: field_id(row, part),
        message,
    });
}

/// Row `n`'s time in its `part` field (`which`: "starts" or "ends"), or its problem.
fn time(
    errors: &mut Vec<PlanFieldError>,
    n: usize,
    (part, which): (&str, &str),
    text: &str,
) -> Option<TimeOfDay> {
    let parsed = TimeOfDay::parse(text);
    if parsed.is_none() {
        let message = if text.trim().is_empty() {
            format!("Enter the time session {n} {which}")
        } else {
            format!("Enter the time session {n} {which} as hours and minutes, like 09:30")
        };
        push(errors, n, part, message);
    }
    parsed
}

/// Whether some usual session names `area` among those it serves.
fn usually_served(area: &str) -> bool {
    SessionKind::ALL
        .iter()
        .any(|kind| kind.serves().is_some_and(|usual| usual.contains(&area)))
}

fn is_session_id(id: &str) -> bool {
    id.strip_prefix('s')
        .is_some_and(|n| !n.is_empty() && n.len() <= 6 && n.bytes().all(|b| b.is_ascii_digit()))
}

fn highest_id(raw: &RawPlan) -> u32 {
    raw.rows
        .iter()
        .filter(|r| is_session_id(&r.id))
        .filter_map(|r| r.id[1..].parse().ok())
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests;
