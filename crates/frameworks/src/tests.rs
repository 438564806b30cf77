use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

const SCHEMA_FILE: &str = include_str!("../framework.schema.json");

fn schema() -> jsonschema::Validator {
    jsonschema::validator_for(&serde_json::from_str(SCHEMA_FILE).unwrap()).unwrap()
}

#[test]
fn each_review_type_has_a_built_in_framework_that_passes_its_own_checks() {
    for review_type in ReviewType::ALL {
        let framework = Framework::built_in(*review_type);
        assert_eq!(framework.review_type, *review_type);
        assert_eq!(framework.problems(), vec![], "{}", framework.key);
        assert!(
            !framework.source.is_empty(),
            "{} cites no source",
            framework.key
        );
        for area in &framework.areas {
            assert!(!area.evidence.is_empty(), "{}/{}", framework.key, area.key);
        }
    }
    let keys: std::collections::HashSet<_> = Framework::all_built_in()
        .into_iter()
        .map(|f| f.key)
        .collect();
    assert_eq!(keys.len(), ReviewType::ALL.len());
}

#[test]
fn the_whole_school_framework_has_the_eight_focus_areas_under_their_stored_keys() {
    let framework = Framework::built_in(ReviewType::SendReview);
    let keys: Vec<&str> = framework.areas.iter().map(|a| a.key.as_str()).collect();
    let stored = FrameworkRef::whole_school();
    let focus_areas: Vec<&str> = stored.areas.iter().map(|a| a.as_str()).collect();
    assert_eq!(keys, focus_areas);
    // What requests stored before frameworks were data carry is this file's version 0.
    assert_eq!(framework.reference(0).areas.len(), 8);
    for area in &stored.areas {
        assert_eq!(framework.area(area.as_str()).unwrap().title, area.title);
        assert_ne!(
            whole_school_prompts(&area.key, Setting::Mainstream),
            whole_school_prompts(&area.key, Setting::Specialist)
        );
    }
}

#[test]
fn the_other_frameworks_follow_their_sources() {
    let titles = |review_type| -> Vec<String> {
        Framework::built_in(review_type)
            .areas
            .into_iter()
            .map(|area| area.title)
            .collect()
    };
    let pfa = titles(ReviewType::PreparingForAdulthood);
    for outcome in [
        "Employment and higher education",
        "Independent living",
        "Friends, relationships and community",
        "Good health",
        "Transition planning",
        "Pupils' voice",
    ] {
        assert!(
            pfa.iter().any(|t| t == outcome),
            "{outcome} missing: {pfa:?}"
        );
    }
    assert_eq!(titles(ReviewType::TaDeployment).len(), 6);
    assert_eq!(titles(ReviewType::AlternativeProvision).len(), 5);
    assert_eq!(titles(ReviewType::TrustSend).len(), 5);
}

#[test]
fn an_exported_framework_reads_back_the_same_and_meets_the_published_schema() {
    let schema = schema();
    for framework in Framework::all_built_in() {
        let file = framework.to_json();
        let value: Value = serde_json::from_str(&file).unwrap();
        let errors: Vec<String> = schema.iter_errors(&value).map(|e| e.to_string()).collect();
        assert_eq!(errors, Vec::<String>::new(), "{}", framework.key);
        assert_eq!(Framework::from_json(&file), Ok(framework));
    }
}

fn minimal() -> Value {
    json!({
        "schema": SCHEMA,
        "key": "our_review",
        "name": "Our review",
        "review_type": "ta_deployment",
        "areas": [{
            "key": "deployment",
            "title": "Deployment",
            "prompts": {"mainstream": ["Who do TAs work with?"], "specialist": ["How is the class team planned?"]}
        }]
    })
}

fn problems_of(file: &Value) -> Vec<(String, String)> {
    match Framework::from_json(&file.to_string()) {
        Ok(framework) => panic!("accepted: {framework:?}"),
        Err(problems) => problems
            .into_iter()
            .map(|p| (p.pointer, p.message))
            .collect(),
    }
}

