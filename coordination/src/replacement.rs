//! Replacing a booked reviewer who dropped out, lead or second: in one transaction the old
//! reviewer is released (their term's count goes down, their history entry for the visit goes,
//! and they get an email with an iCalendar `METHOD:CANCEL` of the visit's UID and a higher
//! SEQUENCE), and the new one, who must pass every hard rule on the visit's day, gets the
//! place's offer with the date fixed (accept or decline, no other date). Their old offer no
//! longer holds a place on the team, so their review link is refused from then on. A new lead
//! who declines or lets the offer expire puts the request in "needs attention" with the date
//! still fixed; the second reviewer keeps their place throughout. Refused once the visit has
//! come.

use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem, Update};
use records::audit::{Actor, AuditSubject};
use records::domain::request::long_date;
use records::lifecycle::{Action, Guard, RequestState};
use records::links::EmailLinks;
use records::outbox::{self, OutboxEmail, Programme, RenderError, RenderedEmail};
use records::request::{
    SEQUENCE_SEEN, StoredRequest, TeamMember, TimelineEvent, second_state, timeline_put,
};
use records::store::{Transacted, dynamo_error, n, s};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use workflows::matching::{Role, Term};
use workflows::offers::{MatchInputs, calendar};

use crate::named_offer::{Verdict, chosen, verdicts};
use crate::refusal::{Refused, administrator_may};
use crate::{Coordination, CoordinationError};

/// To a reviewer taken off a booked visit: the visit is off for them, with the calendar
/// entry's cancellation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReviewerReleased {
    pub reviewer_name: String,
    #[serde(flatten)]
    pub visit: calendar::CancelledVisit,
}

pub(crate) use records::outbox::{html_paragraphs, html_text};

impl OutboxEmail for ReviewerReleased {
    const KIND: &'static str = "reviewer_released";

    fn render(
        &self,
        programme: &Programme,
        _links: &EmailLinks,
    ) -> Result<RenderedEmail, RenderError> {
        let lines = [
            format!("Dear {},", self.reviewer_name),
            format!(
                "You are no longer on the review of {} (reference {}) on {}: another reviewer is taking your place. The attached calendar file removes the visit from your calendar.",
                self.visit.school_name, self.visit.reference, self.visit.visit_date_text
            ),
            format!(
                "Thank you. If this is a mistake, write to {}.",
                programme.contact_email
            ),
            programme.name.clone(),
        ];
        Ok(RenderedEmail {
            subject: format!(
                "Visit cancelled for you: {} on {}",
                self.visit.school_name, self.visit.visit_date_text
            ),
            text: lines.join("\n\n") + "\n",
            html: html_paragraphs(&lines),
            attachments: vec![self.visit.attachment(programme)],
        })
    }
}

/// The place a booked reviewer holds on a review team, as the coordinator's page names it.
fn place(role: Role) -> &'static str {
    match role {
        Role::Lead => "lead reviewer",
        Role::Second => "second reviewer",
    }
}

/// The reviewer booked in `role`'s place on `stored`, if the lifecycle lets a reviewer be
/// replaced on `today` (a booked review whose visit day has not come).
fn replaceable(
    stored: &StoredRequest,
    role: Role,
    today: time::Date,
) -> Result<&TeamMember, Refused> {
    administrator_may(stored, Action::ReplaceReviewer, today)?;
    let member = match role {
        Role::Lead => stored.lead.as_ref(),
        Role::Second => stored.second.as_ref(),
    };
    let member =
        member.ok_or_else(|| Refused::Workflow(format!("no {} is booked", place(role))))?;
    if role == Role::Lead && stored.date_change.is_some() {
        return Err(Refused::Workflow(
            "a new visit date is waiting for an answer: it must be answered first".into(),
        ));
    }
    Ok(member)
}

/// Whether the page offers to replace the reviewer in `role`'s place.
pub(crate) fn place_replaceable(stored: &StoredRequest, role: Role, today: time::Date) -> bool {
    replaceable(stored, role, today).is_ok()
}

/// What the matcher reads for `role`'s place on its booked day, the booked reviewer left out.
async fn inputs_for(
    coordination: &Coordination,
    stored: &StoredRequest,
    role: Role,
    booked: &TeamMember,
    today: time::Date,
) -> Result<MatchInputs, CoordinationError> {
    let mut fixed = stored.clone();
    if role == Role::Lead {
        fixed.fixed_visit_date = Some(records::domain::format_date(booked.visit_date));
    }
    let mut inputs = coordination
        .workflow
        .match_inputs(&fixed, role, today)
        .await?;
    if let Ok(old) = booked.reviewer_id.parse() {
        inputs.exclude(old);
    }
    Ok(inputs)
}

