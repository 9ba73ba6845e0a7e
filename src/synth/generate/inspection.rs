//! `AppProtection` (`zpn_waf_http_exchanges_log`), the SMB, LDAP and Kerberos protocol
//! inspection logs, and Microsegmentation Flow (`zms_flow_log`), each with the keys of its
//! default JSON template.

use super::Cx;
use super::other::{USER_AGENTS, http_status};
use super::world::{Customer, public_ip, random_id, uuid};
use super::write::{Ip4, Json, first_key, key};

/// (control id, type, category, severity, description) of inspection controls.
type Control = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const WEB_CONTROLS: [Control; 5] = [
    (
        "941100",
        "PREDEFINED",
        "Cross-Site Scripting (XSS)",
        "CRITICAL",
        "XSS Attack Detected via libinjection",
    ),
    (
        "942100",
        "PREDEFINED",
        "SQL Injection",
        "CRITICAL",
        "SQL Injection Attack Detected via libinjection",
    ),
    (
        "930120",
        "PREDEFINED",
        "Local File Inclusion",
        "CRITICAL",
        "OS File Access Attempt",
    ),
    (
        "920350",
        "PREDEFINED",
        "Protocol Issues",
        "WARNING",
        "Host header is a numeric IP address",
    ),
    (
        "913100",
        "PREDEFINED",
        "Scanner Detection",
        "CRITICAL",
        "Found User-Agent associated with security scanner",
    ),
];

const AD_CONTROLS: [Control; 3] = [
    (
        "6000012",
        "PREDEFINED",
        "Reconnaissance",
        "WARNING",
        "Enumeration of domain users",
    ),
    (
        "6000031",
        "PREDEFINED",
        "Credential Access",
        "CRITICAL",
        "Kerberoasting: service ticket requested with RC4 encryption",
    ),
    (
        "6000047",
        "PREDEFINED",
        "Lateral Movement",
        "CRITICAL",
        "Remote service creation over SMB named pipe",
    ),
];

/// Writes the six parallel inspection-control arrays for `hits` (all empty when none).
fn controls(w: &mut Json<'_>, hits: &[Control], block: bool) {
    let mut ids = [""; 2];
    let mut types = [""; 2];
    let mut cats = [""; 2];
    let mut sevs = [""; 2];
    let mut descs = [""; 2];
    let n = hits.len().min(2);
    for (i, h) in hits.iter().take(n).enumerate() {
        (ids[i], types[i], cats[i], sevs[i], descs[i]) = *h;
    }
    let action = if block { "BLOCK" } else { "PASS" };
    w.str_array(key!("InspectionControls"), &ids[..n]);
    w.str_array(key!("InspectionControlTypes"), &types[..n]);
    w.str_array(key!("InspectionControlCategories"), &cats[..n]);
    w.str_array(key!("Actions"), &[action; 2][..n]);
    w.str_array(key!("Severities"), &sevs[..n]);
    w.str_array(key!("Descriptions"), &descs[..n]);
}

/// Which controls matched: none for most exchanges, one or two now and then.
fn pick_hits<'c>(cx: &mut Cx<'_>, table: &'c [Control]) -> &'c [Control] {
    if cx.rng.per_mille(880) {
        return &[];
    }
    let i = cx.rng.index(table.len());
    let n = if i + 1 < table.len() && cx.rng.per_mille(300) {
        2
    } else {
        1
    };
    &table[i..i + n]
}

fn connection_id(cx: &mut Cx<'_>, w: &mut Json<'_>) {
    let (sid, cid) = (random_id(cx.rng), random_id(cx.rng));
    w.raw(key!("ConnectionID").as_bytes());
    w.raw(b"\"");
    w.raw(&sid);
    w.raw(b",");
    w.raw(&cid);
    w.raw(b"\"");
}

