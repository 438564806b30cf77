//! Successive shortest paths on the bipartite network (see the crate documentation).
//!
//! Nodes are numbered: rows `0..rows`, columns `rows..rows + cols`, then the bypass. A row is a
//! node with units to place (a request's places, or a reviewer's capacity, whichever side has
//! fewer units in total); a column has room for some units. Arcs run row -> column with
//! capacity 1. Each unit of a row is placed by one Dijkstra search from that row to the nearest
//! column with room, or to the bypass (cost `big`), in reduced costs.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The high bit of [`Arc::col`]: the arc carries its one unit.
const USED: u32 = 1 << 31;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Arc {
    /// The column, with [`USED`] set when the arc carries flow.
    col: u32,
    /// Never negative: the caller shifts costs so the smallest is 0.
    cost: u32,
}

impl Arc {
    pub(crate) fn new(col: u32, cost: u32) -> Arc {
        Arc { col, cost }
    }

    pub(crate) fn col(self) -> u32 {
        self.col & !USED
    }

    pub(crate) fn cost(self) -> u32 {
        self.cost
    }

    pub(crate) fn used(self) -> bool {
        self.col & USED != 0
    }
}

/// Why a network cannot be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Two arcs of `row` go to `col`.
    Duplicate { row: u32, col: u32 },
    /// The bypass cost, times a few, would not fit in an `i64`.
    TooWide,
}

/// The bypass's cost: more than any difference in total cost between two plans (each of at
/// most `placeable` units, costs 0 to `max_cost`), with room left in an `i64` for the
/// distances of a search (a path crosses the bypass once). `None` when it does not fit.
fn bypass_cost(max_cost: u32, placeable: i64) -> Option<i64> {
    let big = (i64::from(max_cost) + 1).checked_mul(placeable.checked_add(2)?)?;
    (big <= i64::MAX / 8).then_some(big)
}

/// An arc that carries flow, seen from its column: the residual arc back to its row.
#[derive(Debug, Clone, Copy, Default)]
struct Taken {
    arc: u32,
    row: u32,
}

/// The network in compressed sparse rows: the arcs of row `r` are `arcs[head[r]..head[r+1]]`.
pub(crate) struct Network {
    rows: usize,
    cols: usize,
    head: Vec<u32>,
    arcs: Vec<Arc>,
    supply: Vec<u32>,
    room: Vec<u32>,
    /// For each column, the arcs into it that carry flow: `taken[taken_head[c]..][..taken_len[c]]`.
    taken_head: Vec<u32>,
    taken_len: Vec<u32>,
    taken: Vec<Taken>,
    /// The bypass's cost: more than any difference in total real cost between two plans, so
    /// the number of units placed is maximised first.
    big: i64,
}

impl Network {
    /// `head` has `rows + 1` entries; each arc's column is below `room.len()`; `supply` has
    /// `rows` entries. Two arcs of one row to the same column are refused.
    pub(crate) fn new(
        head: Vec<u32>,
        arcs: Vec<Arc>,
        supply: Vec<u32>,
        room: Vec<u32>,
    ) -> Result<Self, Refused> {
        let rows = supply.len();
        let cols = room.len();
        debug_assert_eq!(head.len(), rows + 1);
        // One pass: each column's arcs, the largest cost, and no column twice in a row.
        let mut degree = vec![0_u32; cols];
        let mut last_row = vec![u32::MAX; cols];
        let mut max_cost = 0;
        for row in 0..rows {
            for arc in &arcs[head[row] as usize..head[row + 1] as usize] {
                let col = arc.col() as usize;
                if last_row[col] == row as u32 {
                    return Err(Refused::Duplicate {
                        row: row as u32,
                        col: col as u32,
                    });
                }
                last_row[col] = row as u32;
                degree[col] += 1;
                max_cost = max_cost.max(arc.cost);
            }
        }
        // A column never holds more units than it has room for, nor more than its arcs.
        let mut taken_head = Vec::with_capacity(cols + 1);
        let mut total = 0_u32;
        taken_head.push(0);
        for c in 0..cols {
            total += room[c].min(degree[c]);
            taken_head.push(total);
        }
        let placeable = (supply.iter().map(|&s| s as i64).sum::<i64>())
            .min(room.iter().map(|&r| r as i64).sum::<i64>())
            .min(arcs.len() as i64);
        let big = bypass_cost(max_cost, placeable).ok_or(Refused::TooWide)?;
        Ok(Network {
            rows,
            cols,
            head,
            arcs,
            taken_head,
            taken_len: vec![0; cols],
            taken: vec![Taken::default(); total as usize],
            big,
            supply,
            room,
        })
    }

