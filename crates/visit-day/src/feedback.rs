//! The verbal feedback given at the end of the visit: the headline points the lead reviewer
//! records ("what went well" and "even better if", per focus area where given, and general
//! ones), which the school sees on its status page from the next morning and which seed the
//! draft report.

use serde::{Deserialize, Serialize};
use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset, Weekday};

/// Points in one part of one area (the report's own limit, so seeding never overfills it).
pub const MAX_POINTS: usize = 10;
/// Characters in one point (the report's own limit).
pub const MAX_POINT_CHARS: usize = 600;
/// The key of the points given about the school as a whole, not one area.
pub const GENERAL: &str = "general";

/// The points given about one focus area (or [`GENERAL`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AreaPoints {
    pub area: String,
    pub went_well: Vec<String>,
    pub even_better_if: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerbalFeedback {
    pub areas: Vec<AreaPoints>,
}

/// The form id of an area's part: `feedback-outcomes-went_well`.
pub fn field_id(area: &str, part: &str) -> String {
    format!("feedback-{area}-{part}")
}

/// One field's problem, by form id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedbackFieldError {
    pub field: String,
    pub message: String,
}

impl VerbalFeedback {
    /// The feedback typed in `pairs` (one point a line in each `feedback-<area>-<part>` box)
    /// for a review of `areas` (keys; [`GENERAL`] is always offered): every problem at once.
    pub fn parse(
        pairs: &[(String, String)],
        areas: &[String],
    ) -> Result<Self, Vec<FeedbackFieldError>> {
        let mut errors = Vec::new();
        let mut feedback = VerbalFeedback::default();
        let keys = std::iter::once(GENERAL).chain(areas.iter().map(String::as_str));
        for area in keys {
            let mut points = AreaPoints {
                area: area.to_owned(),
                ..AreaPoints::default()
            };
            for (part, into) in [
                ("went_well", &mut points.went_well),
                ("even_better_if", &mut points.even_better_if),
            ] {
                let id = field_id(area, part);
                let text = pairs
                    .iter()
                    .find(|(name, _)| *name == id)
                    .map(|(_, v)| v.as_str())
                    .unwrap_or_default();
                *into = lines(text);
                let mut problem = |message: String| {
                    errors.push(FeedbackFieldError {
                        field: id.clone(),
                        message,
                    })
                };
                if into.len() > MAX_POINTS {
                    problem(format!(
                        "Write at most {MAX_POINTS} points, one a line (there are {})",
                        into.len()
                    ));
                } else if let Some(long) = into
                    .iter()
                    .position(|p| p.chars().count() > MAX_POINT_CHARS)
                {
                    problem(format!(
                        "Point {} must be {MAX_POINT_CHARS} characters or fewer",
                        long + 1
                    ));
                }
            }
            if !points.went_well.is_empty() || !points.even_better_if.is_empty() {
                feedback.areas.push(points);
            }
        }
        if errors.is_empty() {
            Ok(feedback)
        } else {
            Err(errors)
        }
    }

    /// The points about `area`, if any were given.
    pub fn about(&self, area: &str) -> Option<&AreaPoints> {
        self.areas.iter().find(|a| a.area == area)
    }

    pub fn is_empty(&self) -> bool {
        self.areas.is_empty()
    }
}

/// Each non-empty line of `text`, trimmed, control characters dropped.
fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.chars().filter(|c| !c.is_control()).collect::<String>())
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

/// When the school sees the verbal feedback of a visit on `visit`: 08:00 UK time the next
/// morning (the team has left and the school has slept on it).
pub fn shown_to_school_from(visit: Date) -> OffsetDateTime {
    let morning = visit + Duration::days(1);
    PrimitiveDateTime::new(morning, Time::from_hms(8, 0, 0).expect("a time"))
        .assume_offset(uk_offset(morning))
}

/// The UK's offset from UTC at 08:00 on `day`: BST (+1) from the last Sunday of March to the
/// day before the last Sunday of October, GMT otherwise (the changes happen at 01:00 UTC, so
/// by 08:00 on the changing day the new offset holds).
pub fn uk_offset(day: Date) -> UtcOffset {
    let last_sunday = |month: Month| {
        let mut d = Date::from_calendar_date(day.year(), month, month.length(day.year()))
            .expect("the month's last day");
        while d.weekday() != Weekday::Sunday {
            d -= Duration::days(1);
        }
        d
    };
    let summer = day >= last_sunday(Month::March) && day < last_sunday(Month::October);
    UtcOffset::from_hms(i8::from(summer), 0, 0).expect("an offset")
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn points_are_lines_kept_per_area_and_empty_areas_left_out() {
        let areas = vec!["outcomes".to_owned(), "leadership".to_owned()];
        let feedback = VerbalFeedback::parse(
            &pairs(&[
                (
                    "feedback-outcomes-went_well",
                    "Clear tracking\r\n\n  Pupils know their targets ",
                ),
                (
                    "feedback-outcomes-even_better_if",
                    "Share data with governors",
                ),
                ("feedback-general-went_well", "A warm welcome"),
                (
                    "feedback-quality_of_provision-went_well",
                    "not an area of this review",
                ),
            ]),
            &areas,
        )
        .unwrap();
        assert_eq!(feedback.areas.len(), 2);
        assert_eq!(feedback.areas[0].area, GENERAL);
        let outcomes = feedback.about("outcomes").unwrap();
        assert_eq!(
            outcomes.went_well,
            ["Clear tracking", "Pupils know their targets"]
        );
        assert_eq!(outcomes.even_better_if, ["Share data with governors"]);
        assert!(feedback.about("leadership").is_none());
        assert!(feedback.about("quality_of_provision").is_none());
    }

    #[test]
    fn too_many_or_too_long_points_are_refused_per_field() {
        let areas = vec!["outcomes".to_owned()];
        let many = ["a point"; MAX_POINTS + 1].join("\n");
        let long = "x".repeat(MAX_POINT_CHARS + 1);
        let errors = VerbalFeedback::parse(
            &pairs(&[
                ("feedback-outcomes-went_well", &many),
                ("feedback-general-even_better_if", &format!("fine\n{long}")),
            ]),
            &areas,
        )
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "feedback-general-even_better_if",
                "feedback-outcomes-went_well"
            ]
        );
        assert!(
            errors[0]
                .message
                .contains("Point 2 must be 600 characters or fewer")
        );
        assert!(errors[1].message.contains("at most 10 points"));
    }

    #[test]
    fn the_school_sees_it_at_eight_the_next_morning_uk_time() {
        // Winter: GMT.
        assert_eq!(
            shown_to_school_from(date!(2027 - 01 - 14)),
            datetime!(2027-01-15 08:00 UTC)
        );
        // Summer: BST, 07:00 UTC.
        assert_eq!(
            shown_to_school_from(date!(2027 - 06 - 10)),
            datetime!(2027-06-11 07:00 UTC)
        );
        // The clocks go forward on Sunday 28 March 2027 and back on Sunday 31 October 2027.
        assert_eq!(uk_offset(date!(2027 - 03 - 27)).whole_hours(), 0);
        assert_eq!(uk_offset(date!(2027 - 03 - 28)).whole_hours(), 1);
        assert_eq!(uk_offset(date!(2027 - 10 - 30)).whole_hours(), 1);
        assert_eq!(uk_offset(date!(2027 - 10 - 31)).whole_hours(), 0);
    }
}
