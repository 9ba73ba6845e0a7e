//! The subject of a client certificate as text, for the `zpa.receive.client_subject` header:
//! the distinguished name read from the certificate's DER and written as RFC 4514 writes it
//! (`CN=connector-1,OU=Connectors,O=Example`, the last RDN first).
//!
//! Only as much DER is read as the way to the subject takes; the certificate was verified
//! already (or not required), so a certificate this reader cannot follow just has no subject.

/// The short names RFC 4514 gives attribute types (and `emailAddress`, as OpenSSL writes it),
/// by the contents of their OID.
const NAMES: [(&[u8], &str); 10] = [
    (&[0x55, 0x04, 0x03], "CN"),
    (&[0x55, 0x04, 0x07], "L"),
    (&[0x55, 0x04, 0x08], "ST"),
    (&[0x55, 0x04, 0x0a], "O"),
    (&[0x55, 0x04, 0x0b], "OU"),
    (&[0x55, 0x04, 0x06], "C"),
    (&[0x55, 0x04, 0x09], "STREET"),
    (
        &[0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19],
        "DC",
    ),
    (
        &[0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01],
        "UID",
    ),
    (
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01],
        "emailAddress",
    ),
];

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const INTEGER: u8 = 0x02;
const OID: u8 = 0x06;
const VERSION: u8 = 0xa0;

/// One DER element: its tag, its contents, and what follows it.
fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The element of `tag` at the front of `input`, and what follows it.
fn expect(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (t, contents, rest) = element(input)?;
    (t == tag).then_some((contents, rest))
}

/// The subject of a DER certificate, RFC 4514 style; `None` if it cannot be read or is empty.
pub(crate) fn subject(cert: &[u8]) -> Option<String> {
    let (certificate, _) = expect(cert, SEQUENCE)?;
    let (tbs, _) = expect(certificate, SEQUENCE)?;
    let mut rest = tbs;
    if let Some((_, after)) = expect(rest, VERSION) {
        rest = after;
    }
    let (_, rest) = expect(rest, INTEGER)?; // serial number
    let (_, rest) = expect(rest, SEQUENCE)?; // signature algorithm
    let (_, rest) = expect(rest, SEQUENCE)?; // issuer
    let (_, rest) = expect(rest, SEQUENCE)?; // validity
    let (name, _) = expect(rest, SEQUENCE)?;
    let text = distinguished_name(name)?;
    (!text.is_empty()).then_some(text)
}

/// A `Name` (a sequence of RDNs) as RFC 4514 text: RDNs in reverse order, joined by `,`; the
/// attributes of a multi-valued RDN joined by `+`.
fn distinguished_name(mut name: &[u8]) -> Option<String> {
    let mut rdns = Vec::new();
    while !name.is_empty() {
        let (mut set, rest) = expect(name, SET)?;
        name = rest;
        let mut parts = Vec::new();
        while !set.is_empty() {
            let (pair, rest) = expect(set, SEQUENCE)?;
            set = rest;
            let (oid, value) = expect(pair, OID)?;
            parts.push(attribute(oid, value)?);
        }
        rdns.push(parts.join("+"));
    }
    rdns.reverse();
    Some(rdns.join(","))
}

/// `TYPE=value` for one attribute; a type without a short name is written as its dotted OID,
/// and a value that is not a string as `#` and its DER in hex.
fn attribute(oid: &[u8], value: &[u8]) -> Option<String> {
    let mut out = match NAMES.iter().find(|(o, _)| *o == oid) {
        Some((_, name)) => (*name).to_owned(),
        None => dotted(oid)?,
    };
    out.push('=');
    let (tag, contents, _) = element(value)?;
    match string_value(tag, contents) {
        Some(text) => escape(&text, &mut out),
        None => {
            out.push('#');
            for b in value {
                out.push_str(&format!("{b:02x}"));
            }
        }
    }
    Some(out)
}

