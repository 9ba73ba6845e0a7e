//! Which ECS fields each LSS key of each log type fills, by the key's `snake_case` name
//! ([`super::convert::snake_case`]), so that letter-case variants of a key (`RequestID`,
//! `requestId`) map alike.
//!
//! The five log types Elastic's `zscaler_zpa` integration reads follow its ingest pipelines;
//! where those put a value in a field whose ECS meaning does not fit (a client certificate's
//! subject as its issuer, the application host as `host.*`), the field that does fit is used.
//! The other log types follow the same lines: addresses as client/server or
//! source/destination, the ZPA component that reports as `observer`, its load as `host.*`.

use std::sync::LazyLock;

use rustc_hash::FxHashMap;

use super::fields::F;
use crate::event::LogType;

/// What a key's value becomes. A key is taken out of `zscaler_zpa.<log_type>` when one of its
/// targets (other than [`To::RelatedIp`]) accepts its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum To {
    /// A keyword: a string as it is; a number or boolean as its text.
    Keyword(F),
    /// A keyword, lower-cased (`HTTPS` → `url.scheme` `https`).
    Lower(F),
    /// An integer, from a number or a string of digits.
    Long(F),
    /// A port: an integer from 1 to 65535.
    Port(F),
    /// An HTTP status: an integer from 100 to 599 (`0`, a connection that failed before any
    /// answer, is none).
    HttpStatus(F),
    /// An IP address (also added to `related.ip`).
    Ip(F),
    /// A date in any form LSS writes, as RFC 3339.
    Date(F),
    /// A user name: `user.name`, and `user.email`/`user.domain` when it has them; `related.user`.
    User,
    /// A user identifier: `user.id` and `related.user`.
    UserId,
    /// An IANA protocol number: `network.iana_number` and `network.transport`.
    Transport,
    /// A transport protocol name (`TCP`): `network.transport`.
    TransportName,
    /// A traffic direction: `network.direction`, when it is one ECS allows.
    Direction,
    /// A CPU load in percent: `host.cpu.usage`, which ECS gives as a ratio from 0 to 1.
    CpuPercent,
    /// The latitude of a geo point (written once its longitude is found too).
    Lat(Geo),
    /// The longitude of a geo point.
    Lon(Geo),
    /// The host a connection went to: `server.address`, and `server.domain` with
    /// `related.hosts`, or `related.ip` for an address.
    ServerHost,
    /// The URL of a request as logged (a path and query): `url.original`, `url.path`,
    /// `url.query`.
    Url,
    /// The policy rule applied: `rule.name`, unless it is `0` (no rule).
    RuleName,
    /// An address added to `related.ip`; the key stays under `zscaler_zpa`.
    RelatedIp,
}

/// Whose geo point a latitude or longitude is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Geo {
    /// `client.geo.location`.
    Client,
    /// `server.geo.location`.
    Server,
    /// `observer.geo.location`.
    Observer,
}

impl Geo {
    /// How many owners there are.
    pub(super) const COUNT: usize = 3;

    pub(super) fn field(self) -> F {
        match self {
            Geo::Client => F::ClientGeoLocation,
            Geo::Server => F::ServerGeoLocation,
            Geo::Observer => F::ObserverGeoLocation,
        }
    }
}

type Table = &'static [(&'static str, &'static [To])];

/// Every log type.
const COMMON: Table = &[("customer", &[To::Keyword(F::OrganizationName)])];

const USER_ACTIVITY: Table = &[
    ("username", &[To::User]),
    ("client_public_ip", &[To::Ip(F::ClientIp)]),
    ("client_private_ip", &[To::RelatedIp]),
    ("client_latitude", &[To::Lat(Geo::Client)]),
    ("client_longitude", &[To::Lon(Geo::Client)]),
    (
        "client_country_code",
        &[To::Keyword(F::ClientGeoCountryIsoCode)],
    ),
    ("client_city", &[To::Keyword(F::ClientGeoCityName)]),
    ("host", &[To::ServerHost]),
    ("server_ip", &[To::Ip(F::ServerIp)]),
    ("server_port", &[To::Port(F::ServerPort)]),
    ("ip_protocol", &[To::Transport]),
    ("policy", &[To::RuleName]),
    ("connector_ip", &[To::RelatedIp]),
    ("timestamp_connection_start", &[To::Date(F::EventStart)]),
    ("timestamp_connection_end", &[To::Date(F::EventEnd)]),
    ("hostname", &[To::Keyword(F::HostHostname)]),
    ("platform", &[To::Keyword(F::HostOsPlatform)]),
];

