//! One pass over the event's top-level members: where the LSS keys the CIM fields are made from
//! sit, and which CIM field names the event already uses as keys.

use crate::event::scan::{Member, MemberSink};

/// The LSS keys the CIM fields are made from. Audit records come with capitalised keys from
/// the default template and in camel case from the vendor's documentation; both are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lss {
    AgentName,
    AppName,
    ApplicationPort,
    AuditNewValue,
    AuditOldValue,
    AuditOperationType,
    ClientPrivateIp,
    ClientPublicIp,
    ConnectionStatus,
    Connector,
    CustomerId,
    DestinationIp,
    DestinationPort,
    Direction,
    Host,
    Method,
    NameId,
    ObjectId,
    ObjectName,
    ObjectType,
    PolicyName,
    PrivateCloudController,
    PrivateIp,
    PrivateSe,
    Protocol,
    PublicIp,
    RequestSize,
    ResponseSize,
    ServiceEdge,
    SourceIp,
    SourcePorts,
    StatusCode,
    Url,
    User,
    UserAgent,
    Username,
    Zen,
}

impl Lss {
    /// How many keys there are.
    const COUNT: usize = Lss::Zen as usize + 1;

    /// The key a member's (decoded) name stands for. `ClientPublicIP` (User Activity) and
    /// `ClientPublicIp` (Browser Access) are one key: no log type has both.
    fn of(key: &[u8]) -> Option<Lss> {
        Some(match key {
            b"AgentName" => Lss::AgentName,
            b"AppName" => Lss::AppName,
            b"ApplicationPort" => Lss::ApplicationPort,
            b"AuditNewValue" | b"auditNewValue" => Lss::AuditNewValue,
            b"AuditOldValue" | b"auditOldValue" => Lss::AuditOldValue,
            b"AuditOperationType" | b"auditOperationType" => Lss::AuditOperationType,
            b"ClientPrivateIP" | b"ClientPrivateIp" => Lss::ClientPrivateIp,
            b"ClientPublicIP" | b"ClientPublicIp" => Lss::ClientPublicIp,
            b"ConnectionStatus" => Lss::ConnectionStatus,
            b"Connector" => Lss::Connector,
            b"CustomerID" | b"customerId" => Lss::CustomerId,
            b"DestinationIP" => Lss::DestinationIp,
            b"DestinationPort" => Lss::DestinationPort,
            b"Direction" => Lss::Direction,
            b"Host" => Lss::Host,
            b"Method" => Lss::Method,
            b"NameID" => Lss::NameId,
            b"ObjectID" | b"objectId" => Lss::ObjectId,
            b"ObjectName" | b"objectName" => Lss::ObjectName,
            b"ObjectType" | b"objectType" => Lss::ObjectType,
            b"PolicyName" => Lss::PolicyName,
            b"PrivateCloudController" => Lss::PrivateCloudController,
            b"PrivateIP" => Lss::PrivateIp,
            b"PrivateSE" => Lss::PrivateSe,
            b"Protocol" => Lss::Protocol,
            b"PublicIP" => Lss::PublicIp,
            b"RequestSize" => Lss::RequestSize,
            b"ResponseSize" => Lss::ResponseSize,
            b"ServiceEdge" => Lss::ServiceEdge,
            b"SourceIP" => Lss::SourceIp,
            b"SourcePorts" => Lss::SourcePorts,
            b"StatusCode" => Lss::StatusCode,
            b"URL" => Lss::Url,
            b"User" | b"modifiedByUser" => Lss::User,
            b"UserAgent" => Lss::UserAgent,
            b"Username" => Lss::Username,
            b"ZEN" => Lss::Zen,
            _ => return None,
        })
    }
}

/// The CIM fields the envelope's event can carry, in no particular order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cim {
    Action,
    App,
    Bytes,
    BytesIn,
    BytesOut,
    ChangeType,
    Command,
    Dest,
    DestIp,
    DestPort,
    Direction,
    Dvc,
    HttpMethod,
    HttpUserAgent,
    HttpUserAgentLength,
    Object,
    ObjectAttrs,
    ObjectCategory,
    ObjectId,
    Product,
    Protocol,
    ProtocolVersion,
    Rule,
    Severity,
    Signature,
    SignatureId,
    Src,
    SrcIp,
    SrcPort,
    Status,
    Transport,
    UriPath,
    Url,
    UrlDomain,
    User,
    Vendor,
    VendorProduct,
}

