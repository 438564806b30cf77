//! Forms as a browser sends them, and what the tests read on pages and in emails.

use std::process::Command;

use local_runner::mailbox::SentMail;
use records::domain::request::{FrameworkRef, NamedArea};
use reqwest::header::LOCATION;
use workflows::report::Report;

use super::{TestStack, date_from_now};

/// `pairs` encoded as `application/x-www-form-urlencoded`.
pub(crate) fn form_encode(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        for b in v.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => out.push(b as char),
                b' ' => out.push('+'),
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
    }
    out
}

/// [`form_encode`] of owned values (a request form's fields, say).
pub(crate) fn encode_fields<K: AsRef<str>>(pairs: &[(K, String)]) -> String {
    let borrowed: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_ref(), v.as_str()))
        .collect();
    form_encode(&borrowed)
}

/// A complete, valid request form as a browser sends it (fields in form order).
pub(crate) fn valid_form(token: &str, email: &str, urn: &str) -> Vec<(&'static str, String)> {
    vec![
        ("submission_token", token.into()),
        ("website", "".into()),
        ("urn", urn.into()),
        ("school_name", "Brook Primary School".into()),
        ("phase", "primary".into()),
        ("school_type", "mainstream".into()),
        ("local_authority", "202".into()),
        ("trust", "".into()),
        ("postcode", "nw1 2db".into()),
        ("number_on_roll", "420".into()),
        ("sen_support_percent", "14.5".into()),
        ("ehc_plan_percent", "3.2".into()),
        ("areas_of_need", "communication_and_interaction".into()),
        ("areas_of_need", "social_emotional_mental_health".into()),
        ("review_type", "send_review".into()),
        ("focus_scope", "chosen".into()),
        ("focus_areas", "leadership".into()),
        ("focus_areas", "outcomes".into()),
        ("window_1_start", date_from_now(30)),
        ("window_1_end", date_from_now(40)),
        ("window_2_start", date_from_now(60)),
        ("window_2_end", date_from_now(70)),
        ("window_3_start", "".into()),
        ("window_3_end", "".into()),
        (
            "learning_goal",
            "How well our graduated approach <works> in KS2 & KS3.".into(),
        ),
        ("contact_name", "Grace Hopper".into()),
        ("contact_role", "SENCO".into()),
        ("contact_email", email.into()),
        ("contact_phone", "".into()),
        ("no_pupil_named", "yes".into()),
        ("privacy_notice_accepted", "yes".into()),
    ]
}

/// The self-evaluation form, based on `version`, submitting `evaluation(area)` for each of
/// `areas` with "The provision map" as its evidence.
pub(crate) fn complete_self_evaluation(
    version: &str,
    areas: &[NamedArea],
    evaluation: impl Fn(&NamedArea) -> String,
) -> String {
    let mut pairs = vec![
        ("version".to_owned(), version.to_owned()),
        ("decision".to_owned(), "submit".to_owned()),
    ];
    for area in areas {
        pairs.push((format!("evaluation_{}", area.as_str()), evaluation(area)));
        pairs.push((
            format!("evidence_{}", area.as_str()),
            "The provision map".to_owned(),
        ));
    }
    encode_fields(&pairs)
}

/// The report's form fields for `report`, as the editor posts them.
pub(crate) fn report_form(report: &Report, version: u64, decision: &str) -> String {
    let mut pairs: Vec<(String, String)> = vec![
        ("version".into(), version.to_string()),
        ("decision".into(), decision.into()),
    ];
    for findings in &report.areas {
        let area = findings.area.as_str();
        for point in &findings.went_well {
            pairs.push((format!("{area}.went_well"), point.to_string()));
        }
        for point in &findings.even_better_if {
            pairs.push((format!("{area}.even_better_if"), point.to_string()));
        }
        if let Some(evidence) = &findings.evidence {
            pairs.push((format!("{area}.evidence"), evidence.to_string()));
        }
    }
    if let Some(summary) = &report.summary {
        pairs.push(("summary".into(), summary.to_string()));
    }
    for recommendation in &report.recommendations {
        pairs.push(("recommendation".into(), recommendation.action.to_string()));
        pairs.push((
            "next_steps".into(),
            recommendation
                .next_steps
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
        ));
    }
    encode_fields(&pairs)
}

