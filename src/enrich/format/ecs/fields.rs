//! The ECS fields the document can carry, one variant each, declared in the order the
//! document writes them ([`super::doc::path_order`]): collecting a record's fields by variant
//! and sorting them by it puts them in path order without comparing strings.

macro_rules! ecs_fields {
    ($($name:ident => $path:literal,)+) => {
        /// An ECS field of the document.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
        pub(super) enum F {
            $(#[doc = concat!("`", $path, "`")] $name),+
        }

        impl F {
            /// Every field, in declaration (and path) order.
            #[cfg(test)]
            pub(super) const ALL: &'static [F] = &[$(F::$name),+];

            /// The dotted ECS path.
            pub(super) fn path(self) -> &'static str {
                match self {
                    $(F::$name => $path),+
                }
            }

            /// The path's segments, split once.
            pub(super) fn segments(self) -> &'static [&'static str] {
                static SEGMENTS: std::sync::LazyLock<Vec<Vec<&'static str>>> =
                    std::sync::LazyLock::new(|| {
                        [$($path),+].iter().map(|p| p.split('.').collect()).collect()
                    });
                &SEGMENTS[self as usize]
            }
        }
    };
}

ecs_fields! {
    Timestamp => "@timestamp",
    ClientGeoCityName => "client.geo.city_name",
    ClientGeoCountryIsoCode => "client.geo.country_iso_code",
    ClientGeoLocation => "client.geo.location",
    ClientIp => "client.ip",
    ClientPort => "client.port",
    DestinationIp => "destination.ip",
    DestinationPort => "destination.port",
    EcsVersion => "ecs.version",
    EventAction => "event.action",
    EventCategory => "event.category",
    EventCode => "event.code",
    EventCreated => "event.created",
    EventDataset => "event.dataset",
    EventEnd => "event.end",
    EventId => "event.id",
    EventKind => "event.kind",
    EventModule => "event.module",
    EventOriginal => "event.original",
    EventOutcome => "event.outcome",
    EventReason => "event.reason",
    EventSeverity => "event.severity",
    EventStart => "event.start",
    EventType => "event.type",
    HostCpuUsage => "host.cpu.usage",
    HostHostname => "host.hostname",
    HostName => "host.name",
    HostNetworkEgressBytes => "host.network.egress.bytes",
    HostNetworkIngressBytes => "host.network.ingress.bytes",
    HostOsPlatform => "host.os.platform",
    HttpRequestBodyBytes => "http.request.body.bytes",
    HttpRequestMethod => "http.request.method",
    HttpResponseBodyBytes => "http.response.body.bytes",
    HttpResponseStatusCode => "http.response.status_code",
    NetworkDirection => "network.direction",
    NetworkIanaNumber => "network.iana_number",
    NetworkTransport => "network.transport",
    ObserverGeoCountryIsoCode => "observer.geo.country_iso_code",
    ObserverGeoLocation => "observer.geo.location",
    ObserverIp => "observer.ip",
    ObserverName => "observer.name",
    ObserverOsPlatform => "observer.os.platform",
    ObserverProduct => "observer.product",
    ObserverType => "observer.type",
    ObserverVendor => "observer.vendor",
    ObserverVersion => "observer.version",
    OrganizationId => "organization.id",
    OrganizationName => "organization.name",
    ProcessExecutable => "process.executable",
    ProcessName => "process.name",
    RelatedHosts => "related.hosts",
    RelatedIp => "related.ip",
    RelatedUser => "related.user",
    RuleId => "rule.id",
    RuleName => "rule.name",
    ServerAddress => "server.address",
    ServerDomain => "server.domain",
    ServerGeoCountryIsoCode => "server.geo.country_iso_code",
    ServerGeoLocation => "server.geo.location",
    ServerIp => "server.ip",
    ServerPort => "server.port",
    SourceIp => "source.ip",
    SourcePort => "source.port",
    Tags => "tags",
    TlsClientX509SubjectCommonName => "tls.client.x509.subject.common_name",
    UrlDomain => "url.domain",
    UrlFull => "url.full",
    UrlOriginal => "url.original",
    UrlPath => "url.path",
    UrlPort => "url.port",
    UrlQuery => "url.query",
    UrlScheme => "url.scheme",
    UserDomain => "user.domain",
    UserEmail => "user.email",
    UserId => "user.id",
    UserName => "user.name",
    UserAgentOriginal => "user_agent.original",
    ZscalerZpa => "zscaler_zpa",
}
