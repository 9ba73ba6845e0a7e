//! JSON strings written by hand: the one escaper of the crate, for the enrichment's keys, the
//! output formats and the records read from CSV, TSV and template lines. A pure leaf.

/// Bytes a JSON string cannot hold as they are: control characters, `"` and `\`.
const NEEDS_ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = true;
        b += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// Writes `text` (valid UTF-8) as the inside of a JSON string: quotes, backslashes and control
/// characters escaped (`\n`, `\r`, `\t` by name, the others as `\u00XX`), every other byte as
/// it is. Runs of plain bytes are copied whole.
pub(crate) fn escape_into(out: &mut Vec<u8>, text: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    // Nearly every value needs no escaping; a branch-free fold over it vectorises.
    let plain = text
        .iter()
        .fold(true, |ok, &b| ok & (b >= 0x20) & (b != b'"') & (b != b'\\'));
    if plain {
        out.extend_from_slice(text);
        return;
    }
    let mut start = 0;
    for (i, &b) in text.iter().enumerate() {
        if !NEEDS_ESCAPE[usize::from(b)] {
            continue;
        }
        out.extend_from_slice(&text[start..i]);
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            }
        }
        start = i + 1;
    }
    out.extend_from_slice(&text[start..]);
}

/// Writes `s` as a JSON string, quotes included.
pub(crate) fn push_json_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    escape_into(out, s.as_bytes());
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_strings_read_back_as_the_text() {
        for text in [
            "",
            "plain",
            "a\"b\\c\n\r\t\u{1}\u{1f}é",
            "\u{7f} stays, \u{2028} too",
            "BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY",
        ] {
            let mut out = Vec::new();
            push_json_str(&mut out, text);
            let back: String = serde_json::from_slice(&out).unwrap();
            assert_eq!(back, text);
        }
        let mut out = Vec::new();
        escape_into(&mut out, b"a\"b\\c\n\r\t\x01\x1f");
        assert_eq!(out, br#"a\"b\\c\n\r\t\u0001\u001f"#);
    }
}
