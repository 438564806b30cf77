//! The school calendar: terms, and working days (Monday to Friday).

use std::fmt;

use time::{Date, Duration, Month, Weekday};

/// A term of the English school year, named by its calendar year: autumn is 1 September to
/// 31 December, spring 1 January to 31 March, summer 1 April to 31 August (holidays included,
/// so every date is in exactly one term).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Term {
    Autumn(i32),
    Spring(i32),
    Summer(i32),
}

impl Term {
    pub fn of(date: Date) -> Term {
        let year = date.year();
        match date.month() {
            Month::September | Month::October | Month::November | Month::December => {
                Term::Autumn(year)
            }
            Month::January | Month::February | Month::March => Term::Spring(year),
            _ => Term::Summer(year),
        }
    }

    pub fn contains(self, date: Date) -> bool {
        Term::of(date) == self
    }

    /// The term's last day.
    pub fn last_day(self) -> Date {
        let (year, month) = match self {
            Term::Autumn(year) => (year, Month::December),
            Term::Spring(year) => (year, Month::March),
            Term::Summer(year) => (year, Month::August),
        };
        // Each of these months has 31 days; only a year out of range could fail.
        Date::from_calendar_date(year, month, 31).unwrap_or(Date::MAX)
    }

    /// The term's first day: terms sort by it.
    pub fn first_day(self) -> Date {
        let (year, month) = match self {
            Term::Autumn(year) => (year, Month::September),
            Term::Spring(year) => (year, Month::January),
            Term::Summer(year) => (year, Month::April),
        };
        Date::from_calendar_date(year, month, 1).expect("the first of a month is a date")
    }

    /// The term as a filter's value, e.g. `autumn-2026`.
    pub fn key(self) -> String {
        match self {
            Term::Autumn(year) => format!("autumn-{year}"),
            Term::Spring(year) => format!("spring-{year}"),
            Term::Summer(year) => format!("summer-{year}"),
        }
    }

    /// The term of a filter's value, if it names one.
    pub fn from_key(key: &str) -> Option<Term> {
        let (season, year) = key.split_once('-')?;
        let year: i32 = year.parse().ok().filter(|y| (2000..=2200).contains(y))?;
        match season {
            "autumn" => Some(Term::Autumn(year)),
            "spring" => Some(Term::Spring(year)),
            "summer" => Some(Term::Summer(year)),
            _ => None,
        }
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Term::Autumn(year) => write!(f, "autumn term {year}"),
            Term::Spring(year) => write!(f, "spring term {year}"),
            Term::Summer(year) => write!(f, "summer term {year}"),
        }
    }
}

/// The first day of each term the windows touch (one per term, so an offer counts once in it).
pub fn load_dates(windows: &[crate::domain::request::VisitWindow]) -> Vec<String> {
    let mut terms: Vec<Term> = Vec::new();
    let mut dates = Vec::new();
    for window in windows {
        let mut day = window.start;
        while day <= window.end {
            let term = Term::of(day);
            if !terms.contains(&term) {
                terms.push(term);
                dates.push(crate::domain::format_date(day));
            }
            day += Duration::days(1);
        }
    }
    dates
}

/// `days` working days (Monday to Friday) after `from`.
pub fn add_working_days(from: Date, days: u8) -> Date {
    let mut date = from;
    let mut left = days;
    while left > 0 {
        date += Duration::days(1);
        if !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday) {
            left -= 1;
        }
    }
    date
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn working_days_skip_weekends() {
        // From Monday 2 March 2026 (and, last, from a Saturday: the first working day is
        // Monday): days to add, and the day reached.
        let cases = [
            (date!(2026 - 03 - 02), 0, date!(2026 - 03 - 02)),
            (date!(2026 - 03 - 02), 4, date!(2026 - 03 - 06)),
            (date!(2026 - 03 - 02), 5, date!(2026 - 03 - 09)),
            (date!(2026 - 03 - 02), 15, date!(2026 - 03 - 23)),
            (date!(2026 - 03 - 07), 1, date!(2026 - 03 - 09)),
        ];
        for (from, days, reached) in cases {
            assert_eq!(add_working_days(from, days), reached, "{from} + {days}");
        }
    }

    #[test]
    fn every_date_is_in_one_term() {
        assert_eq!(Term::of(date!(2026 - 09 - 01)), Term::Autumn(2026));
        assert_eq!(Term::of(date!(2027 - 03 - 31)), Term::Spring(2027));
        assert_eq!(Term::of(date!(2027 - 04 - 01)), Term::Summer(2027));
        assert_eq!(Term::Summer(2027).to_string(), "summer term 2027");
        for term in [Term::Autumn(2026), Term::Spring(2027), Term::Summer(2027)] {
            assert_eq!(Term::from_key(&term.key()), Some(term));
            assert_eq!(Term::of(term.first_day()), term);
        }
        assert_eq!(Term::from_key("winter-2026"), None);
        assert_eq!(Term::from_key("autumn-x"), None);
    }
}
