use super::*;
use crate::request::request_pk;
use crate::store::s;
use aws_sdk_dynamodb::types::TransactWriteItem;
use time::macros::date;

#[test]
fn stored_states_round_trip_and_unknown_ones_are_named() {
    for state in RequestState::ALL {
        assert_eq!(state.as_str().parse::<RequestState>(), Ok(*state));
        let json = serde_json::to_string(state).unwrap();
        assert_eq!(json, format!("\"{}\"", state.as_str()));
        assert_eq!(serde_json::from_str::<RequestState>(&json).unwrap(), *state);
    }
    for state in ReportState::ALL {
        assert_eq!(state.as_str().parse::<ReportState>(), Ok(*state));
    }
    let values: Vec<&str> = RequestState::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(
        values,
        [
            "pending_confirmation",
            "held",
            "submitted",
            "matching",
            "offered",
            "accepted",
            "needs_attention",
            "withdrawn"
        ]
    );
    let err = serde_json::from_str::<RequestState>("\"booked\"").unwrap_err();
    assert!(err.to_string().contains("unknown request state \"booked\""));
    assert!("Final".parse::<ReportState>().is_err());
}

const VISIT: Date = date!(2027 - 03 - 10);

fn stage(request: RequestState, report: Option<ReportState>) -> Stage {
    Stage { request, report }
}

type Row = (
    Stage,
    Person,
    Action,
    Date,
    Option<Date>,
    Result<(), Refusal>,
);

