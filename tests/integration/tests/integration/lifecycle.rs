//! The whole life of one review on the local stack, through the pages and links a school and a
//! reviewer use: request, match, accept with a date, self-evaluation, evidence, the visit day,
//! the report (draft, the school's factual comments, final), its delivery with a PDF, the
//! action plan and a follow-up visit offered to the original lead first.

use records::domain::request::{FocusArea, FrameworkRef, NamedArea};
use records::store::Item;
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use workflows::after_report::action_plan::ActionStatus;

use crate::support::{
    PDF, School, TestStack, complete_self_evaluation, day, form_encode, link_containing, location,
    offer_link, pdf_text, spawn, step, unique_address, valid_form, version_on, visit_day,
};

/// The focus areas the school chooses on the form, in the order the report lists them.
const AREAS: [&str; 2] = ["leadership", "outcomes"];

/// The chosen areas as the whole-school framework names them.
fn chosen() -> Vec<NamedArea> {
    crate::support::areas(&AREAS)
}

/// The subjects of `mails`, oldest first.
fn subjects(mails: &[local_runner::mailbox::SentMail]) -> Vec<String> {
    mails
        .iter()
        .rev()
        .filter(|m| !is_feedback(m))
        .map(|m| m.subject.clone())
        .collect()
}

/// A feedback email (queued with the final report, in the same transaction: either may be
/// delivered first, so the sequences above leave it out and count it apart).
fn is_feedback(mail: &local_runner::mailbox::SentMail) -> bool {
    mail.links.iter().any(|l| l.contains("/feedback/"))
}

/// The report item as stored, read raw (so this test does not depend on the report's model).
async fn report_item(app: &TestStack, request_id: &str) -> Item {
    app.item(
        format!("REQUEST#{request_id}"),
        workflows::report::store::SORT_KEY,
    )
    .await
    .expect("the report")
}

/// What the lead writes for one focus area.
struct AreaText {
    area: FocusArea,
    went_well: [&'static str; 2],
    even_better_if: &'static str,
    evidence: &'static str,
}

/// The report the lead writes, as the editor's form fields.
struct Written {
    areas: Vec<AreaText>,
    summary: &'static str,
    recommendations: [(&'static str, &'static str); 2],
}

impl Written {
    fn form(&self, version: &str, decision: &str) -> String {
        let mut pairs: Vec<(String, &str)> =
            vec![("version".into(), version), ("decision".into(), decision)];
        for text in &self.areas {
            let area = text.area.as_str();
            for point in text.went_well {
                pairs.push((format!("{area}.went_well"), point));
            }
            pairs.push((format!("{area}.even_better_if"), text.even_better_if));
            pairs.push((format!("{area}.evidence"), text.evidence));
        }
        pairs.push(("summary".into(), self.summary));
        for (action, next_steps) in self.recommendations {
            pairs.push(("recommendation".into(), action));
            pairs.push(("next_steps".into(), next_steps));
        }
        let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        form_encode(&borrowed)
    }

    /// Every text the lead wrote.
    fn texts(&self) -> Vec<&'static str> {
        let mut texts = Vec::new();
        for text in &self.areas {
            texts.extend(text.went_well);
            texts.extend([text.even_better_if, text.evidence]);
        }
        texts.push(self.summary);
        for (action, next_steps) in self.recommendations {
            texts.extend([action, next_steps]);
        }
        texts
    }
}

fn first_draft() -> Written {
    Written {
        areas: vec![
            AreaText {
                area: FocusArea::parse("leadership").unwrap(),
                went_well: [
                    "The SENCO sits on the senior leadership team.",
                    "Governors receive a SEND report every term.",
                ],
                even_better_if: "The one SEND governor visited classes more often.",
                evidence: "Governing body minutes and the SEND information report.",
            },
            AreaText {
                area: FocusArea::parse("outcomes").unwrap(),
                went_well: [
                    "Pupils with SEND in Year 6 made strong progress in reading.",
                    "Tracking shows small steps of progress for every pupil with an EHC plan.",
                ],
                even_better_if: "Progress in writing were tracked as closely as in reading.",
                evidence: "Tracking sheets for three cohorts and pupil work in books.",
            },
        ],
        summary: "A school where leaders know their pupils with SEND well.",
        recommendations: [
            (
                "Track progress in writing with the same small steps as reading.",
                "Adapt the reading tracker for writing by the spring term.",
            ),
            (
                "Plan termly learning walks for the SEND governors.",
                "Agree a timetable of visits at the next governors meeting.",
            ),
        ],
    }
}

