//! Reading a framework file, and checking a framework against the limits, with one problem per
//! field: a person fixing an imported file (or the console's form) needs to know where.

use serde_json::{Map, Value};

use super::*;

/// The members each object of the file may have; anything else is refused by name, so a typo
/// (`promts`) is not silently dropped.
const FILE_MEMBERS: [&str; 6] = ["schema", "key", "name", "review_type", "source", "areas"];
const AREA_MEMBERS: [&str; 6] = [
    "key",
    "title",
    "description",
    "prompts",
    "evidence",
    "report_heading",
];
const PROMPT_MEMBERS: [&str; 2] = ["mainstream", "specialist"];

pub(super) fn from_json(text: &str) -> Result<Framework, Vec<Problem>> {
    let value: Value = serde_json::from_str(text).map_err(|error| {
        vec![problem(
            "",
            format!("The file is not JSON: {error}. Export a framework from the console or the admin tool to see the shape."),
        )]
    })?;
    let mut problems = Vec::new();
    let p = &mut problems;
    let Some(file) = Reader::at(p, "").object(&value, &FILE_MEMBERS) else {
        return Err(problems);
    };
    match file.get("schema").and_then(Value::as_str) {
        Some(SCHEMA) => {}
        _ => Reader::at(p, "/schema").fail(format!("Give \"schema\": \"{SCHEMA}\".")),
    }
    let key = Reader::at(p, "/key").key(file.get("key"));
    let name = Reader::at(p, "/name").text(file.get("name"), true);
    let review_type = match file.get("review_type").and_then(Value::as_str) {
        Some(text) => text.parse::<ReviewType>().ok(),
        None => None,
    };
    if review_type.is_none() {
        let allowed: Vec<&str> = ReviewType::ALL.iter().map(|t| t.as_str()).collect();
        Reader::at(p, "/review_type").fail(format!("Give one of: {}.", allowed.join(", ")));
    }
    let source = Reader::at(p, "/source")
        .text(file.get("source"), false)
        .unwrap_or_default();
    header_problems(p, name.as_deref().unwrap_or("-"), &source);
    let areas: Vec<Option<Area>> = match file.get("areas") {
        Some(Value::Array(areas)) => {
            p.extend(area_count_problem(areas.len()));
            areas
                .iter()
                .enumerate()
                .map(|(i, value)| {
                    let area = read_area(value, &format!("/areas/{i}"), p);
                    if let Some(area) = &area {
                        area_problems(p, i, area);
                    }
                    area
                })
                .collect()
        }
        _ => {
            Reader::at(p, "/areas").fail("Give \"areas\": a list of focus areas.");
            Vec::new()
        }
    };
    key_problems(p, &areas);
    let (Some(key), Some(name), Some(review_type)) = (key, name, review_type) else {
        return Err(problems);
    };
    match areas.into_iter().collect::<Option<Vec<Area>>>() {
        Some(areas) if problems.is_empty() => Ok(Framework {
            key,
            name,
            review_type,
            source,
            areas,
        }),
        _ => Err(problems),
    }
}

fn read_area(value: &Value, pointer: &str, problems: &mut Vec<Problem>) -> Option<Area> {
    let p = problems;
    let at = |suffix: &str| format!("{pointer}{suffix}");
    let area = Reader::at(p, pointer).object(value, &AREA_MEMBERS)?.clone();
    let key = Reader::at(p, &at("/key")).key(area.get("key"));
    let title = Reader::at(p, &at("/title")).text(area.get("title"), true);
    let description = Reader::at(p, &at("/description")).text(area.get("description"), false);
    let prompts = area.get("prompts").and_then(|prompts| {
        Reader::at(p, &at("/prompts"))
            .object(prompts, &PROMPT_MEMBERS)
            .cloned()
    });
    let Some(prompts) = prompts else {
        Reader::at(p, &at("/prompts"))
            .fail("Give \"prompts\" with \"mainstream\" and \"specialist\" lists.");
        return None;
    };
    let mainstream = Reader::at(p, &at("/prompts/mainstream")).texts(prompts.get("mainstream"));
    let specialist = Reader::at(p, &at("/prompts/specialist")).texts(prompts.get("specialist"));
    let evidence = match area.get("evidence") {
        None => Some(Vec::new()),
        evidence => Reader::at(p, &at("/evidence")).texts(evidence),
    };
    let report_heading =
        Reader::at(p, &at("/report_heading")).text(area.get("report_heading"), false);
    let title = title?;
    Some(Area {
        key: key?,
        report_heading: report_heading
            .filter(|heading| !heading.is_empty())
            .unwrap_or_else(|| title.clone()),
        title,
        description: description.unwrap_or_default(),
        prompts: Prompts {
            mainstream: mainstream?,
            specialist: specialist?,
        },
        evidence: evidence?,
    })
}

/// Reads one member, recording a problem at its pointer when it is not what it should be.
struct Reader<'a> {
    pointer: String,
    problems: &'a mut Vec<Problem>,
}

impl<'a> Reader<'a> {
    fn at(problems: &'a mut Vec<Problem>, pointer: &str) -> Self {
        Reader {
            pointer: pointer.to_owned(),
            problems,
        }
    }

    fn fail(&mut self, message: impl Into<String>) {
        self.problems.push(problem(&self.pointer, message));
    }

