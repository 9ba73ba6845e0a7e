//! User Activity (`zpn_trans_log`) records: the 69 keys of the default JSON template, in its
//! order, with a connection timeline and byte counters consistent with the status code.

use super::Cx;
use super::codes::{ConnStatus, Shape};
use super::world::{CITIES, random_id};
use super::write::{Json, first_key, key};

/// When each step of a connection happened (`None`: not reached, written as `""`).
#[derive(Debug, Default)]
struct Timeline {
    start: Option<i64>,
    end: Option<i64>,
    ca_tx: Option<i64>,
    ca_rx: Option<i64>,
    app_learn: Option<i64>,
    first_rx_client: Option<i64>,
    first_tx_client: Option<i64>,
    last_rx_client: Option<i64>,
    last_tx_client: Option<i64>,
    setup_complete: Option<i64>,
    first_rx_connector: Option<i64>,
    first_tx_connector: Option<i64>,
    last_rx_connector: Option<i64>,
    last_tx_connector: Option<i64>,
}

/// Byte counters: totals since the start, and the part since the previous record.
#[derive(Debug, Default, Clone, Copy)]
struct Bytes {
    total_up: u64,
    up: u64,
    total_down: u64,
    down: u64,
}

/// Milliseconds as `i64` from a small random draw.
fn ms(cx: &mut Cx<'_>, lo: u64, hi: u64) -> i64 {
    i64::try_from(cx.rng.range(lo, hi)).unwrap_or(0)
}

/// How long a connection lived: mostly seconds, some minutes, a few hours.
fn lifetime(cx: &mut Cx<'_>) -> i64 {
    match cx.rng.below(100) {
        0..70 => ms(cx, 150, 60_000),
        70..95 => ms(cx, 60_000, 1_800_000),
        _ => ms(cx, 1_800_000, 8 * 3_600_000),
    }
}

/// A byte count spread over several orders of magnitude.
fn volume(cx: &mut Cx<'_>) -> u64 {
    let decade = 10u64.pow(u32::try_from(cx.rng.range(2, 6)).unwrap_or(2));
    cx.rng.range(decade, decade * 10)
}

fn normal_timeline(cx: &mut Cx<'_>, status: ConnStatus, t: &mut Timeline, b: &mut Bytes) {
    let now = cx.now;
    let start = match status {
        ConnStatus::Open => now - ms(cx, 0, 40),
        _ => now - lifetime(cx),
    };
    let ca_tx = start + ms(cx, 0, 2);
    let ca_rx = ca_tx + ms(cx, 1, 35);
    let setup = (ca_rx + ms(cx, 4, 180)).min(now);
    t.start = Some(start);
    t.ca_tx = Some(ca_tx.min(now));
    t.ca_rx = Some(ca_rx.min(now));
    if cx.rng.per_mille(20) {
        t.app_learn = Some(ca_rx.min(now));
    }
    t.setup_complete = Some(setup);
    if status == ConnStatus::Open {
        return;
    }
    let first_up = (setup + ms(cx, 0, 3)).min(now);
    let first_down = (first_up + ms(cx, 1, 60)).min(now);
    let span = u64::try_from(now - first_down).unwrap_or(0);
    let last_up = first_up.max(now - ms(cx, 0, span.min(5_000)));
    let last_down = first_down.max((last_up + ms(cx, 1, 60)).min(now));
    t.first_rx_client = Some(first_up);
    t.first_tx_connector = Some(first_up);
    t.first_rx_connector = Some(first_down);
    t.first_tx_client = Some(first_down);
    t.last_rx_client = Some(last_up);
    t.last_tx_connector = Some(last_up);
    t.last_rx_connector = Some(last_down);
    t.last_tx_client = Some(last_down);
    if status == ConnStatus::Close {
        t.end = Some(now);
    }
    let total_up = volume(cx);
    let total_down = volume(cx) * cx.rng.range(1, 20);
    let (up, down) = if status == ConnStatus::Close && cx.rng.per_mille(600) {
        // Short connections are reported once, at close: the interval is the whole lifetime.
        (total_up, total_down)
    } else {
        (
            total_up * cx.rng.range(1, 100) / 100,
            total_down * cx.rng.range(1, 100) / 100,
        )
    };
    *b = Bytes {
        total_up,
        up,
        total_down,
        down,
    };
}