const USER_STATUS: Table = &[
    ("username", &[To::User]),
    ("public_ip", &[To::Ip(F::ClientIp)]),
    ("private_ip", &[To::RelatedIp]),
    ("latitude", &[To::Lat(Geo::Client)]),
    ("longitude", &[To::Lon(Geo::Client)]),
    ("country_code", &[To::Keyword(F::ClientGeoCountryIsoCode)]),
    ("city", &[To::Keyword(F::ClientGeoCityName)]),
    ("zen_latitude", &[To::Lat(Geo::Server)]),
    ("zen_longitude", &[To::Lon(Geo::Server)]),
    (
        "zen_country_code",
        &[To::Keyword(F::ServerGeoCountryIsoCode)],
    ),
    ("hostname", &[To::Keyword(F::HostHostname)]),
    ("platform", &[To::Keyword(F::HostOsPlatform)]),
    (
        "certificate_cn",
        &[To::Keyword(F::TlsClientX509SubjectCommonName)],
    ),
];

/// App Connector, Private Service Edge and Private Cloud Controller status: the component is
/// the observer, its machine's load `host.*`.
const COMPONENT_STATUS: Table = &[
    ("public_ip", &[To::Ip(F::ObserverIp)]),
    ("private_ip", &[To::RelatedIp]),
    ("latitude", &[To::Lat(Geo::Observer)]),
    ("longitude", &[To::Lon(Geo::Observer)]),
    ("country_code", &[To::Keyword(F::ObserverGeoCountryIsoCode)]),
    ("platform", &[To::Keyword(F::ObserverOsPlatform)]),
    ("version", &[To::Keyword(F::ObserverVersion)]),
    ("cpu_utilization", &[To::CpuPercent]),
    ("total_bytes_tx", &[To::Long(F::HostNetworkEgressBytes)]),
    ("total_bytes_rx", &[To::Long(F::HostNetworkIngressBytes)]),
    ("primary_dns_resolver", &[To::RelatedIp]),
    ("def_route_gw", &[To::RelatedIp]),
    // The component's name, whichever of its types it is.
    ("connector", &[To::Keyword(F::ObserverName)]),
    ("service_edge", &[To::Keyword(F::ObserverName)]),
    ("private_cloud_controller", &[To::Keyword(F::ObserverName)]),
];

const BROWSER_ACCESS: Table = &[
    ("client_public_ip", &[To::Ip(F::ClientIp)]),
    ("client_public_port", &[To::Port(F::ClientPort)]),
    ("client_private_ip", &[To::RelatedIp]),
    ("method", &[To::Keyword(F::HttpRequestMethod)]),
    ("status_code", &[To::HttpStatus(F::HttpResponseStatusCode)]),
    ("request_size", &[To::Long(F::HttpRequestBodyBytes)]),
    ("response_size", &[To::Long(F::HttpResponseBodyBytes)]),
    (
        "application_port",
        &[To::Port(F::ServerPort), To::Port(F::UrlPort)],
    ),
    ("host", &[To::ServerHost, To::Keyword(F::UrlDomain)]),
    ("url", &[To::Url]),
    ("protocol", &[To::Lower(F::UrlScheme)]),
    ("user_agent", &[To::Keyword(F::UserAgentOriginal)]),
    ("name_id", &[To::User]),
    (
        "timestamp_request_receive_start",
        &[To::Date(F::EventStart)],
    ),
    (
        "timestamp_response_transmit_finish",
        &[To::Date(F::EventEnd)],
    ),
];

const APP_PROTECTION: Table = &[
    ("client_public_ip", &[To::Ip(F::ClientIp)]),
    ("client_port", &[To::Port(F::ClientPort)]),
    ("method", &[To::Keyword(F::HttpRequestMethod)]),
    ("status_code", &[To::HttpStatus(F::HttpResponseStatusCode)]),
    ("request_body_size", &[To::Long(F::HttpRequestBodyBytes)]),
    ("response_body_size", &[To::Long(F::HttpResponseBodyBytes)]),
    ("host", &[To::ServerHost]),
    ("domain", &[To::Keyword(F::UrlDomain)]),
    ("url", &[To::Url]),
    ("protocol", &[To::Lower(F::UrlScheme)]),
    ("user_agent", &[To::Keyword(F::UserAgentOriginal)]),
    ("user_id", &[To::User]),
    (
        "timestamp_request_receive_start",
        &[To::Date(F::EventStart)],
    ),
    (
        "timestamp_response_transmit_finish",
        &[To::Date(F::EventEnd)],
    ),
];

