//! The command-line commands, each a thin layer over the library: argument handling, files and
//! terminal output. No enrichment logic lives here.

pub(super) mod catalog;
pub(super) mod enrich;
pub(super) mod generate;
pub(super) mod healthcheck;
pub(super) mod sync;