#[test]
fn the_rule_table() {
    use Action::*;
    use Person::*;
    use ReportState::{Checked, Draft, Final, Submitted as Sent};
    use RequestState::*;
    let before = date!(2027 - 03 - 09);
    let after = date!(2027 - 03 - 11);
    let ok = Ok(());
    let no = |action, why| Err(Refusal { action, why });
    #[rustfmt::skip]
    let table: &[Row] = &[
        // Moving the visit: school or lead, booked, until the visit day, report not sent.
        (stage(Accepted, None), School, MoveVisit, before, Some(VISIT), ok),
        (stage(Accepted, None), Lead, MoveVisit, before, Some(VISIT), ok),
        (stage(Accepted, None), Lead, MoveVisit, VISIT, Some(VISIT), ok),
        (stage(Accepted, Some(Draft)), School, MoveVisit, VISIT, Some(VISIT), ok),
        (stage(Accepted, None), Second, MoveVisit, before, Some(VISIT), no(MoveVisit, Why::NotTheirs)),
        (stage(Accepted, None), Administrator, MoveVisit, before, Some(VISIT), no(MoveVisit, Why::NotTheirs)),
        (stage(Accepted, None), School, MoveVisit, after, Some(VISIT), no(MoveVisit, Why::VisitTookPlace)),
        (stage(Accepted, None), Lead, MoveVisit, after, Some(VISIT), no(MoveVisit, Why::VisitTookPlace)),
        (stage(Accepted, Some(Sent)), Lead, MoveVisit, before, Some(VISIT), no(MoveVisit, Why::ReportSent(Sent))),
        (stage(Accepted, Some(Checked)), School, MoveVisit, before, Some(VISIT), no(MoveVisit, Why::ReportSent(Checked))),
        (stage(Accepted, Some(Final)), School, MoveVisit, before, Some(VISIT), no(MoveVisit, Why::ReportSent(Final))),
        (stage(Accepted, Some(Final)), Lead, MoveVisit, after, Some(VISIT), no(MoveVisit, Why::VisitTookPlace)),
        (stage(Offered, None), School, MoveVisit, before, None, no(MoveVisit, Why::NotNow(Offered))),
        (stage(Withdrawn, None), School, MoveVisit, before, Some(VISIT), no(MoveVisit, Why::Withdrawn)),
        // Evidence: the school, before the visit day, until the report is sent, never withdrawn.
        (stage(Submitted, None), School, ChangeEvidence, before, None, ok),
        (stage(NeedsAttention, None), School, ChangeEvidence, after, None, ok),
        (stage(Accepted, None), School, ChangeEvidence, before, Some(VISIT), ok),
        (stage(Accepted, None), School, ChangeEvidence, VISIT, Some(VISIT), no(ChangeEvidence, Why::VisitDayCame)),
        (stage(Accepted, Some(Final)), School, ChangeEvidence, before, Some(VISIT), no(ChangeEvidence, Why::ReportSent(Final))),
        (stage(Withdrawn, None), School, ChangeEvidence, before, Some(VISIT), no(ChangeEvidence, Why::Withdrawn)),
        (stage(Accepted, None), Lead, ChangeEvidence, before, Some(VISIT), no(ChangeEvidence, Why::NotTheirs)),
        // The self-evaluation: the school, any day, until the request is withdrawn.
        (stage(Submitted, None), School, EditSelfEvaluation, before, None, ok),
        (stage(Accepted, Some(Final)), School, EditSelfEvaluation, after, Some(VISIT), ok),
        (stage(Withdrawn, None), School, EditSelfEvaluation, before, Some(VISIT), no(EditSelfEvaluation, Why::Withdrawn)),
        (stage(Accepted, None), Lead, EditSelfEvaluation, before, Some(VISIT), no(EditSelfEvaluation, Why::NotTheirs)),
        // The team's notes: a booked review, any day.
        (stage(Accepted, None), Second, KeepNotes, before, Some(VISIT), ok),
        (stage(Withdrawn, None), Lead, KeepNotes, after, Some(VISIT), no(KeepNotes, Why::Withdrawn)),
        // The report: the team, from the visit day, on a booked review.
        (stage(Accepted, None), Lead, WriteReport, VISIT, Some(VISIT), ok),
        (stage(Accepted, Some(Checked)), Second, WriteReport, after, Some(VISIT), ok),
        (stage(Accepted, None), Lead, WriteReport, before, Some(VISIT), no(WriteReport, Why::VisitToCome)),
        (stage(Offered, None), Lead, WriteReport, after, None, no(WriteReport, Why::NotNow(Offered))),
        (stage(Withdrawn, Some(Draft)), Lead, WriteReport, after, Some(VISIT), no(WriteReport, Why::Withdrawn)),
        (stage(Accepted, None), School, WriteReport, after, Some(VISIT), no(WriteReport, Why::NotTheirs)),
        // The school's answers to the report (factual check, action plan).
        (stage(Accepted, Some(Sent)), School, AnswerReport, after, Some(VISIT), ok),
        (stage(Withdrawn, Some(Sent)), School, AnswerReport, after, Some(VISIT), no(AnswerReport, Why::Withdrawn)),
        // After the final report: the school shares it or asks for a follow-up.
        (stage(Accepted, Some(Final)), School, AfterReport, after, Some(VISIT), ok),
        (stage(Accepted, Some(Checked)), School, AfterReport, after, Some(VISIT), no(AfterReport, Why::ReportNotFinal)),
        (stage(Accepted, None), School, AfterReport, after, Some(VISIT), no(AfterReport, Why::ReportNotFinal)),
        (stage(Withdrawn, Some(Final)), School, AfterReport, after, Some(VISIT), no(AfterReport, Why::Withdrawn)),
        // The review link: the booked team, until the request is withdrawn.
        (stage(Accepted, Some(Final)), Lead, OpenReview, after, Some(VISIT), ok),
        (stage(Accepted, None), Second, OpenReview, before, Some(VISIT), ok),
        (stage(Withdrawn, None), Lead, OpenReview, before, Some(VISIT), no(OpenReview, Why::Withdrawn)),
        (stage(Withdrawn, Some(Draft)), Second, OpenReview, after, Some(VISIT), no(OpenReview, Why::Withdrawn)),
        (stage(Accepted, None), School, OpenReview, before, Some(VISIT), no(OpenReview, Why::NotTheirs)),
        // Offers: the lead's while offered, the second's once the lead accepted.
        (stage(Offered, None), Offeree, AnswerOffer, before, None, ok),
        (stage(Accepted, None), Offeree, AnswerOffer, before, Some(VISIT), ok),
        (stage(Withdrawn, None), Offeree, AnswerOffer, before, None, no(AnswerOffer, Why::Withdrawn)),
        (stage(NeedsAttention, None), Offeree, AnswerOffer, before, None, no(AnswerOffer, Why::NotNow(NeedsAttention))),
        (stage(Offered, None), Lead, AnswerOffer, before, None, no(AnswerOffer, Why::NotTheirs)),
        // The administrator's steps.
        (stage(NeedsAttention, None), Administrator, OfferNamed, before, None, ok),
        (stage(Offered, None), Administrator, OfferNamed, before, None, ok),
        (stage(Accepted, None), Administrator, OfferNamed, before, Some(VISIT), no(OfferNamed, Why::NotNow(Accepted))),
        (stage(Withdrawn, None), Administrator, OfferNamed, before, None, no(OfferNamed, Why::Withdrawn)),
        (stage(NeedsAttention, None), Administrator, Reassign, before, None, ok),
        (stage(Matching, None), Administrator, Reassign, before, None, no(Reassign, Why::NotNow(Matching))),
        (stage(Accepted, None), Administrator, ReplaceReviewer, before, Some(VISIT), ok),
        (stage(Accepted, None), Administrator, ReplaceReviewer, VISIT, Some(VISIT), no(ReplaceReviewer, Why::VisitDayCame)),
        (stage(Withdrawn, None), Administrator, ReplaceReviewer, before, Some(VISIT), no(ReplaceReviewer, Why::Withdrawn)),
        (stage(Offered, None), Administrator, ReplaceReviewer, before, None, no(ReplaceReviewer, Why::NotNow(Offered))),
        (stage(Accepted, None), School, ReplaceReviewer, before, Some(VISIT), no(ReplaceReviewer, Why::NotTheirs)),
        (stage(Accepted, Some(Final)), Administrator, Withdraw, after, Some(VISIT), ok),
        (stage(Submitted, None), Administrator, Withdraw, before, None, ok),
        (stage(Withdrawn, None), Administrator, Withdraw, before, None, no(Withdraw, Why::Withdrawn)),
        (stage(Accepted, None), Lead, Withdraw, before, Some(VISIT), no(Withdraw, Why::NotTheirs)),
        (stage(Withdrawn, Some(Final)), Administrator, Erase, after, Some(VISIT), ok),
        (stage(Submitted, None), Administrator, Erase, before, None, ok),
        (stage(Submitted, None), School, Erase, before, None, no(Erase, Why::NotTheirs)),
        // Confirming: the school, only while unconfirmed; releasing: a coordinator, only held.
        (stage(PendingConfirmation, None), School, Confirm, before, None, ok),
        (stage(Submitted, None), School, Confirm, before, None, no(Confirm, Why::NotNow(Submitted))),
        (stage(Held, None), School, Confirm, before, None, no(Confirm, Why::NotNow(Held))),
        (stage(Withdrawn, None), School, Confirm, before, None, no(Confirm, Why::Withdrawn)),
        (stage(PendingConfirmation, None), Administrator, Confirm, before, None, no(Confirm, Why::NotTheirs)),
        (stage(Held, None), Administrator, Release, before, None, ok),
        (stage(PendingConfirmation, None), Administrator, Release, before, None, no(Release, Why::NotNow(PendingConfirmation))),
        (stage(Submitted, None), Administrator, Release, before, None, no(Release, Why::NotNow(Submitted))),
        (stage(Held, None), School, Release, before, None, no(Release, Why::NotTheirs)),
        (stage(PendingConfirmation, None), Administrator, Withdraw, before, None, ok),
        (stage(Held, None), Administrator, Withdraw, before, None, ok),
        // An unconfirmed request takes no files and no self-evaluation.
        (stage(PendingConfirmation, None), School, ChangeEvidence, before, None, no(ChangeEvidence, Why::NotNow(PendingConfirmation))),
        (stage(PendingConfirmation, None), School, EditSelfEvaluation, before, None, no(EditSelfEvaluation, Why::NotNow(PendingConfirmation))),
    ];
    for (i, (stage, person, action, today, visit, expected)) in table.iter().enumerate() {
        assert_eq!(
            allowed(*stage, *person, *action, *today, *visit),
            *expected,
            "row {i}: {stage:?} {person:?} {action:?} on {today}"
        );
    }
}

