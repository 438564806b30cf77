//! Dates relative to the day the tests run (they never depend on the calendar date).

use time::{Date, Duration, OffsetDateTime, Weekday};
use workflows::after_report::action_plan;
use workflows::matching::Term;

/// Today + `days`.
pub(crate) fn day(days: i64) -> Date {
    OffsetDateTime::now_utc().date() + Duration::days(days)
}

/// Today + `days`, as `YYYY-MM-DD`.
pub(crate) fn date_from_now(days: i64) -> String {
    day(days).to_string()
}

/// `date`, or the Monday after it if it falls at a weekend.
fn weekday_from(mut date: Date) -> Date {
    while matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday) {
        date += Duration::days(1);
    }
    date
}

/// A school day `days` from now (or the next one).
pub(crate) fn school_day(days: i64) -> Date {
    weekday_from(day(days))
}

/// The school day after `date` (a Friday's is the Monday after).
pub(crate) fn school_day_after(date: Date) -> Date {
    weekday_from(date + Duration::days(1))
}

/// The first school day inside the first visit window a submitted request asks for.
pub(crate) fn visit_day() -> Date {
    school_day(31)
}

/// 09:00 UTC on `day`.
pub(crate) fn at_nine(day: Date) -> OffsetDateTime {
    day.with_hms(9, 0, 0).unwrap().assume_utc()
}

/// A day in the term after the one `date` is in, once that term's reminders have started.
pub(crate) fn reminder_time_after(date: Date) -> OffsetDateTime {
    let mut day = date;
    while Term::of(day) == Term::of(date) {
        day += Duration::days(1);
    }
    at_nine(action_plan::reminder_day(Term::of(day)) + Duration::days(2))
}

/// The follow-up form's visit windows: 40 to 50 and 70 to 80 days from now.
pub(crate) fn follow_up_windows() -> Vec<(&'static str, String)> {
    vec![
        ("window_1_start", day(40).to_string()),
        ("window_1_end", day(50).to_string()),
        ("window_2_start", day(70).to_string()),
        ("window_2_end", day(80).to_string()),
    ]
}
