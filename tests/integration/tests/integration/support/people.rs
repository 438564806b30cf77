//! The reviewer pool, a school's request (form and API) and the offer a reviewer answers:
//! what the administrator, the school and the lead do before the visit is booked.

use records::domain::request::Reference;
use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};

use super::forms::encode_fields;
use super::{School, TestStack, date_from_now, day, link_containing, offer_link, unique_address};

/// A reviewer row: `name`, a unique email, home LA, phases, capacity. Trained, DBS in date,
/// travels to London and the South East, may lead.
pub(crate) fn reviewer_row(
    name: &str,
    email: &str,
    la: u16,
    phases: &str,
    capacity: u8,
    urn: &str,
) -> String {
    format!(
        "{name},{email},{urn},,{la},london;south_east,{phases},mainstream;special,autism,yes,{},{},{capacity},,,yes",
        day(-400),
        day(-100)
    )
}

/// A reviewer row like [`reviewer_row`] (capacity 2) for a reviewer who may not lead: a
/// second reviewer only.
pub(crate) fn second_row(name: &str, email: &str, la: u16, phases: &str, urn: &str) -> String {
    let trained = format!(",yes,{},", day(-400));
    reviewer_row(name, email, la, phases, 2, urn).replace(&trained, &trained.replace("yes", "no"))
}

/// The reviewers of these rows, as the import reads them.
pub(crate) fn pool_of(rows: &[String]) -> Vec<records::reviewers::Reviewer> {
    let csv = format!(
        "name,email,home_school_urn,trust,local_authority,regions,phases,school_types,specialisms,may_lead,trained_on,dbs_checked_on,capacity_per_term,unavailable,conflicts,active\n{}\n",
        rows.join("\n")
    );
    let parsed = records::reviewers::parse_csv(&csv).expect("a valid pool");
    parsed.into_iter().map(|r| r.reviewer).collect()
}

/// A request whose lead reviewer accepted the offer for [`super::visit_day`].
pub(crate) struct Booked {
    pub(crate) school: School,
    pub(crate) school_contact: String,
    /// The school's status page (a full URL).
    pub(crate) status_link: String,
    /// The lead's review page (a full URL).
    pub(crate) review_link: String,
    pub(crate) lead: String,
}

/// The administrator's pool.
impl TestStack {
    /// The administrator imports (or updates) these reviewer rows.
    pub async fn import_reviewers(&self, rows: &[String]) {
        self.reviewers_join(&pool_of(rows)).await;
    }

    /// The administrator imports (or updates) these reviewers.
    pub async fn reviewers_join(&self, pool: &[records::reviewers::Reviewer]) {
        let actor = records::audit::Actor::new("test", time::OffsetDateTime::now_utc());
        records::reviewers::upsert_all(&self.table_handle(), pool, &actor)
            .await
            .unwrap();
    }

    /// Two reviewers join the pool, each `(name, home school URN)`: the first a London primary
    /// reviewer (the better match for a Camden primary school), the second a secondary reviewer
    /// living in Kent. Their addresses.
    pub async fn two_reviewers_join(
        &self,
        (first, first_urn): (&str, &str),
        (second, second_urn): (&str, &str),
    ) -> (String, String) {
        let address = |name: &str| unique_address(&name.replace(' ', ".").to_lowercase());
        let (a, b) = (address(first), address(second));
        self.import_reviewers(&[
            reviewer_row(first, &a, 204, "primary", 2, first_urn),
            reviewer_row(second, &b, 886, "secondary", 2, second_urn),
        ])
        .await;
        (a, b)
    }

    /// The programme sends a second reviewer on every SEND review.
    pub async fn send_reviews_take_a_second_reviewer(&self) {
        let mut settings =
            records::programme::ProgrammeSettings::new("Test Programme", "programme@example.org");
        settings.second_reviewer_for_types = vec!["send_review".into()];
        records::programme::put(&self.table_handle(), &settings)
            .await
            .unwrap();
    }

