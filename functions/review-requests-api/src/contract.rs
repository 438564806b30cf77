//! The request body held against the OpenAPI document's `ReviewRequest` schema, so that what
//! the document refuses the API refuses too (the form is more forgiving: it trims, takes
//! labels and `DD/MM/YYYY` dates). The domain's own parse still runs after this and keeps the
//! rules a schema cannot state (visit windows relative to today).

use std::sync::LazyLock;

use jsonschema::error::ValidationErrorKind;
use records::domain::request::Frameworks;
use serde_json::{Value, json};
use web::http::FieldProblem;

use crate::OPENAPI;

/// Compiled on the first request, not at cold start: only a POST needs it.
static REVIEW_REQUEST: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    let mut root: Value = serde_json::from_str(OPENAPI).expect("openapi.json is JSON");
    root["$ref"] = json!("#/components/schemas/ReviewRequest");
    jsonschema::options()
        .should_validate_formats(true)
        .build(&root)
        .expect("the ReviewRequest schema compiles (its tests say so)")
});

/// The OpenAPI document as served: the static one, with the focus areas each review type offers
/// now (its current framework's keys) as one condition per type on the request body, so a
/// client or a contract test sees exactly the areas the API accepts with each type.
pub fn document(frameworks: &Frameworks) -> String {
    let mut root: Value = serde_json::from_str(OPENAPI).expect("openapi.json is JSON");
    let conditions: Vec<Value> = frameworks
        .iter()
        .map(|(review_type, framework)| {
            let keys: Vec<&str> = framework.areas.iter().map(|a| a.as_str()).collect();
            json!({
                "if": {
                    "properties": { "review_type": { "const": review_type.as_str() } },
                    "required": ["review_type"]
                },
                "then": {
                    "properties": {
                        "focus_areas": {
                            "oneOf": [
                                { "type": "string", "const": "all" },
                                {
                                    "type": "array",
                                    "minItems": 1,
                                    "items": { "type": "string", "enum": keys }
                                }
                            ]
                        }
                    }
                }
            })
        })
        .collect();
    root["components"]["schemas"]["ReviewRequest"]["allOf"] = Value::Array(conditions);
    serde_json::to_string_pretty(&root).expect("a document serialises")
}

/// Each place where `body` breaks the schema, by JSON pointer, at most one problem per field.
pub fn violations(body: &Value) -> Vec<FieldProblem> {
    let mut problems: Vec<FieldProblem> = Vec::new();
    for error in REVIEW_REQUEST.iter_errors(body) {
        let field = error.instance_path().as_str().to_owned();
        if problems.iter().any(|p| p.field == field) {
            continue;
        }
        let message = match error.kind() {
            // The patterns are long; the document's description of the field says it in words.
            ValidationErrorKind::Pattern { .. } => {
                "Does not have the form the API's OpenAPI document gives for this field".to_owned()
            }
            ValidationErrorKind::Enum { .. } => {
                "Is not one of the values the API's OpenAPI document lists".to_owned()
            }
            _ => error.masked_with("The value").to_string(),
        };
        problems.push(FieldProblem { field, message });
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> Value {
        let document: Value = serde_json::from_str(OPENAPI).unwrap();
        document["paths"]["/api/v1/review-requests"]["post"]["requestBody"]["content"]
            ["application/json"]["example"]
            .clone()
    }

    fn fields(body: &Value) -> Vec<String> {
        violations(body).into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn the_documented_example_fits_the_schema() {
        assert_eq!(violations(&valid()), vec![]);
        let mut long_address = valid();
        long_address["contact"]["email"] = json!(format!("{}@school.example", "a".repeat(64)));
        assert_eq!(violations(&long_address), vec![]);
    }

    #[test]
    fn each_violation_is_named_by_its_json_pointer_once() {
        // (Cases the form forgives and the API refuses are in the integration tests, end to end.)
        let mut body = valid();
        body["school"]["name"] = json!("   ");
        body["school"]["local_authority_code"] = json!(999);
        body["school"]["areas_of_need"] = json!(["", "astrology"]);
        body["contact"]["email"] = json!(format!("{}@school.example", "a".repeat(65)));
        assert_eq!(
            fields(&body),
            vec![
                "/contact/email",
                "/school/areas_of_need/0",
                "/school/areas_of_need/1",
                "/school/local_authority_code",
                "/school/name",
            ]
        );
        assert!(violations(&body).iter().all(|p| !p.message.is_empty()));
    }

    #[test]
    fn the_reciprocal_opt_in_is_an_optional_boolean() {
        let mut body = valid();
        body["reciprocal"] = json!(true);
        assert_eq!(violations(&body), vec![]);
        body["reciprocal"] = json!("yes");
        assert_eq!(fields(&body), vec!["/reciprocal"]);
    }

    #[test]
    fn problems_never_echo_the_value() {
        let mut body = valid();
        body["school"]["number_on_roll"] = json!(123456789);
        let problems = violations(&body);
        assert_eq!(problems.len(), 1);
        assert!(!problems[0].message.contains("123456789"), "{problems:?}");
    }
}
