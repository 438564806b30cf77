//! The rule as the condition of a workflow's write: on the request item ([`Guard`]) and on the
//! report item ([`report_check`]).

use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, TransactWriteItem};
use time::Date;

use super::{Action, Days, REPORT_SORT_KEY, ReportState, rule};
use crate::domain::format_date;
use crate::request::request_pk;
use crate::store::s;

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
