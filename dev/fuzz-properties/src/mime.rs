//! The MIME message of an email: whatever its subject, names, text and attachments hold, the
//! message has only its own headers, lines a mail server accepts, and reads back as what was
//! put in.

use records::outbox::{Attachment, RenderedEmail};

use crate::fields;

const SENDER: &str = "reviews@send-review.example";
/// The headers a message has; any other header line is user text that escaped its header.
const HEADERS: &[&str] = &[
    "From",
    "To",
    "Subject",
    "MIME-Version",
    "Date",
    "Content-Type",
    "Content-Transfer-Encoding",
];

/// NUL-separated: the sender's shown name, the recipient, the subject, the text, the HTML, then
/// an attachment's file name, content type and content (no attachment when the name is empty).
pub fn mime(data: &[u8]) {
    let f = fields(data, 8);
    let attachments = if f[5].is_empty() {
        Vec::new()
    } else {
        vec![Attachment {
            filename: f[5].clone(),
            content_type: f[6].clone(),
            content: f[7].as_bytes().to_vec(),
        }]
    };
    let rendered = RenderedEmail {
        subject: f[2].clone(),
        text: f[3].clone(),
        html: f[4].clone(),
        attachments: attachments.clone(),
    };
    let raw = match mail::mime_message(&f[0], SENDER, &f[1], rendered) {
        Ok(raw) => raw,
        Err(mail::MailError::Render(_)) => return, // an address or content type refused
        Err(other) => panic!("building a message failed otherwise: {other}"),
    };
    let header_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a message has a header block");
    for line in raw.split(|&b| b == b'\n') {
        assert!(line.len() <= 999, "a line of {} octets", line.len());
    }
    for (i, &b) in raw.iter().enumerate() {
        let bare_lf = b == b'\n' && (i == 0 || raw[i - 1] != b'\r');
        let bare_cr = b == b'\r' && raw.get(i + 1) != Some(&b'\n');
        assert!(!bare_lf && !bare_cr, "a bare line break at octet {i}");
    }
    let headers = String::from_utf8_lossy(&raw[..header_end]);
    for line in headers.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            continue; // folded: the header above continues
        }
        let name = line.split(':').next().unwrap_or_default();
        assert!(
            HEADERS.contains(&name),
            "a header line that is not the message's own: {line:?}"
        );
    }
    let message = mail_parser::MessageParser::default()
        .parse(&raw)
        .expect("the message parses");
    // Runs of white space are one space, and none is around it (`mail::mime`'s rule).
    assert_eq!(
        message.subject().unwrap_or_default(),
        f[2].split_whitespace().collect::<Vec<_>>().join(" "),
        "the subject reads back otherwise"
    );
    let read: Vec<Vec<u8>> = message
        .attachments()
        .map(|a| a.contents().to_vec())
        .collect();
    let sent: Vec<Vec<u8>> = attachments.into_iter().map(|a| a.content).collect();
    assert_eq!(read, sent, "the attachments read back otherwise");
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Found by the fuzzer: lettre left a word that looks like an encoded word as it was, so
    /// the subject read back decoded ("x"), not as the school wrote it.
    #[test]
    fn a_subject_that_looks_like_an_encoded_word_reads_back_as_written() {
        for subject in [
            "=?utf-8?q?x?=",
            "  =?utf-8?q?x?=  ",
            "Review for =?utf-8?b?aGk=?= school",
            "=?é?= and a long subject that needs more than one encoded word to be carried, ünïcode",
        ] {
            mime(format!("Reviews\0school@example.org\0{subject}\0text\0<p>html</p>\0").as_bytes());
        }
    }

    /// Found by the proptest twin: a subject ending in Unicode white space (an em quad) read
    /// back with it, and one with two spaces between words with one.
    #[test]
    fn a_subject_reads_back_with_its_white_space_normalised() {
        for subject in [
            "WX=&Kf\u{2001}",
            "\u{3000}Visit booked\u{2001}",
            "\u{2001}",
            "<Ѩ'='|o|  Ƛ7㈈$òম\\",
        ] {
            mime(format!("Reviews\0school@example.org\0{subject}\0text\0<p>html</p>\0").as_bytes());
        }
    }

    /// Found by the proptest twin: an attachment of a bare line feed reached the message as a
    /// bare line break (lettre sent it unencoded, as text).
    #[test]
    fn an_attachment_of_bare_line_feeds_is_carried_whole() {
        mime(b"Reviews\0school@example.org\0Visit\0text\0<p>html</p>\0a.ics\0text/calendar\0\n\r\n\n");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn any_texts_make_a_message_with_only_its_own_headers(
            name in any::<String>(),
            subject in any::<String>(),
            text in any::<String>(),
            html in any::<String>(),
            attachment in proptest::option::of((any::<String>(), any::<Vec<u8>>())),
        ) {
            let mut data = format!("{name}\0school@example.org\0{subject}\0{text}\0{html}\0");
            if let Some((filename, content)) = attachment {
                data.push_str(&format!("{filename}x\0application/pdf\0"));
                data.push_str(&String::from_utf8_lossy(&content));
            }
            mime(data.as_bytes());
        }
    }
}
