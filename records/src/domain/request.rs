//! A school's request for a review: every value parsed, so a `ReviewRequest` cannot exist
//! invalid. The web form and the JSON API both fill a [`RawReviewRequest`] (text, as typed) and
//! call [`ReviewRequest::parse`], which reports every field's problem at once.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::{Date, Duration};

use super::{AreaOfNeed, LocalAuthority, Phase, SchoolType, UnknownValue, Urn, format_date};

closed_list! {
    /// The kinds of review; they share one workflow and differ in focus and report template.
    pub enum ReviewType ("review type") {
        SendReview = "send_review", "SEND Review (whole school)";
        TaDeployment = "ta_deployment", "Teaching assistant deployment review";
        PreparingForAdulthood = "preparing_for_adulthood", "Preparing for Adulthood review";
        AlternativeProvision = "alternative_provision", "Alternative provision review";
        TrustSend = "trust_send", "Trust-level (MAT) SEND review";
    }
}

/// One field's problem, named by its form field (the API maps names to JSON pointers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

fn error(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        message: message.into(),
    }
}

/// Free text from a person: trimmed, within a length, no control characters (line breaks are
/// allowed only in multi-line text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Text(String);

impl Text {
    pub fn parse(text: &str, max_chars: usize, multi_line: bool) -> Result<Self, TextError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(TextError::Empty);
        }
        if text.chars().count() > max_chars {
            return Err(TextError::TooLong(max_chars));
        }
        let allowed = |c: char| !c.is_control() || (multi_line && matches!(c, '\n' | '\r' | '\t'));
        if !text.chars().all(allowed) {
            return Err(TextError::ControlCharacters);
        }
        Ok(Self(text.replace("\r\n", "\n")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextError {
    Empty,
    TooLong(usize),
    ControlCharacters,
}

/// A UK postcode in its canonical form (`SW1A 1AA`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Postcode(String);

impl FromStr for Postcode {
    type Err = ();

    fn from_str(text: &str) -> Result<Self, ()> {
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase();
        if compact == "GIR0AA" {
            return Ok(Self("GIR 0AA".into()));
        }
        if !(5..=7).contains(&compact.len()) || !compact.is_ascii() {
            return Err(());
        }
        let (outward, inward) = compact.split_at(compact.len() - 3);
        let inward_ok = {
            let b = inward.as_bytes();
            b[0].is_ascii_digit()
                && b[1..]
                    .iter()
                    .all(|c| c.is_ascii_uppercase() && !b"CIKMOV".contains(c))
        };
        // Outward codes: A9, A99, AA9, AA99, A9A, AA9A.
        let shape: String = outward
            .chars()
            .map(|c| {
                if c.is_ascii_digit() {
                    '9'
                } else if c.is_ascii_uppercase() {
                    'A'
                } else {
                    '?'
                }
            })
            .collect();
        let outward_ok = matches!(
            shape.as_str(),
            "A9" | "A99" | "AA9" | "AA99" | "A9A" | "AA9A"
        );
        if inward_ok && outward_ok {
            Ok(Self(format!("{outward} {inward}")))
        } else {
            Err(())
        }
    }
}

checked_text!(Postcode, stored as "a UK postcode");

/// An email address we can send to: a conservative subset of RFC 5321 (no quoted local parts,
/// no IP literals), so it is also safe in a header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl FromStr for EmailAddress {
    type Err = ();

    fn from_str(text: &str) -> Result<Self, ()> {
        let text = text.trim();
        let (local, domain) = text.rsplit_once('@').ok_or(())?;
        let local_ok = (1..=64).contains(&local.len())
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c))
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..");
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|label| {
                (1..=63).contains(&label.len())
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            })
            && labels
                .last()
                .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
        if local_ok && domain_ok && text.len() <= 254 {
            Ok(Self(format!("{local}@{}", domain.to_ascii_lowercase())))
        } else {
            Err(())
        }
    }
}

checked_text!(EmailAddress, stored as "an email address");