    fn object<'v>(&mut self, value: &'v Value, members: &[&str]) -> Option<&'v Map<String, Value>> {
        let Value::Object(object) = value else {
            self.fail("Give an object here ({ ... }).");
            return None;
        };
        for name in object
            .keys()
            .filter(|name| !members.contains(&name.as_str()))
        {
            self.problems.push(problem(
                &format!("{}/{name}", self.pointer),
                format!(
                    "\"{name}\" is not a field of a framework file here. Allowed: {}.",
                    members.join(", ")
                ),
            ));
        }
        Some(object)
    }

    fn key(&mut self, value: Option<&Value>) -> Option<Key> {
        match value.and_then(Value::as_str).map(Key::parse) {
            Some(Ok(key)) => Some(key),
            Some(Err(message)) => {
                self.fail(message);
                None
            }
            None => {
                self.fail("Give a key, for example \"leadership\".");
                None
            }
        }
    }

    /// Text, trimmed; a `required` member may not be missing. Emptiness and lengths are
    /// checked with the rest of the framework ([`problems`]), once.
    fn text(&mut self, value: Option<&Value>, required: bool) -> Option<String> {
        match value {
            Some(Value::String(text)) => Some(text.trim().to_owned()),
            None if !required => Some(String::new()),
            _ => {
                self.fail("Give text here (a JSON string).");
                None
            }
        }
    }

    fn texts(&mut self, value: Option<&Value>) -> Option<Vec<String>> {
        let Some(Value::Array(items)) = value else {
            self.fail("Give a list of texts here ([\"...\"]).");
            return None;
        };
        let mut texts = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let mut item_reader = Reader {
                pointer: format!("{}/{i}", self.pointer),
                problems: self.problems,
            };
            texts.push(item_reader.text(Some(item), true)?);
        }
        Some(texts)
    }
}

/// Every problem of `framework` against the limits, each at the pointer its file would have,
/// in the order of the file.
pub(super) fn problems(framework: &Framework) -> Vec<Problem> {
    let mut problems = Vec::new();
    let p = &mut problems;
    header_problems(p, &framework.name, &framework.source);
    p.extend(area_count_problem(framework.areas.len()));
    for (i, area) in framework.areas.iter().enumerate() {
        area_problems(p, i, area);
    }
    let areas: Vec<Option<Area>> = framework.areas.iter().cloned().map(Some).collect();
    key_problems(p, &areas);
    problems
}

/// The number of areas, outside its limits.
fn area_count_problem(areas: usize) -> Option<Problem> {
    (areas == 0 || areas > MAX_AREAS)
        .then(|| problem("/areas", format!("Give from 1 to {MAX_AREAS} focus areas.")))
}

fn header_problems(p: &mut Vec<Problem>, name: &str, source: &str) {
    check_text(p, "/name", name, MAX_NAME_CHARS, true);
    check_text(p, "/source", source, MAX_DESCRIPTION_CHARS, false);
}

/// The problems of area `i`'s own texts.
fn area_problems(p: &mut Vec<Problem>, i: usize, area: &Area) {
    let at = |suffix: &str| format!("/areas/{i}{suffix}");
    check_text(p, &at("/title"), &area.title, MAX_TITLE_CHARS, true);
    check_text(
        p,
        &at("/description"),
        &area.description,
        MAX_DESCRIPTION_CHARS,
        false,
    );
    if area.report_heading != area.title {
        check_text(
            p,
            &at("/report_heading"),
            &area.report_heading,
            MAX_TITLE_CHARS,
            true,
        );
    }
    for (setting, prompts) in [
        ("mainstream", &area.prompts.mainstream),
        ("specialist", &area.prompts.specialist),
    ] {
        let pointer = at(&format!("/prompts/{setting}"));
        if prompts.is_empty() || prompts.len() > MAX_PROMPTS {
            p.push(problem(
                &pointer,
                format!("Give from 1 to {MAX_PROMPTS} prompts for {setting} settings."),
            ));
        }
        for (j, prompt) in prompts.iter().enumerate() {
            check_text(p, &format!("{pointer}/{j}"), prompt, MAX_PROMPT_CHARS, true);
        }
    }
    if area.evidence.len() > MAX_EVIDENCE_ITEMS {
        p.push(problem(
            &at("/evidence"),
            format!("Give at most {MAX_EVIDENCE_ITEMS} kinds of evidence."),
        ));
    }
    for (j, evidence) in area.evidence.iter().enumerate() {
        check_text(
            p,
            &at(&format!("/evidence/{j}")),
            evidence,
            MAX_EVIDENCE_CHARS,
            true,
        );
    }
}

/// An area key used by an earlier area (by their places in the file).
fn key_problems(p: &mut Vec<Problem>, areas: &[Option<Area>]) {
    for (i, area) in areas.iter().enumerate() {
        let Some(area) = area else { continue };
        if areas[..i]
            .iter()
            .flatten()
            .any(|earlier| earlier.key == area.key)
        {
            p.push(problem(
                &format!("/areas/{i}/key"),
                format!(
                    "Another area already has the key \"{}\": give each area its own.",
                    area.key
                ),
            ));
        }
    }
}

/// Text within `max` characters, on one line, and not empty when `required`.
fn check_text(problems: &mut Vec<Problem>, pointer: &str, text: &str, max: usize, required: bool) {
    let chars = text.chars().count();
    if required && text.trim().is_empty() {
        problems.push(problem(pointer, "Enter some text here."));
    } else if chars > max {
        problems.push(problem(
            pointer,
            format!("Use {max} characters or fewer (this has {chars})."),
        ));
    } else if text.chars().any(char::is_control) {
        problems.push(problem(
            pointer,
            "Remove the line breaks and control characters.",
        ));
    }
}

fn problem(pointer: &str, message: impl Into<String>) -> Problem {
    Problem {
        pointer: pointer.to_owned(),
        message: message.into(),
    }
}
