//! The MIME message of a rendered email: text and HTML alternatives, and attachments after
//! them. Pure (no AWS), so the fuzz target and its proptest twin call exactly what is sent.

use base64::Engine;
use lettre::message::header::{
    ContentTransferEncoding, ContentType, Header, HeaderName, HeaderValue,
};
use lettre::message::{Body, Mailbox, MultiPart};

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
    // The shown name on one line: lettre cannot write a line break in a name it must quote,
    // and panicked (its Display failed; found by the MIME fuzz target).
    let from_name = from_name
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let from = Mailbox::new(
        Some(from_name),
        sender_address
            .parse()
            .map_err(|_| MailError::Render("the sender address is invalid".into()))?,
    );
    let to: Mailbox = to
        .parse()
        .map_err(|_| MailError::Render("the recipient address is invalid".into()))?;
    let body = MultiPart::alternative_plain_html(
        one_kind_of_line_break(rendered.text),
        one_kind_of_line_break(rendered.html),
    );
    let body = if rendered.attachments.is_empty() {
        body
    } else {
        rendered.attachments.into_iter().try_fold(
            MultiPart::mixed().multipart(body),
            |mixed, attachment| {
                let content_type = ContentType::parse(&attachment.content_type)
                    .map_err(|e| MailError::Render(e.to_string()))?;
                // Always base64: lettre sends other bytes as they are when they look like
                // text, so a bare line feed in them reached the message (found by the proptest
                // twin of the MIME fuzz target).
                let content =
                    Body::new_with_encoding(attachment.content, ContentTransferEncoding::Base64)
                        .map_err(|_| MailError::Render("an attachment cannot be encoded".into()))?;
                Ok::<_, MailError>(
                    mixed.singlepart(
                        lettre::message::Attachment::new(attachment.filename)
                            .body(content, content_type),
                    ),
                )
            },
        )?
    };
    let message = lettre::Message::builder()
        .from(from)
        .to(to)
        .header(Subject::of(rendered.subject))
        .multipart(body)
        .map_err(|e| MailError::Render(e.to_string()))?;
    Ok(message.formatted())
}

/// Every line break a line feed, which lettre writes as CRLF: it leaves a carriage return on
/// its own as it is, and a mail server may refuse a message with a bare CR, or read it as a
/// line break (found by the MIME fuzz target, in a 7-bit text part).
fn one_kind_of_line_break(text: String) -> String {
    if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text
    }
}

/// The `Subject` header. lettre encodes a subject word by word and leaves a word that already
/// looks like an RFC 2047 encoded word (`=?utf-8?q?x?=`) as it is, so a reader would decode
/// user text the sender never wrote. A subject holding `=?` is therefore encoded whole here,
/// as base64 encoded words; any other is lettre's.
#[derive(Clone)]
struct Subject(String);

/// At most 45 octets of text in one encoded word: 60 base64 characters, 72 with `=?utf-8?b?`
/// and `?=`, so a folded line stays within 78.
const ENCODED_WORD_OCTETS: usize = 45;

impl Subject {
    /// White space is normalised: none around, one space between words. lettre drops ASCII
    /// white space around a subject and collapses runs between its encoded words, but keeps,
    /// say, a trailing em quad, so a subject read back differently (found by the proptest twin
    /// of the MIME fuzz target); this says it once for every subject.
    fn of(text: String) -> Self {
        Self(text.split_whitespace().collect::<Vec<_>>().join(" "))
    }

    fn encoded_words(&self) -> String {
        let mut words = Vec::new();
        let mut rest = self.0.as_str();
        while !rest.is_empty() {
            // Whole characters only in each word (a reader decodes each word on its own).
            let mut end = rest.len().min(ENCODED_WORD_OCTETS);
            while !rest.is_char_boundary(end) {
                end -= 1;
            }
            let (word, tail) = rest.split_at(end);
            words.push(format!(
                "=?utf-8?b?{}?=",
                base64::engine::general_purpose::STANDARD.encode(word)
            ));
            rest = tail;
        }
        words.join("\r\n ")
    }
}

impl Header for Subject {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Subject")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        if self.0.contains("=?") {
            // Only ASCII base64 words joined by folding white space: nothing can add a header.
            HeaderValue::dangerous_new_pre_encoded(
                Self::name(),
                self.0.clone(),
                self.encoded_words(),
            )
        } else {
            HeaderValue::new(Self::name(), self.0.clone())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the MIME fuzz target: a line break in a programme name lettre must quote made
    /// lettre panic; the name is shown on one line, inside the From header.
    #[test]
    fn a_line_break_in_the_shown_name_is_a_space() {
        let rendered = RenderedEmail {
            subject: "Visit booked".into(),
            text: "text".into(),
            html: "<p>html</p>".into(),
            attachments: Vec::new(),
        };
        let name = "Oak \"North\"\r\nBcc: evil@example.org";
        let raw = message(name, "reviews@example.org", "school@example.org", rendered)
            .expect("a message");
        let raw = String::from_utf8(raw).expect("ASCII headers");
        let from = raw.lines().find(|l| l.starts_with("From: ")).expect("From");
        let shown = base64::engine::general_purpose::STANDARD
            .encode(r#"Oak "North"  Bcc: evil@example.org"#);
        assert_eq!(
            from,
            format!("From: =?utf-8?b?{shown}?= <reviews@example.org>")
        );
        assert!(!raw.lines().any(|l| l.starts_with("Bcc")), "{raw}");
    }

    /// Found by the MIME fuzz target: a carriage return on its own in the text went into the
    /// message as it was (a bare CR). Every line break is CRLF, and each reads back as one.
    #[test]
    fn a_carriage_return_on_its_own_is_a_line_break() {
        let rendered = RenderedEmail {
            subject: "Visit booked".into(),
            text: "first\rsecond\r\nthird\nfourth".into(),
            html: "<p>one\rtwo</p>".into(),
            attachments: Vec::new(),
        };
        let raw = message("Oak", "reviews@example.org", "school@example.org", rendered)
            .expect("a message");
        for (i, &b) in raw.iter().enumerate() {
            assert!(
                b != b'\r' || raw.get(i + 1) == Some(&b'\n'),
                "a bare CR at {i}"
            );
            assert!(
                b != b'\n' || (i > 0 && raw[i - 1] == b'\r'),
                "a bare LF at {i}"
            );
        }
        let raw = String::from_utf8(raw).expect("7-bit parts");
        assert!(raw.contains("first\r\nsecond\r\nthird\r\nfourth"), "{raw}");
        assert!(raw.contains("<p>one\r\ntwo</p>"), "{raw}");
    }
}
