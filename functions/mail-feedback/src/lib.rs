//! Mail feedback: SES publishes the bounces and complaints of every email sent with the
//! configuration set to an SNS topic, which invokes this function. Each permanently bounced or
//! complaining address is marked as undeliverable and the administrator told, once
//! ([`workflows::deliverability::record`]). An error fails the invocation, so SNS's asynchronous
//! retries (then the failure queue) take over; marking twice is harmless.
//!
//! Layer: the top, over `records`, `workflows` (a Lambda adapter: it reads the event, calls the
//! workflow and answers). A rule, a stored shape or a page goes down into those crates (see the
//! workspace README's layout), never here.

use aws_lambda_events::event::sns::SnsEvent;
use lambda_runtime::{Error, LambdaEvent};
use records::aws::AwsClients;
use records::store::Table;
use records::{ConfigError, Env};
use time::OffsetDateTime;
use workflows::deliverability;
use workflows::deliverability::Recorded;

pub struct MailFeedback {
    table: Table,
    admin_email: String,
}

impl MailFeedback {
    pub fn from_env(env: &Env, aws: &AwsClients) -> Result<Self, ConfigError> {
        Ok(Self {
            table: Table::from_env(env, aws)?,
            admin_email: env.required("ADMIN_EMAIL")?,
        })
    }
}

/// What one invocation did, for its log line and for tests.
#[derive(Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Outcome {
    pub marked: usize,
    pub already_marked: usize,
    /// Messages that were not bounce or complaint notifications (logged, then dropped).
    pub ignored: usize,
}

pub async fn handle(
    feedback: &MailFeedback,
    event: LambdaEvent<SnsEvent>,
) -> Result<Outcome, Error> {
    let now = OffsetDateTime::now_utc();
    let mut outcome = Outcome::default();
    for record in &event.payload.records {
        let reports = match deliverability::parse_notification(&record.sns.message) {
            Ok(reports) => reports,
            Err(error) => {
                // Retrying cannot make it readable; no address is logged.
                tracing::warn!(sns_message_id = %record.sns.message_id, %error, "message ignored");
                outcome.ignored += 1;
                continue;
            }
        };
        for report in &reports {
            match deliverability::record(&feedback.table, &feedback.admin_email, report, now)
                .await?
            {
                Recorded::Marked => outcome.marked += 1,
                Recorded::AlreadyMarked => outcome.already_marked += 1,
            }
            tracing::info!(ses_message_id = %report.message_id, reason = report.reason.as_str(), "address marked undeliverable");
        }
    }
    Ok(outcome)
}
