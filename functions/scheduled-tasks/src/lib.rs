//! Periodic housekeeping, fired by EventBridge Scheduler (locally, by the runner's timer or on
//! demand): expire overdue offers and remind reviewers halfway, and re-drive outbox emails whose
//! delivery stalled; remind schools whose self-evaluation is due (`workflows::self_evaluation`);
//! ask schools once a term to update their action plan (`workflows::after_report::action_plan`);
//! remind lead reviewers of late reports and schools of waiting factual checks
//! (`workflows::report::reminders`); purge the requests whose retention has ended
//! (`workflows::retention`); reject uploads whose malware scan never came and delete their
//! objects (`coordination::reject_unscanned`); remind reviewers whose DBS check or training runs out within 60
//! days (`coordination::send_expiry_reminders`).
//!
//! Layer: the top, over `records`, `workflows`, `mail` (a Lambda adapter: it reads the event, calls
//! the workflow and answers). A rule, a stored shape or a page goes down into those crates (see the
//! workspace README's layout), never here.

use lambda_runtime::{Error, LambdaEvent};
use mail::{Delivery, MailSender};
use serde::Deserialize;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};
use workflows::offers::Workflow;

/// An email still unsent this long after it was queued has stalled: its stream delivery gave
/// up, or its sender crashed holding a lease (leases last 60 s).
const STALLED_AFTER: Duration = Duration::minutes(2);

#[derive(Debug, Default, Deserialize)]
pub struct ScheduledEvent {
    /// The time the rules act as of (offers, reminders, terms, purges); absent in production
    /// (now). Lets tests move the clock. The outbox re-drive always uses the real clock.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub now: Option<OffsetDateTime>,
}

pub struct ScheduledTasks {
    pub mail: MailSender,
    pub workflow: Workflow,
    /// The evidence bucket and the table, for retention purges.
    pub evidence: workflows::evidence::EvidenceStore,
}

pub async fn handle(tasks: &ScheduledTasks, event: LambdaEvent<Value>) -> Result<Value, Error> {
    let scheduled: ScheduledEvent = serde_json::from_value(event.payload).unwrap_or_default();
    let now = scheduled.now.unwrap_or_else(OffsetDateTime::now_utc);
    let (expired, reminded) = tasks.workflow.expire_and_remind(now).await?;
    tracing::info!(expired, reminded, "offers checked");
    let self_evaluation_reminders =
        workflows::self_evaluation::send_reminders(tasks.workflow.table(), now).await?;
    tracing::info!(self_evaluation_reminders, "self-evaluations checked");
    let action_plan_reminders =
        workflows::after_report::action_plan::send_reminders(tasks.workflow.table(), now).await?;
    tracing::info!(action_plan_reminders, "action plans checked");
    let report_reminders =
        workflows::report::reminders::send_reminders(tasks.workflow.table(), now).await?;
    tracing::info!(
        late = report_reminders.late,
        factual_check = report_reminders.factual_check,
        "reports checked"
    );
    let check_reminders = coordination::send_expiry_reminders(tasks.workflow.table(), now).await?;
    tracing::info!(
        check_reminders,
        "reviewers' DBS checks and training checked"
    );
    // By the real clock, not `now`: see `redrive_stalled`.
    let results = tasks.mail.redrive_stalled(STALLED_AFTER).await?;
    let sent = results
        .iter()
        .filter(|(_, r)| matches!(r, Ok(Delivery::Sent { .. })))
        .count();
    let failed = results.iter().filter(|(_, r)| r.is_err()).count();
    for (id, result) in &results {
        if let Err(error) = result {
            tracing::error!(outbox_id = %id, %error, "re-drive failed; next run tries again");
        }
    }
    tracing::info!(
        stalled = results.len(),
        sent,
        failed,
        "outbox re-drive done"
    );
    let unscanned = coordination::reject_unscanned(&tasks.evidence, now).await?;
    tracing::info!(unscanned, "uploads whose scan never came rejected");
    let purged = purge_expired(tasks, now).await?;
    Ok(json!({
        "offers": { "expired": expired, "reminded": reminded },
        "self_evaluation": { "reminded": self_evaluation_reminders },
        "action_plan": { "reminded": action_plan_reminders },
        "report": {
            "late_reminded": report_reminders.late,
            "factual_check_reminded": report_reminders.factual_check
        },
        "retention": { "purged": purged },
        "evidence": { "unscanned_rejected": unscanned },
        "reviewers": { "check_reminded": check_reminders },
        "outbox": { "stalled": results.len(), "sent": sent, "failed": failed }
    }))
}

/// Purges every request whose retention ended before today; how many were purged. A request
/// that fails is logged and tried again on the next run.
async fn purge_expired(tasks: &ScheduledTasks, now: OffsetDateTime) -> Result<usize, Error> {
    let mut purged = 0;
    for (request_id, result) in workflows::retention::purge_due(&tasks.evidence, now.date()).await?
    {
        match result {
            Ok(removed) => {
                purged += 1;
                tracing::info!(
                    %request_id,
                    objects = removed.objects.len(),
                    items = removed.items.len(),
                    "retention ended: request purged"
                );
            }
            Err(error) => {
                tracing::error!(%request_id, %error, "purging a request failed; next run tries again")
            }
        }
    }
    Ok(purged)
}