    /// `name` joins the pool as a primary reviewer (a [`reviewer_row`]) living in local
    /// authority `la`, taking `capacity` reviews a term and working at school `urn`. Their
    /// address, unique to the run.
    pub async fn primary_reviewer_joins(
        &self,
        name: &str,
        la: u16,
        capacity: u8,
        urn: &str,
    ) -> String {
        let first_name = name.split(' ').next().unwrap_or(name).to_lowercase();
        let address = unique_address(&first_name);
        self.import_reviewers(&[reviewer_row(name, &address, la, "primary", capacity, urn)])
            .await;
        address
    }

    /// Ada joins the pool: a primary reviewer who may lead, living in Kent (so outside a
    /// London school's region). Her address.
    pub async fn ada_joins(&self) -> String {
        self.primary_reviewer_joins("Ada Lead", 886, 2, "900001")
            .await
    }

    /// Bea joins the pool: a London primary reviewer who scores 15 more than an otherwise
    /// equal one living outside the school's region. Her address.
    pub async fn better_placed_reviewer_joins(&self) -> String {
        self.primary_reviewer_joins("Bea Better", 204, 2, "900002")
            .await
    }
}

/// The school asks for a review.
impl TestStack {
    /// A Camden primary school asks for a review of every focus area through the API; its
    /// reference.
    pub async fn submit(&self, contact: &str, urn: &str) -> String {
        self.submit_named(contact, urn, "Brook Primary School")
            .await
    }

    /// [`Self::submit`] for a school of that name.
    pub async fn submit_named(&self, contact: &str, urn: &str, name: &str) -> String {
        let body = json!({
            "school": {
                "urn": urn, "name": name, "phase": "primary", "type": "mainstream",
                "local_authority_code": 202, "postcode": "NW1 2DB", "number_on_roll": 420,
                "sen_support_percent": 14.5, "ehc_plan_percent": 3.2, "areas_of_need": ["communication_and_interaction"]
            },
            "review_type": "send_review", "focus_areas": "all",
            "visit_windows": [
                { "start": day(30).to_string(), "end": day(40).to_string() },
                { "start": day(60).to_string(), "end": day(70).to_string() }
            ],
            "learning_goal": "How well our graduated approach works.",
            "contact": { "name": "Grace Hopper", "role": "SENCO", "email": contact },
            "declarations": { "no_pupil_named": true, "privacy_notice_accepted": true }
        });
        self.created_request(body).await.to_string()
    }

    /// School `school` (URN `urn`, contact `email`, with a phone number) asks through the API
    /// for a review of leadership and outcomes; its reference.
    pub async fn submit_request(&self, urn: &str, school: &str, email: &str) -> Reference {
        self.created_request(request_body(urn, school, email)).await
    }

    /// [`Self::submit_request`] that the contact has not confirmed (yet).
    pub async fn submit_unconfirmed(&self, urn: &str, email: &str) -> Reference {
        self.unconfirmed_request(request_body(urn, "Brook Primary School", email))
            .await
    }

    /// Posts request `body` to the API and confirms it as its contact would; its reference.
    pub async fn submit_json(&self, body: Value) -> Reference {
        self.created_request(body).await
    }

    /// Posts `body` to the API, which must accept the request (waiting for its contact), and
    /// confirms it as the contact would ([`Self::confirm`]); its reference.
    async fn created_request(&self, body: Value) -> Reference {
        let reference = self.unconfirmed_request(body).await;
        self.confirm(reference.as_str()).await;
        reference
    }

    /// The school's contact confirms request `reference` from its status page (the link in
    /// the first email), through the local runner's hook that presses the page's button.
    pub async fn confirm(&self, reference: &str) {
        let response = self
            .http
            .post(self.url(&format!("/_dev/requests/{reference}/confirm")))
            .send()
            .await
            .unwrap();
        let status = response.status();
        assert_eq!(status, StatusCode::OK, "{}", response.text().await.unwrap());
    }

    /// Posts `body` to the API, which must accept the request, and leaves it unconfirmed; its
    /// reference.
    pub async fn unconfirmed_request(&self, body: Value) -> Reference {
        let (status, accepted) = self.post_request_json(&body).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
        assert_eq!(accepted["state"], "pending_confirmation", "{accepted}");
        accepted["reference"].as_str().unwrap().parse().unwrap()
    }