#[test]
fn a_minimal_file_is_read_with_defaults_for_what_it_leaves_out() {
    let framework = Framework::from_json(&minimal().to_string()).unwrap();
    assert_eq!(framework.areas[0].report_heading, "Deployment");
    assert_eq!(framework.areas[0].evidence, Vec::<String>::new());
    assert!(schema().is_valid(&minimal()));
}

#[test]
fn bad_input_is_refused_at_each_field_it_concerns() {
    let mut no_areas = minimal();
    no_areas["areas"] = json!([]);
    assert_eq!(problems_of(&no_areas)[0].0, "/areas");

    let mut empty_title = minimal();
    empty_title["areas"][0]["title"] = json!("  ");
    assert_eq!(
        problems_of(&empty_title),
        vec![("/areas/0/title".into(), "Enter some text here.".into())]
    );

    let mut long_prompt = minimal();
    long_prompt["areas"][0]["prompts"]["specialist"][0] = json!("x".repeat(MAX_PROMPT_CHARS + 1));
    let problems = problems_of(&long_prompt);
    assert_eq!(problems[0].0, "/areas/0/prompts/specialist/0");
    assert!(
        problems[0].1.contains("300 characters or fewer"),
        "{problems:?}"
    );

    let mut unknown = minimal();
    unknown["areas"][0]["colour"] = json!("blue");
    unknown["version"] = json!(2);
    let problems = problems_of(&unknown);
    let pointers: Vec<&str> = problems.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(pointers, ["/version", "/areas/0/colour"]);
    assert!(problems[1].1.contains("\"colour\" is not a field"));

    let mut twice = minimal();
    let area = twice["areas"][0].clone();
    twice["areas"].as_array_mut().unwrap().push(area);
    assert_eq!(problems_of(&twice)[0].0, "/areas/1/key");

    let mut bad = minimal();
    bad["key"] = json!("Our Review");
    bad["review_type"] = json!("inspection");
    bad["schema"] = json!("something/else");
    let pointers: Vec<String> = problems_of(&bad).into_iter().map(|p| p.0).collect();
    assert_eq!(pointers, ["/schema", "/key", "/review_type"]);

    assert_eq!(problems_of(&json!([1, 2]))[0].0, "");
    assert!(
        Framework::from_json("{not json").unwrap_err()[0]
            .message
            .contains("not JSON")
    );
}

#[test]
fn every_refusal_of_the_reader_is_a_refusal_of_the_schema() {
    // The published schema and the reader agree on the examples above.
    let schema = schema();
    let mut long_prompt = minimal();
    long_prompt["areas"][0]["prompts"]["mainstream"][0] = json!("x".repeat(MAX_PROMPT_CHARS + 1));
    let mut unknown = minimal();
    unknown["areas"][0]["colour"] = json!("blue");
    let mut no_areas = minimal();
    no_areas["areas"] = json!([]);
    for file in [long_prompt, unknown, no_areas] {
        assert!(Framework::from_json(&file.to_string()).is_err());
        assert!(!schema.is_valid(&file), "{file}");
    }
}

proptest! {
    #[test]
    fn any_text_is_read_or_refused_with_problems_never_a_panic(text in ".{0,200}") {
        match Framework::from_json(&text) {
            Ok(framework) => prop_assert_eq!(Framework::from_json(&framework.to_json()), Ok(framework)),
            Err(problems) => prop_assert!(!problems.is_empty()),
        }
    }

    #[test]
    fn an_edited_title_or_prompt_is_read_back_exactly_or_refused_at_its_field(
        title in "\\PC{0,130}",
        prompt in "\\PC{0,310}",
    ) {
        let mut file = minimal();
        file["areas"][0]["title"] = json!(title);
        file["areas"][0]["prompts"]["mainstream"][0] = json!(prompt);
        match Framework::from_json(&file.to_string()) {
            Ok(framework) => {
                prop_assert_eq!(&framework.areas[0].title, title.trim());
                prop_assert_eq!(&framework.areas[0].prompts.mainstream[0], prompt.trim());
            }
            Err(problems) => prop_assert!(problems.iter().all(|p| p.pointer == "/areas/0/title"
                || p.pointer == "/areas/0/prompts/mainstream/0")),
        }
    }
}
