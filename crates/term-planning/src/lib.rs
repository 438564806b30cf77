//! Term planning: every open request assigned to reviewers at once, exactly.
//!
//! Pure computation (no I/O, no clock, no AWS): the caller passes what each request wants, what
//! each reviewer can still take, and the candidate pairs that pass every hard rule of matching,
//! each with a cost. [`plan`] returns an assignment that fills the most places, and among those
//! has the lowest total cost, exactly. [`reciprocal`] proposes reciprocal pairs and triads.
//!
//! # The problem
//!
//! A min-cost flow on a bipartite network: a source gives request `q` up to `wanted[q]` units,
//! each candidate pair is an arc of capacity 1 (so a request never gets a reviewer twice), and
//! reviewer `r` passes up to `capacity[r]` units to the sink. "Most places first, then lowest
//! cost" is made one objective with a bypass: every unit may instead go to a bypass node at
//! cost `big`, where `big` is larger than any difference in total cost between two plans
//! (`(max cost + 1) * (units + 2)`, after shifting costs so the smallest is 0). One more unit
//! placed then always outweighs any saving in cost, and the plan is lexicographically optimal.
//!
//! # The method: successive shortest paths, one unit at a time, with potentials
//!
//! The side with fewer units in total (requests' places, or reviewers' capacity) gives the
//! *rows*; the other side the *columns*. Rows' units are placed one by one. For each unit,
//! Dijkstra's algorithm (binary heap) runs from its row over the residual network, in reduced
//! costs `c(u,v) + p(u) - p(v)`, which the potentials `p` keep non-negative: a free arc
//! row -> column costs its cost, an arc carrying a unit can be undone column -> row at minus its
//! cost, and the bypass is reachable from every row. The search stops at the first column with
//! room (or the bypass) it settles; the unit goes along that path (arcs on it flip), and every
//! node settled at distance `d` below the path's length `D` gets `p += d - D`. This is the
//! Hungarian method's shortest augmenting path, generalised to capacities; it keeps the flow a
//! min-cost flow for the units placed so far (no negative cycle in the residual network, as
//! the potentials certify), so when every unit is placed (in a column or the bypass) the plan
//! is optimal. Choosing the smaller side as rows keeps the searches that end at the bypass
//! (units nobody can take, which explore everything they can reach) as few as possible.
//!
//! Why it is fast: a search touches only what lies closer than the nearest free place, and
//! nothing else is reset between searches (arrays stamped with the search's number). Places
//! with room never enter the heap: the nearest one seen so far bounds the search, so a row
//! pushes only the full columns nearer than it, and skips an arc whose cost alone reaches the
//! bound before reading its column (potentials only ever fall from 0, so the cost is a lower
//! bound of the arc's reduced length). Most units find a column with room a few steps away:
//! at 6,000 schools a search settles about six nodes on average. A column's residual arcs
//! back to rows are only the units it holds (a small list per column), so the search fans out
//! only through rows. When a unit cannot be placed, its search reaches the bypass and lowers
//! the potentials of everything it explored by about `big`, so the next unit stuck in the same
//! region finds the bypass at once instead of exploring it again.
//!
//! Why it is lean: the arcs are one compressed sparse row array of 8 bytes per arc (column,
//! with a "carries a unit" bit, and cost), built in two counting passes; per node a few
//! numbers. No allocation per arc or per search.
//!
//! # Pins and forbids
//!
//! A pinned pair is placed before the solve (its request wants one fewer, its reviewer can
//! take one fewer) and is counted in the plan; a forbidden pair is not an arc. Fixing a
//! variable this way leaves the rest of the problem exact. A pin that is not a candidate pair,
//! that is also forbidden, or that over-fills a request or a reviewer is an error.

mod assignment;
mod flow;
pub mod reciprocal;

pub use assignment::{Assignment, Candidate, Pair, Plan, PlanError, Problem, Shortfall, plan};