#[test]
fn refusals_say_why() {
    let refusal = allowed(
        stage(RequestState::Accepted, Some(ReportState::Final)),
        Person::School,
        Action::MoveVisit,
        date!(2027 - 03 - 01),
        Some(VISIT),
    )
    .unwrap_err();
    assert_eq!(
        refusal.to_string(),
        "The report is final, so the visit date can no longer change"
    );
}

#[test]
fn every_refusal_has_its_own_sentence() {
    use Action::*;
    // (Moving the visit keeps its older sentence, "Only a booked visit can move".)
    let actions = Action::ALL.iter().copied().filter(|a| *a != MoveVisit);
    let withdrawn = |action| {
        Refusal {
            action,
            why: Why::Withdrawn,
        }
        .to_string()
    };
    for action in actions {
        assert!(
            withdrawn(action).contains("withdrawn"),
            "{action:?}: {}",
            withdrawn(action)
        );
    }
    assert_eq!(
        withdrawn(OpenReview),
        "This review was withdrawn; its files are no longer available to you."
    );
    let not_final = Refusal {
        action: AfterReport,
        why: Why::ReportNotFinal,
    };
    assert_eq!(
        not_final.to_string(),
        "This can be done once the report is final."
    );
}

#[test]
fn guards_name_the_allowed_states_and_the_day() {
    let guard = Guard::new(Action::MoveVisit, date!(2027 - 03 - 01));
    assert_eq!(
        guard.expression,
        "#lc_state IN (:lc_state0) AND (attribute_not_exists(#lc_lead) OR #lc_lead.visit_date >= :lc_today)"
    );
    assert_eq!(guard.values[0].1, s("accepted"));
    assert_eq!(guard.values[1], (":lc_today".into(), s("2027-03-01")));
    let evidence = Guard::new(Action::ChangeEvidence, date!(2027 - 03 - 01));
    assert!(evidence.expression.contains("visit_date > :lc_today"));
    assert_eq!(evidence.values.len(), 6 + 1);
    let report = Guard::new(Action::WriteReport, date!(2027 - 03 - 01));
    assert_eq!(
        report.expression,
        "#lc_state IN (:lc_state0) AND #lc_lead.visit_date <= :lc_today"
    );
    // No day in the rule: the guard names neither the lead nor today.
    let evaluation = Guard::new(Action::EditSelfEvaluation, date!(2027 - 03 - 01));
    assert!(!evaluation.expression.contains("lc_lead"));
    assert_eq!(evaluation.names, [("#lc_state", "state")]);
    assert_eq!(evaluation.values.len(), 6);
}

