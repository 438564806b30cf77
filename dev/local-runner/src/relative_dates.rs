//! Dates written relative to the day the stack starts, for demo data that tells the same story
//! on any day: `today`, `today-14m`, `today+8w`, `today+8w+4d` (days `d`, weeks `w`, months
//! `m`, years `y`, applied left to right; a month step keeps the day of the month, or the
//! month's last day when it has no such day). [`resolve`] turns every such word in a text into
//! `YYYY-MM-DD`, so a relative file becomes an ordinary import file that the product's own
//! parser reads.

use time::{Date, Duration, Month};

/// `text` with every relative date replaced by the date it means on `today`.
pub fn resolve(text: &str, today: Date) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("today") {
        out.push_str(&rest[..at]);
        let word_end = rest[at..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '-'))
            .map_or(rest.len(), |end| at + end);
        let word = &rest[at..word_end];
        let date = date_of(word, today)?;
        out.push_str(&date.to_string());
        rest = &rest[word_end..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The date one relative word (`today+8w+4d`) means on `today`.
pub fn date_of(word: &str, today: Date) -> Result<Date, String> {
    let mut steps = word
        .strip_prefix("today")
        .ok_or_else(|| format!("{word:?} does not start with \"today\""))?;
    let mut date = today;
    while !steps.is_empty() {
        let sign: i64 = match steps.as_bytes()[0] {
            b'+' => 1,
            b'-' => -1,
            _ => return Err(format!("{word:?}: expected + or - before {steps:?}")),
        };
        let digits = steps[1..]
            .find(|c: char| !c.is_ascii_digit())
            .ok_or_else(|| format!("{word:?}: a number needs a unit (d, w, m or y)"))?;
        let count: i64 = steps[1..=digits]
            .parse()
            .map_err(|_| format!("{word:?}: expected a number after {:?}", &steps[..1]))?;
        let unit = steps.as_bytes()[1 + digits];
        date = match unit {
            b'd' => date + Duration::days(sign * count),
            b'w' => date + Duration::weeks(sign * count),
            b'm' => add_months(date, sign * count),
            b'y' => add_months(date, sign * count * 12),
            _ => return Err(format!("{word:?}: the unit must be d, w, m or y")),
        };
        steps = &steps[digits + 2..];
    }
    Ok(date)
}

/// `date` moved by `months`, on the same day of the month or the month's last day.
pub fn add_months(date: Date, months: i64) -> Date {
    let index = i64::from(date.year()) * 12 + i64::from(u8::from(date.month())) - 1 + months;
    let year = i32::try_from(index.div_euclid(12)).expect("a year in range");
    let month =
        Month::try_from(u8::try_from(index.rem_euclid(12) + 1).expect("1 to 12")).expect("a month");
    let day = date.day().min(month.length(year));
    Date::from_calendar_date(year, month, day).expect("a day that exists")
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    const TODAY: Date = date!(2027 - 01 - 31);

    #[test]
    fn each_unit_moves_the_date() {
        assert_eq!(date_of("today", TODAY), Ok(TODAY));
        assert_eq!(date_of("today+3d", TODAY), Ok(date!(2027 - 02 - 03)));
        assert_eq!(date_of("today-2w", TODAY), Ok(date!(2027 - 01 - 17)));
        assert_eq!(date_of("today+8w+4d", TODAY), Ok(date!(2027 - 04 - 01)));
        assert_eq!(date_of("today-1y", TODAY), Ok(date!(2026 - 01 - 31)));
    }

    #[test]
    fn a_month_step_keeps_the_day_or_takes_the_last_day() {
        assert_eq!(date_of("today+1m", TODAY), Ok(date!(2027 - 02 - 28)));
        assert_eq!(date_of("today+13m", TODAY), Ok(date!(2028 - 02 - 29)));
        assert_eq!(date_of("today-14m", TODAY), Ok(date!(2025 - 11 - 30)));
        assert_eq!(add_months(date!(2026 - 12 - 15), 1), date!(2027 - 01 - 15));
        assert_eq!(add_months(date!(2027 - 01 - 15), -1), date!(2026 - 12 - 15));
    }

    #[test]
    fn resolve_replaces_every_relative_word_and_nothing_else() {
        let text = "a,today-1d,b\nc,today+1w..today+1w+4d;today,todays";
        assert_eq!(
            resolve(text, TODAY).unwrap_err(),
            "\"todays\": expected + or - before \"s\""
        );
        let text = "a,today-1d,b\nc,today+1w..today+1w+4d;today,2027-02-30";
        assert_eq!(
            resolve(text, TODAY).unwrap(),
            "a,2027-01-30,b\nc,2027-02-07..2027-02-11;2027-01-31,2027-02-30"
        );
    }

    #[test]
    fn bad_words_are_named() {
        assert!(date_of("today+3", TODAY).unwrap_err().contains("unit"));
        assert!(date_of("today+3q", TODAY).unwrap_err().contains("unit"));
        assert!(date_of("today*3d", TODAY).unwrap_err().contains("+ or -"));
    }
}
