//! A JSON object written from a list of (dotted path, value) pairs: `client.ip` and
//! `client.port` become `"client":{"ip":..,"port":..}`.

use std::cmp::Ordering;

/// One field of the document: its dotted path and its value as JSON text.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pair<'a> {
    /// The dotted path, `event.code`.
    pub(super) path: &'a str,
    /// The path's segments, `["event", "code"]`.
    pub(super) segments: &'a [&'a str],
    /// The value, already JSON (`"x"`, `12`, `{"lat":1,"lon":2}`).
    pub(super) value: &'a [u8],
}

/// Compares two paths segment by segment, so that every path under `a.b` sorts right after
/// `a.b` and before any sibling such as `a.b-c` (a plain byte order would put `a.b-c` between
/// them, as `-` sorts before `.`).
pub(super) fn path_order(a: &str, b: &str) -> Ordering {
    let key = |c: u8| if c == b'.' { 0 } else { u16::from(c) + 1 };
    let (a, b) = (a.as_bytes(), b.as_bytes());
    for (&x, &y) in a.iter().zip(b) {
        match key(x).cmp(&key(y)) {
            Ordering::Equal => {}
            other => return other,
        }
    }
    a.len().cmp(&b.len())
}

/// True when `parent` names an object that holds `child` (`a.b` holds `a.b.c`).
fn holds(parent: &str, child: &str) -> bool {
    child.len() > parent.len()
        && child.as_bytes()[parent.len()] == b'.'
        && child.starts_with(parent)
}

/// Appends the JSON object the pairs describe, members in path order ([`path_order`]).
///
/// - The same path twice: the pair later in `pairs` wins, the other is left out.
/// - A path that is a value in one pair and holds others (`a.b` and `a.b.c`): the pair later
///   in `pairs` wins; a winning value drops every path under it, a winning path under it
///   drops the value.
///
/// Pairs already in path order are written without sorting.
pub(super) fn write_object(out: &mut Vec<u8>, pairs: &[Pair<'_>]) {
    let mut order: Vec<usize> = (0..pairs.len()).collect();
    if !pairs
        .windows(2)
        .all(|w| path_order(w[0].path, w[1].path) != Ordering::Greater)
    {
        // Stable: equal paths keep their order in `pairs`.
        order.sort_by(|&a, &b| path_order(pairs[a].path, pairs[b].path));
    }

    // The pairs that survive duplicates and conflicts, in path order.
    let mut kept: Vec<usize> = Vec::with_capacity(order.len());
    'next: for i in order {
        let path = pairs[i].path;
        if let Some(&last) = kept.last()
            && pairs[last].path == path
        {
            // Sorted stably, so `i` comes later in `pairs`.
            kept.pop();
            kept.push(i);
            continue;
        }
        while let Some(&last) = kept.last()
            && holds(pairs[last].path, path)
        {
            if last > i {
                continue 'next;
            }
            kept.pop();
        }
        kept.push(i);
    }

    out.push(b'{');
    // The segments of the objects currently open, outermost first.
    let mut open: Vec<&str> = Vec::with_capacity(8);
    for i in kept {
        let pair = pairs[i];
        let segments = pair.segments;
        let parents = segments.len() - 1;
        let common = open
            .iter()
            .zip(&segments[..parents])
            .take_while(|(a, b)| a == b)
            .count();
        for _ in common..open.len() {
            out.push(b'}');
        }
        open.truncate(common);
        for &seg in &segments[common..parents] {
            key(out, seg);
            out.push(b'{');
            open.push(seg);
        }
        key(out, segments[parents]);
        out.extend_from_slice(pair.value);
    }
    for _ in 0..open.len() {
        out.push(b'}');
    }
    out.push(b'}');
}

/// Writes `"name":`, after a comma unless it is the first member of its object. Names are
/// ECS path segments, which need no escaping.
fn key(out: &mut Vec<u8>, name: &str) {
    debug_assert!(
        !name.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\'),
        "{name}"
    );
    if out.last() != Some(&b'{') {
        out.push(b',');
    }
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
}
