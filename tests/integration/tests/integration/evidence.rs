//! Evidence uploads on the local stack (moto S3): a real multipart POST to the presigned form,
//! the checker (fed by the runner's S3 notifications) marking files received or rejected and
//! deleted, downloads with their access log, deletion, links that must not work, and purges.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION};
use workflows::evidence::{Evidence, EvidenceStore, request_prefix, state};

use crate::admin::submit_request;
use crate::helpers::{TestStack, spawn, unique_address};
use crate::journeys::{link_containing, request_id};

pub(crate) const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";

/// A school with a request and its private status link.
pub(crate) struct School {
    pub(crate) reference: records::domain::request::Reference,
    pub(crate) request_id: String,
    pub(crate) token: String,
}

impl School {
    fn evidence(&self) -> String {
        format!("/status/{}/evidence", self.token)
    }
}

fn random_urn() -> String {
    (100_000 + ulid::Ulid::new().random() % 900_000).to_string()
}

async fn school(app: &TestStack) -> School {
    let contact = unique_address("senco");
    let reference = submit_request(app, &random_urn(), "Brook Primary School", &contact).await;
    let link = link_containing(&app.wait_for_mail(&contact, 1).await, "/status/");
    School {
        request_id: request_id(app, reference.as_str()).await,
        reference,
        token: link.rsplit('/').next().unwrap().to_owned(),
    }
}

pub(crate) fn store(app: &TestStack) -> EvidenceStore {
    EvidenceStore {
        table: app.table_handle(),
        s3: app.stack.aws.s3.clone(),
        bucket: app.stack.resource("EvidenceBucket").to_owned(),
        credentials: None,
    }
}

async fn post_form(app: &TestStack, path: &str, form: &str) -> reqwest::Response {
    app.http
        .post(app.url(path))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form.to_owned())
        .send()
        .await
        .unwrap()
}

