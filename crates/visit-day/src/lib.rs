//! The visit day: the plan the lead reviewer and the school build together ([`plan`]: sessions
//! of the usual kinds, their times, places, who attends and the focus areas they serve; a
//! suggested day drafted from the request), the verbal feedback the lead records at the end of
//! the day ([`feedback`]: shown to the school the next morning, seeding the draft report), and
//! their stored documents and use cases ([`store`], [`emails`]).
//!
//! Focus areas are referred to by their key (`"outcomes"`), as the request's framework names
//! them; their titles come from [`ReviewAreas`] alone.
//!
//! Layer: over `records` (and `frameworks`), below the workflows; the pages sit above it.

pub mod emails;
pub mod feedback;
pub mod plan;
pub mod store;

pub use emails::{PlanChanged, Recipient};
pub use feedback::VerbalFeedback;
pub use plan::{Plan, RawPlan, Session, SessionKind};

/// The focus areas of a review by key, with their titles as the request's framework version
/// names them: the one place pages and emails take an area's title from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewAreas {
    /// `(key, title)`, in the request's order.
    areas: Vec<(String, String)>,
}

impl ReviewAreas {
    pub fn of(request: &records::domain::request::ReviewRequest) -> Self {
        Self {
            areas: request
                .areas()
                .into_iter()
                .map(|area| (area.as_str().to_owned(), area.title))
                .collect(),
        }
    }

    /// The keys, in the request's order.
    pub fn keys(&self) -> Vec<String> {
        self.areas.iter().map(|(key, _)| key.clone()).collect()
    }

    /// The title of the area with `key` ([`feedback::GENERAL`]: the school as a whole; the
    /// key itself if it is none of the review's).
    pub fn title(&self, key: &str) -> String {
        match self.areas.iter().find(|(k, _)| k == key) {
            Some((_, title)) => title.clone(),
            None if key == feedback::GENERAL => "The school as a whole".to_owned(),
            None => key.to_owned(),
        }
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
