//! Reciprocal pairs and triads against brute force, and the search's budget.

use std::collections::HashMap;

use proptest::prelude::*;
use term_planning::Candidate;
use term_planning::reciprocal::{OptedIn, Options, Proposal, propose};

/// `n` schools (request i), school i's reviewers are 10*i and 10*i+1.
fn schools(n: u32) -> Vec<OptedIn> {
    (0..n)
        .map(|i| OptedIn {
            request: i,
            reviewers: vec![10 * i, 10 * i + 1],
        })
        .collect()
}

fn c(request: u32, reviewer: u32, cost: i32) -> Candidate {
    Candidate {
        request,
        reviewer,
        cost,
    }
}

/// The best (schools, cost) over every way to cut the schools into pairs, directed triads and
/// schools left out, each leg taking its cheapest reviewer.
fn brute_force(n: usize, leg: &HashMap<(usize, usize), i64>, triads: bool) -> (u32, i64) {
    fn go(
        free: &mut Vec<bool>,
        leg: &HashMap<(usize, usize), i64>,
        triads: bool,
        schools: u32,
        cost: i64,
        best: &mut (u32, i64),
    ) {
        let Some(a) = free.iter().position(|&f| f) else {
            if schools > best.0 || (schools == best.0 && cost < best.1) {
                *best = (schools, cost);
            }
            return;
        };
        free[a] = false;
        go(free, leg, triads, schools, cost, best);
        for b in 0..free.len() {
            if !free[b] {
                continue;
            }
            if let (Some(x), Some(y)) = (leg.get(&(a, b)), leg.get(&(b, a))) {
                free[b] = false;
                go(free, leg, triads, schools + 2, cost + x + y, best);
                free[b] = true;
            }
            if !triads {
                continue;
            }
            for c in 0..free.len() {
                if c == b || !free[c] {
                    continue;
                }
                if let (Some(x), Some(y), Some(z)) =
                    (leg.get(&(a, b)), leg.get(&(b, c)), leg.get(&(c, a)))
                {
                    free[b] = false;
                    free[c] = false;
                    go(free, leg, triads, schools + 3, cost + x + y + z, best);
                    free[b] = true;
                    free[c] = true;
                }
            }
        }
        free[a] = true;
    }
    let mut best = (0, 0);
    go(&mut vec![true; n], leg, triads, 0, 0, &mut best);
    best
}

/// Each leg: a candidate pair, its reviewer from the school it leaves, free, once per school.
fn check_legs(proposal: &Proposal, opted: &[OptedIn], candidates: &[Candidate], capacity: &[u32]) {
    let mut in_one = std::collections::HashSet::new();
    for arrangement in &proposal.arrangements {
        let n = arrangement.legs.len();
        assert!(n == 2 || n == 3);
        for (i, leg) in arrangement.legs.iter().enumerate() {
            assert!(
                candidates
                    .iter()
                    .any(|c| (c.request, c.reviewer, c.cost)
                        == (leg.reviews, leg.reviewer, leg.cost))
            );
            let from = opted.iter().find(|s| s.request == leg.from).unwrap();
            assert!(from.reviewers.contains(&leg.reviewer));
            assert!(capacity[leg.reviewer as usize] > 0);
            assert_eq!(arrangement.legs[(i + 1) % n].from, leg.reviews, "a cycle");
            assert!(in_one.insert(leg.from), "a school in one arrangement");
        }
    }
}