#[tokio::test]
async fn a_review_lives_from_request_to_follow_up() {
    let app = spawn().await;
    // Ada's home is in Kent; Bea, who joins the pool later, lives in the school's region and
    // would score more.
    let ada = app.ada_joins().await;
    let school = unique_address("school");

    // Request: the school fills in the form (two focus areas) and is sent its status link.
    let sent = app
        .send_request_form(&valid_form(&app.form_token().await, &school, "100101"))
        .await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let reference = location(&sent)
        .strip_prefix("/request/sent/")
        .expect("the confirmation page")
        .to_owned();
    assert!(
        app.page(&app.url(&location(&sent)))
            .await
            .contains(&reference)
    );
    let request_id = app.request_id(&reference).await;
    // The contact confirms it from the first email's link: only then is it matched.
    app.confirm(&reference).await;

    // Match: the matcher offers the review to Ada.
    let offer = app.wait_for_mail(&ada, 1).await;
    assert_eq!(
        offer[0].subject,
        format!("Can you review Brook Primary School (Camden)? {reference}")
    );
    let offer_page = app.page(&offer_link(&offer[0])).await;
    assert!(offer_page.contains("Can you review Brook Primary School?"));
    let mails = app.wait_for_mail(&school, 1).await;
    let confirmation_subject = mails[0].subject.clone();
    assert!(confirmation_subject.ends_with(&format!(": we have your request {reference}")));
    let status_link = link_containing(&mails, "/status/");
    let token = status_link.rsplit('/').next().unwrap().to_owned();
    let status = app.page(&status_link).await;
    assert!(status.contains(&reference));
    let stored = app.stored_request(&request_id).await;
    assert_eq!(stored.state, records::lifecycle::RequestState::Offered);
    assert_eq!(stored.request.areas(), chosen());
    assert_eq!(stored.request.framework, FrameworkRef::whole_school());

    // Accept with a date: both sides are told, each with a calendar file and its own link.
    let accepted = app
        .accept_with_date(&offer_link(&offer[0]), visit_day())
        .await;
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
    let visit_text = records::domain::request::long_date(visit_day());
    let booked_subject = format!("Visit booked: Brook Primary School on {visit_text}");
    let lead_mails = app.wait_for_mail(&ada, 2).await;
    let school_mails = app.wait_for_mail(&school, 2).await;
    for mails in [&lead_mails, &school_mails] {
        assert_eq!(mails[0].subject, booked_subject);
        assert_eq!(mails[0].attachments[0].filename, "visit.ics");
    }
    assert_eq!(link_containing(&school_mails[..1], "/status/"), status_link);
    let review_link = link_containing(&lead_mails[..1], "/reviews/");
    let stored = app.stored_request(&request_id).await;
    assert_eq!(stored.state, records::lifecycle::RequestState::Accepted);
    let lead = stored.lead.expect("a lead");
    assert_eq!(
        (lead.reviewer_name.as_str(), lead.visit_date),
        ("Ada Lead", visit_day())
    );
    let status = app.page(&status_link).await;
    assert!(status.contains("Ada Lead will visit on"));
    let review = app.page(&review_link).await;
    assert!(review.contains("Your review of Brook Primary School"));
    assert!(review.contains("You are the lead reviewer"));

    // Self-evaluation: saved, then submitted, from the status page's link; the lead is told
    // and reads it.
    let self_evaluation = app.href(&status, "Write your self-evaluation");
    let form = app.page(&self_evaluation).await;
    let saved = app
        .post_pairs(
            &self_evaluation,
            &[
                ("version", &version_on(&form)),
                ("decision", "save"),
                (
                    "evaluation_outcomes",
                    "Our pupils with SEND progress well in reading.",
                ),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let form = app
        .page(&app.url(saved.headers()[LOCATION].to_str().unwrap()))
        .await;
    assert!(form.contains("Your changes are saved."));
    assert!(form.contains("Our pupils with SEND progress well in reading."));
    let evaluation = |area: &NamedArea| format!("Our own view of {}.", area.title);
    let submitted = app
        .post(
            &self_evaluation,
            &complete_self_evaluation(&version_on(&form), &chosen(), evaluation),
        )
        .await;
    assert_eq!(submitted.status(), StatusCode::SEE_OTHER);
    assert!(
        app.page(&self_evaluation)
            .await
            .contains("You submitted your self-evaluation.")
    );
    let lead_mails = app.wait_for_mail(&ada, 3).await;
    assert_eq!(
        lead_mails[0].subject,
        format!("Brook Primary School has submitted its self-evaluation: {reference}")
    );
    assert_eq!(link_containing(&lead_mails[..1], "/reviews/"), review_link);
    let review = app.page(&review_link).await;
    for area in chosen() {
        assert!(review.contains(&evaluation(&area)));
    }
    let status = app.page(&status_link).await;
    assert!(status.contains("Read your self-evaluation"));

    // Evidence: the school adds a file and uploads it with the presigned POST to S3; the
    // checker receives it; the lead sees it and downloads it.
    let evidence_page = app.href(&status, "Add or manage your evidence");
    assert_eq!(evidence_page, format!("{status_link}/evidence"));
    assert!(
        app.page(&evidence_page)
            .await
            .contains("You have not added any files yet.")
    );
    let booked_school = School {
        reference: reference.parse().unwrap(),
        request_id: request_id.clone(),
        token: token.clone(),
    };
    let evidence_store = app.evidence_store();
    let (evidence_id, received) = app.upload_pdf(&booked_school, "Provision+map").await;
    assert_eq!(received.size, Some(PDF.len() as u64));
    assert!(
        app.page(&status_link)
            .await
            .contains("Provision map: Received")
    );
    assert!(app.page(&review_link).await.contains("Provision map"));
    let download = app
        .open(format!("{review_link}/evidence/{evidence_id}"))
        .await;
    assert_eq!(download.status(), StatusCode::SEE_OTHER);
    let file = reqwest::get(download.headers()[LOCATION].to_str().unwrap())
        .await
        .unwrap();
    assert_eq!(file.bytes().await.unwrap().as_ref(), PDF);

    // The visit day: the report opens.
    let report_link = app.href(&app.page(&review_link).await, "Write the report");
    assert!(
        app.page(&report_link)
            .await
            .contains("The report opens on the day of the visit")
    );
    let yesterday = day(-1);
    app.move_visit(&reference, yesterday).await;
    let status = app.page(&status_link).await;
    assert_eq!(step(&status, "Visit"), "Done");
    assert_eq!(step(&status, "Report"), "In progress");

    // The lead writes a draft, saves it, then sends it to the school.
    let mut written = first_draft();
    let editor = app.page(&report_link).await;
    for area in AREAS {
        assert!(editor.contains(&format!(r#"name="{area}.went_well""#)));
    }
    let whole_school = FrameworkRef::whole_school().areas;
    for area in whole_school.iter().filter(|a| !AREAS.contains(&a.as_str())) {
        assert!(!editor.contains(&format!(r#"name="{}.went_well""#, area.as_str())));
    }
    let saved = app
        .post_pairs(
            &report_link,
            &[
                ("version", &version_on(&editor)),
                ("decision", "save"),
                ("summary", written.summary),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let editor = app
        .page(&app.url(saved.headers()[LOCATION].to_str().unwrap()))
        .await;
    assert!(editor.contains(written.summary));
    assert_eq!(
        report_item(&app, &request_id).await["state"]
            .as_s()
            .unwrap(),
        "draft"
    );
    let sent = app
        .post(&report_link, &written.form(&version_on(&editor), "submit"))
        .await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let report = report_item(&app, &request_id).await;
    assert_eq!(report["state"].as_s().unwrap(), "submitted");
    let body = format!("{:?}", report["body"]);
    for text in written.texts() {
        assert!(body.contains(text), "{text} is not stored");
    }
    assert!(
        app.page(&report_link)
            .await
            .contains("The report is not open for editing")
    );

    // The school is asked to check it, and comments on one section.
    let school_mails = app.wait_for_mail(&school, 3).await;
    assert_eq!(
        school_mails[0].subject,
        format!("Your draft report is ready to check: {reference}")
    );
    let check_link = link_containing(&school_mails[..1], "/report");
    assert_eq!(check_link, format!("{status_link}/report"));
    let status = app.page(&status_link).await;
    assert_eq!(app.href(&status, "Check your draft report"), check_link);
    let draft = app.page(&check_link).await;
    for text in written.texts() {
        assert!(draft.contains(text), "{text} is not in the draft");
    }
    let comment = "We have two SEND governors, not one.";
    let commented = app
        .post_pairs(
            &check_link,
            &[
                ("version", &version_on(&draft)),
                ("comment.leadership", comment),
            ],
        )
        .await;
    assert_eq!(commented.status(), StatusCode::SEE_OTHER);
    assert!(
        app.page(&check_link)
            .await
            .contains("You sent your comments to the review team")
    );
    let report = report_item(&app, &request_id).await;
    assert_eq!(report["state"].as_s().unwrap(), "checked");
    assert!(format!("{:?}", report["factual_check"]).contains(comment));
    let commented_subject =
        format!("Brook Primary School has commented on the draft report: {reference}");
    let lead_mails = app.wait_for_mail(&ada, 4).await;
    assert_eq!(lead_mails[0].subject, commented_subject);

    // The lead follows the email's link to the editor, sees the comment, corrects the section
    // and finalises.
    let editor_link = link_containing(&lead_mails[..1], "/reviews/");
    assert!(editor_link.ends_with("/report"), "{editor_link}");
    let editor = app.page(&editor_link).await;
    assert!(editor.contains(comment));
    assert!(editor.contains(r#"value="finalise""#));
    written.areas[0].even_better_if = "The two SEND governors visited classes more often.";
    let finalised = app
        .post(
            &editor_link,
            &written.form(&version_on(&editor), "finalise"),
        )
        .await;
    assert_eq!(finalised.status(), StatusCode::SEE_OTHER);
    let report = report_item(&app, &request_id).await;
    assert_eq!(report["state"].as_s().unwrap(), "final");
    let pdf_key = report["pdf_key"].as_s().unwrap().clone();
    assert_eq!(pdf_key, format!("requests/{request_id}/report/report.pdf"));
    assert!(
        app.page(&report_link)
            .await
            .contains("The report is final and has been sent to the school.")
    );

    // Delivery: the school's email carries the PDF, whose text has each focus area's heading
    // with what the lead wrote for it, the summary and the recommendations.
    // With the report, the school (and the lead) are asked for feedback, once each.
    let school_mails = app.wait_for_mail(&school, 5).await;
    let delivery = school_mails
        .iter()
        .find(|m| !is_feedback(m))
        .expect("the report's email");
    assert_eq!(delivery.subject, format!("Your review report: {reference}"));
    assert_eq!(school_mails.iter().filter(|m| is_feedback(m)).count(), 1);
    assert!(delivery.links.contains(&check_link));
    let pdf = delivery
        .attachments
        .iter()
        .find(|a| a.content_type == "application/pdf")
        .expect("the report is attached as a PDF");
    let text = pdf_text(&pdf.content);
    for area in chosen() {
        assert!(
            text.contains(&area.heading),
            "{} is not in the PDF",
            area.heading
        );
    }
    for text_written in written.texts() {
        assert!(
            text.contains(text_written),
            "{text_written} is not in the PDF:\n{text}"
        );
    }
    assert!(
        !text.contains("The one SEND governor"),
        "the corrected text only"
    );
    let stored_pdf = evidence_store
        .s3
        .get_object()
        .bucket(&evidence_store.bucket)
        .key(&pdf_key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        stored_pdf
            .body
            .collect()
            .await
            .unwrap()
            .into_bytes()
            .as_ref(),
        pdf.content.as_slice(),
        "the email carries the stored PDF"
    );
    assert!(
        app.stack.mail_to(&ada).await.unwrap().iter().all(|m| m
            .attachments
            .iter()
            .all(|a| a.content_type != "application/pdf")),
        "the school owns the report: the reviewer is not sent it"
    );
    let status = app.page(&status_link).await;
    assert_eq!(step(&status, "Report"), "Done");
    assert!(status.contains("Download your report (PDF)"));

    // Action plan: each recommendation is a row; the school updates one and reads it back.
    let plan_link = app.href(&status, "Update your action plan");
    let plan = app.page(&plan_link).await;
    for (action, _) in written.recommendations {
        assert!(plan.contains(action), "{action} is not a row");
    }
    let target = day(120);
    let typed = format!(
        "{}/{}/{}",
        target.day(),
        u8::from(target.month()),
        target.year()
    );
    let saved = app
        .post_pairs(
            &plan_link,
            &[
                ("version", &version_on(&plan)),
                ("owner-1", "Ms Lee (SENCO)"),
                ("target_date-1", &typed),
                ("status-1", "in_progress"),
                ("notes-1", "Writing tracker drafted with the English lead."),
                ("status-2", "not_started"),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let (version, stored_plan) = app.stored_plan(&request_id).await.expect("a saved plan");
    assert_eq!(version, 1);
    let row = &stored_plan.rows[0];
    assert_eq!(row.action, written.recommendations[0].0);
    assert_eq!(
        (row.owner.as_str(), row.target_date.as_str(), row.status),
        (
            "Ms Lee (SENCO)",
            target.to_string().as_str(),
            ActionStatus::InProgress
        )
    );
    assert_eq!(row.notes, "Writing tracker drafted with the English lead.");
    assert_eq!(stored_plan.rows[1].status, ActionStatus::NotStarted);
    let plan = app
        .page(&app.url(saved.headers()[LOCATION].to_str().unwrap()))
        .await;
    assert_eq!(version_on(&plan), "1");
    assert!(plan.contains(r#"name="owner-1" value="Ms Lee (SENCO)""#));
    assert!(plan.contains(&format!(r#"name="target_date-1" value="{target}""#)));
    let status_1 = &plan[plan.find(r#"id="status-1""#).unwrap()..];
    let status_1 = &status_1[..status_1.find("</select>").unwrap()];
    assert!(status_1.contains(r#"value="in_progress" selected"#));
    assert!(plan.contains("Writing tracker drafted with the English lead.</textarea>"));
    let status = app.page(&status_link).await;
    assert!(
        status.contains("Your report has 2 recommendations: 1 not started, 1 in progress."),
        "{status}"
    );

    // Follow-up: Bea joins the pool; the school asks from its status page; a new request,
    // linked both ways, is offered to Ada first.
    let bea = app.better_placed_reviewer_joins().await;
    let asked = app.ask_follow_up(&status_link).await;
    assert_eq!(asked.status(), StatusCode::SEE_OTHER);
    let original = app.stored_request(&request_id).await;
    let link = original.follow_up.expect("the review knows its follow-up");
    let follow_up = app.stored_request(&link.request_id).await;
    let of = follow_up
        .follow_up_of
        .expect("the follow-up knows its review");
    assert_eq!(of.request_id, request_id);
    assert_eq!(of.lead_reviewer_id, lead.reviewer_id);
    assert_eq!(of.lead_visit_date, yesterday.to_string());
    assert_eq!(follow_up.request.school, original.request.school);
    assert_eq!(follow_up.request.visit_windows[0].start, day(40));

    let lead_mails = app.wait_for_mail(&ada, 6).await;
    assert_eq!(lead_mails.iter().filter(|m| is_feedback(m)).count(), 1);
    assert_eq!(
        lead_mails[0].subject,
        format!(
            "Can you review Brook Primary School (Camden)? {}",
            link.reference
        )
    );
    assert!(
        app.stack.mail_to(&bea).await.unwrap().is_empty(),
        "the original lead is asked first, though Bea scores more"
    );
    assert_eq!(
        app.stored_request(&link.request_id).await.state,
        records::lifecycle::RequestState::Offered
    );
    let school_mails = app.wait_for_mail(&school, 6).await;
    assert!(
        school_mails[0]
            .subject
            .ends_with(&format!("we have your request {}", link.reference))
    );
    let follow_up_status = link_containing(&school_mails[..1], "/status/");
    let status = app.page(&status_link).await;
    assert!(status.contains(&format!("Its reference is {}", link.reference)));
    assert_eq!(app.href(&status, "Follow its progress"), follow_up_status);
    let status = app.page(&follow_up_status).await;
    assert!(status.contains(&format!("This visit follows up your review {reference}")));
    assert_eq!(
        app.href(&status, &format!("Go to the page of review {reference}")),
        status_link
    );

    // Each party got exactly these emails, in this order.
    assert_eq!(
        subjects(&app.stack.mail_to(&school).await.unwrap()),
        [
            confirmation_subject.clone(),
            booked_subject.clone(),
            format!("Your draft report is ready to check: {reference}"),
            format!("Your review report: {reference}"),
            confirmation_subject.replace(reference.as_str(), &link.reference),
        ]
    );
    // Each function on the way called only AWS actions its policy grants (checked again when
    // the stack is dropped); the record holds the calls made.
    app.assert_aws_calls_allowed();
    let called = app.stack.aws_actions();
    for (function, action) in [
        ("school-pages", "dynamodb:PutItem"),
        ("reviewer-pages", "s3:PutObject"),
        ("matcher", "dynamodb:Query"),
        ("mail-sender", "ses:SendRawEmail"),
        ("evidence-checker", "s3:GetObjectVersion"),
        ("evidence-checker", "s3:GetObjectVersionTagging"),
    ] {
        assert!(
            called.get(function).is_some_and(|c| c.contains(action)),
            "{function} {action}: {called:?}"
        );
    }
    assert_eq!(
        subjects(&app.stack.mail_to(&ada).await.unwrap()),
        [
            format!("Can you review Brook Primary School (Camden)? {reference}"),
            booked_subject,
            format!("Brook Primary School has submitted its self-evaluation: {reference}"),
            commented_subject,
            format!(
                "Can you review Brook Primary School (Camden)? {}",
                link.reference
            ),
        ]
    );
}
