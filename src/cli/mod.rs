//! The command line: argument parsing ([`args`]), the file-and-pipe commands ([`commands`]),
//! the demo ([`demo`]), logging set-up ([`telemetry`]) and standard streams ([`stdio`]), and
//! the dispatch below: settings, logging, catalog, then the chosen command. Maps failures to
//! exit codes. The library never imports any of it.
//!
//! Exit codes: 0 success; 1 runtime failure (I/O, the vendor's API); 2 bad command line (from
//! clap); 3 differences found by `catalog sync` or `catalog diff`; 64 bad settings or catalog;
//! 65 an invalid record under `--on-invalid fail`.

pub(crate) mod args;
mod commands;
mod demo;
mod stdio;
mod telemetry;

use std::fs::File;
use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::Arc;

use zpa_enricher::catalog::{self, Catalog};
use zpa_enricher::config::{CatalogMode, Settings, Sources};
use zpa_enricher::enrich::Enricher;
use zpa_enricher::errors::error_chain;
use zpa_enricher::service::ServiceError;

use args::{
    CatalogCommand, Cli, Command, DemoArgs, EnrichArgs, GenerateArgs, HealthcheckArgs, RunArgs,
};
use stdio::writing;

/// Exit status for bad settings or catalog (`EX_USAGE`).
pub(crate) const EXIT_CONFIG: u8 = 64;
/// Exit status for invalid input under `--on-invalid fail` (`EX_DATAERR`).
pub(crate) const EXIT_DATA: u8 = 65;
/// Exit status of `catalog sync` and `catalog diff` when something differs.
pub(crate) const EXIT_DIFFERENCES: u8 = 3;

