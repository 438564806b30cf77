//! A model-based test of a booked review's lifecycle: random sequences of what the school, the
//! lead, the second reviewer and the administrator do, with the clock moving on by whole days
//! across the visit, run against the real handlers on DynamoDB Local and moto and compared after
//! every step with a small reference model ([`Model`]) of which action each person may take in
//! which stage and on which day. After every step:
//! - an action the model refuses is refused by the product, and nothing stored changes (the
//!   request's items, the team's reviewer items, the outbox); a reviewer opens their review
//!   page (200) until the request is withdrawn, then is refused (410);
//! - an action the model allows changes what it should, and writes its event's emails to the
//!   outbox exactly once;
//! - no stored document is lost (evidence received, the self-evaluation, the report);
//! - no reviewer's term load exceeds their capacity.
//!
//! `LIFECYCLE_MODEL_CASES` sets how many sequences a run tries (default [`DEFAULT_CASES`]) and
//! `LIFECYCLE_MODEL_SHRINK` how many shorter ones it tries after a failure (default 16); the
//! failing sequence is printed with the step that failed.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use records::lifecycle::ReportState;
use reqwest::StatusCode;
use time::OffsetDateTime;
use workflows::evidence::state as evidence_state;

use crate::support::{
    Booked, TestStack, complete_report, complete_self_evaluation, day, location, report_form,
    school_day, spawn, visit_day,
};

/// Sequences tried by default: enough to reach every stage, few enough for a quick suite.
const DEFAULT_CASES: u32 = 4;
/// The longest sequence of actions after the booking.
const MAX_STEPS: usize = 12;
/// A reviewer's capacity per term (each reviewer row of this test).
const CAPACITY: i64 = 2;

/// The product refuses moving the visit after its day or once the report has gone to the
/// school, and adding or deleting evidence from the visit day on (`records::lifecycle`): the
/// model holds it to that. (`false` would skip exactly those actions in those states.)
const PRODUCT_REFUSES_LATE_MOVES_AND_EVIDENCE: bool = true;

/// The model allows nothing but the clock once the administrator has withdrawn the request.
/// The product still takes the school's self-evaluation and evidence, the report's steps and
/// an answer to a pending new date on a withdrawn request; until it refuses them, the runner
/// skips every action after a withdrawal.
const PRODUCT_REFUSES_ACTIONS_ON_A_WITHDRAWN_REQUEST: bool = true;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    School,
    Lead,
}