/// The text of a DER string type, if the value is one.
fn string_value(tag: u8, contents: &[u8]) -> Option<String> {
    match tag {
        // UTF8String, PrintableString, IA5String, NumericString, VisibleString.
        0x0c | 0x13 | 0x16 | 0x12 | 0x1a => std::str::from_utf8(contents).ok().map(str::to_owned),
        // TeletexString: read as Latin-1, as most software does.
        0x14 => Some(contents.iter().map(|&b| char::from(b)).collect()),
        // BMPString: UTF-16, big-endian.
        0x1e => {
            let units: Vec<u16> = contents
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).ok()
        }
        // UniversalString: UTF-32, big-endian.
        0x1c => contents
            .chunks_exact(4)
            .map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
            .collect(),
        _ => None,
    }
}

/// An OID's contents in dotted decimal.
fn dotted(oid: &[u8]) -> Option<String> {
    let mut arcs: Vec<u64> = Vec::new();
    let mut n: u64 = 0;
    for &b in oid {
        n = n.checked_mul(128)? | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            arcs.push(n);
            n = 0;
        }
    }
    let (&first, rest) = arcs.split_first()?;
    let (a, b) = match first {
        0..40 => (0, first),
        40..80 => (1, first - 40),
        _ => (2, first - 80),
    };
    let mut out = format!("{a}.{b}");
    for arc in rest {
        out.push_str(&format!(".{arc}"));
    }
    Some(out)
}

/// Appends `value` with the characters RFC 4514 escapes escaped.
fn escape(value: &str, out: &mut String) {
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        match c {
            '"' | '+' | ',' | ';' | '<' | '>' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '#' | ' ' if i == 0 => {
                out.push('\\');
                out.push(c);
            }
            ' ' if i == last => out.push_str("\\ "),
            '\0' => out.push_str("\\00"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair};

    fn cert_with(dn: DistinguishedName) -> Vec<u8> {
        let mut params = CertificateParams::new(vec!["connector.example".into()]).unwrap();
        params.distinguished_name = dn;
        let key = KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().der().to_vec()
    }

    #[test]
    fn the_subject_is_written_last_rdn_first() {
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CountryName, "US");
        dn.push(DnType::OrganizationName, "Example, Inc.");
        dn.push(DnType::OrganizationalUnitName, "Connectors");
        dn.push(DnType::CommonName, "connector-1");
        assert_eq!(
            subject(&cert_with(dn)).as_deref(),
            Some("CN=connector-1,OU=Connectors,O=Example\\, Inc.,C=US")
        );
    }

    #[test]
    fn unknown_attribute_types_are_dotted_oids() {
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CustomDnType(vec![1, 3, 6, 1, 4, 1, 99999, 1]), "x");
        dn.push(DnType::CommonName, " lead#");
        assert_eq!(
            subject(&cert_with(dn)).as_deref(),
            Some("CN=\\ lead#,1.3.6.1.4.1.99999.1=x")
        );
    }

    #[test]
    fn an_empty_subject_or_garbage_is_none() {
        assert_eq!(subject(&cert_with(DistinguishedName::new())), None);
        assert_eq!(subject(b""), None);
        assert_eq!(subject(&[0x30, 0x82, 0xff]), None);
        let der = cert_with(DistinguishedName::new());
        for cut in 0..der.len() {
            assert_eq!(subject(&der[..cut]), None, "cut at {cut}");
        }
    }

    #[test]
    fn escaping_follows_rfc_4514() {
        let mut out = String::new();
        escape("a,b+c\"d\\e<f>g;h ", &mut out);
        assert_eq!(out, "a\\,b\\+c\\\"d\\\\e\\<f\\>g\\;h\\ ");
        let mut out = String::new();
        escape("#x", &mut out);
        assert_eq!(out, "\\#x");
    }

    #[test]
    fn dotted_oids() {
        assert_eq!(dotted(&[0x55, 0x04, 0x03]).as_deref(), Some("2.5.4.3"));
        assert_eq!(
            dotted(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01]).as_deref(),
            Some("1.2.840.113549.1.9.1")
        );
        assert_eq!(dotted(&[]), None);
    }
}