impl Coordination {
    /// Every active reviewer judged for `role`'s place on its booked day, the booked reviewer
    /// left out (they are the one being replaced). Empty when the place cannot be replaced.
    pub async fn replacement_verdicts(
        &self,
        stored: &StoredRequest,
        role: Role,
        now: time::OffsetDateTime,
    ) -> Result<Vec<Verdict>, CoordinationError> {
        let Ok(booked) = replaceable(stored, role, now.date()) else {
            return Ok(Vec::new());
        };
        let inputs = inputs_for(self, stored, role, booked, now.date()).await?;
        Ok(verdicts(&inputs.rank())
            .into_iter()
            .filter(|v| v.reviewer_id != booked.reviewer_id)
            .collect())
    }

    /// Replaces the reviewer booked in `role`'s place on request `id` by `reviewer_id` (see
    /// the module).
    pub async fn replace(
        &self,
        actor: &Actor,
        id: &str,
        role: Role,
        reviewer_id: &str,
        seen_on_page: &str,
    ) -> Result<Result<(), Refused>, CoordinationError> {
        let stored = match self.as_seen(id, seen_on_page).await? {
            Ok(stored) => stored,
            Err(refused) => return Ok(Err(refused)),
        };
        let old = match replaceable(&stored, role, actor.at.date()) {
            Ok(old) => old.clone(),
            Err(refused) => return Ok(Err(refused)),
        };
        let Ok(old_id) = old.reviewer_id.parse() else {
            return Ok(Err(Refused::Workflow(
                "the booked reviewer is unreadable".into(),
            )));
        };
        let inputs = inputs_for(self, &stored, role, &old, actor.at.date()).await?;
        let outcome = inputs.rank();
        let candidate = match chosen(&outcome, reviewer_id, Some(&old.reviewer_id)) {
            Ok(candidate) => candidate,
            Err(refused) => return Ok(Err(refused)),
        };
        let Some(old_reviewer) = inputs.pool.iter().find(|r| r.id == old_id) else {
            return Ok(Err(Refused::Workflow(
                "the booked reviewer is no longer in the pool".into(),
            )));
        };
        let table = self.workflow.table();
        let name = table.name.as_str();
        let (offer_id, mut items) =
            self.workflow
                .offer_items(&stored, &inputs, candidate.reviewer, actor.at)?;
        // The offer's own request update expects a search under way; a replacement starts
        // from the booked team instead.
        items[0] = request_update(name, &stored, role, &old, &offer_id);
        Guard::new(Action::ReplaceReviewer, actor.at.date()).add_to(name, &stored.id, &mut items);
        let at = actor.at.format(&Rfc3339).unwrap_or_default();
        let old_pk = records::reviewers::profile_pk(old_id);
        let visit_day = old.visit_date;
        items.push(release_capacity(name, &old_pk, Term::of(visit_day)));
        items.push(
            TransactWriteItem::builder()
                .delete(
                    Delete::builder()
                        .table_name(name)
                        .key("pk", s(&old_pk))
                        .key("sk", s(format!("REVIEW#{}#{}", old.visit_date, stored.id)))
                        .build()
                        .expect("complete delete"),
                )
                .build(),
        );
        let released = ReviewerReleased {
            reviewer_name: old.reviewer_name.clone(),
            visit: calendar::CancelledVisit {
                request_id: stored.id.clone(),
                reference: stored.reference.to_string(),
                school_name: stored.request.school.name.to_string(),
                visit_date: records::domain::format_date(old.visit_date),
                visit_date_text: long_date(visit_day),
                sequence: stored.visit_sequence + 1,
                cancelled_at: at.clone(),
                attendee: Some(calendar::Attendee::of_reviewer(old_reviewer)),
            },
        };
        items.push(outbox::put(
            name,
            Some(&stored.id),
            &old_reviewer.email,
            &released,
            actor.at,
        ));
        let (kind, detail) = match role {
            Role::Lead => (
                "lead_reviewer_replaced",
                "The lead reviewer can no longer come: another has been asked for the same day.",
            ),
            Role::Second => (
                "second_reviewer_replaced",
                "The second reviewer can no longer come: another has been asked.",
            ),
        };
        items.push(timeline_put(
            name,
            &stored.id,
            &TimelineEvent::new(at, kind, Some(detail.into())),
        ));
        let subject = AuditSubject::Request {
            id: stored.id.clone(),
            reference: stored.reference.to_string(),
        };
        let detail = format!(
            "replaced the {} {} by an offer to {} for {}",
            place(role),
            old.reviewer_name,
            candidate.reviewer.name,
            old.visit_date
        );
        items.push(
            actor
                .entry(format!("{} replaced", place(role)), subject, detail)
                .transact_put(table)?,
        );
        match table
            .transact(items)
            .await
            .map_err(|e| dynamo_error("TransactWriteItems", e))?
        {
            Transacted::Committed => Ok(Ok(())),
            Transacted::Cancelled(_) => Ok(Err(Refused::Stale)),
        }
    }
}