/// Writes one `AppProtection` record (one HTTP exchange).
pub(super) fn app_protection(cx: &mut Cx<'_>, w: &mut Json<'_>) {
    let now = cx.now;
    let world = cx.world;
    let c = &world.customers[world.customer(cx.rng)];
    let app = &c.apps[*cx.rng.pick(&[0usize, 1, 2, 5, 6, 7])];
    let connector = cx.rng.pick(&c.connectors);
    let hits = pick_hits(cx, &WEB_CONTROLS);
    let block = !hits.is_empty() && cx.rng.per_mille(700);
    // Timestamps are epoch microseconds.
    let end = u64::try_from(now).unwrap_or(0) * 1000 + cx.rng.below(1000);
    let (rr, rt, sr, st) = (
        cx.rng.range(30, 900),
        cx.rng.range(10, 300),
        cx.rng.range(20, 2_000),
        cx.rng.range(10, 400),
    );
    let server = cx.rng.range(500, 200_000);
    let t0 = end - (rr + rt + server + sr + st);

    w.ctime(first_key!("LogTimestamp"), now);
    w.str(key!("Customer"), c.name);
    connection_id(cx, w);
    w.str(key!("UserID"), cx.rng.pick::<Box<str>>(&c.users[1..]));
    w.num_str(key!("AssistantID"), connector.id);
    w.num(key!("ExchangeSequenceIndex"), cx.rng.range(1, 40));
    w.num(key!("TimestampRequestReceiveStart"), t0);
    w.num(key!("TimestampRequestReceiveHeaderFinish"), t0 + rr / 2);
    w.num(key!("TimestampRequestReceiveFinish"), t0 + rr);
    w.num(key!("TimestampRequestTransmitStart"), t0 + rr);
    w.num(key!("TimestampRequestTransmitFinish"), t0 + rr + rt);
    w.num(key!("TimestampResponseReceiveFinish"), end - st);
    w.num(key!("TimestampResponseTransmitStart"), end - st);
    w.num(key!("TimestampResponseTransmitFinish"), end);
    w.num(key!("TotalTimeRequestReceive"), rr);
    w.num(key!("TotalTimeRequestTransmit"), rt);
    w.num(key!("TotalTimeResponseReceive"), sr);
    w.num(key!("TotalTimeResponseTransmit"), st);
    w.str(key!("Domain"), &app.host);
    let post = cx.rng.per_mille(200);
    w.str(key!("Method"), if post { "POST" } else { "GET" });
    w.str(key!("Protocol"), "HTTPS");
    w.str(key!("ProtocolVersion"), "HTTP/1.1");
    w.str(
        key!("ContentType"),
        if post { "application/json" } else { "" },
    );
    w.str(key!("ContentEncoding"), "");
    w.str(key!("TransferEncoding"), "");
    w.str(key!("Host"), &app.host);
    w.ip(key!("Destination"), Some(app.server_ip));
    w.str(key!("OriginDomain"), "");
    w.str(
        key!("URL"),
        if block {
            "/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E"
        } else {
            "/rest/api/2/issue/ENG-4211"
        },
    );
    w.str(key!("UserAgent"), cx.rng.pick::<&str>(&USER_AGENTS));
    w.str(key!("HTTPError"), "success");
    w.ip(key!("ClientPublicIp"), Some(public_ip(cx.rng)));
    w.num(key!("ClientPort"), cx.rng.range(1_024, 65_535));
    w.num(key!("UpgradeHeaderPresent"), 0);
    w.num(
        key!("StatusCode"),
        if block { 403 } else { http_status(cx) },
    );
    w.num(key!("RequestHdrSize"), cx.rng.range(300, 1_500));
    w.num(key!("ResponseHdrSize"), cx.rng.range(200, 900));
    let req_body = if post { cx.rng.range(50, 20_000) } else { 0 };
    let resp_body = cx.rng.range(0, 500_000);
    w.num(key!("RequestBodySize"), req_body);
    w.num(key!("ResponseBodySize"), resp_body);
    w.num(key!("Application"), app.id);
    w.num(key!("ApplicationGroup"), app.id + 100);
    w.num(key!("InspectionPolicy"), c.id + 301);
    w.num(key!("InspectionProfile"), c.id + 401);
    w.num(key!("ParanoiaLevel"), cx.rng.range(1, 2));
    w.num(key!("InspectionControlsHitCount"), hits.len() as u64);
    w.num(key!("InspectionRuleProcessingTime"), cx.rng.range(20, 900));
    w.num(
        key!("InspectionReqHeadersProcessingTime"),
        cx.rng.range(5, 200),
    );
    w.num(
        key!("InspectionReqBodyProcessingTime"),
        cx.rng.range(0, 300),
    );
    w.num(
        key!("InspectionRespHeadersProcessingTime"),
        cx.rng.range(5, 200),
    );
    w.num(
        key!("InspectionRespBodyProcessingTime"),
        cx.rng.range(0, 300),
    );
    w.num(key!("CertificateId"), c.id + 501);
    w.num(key!("DoubleEncryption"), 0);
    w.num(key!("SSLInspection"), 1);
    w.num(key!("TotalBytesProcessed"), req_body + resp_body);
    controls(w, hits, block);
    w.end();
}