impl Cim {
    /// Every CIM field, in declaration order.
    pub(super) const ALL: [Cim; 37] = [
        Cim::Action,
        Cim::App,
        Cim::Bytes,
        Cim::BytesIn,
        Cim::BytesOut,
        Cim::ChangeType,
        Cim::Command,
        Cim::Dest,
        Cim::DestIp,
        Cim::DestPort,
        Cim::Direction,
        Cim::Dvc,
        Cim::HttpMethod,
        Cim::HttpUserAgent,
        Cim::HttpUserAgentLength,
        Cim::Object,
        Cim::ObjectAttrs,
        Cim::ObjectCategory,
        Cim::ObjectId,
        Cim::Product,
        Cim::Protocol,
        Cim::ProtocolVersion,
        Cim::Rule,
        Cim::Severity,
        Cim::Signature,
        Cim::SignatureId,
        Cim::Src,
        Cim::SrcIp,
        Cim::SrcPort,
        Cim::Status,
        Cim::Transport,
        Cim::UriPath,
        Cim::Url,
        Cim::UrlDomain,
        Cim::User,
        Cim::Vendor,
        Cim::VendorProduct,
    ];

    /// The field's name in the CIM.
    pub(super) fn name(self) -> &'static str {
        match self {
            Cim::Action => "action",
            Cim::App => "app",
            Cim::Bytes => "bytes",
            Cim::BytesIn => "bytes_in",
            Cim::BytesOut => "bytes_out",
            Cim::ChangeType => "change_type",
            Cim::Command => "command",
            Cim::Dest => "dest",
            Cim::DestIp => "dest_ip",
            Cim::DestPort => "dest_port",
            Cim::Direction => "direction",
            Cim::Dvc => "dvc",
            Cim::HttpMethod => "http_method",
            Cim::HttpUserAgent => "http_user_agent",
            Cim::HttpUserAgentLength => "http_user_agent_length",
            Cim::Object => "object",
            Cim::ObjectAttrs => "object_attrs",
            Cim::ObjectCategory => "object_category",
            Cim::ObjectId => "object_id",
            Cim::Product => "product",
            Cim::Protocol => "protocol",
            Cim::ProtocolVersion => "protocol_version",
            Cim::Rule => "rule",
            Cim::Severity => "severity",
            Cim::Signature => "signature",
            Cim::SignatureId => "signature_id",
            Cim::Src => "src",
            Cim::SrcIp => "src_ip",
            Cim::SrcPort => "src_port",
            Cim::Status => "status",
            Cim::Transport => "transport",
            Cim::UriPath => "uri_path",
            Cim::Url => "url",
            Cim::UrlDomain => "url_domain",
            Cim::User => "user",
            Cim::Vendor => "vendor",
            Cim::VendorProduct => "vendor_product",
        }
    }

    /// The CIM field named `key`, if any. CIM names are lower case; LSS keys are not, so most
    /// keys are turned away by their first byte.
    fn of(key: &[u8]) -> Option<Cim> {
        if !key.first().is_some_and(u8::is_ascii_lowercase) {
            return None;
        }
        Cim::ALL.into_iter().find(|c| c.name().as_bytes() == key)
    }

    pub(super) fn bit(self) -> u64 {
        1 << self as u32
    }
}

/// What the pass over the event found.
#[derive(Debug)]
pub(super) struct Members {
    lss: [Option<Member>; Lss::COUNT],
    /// One bit per [`Cim`] field whose name is already a key of the event.
    taken: u64,
}

impl Members {
    pub(super) fn new() -> Self {
        Self {
            lss: [None; Lss::COUNT],
            taken: 0,
        }
    }

    /// The member of an LSS key (the last one, when a record repeats a key).
    pub(super) fn get(&self, key: Lss) -> Option<&Member> {
        self.lss[key as usize].as_ref()
    }

    /// True when the event already has a key named like this CIM field.
    pub(super) fn is_taken(&self, field: Cim) -> bool {
        self.taken & field.bit() != 0
    }

    fn key(&mut self, key: &[u8], member: &Member) {
        if let Some(k) = Lss::of(key) {
            self.lss[k as usize] = Some(*member);
        } else if let Some(c) = Cim::of(key) {
            self.taken |= c.bit();
        }
    }
}

impl MemberSink for Members {
    fn member(&mut self, buf: &[u8], member: &Member) {
        if member.key_escaped {
            // Rare: a key written with escapes is compared decoded.
            if let Ok(key) =
                serde_json::from_slice::<String>(&buf[member.key_start..=member.key_end])
            {
                self.key(key.as_bytes(), member);
            }
        } else {
            self.key(member.raw_key(buf), member);
        }
    }
}
