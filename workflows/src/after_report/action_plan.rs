//! The school's action plan: once the report is final, each recommendation is a row the school
//! keeps up to date, who owns it, by when, how far it has got (a closed list: not started, in
//! progress, done, dropped) and notes. Stored as a [`records::versioned`] document
//! (`REQUEST#<id>` / `ACTION_PLAN`, always `open`): a save from an old page or a second tab
//! stores nothing and shows both versions. The action texts are the report's, copied into each
//! row; the school cannot change them.
//!
//! **Termly reminders.** The SEND Code of Practice expects progress to be reviewed at least
//! termly, so the scheduled function asks each school once a term ([`Term`]), from the
//! [`REMINDER_DAY`]th of the term's first month, to update its plan: every request whose report
//! became final before that term began (the requests with a final report are those in the
//! retention index, `crate::retention`, whose marker the finalising transaction writes). Once a
//! term's sweep has finished, a marker item says so and later runs cost one read; each request's
//! email is sent once, with a per-term flag on the request set in the same transaction as the
//! outbox item (so a sweep that stops half way is simply run again).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime};

use crate::matching::Term;
use crate::report::ReportFieldError;
use crate::retention;
use records::domain::format_date;
use records::domain::request::{long_date, parse_date_input};
use records::outbox;
use records::request::{Recommendation, StoredRequest, request_pk};
use records::store::{StoreError, Table, Transacted, dynamo_error, get_s, s};
use records::versioned::{Kind, Versioned};

pub const KIND: Kind = Kind {
    sort_key: records::keys::ACTION_PLAN_SK,
    editable: &[OPEN],
    action: records::lifecycle::Action::AnswerReport,
};
/// The plan's one state: the school may edit it for as long as the request is kept.
pub const OPEN: &str = "open";

pub const MAX_OWNER_CHARS: usize = 120;
pub const MAX_NOTES_CHARS: usize = 1500;

/// How far an action has got.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    #[default]
    NotStarted,
    InProgress,
    Done,
    /// The school decided not to do it (the notes say why).
    Dropped,
}

impl ActionStatus {
    pub const ALL: [ActionStatus; 4] = [
        ActionStatus::NotStarted,
        ActionStatus::InProgress,
        ActionStatus::Done,
        ActionStatus::Dropped,
    ];

    /// The form and storage value.
    pub const fn as_str(self) -> &'static str {
        match self {
            ActionStatus::NotStarted => "not_started",
            ActionStatus::InProgress => "in_progress",
            ActionStatus::Done => "done",
            ActionStatus::Dropped => "dropped",
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            ActionStatus::NotStarted => "Not started",
            ActionStatus::InProgress => "In progress",
            ActionStatus::Done => "Done",
            ActionStatus::Dropped => "Dropped",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value.trim())
    }
}

/// One recommendation's row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionRow {
    /// The recommendation, as the final report words it.
    pub action: String,
    pub owner: String,
    /// `YYYY-MM-DD`; as typed while the form has an error.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub target_date: String,
    pub status: ActionStatus,
    pub notes: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionPlan {
    pub rows: Vec<ActionRow>,
}

impl ActionPlan {
    /// The plan for a report's `recommendations`: the stored rows where there are some, a new
    /// row (not started) for each other recommendation; the action texts always the report's.
    pub fn for_report(recommendations: &[Recommendation], stored: Option<&ActionPlan>) -> Self {
        let rows = recommendations
            .iter()
            .enumerate()
            .map(|(i, recommendation)| ActionRow {
                action: recommendation.action.to_string(),
                ..stored
                    .and_then(|plan| plan.rows.get(i))
                    .cloned()
                    .unwrap_or_default()
            })
            .collect();
        Self { rows }
    }

    /// How many actions have each status, leaving out those none has ("2 done", "1 in
    /// progress").
    pub fn progress(&self) -> Vec<String> {
        ActionStatus::ALL
            .into_iter()
            .filter_map(|status| {
                let count = self.rows.iter().filter(|r| r.status == status).count();
                (count > 0).then(|| format!("{count} {}", status.label().to_lowercase()))
            })
            .collect()
    }
}

/// The form fields of row `n` (1-based); each is also the control's id.
pub fn owner_field(n: usize) -> String {
    format!("owner-{n}")
}
pub fn target_date_field(n: usize) -> String {
    format!("target_date-{n}")
}
pub fn status_field(n: usize) -> String {
    format!("status-{n}")
}
pub fn notes_field(n: usize) -> String {
    format!("notes-{n}")
}