    /// Posts request `body` to the API with a new idempotency key: its status and JSON answer.
    pub async fn post_request_json(&self, body: &Value) -> (StatusCode, Value) {
        let response = self
            .http
            .post(self.url("/api/v1/review-requests"))
            .header(CONTENT_TYPE, "application/json")
            .header("Idempotency-Key", ulid::Ulid::new().to_string())
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap())
    }

    /// The one-time token of a freshly served request form.
    pub async fn form_token(&self) -> String {
        let page = self.text_at(self.url("/request")).await;
        regex_lite::Regex::new(r#"name="submission_token" value="([A-Za-z0-9_.-]+)""#)
            .unwrap()
            .captures(&page)
            .expect("the form carries a submission token")[1]
            .to_owned()
    }

    /// The school sends the request form with these fields.
    pub async fn send_request_form(&self, form: &[(&str, String)]) -> reqwest::Response {
        self.post(&self.url("/request"), &encode_fields(form)).await
    }

    /// A school with a request (a random URN) and its private status link.
    pub async fn school(&self) -> School {
        let contact = unique_address("senco");
        let urn = (100_000 + ulid::Ulid::new().random() % 900_000).to_string();
        let reference = self
            .submit_request(&urn, "Brook Primary School", &contact)
            .await;
        let link = link_containing(&self.wait_for_mail(&contact, 1).await, "/status/");
        School {
            request_id: self.request_id(reference.as_str()).await,
            reference,
            token: link.rsplit('/').next().unwrap().to_owned(),
        }
    }
}

/// The reviewer answers an offer.
impl TestStack {
    /// Posts `form` to an offer (or review) link, as the reviewer's page does.
    pub async fn answer(&self, link: &str, form: &str) -> reqwest::Response {
        self.post(link, form).await
    }

    /// The reviewer accepts the offer at `link` for a visit on `date`.
    pub async fn accept_with_date(&self, link: &str, date: time::Date) -> reqwest::Response {
        self.answer(link, &format!("decision=accept&visit_date={date}"))
            .await
    }

    /// `lead`, who has had `lead_mails` emails before, is offered the request `reference` and
    /// accepts it for [`super::visit_day`]; returns once the school (`school_contact`, with no
    /// other request) and the lead have their confirmations.
    pub async fn accept_offer(
        &self,
        reference: &str,
        school_contact: &str,
        lead: &str,
        lead_mails: usize,
    ) -> Booked {
        let offer = self.wait_for_mail(lead, lead_mails + 1).await;
        let accepted = self
            .accept_with_date(&offer_link(&offer[0]), super::visit_day())
            .await;
        assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
        let status_link = link_containing(&self.wait_for_mail(school_contact, 2).await, "/status/");
        let review_link =
            link_containing(&self.wait_for_mail(lead, lead_mails + 2).await, "/reviews/");
        Booked {
            school: School {
                reference: reference.parse().unwrap(),
                request_id: self.request_id(reference).await,
                token: status_link.rsplit('/').next().unwrap().to_owned(),
            },
            school_contact: school_contact.to_owned(),
            status_link,
            review_link,
            lead: lead.to_owned(),
        }
    }

    /// School `name` (URN `urn`, contact `school_contact`) asks for a review and `lead` (who
    /// has had `lead_mails` emails before) accepts it.
    pub async fn book(
        &self,
        (school_contact, urn, name): (&str, &str, &str),
        lead: &str,
        lead_mails: usize,
    ) -> Booked {
        let reference = self.submit_named(school_contact, urn, name).await;
        self.accept_offer(&reference, school_contact, lead, lead_mails)
            .await
    }

    /// Brook Primary's request booked with a review team (the programme sends a second
    /// reviewer on every SEND review): Ada Lead, and Bea Second on her date. The booking and
    /// Bea's review link.
    pub async fn booked_team(&self) -> (Booked, String) {
        self.send_reviews_take_a_second_reviewer().await;
        let (lead, second) = (unique_address("lead"), unique_address("second"));
        self.import_reviewers(&[
            reviewer_row("Ada Lead", &lead, 204, "primary", 2, "900001"),
            super::second_row("Bea Second", &second, 204, "primary", "900002"),
        ])
        .await;
        let school = unique_address("school");
        let booked = self
            .book((&school, "100101", "Brook Primary School"), &lead, 0)
            .await;
        let offer = self.wait_for_mail(&second, 1).await;
        let accepted = self
            .accept_with_date(&offer_link(&offer[0]), super::visit_day())
            .await;
        assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
        let second_link = link_containing(&self.wait_for_mail(&second, 2).await, "/reviews/");
        (booked, second_link)
    }

