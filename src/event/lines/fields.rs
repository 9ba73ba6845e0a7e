//! What the reader knows about LSS fields: the JSON key each template variable is written
//! under, and what a field's values look like, which decides where the surplus cells of a CSV
//! line go.

/// Template variables whose JSON key differs from the variable, as the vendor's default JSON
/// templates write them (`"ClientToClient": %j{c2c}`). Every other variable is its own key.
const KEYS: [(&str, &str); 24] = [
    ("c2c", "ClientToClient"),
    ("SiteController", "PrivateCloudController"),
    ("SiteControllerGroup", "PrivateCloudControllerGroup"),
    ("SiteControllerStartTime", "PrivateCloudControllerStartTime"),
    ("fqdn_registered", "FQDNRegistered"),
    ("fqdn_register_error", "FQDNRegisteredError"),
    ("modifiedTime", "ModifiedTime"),
    ("creationTime", "CreationTime"),
    ("modifiedBy", "ModifiedBy"),
    ("requestId", "RequestID"),
    ("sessionId", "SessionID"),
    ("auditOldValue", "AuditOldValue"),
    ("auditNewValue", "AuditNewValue"),
    ("auditOperationType", "AuditOperationType"),
    ("objectType", "ObjectType"),
    ("objectName", "ObjectName"),
    ("objectId", "ObjectID"),
    ("customerId", "CustomerID"),
    ("modifiedByUser", "User"),
    ("clientAuditUpdate", "ClientAuditUpdate"),
    ("InspectionControlArray", "InspectionControls"),
    ("ControlTypeArray", "InspectionControlTypes"),
    ("SeveritiesArray", "Severities"),
    ("DescriptiveExplanationsArray", "Descriptions"),
];

/// The JSON key a template variable is written under.
pub(super) fn json_key(variable: &str) -> &str {
    KEYS.iter()
        .find(|(v, _)| *v == variable)
        .map_or(variable, |(_, k)| k)
}

/// What the values of a field look like, as far as splitting a line is concerned: how likely
/// the field is to hold the separator itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    /// Identifiers, codes, addresses, states, versions: never a separator inside.
    Token,
    /// Names and free text (customers, users, applications, URLs...): a separator is possible.
    Text,
    /// Text that often holds commas: a user agent (`KHTML, like Gecko`), a forwarded-for list.
    Prose,
    /// `ConnectionID`: `<SessionID>,<connection>`, one comma of its own.
    ConnectionId,
    /// `SAMLAttributes`: `name:value` pairs joined by commas.
    Pairs,
    /// A JSON document written as text (the audit values): its commas are its own.
    JsonText,
    /// An IP address (or nothing): a token with a form to check.
    Address,
    /// A two-letter country code (or nothing).
    Country,
    /// Digits written as a string: a flag, a tenant ID, a start time in seconds (or nothing).
    Digits,
}

/// Keys holding digits as a string.
const DIGITS: [&str; 10] = [
    "ClientToClient",
    "MicroTenantID",
    "AppMicroTenantID",
    "FQDNRegistered",
    "HostStartTime",
    "ConnectorStartTime",
    "HostUpTime",
    "ConnectorUpTime",
    "ServiceEdgeStartTime",
    "PrivateCloudControllerStartTime",
];

/// Keys holding one IP address.
const ADDRESSES: [&str; 12] = [
    "ClientPublicIP",
    "ClientPrivateIP",
    "ConnectorIP",
    "ServerIP",
    "PrivateIP",
    "PublicIP",
    "ClientPublicIp",
    "ClientPrivateIp",
    "SourceIP",
    "DestinationIP",
    "DefRouteGW",
    "PrimaryDNSResolver",
];

/// True when `text` has the form its shape expects (always, for shapes without one).
pub(super) fn well_formed(shape: Shape, text: &[u8]) -> bool {
    match shape {
        Shape::Address => {
            // Only hexadecimal digits, dots and colons can make an address: a text with any
            // other byte (a separator, most often) is not parsed at all.
            let address_byte = |b: &u8| b.is_ascii_hexdigit() || matches!(b, b'.' | b':');
            text.is_empty()
                || (text.iter().all(address_byte)
                    && std::str::from_utf8(text)
                        .is_ok_and(|t| t.parse::<std::net::IpAddr>().is_ok()))
        }
        Shape::Country => {
            text.is_empty() || (text.len() == 2 && text.iter().all(u8::is_ascii_alphabetic))
        }
        Shape::Digits => text.iter().all(u8::is_ascii_digit),
        _ => true,
    }
}