    pub(crate) fn head(&self) -> &[u32] {
        &self.head
    }

    pub(crate) fn arcs(&self) -> &[Arc] {
        &self.arcs
    }

    /// Places every unit of every row, each along a shortest path; see the crate docs.
    pub(crate) fn solve(&mut self) {
        let mut search = Search::new(self.rows + self.cols + 1);
        for row in 0..self.rows {
            // A row places at most one unit per arc: more would only end at the bypass.
            let units = self.supply[row].min(self.head[row + 1] - self.head[row]);
            for _ in 0..units {
                self.place_one(row as u32, &mut search);
            }
        }
    }

    fn place_one(&mut self, source: u32, s: &mut Search) {
        let rows = self.rows as u32;
        let bypass = rows + self.cols as u32;
        s.start(source);
        // Places with room (columns with room, the bypass) never enter the heap: the best one
        // seen so far is `s.bound` away, and nothing at or past it is worth pushing.
        while let Some(Reverse((d, v))) = s.heap.pop() {
            if d >= s.bound {
                break;
            }
            let vi = v as usize;
            if s.done[vi] == s.epoch || d > s.dist[vi] {
                continue;
            }
            s.done[vi] = s.epoch;
            s.settled.push(v);
            let pv = s.pot[vi];
            if v >= rows {
                // A full column: undo one of its units, back to that unit's row.
                let c = (v - rows) as usize;
                let start = self.taken_head[c] as usize;
                for t in &self.taken[start..start + self.taken_len[c] as usize] {
                    let cost = self.arcs[t.arc as usize].cost as i64;
                    let nd = d + pv - s.pot[t.row as usize] - cost;
                    s.relax(t.row, nd, t.arc, v);
                }
            } else {
                let (lo, hi) = (self.head[vi] as usize, self.head[vi + 1] as usize);
                let base = d + pv;
                for (e, arc) in self.arcs[lo..hi].iter().enumerate() {
                    // Column potentials never rise above 0, so `base + cost` is the least
                    // this arc can reach: past the bound, skip it before touching the column.
                    if arc.used() || base + arc.cost as i64 >= s.bound {
                        continue;
                    }
                    let w = rows + arc.col;
                    let nd = base + arc.cost as i64 - s.pot[w as usize];
                    if self.room[arc.col as usize] > 0 {
                        s.reach(w, nd, (lo + e) as u32, v);
                    } else {
                        s.relax(w, nd, (lo + e) as u32, v);
                    }
                }
                s.reach(
                    bypass,
                    d + pv + self.big - s.pot[bypass as usize],
                    u32::MAX,
                    v,
                );
            }
        }
        let (target, reach) = (s.target, s.bound);
        // Nodes settled closer than the target move up to it: every residual arc keeps a
        // non-negative reduced cost, and the arcs of the path become tight. (Places with room
        // are never settled: their potential stays 0.)
        for &v in &s.settled {
            let v = v as usize;
            s.pot[v] += s.dist[v] - reach;
        }
        self.augment(source, target, s);
    }