/// Text as typed: line endings normalised (multi-line) or line breaks dropped, other control
/// characters dropped, surrounding space trimmed.
fn as_typed(value: Option<&String>, multi_line: bool) -> String {
    let value = value.map(|v| v.replace("\r\n", "\n")).unwrap_or_default();
    value
        .chars()
        .filter(|c| !c.is_control() || (multi_line && matches!(c, '\n' | '\t')))
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Reads the posted form for the report's `recommendations`: one row each, text kept as typed.
/// Too-long text, a target date that is not a real date and an unknown status are errors,
/// each on its own field; the plan comes back as typed either way, to show again.
pub fn parse(
    form: &HashMap<String, String>,
    recommendations: &[Recommendation],
) -> (ActionPlan, Vec<ReportFieldError>) {
    let mut errors = Vec::new();
    let mut error =
        |field: String, message: String| errors.push(ReportFieldError { field, message });
    let mut rows = Vec::with_capacity(recommendations.len());
    for (i, recommendation) in recommendations.iter().enumerate() {
        let n = i + 1;
        let owner = as_typed(form.get(&owner_field(n)), false);
        let length = owner.chars().count();
        if length > MAX_OWNER_CHARS {
            error(
                owner_field(n),
                format!(
                    "The owner of action {n} must be {MAX_OWNER_CHARS} characters or fewer (it has {length})"
                ),
            );
        }
        let notes = as_typed(form.get(&notes_field(n)), true);
        let length = notes.chars().count();
        if length > MAX_NOTES_CHARS {
            error(
                notes_field(n),
                format!(
                    "The notes on action {n} must be {MAX_NOTES_CHARS} characters or fewer (they have {length})"
                ),
            );
        }
        let typed_date = as_typed(form.get(&target_date_field(n)), false);
        let target_date = if typed_date.is_empty() {
            String::new()
        } else {
            match parse_date_input(&typed_date) {
                Some(date) => format_date(date),
                None => {
                    error(
                        target_date_field(n),
                        format!(
                            "Enter the target date of action {n} as a real date, for example 31/3/2027"
                        ),
                    );
                    typed_date
                }
            }
        };
        let status = match form
            .get(&status_field(n))
            .and_then(|v| ActionStatus::parse(v))
        {
            Some(status) => status,
            None => {
                error(status_field(n), format!("Choose the status of action {n}"));
                ActionStatus::default()
            }
        };
        rows.push(ActionRow {
            action: recommendation.action.to_string(),
            owner,
            target_date,
            status,
            notes,
        });
    }
    (ActionPlan { rows }, errors)
}

/// Reminders go out from this day of each term's first month (schools are back by then).
pub const REMINDER_DAY: u8 = 15;

/// The first day of `term` (1 September, 1 January, 1 April).
pub fn term_first_day(term: Term) -> Date {
    let (year, month) = match term {
        Term::Autumn(year) => (year, Month::September),
        Term::Spring(year) => (year, Month::January),
        Term::Summer(year) => (year, Month::April),
    };
    Date::from_calendar_date(year, month, 1).expect("the first of a month exists")
}

/// The day `term`'s reminders start.
pub fn reminder_day(term: Term) -> Date {
    term_first_day(term)
        .replace_day(REMINDER_DAY)
        .expect("every month has a 15th")
}

/// `2027-autumn`: names a term in keys and flags.
fn term_key(term: Term) -> String {
    let (year, name) = match term {
        Term::Autumn(year) => (year, "autumn"),
        Term::Spring(year) => (year, "spring"),
        Term::Summer(year) => (year, "summer"),
    };
    format!("{year}-{name}")
}

const SWEEP_PK: &str = "ACTION_PLAN_REMINDERS";

/// Asks every school whose report became final before this term began to update its action
/// plan, once this term (see the module docs). Returns how many were asked on this run.
pub async fn send_reminders(table: &Table, now: OffsetDateTime) -> Result<usize, StoreError> {
    let today = now.date();
    let term = Term::of(today);
    if today < reminder_day(term) {
        return Ok(0);
    }
    let key = term_key(term);
    let sweep_sk = format!("TERM#{key}");
    let done = table
        .client
        .get_item()
        .table_name(&table.name)
        .key("pk", s(SWEEP_PK))
        .key("sk", s(&sweep_sk))
        .send()
        .await
        .map_err(|e| dynamo_error("GetItem", e))?
        .item;
    if done.is_some() {
        return Ok(0);
    }
    let flag = format!("action_plan_reminded_{}", key.replace('-', "_"));
    let at = now.format(&Rfc3339).unwrap_or_default();
    let markers = table
        .index_items(retention::DUE_INDEX_KEY, None)
        .await
        .map_err(|e| dynamo_error("Query", e))?;
    let mut sent = 0;
    for request_id in markers.iter().filter_map(|m| get_s(m, "request_id")) {
        let Some(report) = super::final_report(table, request_id).await? else {
            continue;
        };
        // A follow-up's report may give no new recommendations: then there is no plan to keep.
        if report.report.recommendations.is_empty() {
            continue;
        }
        let finalised_on = report
            .finalised_at
            .as_deref()
            .and_then(|at| OffsetDateTime::parse(at, &Rfc3339).ok())
            .map(|at| at.date());
        if finalised_on.is_none_or(|day| day >= term_first_day(term)) {
            continue;
        }
        let item = table.get(request_pk(request_id), "REQUEST").await?;
        let Some(item) = item.filter(|item| !item.contains_key(&flag)) else {
            continue;
        };
        let Ok(stored) = serde_dynamo::from_item::<_, StoredRequest>(item) else {
            continue;
        };
        let saved: Option<Versioned<ActionPlan>> = KIND.get(table, request_id).await?;
        let plan = ActionPlan::for_report(
            &report.report.recommendations,
            saved.as_ref().map(|s| &s.body),
        );
        let email = ActionPlanReminder {
            request_id: stored.id.clone(),
            reference: stored.reference.to_string(),
            school_name: stored.request.school.name.to_string(),
            addressee: stored.request.contact.name.to_string(),
            term: term.to_string(),
            actions: plan.rows.len(),
            progress: plan.progress(),
            last_updated: saved
                .as_ref()
                .and_then(|s| OffsetDateTime::parse(&s.updated_at, &Rfc3339).ok())
                .map(|at| long_date(at.date())),
        };
        let items = vec![
            records::request::flag_once(table, request_id, &flag, &at, None),
            outbox::put(
                &table.name,
                Some(request_id),
                stored.request.contact.email.as_str(),
                &email,
                now,
            ),
        ];
        match table.transact(items).await {
            Ok(Transacted::Committed) => sent += 1,
            // Another run asked it first, or the request was purged meanwhile.
            Ok(Transacted::Cancelled(_)) => {}
            Err(err) => return Err(dynamo_error("TransactWriteItems", err)),
        }
    }
    table
        .client
        .put_item()
        .table_name(&table.name)
        .item("pk", s(SWEEP_PK))
        .item("sk", s(sweep_sk))
        .item("done_at", s(at))
        .send()
        .await
        .map_err(|e| dynamo_error("PutItem", e))?;
    Ok(sent)
}

/// The termly email asking the school to update its action plan.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ActionPlanReminder {
    pub request_id: String,
    pub reference: String,
    pub school_name: String,
    /// Whom the email greets.
    pub addressee: String,
    /// `spring term 2028`.
    pub term: String,
    /// How many actions the plan has.
    pub actions: usize,
    /// `2 done`, `1 in progress`...
    pub progress: Vec<String>,
    /// When the school last saved it, if ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
}

