//! Which of the coordinator's actions a request's stage allows now, and the actions that use the
//! workflows' own steps: reassign, withdraw with a reason, erase with a typed confirmation.

use records::audit::{Actor, AuditSubject};
use records::lifecycle::{Action, Refusal, RequestState, Why};
use records::request::{StoredRequest, second_state};
use time::Date;
use workflows::matching::Role;
use workflows::offers::{Reassigned, Withdrawn};

use crate::refusal::{Refused, administrator_may};
use crate::replacement::place_replaceable;
use crate::{Coordination, CoordinationError};

/// The longest withdrawal reason kept.
pub const MAX_REASON_CHARS: usize = 500;

/// The actions shown on the request page now: those the lifecycle's rule allows the
/// administrator. Each action checks the same rule again when it runs (inside its conditional
/// write), so a stale page stores nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowed {
    pub offer: bool,
    pub reassign: bool,
    pub withdraw: bool,
    pub erase: bool,
    /// Release a held request for matching.
    pub release: bool,
    /// Replace the booked lead (before the visit, no new date waiting for an answer).
    pub replace_lead: bool,
    /// Replace the booked second reviewer (before the visit).
    pub replace_second: bool,
}

/// What a coordinator may do with `stored` now (the same rule as the actions').
pub fn allowed(stored: &StoredRequest, today: Date) -> Allowed {
    let may = |action| administrator_may(stored, action, today).is_ok();
    Allowed {
        offer: may(Action::OfferNamed),
        // A booked request goes back to matching only for its second's place.
        reassign: may(Action::Reassign)
            && (stored.state != RequestState::Accepted
                || stored.second_state.as_deref() == Some(second_state::NEEDS_ATTENTION)),
        withdraw: may(Action::Withdraw),
        erase: may(Action::Erase),
        release: may(Action::Release),
        replace_lead: place_replaceable(stored, Role::Lead, today),
        replace_second: place_replaceable(stored, Role::Second, today),
    }
}

/// What an erase removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erased {
    pub reference: String,
    pub items: usize,
    pub files: usize,
}

fn subject(stored: &StoredRequest) -> AuditSubject {
    AuditSubject::Request {
        id: stored.id.clone(),
        reference: stored.reference.to_string(),
    }
}

impl Coordination {
    /// Request `id` as the page showed it, if the lifecycle lets the administrator take
    /// `action` on it today; else the refusal.
    async fn seen_and_allowed(
        &self,
        id: &str,
        seen_on_page: &str,
        action: Action,
        actor: &Actor,
    ) -> Result<Result<StoredRequest, Refused>, CoordinationError> {
        Ok(match self.as_seen(id, seen_on_page).await? {
            Ok(stored) => administrator_may(&stored, action, actor.at.date()).map(|()| stored),
            Err(refused) => Err(refused),
        })
    }

    /// Asks for request `id` to be matched again (the workflow's own reassign), with its audit
    /// entry in the same transaction.
    pub async fn reassign(
        &self,
        actor: &Actor,
        id: &str,
        seen_on_page: &str,
    ) -> Result<Result<(), Refused>, CoordinationError> {
        let stored = match self
            .seen_and_allowed(id, seen_on_page, Action::Reassign, actor)
            .await?
        {
            Ok(stored) => stored,
            Err(refused) => return Ok(Err(refused)),
        };
        let entry = actor
            .entry(
                "reassigned",
                subject(&stored),
                "asked for the request to be matched again",
            )
            .transact_put(self.workflow.table())?;
        Ok(
            match self.workflow.reassign(id, actor.at, vec![entry]).await? {
                Reassigned::Rematching => Ok(()),
                Reassigned::Refused(reason) => Err(Refused::Workflow(reason)),
            },
        )
    }