    /// Flips the arcs of the path the search found, from `target` back to `source`.
    fn augment(&mut self, source: u32, target: u32, s: &Search) {
        let rows = self.rows as u32;
        // A unit sent to the bypass stays unplaced: only the path up to its row changes.
        let mut v = if target == rows + self.cols as u32 {
            s.pred_node[target as usize]
        } else {
            self.room[(target - rows) as usize] -= 1;
            target
        };
        while v != source {
            let arc = s.pred_arc[v as usize];
            let from = s.pred_node[v as usize];
            if v >= rows {
                // Reached along a free arc from row `from`: the arc now carries the unit.
                let c = (v - rows) as usize;
                self.arcs[arc as usize].col |= USED;
                let slot = (self.taken_head[c] + self.taken_len[c]) as usize;
                self.taken[slot] = Taken { arc, row: from };
                self.taken_len[c] += 1;
            } else {
                // Reached back along a used arc from column `from`: it gives its unit up.
                let c = (from - rows) as usize;
                self.arcs[arc as usize].col &= !USED;
                let start = self.taken_head[c] as usize;
                let len = self.taken_len[c] as usize;
                let list = &mut self.taken[start..start + len];
                let at = list
                    .iter()
                    .position(|t| t.arc == arc)
                    .expect("a used arc is listed at its column");
                list[at] = list[len - 1];
                self.taken_len[c] -= 1;
            }
            v = from;
        }
    }
}

/// Dijkstra's working arrays, kept across searches: an epoch stamp marks what the current
/// search has written, so no search clears more than it touched.
struct Search {
    pot: Vec<i64>,
    dist: Vec<i64>,
    seen: Vec<u32>,
    done: Vec<u32>,
    pred_arc: Vec<u32>,
    pred_node: Vec<u32>,
    settled: Vec<u32>,
    heap: BinaryHeap<Reverse<(i64, u32)>>,
    epoch: u32,
    /// The nearest place with room seen so far, and how far it is.
    target: u32,
    bound: i64,
}

impl Search {
    fn new(nodes: usize) -> Self {
        Search {
            pot: vec![0; nodes],
            dist: vec![0; nodes],
            seen: vec![0; nodes],
            done: vec![0; nodes],
            pred_arc: vec![0; nodes],
            pred_node: vec![0; nodes],
            settled: Vec::new(),
            heap: BinaryHeap::new(),
            epoch: 0,
            target: u32::MAX,
            bound: i64::MAX,
        }
    }

    fn start(&mut self, source: u32) {
        self.epoch += 1;
        self.settled.clear();
        self.heap.clear();
        self.target = u32::MAX;
        self.bound = i64::MAX;
        let s = source as usize;
        self.seen[s] = self.epoch;
        self.dist[s] = 0;
        self.heap.push(Reverse((0, source)));
    }

    /// A place with room at `nd`: the target if it is the nearest yet.
    #[inline]
    fn reach(&mut self, w: u32, nd: i64, arc: u32, from: u32) {
        if nd < self.bound {
            self.bound = nd;
            self.target = w;
            self.pred_arc[w as usize] = arc;
            self.pred_node[w as usize] = from;
        }
    }

    #[inline]
    fn relax(&mut self, w: u32, nd: i64, arc: u32, from: u32) {
        let wi = w as usize;
        if nd < self.bound && (self.seen[wi] != self.epoch || nd < self.dist[wi]) {
            self.seen[wi] = self.epoch;
            self.dist[wi] = nd;
            self.pred_arc[wi] = arc;
            self.pred_node[wi] = from;
            self.heap.push(Reverse((nd, w)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::bypass_cost;

    #[test]
    fn the_bypass_outweighs_every_plan_or_is_refused() {
        assert_eq!(bypass_cost(0, 0), Some(2));
        assert_eq!(bypass_cost(1000, 9068), Some(1001 * 9070));
        assert_eq!(
            bypass_cost(u32::MAX, 1 << 20),
            Some((1 << 32) * ((1 << 20) + 2))
        );
        assert_eq!(bypass_cost(u32::MAX, 1 << 40), None);
        assert_eq!(bypass_cost(u32::MAX, i64::MAX), None);
    }
}