/// A UK phone number as typed (digits, spaces, +, brackets, hyphens), 10 to 15 digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PhoneNumber(String);

impl FromStr for PhoneNumber {
    type Err = ();
    fn from_str(text: &str) -> Result<Self, ()> {
        let text = text.trim();
        let digits = text.chars().filter(char::is_ascii_digit).count();
        let allowed = text
            .chars()
            .all(|c| c.is_ascii_digit() || " +()-".contains(c));
        if allowed && (10..=15).contains(&digits) && text.len() <= 25 {
            Ok(Self(text.to_owned()))
        } else {
            Err(())
        }
    }
}

/// A percentage from 0 to 100 with at most one decimal place, kept in tenths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Percentage(u16);

impl FromStr for Percentage {
    type Err = ();
    fn from_str(text: &str) -> Result<Self, ()> {
        let text = text.trim().trim_end_matches('%').trim();
        let (whole, tenths) = match text.split_once('.') {
            Some((whole, fraction)) if fraction.len() == 1 => (whole, fraction),
            Some(_) => return Err(()),
            None => (text, "0"),
        };
        let whole: u16 = whole.parse().map_err(|_| ())?;
        let tenths: u16 = tenths.parse().map_err(|_| ())?;
        let value = whole
            .checked_mul(10)
            .and_then(|w| w.checked_add(tenths))
            .ok_or(())?;
        if value <= 1000 {
            Ok(Self(value))
        } else {
            Err(())
        }
    }
}

impl fmt::Display for Percentage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_multiple_of(10) {
            write!(f, "{}%", self.0 / 10)
        } else {
            write!(f, "{}.{}%", self.0 / 10, self.0 % 10)
        }
    }
}

/// When a visit could happen: a run of days at least three weeks away and within a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitWindow {
    pub start: Date,
    pub end: Date,
}

/// The earliest a window may start: time to match a reviewer and prepare.
pub const MIN_NOTICE: Duration = Duration::weeks(3);
/// The latest a window may end.
pub const MAX_HORIZON: Duration = Duration::days(365);

impl VisitWindow {
    pub fn parse(start: Date, end: Date, today: Date) -> Result<Self, String> {
        if end < start {
            return Err("must end on or after the day it starts".into());
        }
        let earliest = today + MIN_NOTICE;
        if start < earliest {
            return Err(format!(
                "must start on or after {} (three weeks from today)",
                long_date(earliest)
            ));
        }
        let latest = today + MAX_HORIZON;
        if end > latest {
            return Err(format!(
                "must end by {} (within the next 12 months)",
                long_date(latest)
            ));
        }
        Ok(Self { start, end })
    }
}

impl fmt::Display for VisitWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.start == self.end {
            f.write_str(&long_date(self.start))
        } else {
            write!(f, "{} to {}", long_date(self.start), long_date(self.end))
        }
    }
}

/// `3 March 2027`, as GOV.UK writes dates.
pub fn long_date(date: Date) -> String {
    format!("{} {} {}", date.day(), date.month(), date.year())
}

