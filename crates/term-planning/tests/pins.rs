//! Pins, forbids, shortfalls and bad input, on instances small enough to reason about.

use term_planning::{Assignment, Candidate, Pair, Plan, PlanError, Problem, Shortfall, plan};

fn c(request: u32, reviewer: u32, cost: i32) -> Candidate {
    Candidate {
        request,
        reviewer,
        cost,
    }
}

fn p(request: u32, reviewer: u32) -> Pair {
    Pair { request, reviewer }
}

fn solve(
    wanted: &[u32],
    capacity: &[u32],
    candidates: &[Candidate],
    pins: &[Pair],
    forbids: &[Pair],
) -> Result<Plan, PlanError> {
    plan(&Problem {
        wanted,
        capacity,
        candidates,
        pins,
        forbids,
    })
}

/// Two requests wanting one reviewer each, two reviewers with room for one review each:
/// request 0 fits reviewer 0 (1) better than reviewer 1 (5); request 1 fits either (3, 4).
const WANTED: [u32; 2] = [1, 1];
const CAPACITY: [u32; 2] = [1, 1];
const CANDIDATES: [Candidate; 4] = [
    Candidate {
        request: 0,
        reviewer: 0,
        cost: 1,
    },
    Candidate {
        request: 0,
        reviewer: 1,
        cost: 5,
    },
    Candidate {
        request: 1,
        reviewer: 0,
        cost: 3,
    },
    Candidate {
        request: 1,
        reviewer: 1,
        cost: 4,
    },
];

fn with(pins: &[Pair], forbids: &[Pair]) -> Result<Vec<(u32, u32, bool)>, PlanError> {
    let plan = plan(&Problem {
        wanted: &WANTED,
        capacity: &CAPACITY,
        candidates: &CANDIDATES,
        pins,
        forbids,
    })?;
    Ok(plan
        .assignments
        .iter()
        .map(|a| (a.request, a.reviewer, a.pinned))
        .collect())
}

#[test]
fn the_free_plan_is_the_cheapest() {
    // 1 + 4 = 5 beats 5 + 3 = 8.
    assert_eq!(with(&[], &[]), Ok(vec![(0, 0, false), (1, 1, false)]));
}

#[test]
fn a_pin_is_kept_and_the_rest_replanned_around_it() {
    assert_eq!(with(&[p(1, 0)], &[]), Ok(vec![(0, 1, false), (1, 0, true)]));
}

#[test]
fn a_forbidden_pair_is_never_used() {
    assert_eq!(
        with(&[], &[p(0, 0)]),
        Ok(vec![(0, 1, false), (1, 0, false)])
    );
    // With both of request 0's reviewers forbidden it goes short, and request 1 takes the
    // cheaper reviewer.
    let plan = plan(&Problem {
        wanted: &WANTED,
        capacity: &CAPACITY,
        candidates: &CANDIDATES,
        pins: &[],
        forbids: &[p(0, 0), p(0, 1)],
    })
    .unwrap();
    assert_eq!(
        plan.assignments,
        [Assignment {
            request: 1,
            reviewer: 0,
            cost: 3,
            pinned: false
        }]
    );
    assert_eq!(
        plan.short,
        [Shortfall {
            request: 0,
            wanted: 1,
            assigned: 0
        }]
    );
}

#[test]
fn bad_pins_are_named() {
    assert_eq!(
        with(&[p(0, 0)], &[p(0, 0)]),
        Err(PlanError::PinnedAndForbidden(p(0, 0)))
    );
    let plan_of = |wanted: &[u32], capacity: &[u32], candidates: &[Candidate], pins: &[Pair]| {
        solve(wanted, capacity, candidates, pins, &[])
    };
    assert_eq!(
        plan_of(&[1], &[1], &[c(0, 0, 0)], &[p(0, 1)]),
        Err(PlanError::PinNotCandidate(p(0, 1)))
    );
    // Two candidate pairs pinned where a request wants one, or a reviewer can take one.
    for (wanted, capacity, pins, error) in [
        (
            &[1][..],
            &[1, 1][..],
            [p(0, 0), p(0, 1)],
            "request 0 has 2 pinned reviewers but wants only 1",
        ),
        (
            &[1, 1][..],
            &[1][..],
            [p(0, 0), p(1, 0)],
            "reviewer 0 is pinned to 2 requests but can take only 1",
        ),
    ] {
        let candidates = pins.map(|pin| c(pin.request, pin.reviewer, 0));
        let refused = plan_of(wanted, capacity, &candidates, &pins).unwrap_err();
        assert_eq!(refused.to_string(), error);
    }
}

#[test]
fn bad_candidates_are_named() {
    let plan_of = |candidates: &[Candidate]| solve(&[2], &[1, 1], candidates, &[], &[]);
    assert_eq!(
        plan_of(&[c(0, 0, 1), c(1, 0, 1)]),
        Err(PlanError::UnknownRequest {
            index: 1,
            request: 1,
            requests: 1
        })
    );
    assert_eq!(
        plan_of(&[c(0, 2, 1)]),
        Err(PlanError::UnknownReviewer {
            index: 0,
            reviewer: 2,
            reviewers: 2
        })
    );
    // Listed twice, the pair could give request 0 the same reviewer twice.
    assert_eq!(
        plan_of(&[c(0, 1, 1), c(0, 0, 1), c(0, 1, 3)]),
        Err(PlanError::DuplicateCandidate(p(0, 1)))
    );
}

#[test]
fn a_place_filled_outweighs_any_saving() {
    // Requests 0 and 1 both can have reviewer 0 (room for one); only request 0 can have
    // reviewer 1. Request 0 taking reviewer 0 cheaply would strand request 1.
    let plan = plan(&Problem {
        wanted: &[1, 1],
        capacity: &[1, 1],
        candidates: &[c(0, 0, 0), c(1, 0, 1000), c(0, 1, 900)],
        pins: &[],
        forbids: &[],
    })
    .unwrap();
    assert_eq!((plan.assigned, plan.cost), (2, 1900));
    assert!(plan.short.is_empty());
}

#[test]
fn when_not_every_place_can_be_filled_the_cheapest_ones_are() {
    // One reviewer, two requests that want them: the one it costs less to serve is served,
    // whichever comes first.
    for candidates in [[c(0, 0, 100), c(1, 0, 0)], [c(1, 0, 0), c(0, 0, 100)]] {
        let plan = plan(&Problem {
            wanted: &[1, 1],
            capacity: &[1],
            candidates: &candidates,
            pins: &[],
            forbids: &[],
        })
        .unwrap();
        assert_eq!((plan.assigned, plan.cost), (1, 0));
        assert_eq!(plan.short[0].request, 0);
    }
}

#[test]
fn huge_wants_and_capacities_cost_no_more_than_the_pairs_they_have() {
    // Each side could place four billion units; only the three pairs matter.
    let plan = solve(
        &[u32::MAX, u32::MAX],
        &[u32::MAX, u32::MAX],
        &[c(0, 0, 3), c(0, 1, 1), c(1, 1, 2)],
        &[],
        &[],
    )
    .unwrap();
    assert_eq!((plan.assigned, plan.cost), (3, 6));
    assert_eq!(plan.short.len(), 2);
}
