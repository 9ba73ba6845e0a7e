//! The `zpa-enricher` binary: parse arguments, hand over to [`zpa_enricher::app::run`].

use std::process::ExitCode;

use clap::Parser;
use zpa_enricher::cli::Cli;

fn main() -> ExitCode {
    zpa_enricher::app::run(Cli::parse())
}
