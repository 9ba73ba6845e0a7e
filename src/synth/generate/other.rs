//! Browser Access (`zpn_http_trans_log`), Audit (`zpn_audit_log`) and the three comprehensive
//! metrics logs, each with the keys of its default JSON template.

use super::Cx;
use super::world::{lower_id, public_ip, random_id, uuid};
use super::write::{Json, first_key, key, push_escaped};

const PATHS: [&str; 8] = [
    "/",
    "/login",
    "/dashboard",
    "/secure/Dashboard.jspa",
    "/rest/api/2/search?jql=assignee%3DcurrentUser()&maxResults=50",
    "/static/js/app.8f3c2a.js",
    "/media/Regular.woff",
    "/favicon.ico",
];

pub(super) const USER_AGENTS: [&str; 4] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
];

/// HTTP status codes and their share (per mille).
const HTTP_STATUSES: [(u64, u64); 8] = [
    (200, 700),
    (304, 150),
    (302, 50),
    (404, 40),
    (401, 25),
    (403, 15),
    (500, 12),
    (502, 8),
];

/// An HTTP status code, mostly 200.
pub(super) fn http_status(cx: &mut Cx<'_>) -> u64 {
    let roll = cx.rng.below(1000);
    let mut acc = 0;
    for (code, share) in HTTP_STATUSES {
        acc += share;
        if roll < acc {
            return code;
        }
    }
    200
}

/// Writes one Browser Access record.
pub(super) fn browser_access(cx: &mut Cx<'_>, w: &mut Json<'_>) {
    let now = cx.now;
    let world = cx.world;
    let c = &world.customers[world.customer(cx.rng)];
    // Browser Access serves the web applications.
    let app = &c.apps[*cx.rng.pick(&[0usize, 1, 2, 5, 6, 7])];
    let user = cx.rng.pick::<Box<str>>(&c.users[1..]);
    let us = |cx: &mut Cx<'_>, lo, hi| cx.rng.range(lo, hi);
    let rx_req = us(cx, 20, 400);
    let tx_req = us(cx, 10, 200);
    let rx_resp = us(cx, 20, 900);
    let tx_resp = us(cx, 10, 300);
    let setup = if cx.rng.per_mille(200) {
        us(cx, 20_000, 120_000)
    } else {
        0
    };
    let server = us(cx, 800, 250_000);
    let ms = |v: u64| i64::try_from(v / 1000).unwrap_or(0);
    let t0 = now - ms(rx_req + tx_req + server + rx_resp + tx_resp + setup);
    let t1 = t0 + ms(rx_req);
    let t2 = t1 + ms(setup);
    let t3 = t2 + ms(tx_req);
    let t4 = t3 + ms(server);
    let t5 = t4 + ms(rx_resp);

    w.ctime(first_key!("LogTimestamp"), now);
    if cx.rng.per_mille(300) {
        w.str(key!("ConnectionID"), "");
    } else {
        let (sid, cid) = (random_id(cx.rng), random_id(cx.rng));
        w.raw(key!("ConnectionID").as_bytes());
        w.raw(b"\"");
        w.raw(&sid);
        w.raw(b",");
        w.raw(&cid);
        w.raw(b"\"");
    }
    w.str(key!("Exporter"), "unset");
    w.iso(key!("TimestampRequestReceiveStart"), Some(t0));
    w.iso(key!("TimestampRequestReceiveHeaderFinish"), Some(t0));
    w.iso(key!("TimestampRequestReceiveFinish"), Some(t1));
    w.iso(key!("TimestampRequestTransmitStart"), Some(t2));
    w.iso(key!("TimestampRequestTransmitFinish"), Some(t3));
    w.iso(key!("TimestampResponseReceiveStart"), Some(t4));
    w.iso(key!("TimestampResponseReceiveFinish"), Some(t5));
    w.iso(key!("TimestampResponseTransmitStart"), Some(t5));
    w.iso(key!("TimestampResponseTransmitFinish"), Some(now));
    w.num(key!("TotalTimeRequestReceive"), rx_req);
    w.num(key!("TotalTimeRequestTransmit"), tx_req);
    w.num(key!("TotalTimeResponseReceive"), rx_resp);
    w.num(key!("TotalTimeResponseTransmit"), tx_resp);
    w.num(key!("TotalTimeConnectionSetup"), setup);
    w.num(key!("TotalTimeServerResponse"), server);
    let post = cx.rng.per_mille(150);
    w.str(key!("Method"), if post { "POST" } else { "GET" });
    w.str(key!("Protocol"), "HTTPS");
    w.str(key!("Host"), &app.host);
    w.str(key!("URL"), cx.rng.pick::<&str>(&PATHS));
    w.str(key!("UserAgent"), cx.rng.pick::<&str>(&USER_AGENTS));
    w.str(key!("XFF"), "");
    w.str(key!("NameID"), user);
    let status = http_status(cx);
    w.num(key!("StatusCode"), status);
    w.num(
        key!("RequestSize"),
        cx.rng.range(350, if post { 40_000 } else { 1_800 }),
    );
    w.num(
        key!("ResponseSize"),
        if status == 304 {
            cx.rng.range(180, 400)
        } else {
            cx.rng.range(300, 2_000_000)
        },
    );
    w.num(key!("ApplicationPort"), u64::from(app.port));
    w.ip(key!("ClientPublicIp"), Some(public_ip(cx.rng)));
    w.num(key!("ClientPublicPort"), cx.rng.range(1_024, 65_535));
    w.ip(key!("ClientPrivateIp"), Some(public_ip(cx.rng)));
    w.str(key!("Customer"), c.name);
    w.str(key!("ConnectionStatus"), "");
    w.str(key!("ConnectionReason"), "");
    w.str(key!("Origin"), "");
    w.str(key!("CorsToken"), "");
    w.end();
}

