//! The assignment problem's input, its checks, and the plan it gives back.

use std::collections::{HashMap, HashSet};

use crate::flow::{Arc, Network, Refused};

/// A pair that passes every hard rule: `reviewer` may review `request`, at `cost` (lower is
/// better; today's points, negated, are a cost). Requests and reviewers are numbered from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub request: u32,
    pub reviewer: u32,
    pub cost: i32,
}

/// A request and a reviewer, for pins and forbids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pair {
    pub request: u32,
    pub reviewer: u32,
}

/// Everything the solver needs. `wanted[q]` is how many distinct reviewers request `q` still
/// needs (1 for a lead, 2 for a review team); `capacity[r]` how many more reviews reviewer `r`
/// can take in the term. `candidates` lists each allowed pair once.
#[derive(Debug, Clone, Copy)]
pub struct Problem<'a> {
    pub wanted: &'a [u32],
    pub capacity: &'a [u32],
    pub candidates: &'a [Candidate],
    /// Pairs the plan must use (each must be a candidate).
    pub pins: &'a [Pair],
    /// Pairs the plan must not use.
    pub forbids: &'a [Pair],
}

/// One reviewer on one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assignment {
    pub request: u32,
    pub reviewer: u32,
    pub cost: i32,
    /// The coordinator pinned it.
    pub pinned: bool,
}

/// A request the plan leaves without a full team.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shortfall {
    pub request: u32,
    pub wanted: u32,
    pub assigned: u32,
}

/// An optimal plan: the most places filled, and of those plans the lowest total cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// By request, then reviewer.
    pub assignments: Vec<Assignment>,
    /// Places filled (pins included).
    pub assigned: u64,
    /// Total cost of the assignments (pins included).
    pub cost: i64,
    /// Requests with fewer reviewers than they want, by request.
    pub short: Vec<Shortfall>,
}

/// Why a problem cannot be planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("candidate pair {index} names request {request}, but there are only {requests}")]
    UnknownRequest {
        index: usize,
        request: u32,
        requests: usize,
    },
    #[error("candidate pair {index} names reviewer {reviewer}, but there are only {reviewers}")]
    UnknownReviewer {
        index: usize,
        reviewer: u32,
        reviewers: usize,
    },
    #[error(
        "request {} and reviewer {} are listed twice as candidates",
        .0.request,
        .0.reviewer
    )]
    DuplicateCandidate(Pair),
    #[error(
        "the pin of reviewer {} to request {} is not a candidate pair (a hard rule rules it out)",
        .0.reviewer,
        .0.request
    )]
    PinNotCandidate(Pair),
    #[error(
        "reviewer {} is both pinned to and forbidden for request {}",
        .0.reviewer,
        .0.request
    )]
    PinnedAndForbidden(Pair),
    #[error("request {request} has {pins} pinned reviewers but wants only {wanted}")]
    TooManyPinsForRequest {
        request: u32,
        pins: u32,
        wanted: u32,
    },
    #[error("reviewer {reviewer} is pinned to {pins} requests but can take only {capacity}")]
    TooManyPinsForReviewer {
        reviewer: u32,
        pins: u32,
        capacity: u32,
    },
    #[error(
        "too large to plan: more than 2^31 requests or reviewers, 2^32 candidate pairs, or \
         costs spread too wide for that many places"
    )]
    TooLarge,
}

