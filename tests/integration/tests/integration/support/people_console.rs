//! What a coordinator does on the console's people pages (the reviewer pool, its import, the
//! staff), as their browser does it, and what the table then holds.

use records::audit::AuditEntry;
use records::reviewers::Reviewer;

use super::{StaffBrowser, TestStack, between};

/// The import's required columns, in a file's header.
pub(crate) const POOL_HEADER: &str = "name,email,home_school_urn,local_authority,regions,phases,school_types,may_lead,capacity_per_term";

/// A good row of [`POOL_HEADER`] for `name` at `email`.
pub(crate) fn pool_row(name: &str, email: &str) -> String {
    format!("{name},{email},100001,202,london;south_east,primary,mainstream,yes,2")
}

/// The reviewer form's fields for a good new reviewer.
pub(crate) fn reviewer_fields(name: &str, email: &str) -> Vec<(&'static str, String)> {
    [
        ("name", name),
        ("email", email),
        ("home_school_urn", "100001"),
        ("local_authority", "202"),
        ("regions", "london"),
        ("phases", "primary; secondary"),
        ("school_types", "mainstream"),
        ("may_lead", "yes"),
        ("capacity_per_term", "2"),
    ]
    .into_iter()
    .map(|(n, v)| (n, v.to_owned()))
    .collect()
}

impl StaffBrowser<'_> {
    async fn post_with_token(
        &mut self,
        path: &str,
        fields: &[(&str, String)],
    ) -> reqwest::Response {
        let csrf = self.csrf("/console/reviewers").await;
        let mut form: Vec<(&str, &str)> = vec![("csrf", &csrf)];
        form.extend(fields.iter().map(|(n, v)| (*n, v.as_str())));
        self.post(path, &form).await
    }

    /// Pastes `csv` into the pool's import form and sends it.
    pub(crate) async fn import_reviewers(&mut self, csv: &str) -> reqwest::Response {
        self.post_with_token("/console/reviewers/import", &[("csv", csv.to_owned())])
            .await
    }

    /// Chooses a file called `filename` holding `bytes` in the pool's import form and sends it
    /// (as a browser does: multipart, the token a plain field, the text box left empty). With
    /// `csrf` false the token is left out.
    pub(crate) async fn upload_reviewers(
        &mut self,
        filename: &str,
        bytes: Vec<u8>,
        csrf: bool,
    ) -> reqwest::Response {
        let token = self.csrf("/console/reviewers").await;
        let file = reqwest::multipart::Part::bytes(bytes)
            .file_name(filename.to_owned())
            .mime_str("text/csv")
            .unwrap();
        let mut form = reqwest::multipart::Form::new();
        if csrf {
            form = form.text("csrf", token);
        }
        let form = form.part("file", file).text("csv", "");
        self.app
            .http
            .post(self.app.url("/console/reviewers/import"))
            .header("cookie", format!("console_session={}", self.cookie))
            .header("origin", self.app.stack.url.clone())
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    /// Fills in the new reviewer form with `fields` and sends it.
    pub(crate) async fn add_reviewer(&mut self, fields: &[(&str, String)]) -> reqwest::Response {
        self.post_with_token("/console/reviewers/new", fields).await
    }

    /// The page at `path`, as text.
    pub(crate) async fn text_of(&self, path: &str) -> String {
        self.get(path).await.text().await.unwrap()
    }

    /// The revision a reviewer's page was read at (its form's hidden field).
    pub(crate) async fn reviewer_revision(&self, id: &str) -> String {
        let page = self.text_of(&format!("/console/reviewers/{id}")).await;
        between(&page, "name=\"revision\" value=\"", "\"").to_owned()
    }

    /// Sends the reviewer's form, read at `revision`, with `fields`.
    pub(crate) async fn edit_reviewer(
        &mut self,
        id: &str,
        revision: &str,
        fields: &[(&str, String)],
    ) -> reqwest::Response {
        let mut all = fields.to_vec();
        all.push(("revision", revision.to_owned()));
        self.post_with_token(&format!("/console/reviewers/{id}"), &all)
            .await
    }

    /// Presses the reviewer's deactivate (or reactivate) button.
    pub(crate) async fn set_reviewer_active(
        &mut self,
        id: &str,
        active: bool,
    ) -> reqwest::Response {
        let action = if active { "reactivate" } else { "deactivate" };
        self.post_with_token(&format!("/console/reviewers/{id}/{action}"), &[])
            .await
    }

    /// Invites `email` to the staff as `role`.
    pub(crate) async fn invite_staff(&mut self, email: &str, role: &str) -> reqwest::Response {
        self.post_with_token(
            "/console/staff/invite",
            &[("email", email.to_owned()), ("role", role.to_owned())],
        )
        .await
    }

    /// Confirms removing `email` from the staff.
    pub(crate) async fn remove_staff(&mut self, email: &str) -> reqwest::Response {
        self.post_with_token(
            "/console/staff/remove",
            &[("email", email.to_owned()), ("confirm", "yes".to_owned())],
        )
        .await
    }
}

impl TestStack {
    /// Every stored reviewer, in name order.
    pub async fn stored_reviewers(&self) -> Vec<Reviewer> {
        records::reviewers::list(&self.table_handle())
            .await
            .unwrap()
    }

    /// The whole audit log, oldest first.
    pub async fn audit_log(&self) -> Vec<AuditEntry> {
        records::audit::log(&self.table_handle()).await.unwrap()
    }
}