#[test]
fn a_guard_joins_the_transactions_own_update_of_the_request() {
    let request_update = |condition: Option<&str>| {
        let update = aws_sdk_dynamodb::types::Update::builder()
            .table_name("t")
            .key("pk", s(request_pk("r1")))
            .key("sk", s("REQUEST"))
            .update_expression("SET purge_after = :date")
            .expression_attribute_values(":date", s("2028-01-01"))
            .set_condition_expression(condition.map(str::to_owned))
            .build()
            .unwrap();
        TransactWriteItem::builder().update(update).build()
    };
    let mut items = vec![request_update(Some("attribute_exists(pk)"))];
    Guard::new(Action::WriteReport, date!(2027 - 03 - 10)).add_to("t", "r1", &mut items);
    assert_eq!(items.len(), 1, "merged, not a second operation on the item");
    let merged = items[0].update().unwrap();
    assert_eq!(
        merged.condition_expression(),
        Some(
            "(attribute_exists(pk)) AND #lc_state IN (:lc_state0) AND #lc_lead.visit_date <= :lc_today"
        )
    );
    let values = merged.expression_attribute_values().unwrap();
    assert_eq!(values.len(), 3);
    assert_eq!(merged.expression_attribute_names().unwrap().len(), 2);

    let mut other = vec![];
    Guard::new(Action::WriteReport, date!(2027 - 03 - 10)).add_to("t", "r1", &mut other);
    assert!(other[0].condition_check().is_some());
}

#[test]
fn a_guard_refusal_says_why_from_the_state_read_after_it() {
    use RequestState::*;
    let why = |action, state| refused_by_guard(action, state).why;
    assert_eq!(why(Action::EditSelfEvaluation, Withdrawn), Why::Withdrawn);
    assert_eq!(why(Action::WriteReport, Offered), Why::NotNow(Offered));
    assert_eq!(why(Action::WriteReport, Accepted), Why::VisitToCome);
    assert_eq!(why(Action::ChangeEvidence, Accepted), Why::VisitDayCame);
}
