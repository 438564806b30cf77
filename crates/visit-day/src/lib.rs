//! The visit day: the plan the lead reviewer and the school build together ([`plan`]: sessions
//! of the usual kinds, their times, places, who attends and the focus areas they serve; a
//! suggested day drafted from the request), the verbal feedback the lead records at the end of
//! the day ([`feedback`]: shown to the school the next morning, seeding the draft report), and
//! their stored documents and use cases ([`store`], [`emails`]).
//!
//! Focus areas are referred to by their key (`"outcomes"`), never by the enum: their titles
//! come from [`area_title`] alone.
//!
//! Layer: over `records` (and `frameworks`), below the workflows; the pages sit above it.

pub mod emails;
pub mod feedback;
pub mod plan;
pub mod store;

pub use emails::{PlanChanged, Recipient};
pub use feedback::VerbalFeedback;
pub use plan::{Plan, RawPlan, Session, SessionKind};

/// The title of the focus area with `key` (the key itself if it is none known).
pub fn area_title(key: &str) -> String {
    match key.parse::<records::domain::request::FocusArea>() {
        Ok(area) => area.label().to_owned(),
        Err(_) if key == feedback::GENERAL => "The school as a whole".to_owned(),
        Err(_) => key.to_owned(),
    }
}

/// The visit date of `stored` as pages and emails write it.
pub fn visit_date_text(stored: &records::request::StoredRequest) -> String {
    stored
        .lead
        .as_ref()
        .map(|lead| records::domain::request::long_date(lead.visit_date))
        .unwrap_or_default()
}
