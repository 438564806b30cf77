//! The set-up many tests share: a school's request booked with its lead reviewer, and what the
//! emails and the table say about a request.

use local_runner::mailbox::SentMail;
use records::request::StoredRequest;
use records::store::{Item, s};
use reqwest::StatusCode;

use crate::evidence::School;
use crate::helpers::{TestStack, unique_address};
use crate::offers::{answer, day, import, offer_link, reviewer_row, visit_day};

/// A request whose lead reviewer accepted the offer for [`visit_day`].
pub(crate) struct Booked {
    pub(crate) school: School,
    pub(crate) school_contact: String,
    /// The school's status page (a full URL).
    pub(crate) status_link: String,
    /// The lead's review page (a full URL).
    pub(crate) review_link: String,
    pub(crate) lead: String,
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

/// The item at `pk`/`sk` (a consistent read).
pub(crate) async fn item(app: &TestStack, pk: String, sk: &str) -> Option<Item> {
    app.dynamodb()
        .get_item()
        .table_name(app.table())
        .key("pk", s(pk))
        .key("sk", s(sk))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
}

/// The id of the request with `reference`.
pub(crate) async fn request_id(app: &TestStack, reference: &str) -> String {
    let item = item(app, format!("REFERENCE#{reference}"), "REFERENCE")
        .await
        .expect("the request's reference");
    item["request_id"].as_s().unwrap().clone()
}

/// The request as stored.
pub(crate) async fn stored_request(app: &TestStack, request_id: &str) -> StoredRequest {
    let item = item(app, format!("REQUEST#{request_id}"), "REQUEST")
        .await
        .expect("the request");
    serde_dynamo::from_item(item).unwrap()
}

/// `lead`, who has had `lead_mails` emails before, is offered the request `reference` and
/// accepts it for [`visit_day`]; returns once the school (`school_contact`, with no other
/// request) and the lead have their confirmations.
pub(crate) async fn accept_offer(
    app: &TestStack,
    reference: &str,
    school_contact: &str,
    lead: &str,
    lead_mails: usize,
) -> Booked {
    let offer = app.wait_for_mail(lead, lead_mails + 1).await;
    let accepted = answer(
        app,
        &offer_link(&offer[0]),
        &format!("decision=accept&visit_date={}", visit_day()),
    )
    .await;
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
    let status_link = link_containing(&app.wait_for_mail(school_contact, 2).await, "/status/");
    let review_link = link_containing(&app.wait_for_mail(lead, lead_mails + 2).await, "/reviews/");
    Booked {
        school: School {
            reference: reference.parse().unwrap(),
            request_id: request_id(app, reference).await,
            token: status_link.rsplit('/').next().unwrap().to_owned(),
        },
        school_contact: school_contact.to_owned(),
        status_link,
        review_link,
        lead: lead.to_owned(),
    }
}

/// The follow-up form's visit windows: 40 to 50 and 70 to 80 days from now.
pub(crate) fn follow_up_windows() -> Vec<(&'static str, String)> {
    vec![
        ("window_1_start", day(40).to_string()),
        ("window_1_end", day(50).to_string()),
        ("window_2_start", day(70).to_string()),
        ("window_2_end", day(80).to_string()),
    ]
}

/// Ada joins the pool: a primary reviewer who may lead, living in Kent (so outside a London
/// school's region). Her address.
pub(crate) async fn ada_joins(app: &TestStack) -> String {
    let ada = unique_address("ada");
    import(
        app,
        &[reviewer_row("Ada Lead", &ada, 886, "primary", 2, "900001")],
    )
    .await;
    ada
}

/// Bea joins the pool: a London primary reviewer who scores 15 more than an otherwise equal one
/// living outside the school's region. Her address.
pub(crate) async fn better_placed_reviewer_joins(app: &TestStack) -> String {
    let bea = unique_address("bea");
    import(
        app,
        &[reviewer_row(
            "Bea Better",
            &bea,
            204,
            "primary",
            2,
            "900002",
        )],
    )
    .await;
    bea
}