/// The protocol of an Active Directory inspection record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Protocol {
    Smb,
    Ldap,
    Krb,
}

/// Writes one SMB, LDAP or Kerberos inspection record.
pub(super) fn protocol(cx: &mut Cx<'_>, w: &mut Json<'_>, proto: Protocol) {
    let world = cx.world;
    let c = &world.customers[world.customer(cx.rng)];
    // File Shares (SMB) or Domain Controllers (LDAP, Kerberos).
    let port = if proto == Protocol::Smb { 445 } else { 389 };
    let app = c.apps.iter().find(|a| a.port == port).unwrap_or(&c.apps[0]);
    let user = cx.rng.pick::<Box<str>>(&c.users[1..]);
    let hits = pick_hits(cx, &AD_CONTROLS);
    let block = !hits.is_empty() && cx.rng.per_mille(500);
    let (port, config, version, activity) = match proto {
        Protocol::Smb => (
            445,
            "SMB",
            "SMB 3.1.1",
            *cx.rng
                .pick(&["FILE_READ", "FILE_WRITE", "TREE_CONNECT", "RPC"]),
        ),
        Protocol::Ldap => (
            389,
            "LDAP",
            "LDAPv3",
            *cx.rng.pick(&["BIND", "SEARCH", "SEARCH", "MODIFY"]),
        ),
        Protocol::Krb => (
            88,
            "KERBEROS",
            "Kerberos v5",
            *cx.rng.pick(&["AS_REQ", "TGS_REQ", "TGS_REQ"]),
        ),
    };

    w.ctime(first_key!("LogTimestamp"), cx.now);
    w.str(key!("Customer"), c.name);
    connection_id(cx, w);
    w.str(key!("UserID"), user);
    w.num_str(key!("AssistantID"), cx.rng.pick(&c.connectors).id);
    w.str(key!("Domain"), &app.host);
    w.num(key!("ServerPort"), port);
    w.str(
        key!("Transport"),
        if proto == Protocol::Krb && cx.rng.per_mille(300) {
            "UDP"
        } else {
            "TCP"
        },
    );
    w.str(key!("InspectionProtocolConfig"), config);
    w.str(key!("TrafficClassfication"), "INSPECTED");
    w.str(key!("ProtocolClassification"), config);
    w.str(key!("ProtocolInspectionError"), "");
    w.str(key!("ProtocolVersion"), version);
    w.str(key!("ProtocolActivityType"), activity);
    match proto {
        Protocol::Smb => smb_counters(cx, w),
        Protocol::Ldap => ldap_counters(cx, w),
        Protocol::Krb => krb_fields(cx, w, c, user),
    }
    w.num(key!("Application"), app.id);
    w.num_str(key!("ApplicationGroup"), app.id + 100);
    w.num(key!("InspectionPolicy"), c.id + 311);
    w.num(key!("InspectionProfile"), c.id + 411);
    w.str(key!("ParanoiaLevel"), "1");
    w.num(key!("InspectionControlsHitCount"), hits.len() as u64);
    let (req, resp) = (cx.rng.range(80, 9_000), cx.rng.range(80, 60_000));
    let (tq, tr) = (cx.rng.range(5, 400), cx.rng.range(5, 400));
    w.num(key!("ProcessingTime"), tq + tr);
    w.num(key!("RequestProcessingTime"), tq);
    w.num(key!("ResponseProcessingTime"), tr);
    w.num(key!("TotalBytesProcessed"), req + resp);
    w.num(key!("RequestBytes"), req);
    w.num(key!("ResponseBytes"), resp);
    w.num(key!("DoubleEncryption"), 0);
    controls(w, hits, block);
    w.end();
}