fn unescape(text: &str) -> String {
    text.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The upload form on a page: its action and its hidden fields, in order.
fn upload_form(html: &str) -> (String, Vec<(String, String)>) {
    let action = regex_lite::Regex::new(
        r#"<form method="post" action="([^"]+)" enctype="multipart/form-data""#,
    )
    .unwrap()
    .captures(html)
    .expect("an upload form")[1]
        .to_owned();
    let fields = regex_lite::Regex::new(r#"<input type="hidden" name="([^"]+)" value="([^"]*)">"#)
        .unwrap()
        .captures_iter(html)
        .map(|c| (unescape(&c[1]), unescape(&c[2])))
        .collect();
    (unescape(&action), fields)
}

/// Says what a file is (step one); the new evidence id and the upload page's HTML and CSP.
pub(crate) async fn add_file(
    app: &TestStack,
    school: &School,
    name: &str,
    file_type: &str,
) -> (String, String, String) {
    let added = post_form(
        app,
        &school.evidence(),
        &format!("name={name}&category=provision_map&file_type={file_type}&no_pupil_named=yes"),
    )
    .await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    let location = added.headers()[LOCATION].to_str().unwrap().to_owned();
    let evidence_id = location
        .strip_prefix(&format!("{}/", school.evidence()))
        .and_then(|rest| rest.strip_suffix("/upload"))
        .expect("the upload page of the new file")
        .to_owned();
    let page = app.http.get(app.url(&location)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers()[CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    (evidence_id, page.text().await.unwrap(), csp)
}

/// The browser's part: a multipart POST of the form's fields and then the file, to S3.
pub(crate) async fn upload(
    app: &TestStack,
    html: &str,
    bytes: &[u8],
    file_name: &str,
    content_type: &str,
) -> reqwest::Response {
    let (action, fields) = upload_form(html);
    let mut form = reqwest::multipart::Form::new();
    for (name, value) in fields {
        form = form.text(name, value);
    }
    let part = reqwest::multipart::Part::bytes(bytes.to_vec())
        .file_name(file_name.to_owned())
        .mime_str(content_type)
        .unwrap();
    form = form.part("file", part);
    app.http.post(action).multipart(form).send().await.unwrap()
}

pub(crate) async fn wait_for(
    store: &EvidenceStore,
    school: &School,
    evidence_id: &str,
    wanted: &str,
) -> Evidence {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let evidence = store
            .get(&school.request_id, evidence_id)
            .await
            .unwrap()
            .unwrap();
        if evidence.state == wanted {
            return evidence;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the file stayed {} (wanted {wanted})",
            evidence.state
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The school adds a PDF called `name` (form-encoded) and uploads it; returns once the checker
/// has received it: its id and its checked item.
pub(crate) async fn upload_pdf(
    app: &TestStack,
    store: &EvidenceStore,
    school: &School,
    name: &str,
) -> (String, Evidence) {
    let (evidence_id, html, _) = add_file(app, school, name, "pdf").await;
    let uploaded = upload(app, &html, PDF, "file.pdf", "application/pdf").await;
    assert_eq!(uploaded.status(), StatusCode::SEE_OTHER);
    let received = wait_for(store, school, &evidence_id, state::RECEIVED).await;
    (evidence_id, received)
}

async fn versions_under(store: &EvidenceStore, prefix: &str) -> usize {
    let listing = store
        .s3
        .list_object_versions()
        .bucket(&store.bucket)
        .prefix(prefix)
        .send()
        .await
        .unwrap();
    listing.versions().len() + listing.delete_markers().len()
}

#[tokio::test]
async fn a_pdf_uploaded_through_the_presigned_post_is_checked_received_listed_and_downloaded() {
    let app = spawn().await;
    let school = school(&app).await;
    let store = store(&app);

    // The status page links to the evidence page, which starts empty.
    let status = app
        .http
        .get(app.url(&format!("/status/{}", school.token)))
        .send()
        .await
        .unwrap();
    let status = status.text().await.unwrap();
    assert!(status.contains("You have not shared any evidence yet."));
    assert!(status.contains(&school.evidence()));
    let page = app
        .http
        .get(app.url(&school.evidence()))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("You have not added any files yet.")
    );

    // An incomplete form: every field's problem, nothing stored.
    let refused = post_form(&app, &school.evidence(), "name=&category=&file_type=exe").await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    for message in [
        "Enter a name for the document",
        "Choose what the document is",
        "Choose the type of file",
        "Confirm that the file does not name or identify any pupil",
    ] {
        assert!(html.contains(message), "{message}");
    }
    assert!(store.list(&school.request_id).await.unwrap().is_empty());

    let (evidence_id, html, csp) = add_file(&app, &school, "Provision+map+2026", "pdf").await;
    let (action, fields) = upload_form(&html);
    assert!(
        csp.contains(&format!(
            "form-action 'self' {}",
            workflows::presigned_post::origin_of(&action)
        )),
        "{csp}"
    );
    // Its one script, which checks the file's size and type first, is allowed by its hash.
    assert!(csp.contains("script-src 'sha256-"), "{csp}");
    assert!(html.contains(r#"data-extensions=".pdf""#), "{html}");
    let field = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(
        field("key"),
        Some(format!("requests/{}/evidence/{evidence_id}", school.request_id).as_str())
    );
    assert_eq!(field("Content-Type"), Some("application/pdf"));
    assert!(field("policy").is_some() && field("x-amz-signature").is_some());

    let uploaded = upload(&app, &html, PDF, "provision-map.pdf", "application/pdf").await;
    assert_eq!(uploaded.status(), StatusCode::SEE_OTHER);
    let back = uploaded.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(
        back.starts_with(&app.url(&format!("{}?uploaded={evidence_id}", school.evidence()))),
        "{back}"
    );

    let received = wait_for(&store, &school, &evidence_id, state::RECEIVED).await;
    assert_eq!(received.size, Some(PDF.len() as u64));
    assert!(received.version_id.is_some());
    let list = app.text_at(&back).await;
    assert!(
        list.contains("Provision map 2026") && list.contains("Received"),
        "{list}"
    );
    let status = app
        .http
        .get(app.url(&format!("/status/{}", school.token)))
        .send()
        .await
        .unwrap();
    assert!(
        status
            .text()
            .await
            .unwrap()
            .contains("Provision map 2026: Received")
    );

    // A download is a short-lived presigned URL, issued after recording who asked.
    let download = app
        .http
        .get(app.url(&format!("{}/{evidence_id}/download", school.evidence())))
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), StatusCode::SEE_OTHER);
    let url = download.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(url.contains("X-Amz-Expires=300"), "{url}");
    let file = app.http.get(&url).send().await.unwrap();
    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(file.bytes().await.unwrap().as_ref(), PDF);
    let log = store.access_log(&school.request_id).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].evidence_id.as_str(), log[0].accessor.as_str()),
        (evidence_id.as_str(), "school")
    );

    // A reviewer's download is recorded with their id.
    let reviewer = workflows::evidence::Accessor::Reviewer {
        reviewer_id: "01REVIEWER".into(),
    };
    store
        .download_url(
            &school.request_id,
            &evidence_id,
            &reviewer,
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    let log = store.access_log(&school.request_id).await.unwrap();
    assert_eq!(log[1].reviewer_id.as_deref(), Some("01REVIEWER"));
}

#[tokio::test]
async fn a_file_whose_bytes_are_not_its_declared_type_is_rejected_and_deleted() {
    let app = spawn().await;
    let school = school(&app).await;
    let store = store(&app);
    let (evidence_id, html, _) = add_file(&app, &school, "Data+summary", "pdf").await;
    // An image sent as a PDF: S3 takes it (the content type field is right); the checker not.
    let uploaded = upload(&app, &html, PNG, "summary.pdf", "application/pdf").await;
    assert_eq!(uploaded.status(), StatusCode::SEE_OTHER);
    let rejected = wait_for(&store, &school, &evidence_id, state::REJECTED).await;
    let reason = rejected.rejected_reason.unwrap();
    assert!(reason.starts_with("The file was not a PDF"), "{reason}");
    let key = format!("requests/{}/evidence/{evidence_id}", school.request_id);
    // The checker marks the item first, then deletes: wait for the deletion.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while versions_under(&store, &key).await > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "a version of the rejected file is left"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let page = app.text_at(app.url(&school.evidence())).await;
    assert!(page.contains("Rejected") && page.contains("The file was not a PDF"));
    // Nothing can be downloaded.
    let download = app
        .http
        .get(app.url(&format!("{}/{evidence_id}/download", school.evidence())))
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), StatusCode::FORBIDDEN);
    assert!(
        store
            .access_log(&school.request_id)
            .await
            .unwrap()
            .is_empty()
    );

    // A repeated check of the same upload changes nothing.
    let again = store
        .check_upload(
            &key,
            rejected.version_id.as_deref(),
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    assert_eq!(again, workflows::evidence::Checked::AlreadyChecked);
}

#[tokio::test]
async fn the_school_deletes_a_file_and_every_version_goes() {
    let app = spawn().await;
    let school = school(&app).await;
    let store = store(&app);
    let (evidence_id, _) = upload_pdf(&app, &store, &school, "Inclusion+policy+2026").await;

    let deleted = post_form(
        &app,
        &format!("{}/{evidence_id}/delete", school.evidence()),
        "",
    )
    .await;
    assert_eq!(deleted.status(), StatusCode::SEE_OTHER);
    let page = app
        .text_at(app.url(deleted.headers()[LOCATION].to_str().unwrap()))
        .await;
    assert!(page.contains("The file was deleted.") && !page.contains("Inclusion policy 2026"));
    let item = store
        .get(&school.request_id, &evidence_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(item.state, state::DELETED);
    assert_eq!(
        versions_under(&store, &request_prefix(&school.request_id)).await,
        0
    );
    // Deleting again is harmless.
    let again = post_form(
        &app,
        &format!("{}/{evidence_id}/delete", school.evidence()),
        "",
    )
    .await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn another_requests_link_or_a_tampered_one_gets_403_and_no_url() {
    let app = spawn().await;
    let owner = school(&app).await;
    let other = school(&app).await;
    let store = store(&app);
    let (evidence_id, _) = upload_pdf(&app, &store, &owner, "Report").await;

    let mut tampered = owner.token.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    for token in [other.token.as_str(), tampered.as_str(), "not-a-token"] {
        for path in [
            format!("/status/{token}/evidence/{evidence_id}/download"),
            format!("/status/{token}/evidence/{evidence_id}/upload"),
        ] {
            let response = app.http.get(app.url(&path)).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
            assert!(response.headers().get(LOCATION).is_none());
        }
        let delete = post_form(
            &app,
            &format!("/status/{token}/evidence/{evidence_id}/delete"),
            "",
        )
        .await;
        assert!(
            matches!(
                delete.status(),
                StatusCode::FORBIDDEN | StatusCode::SEE_OTHER
            ),
            "{}",
            delete.status()
        );
    }
    // Nothing was issued, and the owner's file is untouched.
    assert!(
        store
            .access_log(&owner.request_id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .access_log(&other.request_id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .get(&owner.request_id, &evidence_id)
            .await
            .unwrap()
            .unwrap()
            .state,
        state::RECEIVED
    );
    // The shared function refuses another request's evidence the same way.
    let refused = store
        .download_url(
            &other.request_id,
            &evidence_id,
            &workflows::evidence::Accessor::School,
            time::OffsetDateTime::now_utc(),
        )
        .await;
    assert!(matches!(
        refused,
        Err(workflows::evidence::EvidenceError::NotFound)
    ));
}

/// Every item that belongs to the request: under its partition, or naming it.
async fn items_of(app: &TestStack, school: &School) -> Vec<String> {
    app.items_with_prefix("")
        .await
        .into_iter()
        .filter(|item| {
            let pk = item["pk"].as_s().unwrap();
            let names =
                item.get("request_id").and_then(|v| v.as_s().ok()) == Some(&school.request_id);
            pk == &format!("REQUEST#{}", school.request_id)
                || pk == &format!("REFERENCE#{}", school.reference)
                || (names && !pk.starts_with("REVIEWER#"))
        })
        .map(|item| {
            format!(
                "{} {}",
                item["pk"].as_s().unwrap(),
                item["sk"].as_s().unwrap()
            )
        })
        .collect()
}

#[tokio::test]
async fn purging_leaves_nothing_under_the_prefix_and_no_items_for_the_request() {
    let app = spawn().await;
    let erased = school(&app).await;
    let kept = school(&app).await;
    let store = store(&app);
    for school in [&erased, &kept] {
        let (evidence_id, _) = upload_pdf(&app, &store, school, "Report").await;
        app.http
            .get(app.url(&format!("{}/{evidence_id}/download", school.evidence())))
            .send()
            .await
            .unwrap();
    }
    // A deleted file leaves delete markers and old versions only a purge removes.
    let (deleted_id, _) = upload_pdf(&app, &store, &erased, "Old").await;
    store
        .s3
        .delete_object()
        .bucket(&store.bucket)
        .key(format!(
            "requests/{}/evidence/{deleted_id}",
            erased.request_id
        ))
        .send()
        .await
        .unwrap();
    assert!(items_of(&app, &erased).await.len() >= 6);

    // The administrator's command (the right to erasure).
    let purged = send_review_admin::requests::purge(&store, &erased.reference)
        .await
        .unwrap();
    assert!(purged.objects.len() >= 3, "{:?}", purged.objects);
    let mut out = Vec::new();
    send_review_admin::requests::write_purged(&mut out, &erased.reference, &purged).unwrap();
    let printed = String::from_utf8(out).unwrap();
    assert!(
        printed.contains(&format!(
            "item    REFERENCE#{}  REFERENCE",
            erased.reference
        )),
        "{printed}"
    );
    assert!(printed.contains(&format!("purged {}:", erased.reference)));

    assert_eq!(
        versions_under(&store, &request_prefix(&erased.request_id)).await,
        0
    );
    assert_eq!(items_of(&app, &erased).await, Vec::<String>::new());
    let status = app
        .http
        .get(app.url(&format!("/status/{}", erased.token)))
        .send()
        .await
        .unwrap();
    assert_eq!(status.status(), StatusCode::FORBIDDEN);
    // The other school's request is untouched; a second purge finds nothing to do.
    assert!(versions_under(&store, &request_prefix(&kept.request_id)).await >= 1);
    assert!(items_of(&app, &kept).await.len() >= 6);
    assert!(
        send_review_admin::requests::purge(&store, &erased.reference)
            .await
            .is_err()
    );

    // Retention: once past its date, the scheduled function purges the other request too.
    let past = time::OffsetDateTime::now_utc().date() - time::Duration::days(1);
    app.dynamodb()
        .transact_write_items()
        .set_transact_items(Some(workflows::retention::schedule_purge(
            app.table(),
            &kept.request_id,
            past,
        )))
        .send()
        .await
        .unwrap();
    let before = app
        .stack
        .fire_schedule(
            "ScheduledTasksFunction",
            Some(serde_json::json!({ "now": format!("{}T09:00:00Z", past - time::Duration::days(1)) })),
        )
        .await
        .unwrap();
    assert_eq!(before["retention"]["purged"], 0, "not before its date");
    let run = app
        .stack
        .fire_schedule("ScheduledTasksFunction", None)
        .await
        .unwrap();
    assert_eq!(run["retention"]["purged"], 1);
    assert_eq!(
        versions_under(&store, &request_prefix(&kept.request_id)).await,
        0
    );
    assert_eq!(items_of(&app, &kept).await, Vec::<String>::new());
}