/// The request: the booked reviewer `old` leaves `role`'s place, and offer `offer_id` waits
/// for the new one. A lead's place is offered again for the booked day only (the request is
/// "offered" until the new lead answers; the second keeps their place), and the old lead is
/// not asked again.
/// The calendar's SEQUENCE goes up (the old reviewer's entry is cancelled with it), from the one
/// read: a plan change or a date move in between makes the page's action stale instead of
/// sending a second file with the same SEQUENCE.
fn request_update(
    table: &str,
    stored: &StoredRequest,
    role: Role,
    old: &TeamMember,
    offer_id: &str,
) -> TransactWriteItem {
    let update = Update::builder()
        .table_name(table)
        .key("pk", s(records::keys::request_pk(&stored.id)))
        .key("sk", s("REQUEST"))
        .expression_attribute_values(":sequence", n(stored.visit_sequence + 1))
        .expression_attribute_values(":seen_sequence", n(stored.visit_sequence))
        .expression_attribute_names("#state", "state")
        .expression_attribute_values(":offer", s(offer_id))
        .expression_attribute_values(":accepted", s(RequestState::Accepted.as_str()))
        .expression_attribute_values(":old", s(&old.reviewer_id));
    let update = match role {
        Role::Lead => update
            .update_expression(
                "SET #state = :offered, gsi1pk = :index, open_offer = :offer, \
                 fixed_visit_date = :date, excluded_reviewers = \
                 list_append(if_not_exists(excluded_reviewers, :none), :old_list), \
                 visit_sequence = :sequence REMOVE #lead",
            )
            .condition_expression(format!(
                "#state = :accepted AND #lead.reviewer_id = :old \
                 AND attribute_not_exists(open_offer) AND attribute_not_exists(date_change) \
                 AND {SEQUENCE_SEEN}"
            ))
            .expression_attribute_names("#lead", "lead")
            .expression_attribute_values(":offered", s(RequestState::Offered.as_str()))
            .expression_attribute_values(
                ":index",
                s(records::keys::state_index_key(
                    RequestState::Offered.as_str(),
                )),
            )
            .expression_attribute_values(":date", s(records::domain::format_date(old.visit_date)))
            .expression_attribute_values(":none", AttributeValue::L(Vec::new()))
            .expression_attribute_values(":old_list", AttributeValue::L(vec![s(&old.reviewer_id)])),
        Role::Second => update
            .update_expression(
                "SET second_state = :offered, second_offer = :offer, visit_sequence = :sequence \
                 REMOVE #second",
            )
            .condition_expression(format!(
                "#state = :accepted AND second_state = :booked AND #second.reviewer_id = :old \
                 AND {SEQUENCE_SEEN}"
            ))
            .expression_attribute_names("#second", "second")
            .expression_attribute_values(":offered", s(second_state::OFFERED))
            .expression_attribute_values(":booked", s(second_state::ACCEPTED)),
    };
    TransactWriteItem::builder()
        .update(update.build().expect("complete update"))
        .build()
}

/// One review fewer in the reviewer's term (never below zero).
fn release_capacity(table: &str, reviewer_pk: &str, term: Term) -> TransactWriteItem {
    let update = Update::builder()
        .table_name(table)
        .key("pk", s(reviewer_pk))
        .key("sk", s(format!("TERM#{term}")))
        .update_expression("ADD booked :minus_one")
        .condition_expression("booked >= :one")
        .expression_attribute_values(":minus_one", n(-1))
        .expression_attribute_values(":one", n(1))
        .build()
        .expect("complete update");
    TransactWriteItem::builder().update(update).build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_released_reviewer_gets_the_cancellation_of_the_visits_entry() {
        let programme = records::outbox::example_programme();
        let email: ReviewerReleased = serde_json::from_str(
            r#"{"reviewer_name":"Bea Second","request_id":"01REQ","reference":"SR-7K3M-Q9",
                "school_name":"Brook Primary; Infants, Juniors","visit_date":"2027-03-04",
                "visit_date_text":"4 March 2027","sequence":2,"cancelled_at":"2027-02-01T09:30:00Z",
                "attendee":{"name":"Bea Second","email":"bea@example.org"}}"#,
        )
        .unwrap();
        let rendered = email
            .render(
                &programme,
                &records::links::LinkSecret::from_bytes(&[7; 32])
                    .unwrap()
                    .for_email(0),
            )
            .unwrap();
        assert_eq!(
            rendered.subject,
            "Visit cancelled for you: Brook Primary; Infants, Juniors on 4 March 2027"
        );
        assert!(rendered.html.contains("Brook Primary; Infants, Juniors"));
        let cancel = &rendered.attachments[0];
        assert_eq!(
            (cancel.filename.as_str(), cancel.content_type.as_str()),
            ("cancel.ics", "text/calendar; method=CANCEL; charset=UTF-8")
        );
        let ics = String::from_utf8(cancel.content.clone()).unwrap();
        for line in ["METHOD:CANCEL", "UID:01REQ@send-review", "SEQUENCE:2"] {
            assert!(ics.contains(&format!("{line}\r\n")), "{line} in {ics}");
        }
        assert!(
            ics.replace("\r\n ", "")
                .contains("mailto:bea@example.org\r\n")
        );
    }
}
