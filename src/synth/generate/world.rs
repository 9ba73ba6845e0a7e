//! The synthetic tenants the records talk about: customers, users, applications, App
//! Connectors, Service Edges, and the identifiers they use.
//!
//! Everything is built once from the seed, so records only pick from ready-made strings.
//! Addresses come from the documentation ranges (RFC 5737: 192.0.2.0/24, 198.51.100.0/24,
//! 203.0.113.0/24) and private ranges (RFC 1918); domains end in `.example` (RFC 2606).

use super::rng::{Rng, Weighted};
use super::write::Ip4;

/// A place clients connect from, and the public Service Edge that serves it.
#[derive(Debug)]
pub(super) struct City {
    pub(super) name: &'static str,
    pub(super) country: &'static str,
    /// Latitude and longitude in millionths of a degree.
    pub(super) lat: i32,
    pub(super) lon: i32,
    pub(super) service_edge: &'static str,
    pub(super) se_lat: i32,
    pub(super) se_lon: i32,
}

pub(super) const CITIES: [City; 8] = [
    city(
        "New York",
        "US",
        40_712_800,
        -74_006_000,
        "US-NY-8179",
        40_730_600,
        -73_935_200,
    ),
    city(
        "San Jose",
        "US",
        37_338_200,
        -121_886_300,
        "US-CA-5031",
        37_368_800,
        -121_913_700,
    ),
    city(
        "Chicago",
        "US",
        41_878_100,
        -87_629_800,
        "US-IL-3520",
        41_850_000,
        -87_650_000,
    ),
    city(
        "London",
        "GB",
        51_507_400,
        -127_800,
        "GB-LON-4402",
        51_514_200,
        -93_100,
    ),
    city(
        "Frankfurt",
        "DE",
        50_110_900,
        8_682_100,
        "DE-FRA-7263",
        50_116_700,
        8_683_300,
    ),
    city(
        "Bengaluru",
        "IN",
        12_971_600,
        77_594_600,
        "IN-BLR-3318",
        12_978_400,
        77_640_800,
    ),
    city(
        "Singapore",
        "SG",
        1_352_100,
        103_819_800,
        "SG-SIN-6120",
        1_290_300,
        103_851_900,
    ),
    city(
        "São Paulo",
        "BR",
        -23_550_500,
        -46_633_300,
        "BR-SAO-2091",
        -23_533_800,
        -46_625_300,
    ),
];

const fn city(
    name: &'static str,
    country: &'static str,
    lat: i32,
    lon: i32,
    service_edge: &'static str,
    se_lat: i32,
    se_lon: i32,
) -> City {
    City {
        name,
        country,
        lat,
        lon,
        service_edge,
        se_lat,
        se_lon,
    }
}

/// The user the LSS stream itself appears as in User Status and User Activity.
pub(super) const LSS_CLIENT: &str = "ZPA LSS Client";

const FIRST_NAMES: [&str; 24] = [
    "jane", "john", "maria", "wei", "priya", "ahmed", "olga", "lucas", "emma", "noah", "aisha",
    "kenji", "sofia", "liam", "fatima", "mateo", "chloe", "ivan", "amara", "oliver", "yuki",
    "david", "nina", "omar",
];
const LAST_NAMES: [&str; 24] = [
    "doe", "smith", "garcia", "chen", "patel", "khan", "ivanova", "silva", "muller", "brown",
    "okafor", "tanaka", "rossi", "oconnor", "haddad", "lopez", "martin", "petrov", "mensah",
    "wilson", "sato", "cohen", "novak", "rahman",
];

struct CustomerDef {
    name: &'static str,
    domain: &'static str,
    short: &'static str,
    weight: f64,
    idp: &'static str,
    home: [usize; 3],
}

const CUSTOMERS: [CustomerDef; 3] = [
    CustomerDef {
        name: "Acme Corp",
        domain: "acme.example",
        short: "acme",
        weight: 6.0,
        idp: "Okta Workforce",
        home: [0, 1, 3],
    },
    CustomerDef {
        name: "Globex Industries",
        domain: "globex.example",
        short: "globex",
        weight: 3.0,
        idp: "Azure AD - Globex",
        home: [2, 4, 5],
    },
    CustomerDef {
        name: "Initech",
        domain: "initech.example",
        short: "initech",
        weight: 1.0,
        idp: "PingFederate",
        home: [6, 7, 0],
    },
];

/// (application, host prefix, app group, port, IP protocol, PRA console type).
type AppDef = (
    &'static str,
    &'static str,
    &'static str,
    u16,
    u8,
    Option<&'static str>,
);

