use std::collections::HashSet;

use time::macros::date;
use ulid::Ulid;

use super::*;
use crate::matching::fixtures::{TODAY, record, request, reviewer, settings};
use records::domain::Specialism;

const SPRING: Term = Term::Spring(2027);

fn lead_place<'a>(request: &'a ReviewRequest, excluded: &'a HashSet<Ulid>) -> OpenRequest<'a> {
    OpenRequest {
        request,
        excluded,
        follow_up_of: None,
        place: Place::Lead { team: false },
    }
}

/// One-by-one matching's ranking for a lead, as the matcher runs it.
fn rank_lead<'a>(
    request: &ReviewRequest,
    excluded: &HashSet<Ulid>,
    pool: &[ReviewerRecord<'a>],
) -> matching::MatchOutcome<'a> {
    matching::rank(
        &MatchRequest {
            request,
            excluded,
            role: Role::Lead,
            lead: None,
            follow_up_of: None,
        },
        pool,
        &settings(),
        TODAY,
    )
}

/// (request, reviewer, role) of each proposal.
fn proposals(plan: &TermPlan) -> Vec<(usize, Ulid, Role)> {
    plan.proposed
        .iter()
        .map(|p| (p.request, p.reviewer, p.role))
        .collect()
}

/// Two requests, two reviewers with room for one review each. The specialist fits both (85
/// points against 65) but request 1 has been declined by the other reviewer already.
struct Contest {
    request: ReviewRequest,
    specialist: Reviewer,
    plain: Reviewer,
    nobody: HashSet<Ulid>,
    declined_by_plain: HashSet<Ulid>,
}

fn contest() -> Contest {
    let specialist = Reviewer {
        specialisms: vec![Specialism::Autism, Specialism::SpeechLanguageCommunication],
        capacity_per_term: 1,
        ..reviewer(1)
    };
    let plain = Reviewer {
        capacity_per_term: 1,
        ..reviewer(2)
    };
    Contest {
        request: request(),
        declined_by_plain: HashSet::from([plain.id]),
        specialist,
        plain,
        nobody: HashSet::new(),
    }
}

#[test]
fn the_plan_serves_a_request_that_arrival_order_would_strand() {
    let c = contest();
    let pool = [record(&c.specialist), record(&c.plain)];
    let open = [
        lead_place(&c.request, &c.nobody),
        lead_place(&c.request, &c.declined_by_plain),
    ];
    // One by one, the first request takes its best reviewer, the specialist: the second is
    // left with nobody (the plain reviewer declined it).
    let first = rank_lead(&c.request, &c.nobody, &pool);
    assert_eq!(first.ranked[0].reviewer.id, c.specialist.id);

    let plan = plan_term(&open, &pool, &settings(), SPRING, TODAY, &[], &[]).unwrap();
    assert_eq!(
        proposals(&plan),
        [
            (0, c.plain.id, Role::Lead),
            (1, c.specialist.id, Role::Lead)
        ]
    );
    assert_eq!(plan.proposed[1].score.total(), 85, "matching's own points");
    assert!(plan.left_without.is_empty());
}

#[test]
fn pins_and_forbids_are_kept_and_unknown_ones_refused() {
    let c = contest();
    let pool = [record(&c.specialist), record(&c.plain)];
    let open = [
        lead_place(&c.request, &c.nobody),
        lead_place(&c.request, &c.declined_by_plain),
    ];
    let pin = Choice {
        request: 0,
        reviewer: c.specialist.id,
        role: Role::Lead,
    };
    let plan = plan_term(&open, &pool, &settings(), SPRING, TODAY, &[pin], &[]).unwrap();
    assert_eq!(proposals(&plan), [(0, c.specialist.id, Role::Lead)]);
    assert!(plan.proposed[0].pinned);
    assert_eq!(
        plan.left_without,
        [LeftWithout {
            request: 1,
            role: Role::Lead,
            eligible: 1,
            ruled_out: vec![(RuleOut::DeclinedOrExpired, 1)],
        }]
    );

    let forbid = Choice {
        reviewer: c.plain.id,
        ..pin
    };
    let plan = plan_term(&open, &pool, &settings(), SPRING, TODAY, &[], &[forbid]).unwrap();
    assert_eq!(proposals(&plan), [(0, c.specialist.id, Role::Lead)]);

    for unknown in [
        Choice { request: 2, ..pin },
        Choice {
            reviewer: Ulid(7),
            ..pin
        },
        Choice {
            role: Role::Second,
            ..pin
        },
    ] {
        assert_eq!(
            plan_term(&open, &pool, &settings(), SPRING, TODAY, &[unknown], &[]),
            Err(TermPlanError::UnknownChoice(unknown))
        );
    }
}

