//! Moving a booked visit: one side asks for a new date, the other confirms it or keeps the
//! booked one; the team's term loads and review histories move with the visit.

use super::*;
use records::lifecycle::{Action, Guard, Person, allowed, report_check};

/// Who moves a visit from `side`: the school, or the lead reviewer.
fn mover(side: Side) -> Person {
    match side {
        Side::School => Person::School,
        Side::Reviewer => Person::Lead,
    }
}

impl Workflow {
    /// One side asks to move the booked visit of `request_id` to `date`; the other side is
    /// emailed a link to confirm it. Only one change can wait at a time.
    pub async fn ask_date_change(
        &self,
        request_id: &str,
        asked_by: Side,
        date: Date,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<DateChangeAnswer, WorkflowError> {
        let Some(stored) = self.request(request_id).await? else {
            return Ok(DateChangeAnswer::NotPossible(
                "there is no such request".into(),
            ));
        };
        let Some(lead) = stored
            .lead
            .as_ref()
            .filter(|_| stored.state == RequestState::Accepted)
        else {
            return Ok(DateChangeAnswer::NotPossible(
                "Only a booked visit can move".into(),
            ));
        };
        if let Err(refusal) = self.may_move(&stored, lead, asked_by, now).await? {
            return Ok(DateChangeAnswer::NotPossible(refusal));
        }
        if stored.date_change.is_some() {
            return Ok(DateChangeAnswer::NotPossible(
                "A new date is already waiting to be confirmed".into(),
            ));
        }
        if date == lead.visit_date {
            return Ok(DateChangeAnswer::InvalidDate(
                "That is the date already booked: choose another".into(),
            ));
        }
        let team = self.team_reviewers(&stored).await?;
        let checked_for: &[Reviewer] = if asked_by == Side::Reviewer {
            &team
        } else {
            &[]
        };
        if let Err(reason) = check_new_date(date, checked_for, now.date()) {
            return Ok(DateChangeAnswer::InvalidDate(reason));
        }
        let reason: String = reason
            .chars()
            .filter(|c| !c.is_control() || *c == '\n')
            .take(1000)
            .collect();
        let reason = reason.trim().to_owned();
        let change = DateChange {
            proposed_date: date,
            asked_by,
            reason: reason.clone(),
            asked_at: now.format(&Rfc3339).unwrap_or_default(),
        };
        let table = self.table.name.as_str();
        let asker = match asked_by {
            Side::School => stored.request.school.name.to_string(),
            Side::Reviewer => lead.reviewer_name.clone(),
        };
        let lead_email = team.first().map(|r| r.email.clone()).unwrap_or_default();
        let (to, email) = (
            match asked_by {
                Side::School => lead_email,
                Side::Reviewer => stored.request.contact.email.as_str().to_owned(),
            },
            (emails::DateChange {
                to_school: asked_by == Side::Reviewer,
                kept: false,
                request_id: stored.id.clone(),
                reference: stored.reference.to_string(),
                school_name: stored.request.school.name.to_string(),
                asked_by: asker.clone(),
                current_date_text: long_date(lead.visit_date),
                proposed_date_text: long_date(date),
                reason,
                review_link: (asked_by == Side::School).then(|| review_link_for(lead)),
            }),
        );
        let ask = update(table, &request_pk(&stored.id), "REQUEST");
        let items = vec![
            Guard::new(Action::MoveVisit, now.date())
                .on_update(
                    ask,
                    Some(
                        "#state = :accepted AND attribute_not_exists(date_change) \
                         AND #lead.visit_date = :current",
                    ),
                )
                .update_expression("SET date_change = :change")
                .expression_attribute_names("#state", "state")
                .expression_attribute_names("#lead", "lead")
                .expression_attribute_values(":accepted", s(RequestState::Accepted.as_str()))
                .expression_attribute_values(":current", s(format_date(lead.visit_date)))
                .expression_attribute_values(
                    ":change",
                    AttributeValue::M(serde_dynamo::to_item(&change).expect("a change serialises")),
                )
                .into_item(),
            timeline_put(
                table,
                &stored.id,
                &TimelineEvent {
                    at: change.asked_at.clone(),
                    kind: "date_change_asked".into(),
                    detail: Some(format!(
                        "{asker} asked to move the visit to {}.",
                        long_date(date)
                    )),
                },
            ),
            outbox::put(table, Some(&stored.id), &to, &email, now),
            report_check(table, &stored.id, Action::MoveVisit),
        ];
        Ok(match self.commit(items).await? {
            Transacted::Committed => DateChangeAnswer::Asked,
            Transacted::Cancelled(_) => {
                DateChangeAnswer::NotPossible("The review changed meanwhile: try again".into())
            }
        })
    }

    /// The side that did not ask confirms the new date (the visit moves for the whole team,
    /// with new calendar files) or keeps the booked one.
    pub async fn answer_date_change(
        &self,
        request_id: &str,
        answered_by: Side,
        confirm: bool,
        now: OffsetDateTime,
    ) -> Result<DateChangeAnswer, WorkflowError> {
        let Some(stored) = self.request(request_id).await? else {
            return Ok(DateChangeAnswer::NotPossible(
                "there is no such request".into(),
            ));
        };
        let (Some(change), Some(lead)) = (stored.date_change.as_ref(), stored.lead.as_ref()) else {
            return Ok(DateChangeAnswer::NotPossible(
                "There is no new date waiting to be confirmed".into(),
            ));
        };
        if change.asked_by == answered_by {
            return Ok(DateChangeAnswer::NotPossible(
                "You asked for this change: the other side confirms it".into(),
            ));
        }
        let table = self.table.name.as_str();
        let at = now.format(&Rfc3339).unwrap_or_default();
        let (new_date, old_date) = (change.proposed_date, lead.visit_date);
        let team = self.team_reviewers(&stored).await?;
        // Keeping the booked date is always possible; moving it, only while the rule allows.
        let condition = "date_change.proposed_date = :proposed AND date_change.asked_by = :asker \
                         AND #lead.visit_date = :current";
        let request_update = update(table, &request_pk(&stored.id), "REQUEST")
            .expression_attribute_names("#lead", "lead")
            .expression_attribute_values(":proposed", s(format_date(change.proposed_date)))
            .expression_attribute_values(
                ":asker",
                serde_dynamo::to_attribute_value(change.asked_by).expect("a side serialises"),
            )
            .expression_attribute_values(":current", s(format_date(lead.visit_date)));
        if !confirm {
            let kept = emails::DateChange {
                to_school: change.asked_by == Side::School,
                kept: true,
                request_id: stored.id.clone(),
                reference: stored.reference.to_string(),
                school_name: stored.request.school.name.to_string(),
                asked_by: String::new(),
                current_date_text: long_date(lead.visit_date),
                proposed_date_text: long_date(new_date),
                reason: String::new(),
                review_link: None,
            };
            let asker_email = match change.asked_by {
                Side::School => stored.request.contact.email.as_str().to_owned(),
                Side::Reviewer => team.first().map(|r| r.email.clone()).unwrap_or_default(),
            };
            let items = vec![
                request_update
                    .condition_expression(condition)
                    .update_expression("REMOVE date_change")
                    .into_item(),
                timeline_put(
                    table,
                    &stored.id,
                    &TimelineEvent {
                        at,
                        kind: "date_change_declined".into(),
                        detail: Some(format!(
                            "The visit stays on {}.",
                            long_date(lead.visit_date)
                        )),
                    },
                ),
                outbox::put(table, Some(&stored.id), &asker_email, &kept, now),
            ];
            return Ok(match self.commit(items).await? {
                Transacted::Committed => DateChangeAnswer::Kept,
                Transacted::Cancelled(_) => {
                    DateChangeAnswer::NotPossible("The review changed meanwhile: try again".into())
                }
            });
        }
        if let Err(refusal) = self.may_move(&stored, lead, answered_by, now).await? {
            return Ok(DateChangeAnswer::NotPossible(refusal));
        }
        if let Err(reason) = check_new_date(new_date, &team, now.date()) {
            return Ok(DateChangeAnswer::InvalidDate(reason));
        }
        // On the SEQUENCE read too: a plan confirmed meanwhile raised it (and sent it).
        let condition = format!("{condition} AND {}", records::request::SEQUENCE_SEEN);
        let request_update = Guard::new(Action::MoveVisit, now.date())
            .on_update(request_update, Some(&condition))
            .expression_attribute_values(":seen_sequence", n(stored.visit_sequence));
        let sequence = stored.visit_sequence + 1;
        let date = format_date(new_date);
        let mut set = vec!["#lead.visit_date = :new", "visit_sequence = :sequence"];
        let mut request_update = request_update
            .expression_attribute_values(":new", s(date.clone()))
            .expression_attribute_values(":sequence", n(sequence));
        if stored.second.is_some() {
            set.push("#second.visit_date = :new");
            request_update = request_update.expression_attribute_names("#second", "second");
        }
        let mut items = vec![
            request_update
                .update_expression(format!("SET {} REMOVE date_change", set.join(", ")))
                .into_item(),
        ];
        // Indexes of the capacity guards, to tell a full term from a changed review.
        let mut guards = Vec::new();
        let members: Vec<&TeamMember> = stored.team().collect();
        for (member, reviewer) in members.iter().zip(&team) {
            let reviewer_pk = reviewers::profile_pk(reviewer.id);
            items.push(
                TransactWriteItem::builder()
                    .delete(
                        Delete::builder()
                            .table_name(table)
                            .key("pk", s(reviewer_pk.clone()))
                            .key(
                                "sk",
                                s(format!("REVIEW#{}#{}", member.visit_date, stored.id)),
                            )
                            .build()
                            .expect("complete delete"),
                    )
                    .build(),
            );
            let moved = TeamMember {
                visit_date: new_date,
                ..(*member).clone()
            };
            items.push(history_put(table, &reviewer_pk, &moved, &stored));
            let (old_term, new_term) = (Term::of(old_date), Term::of(new_date));
            if old_term != new_term {
                items.push(
                    update(table, &reviewer_pk, &format!("TERM#{old_term}"))
                        .update_expression("ADD booked :minus_one")
                        .expression_attribute_values(":minus_one", n(-1))
                        .into_item(),
                );
                guards.push(items.len());
                items.push(capacity_guard(table, &reviewer_pk, new_term, reviewer));
            }
        }
        items.push(report_check(table, &stored.id, Action::MoveVisit));
        items.push(timeline_put(
            table,
            &stored.id,
            &TimelineEvent::new(
                at,
                "visit_moved",
                Some(format!("The visit has moved to {}.", long_date(new_date))),
            ),
        ));
        let confirmation = |to_school: bool, member: &TeamMember, attendee| VisitConfirmed {
            to_school,
            request_id: stored.id.clone(),
            reference: stored.reference.to_string(),
            school_name: stored.request.school.name.to_string(),
            postcode: stored.request.school.postcode.as_str().to_owned(),
            reviewer_name: lead.reviewer_name.clone(),
            visit_date: date.clone(),
            visit_date_text: long_date(new_date),
            review_link: (!to_school).then(|| ReviewLink {
                offer_id: member.offer_id.clone(),
                expires_at: review_link_expiry(new_date),
            }),
            sequence,
            moved: Some(true),
            attendee: Some(attendee),
            description: stored.calendar_description.clone(),
        };
        items.push(outbox::put(
            table,
            Some(&stored.id),
            stored.request.contact.email.as_str(),
            &confirmation(true, lead, Attendee::school(&stored)),
            now,
        ));
        for (member, reviewer) in members.iter().zip(&team) {
            items.push(outbox::put(
                table,
                Some(&stored.id),
                &reviewer.email,
                &confirmation(false, member, Attendee::of_reviewer(reviewer)),
                now,
            ));
        }
        Ok(match self.commit(items).await? {
            Transacted::Committed => DateChangeAnswer::Moved,
            cancelled @ Transacted::Cancelled(_)
                if !cancelled.failed_at(0) && guards.iter().any(|&i| cancelled.failed_at(i)) =>
            {
                DateChangeAnswer::AtCapacity
            }
            Transacted::Cancelled(_) => {
                DateChangeAnswer::NotPossible("The review changed meanwhile: try again".into())
            }
        })
    }

    /// Whether `side` may move the visit of `stored` (booked with `lead`) now: the lifecycle's
    /// rule, with the report's stage; a refusal says why.
    async fn may_move(
        &self,
        stored: &StoredRequest,
        lead: &TeamMember,
        side: Side,
        now: OffsetDateTime,
    ) -> Result<Result<(), String>, WorkflowError> {
        let stage = crate::report::store::stage_of(&self.table, stored).await?;
        let visit = Some(lead.visit_date);
        Ok(
            allowed(stage, mover(side), Action::MoveVisit, now.date(), visit)
                .map_err(|refusal| refusal.to_string()),
        )
    }

    /// The profiles of the review team, lead first.
    pub(super) async fn team_reviewers(
        &self,
        stored: &StoredRequest,
    ) -> Result<Vec<Reviewer>, WorkflowError> {
        let mut team = Vec::new();
        for member in stored.team() {
            match self.reviewer(&member.reviewer_id).await? {
                Some(reviewer) => team.push(reviewer),
                None => {
                    return Err(WorkflowError::Corrupt(format!(
                        "the profile of a reviewer on {}",
                        stored.reference
                    )));
                }
            }
        }
        Ok(team)
    }
}

/// A date a booked visit can move to: a school day, after today, within a year, and not one the
/// reviewers said they are unavailable.
pub fn check_new_date(date: Date, team: &[Reviewer], today: Date) -> Result<(), String> {
    if matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday) {
        return Err("Choose a school day: Monday to Friday".into());
    }
    if date <= today {
        return Err("Choose a date after today".into());
    }
    if date > today + Duration::days(366) {
        return Err("Choose a date within the next 12 months".into());
    }
    if team
        .iter()
        .any(|r| r.unavailable.iter().any(|range| range.contains(date)))
    {
        return Err("A reviewer is unavailable that day: choose another date".into());
    }
    Ok(())
}
