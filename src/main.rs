//! The `zpa-enricher` binary: the command line ([`cli`]) on top of the `zpa_enricher` library,
//! which is the service and its core.

use std::process::ExitCode;

use clap::Parser;

mod cli;

fn main() -> ExitCode {
    cli::run(cli::args::Cli::parse())
}
