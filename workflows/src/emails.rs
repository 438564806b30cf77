//! What every workflow's email templates share: each email kind has an HTML and a text
//! template over the same three fields (`link` may be empty), under `templates/email/`.

/// Declares the two templates of an email payload; `$html::mail` renders both under a subject.
macro_rules! email_templates {
    ($html:ident, $text:ident, $data:ty, $html_path:literal, $text_path:literal) => {
        #[derive(askama::Template)]
        #[template(path = $html_path)]
        struct $html<'a> {
            programme: &'a records::outbox::Programme,
            email: &'a $data,
            #[allow(dead_code)] // not every email has a link
            link: &'a str,
        }

        #[derive(askama::Template)]
        #[template(path = $text_path)]
        struct $text<'a> {
            programme: &'a records::outbox::Programme,
            email: &'a $data,
            #[allow(dead_code)] // not every email has a link
            link: &'a str,
        }

        impl<'a> $html<'a> {
            /// The email with this subject, both templates rendered over the same fields.
            fn mail(
                programme: &'a records::outbox::Programme,
                email: &'a $data,
                link: &'a str,
                subject: String,
            ) -> Result<records::outbox::RenderedEmail, records::outbox::RenderError> {
                Ok(records::outbox::RenderedEmail {
                    subject,
                    html: askama::Template::render(&$html {
                        programme,
                        email,
                        link,
                    })?,
                    text: askama::Template::render(&$text {
                        programme,
                        email,
                        link,
                    })?,
                    attachments: Vec::new(),
                })
            }
        }
    };
}
pub(crate) use email_templates;
