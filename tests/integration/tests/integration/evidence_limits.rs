//! The programme's limits on a request's evidence: at most so many files, and so many uploads
//! started an hour. The evidence page says how many are left; when none are, the "add a file"
//! form is gone and a forced POST is refused with the reason, storing nothing (so no presigned
//! POST can be issued).

use records::programme::{self, ProgrammeSettings};
use reqwest::StatusCode;

use crate::support::{body, spawn};

const ADD: &str = "name=Another&category=provision_map&file_type=pdf&no_pupil_named=yes";

#[tokio::test]
async fn a_request_takes_the_programmes_number_of_files_and_uploads_an_hour_and_says_whats_left() {
    let app = spawn().await;
    let mut settings = ProgrammeSettings::new("Test Programme", "programme@example.org");
    settings.max_files_per_request = 2;
    settings.uploads_per_hour = 3;
    programme::put(&app.table_handle(), &settings)
        .await
        .unwrap();
    let school = app.school().await;
    let store = app.evidence_store();

    let page = app.text_at(app.url(&school.evidence())).await;
    assert!(
        page.contains("You can add 2 more files to this request."),
        "{page}"
    );
    let (first, _) = app.upload_pdf(&school, "One").await;
    app.upload_pdf(&school, "Two").await;

    // Full: no form, the reason instead, and a forced POST stores nothing.
    let page = app.text_at(app.url(&school.evidence())).await;
    assert!(
        page.contains("This request already has 2 files, the most it can hold."),
        "{page}"
    );
    assert!(
        !page.contains("name=\"no_pupil_named\""),
        "the add form is gone"
    );
    let refused = app.post_path(&school.evidence(), ADD).await;
    let html = body(refused, StatusCode::TOO_MANY_REQUESTS).await;
    assert!(html.contains("Delete a file you no longer need to make room for another."));
    assert_eq!(store.list(&school.request_id).await.unwrap().len(), 2);

    // Deleting a file makes room; a third upload this hour is the last one the hour allows.
    app.delete_evidence(&school, &first).await;
    let page = app.text_at(app.url(&school.evidence())).await;
    assert!(
        page.contains("You can add 1 more file to this request"),
        "{page}"
    );
    let (third, _) = app.upload_pdf(&school, "Three").await;
    app.delete_evidence(&school, &third).await;
    let page = app.text_at(app.url(&school.evidence())).await;
    assert!(
        page.contains("You have started 3 uploads in the last hour, the most we take in an hour."),
        "{page}"
    );
    let refused = app.post_path(&school.evidence(), ADD).await;
    let html = body(refused, StatusCode::TOO_MANY_REQUESTS).await;
    assert!(html.contains("You can add another file in"), "{html}");
    assert_eq!(store.list(&school.request_id).await.unwrap().len(), 1);
}
