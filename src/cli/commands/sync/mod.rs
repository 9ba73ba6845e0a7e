//! `zpa-enricher catalog sync` (the active catalog against the vendor's list of status codes)
//! and `catalog diff OLD NEW` (two catalog files). Both print the same report ([`report`]) and
//! tell by their exit status whether anything differs; `sync --write FILE` also writes the new
//! codes to a catalog file ([`write`]).
//!
//! Order of a sync: the settings a sync needs and the `--write` target are checked first (exit
//! 64), then the API is read (exit 1 on any failure, and nothing is written), then the report is
//! printed and the file written.

mod report;
mod write;

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use zpa_enricher::catalog::Catalog;
use zpa_enricher::catalog::diff::{self, VendorDiffOptions};
use zpa_enricher::catalog::load::{self, CatalogError};
use zpa_enricher::checks::Problem;
use zpa_enricher::config::{ConfigError, SyncAuth, SyncSettings};
use zpa_enricher::vendor_api::{
    self, ApiError, ClientOptions, Credentials, STATUS_CODES_PATH, SignIn,
};

pub(crate) use report::ReportFormat;

/// What `catalog sync` was asked to do.
#[derive(Debug)]
pub(crate) struct SyncJob<'a> {
    /// `[catalog.sync]`.
    pub settings: &'a SyncSettings,
    /// Report format.
    pub format: ReportFormat,
    /// Where to write the new codes, if anywhere.
    pub write: Option<PathBuf>,
    /// Compare titles too.
    pub titles: bool,
}

/// Why `catalog sync` or `catalog diff` failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SyncError {
    /// The settings lack what a sync needs.
    #[error(transparent)]
    Settings(ConfigError),
    /// A catalog file (`--write` target, or `catalog diff`'s) cannot be used.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The `--write` target cannot be written.
    #[error("--write {}: {why}", path.display())]
    Target {
        /// The file.
        path: PathBuf,
        /// Why not.
        why: String,
    },
    /// The API could not be read.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The file written does not load back as a catalog (nothing was replaced).
    #[error("the catalog written for {} does not load back, so it was not used", path.display())]
    Unloadable {
        /// The file.
        path: PathBuf,
        /// Why it does not load.
        #[source]
        source: CatalogError,
    },
    /// Writing the file failed (nothing was replaced).
    #[error("cannot write {}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// Writing the report failed.
    #[error(transparent)]
    Output(io::Error),
}

impl SyncError {
    /// True for problems of the settings or the command line (exit 64), false for failures
    /// while running (exit 1).
    pub(crate) fn is_usage(&self) -> bool {
        matches!(
            self,
            SyncError::Settings(_) | SyncError::Catalog(_) | SyncError::Target { .. }
        )
    }
}

/// Runs `catalog sync`: returns whether anything differs.
///
/// # Errors
/// See [`SyncError`].
pub(crate) fn sync(
    catalog: &Catalog,
    job: &SyncJob<'_>,
    out: impl Write,
) -> Result<bool, SyncError> {
    let problems: Vec<Problem> = job.settings.problems_for_sync();
    if !problems.is_empty() {
        return Err(SyncError::Settings(ConfigError::Invalid(problems)));
    }
    let target = job.write.as_deref().map(write::Target::open).transpose()?;
    let options = client_options(job.settings);
    warn_if_unencrypted(job.settings);
    let codes = vendor_api::fetch_status_codes(&options)?;
    let diff = diff::against_vendor(catalog, &codes, VendorDiffOptions { titles: job.titles });
    let heading = report::Heading {
        old: format!("catalog {}", catalog.version()),
        new: format!(
            "{} codes of {}{STATUS_CODES_PATH}",
            codes.len(),
            job.settings.api_url.trim_end_matches('/')
        ),
    };
    report::write(&diff, &heading, job.format, out).or_else(closed_pipe)?;
    if let Some(target) = target {
        target.apply(&diff, &codes)?;
    }
    Ok(!diff.is_empty())
}

/// Runs `catalog diff OLD NEW`: returns whether anything differs.
///
/// # Errors
/// A file cannot be loaded as a catalog, or the report cannot be written.
pub(crate) fn diff_files(
    old: &Path,
    new: &Path,
    format: ReportFormat,
    out: impl Write,
) -> Result<bool, SyncError> {
    let (before, after) = (load::file(old)?, load::file(new)?);
    let diff = diff::between(&before, &after);
    let heading = report::Heading {
        old: format!("{} (version {})", old.display(), before.version()),
        new: format!("{} (version {})", new.display(), after.version()),
    };
    report::write(&diff, &heading, format, out).or_else(closed_pipe)?;
    Ok(!diff.is_empty())
}

/// A reader that closed the pipe early (`| head`) took what it wanted: the command goes on (the
/// file is still written) and its exit status still tells whether anything differs.
fn closed_pipe(e: io::Error) -> Result<(), SyncError> {
    if e.kind() == io::ErrorKind::BrokenPipe {
        Ok(())
    } else {
        Err(SyncError::Output(e))
    }
}

/// The client's options from the settings (already checked).
fn client_options(s: &SyncSettings) -> ClientOptions {
    let credentials = Credentials::new(s.client_id.clone(), s.client_secret.expose());
    ClientOptions {
        api_url: s.api_url.clone(),
        sign_in: match s.auth {
            SyncAuth::OneApi => SignIn::OneApi {
                token_url: s.token_url.clone(),
                credentials,
            },
            SyncAuth::Legacy => SignIn::Legacy { credentials },
        },
        customer_id: Some(s.customer_id.clone()).filter(|c| !c.is_empty()),
        timeout: Duration::from_secs(s.timeout_secs),
        max_retries: u32::try_from(s.max_retries).unwrap_or(u32::MAX),
        retry_base: Duration::from_millis(s.retry_base_ms),
        max_response_bytes: s.max_response_bytes,
    }
}

/// Plain HTTP to anything but this machine sends the secret and the token in clear.
fn warn_if_unencrypted(s: &SyncSettings) {
    let urls = [
        ("api_url", s.api_url.as_str()),
        (
            "token_url",
            if s.auth == SyncAuth::OneApi {
                s.token_url.as_str()
            } else {
                ""
            },
        ),
    ];
    for (key, url) in urls {
        let Some(rest) = url
            .get(..7)
            .filter(|scheme| scheme.eq_ignore_ascii_case("http://"))
            .map(|_| &url[7..])
        else {
            continue;
        };
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
        if !matches!(host, "localhost" | "127.0.0.1" | "[::1]") {
            tracing::warn!(
                setting = %format!("catalog.sync.{key}"),
                "plain http: the client secret and the token travel unencrypted; use https"
            );
        }
    }
}