/// Solves `problem` exactly: see the crate documentation for the method.
pub fn plan(problem: &Problem<'_>) -> Result<Plan, PlanError> {
    let requests = problem.wanted.len();
    let reviewers = problem.capacity.len();
    if requests >= 1 << 31 || reviewers >= 1 << 31 || problem.candidates.len() >= 1 << 32 {
        return Err(PlanError::TooLarge);
    }
    let pinned = check_pins(problem)?;
    let forbidden: HashSet<Pair> = problem.forbids.iter().copied().collect();
    // Pins are placed before the solve; forbidden pairs are no candidates. Only the few
    // requests named by a pin or forbid need a look-up.
    let mut named = vec![false; requests];
    for pair in pinned.keys().chain(&forbidden) {
        if let Some(flag) = named.get_mut(pair.request as usize) {
            *flag = true;
        }
    }
    let skip = |c: &Candidate| {
        let pair = Pair {
            request: c.request,
            reviewer: c.reviewer,
        };
        named[c.request as usize] && (pinned.contains_key(&pair) || forbidden.contains(&pair))
    };
    let skipping = !pinned.is_empty() || !forbidden.is_empty();

    // Pins take their places first; the solver fills what is left.
    let mut wanted = problem.wanted.to_vec();
    let mut capacity = problem.capacity.to_vec();
    let mut assignments = Vec::new();
    let mut pin_cost = 0_i64;
    for (pair, cost) in pin_list(&pinned) {
        wanted[pair.request as usize] -= 1;
        capacity[pair.reviewer as usize] -= 1;
        pin_cost += i64::from(cost);
        assignments.push(Assignment {
            request: pair.request,
            reviewer: pair.reviewer,
            cost,
            pinned: true,
        });
    }

    // Rows are the side with fewer units to place: each unit costs one search, and the
    // searches that fail (a unit nobody can take) are the expensive ones.
    let by_request = sum(&wanted) <= sum(&capacity);
    let (supply, room) = if by_request {
        (wanted.clone(), capacity)
    } else {
        (capacity, wanted.clone())
    };
    let row_of = |c: &Candidate| if by_request { c.request } else { c.reviewer };
    let col_of = |c: &Candidate| if by_request { c.reviewer } else { c.request };

    // Two passes over the candidates: check and count each row's arcs, then fill them in.
    let mut head = vec![0_u32; supply.len() + 1];
    let mut min_cost = i32::MAX;
    for (index, c) in problem.candidates.iter().enumerate() {
        check_numbers(index, c, requests, reviewers)?;
        min_cost = min_cost.min(c.cost);
        if !skipping || !skip(c) {
            head[row_of(c) as usize + 1] += 1;
        }
    }
    for r in 0..supply.len() {
        head[r + 1] += head[r];
    }
    let mut next = head.clone();
    let mut arcs = vec![Arc::new(0, 0); head[supply.len()] as usize];
    for c in problem.candidates {
        if skipping && skip(c) {
            continue;
        }
        let row = row_of(c) as usize;
        let shifted = (i64::from(c.cost) - i64::from(min_cost)) as u32;
        arcs[next[row] as usize] = Arc::new(col_of(c), shifted);
        next[row] += 1;
    }
    drop(next);

    let mut network = Network::new(head, arcs, supply, room).map_err(|refused| match refused {
        Refused::Duplicate { row, col } => {
            let (request, reviewer) = if by_request { (row, col) } else { (col, row) };
            // Listed twice, a pair could give a request the same reviewer twice.
            PlanError::DuplicateCandidate(Pair { request, reviewer })
        }
        Refused::TooWide => PlanError::TooLarge,
    })?;
    network.solve();

    let (head, arcs) = (network.head(), network.arcs());
    let mut cost = pin_cost;
    for row in 0..head.len() - 1 {
        for arc in &arcs[head[row] as usize..head[row + 1] as usize] {
            if !arc.used() {
                continue;
            }
            let (request, reviewer) = if by_request {
                (row as u32, arc.col())
            } else {
                (arc.col(), row as u32)
            };
            let arc_cost = (i64::from(arc.cost()) + i64::from(min_cost)) as i32;
            cost += i64::from(arc_cost);
            assignments.push(Assignment {
                request,
                reviewer,
                cost: arc_cost,
                pinned: false,
            });
        }
    }
    assignments.sort_unstable_by_key(|a| (a.request, a.reviewer));
    let mut got = vec![0_u32; requests];
    for a in &assignments {
        got[a.request as usize] += 1;
    }
    let short = problem
        .wanted
        .iter()
        .zip(&got)
        .enumerate()
        .filter(|(_, (w, g))| g < w)
        .map(|(request, (&wanted, &assigned))| Shortfall {
            request: request as u32,
            wanted,
            assigned,
        })
        .collect();
    Ok(Plan {
        assigned: assignments.len() as u64,
        assignments,
        cost,
        short,
    })
}