/// Runs the parsed command line and returns the process exit code.
#[must_use]
pub(crate) fn run(cli: Cli) -> ExitCode {
    let mut overrides = Vec::new();
    if let Some(f) = cli.log_format {
        overrides.push(("log.format".to_owned(), f.as_str().into()));
    }
    if let Some(p) = &cli.catalog {
        overrides.push(("catalog.path".to_owned(), p.display().to_string().into()));
    }
    match &cli.command {
        Some(Command::Run(args)) => overrides.extend(args.overrides()),
        Some(Command::Receive(args)) => overrides.extend(args.overrides()),
        Some(Command::Demo(args)) => {
            overrides.push(("metrics.addr".to_owned(), args.metrics_addr.clone().into()));
        }
        Some(Command::Catalog(CatalogCommand::Sync(args))) => overrides.extend(args.overrides()),
        Some(
            Command::Enrich(EnrichArgs {
                format: Some(f), ..
            })
            | Command::Generate(GenerateArgs {
                format: Some(f), ..
            }),
        ) => {
            overrides.push(("output.format".to_owned(), f.as_str().into()));
        }
        _ => {}
    }
    let sources = Sources {
        file: cli.config.clone(),
        env: None,
        overrides,
        receive: matches!(cli.command, Some(Command::Receive(_))),
    };
    let (settings, warnings) = match Settings::load_with_warnings(&sources) {
        Ok(loaded) => (loaded.settings, loaded.warnings),
        Err(e) => {
            report_error(&e);
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    telemetry::init(settings.log.format, &settings.log.filter);
    for warning in &warnings {
        tracing::warn!("{warning}");
    }

    if cli.print_config {
        let text = settings.to_toml();
        return finish(
            io::stdout()
                .lock()
                .write_all(text.as_bytes())
                .map_err(writing("standard output")),
        );
    }
    let catalog = match catalog::load::load(
        settings.catalog.user_file(),
        settings.catalog.mode == CatalogMode::Replace,
    ) {
        Ok(c) => Arc::new(c),
        Err(e) => {
            report_error(&e);
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    if cli.check_config {
        let line = format!(
            "configuration OK: catalog version {} with {} entries\n",
            catalog.version(),
            catalog.len()
        );
        return finish(
            io::stdout()
                .lock()
                .write_all(line.as_bytes())
                .map_err(writing("standard output")),
        );
    }

    match cli.command {
        None => {
            report_message("no command given; try `zpa-enricher --help`");
            ExitCode::from(2)
        }
        Some(Command::Enrich(args)) => {
            if args.rejects.is_some() && args.on_invalid != commands::enrich::OnInvalid::Reject {
                report_message(
                    "--rejects FILE is only used with --on-invalid reject (invalid records would \
                     not go to it); add --on-invalid reject, or leave --rejects out",
                );
                return ExitCode::from(2);
            }
            if args.rejects.as_ref().is_some_and(|p| p == "-") {
                report_message(
                    "--rejects needs a file: \"-\" would be a file of that name here, and \
                     standard output carries the enriched records",
                );
                return ExitCode::from(2);
            }
            let enricher = Enricher::new(catalog, settings.enrich_options());
            let job = commands::enrich::EnrichJob {
                input: args.input,
                output: args.output,
                on_invalid: args.on_invalid,
                rejects: args.rejects,
                stats: args.stats,
            };
            match commands::enrich::run(&enricher, &job) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e @ commands::enrich::EnrichError::Invalid { .. }) => {
                    report_error(&e);
                    ExitCode::from(EXIT_DATA)
                }
                Err(commands::enrich::EnrichError::Io(e)) => finish(Err(e)),
                Err(e @ commands::enrich::EnrichError::SameFile { .. }) => {
                    report_error(&e);
                    ExitCode::from(2)
                }
                Err(e) => {
                    report_error(&e);
                    ExitCode::FAILURE
                }
            }
        }
        Some(Command::Catalog(cmd)) => run_catalog(&catalog, &settings, cmd),
        Some(Command::Healthcheck(args)) => run_healthcheck(&settings, &args),
        Some(Command::Run(args)) => run_service(&settings, catalog, &args),
        Some(Command::Receive(_)) => run_receive(&settings, catalog),
        Some(Command::Demo(args)) => run_demo(&settings, catalog, &args),
        Some(Command::Generate(args)) => {
            let burst = match args.burst() {
                Ok(b) => b,
                Err(message) => {
                    report_message(&message);
                    return ExitCode::from(2);
                }
            };
            let seed = args.seed.unwrap_or_else(clock_seed);
            let tcp = *args.tcp;
            let job = commands::generate::GenerateJob {
                traffic: zpa_enricher::synth::Traffic {
                    catalog: Arc::clone(&catalog),
                    options: zpa_enricher::synth::GeneratorOptions {
                        seed,
                        log_types: args.log_types,
                        unknown_ratio: args.unknown_ratio,
                        invalid_ratio: args.invalid_ratio,
                        start: args.start,
                    },
                    rate: args.rate,
                    count: args.count,
                    burst,
                    enricher: args.enriched.then(|| {
                        Arc::new(Enricher::new(
                            Arc::clone(&catalog),
                            settings.enrich_options(),
                        ))
                    }),
                },
                output: args.output,
                template: args.template,
                tcp: tcp.tcp.map(|addr| commands::generate::TcpSink {
                    addr,
                    tls: tcp.tls_ca.map(|ca| zpa_enricher::synth::TlsClientFiles {
                        ca,
                        client_cert: tcp.tls_cert.zip(tcp.tls_key),
                        server_name: tcp.tls_server_name,
                    }),
                    deadline: std::time::Duration::from_secs(tcp.connect_deadline_secs),
                }),
                kafka: args.topic.map(|topic| commands::generate::KafkaSink {
                    brokers: args.brokers.unwrap_or_default(),
                    topic,
                    compression: args.compression,
                    key_field: args.key_field,
                    settings: settings.kafka.clone(),
                }),
            };
            match commands::generate::run(&job) {
                Ok(()) => ExitCode::SUCCESS,
                Err(commands::generate::GenerateError::Io(e)) => finish(Err(e)),
                Err(e) => {
                    report_error(&e);
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// Exit status of the service after a fatal error or a failed start.
pub(crate) const EXIT_SERVICE: u8 = 1;

/// Runs `job` on a fresh two-worker runtime (librdkafka brings its own threads), with a short
/// shutdown so that stray tasks do not hold the exit up. `None` when the runtime cannot start
/// (already reported).
fn block_on<F: Future>(
    job: impl FnOnce(tokio_util::sync::CancellationToken) -> F,
) -> Option<F::Output> {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("zpa-enricher")
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            report_error(&e);
            return None;
        }
    };
    let result = rt.block_on(job(tokio_util::sync::CancellationToken::new()));
    rt.shutdown_timeout(std::time::Duration::from_secs(1));
    Some(result)
}

fn run_service(settings: &Settings, catalog: Arc<Catalog>, args: &RunArgs) -> ExitCode {
    service_exit(block_on(|token| serve(settings, catalog, token, args)))
}

fn run_receive(settings: &Settings, catalog: Arc<Catalog>) -> ExitCode {
    service_exit(block_on(|token| {
        zpa_enricher::service::receive(settings, catalog, token, |_| {})
    }))
}

/// The exit status of a service that ran (`Some`) or could not start its runtime (`None`,
/// reported already).
fn service_exit(result: Option<Result<(), ServiceError>>) -> ExitCode {
    match result {
        Some(Ok(())) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Some(Err(e)) => {
            report_error(&e);
            ExitCode::from(EXIT_SERVICE)
        }
        None => ExitCode::from(EXIT_SERVICE),
    }
}

/// The service.
#[cfg(not(feature = "bench-passthrough"))]
async fn serve(
    settings: &Settings,
    catalog: Arc<Catalog>,
    token: tokio_util::sync::CancellationToken,
    _args: &RunArgs,
) -> Result<(), ServiceError> {
    zpa_enricher::service::run(settings, catalog, token, |_| {}).await
}

/// The service, or the benchmark's reference set-up that `--passthrough` asks for.
#[cfg(feature = "bench-passthrough")]
async fn serve(
    settings: &Settings,
    catalog: Arc<Catalog>,
    token: tokio_util::sync::CancellationToken,
    args: &RunArgs,
) -> Result<(), ServiceError> {
    let passthrough = args.passthrough();
    zpa_enricher::service::run_with(settings, catalog, token, passthrough, |_| {}).await
}

fn run_demo(settings: &Settings, catalog: Arc<Catalog>, args: &DemoArgs) -> ExitCode {
    let burst = match args.burst() {
        Ok(b) => b,
        Err(message) => {
            report_message(&message);
            return ExitCode::from(2);
        }
    };
    let opts = crate::cli::demo::DemoOptions {
        rate: args.rate,
        duration: (args.duration > 0).then(|| std::time::Duration::from_secs(args.duration)),
        partitions: args.partitions,
        generator: zpa_enricher::synth::GeneratorOptions {
            seed: args.seed.unwrap_or_else(clock_seed),
            log_types: Vec::new(),
            unknown_ratio: args.unknown_ratio,
            invalid_ratio: args.invalid_ratio,
            start: zpa_enricher::synth::Start::Now,
        },
        burst,
        top: args.top,
    };
    let Some(result) = block_on(|token| crate::cli::demo::run(settings, catalog, &opts, token))
    else {
        return ExitCode::from(EXIT_SERVICE);
    };
    match result {
        Ok(_) => ExitCode::SUCCESS,
        Err(crate::cli::demo::DemoError::Output(e)) => finish(Err(e)),
        Err(e) => {
            report_error(&e);
            ExitCode::from(EXIT_SERVICE)
        }
    }
}

fn run_healthcheck(settings: &Settings, args: &HealthcheckArgs) -> ExitCode {
    use commands::healthcheck;
    let listen = args.addr.as_deref().unwrap_or(&settings.metrics.addr);
    let timeout = std::time::Duration::from_millis(args.timeout_ms);
    let answer = healthcheck::target(listen)
        .and_then(|addr| healthcheck::check(addr, args.endpoint, timeout));
    match answer {
        Ok(answer) if answer.healthy() => {
            let line = format!(
                "{} {}: {}\n",
                args.endpoint.path(),
                answer.status,
                answer.body
            );
            finish(
                io::stdout()
                    .lock()
                    .write_all(line.as_bytes())
                    .map_err(writing("standard output")),
            )
        }
        Ok(answer) => {
            report_message(&format!(
                "{} answered {}: {}",
                args.endpoint.path(),
                answer.status,
                answer.body
            ));
            ExitCode::FAILURE
        }
        Err(e) => {
            report_error(&e);
            ExitCode::FAILURE
        }
    }
}

/// A seed from the clock, for commands run without `--seed`.
fn clock_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() ^ u64::from(d.subsec_nanos()))
}

fn run_catalog(catalog: &Catalog, settings: &Settings, cmd: CatalogCommand) -> ExitCode {
    let stdout = io::stdout().lock();
    match cmd {
        CatalogCommand::List {
            severity,
            component,
            category,
            log_type,
        } => {
            let filter = commands::catalog::ListFilter {
                min_severity: severity,
                component,
                category,
                log_type,
            };
            finish(
                commands::catalog::list(catalog, &filter, stdout)
                    .map_err(writing("standard output")),
            )
        }
        CatalogCommand::Show { code, json } => {
            match commands::catalog::show(catalog, &code, json, stdout, io::stderr().lock()) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::FAILURE,
                Err(e) => finish(Err(writing("standard output")(e))),
            }
        }
        CatalogCommand::Stats { format } => finish(
            commands::catalog::stats(catalog, format, stdout).map_err(writing("standard output")),
        ),
        CatalogCommand::Export { format, output } => match output {
            Some(path) if path.as_os_str() != "-" => match File::create(&path) {
                Ok(f) => finish(
                    commands::catalog::export(catalog, format, io::BufWriter::new(f))
                        .map_err(writing(&path.display().to_string())),
                ),
                Err(e) => {
                    report_message(&format!("cannot create {}: {e}", path.display()));
                    ExitCode::FAILURE
                }
            },
            _ => finish(
                commands::catalog::export(catalog, format, stdout)
                    .map_err(writing("standard output")),
            ),
        },
        CatalogCommand::Sync(args) => {
            let job = commands::sync::SyncJob {
                settings: &settings.catalog.sync,
                format: args.format,
                write: args.write,
                titles: !args.ignore_titles,
            };
            compared(commands::sync::sync(catalog, &job, stdout))
        }
        CatalogCommand::Diff { old, new, format } => {
            compared(commands::sync::diff_files(&old, &new, format, stdout))
        }
    }
}

/// The exit status of `catalog sync` or `catalog diff`: 0 when nothing differs, 3 when
/// something does, 64 for bad settings or catalog files, 1 for any other failure.
fn compared(result: Result<bool, commands::sync::SyncError>) -> ExitCode {
    match result {
        Ok(false) => ExitCode::SUCCESS,
        Ok(true) => ExitCode::from(EXIT_DIFFERENCES),
        Err(commands::sync::SyncError::Output(e)) => finish(Err(writing("standard output")(e))),
        Err(e) if e.is_usage() => {
            report_error(&e);
            ExitCode::from(EXIT_CONFIG)
        }
        Err(e) => {
            report_error(&e);
            ExitCode::FAILURE
        }
    }
}

/// Maps an I/O result to an exit code; a closed pipe (`| head`) is not an error.
fn finish(result: io::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            report_error(&e);
            ExitCode::FAILURE
        }
    }
}

/// Prints an error and its chain of causes to stderr.
fn report_error(e: &(dyn std::error::Error + 'static)) {
    report_message(&error_chain(e));
}

fn report_message(message: &str) {
    let mut stderr = io::stderr().lock();
    // Nothing sensible is left to do if stderr itself fails.
    let _ignored = writeln!(stderr, "error: {message}");
}
