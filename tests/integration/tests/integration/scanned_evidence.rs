//! Evidence is received only once the malware scan says it is clean: the runner stands in for
//! GuardDuty Malware Protection for S3 (it tags each new version and delivers the scan result
//! event; the EICAR test signature is its "threat"), and the content rules refuse spreadsheet
//! formulas in CSV files with the cell named.

use std::time::Duration;

use aws_sdk_s3::types::{Tag, Tagging};
use records::evidence::status;
use reqwest::StatusCode;
use workflows::evidence::{Checked, state};

use crate::support::{PDF, School, spawn, spawn_with};

/// A PDF carrying the EICAR test file's signature (built in two parts, so this source is not
/// itself flagged by a scanner on the machine).
fn pdf_with_eicar() -> Vec<u8> {
    [
        &b"%PDF-1.4\n% X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-"[..],
        b"ANTIVIRUS-TEST-FILE!$H+H*\n%%EOF\n",
    ]
    .concat()
}

fn key_of(school: &School, evidence_id: &str) -> String {
    format!("requests/{}/evidence/{evidence_id}", school.request_id)
}

#[tokio::test]
async fn a_clean_file_is_received_after_its_scan_and_a_threat_is_rejected_and_deleted() {
    let app = spawn().await;
    let school = app.school().await;

    // Clean: the stand-in tagged the very version that was received.
    let (clean_id, received) = app.upload_pdf(&school, "Provision+map").await;
    let key = key_of(&school, &clean_id);
    let version = received.version_id.as_deref();
    let tag = app.evidence_store().scan_tag(&key, version).await.unwrap();
    assert_eq!(tag, Some(Some(status::NO_THREATS_FOUND.to_owned())));

    // A threat: rejected, every version deleted, the reason on the school's page.
    let (threat_id, rejected) = app
        .upload_until(
            &school,
            ("Data+summary", "pdf"),
            &pdf_with_eicar(),
            state::REJECTED,
        )
        .await;
    let reason = rejected.rejected_reason.unwrap();
    assert!(
        reason.starts_with("Our malware scan found a threat"),
        "{reason}"
    );
    app.wait_until_no_versions(&key_of(&school, &threat_id))
        .await;
    let page = app.text_at(app.url(&school.evidence())).await;
    assert!(
        page.contains("Rejected") && page.contains("Our malware scan found a threat in the file"),
        "{page}"
    );
    let download = app.download_evidence(&school, &threat_id).await;
    assert_eq!(download.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_file_with_no_scan_result_is_never_received() {
    // The scanner is down: uploads get no tag and no result event.
    let app = spawn_with(|config| config.malware_scans = false).await;
    let school = app.school().await;
    let store = app.evidence_store();
    let (evidence_id, html, _) = app.add_file(&school, "Provision+map", "pdf").await;
    let uploaded = app.upload(&html, PDF, "map.pdf", "application/pdf").await;
    assert_eq!(uploaded.status(), StatusCode::SEE_OTHER);
    let key = key_of(&school, &evidence_id);
    let versions = app.evidence_versions(&key).await;
    assert_eq!(versions.len(), 1, "the upload reached the bucket");

    // Several of the runner's poll rounds later, it is still only pending.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        app.evidence_item(&school, &evidence_id).await.state,
        state::PENDING
    );
    let tag = store.scan_tag(&key, Some(&versions[0])).await.unwrap();
    assert_eq!(tag, Some(None), "there, but untagged");

    // A "clean" result event for a version the scanner never tagged (a replay, or a forgery
    // on the bus) does not make it received: it is rejected as unscanned and deleted.
    let outcome = store
        .check_upload(
            &key,
            Some(&versions[0]),
            status::NO_THREATS_FOUND,
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    assert_eq!(
        outcome,
        Checked::Rejected(records::evidence::Rejection::NotScanned)
    );
    assert!(app.evidence_versions(&key).await.is_empty());
    let item = app.evidence_item(&school, &evidence_id).await;
    assert_eq!(item.state, state::REJECTED);
    assert!(
        item.rejected_reason
            .unwrap()
            .starts_with("We could not scan the file for malware")
    );
}

#[tokio::test]
async fn a_decided_file_carries_the_request_s_ttl_from_the_write_that_decides_it() {
    // The scanner is down, so the test decides when each file is checked.
    let app = spawn_with(|config| config.malware_scans = false).await;
    let school = app.school().await;
    let store = app.evidence_store();
    let table = app.table_handle();
    for (name, scan_tag, decided) in [
        (
            "Provision+map",
            Some(status::NO_THREATS_FOUND),
            state::RECEIVED,
        ),
        ("SEN+report", None, state::REJECTED),
    ] {
        let (evidence_id, html, _) = app.add_file(&school, name, "pdf").await;
        let uploaded = app.upload(&html, PDF, "map.pdf", "application/pdf").await;
        assert_eq!(uploaded.status(), StatusCode::SEE_OTHER);
        let key = key_of(&school, &evidence_id);
        let version = app.evidence_versions(&key).await.remove(0);
        if let Some(scan_tag) = scan_tag {
            let tag = Tag::builder()
                .key("GuardDutyMalwareScanStatus")
                .value(scan_tag)
                .build()
                .unwrap();
            let tagging = Tagging::builder().tag_set(tag).build().unwrap();
            let bucket = app.stack.resource("EvidenceBucket");
            let tagged = store.s3.put_object_tagging().bucket(bucket).key(&key);
            tagged
                .version_id(&version)
                .tagging(tagging)
                .send()
                .await
                .unwrap();
        }
        let pk = records::keys::request_pk(&school.request_id);
        let sk = format!("EVIDENCE#{evidence_id}");
        let pending = app.item(pk.clone(), &sk).await.unwrap();
        let pending_ttl = records::store::get_i64(&pending, "expires_at").unwrap();
        let now = time::OffsetDateTime::now_utc();
        store
            .check_upload(&key, Some(&version), status::NO_THREATS_FOUND, now)
            .await
            .unwrap();
        // Read at once, before the stream could bring the retention keeper: the pending day's
        // TTL gave way to the request's in the same write.
        let item = app.item(pk, &sk).await.unwrap();
        assert_eq!(records::store::get_s(&item, "state"), Some(decided));
        let request_ttl = records::retention::request_ttl(&table, &school.request_id).await;
        let ttl = records::store::get_i64(&item, "expires_at");
        assert_eq!(ttl, Some(request_ttl.unwrap().unwrap()));
        assert!(ttl.unwrap() > pending_ttl);
    }
}

#[tokio::test]
async fn a_file_whose_scan_never_comes_is_rejected_and_deleted_after_an_hour() {
    // The scanner is down: one upload reaches the bucket, another form is never used.
    let app = spawn_with(|config| config.malware_scans = false).await;
    let school = app.school().await;
    let (sent, html, _) = app.add_file(&school, "Provision+map", "pdf").await;
    let uploaded = app.upload(&html, PDF, "map.pdf", "application/pdf").await;
    assert_eq!(uploaded.status(), StatusCode::SEE_OTHER);
    let (never_sent, _, _) = app.add_file(&school, "SEN+report", "pdf").await;
    let key = key_of(&school, &sent);
    assert_eq!(app.evidence_versions(&key).await.len(), 1);

    // Within the hour the sweep leaves them waiting.
    let now = time::OffsetDateTime::now_utc();
    let early = app.run_schedule(now + time::Duration::minutes(50)).await;
    assert_eq!(early["evidence"]["unscanned_rejected"], 0, "{early}");
    assert_eq!(
        app.evidence_item(&school, &sent).await.state,
        state::PENDING
    );

    // After it, both are rejected with a reason the school can act on, and the object is gone.
    let late = app.run_schedule(now + time::Duration::minutes(70)).await;
    assert_eq!(late["evidence"]["unscanned_rejected"], 2, "{late}");
    for id in [&sent, &never_sent] {
        let item = app.evidence_item(&school, id).await;
        assert_eq!(item.state, state::REJECTED);
        assert!(
            item.rejected_reason
                .unwrap()
                .starts_with("We could not scan the file for malware")
        );
    }
    assert!(app.evidence_versions(&key).await.is_empty());
    let page = app.text_at(&app.url(&school.evidence())).await;
    assert!(
        page.contains("We could not scan the file for malware"),
        "{page}"
    );
    // A second run finds nothing left to do.
    let again = app.run_schedule(now + time::Duration::minutes(80)).await;
    assert_eq!(again["evidence"]["unscanned_rejected"], 0, "{again}");
}

#[tokio::test]
async fn content_rules_refuse_csv_formulas_and_web_pages_with_a_reason_the_school_can_act_on() {
    let app = spawn().await;
    let school = app.school().await;
    for (name, bytes, expected) in [
        (
            "Scores",
            &b"group,score\nA,-0.4\nB,\"=HYPERLINK(\"\"http://x\"\")\"\n"[..],
            "Row 3, column B of the CSV file begins with",
        ),
        (
            "Page",
            b"<!DOCTYPE html><html><script>alert(1)</script></html>",
            "The file is a web page (HTML), not a CSV file.",
        ),
    ] {
        let (_, rejected) = app
            .upload_until(&school, (name, "csv"), bytes, state::REJECTED)
            .await;
        let reason = rejected.rejected_reason.unwrap();
        assert!(reason.starts_with(expected), "{reason}");
    }
    // A plain CSV with negative numbers is received.
    let csv = b"group,progress\nA,-0.4\nB,+1.2\nC,-\n";
    app.upload_until(&school, ("Progress", "csv"), csv, state::RECEIVED)
        .await;
}