    /// Releases held request `id` for matching (the lifecycle's `Release`, guarded in its
    /// write), with its audit entry in the same transaction.
    pub async fn release(
        &self,
        actor: &Actor,
        id: &str,
        seen_on_page: &str,
    ) -> Result<Result<(), Refused>, CoordinationError> {
        let stored = match self
            .seen_and_allowed(id, seen_on_page, Action::Release, actor)
            .await?
        {
            Ok(stored) => stored,
            Err(refused) => return Ok(Err(refused)),
        };
        let entry = actor.entry(
            "released",
            subject(&stored),
            "released the held request for matching",
        );
        let table = self.workflow.table();
        let months = self.workflow.settings().await.retention_months;
        Ok(
            match records::confirmation::release(table, &stored, &entry, months).await? {
                true => Ok(()),
                false => Err(Refused::Stale),
            },
        )
    }

    /// Withdraws request `id` for `reason` (required; kept on the timeline and in the audit
    /// entry), in one transaction.
    pub async fn withdraw(
        &self,
        actor: &Actor,
        id: &str,
        reason: &str,
        seen_on_page: &str,
    ) -> Result<Result<(), Refused>, CoordinationError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Ok(Err(Refused::Field(
                "reason",
                "Enter why the request is withdrawn".into(),
            )));
        }
        if reason.chars().count() > MAX_REASON_CHARS {
            return Ok(Err(Refused::Field(
                "reason",
                format!("The reason must be {MAX_REASON_CHARS} characters or fewer"),
            )));
        }
        let stored = match self
            .seen_and_allowed(id, seen_on_page, Action::Withdraw, actor)
            .await?
        {
            Ok(stored) => stored,
            Err(refused) => return Ok(Err(refused)),
        };
        let entry = actor
            .entry("withdrawn", subject(&stored), format!("reason: {reason}"))
            .transact_put(self.workflow.table())?;
        Ok(
            match self
                .workflow
                .withdraw(id, Some(reason), actor.at, vec![entry])
                .await?
            {
                Withdrawn::Withdrawn { .. } => Ok(()),
                Withdrawn::Already => Err(Refused::Lifecycle(Refusal {
                    action: Action::Withdraw,
                    why: Why::Withdrawn,
                })),
                Withdrawn::Busy => Err(Refused::Stale),
                Withdrawn::NoSuchRequest => Err(Refused::NoSuchRequest),
            },
        )
    }

    /// Erases request `id` and everything of it (the retention purge the admin tool runs),
    /// once `typed` is its reference. The audit entry goes in the programme's partition: the
    /// request's own goes with it. A visit still to come is cancelled in the team's calendars.
    pub async fn erase(
        &self,
        actor: &Actor,
        id: &str,
        typed: &str,
    ) -> Result<Result<Erased, Refused>, CoordinationError> {
        let Some(stored) = self.workflow.request(id).await? else {
            return Ok(Err(Refused::NoSuchRequest));
        };
        let reference = stored.reference.to_string();
        if !typed.trim().eq_ignore_ascii_case(&reference) {
            return Ok(Err(Refused::Field(
                "confirm",
                format!("Type the request's reference, {reference}, to erase it"),
            )));
        }
        // Read before the purge takes the team and the report with it.
        let cancellations = self
            .workflow
            .erasure_cancellations(&stored, actor.at)
            .await?;
        let purged = workflows::retention::purge(&self.evidence, id).await?;
        let entry = actor.entry(
            "request erased",
            AuditSubject::Programme,
            format!(
                "erased request {reference}: {} records, {} file versions",
                purged.items.len(),
                purged.objects.len()
            ),
        );
        let table = self.workflow.table();
        // The purge is many deletes, not one transaction: its entry and the team's calendar
        // cancellations follow it.
        let mut items = vec![entry.transact_put(table)?];
        items.extend(cancellations);
        if let records::store::Transacted::Cancelled(reasons) = table
            .transact(items)
            .await
            .map_err(|e| records::store::dynamo_error("TransactWriteItems", e))?
        {
            tracing::error!(?reasons, "the erase's audit entry was not written");
        }
        Ok(Ok(Erased {
            reference,
            items: purged.items.len(),
            files: purged.objects.len(),
        }))
    }
}
