//! The console's framework editor as a form: one group of fields per area (`area-<i>-title`,
//! `-description`, `-heading`, `-mainstream`, `-specialist` and `-evidence`, the last three one
//! item per line; `-key` for a new area; `-remove` to drop one), plus a blank group for a new
//! area, and the framework's `name`. Reading the form gives the framework it describes and
//! every problem at the field it belongs to (the limits are the file's: [`Framework::problems`]).

use std::collections::HashMap;

use super::{Area, Framework, Key, Problem, Prompts};

/// One field's problem, by the field's name (`name`, `area-2-title`, or `areas` for the whole
/// list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

/// The form field `part` of area group `i`.
pub fn field(i: usize, part: &str) -> String {
    format!("area-{i}-{part}")
}

/// The framework the editor's `form` describes, over `base` (the version it was opened on: its
/// review type, key and source are kept), with each problem at its field; empty when it may be
/// published.
pub fn read(base: &Framework, form: &HashMap<String, String>) -> (Framework, Vec<FieldProblem>) {
    let text = |name: &str| {
        form.get(name)
            .map(|v| v.replace("\r\n", "\n"))
            .unwrap_or_default()
    };
    let lines = |name: &str| -> Vec<String> {
        text(name)
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let mut problems = Vec::new();
    let mut areas = Vec::new();
    // Which group of the form each area of the result came from, to put its problems there.
    let mut groups = Vec::new();
    let mut i = 0;
    while form.contains_key(&field(i, "title")) {
        let title = text(&field(i, "title")).trim().to_owned();
        let removed = form.contains_key(&field(i, "remove"));
        let existing = base.areas.get(i).map(|area| area.key.clone());
        // The blank group for a new area counts only once something is typed in it.
        let blank = existing.is_none()
            && title.is_empty()
            && ["description", "mainstream", "specialist", "evidence", "key"]
                .iter()
                .all(|part| text(&field(i, part)).trim().is_empty());
        if !removed && !blank {
            let key = match existing {
                // A published area's key is stored with every answer about it: it never changes.
                Some(key) => Some(key),
                None => new_key(&text(&field(i, "key")), &title)
                    .map_err(|message| {
                        problems.push(FieldProblem {
                            field: field(i, "key"),
                            message,
                        })
                    })
                    .ok(),
            };
            let heading = text(&field(i, "heading")).trim().to_owned();
            areas.push(Area {
                key: key.unwrap_or_else(|| Key::parse("area").expect("a valid key")),
                report_heading: if heading.is_empty() {
                    title.clone()
                } else {
                    heading
                },
                title,
                description: text(&field(i, "description")).trim().to_owned(),
                prompts: Prompts {
                    mainstream: lines(&field(i, "mainstream")),
                    specialist: lines(&field(i, "specialist")),
                },
                evidence: lines(&field(i, "evidence")),
            });
            groups.push(i);
        }
        i += 1;
    }
    let framework = Framework {
        key: base.key.clone(),
        name: text("name").trim().to_owned(),
        review_type: base.review_type,
        source: base.source.clone(),
        areas,
    };
    for Problem { pointer, message } in framework.problems() {
        let field = field_of(&pointer, &groups);
        if !problems.iter().any(|p: &FieldProblem| p.field == field) {
            problems.push(FieldProblem { field, message });
        }
    }
    (framework, problems)
}

/// A new area's key: as typed, or made from its title (`Pupils' voice` → `pupils_voice`).
fn new_key(typed: &str, title: &str) -> Result<Key, String> {
    let typed = typed.trim();
    if !typed.is_empty() {
        return Key::parse(typed);
    }
    let mut key = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            key.push(c.to_ascii_lowercase());
        } else if c.is_whitespace() && !key.is_empty() && !key.ends_with('_') {
            key.push('_');
        }
    }
    let key: String = key
        .trim_end_matches('_')
        .chars()
        .take(super::MAX_KEY_CHARS)
        .collect();
    Key::parse(key.trim_end_matches('_')).map_err(|_| {
        "Give the new area a key: lower-case letters, digits and underscores, starting with a letter.".to_owned()
    })
}

