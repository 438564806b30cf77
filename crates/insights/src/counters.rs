//! The counters' names (attributes of a counters item) and the figures read back from them.
//!
//! A counters item is flat: one number attribute per counter (`stage.accepted`,
//! `days.to_booked.12`, `ebi.outcomes`, ...), so an update adds to any of them with `ADD`
//! whether or not it exists yet, and one read returns a whole term.

use std::collections::{BTreeMap, BTreeSet};

pub const RECEIVED: &str = "received";
pub const BOOKED: &str = "booked";
pub const FINAL: &str = "final";
pub const TO_BOOKED: &str = "to_booked";
pub const TO_VISIT: &str = "to_visit";
pub const TO_FINAL: &str = "to_final";

/// The fewest schools behind a figure for any of them to be named.
pub const MIN_SCHOOLS_NAMED: usize = 5;

pub fn stage(state: &str) -> String {
    format!("stage.{state}")
}
pub fn review_type(key: &str) -> String {
    format!("review_type.{key}")
}
pub fn phase(key: &str) -> String {
    format!("phase.{key}")
}
pub fn school_type(key: &str) -> String {
    format!("school_type.{key}")
}
/// One more request took `days` to reach `milestone` (a histogram bucket per day).
pub fn days(milestone: &str, days: i64) -> String {
    format!("days.{milestone}.{days}")
}
/// An area as the counters name it: its key in the whole-school framework (as the signposting
/// index does), else `<review type>#<key>`, so areas are counted within their own framework.
pub fn area_in(framework: Option<&str>, area: &str) -> String {
    match framework {
        None | Some("send_review") => area.to_owned(),
        Some(review_type) => format!("{review_type}#{area}"),
    }
}
pub fn even_better_if(area: &str) -> String {
    format!("ebi.{area}")
}
pub fn strong(area: &str) -> String {
    format!("strong.{area}")
}
/// The string set of the consenting strong schools' names in `area`.
pub fn strong_names(area: &str) -> String {
    format!("strong_names.{area}")
}
pub fn answers(side: &str) -> String {
    format!("feedback.{side}.answers")
}
pub fn score(side: &str, question: &str, score: u8) -> String {
    format!("feedback.{side}.{question}.{score}")
}

/// The counters of one or more items, added up (a year is its terms' items).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub numbers: BTreeMap<String, i64>,
    pub names: BTreeMap<String, BTreeSet<String>>,
}

/// Median and 90th percentile of a histogram of days (nearest rank), and how many it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spread {
    pub count: i64,
    pub median: Option<i64>,
    pub p90: Option<i64>,
}

/// A consenting-strong-schools figure for one area: the count, and the names only when at
/// least [`MIN_SCHOOLS_NAMED`] schools are behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Strength {
    pub area: String,
    pub schools: i64,
    pub names: Option<Vec<String>>,
}

/// One feedback question's answers: how many gave each score, and the mean.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    pub side: &'static str,
    pub question: &'static str,
    pub by_score: [i64; 5],
}

impl Scores {
    pub fn answers(&self) -> i64 {
        self.by_score.iter().sum()
    }

    /// The mean score to one decimal place, if anyone answered.
    pub fn mean(&self) -> Option<f64> {
        let n = self.answers();
        (n > 0).then(|| {
            let total: i64 = (1..=5).zip(self.by_score).map(|(s, c)| s * c).sum();
            (total as f64 / n as f64 * 10.0).round() / 10.0
        })
    }
}

impl Counts {
    /// Adds `other` in (a year's terms, or the programme's item).
    pub fn merge(&mut self, other: &Counts) {
        for (name, value) in &other.numbers {
            *self.numbers.entry(name.clone()).or_default() += value;
        }
        for (name, set) in &other.names {
            self.names
                .entry(name.clone())
                .or_default()
                .extend(set.iter().cloned());
        }
    }

    pub fn get(&self, name: &str) -> i64 {
        self.numbers.get(name).copied().unwrap_or(0)
    }

    /// Every counter under `prefix.` whose value is not zero, by the rest of its name.
    pub fn under(&self, prefix: &str) -> Vec<(String, i64)> {
        let start = format!("{prefix}.");
        self.numbers
            .range(start.clone()..)
            .take_while(|(name, _)| name.starts_with(&start))
            .filter(|(_, value)| **value != 0)
            .map(|(name, value)| (name[start.len()..].to_owned(), *value))
            .collect()
    }

    /// The spread of days to `milestone`.
    pub fn spread(&self, milestone: &str) -> Spread {
        let mut histogram: Vec<(i64, i64)> = self
            .under(&format!("days.{milestone}"))
            .into_iter()
            .filter_map(|(day, count)| Some((day.parse().ok()?, count)))
            .filter(|(_, count)| *count > 0)
            .collect();
        histogram.sort();
        let count: i64 = histogram.iter().map(|(_, c)| c).sum();
        let rank = |fraction_tenths: i64| {
            // Nearest rank: the smallest day with at least ceil(n * p) values at or below it.
            let needed = (count * fraction_tenths + 9) / 10;
            let mut seen = 0;
            histogram.iter().find_map(|(day, c)| {
                seen += c;
                (seen >= needed.max(1)).then_some(*day)
            })
        };
        Spread {
            count,
            median: (count > 0).then(|| rank(5)).flatten(),
            p90: (count > 0).then(|| rank(9)).flatten(),
        }
    }

    /// Each area with consenting strong schools, most first; names only where at least
    /// [`MIN_SCHOOLS_NAMED`] different schools are behind the figure.
    pub fn strengths(&self) -> Vec<Strength> {
        let mut areas: Vec<Strength> = self
            .under("strong")
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(area, schools)| {
                let names = self
                    .names
                    .get(&strong_names(&area))
                    .filter(|names| names.len() >= MIN_SCHOOLS_NAMED)
                    .map(|names| names.iter().cloned().collect());
                Strength {
                    area,
                    schools,
                    names,
                }
            })
            .collect();
        areas.sort_by(|a, b| b.schools.cmp(&a.schools).then(a.area.cmp(&b.area)));
        areas
    }

    /// The scores of every feedback question, in the questionnaires' order.
    pub fn scores(&self) -> Vec<Scores> {
        crate::feedback::Respondent::SIDES
            .iter()
            .flat_map(|side| {
                crate::feedback::questions(side)
                    .iter()
                    .map(move |question| Scores {
                        side,
                        question: question.key,
                        by_score: std::array::from_fn(|i| {
                            self.get(&score(side, question.key, i as u8 + 1))
                        }),
                    })
            })
            .collect()
    }
}