fn smb_counters(cx: &mut Cx<'_>, w: &mut Json<'_>) {
    let r = &mut *cx.rng;
    w.num(key!("SMBSessionControlRequests"), r.range(0, 4));
    w.num(key!("SMBFileOperationRequests"), r.range(0, 300));
    w.num(key!("SMBGeneralMessageRequests"), r.range(0, 20));
    w.num(key!("SMBRPC"), r.range(0, 6));
    w.num(key!("SMBEnumeration"), r.range(0, 3));
    w.num(key!("SMBSessionEnumeration"), r.range(0, 1));
    w.num(key!("SMBUserListEnum"), r.range(0, 1));
}

fn ldap_counters(cx: &mut Cx<'_>, w: &mut Json<'_>) {
    let r = &mut *cx.rng;
    w.num(key!("LDAPNullBindRequests"), r.range(0, 1));
    w.num(key!("LDAPBindRequests"), r.range(0, 3));
    w.num(key!("LDAPGeneralRequests"), r.range(0, 10));
    w.num(key!("LDAPModifyRequests"), r.range(0, 2));
    w.num(key!("LDAPSearchRequests"), r.range(0, 60));
    w.num(key!("LDAPGroupQueryRequests"), r.range(0, 12));
    w.num(key!("LDAPACLQueryRequests"), r.range(0, 2));
    w.num(key!("LDAPObjectPropertyRequests"), r.range(0, 20));
    w.num(key!("LDAPBaseObjectQueries"), r.range(0, 10));
    w.num(key!("LDAPSingleLevelQueries"), r.range(0, 10));
    w.num(key!("LDAPWholeSubTreeQueries"), r.range(0, 30));
}

fn krb_fields(cx: &mut Cx<'_>, w: &mut Json<'_>, c: &Customer, user: &str) {
    let local = user.split_once('@').map_or(user, |(l, _)| l);
    w.str(key!("KRBRealm"), &c.realm);
    w.str(key!("KRBClientRealm"), &c.realm);
    w.str_parts(key!("KRBUserPrincipal"), &[local, "@", &c.realm]);
    let service = *cx
        .rng
        .pick(&["cifs/files.corp.", "ldap/dc01.corp.", "HTTP/intranet."]);
    w.str_parts(
        key!("KRBServicePrincipal"),
        &[service, c.domain, "@", &c.realm],
    );
    let enc = if cx.rng.per_mille(30) {
        "rc4-hmac"
    } else {
        "aes256-cts-hmac-sha1-96"
    };
    w.str(key!("KRBEncryption"), enc);
    w.str(key!("KRBTicketEncryption"), enc);
    w.str(
        key!("KRBErrorCode"),
        if cx.rng.per_mille(60) {
            "KDC_ERR_PREAUTH_FAILED"
        } else {
            ""
        },
    );
}

