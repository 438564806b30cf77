//! The link to a reviewer's own details page: `<reviewer id>.<expiry epoch s>.<signature>`,
//! HMAC-SHA256 under its own purpose, so no other link's token opens it. It names the
//! reviewer, not a request; it is never stored, only re-derived when an email is rendered.

use super::{LinkError, LinkSecret};

/// How long a details link works from the email that carries it: long enough to be used from
/// an old email, short enough that a forwarded one stops working. A reviewer whose link ran out
/// asks for a new one by entering their address.
pub const REVIEWER_DETAILS_LINK_DAYS: i64 = 30;

const PURPOSE: &str = "reviewer-details";

impl LinkSecret {
    /// The token of reviewer `reviewer_id`'s details page, working until `expires_at`.
    pub fn reviewer_details_token(&self, reviewer_id: &str, expires_at: i64) -> String {
        self.sign_expiring(PURPOSE, format!("{reviewer_id}.{expires_at}"))
    }

    /// The reviewer id a details token was signed for, if its signature holds (compared in
    /// constant time) and it has not expired at `now`.
    pub fn verify_reviewer_details_token(
        &self,
        token: &str,
        now: i64,
    ) -> Result<String, LinkError> {
        let fields = self.verify_expiring(PURPOSE, token, 1, now)?;
        Ok(fields[0].to_owned())
    }
}

/// The reviewer's details page at `site`, for a link made at `now` (epoch seconds).
pub fn reviewer_details_link(
    site: &str,
    links: &LinkSecret,
    reviewer_id: &str,
    now: i64,
) -> String {
    let expires_at = now + REVIEWER_DETAILS_LINK_DAYS * 24 * 60 * 60;
    format!(
        "{site}/reviewer/details/{}",
        links.reviewer_details_token(reviewer_id, expires_at)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_details_token_opens_its_reviewer_until_it_expires_and_nothing_else() {
        let secret = LinkSecret::from_bytes(&[7u8; 32]).unwrap();
        let token = secret.reviewer_details_token("01REVIEWER", 2_000);
        assert_eq!(
            secret.verify_reviewer_details_token(&token, 1_999),
            Ok("01REVIEWER".to_owned())
        );
        assert_eq!(
            secret.verify_reviewer_details_token(&token, 2_000),
            Err(LinkError::Expired)
        );
        let other = token.replacen("01REVIEWER", "01REVIEWES", 1);
        assert_eq!(
            secret.verify_reviewer_details_token(&other, 1),
            Err(LinkError::BadSignature)
        );
        // An offer token for the same id does not open the details page.
        let offer = secret.offer_token("01REVIEWER", super::super::OfferAction::Respond, 2_000);
        assert!(secret.verify_reviewer_details_token(&offer, 1).is_err());
        assert_eq!(
            secret.verify_reviewer_details_token("a.b", 1),
            Err(LinkError::Malformed)
        );
    }
}
