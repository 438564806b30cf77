//! Evidence uploads on the local stack (moto S3): a real multipart POST to the presigned form,
//! the checker (fed by the runner's stand-in for the malware scan) marking files received or rejected and
//! deleted, downloads with their access log, deletion, links that must not work, and purges.

use reqwest::StatusCode;
use reqwest::header::LOCATION;
use workflows::evidence::{request_prefix, state};

use crate::support::{Answered, PDF, School, TestStack, body, spawn, tampered_token, upload_form};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";

#[tokio::test]
async fn a_pdf_uploaded_through_the_presigned_post_is_checked_received_listed_and_downloaded() {
    let app = spawn().await;
    let school = app.school().await;
    let store = app.evidence_store();

    // The status page links to the evidence page, which starts empty.
    let status = app
        .open(app.url(&format!("/status/{}", school.token)))
        .await;
    let status = status.text().await.unwrap();
    assert!(status.contains("You have not shared any evidence yet."));
    assert!(status.contains(&school.evidence()));
    let page = app.open(app.url(&school.evidence())).await;
    page.says(StatusCode::OK, "You have not added any files yet.")
        .await;

    // An incomplete form: every field's problem, nothing stored.
    let refused = app
        .post_path(&school.evidence(), "name=&category=&file_type=exe")
        .await;
    let html = body(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
    for message in [
        "Enter a name for the document",
        "Choose what the document is",
        "Choose the type of file",
        "Confirm that the file does not name or identify any pupil",
    ] {
        assert!(html.contains(message), "{message}");
    }
    assert!(store.list(&school.request_id).await.unwrap().is_empty());

    let (evidence_id, html, csp) = app.add_file(&school, "Provision+map+2026", "pdf").await;
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

    let uploaded = app
        .upload(&html, PDF, "provision-map.pdf", "application/pdf")
        .await;
    assert_eq!(uploaded.status(), StatusCode::SEE_OTHER);
    let back = uploaded.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(
        back.starts_with(&app.url(&format!("{}?uploaded={evidence_id}", school.evidence()))),
        "{back}"
    );

    let received = app
        .wait_for_evidence(&school, &evidence_id, state::RECEIVED)
        .await;
    assert_eq!(received.size, Some(PDF.len() as u64));
    assert!(received.version_id.is_some());
    let list = app.text_at(&back).await;
    assert!(
        list.contains("Provision map 2026") && list.contains("Received"),
        "{list}"
    );
    let status = app
        .open(app.url(&format!("/status/{}", school.token)))
        .await;
    assert!(
        status
            .text()
            .await
            .unwrap()
            .contains("Provision map 2026: Received")
    );

    // A download is a short-lived presigned URL, issued after recording who asked.
    let download = app.download_evidence(&school, &evidence_id).await;
    assert_eq!(download.status(), StatusCode::SEE_OTHER);
    let url = download.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(url.contains("X-Amz-Expires=300"), "{url}");
    let file = app.open(&url).await;
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
    let school = app.school().await;
    let store = app.evidence_store();
    // An image sent as a PDF: S3 takes it (the content type field is right); the checker not.
    let (evidence_id, rejected) = app
        .upload_until(&school, ("Data+summary", "pdf"), PNG, state::REJECTED)
        .await;
    let reason = rejected.rejected_reason.unwrap();
    assert!(reason.starts_with("The file was not a PDF"), "{reason}");
    let key = format!("requests/{}/evidence/{evidence_id}", school.request_id);
    app.wait_until_no_versions(&key).await;
    let page = app.text_at(app.url(&school.evidence())).await;
    assert!(page.contains("Rejected") && page.contains("The file was not a PDF"));
    // Nothing can be downloaded.
    let download = app.download_evidence(&school, &evidence_id).await;
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
            records::evidence::status::NO_THREATS_FOUND,
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    assert_eq!(again, workflows::evidence::Checked::AlreadyChecked);
}

#[tokio::test]
async fn the_school_deletes_a_file_and_every_version_goes() {
    let app = spawn().await;
    let school = app.school().await;
    let store = app.evidence_store();
    let (evidence_id, _) = app.upload_pdf(&school, "Inclusion+policy+2026").await;

    let deleted = app.delete_evidence(&school, &evidence_id).await;
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
        app.evidence_versions(&request_prefix(&school.request_id))
            .await
            .len(),
        0
    );
    // Deleting again is harmless.
    let again = app.delete_evidence(&school, &evidence_id).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn another_requests_link_or_a_tampered_one_gets_403_and_no_url() {
    let app = spawn().await;
    let owner = app.school().await;
    let other = app.school().await;
    let store = app.evidence_store();
    let (evidence_id, _) = app.upload_pdf(&owner, "Report").await;

    let tampered = tampered_token(&owner.token);
    for token in [other.token.as_str(), tampered.as_str(), "not-a-token"] {
        for path in [
            format!("/status/{token}/evidence/{evidence_id}/download"),
            format!("/status/{token}/evidence/{evidence_id}/upload"),
        ] {
            let response = app.open(app.url(&path)).await;
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
            assert!(response.headers().get(LOCATION).is_none());
        }
        let delete = app
            .post_path(
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
    let erased = app.school().await;
    let kept = app.school().await;
    let store = app.evidence_store();
    for school in [&erased, &kept] {
        let (evidence_id, _) = app.upload_pdf(school, "Report").await;
        app.download_evidence(school, &evidence_id).await;
    }
    // A deleted file leaves delete markers and old versions only a purge removes.
    let (deleted_id, _) = app.upload_pdf(&erased, "Old").await;
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
    let purged = send_review_admin::requests::purge(
        &store,
        &erased.reference,
        time::OffsetDateTime::now_utc(),
    )
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
        app.evidence_versions(&request_prefix(&erased.request_id))
            .await
            .len(),
        0
    );
    assert_eq!(items_of(&app, &erased).await, Vec::<String>::new());
    let status = app
        .open(app.url(&format!("/status/{}", erased.token)))
        .await;
    assert_eq!(status.status(), StatusCode::FORBIDDEN);
    // The other school's request is untouched; a second purge finds nothing to do.
    assert!(
        !app.evidence_versions(&request_prefix(&kept.request_id))
            .await
            .is_empty()
    );
    assert!(items_of(&app, &kept).await.len() >= 6);
    assert!(
        send_review_admin::requests::purge(
            &store,
            &erased.reference,
            time::OffsetDateTime::now_utc()
        )
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
    let run = app.run_schedule_now().await;
    assert_eq!(run["retention"]["purged"], 1);
    assert_eq!(
        app.evidence_versions(&request_prefix(&kept.request_id))
            .await
            .len(),
        0
    );
    assert_eq!(items_of(&app, &kept).await, Vec::<String>::new());
}
