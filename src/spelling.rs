//! Nearest names, for messages about a misspelt name: the setting, variable, catalog field or
//! vocabulary value a user most likely meant. A pure leaf: it imports nothing of the crate.

/// The number of single-character insertions, deletions and substitutions that turn `a` into
/// `b` (Levenshtein distance).
#[must_use]
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substituted = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substituted.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

/// The candidate nearest to `input` (ignoring letter case), if one is within a few edits of it:
/// what a misspelt name most likely meant.
#[must_use]
pub(crate) fn nearest<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    nearest_by(input, candidates, str::to_ascii_lowercase)
}

/// Like [`nearest`], comparing the names as `normal` writes them (`normal` decides which
/// differences do not count, such as letter case).
pub(crate) fn nearest_by<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    normal: impl Fn(&str) -> String,
) -> Option<&'a str> {
    let input = normal(input);
    let most = (input.len() / 4).max(2);
    candidates
        .into_iter()
        .map(|c| (edit_distance(&input, &normal(c)), c))
        .filter(|(d, _)| *d <= most)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_name_is_found_within_a_few_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        let keys = ["brokers", "group_id", "client_id"];
        assert_eq!(nearest("brokerz", keys), Some("brokers"));
        assert_eq!(nearest("GROUP_ID", keys), Some("group_id"));
        assert_eq!(nearest("something_else", keys), None);
    }
}
