//! Layering a catalog file over a catalog (`catalog.mode = "extend"`).
//!
//! An entry of the file replaces every entry of the catalog that shares a spelling with it, its
//! code or one of its aliases (ignoring letter case): so an entry written for either spelling of
//! a code with two takes over the one entry both name. The first entry replaced keeps its place,
//! the others leave; an entry that replaces nothing is added at the end. A spelling of a
//! replaced entry that no entry of the file names stays known, as an alias of the first entry
//! that replaced it: a file that redefines one spelling does not make the other unknown.

use rustc_hash::FxHashSet;

use super::{Catalog, CatalogEntry, CatalogError, CatalogFile, EntryId};

impl Catalog {
    /// Layers `overlay` on top of this catalog, as the module documentation describes. The
    /// version becomes `<base>+<overlay>`.
    ///
    /// # Errors
    /// Only when the result would have more entries than an index can hold.
    pub(crate) fn extend(&self, overlay: CatalogFile) -> Result<Self, CatalogError> {
        // Spellings the overlay names: they stay with the overlay's own entries.
        let named: FxHashSet<String> = overlay
            .entries
            .iter()
            .flat_map(CatalogEntry::spellings)
            .map(str::to_ascii_lowercase)
            .collect();
        let mut slots: Vec<Option<CatalogEntry>> = self.entries.iter().cloned().map(Some).collect();
        let mut taken = vec![false; self.entries.len()];
        let mut added = Vec::new();
        for mut entry in overlay.entries {
            let mut targets: Vec<EntryId> = entry
                .spellings()
                .filter_map(|s| self.folded.get(s.to_ascii_lowercase().as_str()).copied())
                .collect();
            targets.sort_unstable();
            targets.dedup();
            // Entries an earlier overlay entry replaced are gone already, with their spellings.
            targets.retain(|id| !taken[id.index()]);
            for id in &targets {
                taken[id.index()] = true;
                let inherited: Vec<String> = self
                    .entry(*id)
                    .spellings()
                    .filter(|s| !named.contains(&s.to_ascii_lowercase()))
                    .map(str::to_owned)
                    .collect();
                entry.aliases.extend(inherited);
                slots[id.index()] = None;
            }
            match targets.first() {
                Some(first) => slots[first.index()] = Some(entry),
                None => added.push(entry),
            }
        }
        let entries: Vec<CatalogEntry> = slots.into_iter().flatten().chain(added).collect();
        // An overlay that names this catalog's version already (an exported catalog loaded
        // back, edited or not) keeps its own; any other is added after a '+'.
        let version = if overlay.version == self.version
            || overlay
                .version
                .strip_prefix(self.version.as_str())
                .is_some_and(|rest| rest.starts_with('+'))
        {
            overlay.version
        } else {
            format!("{}+{}", self.version, overlay.version)
        };
        Self::new(version, entries)
    }
}
