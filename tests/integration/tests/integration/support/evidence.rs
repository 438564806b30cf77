//! The school's evidence: a file described, then uploaded straight to S3 with the presigned
//! POST, as the browser does, and checked by the evidence checker.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_SECURITY_POLICY, LOCATION};
use workflows::evidence::{Evidence, EvidenceStore, state};

use super::TestStack;

/// The smallest PDF the checker accepts.
pub(crate) const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// A school with a request and its private status link.
pub(crate) struct School {
    pub(crate) reference: records::domain::request::Reference,
    pub(crate) request_id: String,
    pub(crate) token: String,
}

impl School {
    /// The path of the school's evidence page.
    pub(crate) fn evidence(&self) -> String {
        format!("/status/{}/evidence", self.token)
    }
}

/// `text` with the HTML escapes of a page's text undone.
pub(crate) fn unescape(text: &str) -> String {
    text.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&lt;", "<")
        .replace("&#60;", "<")
        .replace("&gt;", ">")
        .replace("&#62;", ">")
        .replace("&amp;", "&")
        .replace("&#38;", "&")
}

/// The upload form on a page: its action and its hidden fields, in order.
pub(crate) fn upload_form(html: &str) -> (String, Vec<(String, String)>) {
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

impl TestStack {
    /// The evidence store as the functions use it.
    pub fn evidence_store(&self) -> EvidenceStore {
        EvidenceStore {
            table: self.table_handle(),
            s3: self.stack.aws.s3.clone(),
            bucket: self.stack.resource("EvidenceBucket").to_owned(),
            credentials: None,
        }
    }

    /// The school says what a file is (step one); the new evidence id and the upload page's
    /// HTML and CSP.
    pub async fn add_file(
        &self,
        school: &School,
        name: &str,
        file_type: &str,
    ) -> (String, String, String) {
        let added = self
            .post(
                &self.url(&school.evidence()),
                &format!(
                    "name={name}&category=provision_map&file_type={file_type}&no_pupil_named=yes"
                ),
            )
            .await;
        assert_eq!(added.status(), StatusCode::SEE_OTHER);
        let location = added.headers()[LOCATION].to_str().unwrap().to_owned();
        let evidence_id = location
            .strip_prefix(&format!("{}/", school.evidence()))
            .and_then(|rest| rest.strip_suffix("/upload"))
            .expect("the upload page of the new file")
            .to_owned();
        let page = self.open(self.url(&location)).await;
        assert_eq!(page.status(), StatusCode::OK);
        let csp = page.headers()[CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_owned();
        (evidence_id, page.text().await.unwrap(), csp)
    }

    /// The browser's part: a multipart POST of the form's fields and then the file, to S3.
    pub async fn upload(
        &self,
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
        self.http.post(action).multipart(form).send().await.unwrap()
    }

    /// The file's item (it must exist).
    pub async fn evidence_item(&self, school: &School, evidence_id: &str) -> Evidence {
        self.evidence_store()
            .get(&school.request_id, evidence_id)
            .await
            .unwrap()
            .expect("the evidence item exists")
    }

    /// Every version and delete marker under `prefix` in the evidence bucket, as version ids.
    pub async fn evidence_versions(&self, prefix: &str) -> Vec<String> {
        let store = self.evidence_store();
        let listing = store
            .s3
            .list_object_versions()
            .bucket(&store.bucket)
            .prefix(prefix);
        let listing = listing.send().await.unwrap();
        let versions = listing.versions().iter().map(|v| v.version_id());
        let markers = listing.delete_markers().iter().map(|m| m.version_id());
        versions
            .chain(markers)
            .map(|id| id.unwrap_or("null").to_owned())
            .collect()
    }

    /// Waits (30 s at most, for a loaded machine) until nothing is left under `prefix` (the
    /// checker marks a rejected file first, then deletes it).
    pub async fn wait_until_no_versions(&self, prefix: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while !self.evidence_versions(prefix).await.is_empty() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "a version of the rejected file is left"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits (10 s at most) until the checker has marked the file `wanted`; its item.
    pub async fn wait_for_evidence(
        &self,
        school: &School,
        evidence_id: &str,
        wanted: &str,
    ) -> Evidence {
        // Ends as soon as the state is reached; the slack is for a loaded machine.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let evidence = self.evidence_item(school, evidence_id).await;
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

    /// The school adds a PDF called `name` (form-encoded) and uploads it; returns once the
    /// checker has received it: its id and its checked item.
    pub async fn upload_pdf(&self, school: &School, name: &str) -> (String, Evidence) {
        self.upload_until(school, (name, "pdf"), PDF, state::RECEIVED)
            .await
    }

    /// The school adds a file called `name` (form-encoded) of `file_type` and uploads `bytes`
    /// as that type; returns once the checker has marked it `wanted`: its id and its item.
    pub async fn upload_until(
        &self,
        school: &School,
        (name, file_type): (&str, &str),
        bytes: &[u8],
        wanted: &str,
    ) -> (String, Evidence) {
        let (evidence_id, html, _) = self.add_file(school, name, file_type).await;
        let content_type = workflows::evidence::FileType::parse(file_type)
            .expect("a known file type")
            .content_type();
        let uploaded = self.upload(&html, bytes, "file", content_type).await;
        assert_eq!(uploaded.status(), StatusCode::SEE_OTHER);
        let checked = self.wait_for_evidence(school, &evidence_id, wanted).await;
        (evidence_id, checked)
    }

    /// The school downloads a file from its evidence page (a redirect to S3, when allowed).
    pub async fn download_evidence(&self, school: &School, evidence_id: &str) -> reqwest::Response {
        self.open(self.url(&format!("{}/{evidence_id}/download", school.evidence())))
            .await
    }

    /// The school deletes a file from its evidence page.
    pub async fn delete_evidence(&self, school: &School, evidence_id: &str) -> reqwest::Response {
        self.post(
            &self.url(&format!("{}/{evidence_id}/delete", school.evidence())),
            "",
        )
        .await
    }
}