const APPS: [AppDef; 14] = [
    ("Jira", "jira", "Engineering Apps", 443, 6, None),
    ("Confluence", "wiki", "Engineering Apps", 443, 6, None),
    ("GitLab", "gitlab", "Engineering Apps", 443, 6, None),
    ("GitLab SSH", "gitlab", "Engineering Apps", 22, 6, None),
    ("SAP ERP", "sap-prd", "Finance Apps", 3200, 6, None),
    ("Payroll Portal", "payroll", "HR Apps", 443, 6, None),
    ("Intranet", "intranet", "Corporate Apps", 443, 6, None),
    ("Grafana", "grafana.ops", "Operations", 3000, 6, None),
    (
        "PostgreSQL Reporting",
        "pg-report01.db",
        "Data Platform",
        5432,
        6,
        None,
    ),
    ("Internal DNS", "dns01.corp", "Infrastructure", 53, 17, None),
    (
        "Domain Controllers",
        "dc01.corp",
        "Infrastructure",
        389,
        6,
        None,
    ),
    ("File Shares", "files.corp", "Infrastructure", 445, 6, None),
    (
        "Linux Jump Hosts",
        "jump01.ops",
        "Privileged Access",
        22,
        6,
        Some("SSH"),
    ),
    (
        "Windows Admin Servers",
        "rdp01.ops",
        "Privileged Access",
        3389,
        6,
        Some("RDP"),
    ),
];

/// Picks an application, mostly the everyday web ones.
const APP_WEIGHTS: [f64; 14] = [
    14.0, 10.0, 8.0, 3.0, 5.0, 3.0, 12.0, 4.0, 2.0, 6.0, 4.0, 5.0, 1.5, 1.5,
];

/// Sites where a customer runs App Connectors: (site, city index).
const SITES: [(&str, usize); 4] = [("nyc", 0), ("sjc", 1), ("fra", 4), ("sin", 6)];

/// One application segment of a customer.
#[derive(Debug)]
pub(super) struct App {
    pub(super) name: &'static str,
    pub(super) host: Box<str>,
    pub(super) group: &'static str,
    pub(super) port: u16,
    pub(super) proto: u8,
    pub(super) server_ip: Ip4,
    pub(super) pra: Option<&'static str>,
    /// The site (index into the customer's sites) whose App Connectors serve it.
    pub(super) site: usize,
    /// The application's numeric id (inspection logs use it).
    pub(super) id: u64,
}

/// An App Connector.
#[derive(Debug)]
pub(super) struct Connector {
    pub(super) name: Box<str>,
    pub(super) group: Box<str>,
    pub(super) ip: Ip4,
    pub(super) public_ip: Ip4,
    pub(super) city: usize,
    pub(super) id: u64,
}

/// A Private Service Edge or Private Cloud Controller.
#[derive(Debug)]
pub(super) struct Appliance {
    pub(super) name: Box<str>,
    pub(super) group: Box<str>,
    pub(super) ip: Ip4,
    pub(super) public_ip: Ip4,
    pub(super) city: usize,
}

/// One tenant.
#[derive(Debug)]
pub(super) struct Customer {
    pub(super) name: &'static str,
    pub(super) domain: &'static str,
    pub(super) idp: &'static str,
    /// Short name used in host names (`acme`).
    pub(super) short: &'static str,
    /// Kerberos realm (`CORP.ACME.EXAMPLE`).
    pub(super) realm: Box<str>,
    /// Numeric customer id (Audit `CustomerID`).
    pub(super) id: u64,
    /// `users[0]` is the LSS client; the rest are people.
    pub(super) users: Vec<Box<str>>,
    /// Administrators (Audit `User`).
    pub(super) admins: Vec<Box<str>>,
    pub(super) apps: Vec<App>,
    pub(super) app_pick: Weighted<usize>,
    pub(super) connectors: Vec<Connector>,
    pub(super) service_edges: Vec<Appliance>,
    pub(super) cloud_controllers: Vec<Appliance>,
    pub(super) home: [usize; 3],
}

/// App Connectors per site.
const CONNECTORS_PER_SITE: usize = 2;

impl Customer {
    /// One of the App Connectors at the site that serves `app`.
    pub(super) fn connector_for(&self, app: &App, rng: &mut Rng) -> &Connector {
        &self.connectors[app.site * CONNECTORS_PER_SITE + rng.index(CONNECTORS_PER_SITE)]
    }
}

/// Everything records pick from.
#[derive(Debug)]
pub(super) struct World {
    pub(super) customers: Vec<Customer>,
    customer_pick: Weighted<usize>,
}

/// A documentation-range public address (RFC 5737).
pub(super) fn public_ip(rng: &mut Rng) -> Ip4 {
    let nets = [[192, 0, 2], [198, 51, 100], [203, 0, 113]];
    let n = rng.pick(&nets);
    Ip4([n[0], n[1], n[2], octet(rng, 1, 254)])
}

/// A uniform octet in `lo..=hi`.
pub(super) fn octet(rng: &mut Rng, lo: u8, hi: u8) -> u8 {
    u8::try_from(rng.range(u64::from(lo), u64::from(hi))).unwrap_or(lo)
}

