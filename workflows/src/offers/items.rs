//! The transaction items the offer workflow's steps share: each one conditional on the state it
//! was read in, so that concurrent runs cannot both succeed.

use super::*;
use records::retention::{self, PurgeRule};

/// The request update that returns it to matching without the reviewer of `offer` (the lead's
/// place or the second's, whichever the offer was for).
pub(super) fn back_to_matching(
    table: &str,
    offer: &Offer,
    activity: PurgeRule,
) -> aws_sdk_dynamodb::types::builders::UpdateBuilder {
    let builder = update(table, &request_pk(&offer.request_id), "REQUEST")
        .expression_attribute_names("#state", "state")
        .expression_attribute_values(":offer", s(offer.id.clone()))
        .expression_attribute_values(":none", AttributeValue::L(Vec::new()))
        .expression_attribute_values(
            ":reviewer",
            AttributeValue::L(vec![s(offer.reviewer_id.clone())]),
        );
    const EXCLUDE: &str =
        "excluded_reviewers = list_append(if_not_exists(excluded_reviewers, :none), :reviewer)";
    // A lead's place for a fixed day (a booked lead dropped out) goes back to the coordinator.
    let next = match offer.visit_date {
        Some(_) => RequestState::NeedsAttention,
        None => RequestState::Matching,
    };
    let builder = match offer.role {
        Role::Lead => builder
            .update_expression(format!(
                "SET #state = :matching, gsi1pk = :index, {EXCLUDE} REMOVE open_offer"
            ))
            .condition_expression("#state = :offered AND open_offer = :offer")
            .expression_attribute_values(":matching", s(next.as_str()))
            .expression_attribute_values(":offered", s(RequestState::Offered.as_str()))
            .expression_attribute_values(":index", s(state_index_key(next.as_str()))),
        Role::Second => builder
            .update_expression(format!(
                "SET second_state = :matching, {EXCLUDE} REMOVE second_offer"
            ))
            .condition_expression(
                "#state = :accepted AND second_state = :offered AND second_offer = :offer",
            )
            .expression_attribute_values(":matching", s(second_state::MATCHING))
            .expression_attribute_values(":accepted", s(RequestState::Accepted.as_str()))
            .expression_attribute_values(":offered", s(second_state::OFFERED)),
    };
    // Only the lead's place moves the request's own state (and so its purge date).
    match offer.role {
        Role::Lead => retention::moved_by(builder, activity),
        Role::Second => builder,
    }
}

/// Books one more review in the reviewer's term; concurrent bookings cannot pass their capacity.
pub(super) fn capacity_guard(
    table: &str,
    reviewer_pk: &str,
    term: Term,
    reviewer: &Reviewer,
) -> TransactWriteItem {
    update(table, reviewer_pk, &format!("TERM#{term}"))
        .update_expression("ADD booked :one")
        .condition_expression("attribute_not_exists(booked) OR booked < :capacity")
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":capacity", n(reviewer.capacity_per_term))
        .into_item()
}

/// The reviewer's history item for a booked visit (the recent-review rule reads it).
pub(super) fn history_put(
    table: &str,
    reviewer_pk: &str,
    member: &TeamMember,
    stored: &StoredRequest,
) -> TransactWriteItem {
    let date = format_date(member.visit_date);
    records::request::put(
        table,
        HashMap::from([
            ("pk".into(), s(reviewer_pk)),
            ("sk".into(), s(format!("REVIEW#{date}#{}", stored.id))),
            ("reviewer_id".into(), s(member.reviewer_id.clone())),
            ("school_urn".into(), s(stored.request.school.urn.as_str())),
            ("visit_date".into(), s(&date)),
            ("request_id".into(), s(stored.id.clone())),
            ("gsi1pk".into(), s(HISTORY_INDEX_KEY)),
            ("gsi1sk".into(), s(format!("{date}#{}", stored.id))),
        ]),
        false,
    )
}

/// Moves the search for a second reviewer on, from the state the matcher read it in.
pub(super) fn set_second_state(
    table: &str,
    request_id: &str,
    new_state: &str,
    offer_id: Option<&str>,
) -> TransactWriteItem {
    let mut builder = update(table, &request_pk(request_id), "REQUEST")
        .condition_expression("#state = :accepted AND second_state = :matching")
        .expression_attribute_names("#state", "state")
        .expression_attribute_values(":accepted", s(RequestState::Accepted.as_str()))
        .expression_attribute_values(":matching", s(second_state::MATCHING))
        .expression_attribute_values(":second", s(new_state));
    builder = match offer_id {
        Some(offer_id) => builder
            .update_expression("SET second_state = :second, second_offer = :offer")
            .expression_attribute_values(":offer", s(offer_id)),
        None => builder.update_expression("SET second_state = :second"),
    };
    builder.into_item()
}

/// A complete update as an item of a transaction.
pub(super) trait UpdateItem {
    fn into_item(self) -> TransactWriteItem;
}

impl UpdateItem for aws_sdk_dynamodb::types::builders::UpdateBuilder {
    fn into_item(self) -> TransactWriteItem {
        TransactWriteItem::builder()
            .update(self.build().expect("complete update"))
            .build()
    }
}

pub(super) fn update(
    table: &str,
    pk: &str,
    sk: &str,
) -> aws_sdk_dynamodb::types::builders::UpdateBuilder {
    Update::builder()
        .table_name(table)
        .key("pk", s(pk))
        .key("sk", s(sk))
}

/// Moves a request on from the state it was read in (so a concurrent run fails its condition),
/// and its purge date with it.
pub(super) fn set_request_state(
    table: &str,
    stored: &StoredRequest,
    new_state: RequestState,
    offer_id: Option<&str>,
    activity: PurgeRule,
) -> TransactWriteItem {
    let mut builder = update(table, &request_pk(&stored.id), "REQUEST")
        .condition_expression("#state = :was")
        .expression_attribute_names("#state", "state")
        .expression_attribute_values(":was", s(stored.state.as_str()))
        .expression_attribute_values(":state", s(new_state.as_str()))
        .expression_attribute_values(":index", s(state_index_key(new_state.as_str())));
    builder = match offer_id {
        Some(offer_id) => builder
            .update_expression("SET #state = :state, gsi1pk = :index, open_offer = :offer")
            .expression_attribute_values(":offer", s(offer_id)),
        None => builder.update_expression("SET #state = :state, gsi1pk = :index"),
    };
    retention::moved_by(builder, activity).into_item()
}
