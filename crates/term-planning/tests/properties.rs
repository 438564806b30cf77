//! The plan against its rules and against brute force, on small random instances.

use std::collections::{BTreeSet, HashMap, HashSet};

use proptest::prelude::*;
use term_planning::{Candidate, Pair, Plan, PlanError, Problem, plan};

#[derive(Debug, Clone)]
struct Instance {
    wanted: Vec<u32>,
    capacity: Vec<u32>,
    candidates: Vec<Candidate>,
    pins: Vec<Pair>,
    forbids: Vec<Pair>,
}

impl Instance {
    fn problem(&self) -> Problem<'_> {
        Problem {
            wanted: &self.wanted,
            capacity: &self.capacity,
            candidates: &self.candidates,
            pins: &self.pins,
            forbids: &self.forbids,
        }
    }
}

/// Up to 6 requests and 6 reviewers, each pair a candidate or not, some pinned or forbidden.
fn instance() -> impl Strategy<Value = Instance> {
    (1..=6_usize, 1..=6_usize)
        .prop_flat_map(|(requests, reviewers)| {
            (
                proptest::collection::vec(0..=2_u32, requests),
                proptest::collection::vec(0..=3_u32, reviewers),
                // Per possible pair: (is a candidate, cost, pinned/forbidden/neither).
                proptest::collection::vec(
                    (prop::bool::weighted(0.6), -20..60_i32, 0..10_u8),
                    requests * reviewers,
                ),
            )
        })
        .prop_map(|(wanted, capacity, pairs)| {
            let reviewers = capacity.len();
            let mut candidates = Vec::new();
            let mut pins = Vec::new();
            let mut forbids = Vec::new();
            for (i, (listed, cost, mark)) in pairs.into_iter().enumerate() {
                let pair = Pair {
                    request: (i / reviewers) as u32,
                    reviewer: (i % reviewers) as u32,
                };
                if listed {
                    candidates.push(Candidate {
                        request: pair.request,
                        reviewer: pair.reviewer,
                        cost,
                    });
                }
                match mark {
                    0 => pins.push(pair),
                    1 => forbids.push(pair),
                    _ => {}
                }
            }
            Instance {
                wanted,
                capacity,
                candidates,
                pins,
                forbids,
            }
        })
}

/// The best (assigned, cost) by trying every subset of the allowed pairs that contains every
/// pin; `None` when no subset respects the limits.
fn brute_force(instance: &Instance) -> Option<(u64, i64)> {
    let forbidden: HashSet<Pair> = instance.forbids.iter().copied().collect();
    let pins: HashSet<Pair> = instance.pins.iter().copied().collect();
    let allowed: Vec<&Candidate> = instance
        .candidates
        .iter()
        .filter(|c| !forbidden.contains(&pair_of(c)))
        .collect();
    let mut search = Brute {
        allowed: &allowed,
        pins: &pins,
        left: instance.wanted.clone(),
        room: instance.capacity.clone(),
        best: None,
    };
    search.go(0, 0, 0, 0);
    search.best
}

/// Depth-first over the allowed pairs: each is in or out, within the limits.
struct Brute<'a> {
    allowed: &'a [&'a Candidate],
    pins: &'a HashSet<Pair>,
    left: Vec<u32>,
    room: Vec<u32>,
    best: Option<(u64, i64)>,
}

impl Brute<'_> {
    fn go(&mut self, i: usize, assigned: u64, cost: i64, pins_used: usize) {
        if i == self.allowed.len() {
            // More assigned first, then lower cost; every pin in.
            if pins_used == self.pins.len()
                && self
                    .best
                    .is_none_or(|(n, c)| assigned > n || (assigned == n && cost < c))
            {
                self.best = Some((assigned, cost));
            }
            return;
        }
        let c = self.allowed[i];
        let (q, r) = (c.request as usize, c.reviewer as usize);
        let pinned = self.pins.contains(&pair_of(c));
        if self.left[q] > 0 && self.room[r] > 0 {
            self.left[q] -= 1;
            self.room[r] -= 1;
            self.go(
                i + 1,
                assigned + 1,
                cost + i64::from(c.cost),
                pins_used + usize::from(pinned),
            );
            self.left[q] += 1;
            self.room[r] += 1;
        }
        if !pinned {
            self.go(i + 1, assigned, cost, pins_used);
        }
    }
}