impl World {
    /// Builds the tenants from the seeded generator.
    pub(super) fn new(rng: &mut Rng) -> Self {
        let mut customers = Vec::new();
        for (ci, def) in CUSTOMERS.iter().enumerate() {
            let net = u8::try_from(ci + 1).unwrap_or(1) * 16;
            let mut users: Vec<Box<str>> = vec![LSS_CLIENT.into()];
            for _ in 0..60 {
                let first = rng.pick(&FIRST_NAMES);
                let last = rng.pick(&LAST_NAMES);
                users.push(format!("{first}.{last}@{}", def.domain).into());
            }
            users.sort_unstable();
            users.dedup();
            let admins = vec![
                format!("admin@{}", def.domain).into(),
                format!("{}.{}@{}", rng.pick(&FIRST_NAMES), "admin", def.domain).into(),
                format!("zpa-automation@{}", def.domain).into(),
            ];
            let apps = APPS
                .iter()
                .enumerate()
                .map(|(i, &(name, host, group, port, proto, pra))| App {
                    name,
                    host: format!("{host}.{}", def.domain).into(),
                    group,
                    port,
                    proto,
                    server_ip: Ip4([10, net + 1, octet(rng, 0, 40), octet(rng, 2, 250)]),
                    pra,
                    site: (i * 3 + ci) % SITES.len(),
                    id: 216_196_257_331_290_000 + (ci as u64) * 1000 + i as u64,
                })
                .collect();
            let mut connectors = Vec::new();
            let mut service_edges = Vec::new();
            let mut cloud_controllers = Vec::new();
            for (si, &(site, city)) in SITES.iter().enumerate() {
                let sn = u8::try_from(si).unwrap_or(0);
                for k in 1..=u8::try_from(CONNECTORS_PER_SITE).unwrap_or(2) {
                    connectors.push(Connector {
                        name: format!("{}-{site}-ac-{k:02}", def.short).into(),
                        group: format!("{} {} Connectors", def.name, site.to_uppercase()).into(),
                        ip: Ip4([10, net, sn, 10 + k]),
                        public_ip: public_ip(rng),
                        city,
                        id: 216_196_257_331_300_000 + (ci as u64) * 1000 + (si as u64) * 10,
                    });
                }
                service_edges.push(Appliance {
                    name: format!("{}-{site}-pse-01", def.short).into(),
                    group: format!("{} {} Service Edges", def.name, site.to_uppercase()).into(),
                    ip: Ip4([10, net, sn, 20]),
                    public_ip: public_ip(rng),
                    city,
                });
                cloud_controllers.push(Appliance {
                    name: format!("{}-{site}-pcc-01", def.short).into(),
                    group: format!("{} {} Cloud Controllers", def.name, site.to_uppercase()).into(),
                    ip: Ip4([10, net, sn, 30]),
                    public_ip: public_ip(rng),
                    city,
                });
            }
            customers.push(Customer {
                name: def.name,
                domain: def.domain,
                idp: def.idp,
                short: def.short,
                realm: format!("CORP.{}", def.domain.to_uppercase()).into(),
                id: 216_196_257_331_281_920 + ci as u64 * 7,
                users,
                admins,
                apps,
                app_pick: Weighted::new(APP_WEIGHTS.iter().copied().enumerate()),
                connectors,
                service_edges,
                cloud_controllers,
                home: def.home,
            });
        }
        Self {
            customers,
            customer_pick: Weighted::new(CUSTOMERS.iter().map(|c| c.weight).enumerate()),
        }
    }

    /// A customer index, weighted by size.
    pub(super) fn customer(&self, rng: &mut Rng) -> usize {
        *self.customer_pick.pick(rng)
    }
}

/// Base64-style alphabet of ZPA session and connection ids (`vkczUERSLl88Y+ytH8v5`).
pub(super) const ID_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// A 20-character session or connection id.
pub(super) fn random_id(rng: &mut Rng) -> [u8; 20] {
    let mut id = [0u8; 20];
    let mut bits = rng.next_u64();
    for (i, c) in id.iter_mut().enumerate() {
        if i == 10 {
            bits = rng.next_u64();
        }
        *c = ID_ALPHABET[usize::try_from(bits & 63).unwrap_or(0)];
        bits >>= 6;
    }
    id
}

/// A random UUID in its usual text form (version 4 layout).
pub(super) fn uuid(rng: &mut Rng) -> [u8; 36] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [b'-'; 36];
    let (mut hi, mut lo) = (rng.next_u64(), rng.next_u64());
    for (i, c) in out.iter_mut().enumerate() {
        if matches!(i, 8 | 13 | 18 | 23) {
            continue;
        }
        let nibble = if i < 18 {
            let n = hi & 15;
            hi >>= 4;
            n
        } else {
            let n = lo & 15;
            lo >>= 4;
            n
        };
        *c = HEX[usize::try_from(nibble).unwrap_or(0)];
    }
    out[14] = b'4';
    out[19] = b"89ab"[usize::try_from(rng.below(4)).unwrap_or(0)];
    out
}

/// A lower-case alphanumeric id of `N` characters (admin portal session ids).
pub(super) fn lower_id<const N: usize>(rng: &mut Rng) -> [u8; N] {
    const ALNUM: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = [0u8; N];
    for c in &mut out {
        *c = ALNUM[usize::try_from(rng.below(36)).unwrap_or(0)];
    }
    out
}
