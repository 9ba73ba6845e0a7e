//! The status logs: User Status (`zpn_auth_log`) and the App Connector, Private Service Edge
//! and Private Cloud Controller Status logs, each with the keys of its default JSON template.

use super::Cx;
use super::codes::SESSION_STATUSES;
use super::session::PLATFORMS;
use super::world::{CITIES, random_id};
use super::write::{Ip4, Json, first_key, key};

const POSTURES: [&str; 5] = [
    "CrowdStrike Running",
    "Disk Encrypted",
    "Domain Joined",
    "OS Up To Date",
    "Firewall Enabled",
];
const DEPARTMENTS: [&str; 5] = ["Engineering", "Finance", "Sales", "IT", "Human Resources"];
/// Trusted network names, one per entry of [`CITIES`].
const OFFICES: [&str; CITIES.len()] = [
    "NYC Office",
    "San Jose Campus",
    "Chicago Office",
    "London Office",
    "Frankfurt Office",
    "Bengaluru Campus",
    "Singapore Office",
    "São Paulo Office",
];
const ZCC_VERSIONS: [&str; 5] = ["4.6.0.216", "4.5.1.89", "3.9.0.57", "3.6.2.14", "3.8.0.30"];

/// Writes a User Status record for session `s_idx` with `SessionStatus` index `status`
/// (into [`SESSION_STATUSES`]). A disconnect ends the session.
pub(super) fn user(cx: &mut Cx<'_>, w: &mut Json<'_>, s_idx: usize, status: usize) {
    let now = cx.now;
    let s = *cx.sessions.get(s_idx);
    let world = cx.world;
    let c = &world.customers[s.customer];
    let city = &CITIES[s.city];
    let (code, _) = SESSION_STATUSES[status];
    let failed = code == "ZPN_STATUS_AUTH_FAILED";
    let lss = s.is_lss_client();

    w.ctime(first_key!("LogTimestamp"), now);
    w.str(key!("Customer"), c.name);
    w.str(key!("Username"), &c.users[s.user]);
    // A failed authentication never became the live session.
    let id = if failed { random_id(cx.rng) } else { s.id };
    w.plain(key!("SessionID"), &id);
    w.str(key!("SessionStatus"), code);
    w.str(
        key!("Version"),
        if lss { "" } else { ZCC_VERSIONS[s.platform] },
    );
    w.str(key!("ZEN"), city.service_edge);
    w.plain(key!("CertificateCN"), &s.id);
    w.ip(key!("PrivateIP"), (!lss).then_some(s.private_ip));
    w.ip(key!("PublicIP"), Some(s.public_ip));
    w.fixed6(key!("Latitude"), city.lat);
    w.fixed6(key!("Longitude"), city.lon);
    w.str(key!("CountryCode"), city.country);
    w.iso(
        key!("TimestampAuthentication"),
        (!failed).then_some(s.auth_ms),
    );
    w.iso(
        key!("TimestampUnAuthentication"),
        (code == "ZPN_STATUS_DISCONNECTED").then_some(now),
    );
    let (rx, tx) = if failed {
        (0, 0)
    } else {
        (s.bytes_rx, s.bytes_tx)
    };
    w.num(key!("TotalBytesRx"), rx);
    w.num(key!("TotalBytesTx"), tx);
    w.str(key!("Idp"), if lss { "0" } else { c.idp });
    if lss {
        w.str(key!("Hostname"), "");
        w.str(key!("Platform"), "");
        w.str(key!("ClientType"), "zpn_client_type_slogger");
    } else {
        w.plain(key!("Hostname"), &s.hostname);
        w.str(key!("Platform"), PLATFORMS[s.platform].0);
        w.str(
            key!("ClientType"),
            if cx.rng.per_mille(950) {
                "zpn_client_type_zapp"
            } else {
                "zpn_client_type_machine_tunnel"
            },
        );
    }
    if s.trusted {
        w.str_array(key!("TrustedNetworks"), &["216196257331285827"]);
        w.str_array(key!("TrustedNetworksNames"), &[OFFICES[s.city]]);
    } else {
        w.str_array::<&str>(key!("TrustedNetworks"), &[]);
        w.str_array::<&str>(key!("TrustedNetworksNames"), &[]);
    }
    if lss {
        w.str(key!("SAMLAttributes"), "");
        w.str_array::<&str>(key!("PosturesHit"), &[]);
        w.str_array::<&str>(key!("PosturesMiss"), &[]);
    } else {
        let dept = DEPARTMENTS[s.user % DEPARTMENTS.len()];
        w.str_parts(
            key!("SAMLAttributes"),
            &["email:", &c.users[s.user], ",Department:", dept],
        );
        let hit = 2 + s.user % 3;
        let miss = usize::from(cx.rng.per_mille(150));
        w.str_array(key!("PosturesHit"), &POSTURES[..hit]);
        w.str_array(key!("PosturesMiss"), &POSTURES[hit..hit + miss]);
    }
    w.fixed6(key!("ZENLatitude"), city.se_lat);
    w.fixed6(key!("ZENLongitude"), city.se_lon);
    w.str(key!("ZENCountryCode"), city.country);
    w.str(key!("FQDNRegistered"), "0");
    w.str(
        key!("FQDNRegisteredError"),
        if !lss && cx.rng.per_mille(300) {
            "CUSTOMER_NOT_ENABLED"
        } else {
            ""
        },
    );
    w.str(key!("City"), city.name);
    w.str(key!("MicroTenantID"), "0");
    w.end();

    if code == "ZPN_STATUS_DISCONNECTED" {
        cx.sessions.renew(s_idx, cx.rng, world, now);
    }
}