/// SMB, LDAP and Kerberos inspection.
const INSPECTION: Table = &[
    ("domain", &[To::ServerHost]),
    ("server_port", &[To::Port(F::ServerPort)]),
    ("transport", &[To::TransportName]),
    ("user_id", &[To::User]),
];

const MICROSEGMENTATION_FLOW: Table = &[
    ("source_ip", &[To::Ip(F::SourceIp)]),
    ("destination_ip", &[To::Ip(F::DestinationIp)]),
    ("source_ports", &[To::Port(F::SourcePort)]),
    ("destination_port", &[To::Port(F::DestinationPort)]),
    ("protocol", &[To::Transport]),
    ("direction", &[To::Direction]),
    ("policy_name", &[To::RuleName]),
    ("policy_id", &[To::Keyword(F::RuleId)]),
    ("app_name", &[To::Keyword(F::ProcessName)]),
    ("app_executable_path", &[To::Keyword(F::ProcessExecutable)]),
    ("agent_name", &[To::Keyword(F::HostName)]),
    ("connection_start_time", &[To::Date(F::EventStart)]),
];

/// App Connector, Private Service Edge and Private Cloud Controller metrics: the component
/// reports (`observer.name`) on its own machine (`host.name`).
const METRICS: Table = &[
    (
        "connector",
        &[To::Keyword(F::ObserverName), To::Keyword(F::HostName)],
    ),
    (
        "private_se",
        &[To::Keyword(F::ObserverName), To::Keyword(F::HostName)],
    ),
    (
        "private_cloud_controller",
        &[To::Keyword(F::ObserverName), To::Keyword(F::HostName)],
    ),
    ("cpu_utilization", &[To::CpuPercent]),
];

const AUDIT: Table = &[
    ("request_id", &[To::Keyword(F::EventId)]),
    ("user", &[To::User]),
    ("modified_by_user", &[To::User]),
    ("modified_by", &[To::UserId]),
    ("customer_id", &[To::Keyword(F::OrganizationId)]),
    ("audit_operation_type", &[To::Keyword(F::EventAction)]),
];

fn table(log_type: LogType) -> Table {
    match log_type {
        LogType::UserActivity => USER_ACTIVITY,
        LogType::UserStatus => USER_STATUS,
        LogType::AppConnectorStatus
        | LogType::PrivateServiceEdgeStatus
        | LogType::PrivateCloudControllerStatus => COMPONENT_STATUS,
        LogType::BrowserAccess => BROWSER_ACCESS,
        LogType::AppProtection => APP_PROTECTION,
        LogType::SmbInspection | LogType::LdapInspection | LogType::KrbInspection => INSPECTION,
        LogType::MicrosegmentationFlow => MICROSEGMENTATION_FLOW,
        LogType::AppConnectorMetrics
        | LogType::PrivateServiceEdgeMetrics
        | LogType::PrivateCloudControllerMetrics => METRICS,
        LogType::Audit => AUDIT,
        LogType::Unknown => &[],
    }
}

/// Per log type ([`LogType::ALL`] order), the targets of each key name: looked up once per key
/// of every record, so hashed rather than searched.
static TARGETS: LazyLock<Vec<FxHashMap<&'static [u8], &'static [To]>>> = LazyLock::new(|| {
    LogType::ALL
        .iter()
        .map(|&t| {
            COMMON
                .iter()
                .chain(table(t))
                .map(|&(k, to)| (k.as_bytes(), to))
                .collect()
        })
        .collect()
});

/// The targets of the key named `name` (`snake_case`) in a record of `log_type`; empty when the
/// key is not mapped.
pub(super) fn targets(log_type: LogType, name: &[u8]) -> &'static [To] {
    TARGETS[log_type as usize].get(name).copied().unwrap_or(&[])
}

/// The tables as written, for tests.
#[cfg(test)]
pub(super) fn table_of(log_type: LogType) -> Table {
    table(log_type)
}