/// (zone, resource suffix, destination port, application, executable).
type Workload = (&'static str, &'static str, u64, &'static str, &'static str);

const WORKLOADS: [Workload; 4] = [
    ("Production Web", "web-01", 443, "nginx", "/usr/sbin/nginx"),
    (
        "Databases",
        "db-01",
        5432,
        "postgres",
        "/usr/lib/postgresql/16/bin/postgres",
    ),
    (
        "Domain Services",
        "dc-01",
        445,
        "System",
        r"C:\Windows\System32\ntoskrnl.exe",
    ),
    (
        "Admin Servers",
        "mgmt-01",
        3389,
        "svchost.exe",
        r"C:\Windows\System32\svchost.exe",
    ),
];

/// Writes one Microsegmentation Flow record and returns its `EnforcementAction`.
pub(super) fn flow(cx: &mut Cx<'_>, w: &mut Json<'_>) -> &'static str {
    let now = cx.now;
    let world = cx.world;
    let ci = world.customer(cx.rng);
    let c = &world.customers[ci];
    let wi = cx.rng.index(WORKLOADS.len());
    let (zone, suffix, port, app_name, exe) = WORKLOADS[wi];
    let allow = cx.rng.per_mille(850);
    let no_policy = !allow && cx.rng.per_mille(400);
    let net = u8::try_from(ci + 1).unwrap_or(1) * 16;
    let wn = u8::try_from(wi).unwrap_or(0);

    w.ctime(first_key!("LogTimestamp"), now);
    w.str(key!("Customer"), c.name);
    w.plain(key!("AgentID"), &uuid(cx.rng));
    w.str_parts(key!("AgentName"), &[c.short, "-", suffix]);
    w.plain(key!("ResourceID"), &uuid(cx.rng));
    w.str_parts(key!("ResourceName"), &[c.short, "-", suffix, ".", c.domain]);
    w.num_str(key!("AppZoneID"), c.id + 600 + wi as u64);
    w.str(key!("AppZoneName"), zone);
    let start = now - i64::try_from(cx.rng.range(0, 300_000)).unwrap_or(0);
    w.iso(key!("ConnectionStartTime"), Some(start));
    w.ip(
        key!("SourceIP"),
        Some(Ip4([10, net + 2, *cx.rng.pick(&[1u8, 2, 3]), 17])),
    );
    w.ip(key!("DestinationIP"), Some(Ip4([10, net + 3, wn, 10])));
    let n = usize::try_from(cx.rng.range(1, 3)).unwrap_or(1);
    let mut ports = [0u64; 3];
    for p in &mut ports[..n] {
        *p = cx.rng.range(32_768, 60_999);
    }
    w.num_array(key!("SourcePorts"), &ports[..n]);
    w.num(key!("DestinationPort"), port);
    w.num(key!("Protocol"), 6);
    w.str_array(key!("AppName"), &[app_name]);
    w.str_array(key!("AppExecutablePath"), &[exe]);
    w.str(key!("Direction"), "INBOUND");
    if no_policy {
        w.str(key!("PolicyID"), "");
        w.str(key!("PolicyName"), "");
    } else {
        w.num_str(key!("PolicyID"), c.id + 700 + wi as u64);
        w.str_parts(key!("PolicyName"), &["Allow ", zone]);
    }
    // The documented vocabularies of zms_flow_log.
    let (reason, action, disposition) = match (allow, no_policy) {
        (true, _) => ("RULE", "ALLOW", "CONNECTED"),
        (false, true) => ("NO_POLICY_EXISTS", "BLOCK", "REJECTED"),
        (false, false) => ("RULE", "BLOCK", "REJECTED"),
    };
    w.str(key!("EnforcementReason"), reason);
    w.str(key!("EnforcementAction"), action);
    w.str(key!("EnforcementDisposition"), disposition);
    w.end();
    action
}
