//! Which status codes the synthetic records carry, and how often.
//!
//! User Activity codes come from the catalog, chosen by severity so that any catalog works:
//! roughly 20% open/active records, 55% normal closes, 12% medium (mostly policy blocks), 8%
//! high, 4% low and 1% critical. A few well-known codes get extra weight within their group,
//! the way real traffic is dominated by a handful of normal-close reasons.

use rustc_hash::FxHashMap;

use super::rng::{Rng, Weighted};
use crate::catalog::{Catalog, CatalogEntry, Category, Cause, Severity};

/// The `ConnectionStatus` of a User Activity record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ConnStatus {
    /// The connection was just set up.
    Open,
    /// A periodic record of a live connection.
    Active,
    /// The connection ended.
    Close,
}

impl ConnStatus {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            ConnStatus::Open => "open",
            ConnStatus::Active => "active",
            ConnStatus::Close => "close",
        }
    }
}

/// How far a connection got, which decides which fields of the record are filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    /// Set up and used normally (open, active, or a normal close).
    Normal,
    /// Turned away by the Service Edge before any App Connector was involved (policy, auth,
    /// re-authentication).
    Reject,
    /// Failed during setup or was cut (App Connector, server, network, internal errors).
    Failure,
}

impl Shape {
    fn of(e: &CatalogEntry) -> Shape {
        match (e.category, e.cause) {
            (Category::Info, _) => Shape::Normal,
            (Category::PolicyBlock, _) | (_, Some(Cause::Policy | Cause::Auth | Cause::Reauth)) => {
                Shape::Reject
            }
            _ => Shape::Failure,
        }
    }
}

/// What a User Activity record says about its connection.
#[derive(Debug, Clone)]
pub(super) struct Reason {
    /// The `InternalReason` value (may be empty).
    pub(super) code: Box<str>,
    pub(super) status: ConnStatus,
    pub(super) shape: Shape,
}

/// Codes that never appear in `InternalReason`.
fn is_activity_code(code: &str) -> bool {
    !(code.starts_with("ZPN_STATUS_") || matches!(code, "open" | "active" | "close"))
}

const OPEN_OR_ACTIVE: &str = "OPEN_OR_ACTIVE_CONNECTION";

/// One share of the User Activity traffic: which catalog entries it draws from, its share per
/// mille, and extra weight for well-known codes (others weigh 1).
struct Group {
    per_mille: f64,
    member: fn(&CatalogEntry) -> bool,
    favourites: &'static [(&'static str, f64)],
    /// Weight of members of the `policy_block` category that are not favourites.
    policy_block_weight: f64,
}

fn medium_policy(e: &CatalogEntry) -> bool {
    e.severity == Severity::Medium
        && (e.category == Category::PolicyBlock || e.cause == Some(Cause::Policy))
}

const GROUPS: [Group; 7] = [
    Group {
        per_mille: 550.0,
        member: |e| e.severity == Severity::Info && e.code != OPEN_OR_ACTIVE,
        favourites: &[
            ("BRK_MT_TERMINATED", 30.0),
            ("MT_CLOSED_TERMINATED", 18.0),
            ("BRK_MT_CLOSED_FROM_CLIENT", 16.0),
            ("AST_MT_TERMINATED", 12.0),
            ("BRK_MT_TERMINATED_IDLE_TIMEOUT", 10.0),
            ("BRK_MT_CLOSED_FROM_ASSISTANT", 3.0),
            ("BRK_MT_RESET_FROM_SERVER", 3.0),
        ],
        policy_block_weight: 1.0,
    },
    Group {
        per_mille: 75.0,
        member: medium_policy,
        favourites: &[
            ("BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY", 40.0),
            ("BRK_MT_SETUP_FAIL_NO_POLICY_FOUND", 20.0),
        ],
        policy_block_weight: 5.0,
    },
    Group {
        per_mille: 30.0,
        member: |e| e.severity == Severity::Medium && e.cause == Some(Cause::Auth),
        favourites: &[("BRK_MT_AUTH_SAML_FAILURE", 3.0)],
        policy_block_weight: 1.0,
    },
    Group {
        per_mille: 15.0,
        member: |e| {
            e.severity == Severity::Medium && !medium_policy(e) && e.cause != Some(Cause::Auth)
        },
        favourites: &[],
        policy_block_weight: 1.0,
    },
    Group {
        per_mille: 80.0,
        member: |e| e.severity == Severity::High,
        favourites: &[
            ("APP_NOT_REACHABLE", 10.0),
            ("NO_CONNECTOR_AVAILABLE", 6.0),
            ("AST_MT_SETUP_TIMEOUT_CANNOT_CONN_TO_SERVER", 5.0),
            ("BRK_MT_SETUP_TIMEOUT", 4.0),
            ("DSP_MT_SETUP_FAIL_DISCOVERY_TIMEOUT", 3.0),
            ("AST_MT_SETUP_ERR_OPEN_SERVER_CONN", 3.0),
        ],
        policy_block_weight: 1.0,
    },
    Group {
        per_mille: 40.0,
        member: |e| e.severity == Severity::Low,
        favourites: &[
            ("MT_CLOSED_TLS_CONN_GONE_CLIENT_CLOSED", 8.0),
            ("BRK_MT_TERMINATED_BRK_SWITCHED", 4.0),
            ("CLT_CONN_FAILED", 4.0),
        ],
        policy_block_weight: 1.0,
    },
    Group {
        per_mille: 10.0,
        member: |e| e.severity == Severity::Critical,
        favourites: &[],
        policy_block_weight: 1.0,
    },
];

