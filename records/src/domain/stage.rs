//! The stage of a request as stored: its own state and its report's. (What each stage allows
//! is the rule in the `lifecycle` module.)

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A stored state value that is none of the known ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} state {value:?}")]
pub struct UnknownState {
    pub what: &'static str,
    pub value: String,
}

/// Declares a state enum stored as fixed strings: `as_str`/`FromStr` round-trip, serde
/// through them (an unknown value is a deserialisation error naming it).
macro_rules! stored_states {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            pub const ALL: &[$name] = &[$($name::$variant),+];
            /// Every value as stored, in the same order.
            pub const NAMES: &[&str] = &[$($text),+];

            /// The value as stored.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl FromStr for $name {
            type Err = UnknownState;

            fn from_str(text: &str) -> Result<Self, UnknownState> {
                match text {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownState { what: $what, value: text.to_owned() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

stored_states! {
    /// Where a request is, as its `state` attribute stores it.
    RequestState, "request" {
        /// Received; the contact has not yet confirmed it from the link in the first email.
        /// Nothing runs on it (the matcher's stream filter ignores it); unconfirmed, it is
        /// purged 7 days after it was stored.
        PendingConfirmation = "pending_confirmation",
        /// Confirmed, and the programme holds every confirmed request: a coordinator releases
        /// it for matching (or withdraws it).
        Held = "held",
        /// Confirmed (or released); the matcher has not run yet.
        Submitted = "submitted",
        /// A reviewer declined or let the offer expire: the matcher runs again.
        Matching = "matching",
        /// A reviewer has been asked and has not answered yet.
        Offered = "offered",
        /// The lead reviewer accepted and chose the visit date.
        Accepted = "accepted",
        /// Nobody eligible: the administrator has been told.
        NeedsAttention = "needs_attention",
        /// An administrator withdrew it.
        Withdrawn = "withdrawn",
    }
}

stored_states! {
    /// Where the report is, as the report item's `state` stores it.
    ReportState, "report" {
        /// Being written by the review team.
        Draft = "draft",
        /// With the school for its factual-accuracy check; nobody edits it.
        Submitted = "submitted",
        /// The school answered; the lead edits and finalises.
        Checked = "checked",
        /// Rendered, stored and delivered; never changes again.
        Final = "final",
    }
}

/// A request's stage: its own state and its report's (if one was saved).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stage {
    pub request: RequestState,
    pub report: Option<ReportState>,
}
