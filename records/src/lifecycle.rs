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
            (ChangeEvidence, NotNow(_)) => "Files cannot be added or deleted now.",
            (MoveVisit, Withdrawn | NotNow(_)) => "Only a booked visit can move",
            (MoveVisit, VisitDayCame | VisitTookPlace) => {
                "The visit has taken place, so its date can no longer change"
            }
            (MoveVisit, ReportSent(ReportState::Final)) => {
                "The report is final, so the visit date can no longer change"
            }
            (MoveVisit, ReportSent(_)) => {
                "The report has been sent to the school, so the visit date can no longer change"
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
            states: &[Submitted, Matching, Offered, Accepted, NeedsAttention],
            reports: NO_REPORT_OR_DRAFT,
            days: Days::BeforeVisitDay,
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
    if let Some(visit) = visit_date {
        match rule.days {
            Days::BeforeVisitDay if today >= visit => return refuse(Why::VisitDayCame),
            Days::UntilVisitDay if today > visit => return refuse(Why::VisitTookPlace),
            _ => {}
        }
    }
    if !rule.reports.contains(&stage.report) {
        // Only a saved report can be outside a rule (every rule allows "no report yet").
        if let Some(report) = stage.report {
            return refuse(Why::ReportSent(report));
        }
    }
    Ok(())
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
        let compare = match rule.days {
            Days::BeforeVisitDay => ">",
            Days::UntilVisitDay => ">=",
        };
        let expression = format!(
            "#lc_state IN ({}) AND (attribute_not_exists(#lc_lead) OR #lc_lead.visit_date {compare} :lc_today)",
            placeholders.join(", ")
        );
        values.push((":lc_today".into(), s(format_date(today))));
        Self {
            expression,
            names: vec![("#lc_state", "state"), ("#lc_lead", "lead")],
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
    }
}