/// The typical report's text, for every focus area of the request.
pub(crate) fn complete_report(areas: &[NamedArea]) -> Report {
    workflows::report::examples::typical_for(areas)
}

/// The whole-school framework's areas of `keys`, in that order.
pub(crate) fn areas(keys: &[&str]) -> Vec<NamedArea> {
    workflows::report::examples::whole_school_areas(keys)
}

/// Every area of the whole-school framework (the fixtures' requests are whole-school reviews).
pub(crate) fn all_areas() -> Vec<NamedArea> {
    FrameworkRef::whole_school().areas
}

/// The version a form on `html` is based on.
pub(crate) fn version_on(html: &str) -> String {
    regex_lite::Regex::new(r#"name="version" value="(\d+)""#)
        .unwrap()
        .captures(html)
        .expect("a form with its version")[1]
        .to_owned()
}

/// The status of step `title` on the status page's timeline.
pub(crate) fn step<'a>(html: &'a str, title: &str) -> &'a str {
    let at = html
        .find(&format!("<strong>{title}</strong>"))
        .unwrap_or_else(|| panic!("no step {title}"));
    let rest = &html[at..];
    let tag = rest.find(r#"<span class="tag"#).unwrap();
    let open = rest[tag..].find('>').unwrap() + tag + 1;
    let close = rest[open..].find("</span>").unwrap() + open;
    &rest[open..close]
}

/// The body of `response`, which must have answered `status`.
pub(crate) async fn body(response: reqwest::Response, status: reqwest::StatusCode) -> String {
    assert_eq!(response.status(), status, "{}", response.url());
    response.text().await.unwrap()
}

/// What a test asks of an HTTP answer.
pub(crate) trait Answered {
    /// Asserts that the answer has `status` and is a page that says `text`.
    async fn says(self, status: reqwest::StatusCode, text: &str);
}

impl Answered for reqwest::Response {
    async fn says(self, status: reqwest::StatusCode, text: &str) {
        let page = body(self, status).await;
        assert!(page.contains(text), "{text:?} is not on the page:\n{page}");
    }
}

/// Where `response`, which must be a redirect (303 See Other), sends the browser.
pub(crate) fn redirect(response: &reqwest::Response) -> String {
    assert_eq!(response.status(), reqwest::StatusCode::SEE_OTHER);
    location(response)
}

/// Where a redirect sends the browser.
pub(crate) fn location(response: &reqwest::Response) -> String {
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}

/// The first link in `mails` that contains `part` (mails come newest first).
pub(crate) fn link_containing(mails: &[SentMail], part: &str) -> String {
    mails
        .iter()
        .flat_map(|m| m.links.iter())
        .find(|l| l.contains(part))
        .unwrap_or_else(|| panic!("a link with {part}"))
        .clone()
}

/// The newest of `mails` whose subject starts with `prefix`.
pub(crate) fn mail_starting<'a>(mails: &'a [SentMail], prefix: &str) -> &'a SentMail {
    mails
        .iter()
        .find(|m| m.subject.starts_with(prefix))
        .unwrap_or_else(|| panic!("an email \"{prefix}...\""))
}

/// `link` with its last character changed: the signature no longer matches.
pub(crate) fn tampered(link: &str) -> String {
    format!("{}x", &link[..link.len() - 1])
}

/// `token` with its last character changed to another one of the alphabet.
pub(crate) fn tampered_token(token: &str) -> String {
    let mut tampered = token.to_owned();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    tampered
}

