//! The terms of the English school year, by which reviewers' capacity is counted.

use std::fmt;

use time::{Date, Month};

use crate::domain::format_date;
use crate::domain::request::VisitWindow;

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
pub fn load_dates(windows: &[VisitWindow]) -> Vec<String> {
    let mut terms: Vec<Term> = Vec::new();
    let mut dates = Vec::new();
    for window in windows {
        let mut day = window.start;
        while day <= window.end {
            let term = Term::of(day);
            if !terms.contains(&term) {
                terms.push(term);
                dates.push(format_date(day));
            }
            day += time::Duration::days(1);
        }
    }
    dates
}
