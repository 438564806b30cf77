//! Accepting an offer: the reviewer books the visit on a day of the school's windows, within
//! their capacity for that term.

use super::*;
use records::request::SEQUENCE_SEEN;

/// How often an acceptance reads the request again after a change raised the calendar's
/// SEQUENCE between its reading and its write.
const SEQUENCE_ATTEMPTS: usize = 3;

/// One try at an acceptance.
enum Attempt {
    Answered(Answer),
    /// The request's calendar SEQUENCE moved on since `stored` was read (a plan change, a date
    /// move): nothing was stored; this is the request as it is now.
    SequenceMoved(Box<StoredRequest>),
}

impl Workflow {
    /// The reviewer accepts offer `offer_id` and visits on `visit_date`.
    pub async fn accept(
        &self,
        offer_id: &str,
        visit_date: Date,
        now: OffsetDateTime,
    ) -> Result<Answer, WorkflowError> {
        let Some(offer) = self.offer(offer_id).await? else {
            return Ok(Answer::Closed);
        };
        let Some(stored) = self.request(&offer.request_id).await? else {
            return Ok(Answer::Closed);
        };
        self.accept_read(&offer, stored, visit_date, now).await
    }

    /// [`Workflow::accept`] from `stored`, a reading of the offer's request that may be out of
    /// date. The write holds the calendar's SEQUENCE to the one read, so that a change which
    /// raised it in between (and sent a file with it) is not answered by a second file with the
    /// same SEQUENCE: the acceptance reads the request again and tries once more.
    pub async fn accept_as_read(
        &self,
        offer_id: &str,
        stored: StoredRequest,
        visit_date: Date,
        now: OffsetDateTime,
    ) -> Result<Answer, WorkflowError> {
        let Some(offer) = self.offer(offer_id).await? else {
            return Ok(Answer::Closed);
        };
        self.accept_read(&offer, stored, visit_date, now).await
    }

    /// The acceptance of `offer` (as read; the write holds it to being open) from `stored`.
    async fn accept_read(
        &self,
        offer: &Offer,
        mut stored: StoredRequest,
        visit_date: Date,
        now: OffsetDateTime,
    ) -> Result<Answer, WorkflowError> {
        for _ in 0..SEQUENCE_ATTEMPTS {
            match self.accept_once(offer, &stored, visit_date, now).await? {
                Attempt::Answered(answer) => return Ok(answer),
                Attempt::SequenceMoved(now_stored) => stored = *now_stored,
            }
        }
        // Changed under it every time: nothing stored; the reviewer's page says to try again.
        Ok(Answer::Closed)
    }