/// Keys whose values are free text. Other keys of the vendor's templates are tokens; keys the
/// vendor's templates do not have (a custom template's own) are taken as free text, the
/// cautious choice.
const TEXT: [&str; 38] = [
    "Customer",
    "Username",
    "Policy",
    "Connector",
    "ConnectorGroup",
    "Hostname",
    "Application",
    "AppGroup",
    "ApplicationGroup",
    "Idp",
    "ClientCity",
    "City",
    "CertificateCN",
    "PRACredentialUserName",
    "PRAFileTransferList",
    "PRASharedUsersList",
    "PRAErrorStatus",
    "URL",
    "NameID",
    "Origin",
    "Domain",
    "OriginDomain",
    "ContentType",
    "UserID",
    "AgentName",
    "ResourceName",
    "AppZoneName",
    "PolicyName",
    "ObjectName",
    "User",
    "ServiceEdge",
    "ServiceEdgeGroup",
    "PrivateCloudController",
    "PrivateCloudControllerGroup",
    "PrivateSE",
    "KRBUserPrincipal",
    "KRBServicePrincipal",
    "Exporter",
];

/// The shape of a field's values, by JSON key. `known` tells whether the key is one of the
/// vendor's templates.
pub(super) fn shape(key: &str, known: bool) -> Shape {
    match key {
        "ConnectionID" => Shape::ConnectionId,
        "SAMLAttributes" => Shape::Pairs,
        "AuditOldValue" | "AuditNewValue" => Shape::JsonText,
        "UserAgent" | "XFF" => Shape::Prose,
        "ClientCountryCode" | "CountryCode" | "ZENCountryCode" => Shape::Country,
        _ if ADDRESSES.contains(&key) => Shape::Address,
        _ if DIGITS.contains(&key) => Shape::Digits,
        _ if !known || TEXT.contains(&key) => Shape::Text,
        _ => Shape::Token,
    }
}

/// Kerberos encryption types by name (RFC 3961, 3962, 4757, 6803, 8009, and the older DES
/// ones), as a Kerberos inspection record may name them.
const ENCRYPTION_TYPES: [&str; 16] = [
    "aes256-cts-hmac-sha1-96",
    "aes128-cts-hmac-sha1-96",
    "aes256-cts-hmac-sha384-192",
    "aes128-cts-hmac-sha256-128",
    "aes256-cts",
    "aes128-cts",
    "rc4-hmac",
    "rc4-hmac-exp",
    "arcfour-hmac",
    "arcfour-hmac-md5",
    "des3-cbc-sha1",
    "des-cbc-md5",
    "des-cbc-crc",
    "des-cbc-md4",
    "camellia256-cts-cmac",
    "camellia128-cts-cmac",
];

/// Whether `text` is a plausible value of `f`, for splitting fields a template glued
/// together: it must be a value of the placeholder (`value.rs`), and for the Kerberos fields of
/// the KRB TSV defect it must look like one. Realms and error codes have no lower-case letters
/// (realms are written in capitals by convention, error codes are `KDC_ERR_*` names);
/// a principal has at most one `@` (another one would be escaped), and ends in such a realm
/// after it; an encryption type is a known name or a number. Empty is always plausible.
pub(super) fn plausible(f: &super::pattern::FieldRead, text: &[u8]) -> bool {
    if super::value::check(f, text).is_err() {
        return false;
    }
    if text.is_empty() {
        return true;
    }
    let capitals = |t: &[u8]| !t.iter().any(u8::is_ascii_lowercase);
    match &*f.key {
        "KRBRealm" | "KRBClientRealm" | "KRBErrorCode" => capitals(text),
        "KRBUserPrincipal" | "KRBServicePrincipal" => {
            let mut ats =
                memchr::memchr_iter(b'@', text).filter(|&i| i == 0 || text[i - 1] != b'\\');
            match (ats.next(), ats.next()) {
                (None, _) => true,
                (Some(at), None) => capitals(&text[at + 1..]),
                (Some(_), Some(_)) => false,
            }
        }
        "KRBEncryption" | "KRBTicketEncryption" => {
            text.iter().all(u8::is_ascii_digit)
                || ENCRYPTION_TYPES
                    .iter()
                    .any(|e| e.as_bytes().eq_ignore_ascii_case(text))
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renamed_variables_map_to_their_key() {
        for (variable, key) in KEYS {
            assert_eq!(json_key(variable), key);
        }
        assert_eq!(json_key("Customer"), "Customer");
    }

    #[test]
    fn shapes_follow_the_key() {
        assert_eq!(shape("ConnectionID", true), Shape::ConnectionId);
        assert_eq!(shape("SAMLAttributes", true), Shape::Pairs);
        assert_eq!(shape("AuditNewValue", true), Shape::JsonText);
        assert_eq!(shape("Customer", true), Shape::Text);
        assert_eq!(shape("SessionID", true), Shape::Token);
        assert_eq!(shape("SessionID", false), Shape::Text);
    }

    #[test]
    fn only_an_address_text_is_parsed_as_one() {
        for (text, ok) in [
            ("", true),
            ("10.0.0.1", true),
            ("::1", true),
            ("fe80::1:2", true),
            ("::ffff:10.0.0.1", true),
            ("10.0.0.1,10.0.0.2", false),
            ("10.0.0.1 ", false),
            ("[::1]", false),
            ("fe80::1%eth0", false),
            ("abc", false),
            ("1.2.3", false),
        ] {
            assert_eq!(well_formed(Shape::Address, text.as_bytes()), ok, "{text:?}");
        }
    }
}
