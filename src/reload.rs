//! Catalog hot reload: the catalog file is checked on an interval (a mounted Kubernetes `ConfigMap`
//! changes by swapping a symlink, which inotify-based watchers miss) and on SIGHUP. A changed file is
//! loaded and validated first; only a valid catalog replaces the one in use, atomically (the
//! pipeline swaps its `Arc<Enricher>` between two records). An invalid one is logged with its
//! problems and counted, and the old catalog stays.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::catalog;
use crate::enrich::{EnrichOptions, Enricher};
use crate::metrics::Metrics;

/// What identifies a version of the file without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

fn stamp(path: &PathBuf) -> Option<Stamp> {
    use std::os::unix::fs::MetadataExt;
    // `metadata` follows symlinks, so a swapped ConfigMap link shows up as a new inode.
    let md = std::fs::metadata(path).ok()?;
    Some(Stamp {
        modified: md.modified().ok(),
        len: md.len(),
        inode: md.ino(),
    })
}

/// Settings of the reloader.
#[derive(Debug, Clone)]
pub(crate) struct Reloader {
    /// The user catalog file (reload only makes sense with one).
    pub(crate) path: PathBuf,
    /// Replace the built-in catalog instead of extending it.
    pub(crate) replace: bool,
    /// How often to check the file; zero: only on SIGHUP.
    pub(crate) interval: Duration,
    /// Options for the new enricher.
    pub(crate) options: EnrichOptions,
}

impl Reloader {
    /// Runs until `shutdown`: checks on every tick and on every message of `hup`; sends each
    /// valid new catalog, compiled, on `out`.
    pub(crate) async fn run(
        self,
        mut hup: mpsc::Receiver<()>,
        out: mpsc::Sender<Arc<Enricher>>,
        metrics: Arc<Metrics>,
        shutdown: CancellationToken,
    ) {
        let mut last = stamp(&self.path);
        let period = if self.interval.is_zero() {
            Duration::from_secs(3600 * 24 * 365)
        } else {
            self.interval
        };
        let mut tick = tokio::time::interval(period);
        tick.tick().await;
        loop {
            let forced = tokio::select! {
                () = shutdown.cancelled() => return,
                _ = tick.tick(), if !self.interval.is_zero() => false,
                Some(()) = hup.recv() => true,
            };
            let now = stamp(&self.path);
            if !forced && now == last {
                continue;
            }
            last = now;
            match catalog::load::load(Some(&self.path), self.replace) {
                Ok(c) => {
                    tracing::info!(path = %self.path.display(), version = c.version(), entries = c.len(), "catalog reloaded");
                    metrics.catalog_loaded(&c);
                    let enricher = Arc::new(Enricher::new(Arc::new(c), self.options.clone()));
                    if out.send(enricher).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    metrics.catalog_reload_failed();
                    tracing::error!(path = %self.path.display(), error = %crate::errors::error_chain(&e), "catalog reload rejected; the current catalog stays in use");
                }
            }
        }
    }
}