fn pair_of(c: &Candidate) -> Pair {
    Pair {
        request: c.request,
        reviewer: c.reviewer,
    }
}

/// Every rule a plan must keep, whatever its cost.
fn check_rules(instance: &Instance, plan: &Plan) {
    let cost_of: HashMap<Pair, i32> = instance
        .candidates
        .iter()
        .map(|c| (pair_of(c), c.cost))
        .collect();
    let forbidden: HashSet<Pair> = instance.forbids.iter().copied().collect();
    let mut seen = BTreeSet::new();
    let mut per_request = vec![0_u32; instance.wanted.len()];
    let mut per_reviewer = vec![0_u32; instance.capacity.len()];
    for a in &plan.assignments {
        let pair = Pair {
            request: a.request,
            reviewer: a.reviewer,
        };
        assert_eq!(cost_of.get(&pair), Some(&a.cost), "only candidate pairs");
        assert!(!forbidden.contains(&pair), "no forbidden pair");
        assert!(seen.insert(pair), "a reviewer at most once per request");
        assert_eq!(a.pinned, instance.pins.contains(&pair));
        per_request[a.request as usize] += 1;
        per_reviewer[a.reviewer as usize] += 1;
    }
    for pin in &instance.pins {
        assert!(seen.contains(pin), "every pin is used");
    }
    for (r, &n) in per_reviewer.iter().enumerate() {
        assert!(n <= instance.capacity[r], "reviewer {r} over capacity");
    }
    let mut short = Vec::new();
    for (q, &n) in per_request.iter().enumerate() {
        assert!(n <= instance.wanted[q], "request {q} over-filled");
        if n < instance.wanted[q] {
            short.push((q as u32, instance.wanted[q], n));
        }
    }
    let reported: Vec<(u32, u32, u32)> = plan
        .short
        .iter()
        .map(|s| (s.request, s.wanted, s.assigned))
        .collect();
    assert_eq!(reported, short, "every request left short is reported");
    assert_eq!(plan.assigned, plan.assignments.len() as u64);
    assert_eq!(
        plan.cost,
        plan.assignments
            .iter()
            .map(|a| i64::from(a.cost))
            .sum::<i64>()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn the_plan_keeps_every_rule_and_is_optimal(instance in instance()) {
        match plan(&instance.problem()) {
            Ok(plan) => {
                check_rules(&instance, &plan);
                prop_assert_eq!(Some((plan.assigned, plan.cost)), brute_force(&instance));
            }
            Err(PlanError::PinNotCandidate(pair)) => {
                prop_assert!(!instance.candidates.iter().any(|c| pair_of(c) == pair));
            }
            Err(PlanError::PinnedAndForbidden(pair)) => {
                prop_assert!(instance.pins.contains(&pair) && instance.forbids.contains(&pair));
            }
            Err(PlanError::TooManyPinsForRequest { request, pins, wanted }) => {
                prop_assert!(pins > wanted);
                prop_assert_eq!(brute_force(&instance), None);
                prop_assert_eq!(instance.wanted[request as usize], wanted);
            }
            Err(PlanError::TooManyPinsForReviewer { reviewer, pins, capacity }) => {
                prop_assert!(pins > capacity);
                prop_assert_eq!(brute_force(&instance), None);
                prop_assert_eq!(instance.capacity[reviewer as usize], capacity);
            }
            Err(other) => prop_assert!(false, "unexpected error {other}"),
        }
    }

    /// Without pins or forbids every instance has a plan, on whichever side has fewer units.
    #[test]
    fn unconstrained_plans_match_brute_force(mut instance in instance()) {
        instance.pins.clear();
        instance.forbids.clear();
        let plan = plan(&instance.problem()).expect("no pins, no errors");
        check_rules(&instance, &plan);
        prop_assert_eq!(Some((plan.assigned, plan.cost)), brute_force(&instance));
    }
}

/// An independent exact solver for medium instances: successive shortest paths from one
/// source, one unit at a time, with Bellman-Ford (negative costs as they are, no bypass, no
/// potentials). Each step is a min-cost flow of one more unit; it stops when no unit more can
/// flow, so the result is the most places at the lowest cost.
fn reference(wanted: &[u32], capacity: &[u32], candidates: &[Candidate]) -> (u64, i64) {
    let (q, r) = (wanted.len(), capacity.len());
    let (source, sink) = (q + r, q + r + 1);
    // Arcs as (from, to, room, cost); arc i ^ 1 is arc i's reverse.
    let mut arcs: Vec<(usize, usize, i64, i64)> = Vec::new();
    let mut add = |from, to, room, cost| {
        arcs.push((from, to, room, cost));
        arcs.push((to, from, 0, -cost));
    };
    for (i, &w) in wanted.iter().enumerate() {
        add(source, i, i64::from(w), 0);
    }
    for c in candidates {
        add(
            c.request as usize,
            q + c.reviewer as usize,
            1,
            i64::from(c.cost),
        );
    }
    for (j, &k) in capacity.iter().enumerate() {
        add(q + j, sink, i64::from(k), 0);
    }
    let (mut flow, mut cost) = (0, 0);
    loop {
        let mut dist = vec![i64::MAX; q + r + 2];
        let mut via = vec![usize::MAX; q + r + 2];
        dist[source] = 0;
        for _ in 0..q + r + 2 {
            let mut changed = false;
            for (i, &(from, to, room, c)) in arcs.iter().enumerate() {
                if room > 0 && dist[from] != i64::MAX && dist[from] + c < dist[to] {
                    dist[to] = dist[from] + c;
                    via[to] = i;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        if dist[sink] == i64::MAX {
            return (flow, cost);
        }
        let mut v = sink;
        while v != source {
            let i = via[v];
            arcs[i].2 -= 1;
            arcs[i ^ 1].2 += 1;
            v = arcs[i].0;
        }
        flow += 1;
        cost += dist[sink];
    }
}

/// Up to 40 requests and 30 reviewers, sparse or dense, often short of reviewers.
fn medium() -> impl Strategy<Value = (Vec<u32>, Vec<u32>, Vec<Candidate>)> {
    (1..=40_usize, 1..=30_usize, 1..=9_u32).prop_flat_map(|(requests, reviewers, tenths)| {
        (
            proptest::collection::vec(1..=2_u32, requests),
            proptest::collection::vec(0..=3_u32, reviewers),
            proptest::collection::vec(
                (prop::bool::weighted(f64::from(tenths) / 10.0), -50..500_i32),
                requests * reviewers,
            ),
        )
            .prop_map(move |(wanted, capacity, pairs)| {
                let candidates = pairs
                    .into_iter()
                    .enumerate()
                    .filter(|(_, (listed, _))| *listed)
                    .map(|(i, (_, cost))| Candidate {
                        request: (i / reviewers) as u32,
                        reviewer: (i % reviewers) as u32,
                        cost,
                    })
                    .collect::<Vec<_>>();
                (wanted, capacity, candidates)
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn medium_plans_match_an_independent_solver((wanted, capacity, candidates) in medium()) {
        let instance = Instance {
            wanted,
            capacity,
            candidates,
            pins: Vec::new(),
            forbids: Vec::new(),
        };
        let plan = plan(&instance.problem()).expect("no pins, no errors");
        check_rules(&instance, &plan);
        prop_assert_eq!(
            (plan.assigned, plan.cost),
            reference(&instance.wanted, &instance.capacity, &instance.candidates)
        );
    }
}