fn sum(units: &[u32]) -> u64 {
    units.iter().map(|&u| u64::from(u)).sum()
}

fn check_numbers(
    index: usize,
    c: &Candidate,
    requests: usize,
    reviewers: usize,
) -> Result<(), PlanError> {
    if c.request as usize >= requests {
        return Err(PlanError::UnknownRequest {
            index,
            request: c.request,
            requests,
        });
    }
    if c.reviewer as usize >= reviewers {
        return Err(PlanError::UnknownReviewer {
            index,
            reviewer: c.reviewer,
            reviewers,
        });
    }
    Ok(())
}

/// Checks the pins; returns each with its cost.
fn check_pins(problem: &Problem<'_>) -> Result<HashMap<Pair, i32>, PlanError> {
    let (requests, reviewers) = (problem.wanted.len(), problem.capacity.len());
    let mut pinned: HashMap<Pair, Option<i32>> = problem.pins.iter().map(|&p| (p, None)).collect();
    if !pinned.is_empty() {
        let mut named = vec![false; requests];
        for pair in problem.pins {
            if let Some(flag) = named.get_mut(pair.request as usize) {
                *flag = true;
            }
        }
        let named = |c: &Candidate| named.get(c.request as usize).copied().unwrap_or(false);
        for c in problem.candidates.iter().filter(|c| named(c)) {
            let pair = Pair {
                request: c.request,
                reviewer: c.reviewer,
            };
            if let Some(cost) = pinned.get_mut(&pair) {
                *cost = Some(c.cost);
            }
        }
    }
    let forbidden: HashSet<&Pair> = problem.forbids.iter().collect();
    let mut per_request: HashMap<u32, u32> = HashMap::new();
    let mut per_reviewer: HashMap<u32, u32> = HashMap::new();
    let mut costs = HashMap::with_capacity(pinned.len());
    for (pair, cost) in pinned {
        let known = (pair.request as usize) < requests && (pair.reviewer as usize) < reviewers;
        let (Some(cost), true) = (cost, known) else {
            return Err(PlanError::PinNotCandidate(pair));
        };
        if forbidden.contains(&pair) {
            return Err(PlanError::PinnedAndForbidden(pair));
        }
        *per_request.entry(pair.request).or_default() += 1;
        *per_reviewer.entry(pair.reviewer).or_default() += 1;
        costs.insert(pair, cost);
    }
    // The first (request or reviewer, pins, limit) with more pins than its limit allows.
    let over = |pins: HashMap<u32, u32>, limits: &[u32]| {
        pins.into_iter()
            .map(|(who, pins)| (who, pins, limits[who as usize]))
            .find(|(_, pins, limit)| pins > limit)
    };
    if let Some((request, pins, wanted)) = over(per_request, problem.wanted) {
        return Err(PlanError::TooManyPinsForRequest {
            request,
            pins,
            wanted,
        });
    }
    if let Some((reviewer, pins, capacity)) = over(per_reviewer, problem.capacity) {
        return Err(PlanError::TooManyPinsForReviewer {
            reviewer,
            pins,
            capacity,
        });
    }
    Ok(costs)
}

/// The pins in a fixed order, whatever the hash map's.
fn pin_list(pinned: &HashMap<Pair, i32>) -> Vec<(Pair, i32)> {
    let mut list: Vec<(Pair, i32)> = pinned.iter().map(|(&p, &c)| (p, c)).collect();
    list.sort_unstable();
    list
}
