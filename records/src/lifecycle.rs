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

use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, TransactWriteItem};
use time::Date;

use crate::domain::format_date;
pub use crate::domain::stage::{ReportState, RequestState, Stage, UnknownState};
use crate::request::request_pk;
use crate::store::s;

/// The report item's sort key (`REQUEST#<id>` / `REPORT`).
pub const REPORT_SORT_KEY: &str = "REPORT";

/// Who acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Person {
    School,
    Lead,
    Second,
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
            (ChangeEvidence, NotNow(_) | VisitToCome) => "Files cannot be added or deleted now.",
            (MoveVisit, Withdrawn | NotNow(_) | VisitToCome) => "Only a booked visit can move",
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
/// Every state but `withdrawn`.
const OPEN: &[RequestState] = &[
    RequestState::Submitted,
    RequestState::Matching,
    RequestState::Offered,
    RequestState::Accepted,
    RequestState::NeedsAttention,
];

fn rule(action: Action) -> Rule {
    use RequestState::*;
    match action {
        // Moving the visit: booked, not yet past, and the report not yet sent to the school.
        Action::MoveVisit => Rule {
            who: &[Person::School, Person::Lead],
            states: &[Accepted],
            reports: NO_REPORT_OR_DRAFT,
            days: Days::UntilVisitDay,
        },
        // The reviewers prepare from the files: they stay as they are from the visit day on.
        Action::ChangeEvidence => Rule {
            who: &[Person::School],
            states: OPEN,
            reports: NO_REPORT_OR_DRAFT,
            days: Days::BeforeVisitDay,
        },
        // The school may start its self-evaluation as soon as it asks; a withdrawn request
        // takes nothing more. (Submitting locks the document itself.)
        Action::EditSelfEvaluation => Rule {
            who: &[Person::School],
            states: OPEN,
            reports: ANY_REPORT,
            days: Days::Always,
        },
        // The team prepares before the visit and writes up after it: only a booked review.
        Action::KeepNotes => Rule {
            who: &[Person::Lead, Person::Second],
            states: &[Accepted],
            reports: ANY_REPORT,
            days: Days::Always,
        },
        Action::WriteReport => Rule {
            who: &[Person::Lead, Person::Second],
            states: &[Accepted],
            reports: ANY_REPORT,
            days: Days::FromVisitDay,
        },
        Action::AnswerReport => Rule {
            who: &[Person::School],
            states: &[Accepted],
            reports: ANY_REPORT,
            days: Days::Always,
        },
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
        // Only a saved report can be outside a rule (every rule allows "no report yet").
        if let Some(report) = stage.report {
            return refuse(Why::ReportSent(report));
        }
    }
    Ok(())
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

/// The request-item part of an action's rule, as a DynamoDB condition on `REQUEST#<id>` /
/// `REQUEST`: its state is one the rule allows and its visit day (if booked) allows `today`.
pub struct Guard {
    pub expression: String,
    pub names: Vec<(&'static str, &'static str)>,
    pub values: Vec<(String, AttributeValue)>,
}

impl Guard {
    pub fn new(action: Action, today: Date) -> Self {
        let rule = rule(action);
        let mut values: Vec<(String, AttributeValue)> = rule
            .states
            .iter()
            .enumerate()
            .map(|(i, state)| (format!(":lc_state{i}"), s(state.as_str())))
            .collect();
        let placeholders: Vec<&str> = values.iter().map(|(name, _)| name.as_str()).collect();
        let in_states = format!("#lc_state IN ({})", placeholders.join(", "));
        let on_day = |compare: &str| {
            format!("(attribute_not_exists(#lc_lead) OR #lc_lead.visit_date {compare} :lc_today)")
        };
        let day = match rule.days {
            Days::BeforeVisitDay => Some(on_day(">")),
            Days::UntilVisitDay => Some(on_day(">=")),
            Days::FromVisitDay => Some("#lc_lead.visit_date <= :lc_today".to_owned()),
            Days::Always => None,
        };
        let mut names = vec![("#lc_state", "state")];
        let expression = match day {
            Some(day) => {
                values.push((":lc_today".into(), s(format_date(today))));
                names.push(("#lc_lead", "lead"));
                format!("{in_states} AND {day}")
            }
            None => in_states,
        };
        Self {
            expression,
            names,
            values,
        }
    }

    /// `update`'s condition `condition` (if any) and this guard.
    pub fn on_update(
        self,
        update: aws_sdk_dynamodb::types::builders::UpdateBuilder,
        condition: Option<&str>,
    ) -> aws_sdk_dynamodb::types::builders::UpdateBuilder {
        let expression = match condition {
            Some(condition) => format!("({condition}) AND {}", self.expression),
            None => self.expression,
        };
        let mut update = update.condition_expression(expression);
        for (placeholder, name) in self.names {
            update = update.expression_attribute_names(placeholder, name);
        }
        for (placeholder, value) in self.values {
            update = update.expression_attribute_values(placeholder, value);
        }
        update
    }

    /// Adds this guard to transaction `items` on request `request_id`: into the condition of
    /// the items' own update of the request item if there is one (a transaction may touch an
    /// item only once), else as a condition check of its own.
    pub fn add_to(self, table: &str, request_id: &str, items: &mut Vec<TransactWriteItem>) {
        let request_key = (s(request_pk(request_id)), s("REQUEST"));
        let position = items.iter().position(|item| {
            item.update().is_some_and(|update| {
                update.key().get("pk") == Some(&request_key.0)
                    && update.key().get("sk") == Some(&request_key.1)
            })
        });
        let Some(position) = position else {
            items.push(self.check(table, request_id));
            return;
        };
        let update = items[position]
            .update()
            .expect("found as an update")
            .clone();
        let expression = match update.condition_expression() {
            Some(condition) => format!("({condition}) AND {}", self.expression),
            None => self.expression,
        };
        let mut names = update
            .expression_attribute_names()
            .cloned()
            .unwrap_or_default();
        names.extend(
            self.names
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        let mut values = update
            .expression_attribute_values()
            .cloned()
            .unwrap_or_default();
        values.extend(self.values);
        let merged = aws_sdk_dynamodb::types::Update::builder()
            .set_key(Some(update.key().clone()))
            .update_expression(update.update_expression())
            .table_name(update.table_name())
            .condition_expression(expression)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .set_return_values_on_condition_check_failure(
                update.return_values_on_condition_check_failure().cloned(),
            )
            .build()
            .expect("the update it was built from is complete");
        items[position] = TransactWriteItem::builder().update(merged).build();
    }

    /// A transaction item checking this guard on request `request_id`'s item.
    pub fn check(self, table: &str, request_id: &str) -> TransactWriteItem {
        let mut check = ConditionCheck::builder()
            .table_name(table)
            .key("pk", s(request_pk(request_id)))
            .key("sk", s("REQUEST"))
            .condition_expression(self.expression);
        for (placeholder, name) in self.names {
            check = check.expression_attribute_names(placeholder, name);
        }
        for (placeholder, value) in self.values {
            check = check.expression_attribute_values(placeholder, value);
        }
        TransactWriteItem::builder()
            .condition_check(check.build().expect("complete condition check"))
            .build()
    }
}

/// The report part of an action's rule: a transaction item checking that request
/// `request_id`'s report is absent or in a state the rule allows.
pub fn report_check(table: &str, request_id: &str, action: Action) -> TransactWriteItem {
    let rule = rule(action);
    let states: Vec<ReportState> = rule.reports.iter().flatten().copied().collect();
    let placeholders: Vec<String> = (0..states.len())
        .map(|i| format!(":lc_report{i}"))
        .collect();
    let in_states = format!("#lc_state IN ({})", placeholders.join(", "));
    let expression = if rule.reports.contains(&None) {
        format!("attribute_not_exists(pk) OR {in_states}")
    } else {
        format!("attribute_exists(pk) AND {in_states}")
    };
    let mut check = ConditionCheck::builder()
        .table_name(table)
        .key("pk", s(request_pk(request_id)))
        .key("sk", s(REPORT_SORT_KEY))
        .condition_expression(expression)
        .expression_attribute_names("#lc_state", "state");
    for (placeholder, state) in placeholders.into_iter().zip(states) {
        check = check.expression_attribute_values(placeholder, s(state.as_str()));
    }
    TransactWriteItem::builder()
        .condition_check(check.build().expect("complete condition check"))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn stored_states_round_trip_and_unknown_ones_are_named() {
        for state in RequestState::ALL {
            assert_eq!(state.as_str().parse::<RequestState>(), Ok(*state));
            let json = serde_json::to_string(state).unwrap();
            assert_eq!(json, format!("\"{}\"", state.as_str()));
            assert_eq!(serde_json::from_str::<RequestState>(&json).unwrap(), *state);
        }
        for state in ReportState::ALL {
            assert_eq!(state.as_str().parse::<ReportState>(), Ok(*state));
        }
        let values: Vec<&str> = RequestState::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            values,
            [
                "submitted",
                "matching",
                "offered",
                "accepted",
                "needs_attention",
                "withdrawn"
            ]
        );
        let err = serde_json::from_str::<RequestState>("\"booked\"").unwrap_err();
        assert!(err.to_string().contains("unknown request state \"booked\""));
        assert!("Final".parse::<ReportState>().is_err());
    }

    const VISIT: Date = date!(2027 - 03 - 10);

    fn stage(request: RequestState, report: Option<ReportState>) -> Stage {
        Stage { request, report }
    }

    type Row = (
        Stage,
        Person,
        Action,
        Date,
        Option<Date>,
        Result<(), Refusal>,
    );

    #[test]
    fn the_rule_table() {
        use Action::*;
        use Person::*;
        use ReportState::{Checked, Draft, Final, Submitted as Sent};
        use RequestState::*;
        let before = date!(2027 - 03 - 09);
        let after = date!(2027 - 03 - 11);
        let ok = Ok(());
        let no = |action, why| Err(Refusal { action, why });
        #[rustfmt::skip]
        let table: &[Row] = &[
            // Moving the visit: school or lead, booked, until the visit day, report not sent.
            (stage(Accepted, None), School, MoveVisit, before, Some(VISIT), ok),
            (stage(Accepted, None), Lead, MoveVisit, before, Some(VISIT), ok),
            (stage(Accepted, None), Lead, MoveVisit, VISIT, Some(VISIT), ok),
            (stage(Accepted, Some(Draft)), School, MoveVisit, VISIT, Some(VISIT), ok),
            (stage(Accepted, None), Second, MoveVisit, before, Some(VISIT), no(MoveVisit, Why::NotTheirs)),
            (stage(Accepted, None), Administrator, MoveVisit, before, Some(VISIT), no(MoveVisit, Why::NotTheirs)),
            (stage(Accepted, None), School, MoveVisit, after, Some(VISIT), no(MoveVisit, Why::VisitTookPlace)),
            (stage(Accepted, None), Lead, MoveVisit, after, Some(VISIT), no(MoveVisit, Why::VisitTookPlace)),
            (stage(Accepted, Some(Sent)), Lead, MoveVisit, before, Some(VISIT), no(MoveVisit, Why::ReportSent(Sent))),
            (stage(Accepted, Some(Checked)), School, MoveVisit, before, Some(VISIT), no(MoveVisit, Why::ReportSent(Checked))),
            (stage(Accepted, Some(Final)), School, MoveVisit, before, Some(VISIT), no(MoveVisit, Why::ReportSent(Final))),
            (stage(Accepted, Some(Final)), Lead, MoveVisit, after, Some(VISIT), no(MoveVisit, Why::VisitTookPlace)),
            (stage(Offered, None), School, MoveVisit, before, None, no(MoveVisit, Why::NotNow(Offered))),
            (stage(Withdrawn, None), School, MoveVisit, before, Some(VISIT), no(MoveVisit, Why::Withdrawn)),
            // Evidence: the school, before the visit day, until the report is sent, never withdrawn.
            (stage(Submitted, None), School, ChangeEvidence, before, None, ok),
            (stage(NeedsAttention, None), School, ChangeEvidence, after, None, ok),
            (stage(Accepted, None), School, ChangeEvidence, before, Some(VISIT), ok),
            (stage(Accepted, None), School, ChangeEvidence, VISIT, Some(VISIT), no(ChangeEvidence, Why::VisitDayCame)),
            (stage(Accepted, Some(Final)), School, ChangeEvidence, before, Some(VISIT), no(ChangeEvidence, Why::ReportSent(Final))),
            (stage(Withdrawn, None), School, ChangeEvidence, before, Some(VISIT), no(ChangeEvidence, Why::Withdrawn)),
            (stage(Accepted, None), Lead, ChangeEvidence, before, Some(VISIT), no(ChangeEvidence, Why::NotTheirs)),
            // The self-evaluation: the school, any day, until the request is withdrawn.
            (stage(Submitted, None), School, EditSelfEvaluation, before, None, ok),
            (stage(Accepted, Some(Final)), School, EditSelfEvaluation, after, Some(VISIT), ok),
            (stage(Withdrawn, None), School, EditSelfEvaluation, before, Some(VISIT), no(EditSelfEvaluation, Why::Withdrawn)),
            (stage(Accepted, None), Lead, EditSelfEvaluation, before, Some(VISIT), no(EditSelfEvaluation, Why::NotTheirs)),
            // The team's notes: a booked review, any day.
            (stage(Accepted, None), Second, KeepNotes, before, Some(VISIT), ok),
            (stage(Withdrawn, None), Lead, KeepNotes, after, Some(VISIT), no(KeepNotes, Why::Withdrawn)),
            // The report: the team, from the visit day, on a booked review.
            (stage(Accepted, None), Lead, WriteReport, VISIT, Some(VISIT), ok),
            (stage(Accepted, Some(Checked)), Second, WriteReport, after, Some(VISIT), ok),
            (stage(Accepted, None), Lead, WriteReport, before, Some(VISIT), no(WriteReport, Why::VisitToCome)),
            (stage(Offered, None), Lead, WriteReport, after, None, no(WriteReport, Why::NotNow(Offered))),
            (stage(Withdrawn, Some(Draft)), Lead, WriteReport, after, Some(VISIT), no(WriteReport, Why::Withdrawn)),
            (stage(Accepted, None), School, WriteReport, after, Some(VISIT), no(WriteReport, Why::NotTheirs)),
            // The school's answers to the report (factual check, action plan).
            (stage(Accepted, Some(Sent)), School, AnswerReport, after, Some(VISIT), ok),
            (stage(Withdrawn, Some(Sent)), School, AnswerReport, after, Some(VISIT), no(AnswerReport, Why::Withdrawn)),
        ];
        for (i, (stage, person, action, today, visit, expected)) in table.iter().enumerate() {
            assert_eq!(
                allowed(*stage, *person, *action, *today, *visit),
                *expected,
                "row {i}: {stage:?} {person:?} {action:?} on {today}"
            );
        }
    }

    #[test]
    fn refusals_say_why() {
        let refusal = allowed(
            stage(RequestState::Accepted, Some(ReportState::Final)),
            Person::School,
            Action::MoveVisit,
            date!(2027 - 03 - 01),
            Some(VISIT),
        )
        .unwrap_err();
        assert_eq!(
            refusal.to_string(),
            "The report is final, so the visit date can no longer change"
        );
    }

    #[test]
    fn guards_name_the_allowed_states_and_the_day() {
        let guard = Guard::new(Action::MoveVisit, date!(2027 - 03 - 01));
        assert_eq!(
            guard.expression,
            "#lc_state IN (:lc_state0) AND (attribute_not_exists(#lc_lead) OR #lc_lead.visit_date >= :lc_today)"
        );
        assert_eq!(guard.values[0].1, s("accepted"));
        assert_eq!(guard.values[1], (":lc_today".into(), s("2027-03-01")));
        let evidence = Guard::new(Action::ChangeEvidence, date!(2027 - 03 - 01));
        assert!(evidence.expression.contains("visit_date > :lc_today"));
        assert_eq!(evidence.values.len(), 5 + 1);
        let report = Guard::new(Action::WriteReport, date!(2027 - 03 - 01));
        assert_eq!(
            report.expression,
            "#lc_state IN (:lc_state0) AND #lc_lead.visit_date <= :lc_today"
        );
        // No day in the rule: the guard names neither the lead nor today.
        let evaluation = Guard::new(Action::EditSelfEvaluation, date!(2027 - 03 - 01));
        assert!(!evaluation.expression.contains("lc_lead"));
        assert_eq!(evaluation.names, [("#lc_state", "state")]);
        assert_eq!(evaluation.values.len(), 5);
    }

    #[test]
    fn a_guard_joins_the_transactions_own_update_of_the_request() {
        let request_update = |condition: Option<&str>| {
            let update = aws_sdk_dynamodb::types::Update::builder()
                .table_name("t")
                .key("pk", s(request_pk("r1")))
                .key("sk", s("REQUEST"))
                .update_expression("SET purge_after = :date")
                .expression_attribute_values(":date", s("2028-01-01"))
                .set_condition_expression(condition.map(str::to_owned))
                .build()
                .unwrap();
            TransactWriteItem::builder().update(update).build()
        };
        let mut items = vec![request_update(Some("attribute_exists(pk)"))];
        Guard::new(Action::WriteReport, date!(2027 - 03 - 10)).add_to("t", "r1", &mut items);
        assert_eq!(items.len(), 1, "merged, not a second operation on the item");
        let merged = items[0].update().unwrap();
        assert_eq!(
            merged.condition_expression(),
            Some(
                "(attribute_exists(pk)) AND #lc_state IN (:lc_state0) AND #lc_lead.visit_date <= :lc_today"
            )
        );
        let values = merged.expression_attribute_values().unwrap();
        assert_eq!(values.len(), 3);
        assert_eq!(merged.expression_attribute_names().unwrap().len(), 2);

        let mut other = vec![];
        Guard::new(Action::WriteReport, date!(2027 - 03 - 10)).add_to("t", "r1", &mut other);
        assert!(other[0].condition_check().is_some());
    }

    #[test]
    fn a_guard_refusal_says_why_from_the_state_read_after_it() {
        use RequestState::*;
        let why = |action, state| refused_by_guard(action, state).why;
        assert_eq!(why(Action::EditSelfEvaluation, Withdrawn), Why::Withdrawn);
        assert_eq!(why(Action::WriteReport, Offered), Why::NotNow(Offered));
        assert_eq!(why(Action::WriteReport, Accepted), Why::VisitToCome);
        assert_eq!(why(Action::ChangeEvidence, Accepted), Why::VisitDayCame);
    }
}
