//! What every workflow's emails share: each email kind has an HTML and a text template over
//! the same three fields (the programme, the payload and a link that may be empty), under
//! `templates/email/`.

/// Declares an email payload's [`OutboxEmail`](records::outbox::OutboxEmail) impl: its stored
/// kind, its two templates (rendered over the programme, the payload and the link), the link
/// (given the payload, the site's URL and the link secret) and the subject (given the payload
/// and the programme); optionally what else goes with it (attachments, the stored report PDF).
macro_rules! outbox_email {
    (
        $data:ty,
        kind: $kind:literal,
        templates: $html_path:literal, $text_path:literal,
        link: |$email:ident, $site:ident, $links:ident| $link:expr,
        subject: |$subject_email:ident, $programme:ident| $subject:expr
        $(, attachments: |$attach_email:ident, $attach_programme:ident| $attachments:expr)?
        $(, report_pdf_key: |$pdf_email:ident| $pdf_key:expr)?
        $(,)?
    ) => {
        impl records::outbox::OutboxEmail for $data {
            const KIND: &'static str = $kind;

            fn render(
                &self,
                programme: &records::outbox::Programme,
                links: &records::links::EmailLinks,
            ) -> Result<records::outbox::RenderedEmail, records::outbox::RenderError> {
                records::email_template!(Html, $html_path, $data);
                records::email_template!(Text, $text_path, $data);

                let link: String = {
                    #[allow(unused_variables)] // an email may not use all three
                    let ($email, $site, $links) = (self, programme.site_url.as_str(), links);
                    $link
                };
                let subject: String = {
                    #[allow(unused_variables)]
                    let ($subject_email, $programme) = (self, programme);
                    $subject
                };
                #[allow(unused_mut)]
                let mut attachments = Vec::new();
                $(attachments.extend({
                    let ($attach_email, $attach_programme) = (self, programme);
                    $attachments
                });)?
                Ok(records::outbox::RenderedEmail {
                    subject,
                    html: askama::Template::render(&Html {
                        programme,
                        email: self,
                        link: &link,
                    })?,
                    text: askama::Template::render(&Text {
                        programme,
                        email: self,
                        link: &link,
                    })?,
                    attachments,
                })
            }

            $(fn report_pdf_key(&self) -> Option<&str> {
                let $pdf_email = self;
                $pdf_key
            })?
        }
    };
}
pub(crate) use outbox_email;

/// A second email kind over the same payload (a reminder of an offer, say): a newtype that
/// reads as the payload it wraps, so both kinds' templates use the same fields.
macro_rules! same_payload_as {
    ($newtype:ty => $payload:ty) => {
        impl std::ops::Deref for $newtype {
            type Target = $payload;

            fn deref(&self) -> &$payload {
                &self.0
            }
        }
    };
}
pub(crate) use same_payload_as;