/// A date typed into a form or sent by the API: `YYYY-MM-DD` (what `<input type=date>` sends),
/// or `DD/MM/YYYY` from browsers that show a plain text box.
pub fn parse_date_input(text: &str) -> Option<Date> {
    let text = text.trim();
    if let Ok(date) = super::parse_date(text) {
        return Some(date);
    }
    let mut parts = text.split('/');
    let (day, month, year) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || year.len() != 4 {
        return None;
    }
    let month = time::Month::try_from(month.trim().parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(year.trim().parse().ok()?, month, day.trim().parse().ok()?).ok()
}

/// Which focus areas of its framework the school wants: all of them, or a chosen few.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scope", content = "areas", rename_all = "snake_case")]
pub enum FocusAreas {
    All,
    Chosen(Vec<FocusArea>),
}

pub const MAX_LEARNING_GOAL_CHARS: usize = 1500;
pub const MAX_NAME_CHARS: usize = 120;

/// A request as typed: every field text (or a list of texts), nothing checked yet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawReviewRequest {
    pub urn: String,
    pub school_name: String,
    pub phase: String,
    pub school_type: String,
    pub local_authority: String,
    pub trust: String,
    pub postcode: String,
    pub number_on_roll: String,
    pub sen_support_percent: String,
    pub ehc_plan_percent: String,
    pub areas_of_need: Vec<String>,
    pub review_type: String,
    /// `all` or `chosen`.
    pub focus_scope: String,
    pub focus_areas: Vec<String>,
    /// `(start, end)` of each window the school filled in (empty pairs dropped).
    pub visit_windows: Vec<(String, String)>,
    pub learning_goal: String,
    pub contact_name: String,
    pub contact_role: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub no_pupil_named: bool,
    pub privacy_notice_accepted: bool,
    /// "We would like to review a school in return" (optional; no unless ticked).
    #[serde(default)]
    pub reciprocal: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct School {
    pub urn: Urn,
    pub name: Text,
    pub phase: Phase,
    pub school_type: SchoolType,
    pub local_authority_code: u16,
    pub trust: Option<Text>,
    pub postcode: Postcode,
    pub number_on_roll: u32,
    pub sen_support_percent: Percentage,
    pub ehc_plan_percent: Percentage,
    pub areas_of_need: Vec<AreaOfNeed>,
}

impl School {
    pub fn local_authority(&self) -> &'static LocalAuthority {
        LocalAuthority::by_code(self.local_authority_code).expect("parsed from the bundled list")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub name: Text,
    pub role: Text,
    pub email: EmailAddress,
    pub phone: Option<PhoneNumber>,
}

/// A school's request for a review, valid in every part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewRequest {
    pub school: School,
    pub review_type: ReviewType,
    /// The framework version it was made under, with that version's areas (absent on requests
    /// stored before frameworks were data: the whole-school framework's version 0).
    #[serde(default)]
    pub framework: FrameworkRef,
    pub focus_areas: FocusAreas,
    pub visit_windows: Vec<VisitWindow>,
    pub learning_goal: Text,
    pub contact: Contact,
    /// The school would like one of its trained reviewers to review a school in return: a term
    /// plan may propose reciprocal pairs and triads among such schools. (Absent: no.)
    #[serde(default)]
    pub reciprocal: bool,
}

impl ReviewRequest {
    /// Parses every field, offering every review type the whole-school areas (tests and tools
    /// without the table's frameworks); on failure, every field's problem, in form order.
    pub fn parse(raw: &RawReviewRequest, today: Date) -> Result<Self, Vec<FieldError>> {
        Self::parse_with(raw, today, &Frameworks::whole_school_for_every_type())
    }

    /// The request's focus areas as its framework names them: every one in the framework's
    /// order, or the chosen ones in the order the school gave them.
    pub fn areas(&self) -> Vec<NamedArea> {
        match &self.focus_areas {
            FocusAreas::All => self.framework.areas.clone(),
            FocusAreas::Chosen(chosen) => chosen
                .iter()
                .filter_map(|key| self.framework.area(key))
                .cloned()
                .collect(),
        }
    }