#[test]
fn a_team_gets_a_lead_then_a_different_second() {
    let request = request();
    let nobody = HashSet::new();
    let leader = reviewer(1);
    let follower = Reviewer {
        may_lead: false,
        ..reviewer(2)
    };
    let team = [OpenRequest {
        place: Place::Lead { team: true },
        ..lead_place(&request, &nobody)
    }];
    let pool = [record(&follower), record(&leader)];
    let plan = plan_term(&team, &pool, &settings(), SPRING, TODAY, &[], &[]).unwrap();
    assert_eq!(
        proposals(&plan),
        [(0, leader.id, Role::Lead), (0, follower.id, Role::Second)]
    );

    // Alone, the leader cannot be their own second: the place is left, and why is said.
    let pool = [record(&leader)];
    let plan = plan_term(&team, &pool, &settings(), SPRING, TODAY, &[], &[]).unwrap();
    assert_eq!(proposals(&plan), [(0, leader.id, Role::Lead)]);
    assert_eq!(
        plan.left_without,
        [LeftWithout {
            request: 0,
            role: Role::Second,
            eligible: 0,
            ruled_out: vec![(RuleOut::DeclinedOrExpired, 1)],
        }]
    );
}

#[test]
fn capacity_is_what_is_left_in_the_term() {
    let request = request();
    let nobody = HashSet::new();
    // Room for two a term; one offer open in the spring, one review done in the autumn.
    let busy = reviewer(1);
    let offers = [date!(2027 - 02 - 08)];
    let history = [crate::matching::ReviewHistory {
        school: crate::matching::fixtures::urn("100001"),
        visit_date: date!(2026 - 10 - 05),
    }];
    let pool = [ReviewerRecord {
        open_offers: &offers,
        history: &history,
        ..record(&busy)
    }];
    let open = [lead_place(&request, &nobody), lead_place(&request, &nobody)];
    let plan = plan_term(&open, &pool, &settings(), SPRING, TODAY, &[], &[]).unwrap();
    assert_eq!(plan.proposed.len(), 1);
    assert_eq!(plan.left_without.len(), 1);
    assert_eq!(
        plan.left_without[0].eligible, 1,
        "eligible, but needed elsewhere"
    );
}

#[test]
fn windows_outside_the_term_rule_everyone_out() {
    let request = request();
    let nobody = HashSet::new();
    let someone = reviewer(1);
    let pool = [record(&someone)];
    let open = [lead_place(&request, &nobody)];
    let plan = plan_term(
        &open,
        &pool,
        &settings(),
        Term::Autumn(2027),
        TODAY,
        &[],
        &[],
    )
    .unwrap();
    assert!(plan.proposed.is_empty());
    assert_eq!(
        plan.left_without[0].ruled_out,
        [(RuleOut::UnavailableInEveryWindow, 1)]
    );
}

