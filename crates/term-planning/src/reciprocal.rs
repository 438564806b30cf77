//! Reciprocal arrangements: schools that opted in review each other.
//!
//! A *pair* is two schools A and B where a reviewer from A may review B and one from B may
//! review A; a *triad* is A -> B -> C -> A (a reviewer from A reviews B, one from B reviews C,
//! one from C reviews A). Every leg must be a candidate pair (so it passes every hard rule)
//! and its reviewer must have capacity left. Each school is in at most one arrangement, so each
//! reviewer is used at most once (a reviewer works at one school), and each leg independently
//! takes its school's cheapest eligible reviewer.
//!
//! [`propose`] chooses the arrangements: the most schools in arrangements first, then the
//! lowest total cost. This is a weighted set packing over the possible arrangements (with
//! pairs only, a maximum-weight matching in a general graph; with triads, the cycle packing
//! problem of kidney exchange, NP-hard).
//!
//! # Method: an exact matching for pairs; for triads, branch and bound with a budget
//!
//! Each arrangement gets one weight, `schools * K - cost`, with `K` larger than any total
//! cost, so comparing weights compares (schools, cost) in that order. The search takes the
//! lowest-numbered school not yet decided and branches: it joins one of its arrangements whose
//! schools are all still free (best weight first), or it stays out. A branch is cut when the
//! weight so far plus an optimistic bound cannot beat the best plan found: each undecided
//! school adds its best *share* of any arrangement still open to it (the arrangement's weight
//! split evenly over its schools), which never underestimates what the remaining schools can
//! add. With tens of opted-in schools each compatible with a few others the search finishes
//! in milliseconds and the answer is exact (`optimal: true`); when most schools are compatible
//! with most others (40 schools, 20% of possible legs) it stops at its budget in about a
//! second, with every school placed and the cost gap reported (below).
//!
//! With pairs only, the answer is a maximum-weight matching, found exactly in polynomial time
//! by Edmonds' blossom algorithm (the `blossom` module, O(n^3)). With triads, that matching is the first
//! plan the branch and bound has to beat, so triads are proposed only where they add schools
//! or save cost, and the result is never worse than the best pairs.
//!
//! Past `node_budget` search nodes the search stops and returns the best plan found with
//! `optimal: false` and two bounds from the root: `schools_bound` (every school with at least
//! one possible arrangement; no plan has more) and `cost_bound` (no plan with as many schools
//! as the one returned costs less: the root's weight bound turned into cost). The gap is at
//! most `schools_bound - schools` schools, and `cost - cost_bound` in cost. When the search
//! proves its plan optimal, `optimal` is true (the bounds stay the root's, weaker).

use std::collections::HashMap;

use crate::assignment::Candidate;

mod blossom;

/// A school that would like to review a school in return: its request and the reviewers who
/// work there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptedIn {
    pub request: u32,
    pub reviewers: Vec<u32>,
}

/// A reviewer from one opted-in school reviewing another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Leg {
    /// The request of the school the reviewer works at.
    pub from: u32,
    pub reviewer: u32,
    /// The request of the school they review.
    pub reviews: u32,
    pub cost: i32,
}

/// A reciprocal pair (two legs) or triad (three), legs in cycle order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrangement {
    pub legs: Vec<Leg>,
    pub cost: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    /// By the first leg's school.
    pub arrangements: Vec<Arrangement>,
    /// Schools in an arrangement.
    pub schools: u32,
    pub cost: i64,
    /// The search finished: no choice of arrangements has more schools, or as many at a lower
    /// cost.
    pub optimal: bool,
    /// Schools with at least one possible arrangement: no plan has more.
    pub schools_bound: u32,
    /// No plan with as many schools costs less (equal to `cost` when the search proves it).
    pub cost_bound: i64,
}

#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub triads: bool,
    pub node_budget: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            triads: true,
            node_budget: 1_000_000,
        }
    }
}