    /// Parses every field, the focus areas against the framework `frameworks` gives the chosen
    /// review type; on failure, every field's problem, in form order.
    pub fn parse_with(
        raw: &RawReviewRequest,
        today: Date,
        frameworks: &Frameworks,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();

        let urn = check(
            &mut errors,
            raw.urn
                .parse::<Urn>()
                .map_err(|_| error("urn", "Enter your school's URN: 6 digits, like 123456")),
        );
        let name = check(
            &mut errors,
            text(
                "school_name",
                &raw.school_name,
                MAX_NAME_CHARS,
                "the school's name",
            ),
        );
        let phase = check(
            &mut errors,
            choice("phase", &raw.phase, "Select the school's phase"),
        );
        let school_type = check(
            &mut errors,
            choice("school_type", &raw.school_type, "Select the type of school"),
        );
        let local_authority_code = check(
            &mut errors,
            raw.local_authority
                .trim()
                .parse::<u16>()
                .ok()
                .and_then(LocalAuthority::by_code)
                .map(|la| la.code)
                .ok_or_else(|| error("local_authority", "Select the school's local authority")),
        );
        let trust = check(
            &mut errors,
            optional_text("trust", &raw.trust, MAX_NAME_CHARS, "the trust's name"),
        );
        let postcode = check(
            &mut errors,
            raw.postcode
                .parse::<Postcode>()
                .map_err(|_| error("postcode", "Enter a real UK postcode, like SW1A 1AA")),
        );
        let number_on_roll = check(
            &mut errors,
            raw.number_on_roll
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=10_000).contains(n))
                .ok_or_else(|| {
                    error(
                        "number_on_roll",
                        "Enter the number on roll as a whole number from 1 to 10,000",
                    )
                }),
        );
        let sen_support_percent = check(
            &mut errors,
            percentage(
                "sen_support_percent",
                &raw.sen_support_percent,
                "on SEN support",
            ),
        );
        let ehc_plan_percent = check(
            &mut errors,
            percentage(
                "ehc_plan_percent",
                &raw.ehc_plan_percent,
                "with an EHC plan",
            ),
        );
        let areas_of_need = check(
            &mut errors,
            list::<AreaOfNeed>(
                "areas_of_need",
                &raw.areas_of_need,
                "Select at least one main area of need",
            ),
        );
        let review_type = check(
            &mut errors,
            choice::<ReviewType>("review_type", &raw.review_type, "Select the kind of review")
                .and_then(|review_type| {
                    frameworks
                        .of(review_type)
                        .map(|framework| (review_type, framework.clone()))
                        .ok_or_else(|| {
                            error(
                                "review_type",
                                "This programme does not offer that kind of review",
                            )
                        })
                }),
        );
        let focus_areas = check(
            &mut errors,
            match raw.focus_scope.trim() {
                "all" => Ok(FocusAreas::All),
                "chosen" => match &review_type {
                    Some((_, framework)) => chosen_areas(&raw.focus_areas, framework),
                    // Areas are checked against the chosen type's framework: nothing to check
                    // against until a type is chosen (its own error says so).
                    None => Ok(FocusAreas::All),
                },
                _ => Err(error(
                    "focus_scope",
                    "Choose whether you want every focus area or a few",
                )),
            },
        );
        let visit_windows = check(&mut errors, parse_visit_windows(&raw.visit_windows, today));
        let learning_goal = check(
            &mut errors,
            text(
                "learning_goal",
                &raw.learning_goal,
                MAX_LEARNING_GOAL_CHARS,
                "what your school most wants to learn from the review",
            ),
        );
        let contact_name = check(
            &mut errors,
            text(
                "contact_name",
                &raw.contact_name,
                MAX_NAME_CHARS,
                "your full name",
            ),
        );
        let contact_role = check(
            &mut errors,
            text(
                "contact_role",
                &raw.contact_role,
                MAX_NAME_CHARS,
                "your role",
            ),
        );
        let contact_email = check(
            &mut errors,
            raw.contact_email.parse::<EmailAddress>().map_err(|_| {
                error(
                    "contact_email",
                    "Enter an email address in the correct format, like name@school.sch.uk",
                )
            }),
        );
        let contact_phone = check(
            &mut errors,
            match raw.contact_phone.trim() {
                "" => Ok(None),
                phone => phone.parse::<PhoneNumber>().map(Some).map_err(|_| {
                    error(
                        "contact_phone",
                        "Enter a UK phone number, like 01632 960 001, or leave it empty",
                    )
                }),
            },
        );
        if !raw.no_pupil_named {
            errors.push(error(
                "no_pupil_named",
                "Confirm that no pupil is named in this request",
            ));
        }
        if !raw.privacy_notice_accepted {
            errors.push(error(
                "privacy_notice_accepted",
                "Confirm that your school agrees to the privacy notice",
            ));
        }
        let (
            Some(urn),
            Some(name),
            Some(phase),
            Some(school_type),
            Some(local_authority_code),
            Some(trust),
            Some(postcode),
        ) = (
            urn,
            name,
            phase,
            school_type,
            local_authority_code,
            trust,
            postcode,
        )
        else {
            return Err(errors);
        };
        let (
            Some(number_on_roll),
            Some(sen_support_percent),
            Some(ehc_plan_percent),
            Some(areas_of_need),
            Some(review_type),
            Some(focus_areas),
            Some(visit_windows),
        ) = (
            number_on_roll,
            sen_support_percent,
            ehc_plan_percent,
            areas_of_need,
            review_type,
            focus_areas,
            visit_windows,
        )
        else {
            return Err(errors);
        };
        let (
            Some(learning_goal),
            Some(contact_name),
            Some(contact_role),
            Some(contact_email),
            Some(contact_phone),
        ) = (
            learning_goal,
            contact_name,
            contact_role,
            contact_email,
            contact_phone,
        )
        else {
            return Err(errors);
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            school: School {
                urn,
                name,
                phase,
                school_type,
                local_authority_code,
                trust,
                postcode,
                number_on_roll,
                sen_support_percent,
                ehc_plan_percent,
                areas_of_need,
            },
            review_type: review_type.0,
            framework: review_type.1,
            focus_areas,
            visit_windows,
            learning_goal,
            contact: Contact {
                name: contact_name,
                role: contact_role,
                email: contact_email,
                phone: contact_phone,
            },
            reciprocal: raw.reciprocal,
        })
    }
}