/// The form field a problem's JSON pointer names (`/areas/1/prompts/mainstream/0` of the
/// result is group `groups[1]`'s `mainstream` box).
fn field_of(pointer: &str, groups: &[usize]) -> String {
    let mut parts = pointer.trim_start_matches('/').split('/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("areas"), Some(index), Some(member)) => {
            let group = index
                .parse::<usize>()
                .ok()
                .and_then(|j| groups.get(j).copied())
                .unwrap_or(0);
            let part = match member {
                "prompts" => parts.next().unwrap_or("mainstream"),
                "report_heading" => "heading",
                other => other,
            };
            field(group, part)
        }
        (Some("areas"), _, _) => "areas".to_owned(),
        (Some(other), _, _) if !other.is_empty() => other.to_owned(),
        _ => "name".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use records::domain::request::ReviewType;

    /// The editor's form as it opens on `framework`, with a blank group for a new area.
    fn form_of(framework: &Framework) -> HashMap<String, String> {
        let mut form = HashMap::from([("name".to_owned(), framework.name.clone())]);
        for (i, area) in framework.areas.iter().enumerate() {
            form.insert(field(i, "title"), area.title.clone());
            form.insert(field(i, "description"), area.description.clone());
            form.insert(field(i, "heading"), area.report_heading.clone());
            form.insert(field(i, "mainstream"), area.prompts.mainstream.join("\r\n"));
            form.insert(field(i, "specialist"), area.prompts.specialist.join("\n"));
            form.insert(field(i, "evidence"), area.evidence.join("\n"));
        }
        form.insert(field(framework.areas.len(), "title"), String::new());
        form
    }

    #[test]
    fn the_form_as_opened_reads_back_as_the_framework() {
        for framework in Framework::all_built_in() {
            let (read, problems) = read(&framework, &form_of(&framework));
            assert_eq!(problems, [], "{}", framework.name);
            assert_eq!(read, framework);
        }
    }

    #[test]
    fn areas_are_renamed_removed_and_added_keeping_published_keys() {
        let base = Framework::built_in(ReviewType::TaDeployment);
        let mut form = form_of(&base);
        form.insert(field(0, "title"), "TAs in our lessons".into());
        form.insert(field(1, "remove"), "yes".into());
        let new = base.areas.len();
        form.insert(field(new, "title"), "Pupils' voice on support".into());
        form.insert(field(new, "mainstream"), "What do pupils say?\n\n".into());
        form.insert(field(new, "specialist"), "How do pupils tell you?".into());
        let (read, problems) = read(&base, &form);
        assert_eq!(problems, []);
        assert_eq!(read.areas.len(), base.areas.len());
        assert_eq!(read.areas[0].key, base.areas[0].key);
        assert_eq!(read.areas[0].title, "TAs in our lessons");
        assert_eq!(
            read.areas[1].key, base.areas[2].key,
            "the second was removed"
        );
        let added = read.areas.last().unwrap();
        assert_eq!(added.key.as_str(), "pupils_voice_on_support");
        assert_eq!(added.prompts.mainstream, ["What do pupils say?"]);
        assert_eq!(
            added.report_heading, added.title,
            "the title when none is given"
        );
    }

    #[test]
    fn every_problem_is_at_its_field_in_the_group_it_was_typed_in() {
        let base = Framework::built_in(ReviewType::PreparingForAdulthood);
        let mut form = form_of(&base);
        form.insert(field(0, "remove"), "yes".into());
        form.insert(field(1, "title"), "  ".into());
        form.insert(field(2, "mainstream"), "x".repeat(301));
        form.insert(field(3, "specialist"), String::new());
        let new = base.areas.len();
        form.insert(field(new, "title"), "New area".into());
        form.insert(field(new, "key"), "Not A Key".into());
        form.insert("name".into(), String::new());
        let (_, problems) = read(&base, &form);
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        for expected in [
            "area-6-key",
            "name",
            "area-1-title",
            "area-2-mainstream",
            "area-3-specialist",
        ] {
            assert!(fields.contains(&expected), "{expected}: {problems:?}");
        }
        let long = &problems[fields
            .iter()
            .position(|f| *f == "area-2-mainstream")
            .unwrap()];
        assert!(long.message.contains("300 characters or fewer"), "{long:?}");

        // Every area removed: the list itself is the problem.
        let mut none = form_of(&base);
        for i in 0..base.areas.len() {
            none.insert(field(i, "remove"), "yes".into());
        }
        let (read, problems) = read(&base, &none);
        assert!(read.areas.is_empty());
        assert_eq!(problems[0].field, "areas");
        assert!(problems[0].message.contains("from 1 to"), "{problems:?}");
    }
}