/// One thing a person (or the clock) does.
#[derive(Debug, Clone)]
enum Action {
    DaysPass(i64),
    /// Asks to move the visit to the school day this many days from today.
    AsksToMove(Person, i64),
    /// Answers the other side's ask: confirm (true) or keep the booked date.
    AnswersMove(Side, bool),
    SchoolAddsEvidence,
    /// Deletes one of the files received so far (by position).
    SchoolDeletesEvidence(usize),
    SchoolSavesSelfEvaluation,
    SchoolSubmitsSelfEvaluation,
    SavesReport(Reviewer),
    LeadSendsReport,
    SchoolAnswersCheck,
    LeadFinalises,
    AdministratorWithdraws,
    /// A reviewer opens their review page (read only; refused, 410, once withdrawn).
    OpensReview(Reviewer),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Person {
    School,
    Lead,
    Second,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reviewer {
    Lead,
    Second,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Report {
    None,
    Draft,
    Submitted,
    Checked,
    Final,
}

/// The reference model: what the product should hold after each step.
#[derive(Debug, Clone)]
struct Model {
    withdrawn: bool,
    /// Days from today to the visit (0 on the day, negative once it has taken place).
    visit_in: i64,
    /// A new date waiting to be confirmed: days from today, and who asked.
    pending: Option<(i64, Side)>,
    /// Evidence files received.
    evidence: usize,
    /// Saves of the self-evaluation, and whether it is submitted.
    self_evaluation: (u64, bool),
    report: Report,
}

/// What the model expects of one action.
#[derive(Debug, PartialEq, Eq)]
enum Expect {
    /// Refused: nothing stored changes, no email.
    Refused,
    /// Done, with this many emails written to the outbox.
    Done { emails: usize },
    /// A page opened: nothing stored changes.
    Opened,
}

/// The size of the review team.
const TEAM: usize = 2;

impl Model {
    /// The visit takes place on its day: from then on it is in the past for the pages.
    fn visit_day_has_come(&self) -> bool {
        self.visit_in <= 0
    }

    /// The visit may move up to and on its day, until the report goes to the school
    /// (`records::lifecycle`: the lead may still move a visit that is happening today).
    fn visit_movable(&self) -> bool {
        self.visit_in >= 0 && matches!(self.report, Report::None | Report::Draft)
    }

    /// Evidence may be added or deleted before the visit day, before the report is final and
    /// unless the request is withdrawn.
    fn evidence_open(&self) -> bool {
        !self.withdrawn && !self.visit_day_has_come() && self.report != Report::Final
    }

    /// The report opens on the visit day.
    fn report_open(&self) -> bool {
        !self.withdrawn && self.visit_day_has_come()
    }

    /// Whether the runner skips `action` in this state, because the product does not follow
    /// the model there yet (see the two constants above).
    fn skipped(&self, action: &Action) -> bool {
        let after_withdrawal = self.withdrawn
            && !matches!(action, Action::DaysPass(_) | Action::AdministratorWithdraws);
        (!PRODUCT_REFUSES_LATE_MOVES_AND_EVIDENCE && self.under_the_lifecycle_fixes(action))
            || (!PRODUCT_REFUSES_ACTIONS_ON_A_WITHDRAWN_REQUEST && after_withdrawal)
    }

    /// Whether the action falls under the rules branch `lifecycle` adds (the product already
    /// refuses evidence changes from the visit day on and on a withdrawn request).
    fn under_the_lifecycle_fixes(&self, action: &Action) -> bool {
        match action {
            Action::AsksToMove(..) | Action::AnswersMove(_, true) => !self.visit_movable(),
            Action::SchoolAddsEvidence | Action::SchoolDeletesEvidence(_) => {
                self.report == Report::Final && !self.visit_day_has_come()
            }
            _ => false,
        }
    }

    /// What `action` should do; the model moves on if it is done.
    fn step(&mut self, action: &Action) -> Expect {
        let done = |emails| Expect::Done { emails };
        match *action {
            Action::DaysPass(days) => {
                self.visit_in -= days;
                if let Some((proposed, _)) = &mut self.pending {
                    *proposed -= days;
                }
                done(0)
            }
            Action::AsksToMove(person, days) => {
                let side = match person {
                    Person::School => Side::School,
                    Person::Lead => Side::Lead,
                    Person::Second => return Expect::Refused,
                };
                let proposed = days_to(school_day(days));
                if self.withdrawn
                    || self.pending.is_some()
                    || proposed == self.visit_in
                    || !self.visit_movable()
                {
                    return Expect::Refused;
                }
                self.pending = Some((proposed, side));
                done(1)
            }
            Action::AnswersMove(side, confirm) => {
                let Some((proposed, asked_by)) = self.pending else {
                    return Expect::Refused;
                };
                if self.withdrawn || asked_by == side {
                    return Expect::Refused;
                }
                if !confirm {
                    self.pending = None;
                    return done(1);
                }
                if proposed <= 0 || !self.visit_movable() {
                    return Expect::Refused;
                }
                self.pending = None;
                self.visit_in = proposed;
                done(1 + TEAM)
            }
            Action::SchoolAddsEvidence => {
                if !self.evidence_open() {
                    return Expect::Refused;
                }
                self.evidence += 1;
                done(0)
            }
            Action::SchoolDeletesEvidence(_) => {
                if self.evidence == 0 || !self.evidence_open() {
                    return Expect::Refused;
                }
                self.evidence -= 1;
                done(0)
            }
            Action::SchoolSavesSelfEvaluation => {
                if self.withdrawn || self.self_evaluation.1 {
                    return Expect::Refused;
                }
                self.self_evaluation.0 += 1;
                done(0)
            }
            Action::SchoolSubmitsSelfEvaluation => {
                if self.withdrawn || self.self_evaluation.1 {
                    return Expect::Refused;
                }
                self.self_evaluation = (self.self_evaluation.0 + 1, true);
                done(TEAM)
            }
            Action::SavesReport(_) => self.save_report(),
            Action::LeadSendsReport => match self.report {
                Report::None | Report::Draft if self.report_open() => {
                    self.report = Report::Submitted;
                    done(1)
                }
                // From the school's answer on, sending saves the text and sends nothing.
                Report::Checked => self.save_report(),
                _ => Expect::Refused,
            },
            Action::SchoolAnswersCheck => {
                if self.withdrawn || self.report != Report::Submitted {
                    return Expect::Refused;
                }
                self.report = Report::Checked;
                done(1)
            }
            Action::LeadFinalises => match self.report {
                Report::Checked if self.report_open() => {
                    self.report = Report::Final;
                    // The final report to the school, and feedback invitations both ways: the
                    // school and each of the team.
                    done(1 + 1 + TEAM)
                }
                // Before the school's answer, finalising saves the text and nothing more.
                _ => self.save_report(),
            },
            Action::AdministratorWithdraws => {
                if self.withdrawn {
                    return Expect::Refused;
                }
                self.withdrawn = true;
                // A visit still to come with no report sent is called off: the school and each
                // of the team get its cancellation (an iTIP CANCEL of the calendar entry).
                if self.visit_in >= 0 && matches!(self.report, Report::None | Report::Draft) {
                    done(1 + TEAM)
                } else {
                    done(0)
                }
            }
            // Access ends when the review ends: the team opens nothing of a withdrawn review.
            Action::OpensReview(_) if self.withdrawn => Expect::Refused,
            Action::OpensReview(_) => Expect::Opened,
        }
    }

    fn save_report(&mut self) -> Expect {
        if !self.report_open()
            || !matches!(self.report, Report::None | Report::Draft | Report::Checked)
        {
            return Expect::Refused;
        }
        if self.report == Report::None {
            self.report = Report::Draft;
        }
        Expect::Done { emails: 0 }
    }
}

/// Days from today to `date`.
fn days_to(date: time::Date) -> i64 {
    (date - day(0)).whole_days()
}

fn action() -> impl Strategy<Value = Action> {
    let person = prop_oneof![
        Just(Person::School),
        Just(Person::Lead),
        Just(Person::Second)
    ];
    let side = prop_oneof![Just(Side::School), Just(Side::Lead)];
    let reviewer = prop_oneof![Just(Reviewer::Lead), Just(Reviewer::Second)];
    prop_oneof![
        3 => (1..=12i64).prop_map(Action::DaysPass),
        1 => (person, 5..=60i64).prop_map(|(p, d)| Action::AsksToMove(p, d)),
        1 => (side, any::<bool>()).prop_map(|(s, c)| Action::AnswersMove(s, c)),
        2 => Just(Action::SchoolAddsEvidence),
        1 => (0..4usize).prop_map(Action::SchoolDeletesEvidence),
        1 => Just(Action::SchoolSavesSelfEvaluation),
        1 => Just(Action::SchoolSubmitsSelfEvaluation),
        2 => reviewer.prop_map(Action::SavesReport),
        2 => Just(Action::LeadSendsReport),
        2 => Just(Action::SchoolAnswersCheck),
        2 => Just(Action::LeadFinalises),
        1 => Just(Action::AdministratorWithdraws),
        1 => prop_oneof![Just(Reviewer::Lead), Just(Reviewer::Second)].prop_map(Action::OpensReview),
    ]
}

/// A case: days that pass before the first action (so that sequences start on every side of the
/// visit), then the actions.
fn case() -> impl Strategy<Value = (i64, Vec<Action>)> {
    (0..=34i64, prop::collection::vec(action(), 1..=MAX_STEPS))
}

#[test]
fn random_sequences_of_actions_follow_the_lifecycle_model() {
    let setting = |name: &str, default: u32| {
        std::env::var(name)
            .ok()
            .map_or(default, |n| n.parse().expect("a number"))
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut runner = TestRunner::new(Config {
        cases: setting("LIFECYCLE_MODEL_CASES", DEFAULT_CASES),
        // Each try books a new review: a few, to print a shorter sequence, not the shortest.
        max_shrink_iters: setting("LIFECYCLE_MODEL_SHRINK", 16),
        failure_persistence: None,
        ..Config::default()
    });
    let outcome = runner.run(&case(), |(wait, actions)| {
        runtime.block_on(run(wait, &actions));
        Ok(())
    });
    if let Err(error) = outcome {
        panic!("{error}");
    }
}

/// The path every review should take, run on every run: the random draw above reaches the final
/// report only now and then, and a change to what finalising writes went unseen until it did.
#[tokio::test]
async fn the_whole_life_of_a_review_follows_the_lifecycle_model() {
    let to_the_visit = days_to(visit_day());
    run(
        to_the_visit,
        &[
            Action::SchoolSubmitsSelfEvaluation,
            Action::OpensReview(Reviewer::Second),
            Action::SavesReport(Reviewer::Second),
            Action::SavesReport(Reviewer::Lead),
            Action::LeadSendsReport,
            Action::SchoolAnswersCheck,
            Action::LeadFinalises,
            Action::OpensReview(Reviewer::Lead),
            Action::DaysPass(3),
            Action::AdministratorWithdraws,
        ],
    )
    .await;
}

/// The booked review the actions are taken on.
struct Review {
    booked: Booked,
    second_link: String,
    /// Evidence ids received, oldest first.
    evidence: Vec<String>,
}

async fn run(wait: i64, actions: &[Action]) {
    let app = spawn().await;
    let mut review = book_a_review_team(&app).await;
    let request_id = review.booked.school.request_id.clone();
    app.days_pass(&request_id, wait).await;
    let mut model = Model {
        withdrawn: false,
        visit_in: days_to(visit_day()) - wait,
        pending: None,
        evidence: 0,
        self_evaluation: (0, false),
        report: Report::None,
    };
    for (n, action) in actions.iter().enumerate() {
        if model.skipped(action) {
            continue;
        }
        let before = Stored::read(&app, &review).await;
        let expected = model.step(action);
        let status = take(&app, &mut review, action).await;
        let after = Stored::read(&app, &review).await;
        let context =
            format!("step {n}: {action:?} (model after it: {model:?}), answered {status:?}");
        if let Some(status) = status {
            assert!(!status.is_server_error(), "{context}");
        }
        if let Action::OpensReview(_) = action {
            let opened = if expected == Expect::Opened {
                StatusCode::OK
            } else {
                StatusCode::GONE
            };
            assert_eq!(status, Some(opened), "{context}");
        }
        match expected {
            Expect::Refused | Expect::Opened => {
                assert_eq!(
                    after, before,
                    "refused or read, yet something changed: {context}"
                );
            }
            Expect::Done { emails } => {
                assert_eq!(
                    after.outbox,
                    before.outbox + emails,
                    "emails written: {context}"
                );
                if !matches!(action, Action::DaysPass(_)) {
                    assert_ne!(after.request, before.request, "nothing changed: {context}");
                }
            }
        }
        after.check(&app, &review, &model, &context).await;
    }
}

/// Brook Primary's request, booked with a lead and a second reviewer.
async fn book_a_review_team(app: &TestStack) -> Review {
    let (booked, second_link) = app.booked_team().await;
    Review {
        booked,
        second_link,
        evidence: Vec::new(),
    }
}

/// Takes `action` on the stack; the HTTP status it was answered with, if any.
async fn take(app: &TestStack, review: &mut Review, action: &Action) -> Option<StatusCode> {
    let booked = &review.booked;
    let request_id = &booked.school.request_id;
    let status = &booked.status_link;
    let response = match action {
        Action::DaysPass(days) => {
            app.days_pass(request_id, *days).await;
            return None;
        }
        Action::AsksToMove(person, days) => {
            let link = match person {
                Person::School => status,
                Person::Lead => &booked.review_link,
                Person::Second => &review.second_link,
            };
            let form = format!("decision=ask&new_date={}&reason=", school_day(*days));
            app.post(&format!("{link}/date"), &form).await
        }
        Action::AnswersMove(side, confirm) => {
            let link = match side {
                Side::School => status,
                Side::Lead => &booked.review_link,
            };
            let decision = if *confirm { "confirm" } else { "keep" };
            app.post(&format!("{link}/date"), &format!("decision={decision}"))
                .await
        }
        Action::SchoolAddsEvidence => {
            let school = &booked.school;
            let form = "name=Provision+map&category=provision_map&file_type=pdf&no_pupil_named=yes";
            let added = app.post_path(&school.evidence(), form).await;
            if added.status() != StatusCode::SEE_OTHER {
                return Some(added.status());
            }
            let upload = location(&added);
            let id = upload
                .strip_prefix(&format!("{}/", school.evidence()))
                .and_then(|rest| rest.strip_suffix("/upload"))
                .expect("the upload page of the new file")
                .to_owned();
            let html = app.page(&app.url(&upload)).await;
            let uploaded = app
                .upload(&html, crate::support::PDF, "file.pdf", "application/pdf")
                .await;
            assert_eq!(uploaded.status(), StatusCode::SEE_OTHER);
            app.wait_for_evidence(school, &id, evidence_state::RECEIVED)
                .await;
            review.evidence.push(id);
            return Some(added.status());
        }
        Action::SchoolDeletesEvidence(which) => {
            if review.evidence.is_empty() {
                return None;
            }
            let id = review.evidence[which % review.evidence.len()].clone();
            let deleted = app.delete_evidence(&booked.school, &id).await;
            let stored = app
                .evidence_store()
                .get(request_id, &id)
                .await
                .unwrap()
                .unwrap();
            if stored.state == evidence_state::DELETED {
                review.evidence.retain(|e| e != &id);
            }
            deleted
        }
        Action::SchoolSavesSelfEvaluation | Action::SchoolSubmitsSelfEvaluation => {
            let url = format!("{status}/self-evaluation");
            let version = self_evaluation(app, request_id)
                .await
                .map_or(0, |(version, _)| version)
                .to_string();
            let form = if matches!(action, Action::SchoolSubmitsSelfEvaluation) {
                complete_self_evaluation(&version, &crate::support::all_areas(), |area| {
                    format!("Our view on {}.", area.title)
                })
            } else {
                crate::support::form_encode(&[
                    ("version", &version),
                    ("decision", "save"),
                    ("evaluation_outcomes", "Good progress."),
                ])
            };
            app.post(&url, &form).await
        }
        Action::SavesReport(_) | Action::LeadSendsReport | Action::LeadFinalises => {
            let link = match action {
                Action::SavesReport(Reviewer::Second) => &review.second_link,
                _ => &booked.review_link,
            };
            let decision = match action {
                Action::LeadSendsReport => "submit",
                Action::LeadFinalises => "finalise",
                _ => "save",
            };
            let version = report(app, request_id)
                .await
                .map_or(0, |(version, _)| version);
            let form = report_form(
                &complete_report(&crate::support::all_areas()),
                version,
                decision,
            );
            app.post(&format!("{link}/report"), &form).await
        }
        Action::SchoolAnswersCheck => {
            let version = report(app, request_id)
                .await
                .map_or(0, |(version, _)| version);
            app.post_pairs(
                &format!("{status}/report"),
                &[("version", &version.to_string())],
            )
            .await
        }
        Action::AdministratorWithdraws => {
            send_review_admin::requests::withdraw(
                &app.table_handle(),
                &booked.school.reference,
                None,
                OffsetDateTime::now_utc(),
            )
            .await
            .unwrap();
            return None;
        }
        Action::OpensReview(reviewer) => {
            let link = match reviewer {
                Reviewer::Lead => &booked.review_link,
                Reviewer::Second => &review.second_link,
            };
            app.open(link.as_str()).await
        }
    };
    Some(response.status())
}

/// The self-evaluation as stored: its version and whether it is submitted.
async fn self_evaluation(app: &TestStack, request_id: &str) -> Option<(u64, bool)> {
    workflows::self_evaluation::KIND
        .get::<workflows::self_evaluation::SelfEvaluation>(&app.table_handle(), request_id)
        .await
        .unwrap()
        .map(|d| (d.version, d.state == workflows::self_evaluation::SUBMITTED))
}

/// The report as stored: its version and state.
async fn report(app: &TestStack, request_id: &str) -> Option<(u64, ReportState)> {
    workflows::report::store::get(&app.table_handle(), request_id)
        .await
        .unwrap()
        .map(|r| (r.version, r.state))
}

/// What is stored about the review, read after each step.
#[derive(Debug, PartialEq, Eq)]
struct Stored {
    /// Every item of the request's partition, as text, in key order.
    request: Vec<String>,
    /// The team's reviewer items (profiles, history, term load), as text.
    reviewers: Vec<String>,
    /// Items in the outbox.
    outbox: usize,
}

impl Stored {
    async fn read(app: &TestStack, review: &Review) -> Self {
        let text = |items: Vec<records::store::Item>| -> Vec<String> {
            // serde_json's maps are ordered: an unchanged item always reads the same.
            let mut texts: Vec<String> = items
                .into_iter()
                .map(|item| {
                    serde_dynamo::from_item::<_, serde_json::Value>(item)
                        .unwrap()
                        .to_string()
                })
                .collect();
            texts.sort();
            texts
        };
        let request_id = &review.booked.school.request_id;
        Self {
            request: text(app.request_items(request_id).await),
            reviewers: text(app.items_with_prefix("REVIEWER#").await),
            outbox: app.outbox_items().await.len(),
        }
    }

    /// The invariants that hold after every step.
    async fn check(&self, app: &TestStack, review: &Review, model: &Model, context: &str) {
        let request_id = &review.booked.school.request_id;
        // No stored document is lost.
        assert_eq!(review.evidence.len(), model.evidence, "{context}");
        let store = app.evidence_store();
        for id in &review.evidence {
            let file = store.get(request_id, id).await.unwrap();
            assert_eq!(
                file.map(|f| f.state).as_deref(),
                Some(evidence_state::RECEIVED),
                "evidence {id}: {context}"
            );
        }
        let (saves, submitted) = model.self_evaluation;
        assert_eq!(
            self_evaluation(app, request_id).await,
            (saves > 0).then_some((saves, submitted)),
            "self-evaluation: {context}"
        );
        let state = report(app, request_id).await.map(|(_, state)| state);
        let expected = match model.report {
            Report::None => None,
            Report::Draft => Some(ReportState::Draft),
            Report::Submitted => Some(ReportState::Submitted),
            Report::Checked => Some(ReportState::Checked),
            Report::Final => Some(ReportState::Final),
        };
        assert_eq!(state, expected, "report: {context}");
        // The visit is where the model says, with any new date waiting.
        let stored = app.stored_request(request_id).await;
        let visit = stored.lead.as_ref().unwrap().visit_date;
        assert_eq!(
            visit,
            day(0) + time::Duration::days(model.visit_in),
            "{context}"
        );
        assert_eq!(
            stored.date_change.map(|c| c.proposed_date),
            model
                .pending
                .map(|(days, _)| day(0) + time::Duration::days(days)),
            "{context}"
        );
        // No reviewer's term load exceeds their capacity.
        for item in app.items_with_prefix("REVIEWER#").await {
            if item["sk"].as_s().unwrap().starts_with("TERM#") {
                let booked: i64 = item["booked"].as_n().unwrap().parse().unwrap();
                assert!((0..=CAPACITY).contains(&booked), "{item:?}: {context}");
            }
        }
    }
}