/// The offer id a reviewer's review link (`.../reviews/<offer id>.review.<signature>`) names.
pub(crate) fn offer_id(review_link: &str) -> &str {
    review_link
        .rsplit('/')
        .next()
        .unwrap()
        .split('.')
        .next()
        .unwrap()
}

/// The Content-Security-Policy a page was served with.
pub(crate) fn csp(page: &reqwest::Response) -> String {
    page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned()
}

/// The offer link in an offer email.
pub(crate) fn offer_link(mail: &SentMail) -> String {
    link_containing(std::slice::from_ref(mail), "/offers/")
}

/// The text of the PDF attached to `mail` (the report's delivery).
pub(crate) fn attached_pdf_text(mail: &SentMail) -> String {
    let pdf = mail
        .attachments
        .iter()
        .find(|a| a.content_type == "application/pdf")
        .expect("the report is attached as a PDF");
    pdf_text(&pdf.content)
}

/// Saves the PDF to a temporary file and returns its text as `pdftotext` extracts it (words
/// separated by single spaces).
pub(crate) fn pdf_text(pdf: &[u8]) -> String {
    let pdftotext = "/usr/bin/pdftotext";
    assert!(
        std::path::Path::new(pdftotext).exists(),
        "{pdftotext} is missing: install Debian's poppler-utils (apt-get install poppler-utils)"
    );
    let path = std::env::temp_dir().join(format!("report-{}.pdf", ulid::Ulid::new()));
    std::fs::write(&path, pdf).unwrap();
    let output = Command::new(pdftotext)
        .arg("-enc")
        .arg("UTF-8")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext runs");
    std::fs::remove_file(&path).unwrap();
    assert!(
        output.status.success(),
        "pdftotext could not read the attachment: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

impl TestStack {
    /// The full URL of the link with text `text` on `html`.
    pub fn href(&self, html: &str, text: &str) -> String {
        let end = html
            .find(&format!("\">{text}</a>"))
            .unwrap_or_else(|| panic!("no link \"{text}\" on the page"));
        let start = html[..end].rfind("href=\"").unwrap() + "href=\"".len();
        let link = &html[start..end];
        if link.starts_with('/') {
            self.url(link)
        } else {
            link.to_owned()
        }
    }
}

/// A valid API review request for school `urn` from contact `email`.
pub(crate) fn valid_json(email: &str, urn: &str) -> serde_json::Value {
    serde_json::json!({
        "school": {
            "urn": urn, "name": "Brook Primary School", "phase": "primary", "type": "mainstream",
            "local_authority_code": 202, "trust": null, "postcode": "NW1 2DB", "number_on_roll": 420,
            "sen_support_percent": 14.5, "ehc_plan_percent": 3.2,
            "areas_of_need": ["communication_and_interaction"]
        },
        "review_type": "send_review",
        "focus_areas": "all",
        "visit_windows": [
            { "start": date_from_now(30), "end": date_from_now(40) },
            { "start": date_from_now(60), "end": date_from_now(70) }
        ],
        "learning_goal": "How well our graduated approach works.",
        "contact": { "name": "Grace Hopper", "role": "SENCO", "email": email, "phone": null },
        "declarations": { "no_pupil_named": true, "privacy_notice_accepted": true }
    })
}

/// A route of the template, as `(method, path)`: `/status/{token}/date`...
pub(crate) type Route = (String, String);

/// Every route of the template whose path starts with `prefix`.
pub(crate) fn routes_under(prefix: &str) -> Vec<Route> {
    let template = std::fs::read_to_string(super::template_path()).unwrap();
    let declared = regex_lite::Regex::new(r"Path: (\S+)\s+Method: (\w+)").unwrap();
    let routes: std::collections::BTreeSet<Route> = declared
        .captures_iter(&template)
        .map(|c| (c[2].to_uppercase(), c[1].to_owned()))
        .filter(|(_, path)| path.starts_with(prefix))
        .collect();
    assert!(
        !routes.is_empty(),
        "the template declares routes under {prefix}"
    );
    routes.into_iter().collect()
}