    /// A Camden primary (focus: all eight areas) with Ada booked as lead.
    pub async fn booked(&self) -> Booked {
        self.booked_with("Ada Lead", "100101").await
    }

    /// A booked review (as [`Self::booked`]) and noon on the day of its visit, when the
    /// lifecycle opens its report.
    pub async fn on_the_visit_day(&self) -> (Booked, time::OffsetDateTime) {
        let booked = self.booked().await;
        let visit = self
            .stored_request(&booked.school.request_id)
            .await
            .lead
            .map(|lead| lead.visit_date)
            .expect("a booked visit");
        let noon = visit.midnight().assume_utc() + time::Duration::hours(12);
        (booked, noon)
    }

    /// School `urn`, with a new reviewer `name` booked as lead (a new reviewer, with no review
    /// yet this term, outranks the earlier ones).
    pub async fn booked_with(&self, name: &str, urn: &str) -> Booked {
        let lead = unique_address("lead");
        let home = format!("9{}", &urn[1..]);
        self.import_reviewers(&[reviewer_row(name, &lead, 204, "primary", 2, &home)])
            .await;
        let contact = unique_address("school");
        self.book((&contact, urn, "Brook Primary School"), &lead, 0)
            .await
    }
}

/// The API body of a request from school `school` (URN `urn`, contact `email`, with a phone
/// number) for a review of leadership and outcomes.
fn request_body(urn: &str, school: &str, email: &str) -> Value {
    json!({
        "school": {
            "urn": urn, "name": school, "phase": "primary", "type": "mainstream",
            "local_authority_code": 202, "trust": null, "postcode": "NW1 2DB",
            "number_on_roll": 420, "sen_support_percent": 14.5, "ehc_plan_percent": 3.2,
            "areas_of_need": ["communication_and_interaction"]
        },
        "review_type": "send_review",
        "focus_areas": ["leadership", "outcomes"],
        "visit_windows": [
            { "start": date_from_now(30), "end": date_from_now(40) },
            { "start": date_from_now(60), "end": date_from_now(70) }
        ],
        "learning_goal": "How well our graduated approach works.",
        "contact": { "name": "Grace Hopper", "role": "SENCO", "email": email, "phone": "01632 960 001" },
        "declarations": { "no_pupil_named": true, "privacy_notice_accepted": true }
    })
}

/// A school's status link renewed (it was forwarded).
impl TestStack {
    /// How many emails `booked`'s school has had: a renewal's one email is counted from here.
    pub async fn school_mail_count(&self, booked: &Booked) -> usize {
        let sent = self.stack.mail_to(&booked.school_contact).await;
        sent.expect("moto answers").len()
    }

    /// After `booked`'s status link was renewed once (the school had `sent` emails before):
    /// exactly one more email, with a new link that opens the request; the old link answers
    /// "This link has been replaced", saying where the new one went; the lead's review link
    /// still opens. The new link, and the email's text.
    pub async fn status_link_was_renewed(&self, booked: &Booked, sent: usize) -> (String, String) {
        let mails = self.wait_for_mail(&booked.school_contact, sent + 1).await;
        assert_eq!(mails.len(), sent + 1, "exactly one new email");
        let email = &mails[0]; // newest first
        assert!(
            email.subject.contains("a new link to your request"),
            "{}",
            email.subject
        );
        let new_link = link_containing(&mails[..1], "/status/");
        assert_ne!(new_link, booked.status_link);
        let opened = self.open(&new_link).await;
        assert_eq!(opened.status(), StatusCode::OK);
        let page = opened.text().await.unwrap();
        assert!(page.contains(booked.school.reference.as_str()));
        let refused = self.open(&booked.status_link).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let refused = refused.text().await.unwrap();
        assert!(refused.contains("This link has been replaced"), "{refused}");
        assert!(refused.contains("The new link was emailed to the contact named on the request"));
        assert_eq!(
            self.open(&booked.review_link).await.status(),
            StatusCode::OK
        );
        (new_link, email.text.clone())
    }
}
