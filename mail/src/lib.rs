//! Email delivery for send-review: the stream-triggered sender that claims an outbox item,
//! renders it by its stored `kind` through one registry ([`Email`]), and sends it through SES.
//!
//! Layers (dependencies point one way, down): `records` <- `workflows` <- {`mail`, `web`} <-
//! functions, admin, dev tools and tests. What an email says belongs to the workflow that
//! sends it (its payload type and templates, in `workflows`); this crate only knows how to
//! find, render and deliver them. A new email kind is a payload in its workflow implementing
//! `records::outbox::OutboxEmail`, plus one line in the registry here.

mod kinds;
mod mime;
mod sender;

pub use kinds::Email;
pub use mime::message as mime_message;
pub use sender::{Delivery, MailError, MailSender};
