//! The clock moving on. The functions read the real clock, so a test moves a booked review's
//! dates back instead: what the product then sees is what it would see had the days passed.

use records::domain::parse_date;
use records::request::TeamMember;
use records::store::{n, s};
use time::Duration;
use workflows::matching::Term;

use super::TestStack;

impl TestStack {
    /// `days` whole days pass for the booked request `request_id`: its visit (for each
    /// member of the review team, with their review history and, across a term boundary,
    /// their term load) and any new date waiting to be confirmed move `days` earlier.
    pub async fn days_pass(&self, request_id: &str, days: i64) {
        let stored = self.stored_request(request_id).await;
        let earlier = |date: &time::Date| (*date - Duration::days(days)).to_string();
        for member in stored.team() {
            self.move_history(request_id, member, &earlier(&member.visit_date))
                .await;
        }
        let mut set = vec!["#lead.visit_date = :visit"];
        let mut update = self
            .dynamodb()
            .update_item()
            .table_name(self.table())
            .key("pk", s(format!("REQUEST#{request_id}")))
            .key("sk", s("REQUEST"))
            .expression_attribute_names("#lead", "lead")
            .expression_attribute_values(
                ":visit",
                s(earlier(
                    &stored.lead.as_ref().expect("a booked visit").visit_date,
                )),
            );
        if stored.second.is_some() {
            set.push("#second.visit_date = :visit");
            update = update.expression_attribute_names("#second", "second");
        }
        if let Some(change) = &stored.date_change {
            set.push("date_change.proposed_date = :proposed");
            update =
                update.expression_attribute_values(":proposed", s(earlier(&change.proposed_date)));
        }
        update
            .update_expression(format!("SET {}", set.join(", ")))
            .send()
            .await
            .unwrap();
    }

    /// Moves `member`'s review history item of `request_id` to `visit`, and their term load
    /// with it when the term changes.
    async fn move_history(&self, request_id: &str, member: &TeamMember, visit: &str) {
        let reviewer_pk = format!("REVIEWER#{}", member.reviewer_id);
        let old_sk = format!("REVIEW#{}#{request_id}", member.visit_date);
        let mut history = self
            .item(reviewer_pk.clone(), &old_sk)
            .await
            .expect("the reviewer's review history");
        history.insert("sk".into(), s(format!("REVIEW#{visit}#{request_id}")));
        history.insert("visit_date".into(), s(visit));
        history.insert("gsi1sk".into(), s(format!("{visit}#{request_id}")));
        let client = self.dynamodb();
        client
            .delete_item()
            .table_name(self.table())
            .key("pk", s(&reviewer_pk))
            .key("sk", s(old_sk))
            .send()
            .await
            .unwrap();
        client
            .put_item()
            .table_name(self.table())
            .set_item(Some(history))
            .send()
            .await
            .unwrap();
        let (old_term, new_term) = (
            Term::of(member.visit_date),
            Term::of(parse_date(visit).unwrap()),
        );
        if old_term != new_term {
            for (term, change) in [(old_term, -1), (new_term, 1)] {
                client
                    .update_item()
                    .table_name(self.table())
                    .key("pk", s(&reviewer_pk))
                    .key("sk", s(format!("TERM#{term}")))
                    .update_expression("ADD booked :change")
                    .expression_attribute_values(":change", n(change))
                    .send()
                    .await
                    .unwrap();
            }
        }
    }
}