/// The component a status record is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Component {
    Connector,
    ServiceEdge,
    CloudController,
}

/// Writes an App Connector, Private Service Edge or Private Cloud Controller Status record.
pub(super) fn component(cx: &mut Cx<'_>, w: &mut Json<'_>, kind: Component, status: usize) {
    let now = cx.now;
    let world = cx.world;
    let c = &world.customers[world.customer(cx.rng)];
    let (name, group, ip, public_ip, city) = match kind {
        Component::Connector => {
            let k = cx.rng.pick(&c.connectors);
            (&k.name, &k.group, k.ip, k.public_ip, k.city)
        }
        Component::ServiceEdge => {
            let a = cx.rng.pick(&c.service_edges);
            (&a.name, &a.group, a.ip, a.public_ip, a.city)
        }
        Component::CloudController => {
            let a = cx.rng.pick(&c.cloud_controllers);
            (&a.name, &a.group, a.ip, a.public_ip, a.city)
        }
    };
    let city = &CITIES[city];
    let (code, _) = SESSION_STATUSES[status];
    let failed = code == "ZPN_STATUS_AUTH_FAILED";
    let now_s = u64::try_from(now / 1000).unwrap_or(0);
    let host_start = now_s - cx.rng.range(86_400, 90 * 86_400);
    let process_start = now_s - cx.rng.range(600, 14 * 86_400);
    let auth = now - i64::try_from(cx.rng.range(1_000, 86_400_000)).unwrap_or(0);
    let version = *cx.rng.pick(&["24.252.1", "24.197.2", "25.33.1"]);
    let Ip4([a, b, sn, _]) = ip;

    w.ctime(first_key!("LogTimestamp"), now);
    w.str(key!("Customer"), c.name);
    w.plain(key!("SessionID"), &random_id(cx.rng));
    let session_type = match kind {
        Component::Connector if cx.rng.per_mille(500) => "ZPN_ASSISTANT_BROKER_DATA",
        Component::Connector => "ZPN_ASSISTANT_BROKER_CONTROL",
        _ => "ZPN_TUNNEL_CONTROL",
    };
    w.str(key!("SessionType"), session_type);
    w.str(key!("SessionStatus"), code);
    w.str(key!("Version"), version);
    if kind != Component::Connector {
        w.str_parts(key!("PackageVersion"), &[version, "-1"]);
    }
    w.str(key!("Platform"), cx.rng.pick::<&str>(&["el8", "el9"]));
    w.str(key!("ZEN"), city.service_edge);
    match kind {
        Component::Connector => {
            w.str(key!("Connector"), name);
            w.str(key!("ConnectorGroup"), group);
        }
        Component::ServiceEdge => {
            w.str(key!("ServiceEdge"), name);
            w.str(key!("ServiceEdgeGroup"), group);
        }
        Component::CloudController => {
            w.str(key!("PrivateCloudController"), name);
            w.str(key!("PrivateCloudControllerGroup"), group);
        }
    }
    w.ip(key!("PrivateIP"), Some(ip));
    w.ip(key!("PublicIP"), Some(public_ip));
    w.fixed6(key!("Latitude"), city.lat);
    w.fixed6(key!("Longitude"), city.lon);
    w.str(key!("CountryCode"), city.country);
    w.iso(key!("TimestampAuthentication"), (!failed).then_some(auth));
    w.iso(
        key!("TimestampUnAuthentication"),
        (code == "ZPN_STATUS_DISCONNECTED").then_some(now),
    );
    w.num(key!("CPUUtilization"), cx.rng.range(1, 45));
    w.num(key!("MemUtilization"), cx.rng.range(12, 70));
    if kind == Component::Connector {
        w.num(key!("ServiceCount"), cx.rng.range(1, 60));
    }
    w.str(
        key!("InterfaceDefRoute"),
        cx.rng.pick::<&str>(&["eth0", "ens192"]),
    );
    w.ip(key!("DefRouteGW"), Some(Ip4([a, b, sn, 1])));
    w.ip(key!("PrimaryDNSResolver"), Some(Ip4([a, b, 0, 53])));
    match kind {
        Component::Connector => {
            w.num_str(key!("HostStartTime"), host_start);
            w.num_str(key!("ConnectorStartTime"), process_start);
        }
        Component::ServiceEdge => {
            w.num_str(key!("HostUpTime"), host_start);
            w.num_str(key!("ServiceEdgeStartTime"), process_start);
        }
        Component::CloudController => {
            w.num_str(key!("HostUpTime"), host_start);
            w.num_str(key!("PrivateCloudControllerStartTime"), process_start);
        }
    }
    w.num(key!("NumOfInterfaces"), cx.rng.range(1, 3));
    let rx = cx.rng.range(1 << 30, 1 << 40);
    let tx = cx.rng.range(1 << 30, 1 << 40);
    w.num(key!("BytesRxInterface"), rx);
    w.num(key!("PacketsRxInterface"), rx / cx.rng.range(200, 900));
    w.num(key!("ErrorsRxInterface"), 0);
    w.num(key!("DiscardsRxInterface"), cx.rng.range(0, 3));
    w.num(key!("BytesTxInterface"), tx);
    w.num(key!("PacketsTxInterface"), tx / cx.rng.range(200, 900));
    w.num(key!("ErrorsTxInterface"), 0);
    w.num(key!("DiscardsTxInterface"), 0);
    let (brx, btx) = if failed {
        (0, 0)
    } else {
        (cx.rng.range(1_000, 1 << 32), cx.rng.range(1_000, 1 << 32))
    };
    w.num(key!("TotalBytesRx"), brx);
    w.num(key!("TotalBytesTx"), btx);
    w.str(key!("MicroTenantID"), "0");
    w.end();
}