/// The value, or `None` with its error recorded.
fn check<T>(errors: &mut Vec<FieldError>, result: Result<T, FieldError>) -> Option<T> {
    result.map_err(|e| errors.push(e)).ok()
}

fn text(field: &'static str, value: &str, max: usize, what: &str) -> Result<Text, FieldError> {
    Text::parse(value, max, field == "learning_goal").map_err(|e| match e {
        TextError::Empty => error(field, format!("Enter {what}")),
        TextError::TooLong(max) => {
            error(field, format!("Keep {what} to {max} characters or fewer"))
        }
        TextError::ControlCharacters => {
            error(field, format!("Remove the special characters from {what}"))
        }
    })
}

fn optional_text(
    field: &'static str,
    value: &str,
    max: usize,
    what: &str,
) -> Result<Option<Text>, FieldError> {
    if value.trim().is_empty() {
        Ok(None)
    } else {
        text(field, value, max, what).map(Some)
    }
}

fn choice<T: FromStr>(field: &'static str, value: &str, message: &str) -> Result<T, FieldError> {
    value.parse().map_err(|_| error(field, message))
}

fn list<T: FromStr + PartialEq>(
    field: &'static str,
    values: &[String],
    empty: &str,
) -> Result<Vec<T>, FieldError> {
    let mut parsed = Vec::new();
    for value in values.iter().filter(|v| !v.trim().is_empty()) {
        let item: T = value
            .parse()
            .map_err(|_| error(field, format!("{value:?} is not one of the options")))?;
        if !parsed.contains(&item) {
            parsed.push(item);
        }
    }
    if parsed.is_empty() {
        Err(error(field, empty))
    } else {
        Ok(parsed)
    }
}

/// The chosen areas (keys, or titles as the API and imports may give them) of `framework`.
fn chosen_areas(values: &[String], framework: &FrameworkRef) -> Result<FocusAreas, FieldError> {
    let mut chosen: Vec<FocusArea> = Vec::new();
    for value in values.iter().filter(|v| !v.trim().is_empty()) {
        let area = framework.find(value).ok_or_else(|| {
            error(
                "focus_areas",
                format!("{value:?} is not one of the focus areas of this kind of review"),
            )
        })?;
        if !chosen.contains(&area.key) {
            chosen.push(area.key.clone());
        }
    }
    if chosen.is_empty() {
        return Err(error(
            "focus_areas",
            "Select the focus areas you want, or choose every focus area",
        ));
    }
    Ok(FocusAreas::Chosen(chosen))
}

