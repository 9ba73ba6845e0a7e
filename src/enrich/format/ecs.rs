//! The Elastic Common Schema (ECS 8.11) document of a record.

use super::Record;

/// Options of the `ecs` output format (`[output.ecs]`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EcsOptions {
    /// Keep the record as received in `event.original`.
    pub keep_original: bool,
}

/// Appends the ECS document of `rec` to `out` (one JSON object, no line terminator).
pub(crate) fn write(out: &mut Vec<u8>, rec: &Record<'_>, opts: &EcsOptions) {
    let _ = (out, rec, opts);
    todo!()
}