/// Proposes reciprocal pairs (and triads when `options.triads`) among `schools`, using only
/// `candidates` whose reviewer has `capacity` left. See the module documentation.
pub fn propose(
    schools: &[OptedIn],
    candidates: &[Candidate],
    capacity: &[u32],
    options: Options,
) -> Proposal {
    let legs = best_legs(schools, candidates, capacity);
    let (possible, k) = arrangements(schools.len(), &legs, options.triads);
    let mut search = Packing::new(schools.len(), &possible);
    let root_bound6 = search.bound6(0);
    let pairs = best_pairs(schools.len(), &possible);
    let finished = match pairs {
        // Pairs only: the matching is the answer.
        Some(pairs) if !options.triads => {
            search.offer(pairs);
            true
        }
        // With triads, the best pairs are the plan to beat.
        Some(pairs) => {
            search.offer(pairs);
            search.run(options.node_budget)
        }
        None => search.run(options.node_budget),
    };
    let schools_bound = (0..schools.len())
        .filter(|&s| !search.by_school[s].is_empty())
        .count() as u32;
    let mut arrangements: Vec<Arrangement> = search
        .best
        .iter()
        .map(|&i| {
            let legs = possible[i].legs.clone();
            Arrangement {
                cost: legs.iter().map(|l| i64::from(l.cost)).sum(),
                legs,
            }
        })
        .collect();
    arrangements.sort_by_key(|a| a.legs[0].from);
    let schools_in: u32 = arrangements.iter().map(|a| a.legs.len() as u32).sum();
    // Any plan with `schools_in` schools weighs `schools_in * K - cost`, at most the root
    // bound: so its cost is at least this.
    let cost_bound = i128::from(schools_in) * k - root_bound6.div_euclid(6);
    Proposal {
        cost_bound: i64::try_from(cost_bound).unwrap_or(i64::MIN),
        schools: schools_in,
        cost: arrangements.iter().map(|a| a.cost).sum(),
        arrangements,
        optimal: finished,
        schools_bound,
    }
}

/// For each ordered pair of opted-in schools (by position in `schools`), the cheapest leg.
fn best_legs(
    schools: &[OptedIn],
    candidates: &[Candidate],
    capacity: &[u32],
) -> HashMap<(usize, usize), Leg> {
    let position: HashMap<u32, usize> = schools
        .iter()
        .enumerate()
        .map(|(i, s)| (s.request, i))
        .collect();
    let works_at: HashMap<u32, usize> = schools
        .iter()
        .enumerate()
        .flat_map(|(i, s)| s.reviewers.iter().map(move |&r| (r, i)))
        .collect();
    let mut legs: HashMap<(usize, usize), Leg> = HashMap::new();
    for c in candidates {
        let (Some(&to), Some(&from)) = (position.get(&c.request), works_at.get(&c.reviewer)) else {
            continue;
        };
        if from == to
            || capacity
                .get(c.reviewer as usize)
                .is_none_or(|&room| room == 0)
        {
            continue;
        }
        let leg = Leg {
            from: schools[from].request,
            reviewer: c.reviewer,
            reviews: c.request,
            cost: c.cost,
        };
        legs.entry((from, to))
            .and_modify(|best| {
                if (leg.cost, leg.reviewer) < (best.cost, best.reviewer) {
                    *best = leg;
                }
            })
            .or_insert(leg);
    }
    legs
}

/// An arrangement's weight per school, times 6 (whole for pairs and triads alike); weights are
/// positive, so every share is.
fn share6(p: &Possible) -> i128 {
    p.weight * 6 / p.schools.len() as i128
}

/// A possible arrangement: its schools (positions) and legs.
struct Possible {
    schools: Vec<usize>,
    legs: Vec<Leg>,
    weight: i128,
}

/// The possible arrangements, and `K`, the weight of one school in an arrangement.
fn arrangements(
    n: usize,
    legs: &HashMap<(usize, usize), Leg>,
    triads: bool,
) -> (Vec<Possible>, i128) {
    let mut out_of: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(from, to) in legs.keys() {
        out_of[from].push(to);
    }
    for list in &mut out_of {
        list.sort_unstable();
    }
    let cycle_cost = |cycle: &[usize]| -> i64 {
        (0..cycle.len())
            .map(|i| i64::from(legs[&(cycle[i], cycle[(i + 1) % cycle.len()])].cost))
            .sum()
    };
    // Every cycle once, from its lowest school; of a triad's two directions, the cheaper.
    let mut cycles: Vec<Vec<usize>> = Vec::new();
    let mut triangles: HashMap<[usize; 3], (i64, [usize; 3])> = HashMap::new();
    for a in 0..n {
        for &b in out_of[a].iter().filter(|&&b| b > a) {
            if legs.contains_key(&(b, a)) {
                cycles.push(vec![a, b]);
            }
            if !triads {
                continue;
            }
            for &c in out_of[b].iter().filter(|&&c| c > a && c != b) {
                if !legs.contains_key(&(c, a)) {
                    continue;
                }
                let cycle = [a, b, c];
                let cost = cycle_cost(&cycle);
                let key = [a, b.min(c), b.max(c)];
                let best = triangles.entry(key).or_insert((cost, cycle));
                if (cost, cycle) < *best {
                    *best = (cost, cycle);
                }
            }
        }
    }
    let mut triangles: Vec<[usize; 3]> = triangles.into_values().map(|(_, c)| c).collect();
    triangles.sort_unstable();
    cycles.extend(triangles.iter().map(|t| t.to_vec()));
    let max_cost = cycles
        .iter()
        .map(|c| cycle_cost(c).unsigned_abs())
        .max()
        .unwrap_or(0);
    let k = i128::from(max_cost) * (n as i128 + 1) + 1;
    let possible = cycles
        .into_iter()
        .map(|schools| {
            let legs: Vec<Leg> = (0..schools.len())
                .map(|i| legs[&(schools[i], schools[(i + 1) % schools.len()])])
                .collect();
            let weight = schools.len() as i128 * k - i128::from(cycle_cost(&schools));
            Possible {
                schools,
                legs,
                weight,
            }
        })
        .collect();
    (possible, k)
}

