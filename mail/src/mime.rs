//! The MIME message of a rendered email: text and HTML alternatives, and attachments after
//! them. Pure (no AWS), so the fuzz target and its proptest twin call exactly what is sent.

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart};

use records::outbox::RenderedEmail;

use crate::MailError;

/// The raw message from `sender_address` (shown as `from_name`) to `to`. Every header is
/// encoded by lettre, so user text in a name or subject cannot add a header.
pub fn message(
    from_name: &str,
    sender_address: &str,
    to: &str,
    rendered: RenderedEmail,
) -> Result<Vec<u8>, MailError> {
    let from = Mailbox::new(
        Some(from_name.to_owned()),
        sender_address
            .parse()
            .map_err(|_| MailError::Render("the sender address is invalid".into()))?,
    );
    let to: Mailbox = to
        .parse()
        .map_err(|_| MailError::Render("the recipient address is invalid".into()))?;
    let body = MultiPart::alternative_plain_html(rendered.text, rendered.html);
    let body = if rendered.attachments.is_empty() {
        body
    } else {
        rendered.attachments.into_iter().try_fold(
            MultiPart::mixed().multipart(body),
            |mixed, attachment| {
                let content_type = ContentType::parse(&attachment.content_type)
                    .map_err(|e| MailError::Render(e.to_string()))?;
                Ok::<_, MailError>(
                    mixed.singlepart(
                        lettre::message::Attachment::new(attachment.filename)
                            .body(attachment.content, content_type),
                    ),
                )
            },
        )?
    };
    let message = lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(rendered.subject)
        .multipart(body)
        .map_err(|e| MailError::Render(e.to_string()))?;
    Ok(message.formatted())
}