fn random_legs() -> impl Strategy<Value = (u32, Vec<Candidate>, Vec<u32>)> {
    (2..=7_u32).prop_flat_map(|n| {
        (
            Just(n),
            proptest::collection::vec(
                (0..n, 0..n, 0..2_u32, -10..50_i32, prop::bool::weighted(0.9)),
                0..30,
            ),
            proptest::collection::vec(0..=1_u32, (10 * n) as usize),
        )
            .prop_map(|(n, raw, capacity)| {
                let mut seen = std::collections::HashSet::new();
                let candidates = raw
                    .into_iter()
                    .filter(|&(to, from, _, _, _)| to != from)
                    .map(|(to, from, which, cost, _)| c(to, 10 * from + which, cost))
                    .filter(|c| seen.insert((c.request, c.reviewer)))
                    .collect();
                (n, candidates, capacity)
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn proposals_are_valid_and_optimal(
        (n, candidates, capacity) in random_legs(),
        triads in any::<bool>(),
    ) {
        let opted = schools(n);
        let options = Options { triads, ..Options::default() };
        let proposal = propose(&opted, &candidates, &capacity, options);
        check_legs(&proposal, &opted, &candidates, &capacity);
        prop_assert!(proposal.optimal);
        prop_assert!(proposal.cost >= proposal.cost_bound);
        let mut leg: HashMap<(usize, usize), i64> = HashMap::new();
        for c in &candidates {
            let from = (c.reviewer / 10) as usize;
            if capacity[c.reviewer as usize] == 0 {
                continue;
            }
            let best = leg.entry((from, c.request as usize)).or_insert(i64::MAX);
            *best = (*best).min(i64::from(c.cost));
        }
        prop_assert_eq!(
            (proposal.schools, proposal.cost),
            brute_force(n as usize, &leg, triads)
        );
        prop_assert!(proposal.schools <= proposal.schools_bound);
    }
}

#[test]
fn a_triad_serves_schools_no_pair_can() {
    // 0 -> 1 -> 2 -> 0 only: no two schools can review each other.
    let candidates = [c(1, 0, 5), c(2, 10, 5), c(0, 20, 5)];
    let capacity = vec![1; 30];
    let pairs_only = propose(
        &schools(3),
        &candidates,
        &capacity,
        Options {
            triads: false,
            ..Options::default()
        },
    );
    assert_eq!((pairs_only.schools, pairs_only.optimal), (0, true));
    let with_triads = propose(&schools(3), &candidates, &capacity, Options::default());
    assert_eq!((with_triads.schools, with_triads.cost), (3, 15));
    let legs: Vec<(u32, u32, u32)> = with_triads.arrangements[0]
        .legs
        .iter()
        .map(|l| (l.from, l.reviewer, l.reviews))
        .collect();
    assert_eq!(legs, [(0, 0, 1), (1, 10, 2), (2, 20, 0)]);
}

#[test]
fn a_reviewer_without_capacity_takes_no_leg() {
    let candidates = [c(1, 0, 1), c(1, 1, 9), c(0, 10, 1)];
    let mut capacity = vec![1; 20];
    capacity[0] = 0;
    let proposal = propose(&schools(2), &candidates, &capacity, Options::default());
    assert_eq!((proposal.schools, proposal.cost), (2, 10));
    assert_eq!(proposal.arrangements[0].legs[0].reviewer, 1);
}

#[test]
fn a_search_out_of_budget_says_so_and_keeps_its_best_plan() {
    // Twelve schools, every school may review every other: many ways to pair them up.
    let n = 12;
    let candidates: Vec<Candidate> = (0..n)
        .flat_map(|to| {
            (0..n)
                .filter(move |&from| from != to)
                .map(move |from| c(to, 10 * from, ((to * 7 + from * 3) % 11) as i32))
        })
        .collect();
    let capacity = vec![1; 10 * n as usize];
    let tight = propose(
        &schools(n),
        &candidates,
        &capacity,
        Options {
            triads: true,
            node_budget: 3,
        },
    );
    assert!(!tight.optimal);
    assert_eq!((tight.schools, tight.schools_bound), (12, 12));
    let full = propose(&schools(n), &candidates, &capacity, Options::default());
    assert!(full.optimal);
    assert!(full.cost <= tight.cost);
    assert!(
        tight.cost_bound <= full.cost,
        "the bound holds for every plan"
    );
    // The best pairs are where the search starts: never worse than the pairs-only answer.
    let pairs_only = propose(
        &schools(n),
        &candidates,
        &capacity,
        Options {
            triads: false,
            node_budget: 0,
        },
    );
    assert!(
        pairs_only.optimal,
        "a matching is exact whatever the budget"
    );
    assert!(tight.cost <= pairs_only.cost);
}
