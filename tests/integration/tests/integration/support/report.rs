//! The report's steps taken straight through the workflow (where a test is about what comes
//! after them), and the school's action plan as stored.

use time::OffsetDateTime;
use workflows::after_report::action_plan::{self, ActionPlan};
use workflows::report::store::{self, Moved, Saved, StoredReport};
use workflows::report::{FactualCheck, Report};

use super::TestStack;

impl TestStack {
    /// The lead's editor saves `report` as the first draft of request `request_id` and sends
    /// it to the school at `at`; its version.
    pub async fn draft_sent(&self, request_id: &str, report: &Report, at: OffsetDateTime) -> u64 {
        let table = self.table_handle();
        let Saved::Saved { version } =
            store::save_draft(&table, request_id, 0, report, "Ada Lead", at)
                .await
                .unwrap()
        else {
            panic!("the draft is stored")
        };
        assert_eq!(
            store::submit(&table, request_id, version, None, at, Vec::new())
                .await
                .unwrap(),
            Moved::Done
        );
        version
    }

    /// The school answers the factual check of version `version` of the draft, at `at`.
    pub async fn school_checks(
        &self,
        request_id: &str,
        version: u64,
        check: &FactualCheck,
        at: OffsetDateTime,
    ) -> Moved {
        let table = self.table_handle();
        store::record_factual_check(&table, request_id, version, check, at, Vec::new())
            .await
            .unwrap()
    }

    /// The lead finalises version `version` of the report, its files stored at `html_key` and
    /// `pdf_key`, at `at`.
    pub async fn lead_finalises(
        &self,
        request_id: &str,
        version: u64,
        (html_key, pdf_key): (&str, &str),
        at: OffsetDateTime,
    ) -> Moved {
        let table = self.table_handle();
        store::finalise(
            &table,
            request_id,
            version,
            html_key,
            pdf_key,
            at,
            Vec::new(),
        )
        .await
        .unwrap()
    }

    /// The report of `request_id` goes through its steps to final, as the lead's page does it
    /// (the retention marker in the finalising transaction).
    pub async fn finalise(&self, request_id: &str, report: &Report) {
        local_runner::demo::finalise(&self.table_handle(), request_id, report)
            .await
            .expect("the report goes to final");
    }

    /// The school asks, from its status page, for a follow-up visit in the
    /// [`super::follow_up_windows`].
    pub async fn ask_follow_up(&self, status_link: &str) -> reqwest::Response {
        self.post(
            &format!("{status_link}/follow-up"),
            &super::encode_fields(&super::follow_up_windows()),
        )
        .await
    }

    /// The report of `request_id` as stored.
    pub async fn stored_report(&self, request_id: &str) -> StoredReport {
        store::get(&self.table_handle(), request_id)
            .await
            .unwrap()
            .expect("the report")
    }

    /// The school's action plan as stored: its version and body.
    pub async fn stored_plan(&self, request_id: &str) -> Option<(u64, ActionPlan)> {
        action_plan::KIND
            .get::<ActionPlan>(&self.table_handle(), request_id)
            .await
            .unwrap()
            .map(|plan| (plan.version, plan.body))
    }
}