    async fn accept_once(
        &self,
        offer: &Offer,
        stored: &StoredRequest,
        visit_date: Date,
        now: OffsetDateTime,
    ) -> Result<Attempt, WorkflowError> {
        let answered = |answer| Ok(Attempt::Answered(answer));
        let offer_id = offer.id.as_str();
        if offer.state != offer_state::OPEN || now.unix_timestamp() >= offer.expires_at {
            return answered(Answer::Closed);
        }
        let Some(reviewer) = self.reviewer(&offer.reviewer_id).await? else {
            return answered(Answer::Closed);
        };
        if offer.request_id != stored.id {
            return answered(Answer::Closed);
        }
        let (offeree, action) = (Person::Offeree, Action::AnswerOffer);
        if allowed_on(stored, None, offeree, action, now.date()).is_err() {
            return answered(Answer::Closed);
        }
        if let Err(reason) = check_visit_date(
            visit_date,
            &stored.request.visit_windows,
            &reviewer,
            now.date(),
        ) {
            return answered(Answer::InvalidDate(reason));
        }
        if (offer.role == Role::Second || offer.visit_date.is_some())
            && offer.visit_date.as_deref() != Some(&format_date(visit_date))
        {
            return answered(Answer::InvalidDate(
                "The visit date is fixed: the visit is booked for that day".into(),
            ));
        }
        let table = self.table.name.as_str();
        let at = now.format(&Rfc3339).unwrap_or_default();
        let date = format_date(visit_date);
        let term = Term::of(visit_date);
        let reviewer_pk = reviewers::profile_pk(reviewer.id);
        let member = TeamMember {
            reviewer_id: reviewer.id.to_string(),
            reviewer_name: reviewer.name.clone(),
            visit_date,
            offer_id: offer.id.clone(),
        };
        let member_value =
            AttributeValue::M(serde_dynamo::to_item(&member).expect("a team member serialises"));
        // The first booking opens the calendar entry; a new lead on the fixed day, or a second
        // reviewer joining, changes it: a higher SEQUENCE, stored for the next change.
        let first_booking = offer.role == Role::Lead
            && stored.fixed_visit_date.is_none()
            && stored.visit_sequence == 0;
        let sequence = if first_booking {
            0
        } else {
            stored.visit_sequence + 1
        };
        let confirmation = |to_school: bool, attendee: Attendee| VisitConfirmed {
            to_school,
            request_id: stored.id.clone(),
            reference: stored.reference.to_string(),
            school_name: stored.request.school.name.to_string(),
            postcode: stored.request.school.postcode.as_str().to_owned(),
            reviewer_name: reviewer.name.clone(),
            visit_date: date.clone(),
            visit_date_text: long_date(visit_date),
            review_link: (!to_school).then(|| ReviewLink {
                offer_id: offer.id.clone(),
                expires_at: review_link_expiry(visit_date),
            }),
            sequence,
            moved: Some(false),
            attendee: Some(attendee),
            // A new lead on the fixed day, or a second joining, keeps the confirmed plan.
            description: stored.calendar_description.clone(),
        };
        // A lead replacing one who dropped out (a fixed date) joins the second where they are.
        const LEAD_WITH_SECOND: &str = "SET #state = :accepted, gsi1pk = :index, #lead = :lead, \
            second_state = if_not_exists(second_state, :second), visit_sequence = :sequence \
            REMOVE open_offer, fixed_visit_date";
        const LEAD_ALONE: &str = "SET #state = :accepted, gsi1pk = :index, #lead = :lead, \
            visit_sequence = :sequence REMOVE open_offer, fixed_visit_date";
        let request_update =
            match offer.role {
                Role::Lead => {
                    let wants_second =
                        matching::needs_second_reviewer(&stored.request, &self.settings().await);
                    let mut builder = update(table, &request_pk(&stored.id), "REQUEST")
                    .condition_expression(format!(
                        "#state = :offered AND open_offer = :offer AND attribute_not_exists(#lead) \
                         AND {SEQUENCE_SEEN}"
                    ))
                    .expression_attribute_names("#state", "state")
                    .expression_attribute_names("#lead", "lead")
                    .expression_attribute_values(":accepted", s(RequestState::Accepted.as_str()))
                    .expression_attribute_values(":offered", s(RequestState::Offered.as_str()))
                    .expression_attribute_values(":offer", s(offer_id))
                    .expression_attribute_values(
                        ":index",
                        s(records::keys::state_index_key(RequestState::Accepted.as_str())),
                    )
                    .expression_attribute_values(":lead", member_value);
                    builder = if wants_second {
                        builder
                            .update_expression(LEAD_WITH_SECOND)
                            .expression_attribute_values(":second", s(second_state::MATCHING))
                    } else {
                        builder.update_expression(LEAD_ALONE)
                    };
                    // Booked: the visit is the next activity the purge date waits for.
                    retention::moved_by(builder, self.activity(visit_date).await)
                        .expression_attribute_values(":sequence", n(sequence))
                        .expression_attribute_values(":seen_sequence", n(stored.visit_sequence))
                }
                Role::Second => update(table, &request_pk(&stored.id), "REQUEST")
                    .update_expression(
                        "SET #second = :member, second_state = :accepted, \
                         visit_sequence = :sequence REMOVE second_offer",
                    )
                    .condition_expression(format!(
                        "#state = :request_accepted AND second_state = :offered \
                         AND second_offer = :offer AND attribute_not_exists(#second) \
                         AND {SEQUENCE_SEEN}"
                    ))
                    .expression_attribute_names("#state", "state")
                    .expression_attribute_names("#second", "second")
                    .expression_attribute_values(":member", member_value)
                    .expression_attribute_values(":accepted", s(second_state::ACCEPTED))
                    .expression_attribute_values(
                        ":request_accepted",
                        s(RequestState::Accepted.as_str()),
                    )
                    .expression_attribute_values(":offered", s(second_state::OFFERED))
                    .expression_attribute_values(":offer", s(offer_id))
                    .expression_attribute_values(":sequence", n(sequence))
                    .expression_attribute_values(":seen_sequence", n(stored.visit_sequence)),
            };
        let mut items = vec![
            update(table, &offer_pk(offer_id), "OFFER")
                .update_expression(
                    "SET #state = :accepted, visit_date = :date REMOVE gsi1pk, gsi1sk",
                )
                .condition_expression("#state = :open AND expires_at > :now")
                .expression_attribute_names("#state", "state")
                .expression_attribute_values(":accepted", s(offer_state::ACCEPTED))
                .expression_attribute_values(":open", s(offer_state::OPEN))
                .expression_attribute_values(":date", s(date.clone()))
                .expression_attribute_values(":now", n(now.unix_timestamp()))
                .into_item(),
            request_update.into_item(),
            capacity_guard(table, &reviewer_pk, term, &reviewer),
            history_put(table, &reviewer_pk, &member, stored),
            timeline_put(
                table,
                &stored.id,
                &TimelineEvent {
                    at,
                    kind: "accepted".into(),
                    detail: Some(match offer.role {
                        Role::Lead => {
                            format!("{} will visit on {}.", reviewer.name, long_date(visit_date))
                        }
                        Role::Second => {
                            format!("{} will join the visit as second reviewer.", reviewer.name)
                        }
                    }),
                },
            ),
            outbox::put(
                table,
                Some(&stored.id),
                &reviewer.email,
                &confirmation(false, Attendee::of_reviewer(&reviewer)),
                now,
            ),
        ];
        if offer.role == Role::Lead {
            items.push(outbox::put(
                table,
                Some(&stored.id),
                stored.request.contact.email.as_str(),
                &confirmation(true, Attendee::school(stored)),
                now,
            ));
        }
        match self.commit(items).await? {
            Transacted::Committed => answered(Answer::Accepted),
            // Only the capacity guard refused: the term is full. Otherwise the offer or the
            // request moved on (answered, expired, someone else accepted), or only the
            // calendar's SEQUENCE did.
            cancelled @ Transacted::Cancelled(_)
                if cancelled.failed_at(2) && !cancelled.failed_at(0) && !cancelled.failed_at(1) =>
            {
                answered(Answer::AtCapacity)
            }
            cancelled @ Transacted::Cancelled(_) if cancelled.failed_at(1) => {
                match self.request(&stored.id).await? {
                    Some(now_stored) if now_stored.visit_sequence != stored.visit_sequence => {
                        Ok(Attempt::SequenceMoved(Box::new(now_stored)))
                    }
                    _ => answered(Answer::Closed),
                }
            }
            Transacted::Cancelled(_) => answered(Answer::Closed),
        }
    }
}
