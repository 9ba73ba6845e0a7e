//! Lists the vendor writes side by side, one item each per event: when the split of a line
//! leaves their cells in doubt, they share them evenly.

use super::super::pattern::Pattern;
use super::super::value;
use super::Split;

/// Lists the vendor writes side by side with one item each per event, so that they have the
/// same length: the inspection controls hit (as many as `InspectionControlsHitCount` says),
/// and the trusted networks with their names.
pub(super) const PARALLEL: [(&[&str], Option<&str>); 2] = [
    (
        &[
            "InspectionControls",
            "InspectionControlTypes",
            "InspectionControlCategories",
            "Actions",
            "Severities",
            "Descriptions",
        ],
        Some("InspectionControlsHitCount"),
    ),
    (&["TrustedNetworks", "TrustedNetworksNames"], None),
];

/// Settles an ambiguous run of parallel lists (`PARALLEL`) by giving each the same number of
/// the run's cells, when the cells divide evenly (by the count field's value, if the template
/// has one) and every list then holds valid items. Leaves the split alone otherwise.
pub(super) fn parallel(
    p: &Pattern,
    b: &[u8],
    split: &mut Split,
    (keys, count): (&[&str], Option<&str>),
) {
    let Some(first) = p
        .slots
        .iter()
        .position(|s| s.count == 1 && *p.fields[s.first].key == *keys[0])
    else {
        return;
    };
    let n = keys.len();
    let slots = first..first + n;
    let in_order = slots.clone().all(|i| {
        p.slots.get(i).is_some_and(|s| {
            s.count == 1
                && p.fields[s.first].list.is_some()
                && *p.fields[s.first].key == *keys[i - first]
        })
    });
    if !in_order || !slots.clone().any(|i| split.ambiguous.contains(&i)) {
        return;
    }
    let sep = &p.slots[first].cell_sep;
    if sep.len() != 1
        || slots
            .clone()
            .any(|i| p.slots[i].after[..] != sep[..] && i + 1 < first + n)
    {
        return;
    }
    let (start, end) = (split.spans[first].0, split.spans[first + n - 1].1);
    // Where each cell of the run starts, and the end of the run.
    let mut bounds: Vec<usize> = std::iter::once(start)
        .chain(memchr::memchr_iter(sep[0], &b[start..end]).map(|at| start + at + 1))
        .collect();
    let cells = bounds.len();
    bounds.push(end + 1);
    let hits = count.and_then(|key| {
        let slot = p
            .slots
            .iter()
            .position(|s| s.count == 1 && *p.fields[s.first].key == *key)?;
        let (s, e) = split.spans[slot];
        std::str::from_utf8(&b[s..e])
            .ok()?
            .trim()
            .parse::<usize>()
            .ok()
    });
    let per = match hits {
        Some(0) if cells == n => 1,
        Some(k) if k * n == cells => k,
        None if count.is_none() && cells.is_multiple_of(n) => cells / n,
        _ => return,
    };
    let spans: Vec<(usize, usize)> = (0..n)
        .map(|j| (bounds[j * per], bounds[(j + 1) * per] - 1))
        .collect();
    let valid = spans
        .iter()
        .enumerate()
        .all(|(j, &(s, e))| value::check(&p.fields[p.slots[first + j].first], &b[s..e]).is_ok());
    if !valid {
        return;
    }
    split.spans[first..first + n].copy_from_slice(&spans);
    split.ambiguous.retain(|i| !slots.contains(i));
}