/// The best set of pairs alone (a maximum-weight matching, exact); `None` when the weights are
/// too large for the matching's integers (then the branch and bound decides alone).
fn best_pairs(n: usize, possible: &[Possible]) -> Option<Vec<usize>> {
    let mut edges = Vec::new();
    let mut which = HashMap::new();
    for (i, p) in possible.iter().enumerate() {
        if let [a, b] = p.schools[..] {
            let weight = i64::try_from(p.weight).ok()?;
            if weight > i64::MAX / 8 {
                return None;
            }
            edges.push((a, b, weight));
            which.insert((a.min(b), a.max(b)), i);
        }
    }
    let mate = blossom::max_weight_matching(n, &edges);
    Some(
        mate.iter()
            .enumerate()
            .filter_map(|(a, m)| m.filter(|&b| a < b).map(|b| which[&(a, b)]))
            .collect(),
    )
}

/// The branch and bound over arrangements.
struct Packing<'a> {
    possible: &'a [Possible],
    /// For each school, the arrangements it is in, best weight first.
    by_school: Vec<Vec<usize>>,
    /// The same, best share (weight per school, times 6) first.
    by_share: Vec<Vec<usize>>,
    taken: Vec<bool>,
    chosen: Vec<usize>,
    best: Vec<usize>,
    best_weight: i128,
    found: bool,
    nodes: u64,
}

impl<'a> Packing<'a> {
    fn new(n: usize, possible: &'a [Possible]) -> Self {
        let mut by_school = vec![Vec::new(); n];
        for (i, p) in possible.iter().enumerate() {
            for &s in &p.schools {
                by_school[s].push(i);
            }
        }
        let mut by_share = by_school.clone();
        for list in &mut by_school {
            list.sort_by_key(|&i| std::cmp::Reverse(possible[i].weight));
        }
        for list in &mut by_share {
            list.sort_by_key(|&i| std::cmp::Reverse(share6(&possible[i])));
        }
        Packing {
            possible,
            by_school,
            by_share,
            taken: vec![false; n],
            chosen: Vec::new(),
            best: Vec::new(),
            best_weight: 0,
            found: false,
            nodes: 0,
        }
    }

    /// True when the search finished within the budget (the best plan is optimal).
    fn run(&mut self, budget: u64) -> bool {
        self.branch(0, 0, budget)
    }

    fn open(&self, i: usize) -> bool {
        self.possible[i].schools.iter().all(|&s| !self.taken[s])
    }

    /// What the undecided schools from `from` on could add at most, times 6 (so the shares
    /// of pairs and triads are whole numbers): each its best share of an open arrangement.
    fn bound6(&self, from: usize) -> i128 {
        (from..self.taken.len())
            .filter(|&s| !self.taken[s])
            .filter_map(|s| {
                self.by_share[s]
                    .iter()
                    .find(|&&i| self.open(i))
                    .map(|&i| share6(&self.possible[i]))
            })
            .sum()
    }

    /// Takes `chosen` as the best plan so far (a plan found another way).
    fn offer(&mut self, chosen: Vec<usize>) {
        let weight = chosen.iter().map(|&i| self.possible[i].weight).sum();
        if !self.found || weight > self.best_weight {
            self.found = true;
            self.best_weight = weight;
            self.best = chosen;
        }
    }

    fn branch(&mut self, from: usize, weight: i128, budget: u64) -> bool {
        self.nodes += 1;
        if self.found && self.nodes > budget {
            return false;
        }
        let Some(school) = (from..self.taken.len()).find(|&s| !self.taken[s]) else {
            self.record(weight);
            return true;
        };
        if self.found && weight * 6 + self.bound6(school) <= self.best_weight * 6 {
            return true;
        }
        let options: Vec<usize> = self.by_school[school]
            .iter()
            .copied()
            .filter(|&i| self.open(i))
            .collect();
        for i in options {
            for &s in &self.possible[i].schools {
                self.taken[s] = true;
            }
            self.chosen.push(i);
            let finished = self.branch(school + 1, weight + self.possible[i].weight, budget);
            self.chosen.pop();
            for &s in &self.possible[i].schools {
                self.taken[s] = false;
            }
            if !finished {
                return false;
            }
        }
        // The school stays out of every arrangement.
        self.taken[school] = true;
        let finished = self.branch(school + 1, weight, budget);
        self.taken[school] = false;
        finished
    }

    fn record(&mut self, weight: i128) {
        if !self.found || weight > self.best_weight {
            self.offer(self.chosen.clone());
        }
    }
}
