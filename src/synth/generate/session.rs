//! The pool of live client sessions. User Activity and User Status records pick a session from
//! it, so the same users, session ids and addresses recur across records as in real traffic;
//! sessions end (a disconnect, or at random) and are replaced by new ones.

use super::rng::Rng;
use super::world::{CITIES, ID_ALPHABET, World, octet, public_ip, random_id};
use super::write::Ip4;

/// Zscaler Client Connector platforms and the share of each (per mille).
pub(super) const PLATFORMS: [(&str, u64); 5] = [
    ("windows", 620),
    ("mac", 250),
    ("linux", 50),
    ("ios", 50),
    ("android", 30),
];

/// One authenticated client: who, from where, since when.
#[derive(Debug, Clone, Copy)]
pub(super) struct Session {
    pub(super) customer: usize,
    /// Index into the customer's users (0 is the LSS client).
    pub(super) user: usize,
    pub(super) city: usize,
    pub(super) id: [u8; 20],
    pub(super) public_ip: Ip4,
    pub(super) private_ip: Ip4,
    pub(super) auth_ms: i64,
    /// `DESKTOP-XXXXXXX` style host name.
    pub(super) hostname: [u8; 15],
    pub(super) platform: usize,
    pub(super) bytes_rx: u64,
    pub(super) bytes_tx: u64,
    /// On a trusted (office) network.
    pub(super) trusted: bool,
}

impl Session {
    /// True for the stream's own pseudo-client.
    pub(super) fn is_lss_client(&self) -> bool {
        self.user == 0
    }
}

/// A fixed-size pool of live sessions; records pick one, and sessions end and are replaced.
#[derive(Debug)]
pub(super) struct Sessions {
    slots: Vec<Session>,
}

impl Sessions {
    /// `n` fresh sessions.
    pub(super) fn new(rng: &mut Rng, world: &World, n: usize, now: i64) -> Self {
        let slots = (0..n).map(|_| new_session(rng, world, now)).collect();
        Self { slots }
    }

    /// Picks a live session; now and then the picked one is replaced by a new one first.
    pub(super) fn pick(&mut self, rng: &mut Rng, world: &World, now: i64) -> usize {
        let i = rng.index(self.slots.len());
        if rng.below(64) == 0 {
            self.renew(i, rng, world, now);
        }
        i
    }

    /// Replaces session `i` by a new one (the old one ended).
    pub(super) fn renew(&mut self, i: usize, rng: &mut Rng, world: &World, now: i64) {
        self.slots[i] = new_session(rng, world, now);
    }

    /// Session `i`.
    pub(super) fn get(&self, i: usize) -> &Session {
        &self.slots[i]
    }

    /// Session `i`, to update its counters.
    pub(super) fn get_mut(&mut self, i: usize) -> &mut Session {
        &mut self.slots[i]
    }
}

fn new_session(rng: &mut Rng, world: &World, now: i64) -> Session {
    let customer = world.customer(rng);
    let c = &world.customers[customer];
    let user = if rng.per_mille(10) {
        0
    } else {
        1 + rng.index(c.users.len() - 1)
    };
    // Most people work near their company's sites; some travel.
    let city = if rng.per_mille(850) {
        *rng.pick(&c.home)
    } else {
        rng.index(CITIES.len())
    };
    let private_ip = if rng.per_mille(700) {
        Ip4([
            10,
            octet(rng, 64, 127),
            octet(rng, 0, 255),
            octet(rng, 2, 254),
        ])
    } else {
        Ip4([192, 168, octet(rng, 0, 3), octet(rng, 2, 254)])
    };
    let mut hostname = *b"DESKTOP-0000000";
    for b in &mut hostname[8..] {
        *b = ID_ALPHABET[usize::try_from(rng.below(36)).unwrap_or(0) + 26].to_ascii_uppercase();
    }
    let roll = rng.below(1000);
    let mut acc = 0;
    let mut platform = 0;
    for (i, &(_, share)) in PLATFORMS.iter().enumerate() {
        acc += share;
        if roll < acc {
            platform = i;
            break;
        }
    }
    let age_ms = i64::try_from(rng.below(8 * 3_600_000)).unwrap_or(0);
    Session {
        customer,
        user,
        city,
        id: random_id(rng),
        public_ip: public_ip(rng),
        private_ip,
        auth_ms: now - age_ms,
        hostname,
        platform,
        bytes_rx: rng.range(10_000, 50_000_000),
        bytes_tx: rng.range(10_000, 20_000_000),
        trusted: rng.per_mille(300),
    }
}