/// Forty requests from schools in one LA, twenty reviewers with room for two reviews each
/// (the shared [`arrival_order_trap`]): ten specialists every school prefers, ten others in
/// conflict with the last twenty schools. One by one in arrival order, the first twenty
/// requests take every specialist place and the last twenty are stranded; the plan serves all
/// forty.
#[test]
fn forty_requests_in_one_la_all_served_where_arrival_order_strands_half() {
    let trap = crate::matching::fixtures::arrival_order_trap(&reviewer(0));
    let requests: Vec<ReviewRequest> = (trap.schools.iter())
        .map(|school| {
            let mut r = request();
            r.school.urn = school.clone();
            r
        })
        .collect();
    let everyone = trap.pool();
    let nobody = HashSet::new();

    // Arrival order: each request offered to its best reviewer, the offer counting towards
    // that reviewer's load in the term, as the matcher does.
    let mut offers: Vec<Vec<Date>> = vec![Vec::new(); everyone.len()];
    let mut stranded = 0;
    for request in &requests {
        let pool: Vec<ReviewerRecord> = everyone
            .iter()
            .zip(&offers)
            .map(|(r, dates)| ReviewerRecord {
                open_offers: dates,
                ..record(r)
            })
            .collect();
        let outcome = rank_lead(request, &nobody, &pool);
        match outcome.ranked.first() {
            Some(best) => {
                let at = everyone
                    .iter()
                    .position(|r| r.id == best.reviewer.id)
                    .unwrap();
                offers[at].push(date!(2027 - 01 - 11));
            }
            None => stranded += 1,
        }
    }
    assert_eq!(
        stranded,
        crate::matching::fixtures::ArrivalOrderTrap::STRANDED_IN_ARRIVAL_ORDER
    );

    let pool: Vec<ReviewerRecord> = everyone.iter().map(record).collect();
    let open: Vec<OpenRequest> = requests.iter().map(|r| lead_place(r, &nobody)).collect();
    let plan = plan_term(&open, &pool, &settings(), SPRING, TODAY, &[], &[]).unwrap();
    assert_eq!(plan.proposed.len(), 40);
    assert!(plan.left_without.is_empty());
    let in_conflict: HashSet<Ulid> = trap.others.iter().map(|r| r.id).collect();
    let mut load = std::collections::HashMap::new();
    for p in &plan.proposed {
        *load.entry(p.reviewer).or_insert(0) += 1;
        if p.request >= 20 {
            assert!(!in_conflict.contains(&p.reviewer), "a conflict is kept");
        }
    }
    assert!(load.values().all(|&n| n <= 2), "capacity is kept");
}

#[test]
fn opted_in_schools_review_each_other_where_the_rules_allow() {
    let school = |urn: &str| {
        let mut r = request();
        r.school.urn = crate::matching::fixtures::urn(urn);
        r
    };
    let (a, b, c) = (school("100001"), school("100002"), school("100003"));
    let from = |n: u16, urn: &str| Reviewer {
        home_school_urn: crate::matching::fixtures::urn(urn),
        ..reviewer(n)
    };
    let (from_a, from_b, from_c) = (from(1, "100001"), from(2, "100002"), from(3, "100003"));
    let outsider = reviewer(4);
    let nobody = HashSet::new();
    // C has declined A's review: no pair A-C, no triad through C -> A.
    let declined_by_c = HashSet::from([from_c.id]);
    let open = [
        lead_place(&a, &declined_by_c),
        lead_place(&b, &nobody),
        lead_place(&c, &nobody),
    ];
    let pool = [
        record(&from_a),
        record(&from_b),
        record(&from_c),
        record(&outsider),
    ];
    let options = reciprocal::Options::default();
    let propose = |opted: &[usize], triads: bool| {
        let options = reciprocal::Options { triads, ..options };
        reciprocal_term(&open, opted, &pool, &settings(), SPRING, TODAY, options)
    };
    let found = propose(&[0, 1, 2], true);
    assert!(found.optimal);
    let legs: Vec<Vec<(usize, Ulid, usize)>> = found
        .arrangements
        .iter()
        .map(|legs| {
            legs.iter()
                .map(|l| (l.from, l.reviewer, l.reviews))
                .collect()
        })
        .collect();
    // All three in one triad, in the direction that keeps C off A's review.
    assert_eq!(
        legs,
        [[(0, from_a.id, 2), (2, from_c.id, 1), (1, from_b.id, 0)]]
    );
    assert_eq!(found.arrangements[0][0].score.total(), 65);

    // Pairs only: two of the three.
    let pairs = propose(&[0, 1, 2], false);
    assert_eq!(pairs.arrangements.len(), 1);
    assert_eq!(pairs.arrangements[0].len(), 2);
    assert!(
        pairs.arrangements[0]
            .iter()
            .all(|l| l.reviewer != outsider.id && (l.from, l.reviews) != (2, 0)),
        "only reviewers from opted-in schools; a decline is kept"
    );

    // Not opted in: C is left out, whatever the rules.
    let pair = propose(&[0, 1], true);
    let schools: Vec<(usize, usize)> = pair.arrangements[0]
        .iter()
        .map(|l| (l.from, l.reviews))
        .collect();
    assert_eq!(schools, [(0, 1), (1, 0)]);
}
