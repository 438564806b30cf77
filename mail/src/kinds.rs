//! The registry of stored email kinds: the outbox item's `kind` names the workflow payload it
//! holds. Each workflow owns its payloads and their templates; this is the one place that
//! knows them all, to read a stored item back and render it.

use serde::{Deserialize, Serialize};

use records::links::EmailLinks;
use records::outbox::{OutboxEmail, Programme, RenderError, RenderedEmail};
use workflows::{
    after_report, deliverability, factual_check, intake, offers, report, self_evaluation,
};

/// Declares [`Email`], one variant per stored kind, with its dispatch to the payload.
macro_rules! registry {
    ($($variant:ident($payload:ty),)+) => {
        /// Every email the system sends, as stored in the outbox: `{"kind": ..., fields}`.
        #[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
        #[serde(tag = "kind", rename_all = "snake_case")]
        pub enum Email {
            $($variant($payload),)+
        }

        impl Email {
            /// The stored `kind` of this email.
            pub fn kind(&self) -> &'static str {
                match self {
                    $(Email::$variant(_) => <$payload as OutboxEmail>::KIND,)+
                }
            }

            /// Subject, text and HTML, by the payload's own templates.
            pub fn render(
                &self,
                programme: &Programme,
                links: &EmailLinks,
            ) -> Result<RenderedEmail, RenderError> {
                match self {
                    $(Email::$variant(email) => email.render(programme, links),)+
                }
            }

            /// The stored final report's PDF to attach, if this email carries one.
            pub fn report_pdf_key(&self) -> Option<&str> {
                match self {
                    $(Email::$variant(email) => email.report_pdf_key(),)+
                }
            }

            /// Every stored kind, in declaration order.
            pub const KINDS: &'static [&'static str] = &[$(<$payload as OutboxEmail>::KIND,)+];
        }
    };
}

registry! {
    RequestConfirmation(intake::RequestConfirmation),
    ReviewerOffer(offers::ReviewerOffer),
    OfferReminder(offers::OfferReminder),
    NeedsAttention(offers::NeedsAttention),
    VisitConfirmed(offers::VisitConfirmed),
    DateChange(offers::DateChangeEmail),
    AddressUndeliverable(deliverability::AddressUndeliverable),
    SelfEvaluationReminder(self_evaluation::SelfEvaluationReminder),
    SelfEvaluationSubmitted(self_evaluation::SelfEvaluationSubmitted),
    ActionPlanReminder(after_report::action_plan::ActionPlanReminder),
    ReportToCheck(report::ReportToCheck),
    ReportFinal(report::ReportFinal),
    ReportLate(report::reminders::ReportLate),
    FactualCheckWaiting(report::reminders::FactualCheckWaiting),
    FactualCheckAnswered(factual_check::FactualCheckAnswered),
    ReportShared(after_report::sharing::ReportShared),
    ReviewerReleased(coordination::ReviewerReleased),
    ReviewerDetailsLink(coordination::ReviewerDetailsLink),
    CheckRunningOut(coordination::CheckRunningOut),
    StatusLinkRenewed(coordination::status_link::StatusLinkRenewed),
    VisitCancelled(offers::VisitCancelled),
    FeedbackInvitation(coordination::feedback::FeedbackInvitation),
    VisitPlanChanged(visit_day::PlanChanged),
}

#[cfg(test)]
mod tests;
