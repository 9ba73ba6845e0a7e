//! Weighing every split of a line: a shortest path from the start of the line to its end,
//! through the boundaries between slots, each edge a candidate text for one slot at its cost.
//!
//! The boundaries and edges of all slots are kept in two flat lists (each slot's run of them
//! marked by where it starts), so that weighing a line allocates a few lists rather than two
//! per slot.

use super::super::pattern::Pattern;
use super::seps::{Mark, Seps};
use super::{Failure, MAX_EDGES, MAX_STATES, Split, candidates};

/// No cost at all: no path, or no limit.
pub(super) const INF: u32 = u32::MAX;

/// A boundary between slot texts: where the next slot's text starts.
#[derive(Debug, Clone, Copy)]
struct State {
    /// Where the next slot's text starts.
    at: Mark,
    /// Separators beyond the template's own in the text before `pos`.
    used: usize,
    /// Least cost from the start.
    f: u32,
    /// Least cost to the end.
    g: u32,
    /// Number of least-cost ways to the end, up to 2.
    ways: u8,
}

/// One slot's candidate text, from one boundary to the next (indices into the list of
/// boundaries).
#[derive(Debug, Clone, Copy)]
struct Edge {
    from: usize,
    to: usize,
    end: usize,
    cost: u32,
}

/// Keeps the failure furthest into the template; at the same depth, a value that does not fit
/// says more than a missing separator.
fn keep_deepest(p: &Pattern, deepest: &mut Option<Failure>, e: Failure) {
    let deeper = deepest.as_ref().is_none_or(|d| {
        let (new, old) = (e.depth(p), d.depth(p));
        new > old
            || (new == old
                && matches!(e, Failure::Value { .. })
                && !matches!(d, Failure::Value { .. }))
    });
    if deeper {
        *deepest = Some(e);
    }
}

/// Weighs every split: a shortest path from the start of the line to its end, through slot
/// boundaries.
///
/// Only splits costing at most `limit` are looked at: the boundaries reached at a greater cost,
/// and the candidates that would lead past it, are left out. When some split costs at most
/// `limit`, the best ones all do, and so does every boundary and edge on their paths: the
/// result is the same as without a limit, provided leaving edges out cannot spare the line
/// from being refused as too ambiguous (`bounded`). `Ok(None)` when no split costs at most
/// `limit` (never without one, [`INF`]).
pub(super) fn weigh(
    p: &Pattern,
    b: &[u8],
    seps: &Seps,
    surplus: usize,
    limit: u32,
) -> Result<Option<Split>, Failure> {
    let n = p.slots.len();
    // The boundaries of slot `i` are `states[levels[i]..levels[i + 1]]`; its edges
    // `edges[runs[i]..runs[i + 1]]`.
    let mut states: Vec<State> = Vec::with_capacity(4 * (n + 1));
    let mut levels: Vec<usize> = Vec::with_capacity(n + 2);
    let mut edges: Vec<Edge> = Vec::with_capacity(8 * n);
    let mut runs: Vec<usize> = Vec::with_capacity(n + 1);
    levels.extend([0, 1]);
    runs.push(0);
    states.push(State {
        at: seps.mark(p.lead.len()),
        used: 0,
        f: 0,
        g: INF,
        ways: 0,
    });
    let mut deepest: Option<Failure> = None;
    for i in 0..n {
        let (here, next) = (levels[i]..levels[i + 1], levels[i + 1]);
        let after = &p.slots[i].after;
        for from in here {
            let state = states[from];
            let budget = surplus.saturating_sub(state.used);
            let result = candidates(p, b, seps, i, state.at, budget, |end, extra, cost| {
                let f = state.f.saturating_add(cost);
                if f > limit {
                    return;
                }
                let to_at = seps.past(end, after);
                // Few boundaries per slot (one per way of placing the surplus so far): a
                // linear search finds the one this edge reaches.
                let to = match states[next..].iter().position(|s| s.at.pos == to_at.pos) {
                    Some(k) => next + k,
                    None => {
                        states.push(State {
                            at: to_at,
                            used: state.used + extra,
                            f: INF,
                            g: INF,
                            ways: 0,
                        });
                        states.len() - 1
                    }
                };
                states[to].f = states[to].f.min(f);
                edges.push(Edge {
                    from,
                    to,
                    end: end.pos,
                    cost,
                });
            });
            if let Err(e) = result {
                keep_deepest(p, &mut deepest, e);
            }
        }
        levels.push(states.len());
        runs.push(edges.len());
        if edges.len() > MAX_EDGES || states.len() - next > MAX_STATES {
            return Err(Failure::TooAmbiguous);
        }
        if states.len() == next {
            if limit < INF {
                return Ok(None);
            }
            return Err(deepest.unwrap_or(Failure::Literal { slot: i, at: 0 }));
        }
    }
    // Least cost to the end, and how many ways reach it, from the last level back.
    for s in &mut states[levels[n]..] {
        s.g = 0;
        s.ways = 1;
    }
    for i in (0..n).rev() {
        let run = &edges[runs[i]..runs[i + 1]];
        for e in run {
            let to_g = states[e.to].g;
            let via = to_g.saturating_add(e.cost);
            if to_g != INF && via < states[e.from].g {
                states[e.from].g = via;
            }
        }
        for e in run {
            let to = states[e.to];
            if to.g != INF && to.g.saturating_add(e.cost) == states[e.from].g {
                let from = &mut states[e.from];
                from.ways = from.ways.saturating_add(to.ways).min(2);
            }
        }
    }
    let best = states[0].g;
    if best > limit {
        return Ok(None);
    }
    if best == INF {
        return Err(deepest.unwrap_or(Failure::Literal { slot: 0, at: 0 }));
    }
    // The chosen split: from the start, the optimal edge with the longest text.
    let mut spans = Vec::with_capacity(n);
    let mut cur = 0;
    for i in 0..n {
        let here = states[cur];
        let chosen = edges[runs[i]..runs[i + 1]]
            .iter()
            .filter(|e| e.from == cur && states[e.to].g.saturating_add(e.cost) == here.g)
            .max_by_key(|e| e.end)
            .expect("an optimal edge leaves every state on an optimal path");
        spans.push((here.at.pos, chosen.end));
        cur = chosen.to;
    }
    let mut ambiguous = Vec::new();
    if states[0].ways > 1 {
        for i in 0..n {
            let mut seen: Option<(usize, usize)> = None;
            for e in &edges[runs[i]..runs[i + 1]] {
                let (from, to) = (states[e.from], states[e.to]);
                if from.f == INF || to.g == INF {
                    continue;
                }
                if from.f.saturating_add(e.cost).saturating_add(to.g) != best {
                    continue;
                }
                let span = (from.at.pos, e.end);
                match seen {
                    None => seen = Some(span),
                    Some(s) if s != span => {
                        ambiguous.push(i);
                        break;
                    }
                    Some(_) => {}
                }
            }
        }
    }
    Ok(Some(Split {
        spans,
        ambiguous,
        cost: best,
    }))
}
