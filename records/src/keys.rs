//! The keys of a request's items and of offers, built here only: a workflow, the admin tool or
//! a function names an item through these, never by formatting its key.
//!
//! | item | pk | sk | gsi1pk |
//! |---|---|---|---|
//! | request | `REQUEST#<id>` ([`request_pk`]) | `REQUEST` | `REQUEST_STATE#<state>` ([`state_index_key`]) |
//! | timeline event | `REQUEST#<id>` | `EVENT#<time>#<ulid>` ([`event_sk`]) | – |
//! | reference | `REFERENCE#<reference>` ([`reference_pk`]) | `REFERENCE` | – |
//! | status link | `STATUS#<token hash>` ([`status_pk`]) | `STATUS` | – |
//! | offer | `OFFER#<ulid>` ([`offer_pk`]) | `OFFER` | `OFFER_OPEN` ([`OPEN_OFFERS_INDEX_KEY`]), while open |
//! | self-evaluation | `REQUEST#<id>` | `SELF_EVALUATION` ([`SELF_EVALUATION_SK`]) | – |
//! | action plan | `REQUEST#<id>` | `ACTION_PLAN` ([`ACTION_PLAN_SK`]) | – |
//! | email about the request | `REQUEST#<id>` | `OUTBOX#<ulid>` (the outbox's `OutboxKey`) | `OUTBOX_PENDING`, until sent |
//! | undeliverable address | `UNDELIVERABLE#<address>` | `UNDELIVERABLE` | `UNDELIVERABLE` ([`UNDELIVERABLE_INDEX_KEY`]) |

/// Every request's partition key starts with this.
pub const REQUEST_PREFIX: &str = "REQUEST#";

/// The partition key of a request: its own item, timeline, documents and files.
pub fn request_pk(id: &str) -> String {
    format!("{REQUEST_PREFIX}{id}")
}
/// Every timeline event's sort key starts with this.
pub const EVENT_PREFIX: &str = "EVENT#";

/// The request id of a request's partition key, if it is one.
pub fn request_id_of(pk: &str) -> Option<&str> {
    pk.strip_prefix(REQUEST_PREFIX).filter(|id| !id.is_empty())
}

/// The sort key of a new timeline event at `at` (RFC 3339): unique, and in time order.
pub fn event_sk(at: &str) -> String {
    format!("{EVENT_PREFIX}{at}#{}", ulid::Ulid::new())
}

/// The index key of the requests in `state`.
pub fn state_index_key(state: &str) -> String {
    format!("REQUEST_STATE#{state}")
}

/// The partition key of the item that finds a request by its reference.
pub fn reference_pk(reference: &str) -> String {
    format!("REFERENCE#{reference}")
}

/// The partition key of the item that finds a request by its status link (the token's hash).
pub fn status_pk(token_hash: &str) -> String {
    format!("STATUS#{token_hash}")
}

/// The index key of every open offer (sorted by expiry: `<expires_at, 12 digits>#<offer id>`).
pub const OPEN_OFFERS_INDEX_KEY: &str = "OFFER_OPEN";

/// The sort key of a request's self-evaluation.
pub const SELF_EVALUATION_SK: &str = "SELF_EVALUATION";

/// The sort key of a request's action plan.
pub const ACTION_PLAN_SK: &str = "ACTION_PLAN";

/// The index key of every address mail cannot reach (sorted by when it was first marked).
pub const UNDELIVERABLE_INDEX_KEY: &str = "UNDELIVERABLE";

pub fn offer_pk(offer_id: &str) -> String {
    format!("OFFER#{offer_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_their_stored_shapes() {
        assert_eq!(request_pk("01R"), "REQUEST#01R");
        assert_eq!(request_id_of("REQUEST#01R"), Some("01R"));
        assert_eq!(request_id_of("REQUEST#"), None);
        assert_eq!(request_id_of("OFFER#01R"), None);
        assert!(event_sk("2027-01-05T09:30:00Z").starts_with("EVENT#2027-01-05T09:30:00Z#"));
        assert_eq!(state_index_key("accepted"), "REQUEST_STATE#accepted");
        assert_eq!(reference_pk("SR-ABC"), "REFERENCE#SR-ABC");
        assert_eq!(status_pk("ab12"), "STATUS#ab12");
        assert_eq!(offer_pk("01O"), "OFFER#01O");
    }
}
