//! Domain types: values that can only exist valid. Each parses from text (a form field, a CSV
//! cell, a stored attribute) and the parse error says what is wrong with the value, leaving the
//! caller to name the field: `"12345" must be 6 digits`.

/// What every newtype over checked text has: `as_str` and `Display` (the text as kept). With
/// `stored as $what`, also the `String` conversions serde keeps it through (`#[serde(try_from
/// = "String", into = "String")]`): a stored value that no longer parses is refused as not
/// `$what`. The newtype's `FromStr` does the checking.
macro_rules! checked_text {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
    ($name:ident, stored as $what:literal) => {
        $crate::domain::checked_text!($name);

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(value: String) -> Result<Self, String> {
                value
                    .parse()
                    .map_err(|_| format!("{value:?} is not {}", $what))
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }
    };
}
pub(crate) use checked_text;

pub mod calendar;
#[macro_use]
pub mod school;
pub mod request;
pub mod rules;
pub mod stage;

use std::fmt;
use std::str::FromStr;

use time::Date;
use time::macros::format_description;

pub use calendar::Term;
pub use school::{
    AreaOfNeed, LocalAuthority, Phase, Region, SchoolType, Specialism, UnknownValue, Urn, UrnError,
};

const ISO_DATE: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]");

/// A text date that is not an ISO date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a date in the form YYYY-MM-DD")]
pub struct DateError(pub String);

/// Serde for a [`Date`] stored as `YYYY-MM-DD` text (`#[serde(with = "iso_date")]`): read
/// once into a `Date`, so no caller parses a stored date again.
pub mod iso_date {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    pub fn serialize<S: Serializer>(date: &Date, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&super::format_date(*date))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
        let text = String::deserialize(deserializer)?;
        super::parse_date(&text).map_err(serde::de::Error::custom)
    }
}

/// A date written `YYYY-MM-DD` (surrounding space ignored), the one form we read and store.
pub fn parse_date(text: &str) -> Result<Date, DateError> {
    let text = text.trim();
    Date::parse(text, ISO_DATE).map_err(|_| DateError(text.to_owned()))
}

/// A date as `YYYY-MM-DD`.
pub fn format_date(date: Date) -> String {
    date.format(ISO_DATE)
        .expect("every Date formats as YYYY-MM-DD")
}

/// An inclusive run of days, e.g. when a reviewer is away. Written `2027-01-05..2027-01-09`;
/// a single day may be written as just its date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DateRange {
    start: Date,
    end: Date,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateRangeError {
    #[error("{0:?} ends before it starts")]
    EndsBeforeStart(String),
    #[error("{0:?} is not a date or a range in the form YYYY-MM-DD..YYYY-MM-DD")]
    Malformed(String),
}

impl DateRange {
    pub fn new(start: Date, end: Date) -> Result<Self, DateRangeError> {
        if end < start {
            return Err(DateRangeError::EndsBeforeStart(format!(
                "{}..{}",
                format_date(start),
                format_date(end)
            )));
        }
        Ok(Self { start, end })
    }

    pub fn day(date: Date) -> Self {
        Self {
            start: date,
            end: date,
        }
    }

    pub fn start(&self) -> Date {
        self.start
    }

    /// The last day, included in the range.
    pub fn end(&self) -> Date {
        self.end
    }

    pub fn contains(&self, date: Date) -> bool {
        self.start <= date && date <= self.end
    }

    pub fn overlaps(&self, other: &DateRange) -> bool {
        self.start <= other.end && other.start <= self.end
    }
}

impl FromStr for DateRange {
    type Err = DateRangeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let malformed = || DateRangeError::Malformed(text.to_owned());
        match text.split_once("..") {
            Some((start, end)) => {
                let start = parse_date(start).map_err(|_| malformed())?;
                let end = parse_date(end).map_err(|_| malformed())?;
                DateRange::new(start, end)
                    .map_err(|_| DateRangeError::EndsBeforeStart(text.to_owned()))
            }
            None => parse_date(text)
                .map(DateRange::day)
                .map_err(|_| malformed()),
        }
    }
}

impl fmt::Display for DateRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", format_date(self.start), format_date(self.end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn dates_parse_only_in_iso_form() {
        assert_eq!(parse_date(" 2027-01-05 "), Ok(date!(2027 - 01 - 05)));
        assert!(parse_date("05/01/2027").is_err());
        assert_eq!(
            parse_date("2027-02-30").unwrap_err().to_string(),
            r#""2027-02-30" is not a date in the form YYYY-MM-DD"#
        );
    }

    #[test]
    fn ranges_parse_and_print_the_same_way() {
        let range: DateRange = "2027-01-05..2027-01-09".parse().unwrap();
        assert_eq!(range.start(), date!(2027 - 01 - 05));
        assert_eq!(range.end(), date!(2027 - 01 - 09));
        assert_eq!(range.to_string(), "2027-01-05..2027-01-09");
        assert!(range.contains(date!(2027 - 01 - 09)));
        assert!(!range.contains(date!(2027 - 01 - 10)));

        let day: DateRange = "2027-03-01".parse().unwrap();
        assert_eq!(day, DateRange::day(date!(2027 - 03 - 01)));
        assert!(!range.overlaps(&day));
        assert!(range.overlaps(&"2027-01-09..2027-02-01".parse().unwrap()));
    }

    #[test]
    fn ranges_refuse_to_end_before_they_start() {
        assert_eq!(
            "2027-01-09..2027-01-05".parse::<DateRange>(),
            Err(DateRangeError::EndsBeforeStart(
                "2027-01-09..2027-01-05".into()
            ))
        );
        assert!(matches!(
            "2027-01-09..soon".parse::<DateRange>(),
            Err(DateRangeError::Malformed(_))
        ));
    }
}