/// (operation, share per mille).
const AUDIT_OPERATIONS: [(&str, u64); 5] = [
    ("Update", 350),
    ("Create", 300),
    ("Sign In", 200),
    ("Delete", 100),
    ("Sign Out", 50),
];

/// Writes one Audit record. Old and new values are JSON documents carried as strings, so they
/// are escaped twice: once inside the document, once as the string.
pub(super) fn audit(cx: &mut Cx<'_>, w: &mut Json<'_>) {
    let now = cx.now;
    let world = cx.world;
    let c = &world.customers[world.customer(cx.rng)];
    let admin_idx = cx.rng.index(c.admins.len());
    let admin = &c.admins[admin_idx];
    let roll = cx.rng.below(1000);
    let mut acc = 0;
    let mut op = "Update";
    for (o, share) in AUDIT_OPERATIONS {
        acc += share;
        if roll < acc {
            op = o;
            break;
        }
    }
    let session = matches!(op, "Sign In" | "Sign Out");
    let app = cx.rng.pick(&c.apps);
    let (object_type, object_name): (&str, &str) = if session {
        ("Authentication", admin)
    } else {
        *cx.rng.pick(&[
            ("Application Segment", app.name),
            ("Server", &*app.host),
            ("Access Policy Rule", "Allow Engineering"),
            ("Segment Group", app.group),
        ])
    };
    let object_id = app.id + cx.rng.range(1, 99) * 100;

    // The new value, as a JSON document (inner strings escaped once here).
    let mut doc = std::mem::take(cx.scratch);
    doc.clear();
    if session {
        let at = w.iso_bytes(now);
        doc.extend_from_slice(b"{\"loginAttempt\":\"");
        doc.extend_from_slice(&at);
        doc.extend_from_slice(b"\",\"remoteIP\":\"");
        let ip = public_ip(cx.rng).0;
        for (i, o) in ip.iter().enumerate() {
            if i > 0 {
                doc.push(b'.');
            }
            super::write::push_u64(&mut doc, u64::from(*o));
        }
        doc.extend_from_slice(b"\"}");
    } else if op != "Delete" {
        doc.extend_from_slice(b"{\"id\":\"");
        super::write::push_u64(&mut doc, object_id);
        doc.extend_from_slice(b"\",\"name\":\"");
        push_escaped(&mut doc, object_name);
        doc.extend_from_slice(
            b"\",\"description\":\"Managed by \\\"zpa-automation\\\"\",\"enabled\":\"",
        );
        doc.extend_from_slice(if cx.rng.per_mille(900) {
            b"true"
        } else {
            b"false"
        });
        doc.extend_from_slice(b"\"}");
    }
    let old = match op {
        "Update" | "Delete" => "{\"enabled\":\"true\"}",
        _ => "",
    };

    let created = if op == "Create" || session {
        now
    } else {
        now - i64::try_from(cx.rng.range(86_400_000, 400 * 86_400_000)).unwrap_or(0)
    };
    w.iso(
        first_key!("ModifiedTime"),
        (!session && op != "Create").then_some(now),
    );
    w.iso(key!("CreationTime"), Some(created));
    w.num(key!("ModifiedBy"), c.id + 1_000 + admin_idx as u64);
    w.plain(key!("RequestID"), &uuid(cx.rng));
    w.plain(key!("SessionID"), &lower_id::<25>(cx.rng));
    w.str(key!("AuditOldValue"), old);
    w.str(
        key!("AuditNewValue"),
        std::str::from_utf8(&doc).unwrap_or(""),
    );
    w.str(key!("AuditOperationType"), op);
    w.str(key!("ObjectType"), object_type);
    w.str(key!("ObjectName"), object_name);
    w.num(key!("ObjectID"), object_id);
    w.num(key!("CustomerID"), c.id);
    w.str(key!("User"), admin);
    w.num(key!("ClientAuditUpdate"), u64::from(session));
    w.end();
    *cx.scratch = doc;
}