fn percentage(field: &'static str, value: &str, of_whom: &str) -> Result<Percentage, FieldError> {
    value.parse().map_err(|_| {
        error(
            field,
            format!(
                "Enter the percentage of pupils {of_whom} as a number from 0 to 100, like 12.5"
            ),
        )
    })
}

/// The field names of window `n` (1-based) on the form.
pub const WINDOW_FIELDS: [(&str, &str); 3] = [
    ("window_1_start", "window_1_end"),
    ("window_2_start", "window_2_end"),
    ("window_3_start", "window_3_end"),
];

/// The visit windows as typed (`(start, end)` per filled-in window, fields [`WINDOW_FIELDS`]):
/// two or three, each a real run of days in the allowed range; or the first problem.
pub fn parse_visit_windows(
    raw: &[(String, String)],
    today: Date,
) -> Result<Vec<VisitWindow>, FieldError> {
    if raw.len() > 3 {
        return Err(error("window_1_start", "Give at most three visit windows"));
    }
    let mut windows = Vec::new();
    for (i, (start, end)) in raw.iter().enumerate() {
        let (start_field, end_field) = WINDOW_FIELDS[i];
        let n = i + 1;
        let start = parse_date_input(start).ok_or_else(|| {
            error(
                start_field,
                format!("Enter the first day of visit window {n} as a real date"),
            )
        })?;
        let end = parse_date_input(end).ok_or_else(|| {
            error(
                end_field,
                format!("Enter the last day of visit window {n} as a real date"),
            )
        })?;
        let window = VisitWindow::parse(start, end, today).map_err(|reason| {
            let field = if reason.starts_with("must end") {
                end_field
            } else {
                start_field
            };
            error(field, format!("Visit window {n} {reason}"))
        })?;
        windows.push(window);
    }
    if windows.len() < 2 {
        let field = WINDOW_FIELDS[windows.len()].0;
        return Err(error(
            field,
            "Give at least two visit windows, so a reviewer can be found",
        ));
    }
    Ok(windows)
}

/// A request's public reference: `SR-` and six characters from an alphabet without look-alikes
/// (no 0/O, 1/I/L, U), split for reading aloud: `SR-7K3M-Q9`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Reference(String);

pub const REFERENCE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTVWXYZ";

impl Reference {
    pub fn generate(random: &mut impl rand::RngExt) -> Self {
        let chars: String = (0..6)
            .map(|_| REFERENCE_ALPHABET[random.random_range(0..REFERENCE_ALPHABET.len())] as char)
            .collect();
        Self(format!("SR-{}-{}", &chars[..4], &chars[4..]))
    }
}

impl FromStr for Reference {
    type Err = ();
    fn from_str(text: &str) -> Result<Self, ()> {
        let upper = text.trim().to_ascii_uppercase();
        let ok = upper.len() == 10
            && upper.starts_with("SR-")
            && upper.as_bytes()[7] == b'-'
            && upper[3..7]
                .bytes()
                .chain(upper[8..].bytes())
                .all(|b| REFERENCE_ALPHABET.contains(&b));
        if ok { Ok(Self(upper)) } else { Err(()) }
    }
}

checked_text!(Reference, stored as "a request reference");

pub fn iso(date: Date) -> String {
    format_date(date)
}

mod framework;
pub use framework::{FocusArea, FrameworkRef, Frameworks, MAX_AREA_KEY_CHARS, NamedArea};

/// The test request (this crate's tests and, with the `fixtures` feature, other crates').
#[cfg(any(test, feature = "fixtures"))]
pub mod fixture;
#[cfg(test)]
pub(crate) mod tests;