crate::emails::outbox_email!(
    ActionPlanReminder,
    kind: "action_plan_reminder",
    templates: "email/action_plan_reminder.html", "email/action_plan_reminder.txt",
    link: |email, site, links| records::links::status_link(
        site,
        links,
        &email.request_id,
        "/action-plan",
    ),
    subject: |email, programme| format!(
        "Time to update your action plan for the {}: {}",
        email.term, email.reference
    ),
);

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;
    use crate::test_support::form;
    use records::domain::request::Text;
    use records::links::LinkSecret;
    use records::outbox::{OutboxEmail, Programme};

    fn recommendations(n: usize) -> Vec<Recommendation> {
        (1..=n)
            .map(|i| Recommendation {
                action: Text::parse(&format!("Recommendation {i}"), 600, false).unwrap(),
                next_steps: None,
            })
            .collect()
    }

    #[test]
    fn each_recommendation_is_a_row_with_the_reports_words() {
        let recs = recommendations(2);
        let new = ActionPlan::for_report(&recs, None);
        assert_eq!(new.rows.len(), 2);
        assert_eq!(new.rows[1].action, "Recommendation 2");
        assert_eq!(new.rows[0].status, ActionStatus::NotStarted);
        assert_eq!(new.progress(), ["2 not started"]);

        let stored = ActionPlan {
            rows: vec![ActionRow {
                action: "an old text".into(),
                owner: "SENCO".into(),
                status: ActionStatus::Done,
                ..ActionRow::default()
            }],
        };
        let plan = ActionPlan::for_report(&recs, Some(&stored));
        assert_eq!(plan.rows[0].action, "Recommendation 1");
        assert_eq!(plan.rows[0].owner, "SENCO");
        assert_eq!(plan.rows[1], new.rows[1]);
        assert_eq!(plan.progress(), ["1 not started", "1 done"]);
    }

    #[test]
    fn the_form_keeps_text_as_typed_and_flags_each_bad_field() {
        let recs = recommendations(3);
        let long_notes = "n".repeat(MAX_NOTES_CHARS + 1);
        let (plan, errors) = parse(
            &form(&[
                ("owner-1", "  Ms Lee\n(SENCO) "),
                ("target_date-1", "31/3/2027"),
                ("status-1", "in_progress"),
                ("notes-1", "Started.\r\nTraining booked.\u{7}"),
                ("owner-2", &"o".repeat(MAX_OWNER_CHARS + 1)),
                ("target_date-2", "2027-02-30"),
                ("status-2", "finished"),
                ("notes-2", &long_notes),
                ("status-3", "dropped"),
            ]),
            &recs,
        );
        assert_eq!(plan.rows[0].owner, "Ms Lee(SENCO)");
        assert_eq!(plan.rows[0].target_date, "2027-03-31");
        assert_eq!(plan.rows[0].status, ActionStatus::InProgress);
        assert_eq!(plan.rows[0].notes, "Started.\nTraining booked.");
        assert_eq!(
            plan.rows[1].target_date, "2027-02-30",
            "kept as typed to correct"
        );
        assert_eq!(plan.rows[2].status, ActionStatus::Dropped);
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["owner-2", "notes-2", "target_date-2", "status-2"]);
        assert!(errors[2].message.contains("real date"));
        assert!(
            errors[0]
                .message
                .contains("120 characters or fewer (it has 121)")
        );
    }

    #[test]
    fn reminders_start_mid_way_through_each_terms_first_month() {
        assert_eq!(
            term_first_day(Term::of(date!(2027 - 11 - 20))),
            date!(2027 - 09 - 01)
        );
        assert_eq!(reminder_day(Term::Spring(2028)), date!(2028 - 01 - 15));
        assert_eq!(reminder_day(Term::Summer(2028)), date!(2028 - 04 - 15));
        assert_eq!(term_key(Term::Summer(2028)), "2028-summer");
    }

    #[test]
    fn the_reminder_links_to_the_plan_and_escapes_the_schools_text() {
        let programme = Programme {
            name: "Northshire SEND Reviews".into(),
            contact_email: "send@northshire.example".into(),
            sender_address: "reviews@example.org".into(),
            site_url: "https://reviews.example".into(),
        };
        let links = LinkSecret::from_bytes(&[7; 32]).unwrap();
        let email = ActionPlanReminder {
            request_id: "01REQ".into(),
            reference: "SR-7K3M-Q9".into(),
            school_name: "Brook <b>Primary</b>".into(),
            addressee: "Grace".into(),
            term: Term::Spring(2028).to_string(),
            actions: 3,
            progress: vec!["1 done".into(), "2 not started".into()],
            last_updated: None,
        };
        let rendered = email.render(&programme, &links.for_email(0)).unwrap();
        assert!(rendered.subject.contains("spring term 2028"));
        let link = format!(
            "https://reviews.example/status/{}/action-plan",
            links.status_token("01REQ", 0)
        );
        assert!(rendered.text.contains(&link));
        assert!(rendered.html.contains(&link));
        assert!(!rendered.html.contains("<b>Primary</b>"));
        assert!(rendered.text.contains("1 done, 2 not started"));
    }
}