/// Writes one User Activity record for session `s`.
pub(super) fn write(
    cx: &mut Cx<'_>,
    w: &mut Json<'_>,
    s_idx: usize,
    code: &str,
    status: ConnStatus,
    shape: Shape,
) {
    let now = cx.now;
    let s = *cx.sessions.get(s_idx);
    let world = cx.world;
    let c = &world.customers[s.customer];
    let app = &c.apps[*c.app_pick.pick(cx.rng)];
    let city = &CITIES[s.city];

    let mut t = Timeline::default();
    let mut b = Bytes::default();
    // Which parts of the path were reached.
    let (with_policy, with_connector) = match shape {
        Shape::Normal => {
            normal_timeline(cx, status, &mut t, &mut b);
            (true, true)
        }
        Shape::Reject => {
            t.start = Some(now - ms(cx, 1, 25));
            t.end = Some(now);
            (!code.contains("NO_POLICY"), false)
        }
        Shape::Failure => {
            let start = now - ms(cx, 10, 30_000);
            t.start = Some(start);
            t.ca_tx = Some(start + ms(cx, 0, 2));
            t.ca_rx = t.ca_tx.map(|x| (x + ms(cx, 1, 35)).min(now));
            t.end = Some(now);
            (true, cx.rng.per_mille(500))
        }
    };
    let connector = with_connector.then(|| c.connector_for(app, cx.rng));

    w.ctime(first_key!("LogTimestamp"), now);
    w.str(key!("Customer"), c.name);
    w.plain(key!("SessionID"), &s.id);
    let cid = random_id(cx.rng);
    w.raw(key!("ConnectionID").as_bytes());
    w.raw(b"\"");
    w.raw(&s.id);
    w.raw(b",");
    w.raw(&cid);
    w.raw(b"\"");
    w.str(key!("InternalReason"), code);
    w.str(key!("ConnectionStatus"), status.as_str());
    w.num(key!("IPProtocol"), u64::from(app.proto));
    w.num(key!("DoubleEncryption"), u64::from(cx.rng.per_mille(20)));
    w.str(key!("Username"), &c.users[s.user]);
    w.num(key!("ServicePort"), u64::from(app.port));
    w.ip(key!("ClientPublicIP"), Some(s.public_ip));
    w.ip(key!("ClientPrivateIP"), Some(s.private_ip));
    w.fixed6(key!("ClientLatitude"), city.lat);
    w.fixed6(key!("ClientLongitude"), city.lon);
    w.str(key!("ClientCountryCode"), city.country);
    w.str(key!("ClientZEN"), city.service_edge);
    let policy = if !with_policy {
        "0"
    } else if shape == Shape::Reject {
        *cx.rng.pick(&[
            "Block Contractors",
            "Block Unmanaged Devices",
            "Deny Legacy Apps",
        ])
    } else {
        match app.group {
            "Engineering Apps" => "Allow Engineering",
            "Finance Apps" | "HR Apps" => "Allow Finance and HR",
            "Privileged Access" => "Allow IT Admins",
            _ => "Allow All Employees",
        }
    };
    w.str(key!("Policy"), policy);
    match connector {
        Some(k) => {
            w.str(key!("Connector"), &k.name);
            w.str(key!("ConnectorZEN"), CITIES[k.city].service_edge);
            w.ip(key!("ConnectorIP"), Some(k.ip));
            w.num(key!("ConnectorPort"), cx.rng.range(32_768, 60_999));
        }
        None => {
            w.str(key!("Connector"), "0");
            w.str(key!("ConnectorZEN"), "0");
            w.ip(key!("ConnectorIP"), None);
            w.num(key!("ConnectorPort"), 0);
        }
    }
    w.str(key!("Host"), &app.host);
    w.str(key!("Application"), app.name);
    w.str(key!("AppGroup"), app.group);
    let dynamic = cx.rng.per_mille(750);
    w.str(
        key!("Server"),
        if dynamic || connector.is_none() {
            "0"
        } else {
            &app.host
        },
    );
    w.ip(key!("ServerIP"), connector.map(|_| app.server_ip));
    w.num(
        key!("ServerPort"),
        connector.map_or(0, |_| u64::from(app.port)),
    );
    w.num(key!("PolicyProcessingTime"), cx.rng.range(15, 900));
    let server_setup = if shape == Shape::Normal {
        cx.rng.range(250, 150_000)
    } else {
        0
    };
    w.num(key!("ServerSetupTime"), server_setup);
    w.iso(key!("TimestampConnectionStart"), t.start);
    w.iso(key!("TimestampConnectionEnd"), t.end);
    w.iso(key!("TimestampCATx"), t.ca_tx);
    w.iso(key!("TimestampCARx"), t.ca_rx);
    w.iso(key!("TimestampAppLearnStart"), t.app_learn);
    w.iso(key!("TimestampZENFirstRxClient"), t.first_rx_client);
    w.iso(key!("TimestampZENFirstTxClient"), t.first_tx_client);
    w.iso(key!("TimestampZENLastRxClient"), t.last_rx_client);
    w.iso(key!("TimestampZENLastTxClient"), t.last_tx_client);
    w.iso(key!("TimestampConnectorZENSetupComplete"), t.setup_complete);
    w.iso(key!("TimestampZENFirstRxConnector"), t.first_rx_connector);
    w.iso(key!("TimestampZENFirstTxConnector"), t.first_tx_connector);
    w.iso(key!("TimestampZENLastRxConnector"), t.last_rx_connector);
    w.iso(key!("TimestampZENLastTxConnector"), t.last_tx_connector);
    // Bytes from the client go on to the connector, and the other way round.
    w.num(key!("ZENTotalBytesRxClient"), b.total_up);
    w.num(key!("ZENBytesRxClient"), b.up);
    w.num(key!("ZENTotalBytesTxClient"), b.total_down);
    w.num(key!("ZENBytesTxClient"), b.down);
    w.num(key!("ZENTotalBytesRxConnector"), b.total_down);
    w.num(key!("ZENBytesRxConnector"), b.down);
    w.num(key!("ZENTotalBytesTxConnector"), b.total_up);
    w.num(key!("ZENBytesTxConnector"), b.up);
    w.str(key!("Idp"), if s.is_lss_client() { "0" } else { c.idp });
    w.str(key!("ClientToClient"), "0");
    w.str(key!("ClientCity"), city.name);
    w.str(key!("MicroTenantID"), "0");
    w.str(key!("AppMicroTenantID"), "0");
    match app.pra {
        Some(console) if shape == Shape::Normal && cx.rng.per_mille(600) => {
            w.plain(key!("PRAConnectionID"), &random_id(cx.rng));
            w.str(key!("PRAConsoleType"), console);
            w.num(key!("PRAApprovalID"), 0);
            w.num(key!("PRACapabilityPolicyID"), app.id + 500);
            w.num(key!("PRACredentialPolicyID"), app.id + 700);
            w.str(key!("PRACredentialUserName"), "svc-ops");
            w.str(key!("PRACredentialLoginType"), "USERNAME_PASSWORD");
            w.str(key!("PRAErrorStatus"), "");
            w.str(key!("PRAFileTransferList"), "");
            w.str(key!("PRARecordingStatus"), "");
            w.str(key!("PRASharedUsersList"), "");
            w.str(key!("PRASessionType"), "");
            w.str(key!("PRASharedMode"), "");
        }
        _ => w.raw(NO_PRA.as_bytes()),
    }
    w.end();

    let s = cx.sessions.get_mut(s_idx);
    s.bytes_rx += b.up;
    s.bytes_tx += b.down;
}

/// The PRA members of a connection that is not a Privileged Remote Access session.
const NO_PRA: &str = concat!(
    key!("PRAConnectionID"),
    "\"\"",
    key!("PRAConsoleType"),
    "\"\"",
    key!("PRAApprovalID"),
    "0",
    key!("PRACapabilityPolicyID"),
    "0",
    key!("PRACredentialPolicyID"),
    "0",
    key!("PRACredentialUserName"),
    "\"\"",
    key!("PRACredentialLoginType"),
    "\"\"",
    key!("PRAErrorStatus"),
    "\"\"",
    key!("PRAFileTransferList"),
    "\"\"",
    key!("PRARecordingStatus"),
    "\"\"",
    key!("PRASharedUsersList"),
    "\"\"",
    key!("PRASessionType"),
    "\"\"",
    key!("PRASharedMode"),
    "\"\"",
);