/// The User Activity code mix built from one catalog.
#[derive(Debug)]
pub(super) struct ActivityCodes {
    table: Weighted<Reason>,
    /// Codes guaranteed absent from the catalog, for the unknown-code share.
    unknown: Vec<Box<str>>,
    /// The shape of every catalog code, for records built around a given code.
    shapes: FxHashMap<Box<str>, Shape>,
}

impl ActivityCodes {
    pub(super) fn new(catalog: &Catalog) -> Self {
        let entries: Vec<&CatalogEntry> = catalog
            .entries()
            .iter()
            .filter(|e| is_activity_code(&e.code))
            .collect();
        let mut rows: Vec<(Reason, f64)> = Vec::new();
        let reason = |code: &str, status, shape| Reason {
            code: code.into(),
            status,
            shape,
        };
        rows.push((reason("", ConnStatus::Open, Shape::Normal), 70.0));
        rows.push((reason("", ConnStatus::Active, Shape::Normal), 125.0));
        if let Some(e) = catalog.get(OPEN_OR_ACTIVE) {
            rows.push((reason(&e.code, ConnStatus::Open, Shape::Normal), 2.0));
            rows.push((reason(&e.code, ConnStatus::Active, Shape::Normal), 3.0));
        }
        for g in &GROUPS {
            let members: Vec<(&CatalogEntry, f64)> = entries
                .iter()
                .filter(|e| (g.member)(e))
                .map(|&e| {
                    let w = g.favourites.iter().find(|(c, _)| *c == e.code).map_or(
                        if e.category == Category::PolicyBlock {
                            g.policy_block_weight
                        } else {
                            1.0
                        },
                        |&(_, w)| w,
                    );
                    (e, w)
                })
                .collect();
            let total: f64 = members.iter().map(|(_, w)| w).sum();
            for (e, w) in members {
                let shape = Shape::of(e);
                rows.push((
                    reason(&e.code, ConnStatus::Close, shape),
                    g.per_mille * w / total,
                ));
            }
        }
        let shapes = entries
            .iter()
            .map(|e| (e.code.as_str().into(), Shape::of(e)))
            .collect();
        Self {
            table: Weighted::new(rows),
            unknown: unknown_codes(catalog),
            shapes,
        }
    }

    /// A reason drawn from the mix.
    #[inline]
    pub(super) fn pick(&self, rng: &mut Rng) -> &Reason {
        self.table.pick(rng)
    }

    /// A code that is not in the catalog.
    pub(super) fn unknown(&self, rng: &mut Rng) -> &str {
        rng.pick::<Box<str>>(&self.unknown)
    }

    /// How a connection closed with `code` looks (unknown codes look like failures).
    pub(super) fn shape_of(&self, code: &str) -> Shape {
        self.shapes.get(code).copied().unwrap_or(Shape::Failure)
    }

    /// Every reason in the mix (for tests).
    #[cfg(test)]
    pub(super) fn reasons(&self) -> &[Reason] {
        self.table.items()
    }
}

/// Plausible future codes, checked against the catalog so that none of them is known.
fn unknown_codes(catalog: &Catalog) -> Vec<Box<str>> {
    const STEMS: [&str; 4] = [
        "BRK_MT_SETUP_FAIL_FUTURE_CODE_",
        "AST_MT_SETUP_ERR_FUTURE_",
        "EXPTR_MT_FUTURE_REASON_",
        "ZPN_ERR_FUTURE_",
    ];
    let mut codes = Vec::new();
    let mut n = 1u32;
    // Terminates: the catalog is finite and every round tries new codes.
    while codes.len() < 16 {
        for stem in STEMS {
            let code = format!("{stem}{n}");
            if catalog.lookup(&code).is_none() {
                codes.push(code.into_boxed_str());
            }
        }
        n += 1;
    }
    codes
}

/// `SessionStatus` values of the status logs and their share (per mille).
pub(super) const SESSION_STATUSES: [(&str, u64); 3] = [
    ("ZPN_STATUS_AUTHENTICATED", 550),
    ("ZPN_STATUS_DISCONNECTED", 420),
    ("ZPN_STATUS_AUTH_FAILED", 30),
];

/// Picks a `SessionStatus` index into [`SESSION_STATUSES`].
pub(super) fn session_status(rng: &mut Rng) -> usize {
    let roll = rng.below(1000);
    let mut acc = 0;
    for (i, &(_, share)) in SESSION_STATUSES.iter().enumerate() {
        acc += share;
        if roll < acc {
            return i;
        }
    }
    0
}