/// Which comprehensive-stats log to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Metrics {
    Connector,
    ServiceEdge,
    CloudController,
}

/// Writes one metrics record; values are strings, as the templates' `%j` produces.
pub(super) fn metrics(cx: &mut Cx<'_>, w: &mut Json<'_>, kind: Metrics) {
    let world = cx.world;
    let c = &world.customers[world.customer(cx.rng)];
    w.ctime(first_key!("LogTimestamp"), cx.now);
    match kind {
        Metrics::Connector => w.str(key!("Connector"), &cx.rng.pick(&c.connectors).name),
        Metrics::ServiceEdge => w.str(key!("PrivateSE"), &cx.rng.pick(&c.service_edges).name),
        Metrics::CloudController => w.str(
            key!("PrivateCloudController"),
            &cx.rng.pick(&c.cloud_controllers).name,
        ),
    }
    let r = &mut *cx.rng;
    w.num_str(key!("CPUUtilization"), r.range(1, 60));
    w.num_str(key!("SystemMemoryUtilization"), r.range(15, 75));
    w.num_str(key!("ProcessMemoryUtilization"), r.range(2, 30));
    if kind == Metrics::Connector {
        let targets = r.range(5, 400);
        let public_active = r.range(2, 8);
        w.num_str(key!("AppCount"), r.range(1, 120));
        w.num_str(key!("ServiceCount"), r.range(1, 60));
        w.num_str(key!("TargetCount"), targets);
        w.num_str(key!("AliveTargetCount"), targets - r.range(0, targets / 10));
        w.num_str(key!("ActiveConnectionsToPublicSE"), public_active);
        w.num_str(key!("DisconnectedConnectionsToPublicSE"), r.range(0, 2));
        w.num_str(key!("ActiveConnectionsToPrivateSE"), r.range(0, 4));
        w.num_str(key!("DisconnectedConnectionsToPrivateSE"), r.range(0, 1));
        w.num_str(
            key!("TransmittedBytesToPublicSE"),
            r.range(1 << 20, 1 << 36),
        );
        w.num_str(key!("ReceivedBytesFromPublicSE"), r.range(1 << 20, 1 << 34));
        w.num_str(key!("TransmittedBytesToPrivateSE"), r.range(0, 1 << 30));
        w.num_str(key!("ReceivedBytesFromPrivateSE"), r.range(0, 1 << 28));
        let created = r.range(100, 50_000);
        let active = r.range(10, 2_000);
        w.num_str(key!("AppConnectionsCreated"), created);
        w.num_str(
            key!("AppConnectionsCleared"),
            created.saturating_sub(r.range(0, 100)),
        );
        w.num_str(key!("AppConnectionsActive"), active);
    }
    let tcp4 = r.range(50, 8_000);
    w.num_str(key!("UsedTCPPortsIPv4"), tcp4);
    w.num_str(key!("UsedUDPPortsIPv4"), r.range(0, 400));
    w.num_str(key!("UsedTCPPortsIPv6"), r.range(0, 50));
    w.num_str(key!("UsedUDPPortsIPv6"), r.range(0, 20));
    w.num_str(key!("AvailablePorts"), 64_511 - tcp4);
    w.num_str(key!("SystemMaximumFileDescriptors"), 1_048_576);
    w.num_str(key!("SystemUsedFileDescriptors"), r.range(2_000, 40_000));
    w.num_str(key!("ProcessMaximumFileDescriptors"), 524_288);
    w.num_str(key!("ProcessUsedFileDescriptors"), r.range(200, 20_000));
    w.num_str(key!("AvailableDiskBytes"), r.range(8 << 30, 120 << 30));
    if kind == Metrics::Connector {
        w.str(key!("MicroTenantID"), "0");
    }
    w.end();
}
