//! The link to a feedback form once a report is final: `<request id>.<respondent>.<expiry
//! epoch s>.<signature>`, HMAC-SHA256 under its own purpose, so no other link's token opens it
//! and each respondent's link opens only their own form. Never stored: re-derived when the
//! email is rendered.

use super::{LinkError, LinkSecret};

/// How long a feedback link works from the day the report became final.
pub const FEEDBACK_LINK_DAYS: i64 = 60;

const PURPOSE: &str = "feedback";

impl LinkSecret {
    /// The token of `respondent`'s (`school`, `lead`, `second`) feedback form for request
    /// `request_id`, working until `expires_at`.
    pub fn feedback_token(&self, request_id: &str, respondent: &str, expires_at: i64) -> String {
        self.sign_expiring(PURPOSE, format!("{request_id}.{respondent}.{expires_at}"))
    }

    /// The request id and respondent a feedback token was signed for, if its signature holds
    /// (compared in constant time) and it has not expired at `now`.
    pub fn verify_feedback_token(
        &self,
        token: &str,
        now: i64,
    ) -> Result<(String, String), LinkError> {
        let fields = self.verify_expiring(PURPOSE, token, 2, now)?;
        Ok((fields[0].to_owned(), fields[1].to_owned()))
    }
}

/// The feedback form at `site` of `respondent` for request `request_id`.
pub fn feedback_link(
    site: &str,
    links: &LinkSecret,
    request_id: &str,
    respondent: &str,
    expires_at: i64,
) -> String {
    format!(
        "{site}/feedback/{}",
        links.feedback_token(request_id, respondent, expires_at)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feedback_token_opens_its_own_form_until_it_expires() {
        let secret = LinkSecret::from_bytes(&[9u8; 32]).unwrap();
        let token = secret.feedback_token("01REQUEST", "lead", 2_000);
        assert_eq!(
            secret.verify_feedback_token(&token, 1_999),
            Ok(("01REQUEST".to_owned(), "lead".to_owned()))
        );
        assert_eq!(
            secret.verify_feedback_token(&token, 2_000),
            Err(LinkError::Expired)
        );
        // The lead's link does not open the school's form, nor the other way round.
        let school = token.replacen(".lead.", ".school.", 1);
        assert_eq!(
            secret.verify_feedback_token(&school, 1),
            Err(LinkError::BadSignature)
        );
        let details = secret.reviewer_details_token("01REQUEST", 2_000);
        assert!(secret.verify_feedback_token(&details, 1).is_err());
    }
}
