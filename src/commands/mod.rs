//! The command-line commands, each a thin layer over the library: argument handling, files and
//! terminal output. No enrichment logic lives here.

pub mod catalog;
pub mod enrich;
pub mod generate;
pub mod healthcheck;
