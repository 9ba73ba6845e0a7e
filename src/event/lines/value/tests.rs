use super::super::pattern::Pattern;
use super::super::template::Template;
use super::*;

/// The one field of a template holding only `placeholder`.
fn field(placeholder: &str) -> FieldRead {
    let t = Template::parse(placeholder).expect("parses");
    Pattern::new(&t, "test", None).expect("a pattern").fields[0].clone()
}

/// The JSON of `text` as the reader makes it: checked, then written.
fn json(placeholder: &str, text: &str) -> Result<String, Problem> {
    let f = field(placeholder);
    check(&f, text.as_bytes())?;
    let mut out = Vec::new();
    write(&f, text.as_bytes(), &mut out)?;
    Ok(String::from_utf8(out).expect("UTF-8"))
}

#[test]
fn integers_become_numbers_and_empty_cells_null() {
    assert_eq!(json("%d{N}", "42"), Ok("42".into()));
    assert_eq!(json("%d{N}", "-7"), Ok("-7".into()));
    assert_eq!(json("%d{N}", "+7"), Ok("7".into()));
    assert_eq!(json("%05d{N}", "00042"), Ok("42".into()));
    assert_eq!(json("%5d{N}", "   42"), Ok("42".into()));
    assert_eq!(json("%d{N}", "-0"), Ok("0".into()));
    assert_eq!(json("%d{N}", "0"), Ok("0".into()));
    assert_eq!(json("%d{N}", ""), Ok("null".into()));
    assert_eq!(
        json("%d{N}", "216196257331282935"),
        Ok("216196257331282935".into())
    );
    assert_eq!(json("%d{N}", "open"), Err(Problem::Number));
    assert_eq!(json("%d{N}", "1.5"), Err(Problem::Number));
    assert_eq!(json("%d{N}", "-"), Err(Problem::Number));
}

#[test]
fn hexadecimal_becomes_a_decimal_number() {
    assert_eq!(json("%x{N}", "ff"), Ok("255".into()));
    assert_eq!(json("%#x{N}", "0x1A"), Ok("26".into()));
    assert_eq!(json("%x{N}", ""), Ok("null".into()));
    assert_eq!(json("%x{N}", "xyz"), Err(Problem::Number));
    assert_eq!(json("%x{N}", &"f".repeat(33)), Err(Problem::Number));
}

#[test]
fn fractions_keep_their_text_when_it_is_json() {
    assert_eq!(json("%f{N}", "51.507400"), Ok("51.507400".into()));
    assert_eq!(json("%f{N}", "-0.127800"), Ok("-0.127800".into()));
    assert_eq!(json("%f{N}", "1e5"), Ok("1e5".into()));
    assert_eq!(json("%f{N}", ".5"), Ok("0.5".into()));
    assert_eq!(json("%f{N}", "+2"), Ok("2".into()));
    assert_eq!(json("%f{N}", ""), Ok("null".into()));
    assert_eq!(json("%f{N}", "nan"), Err(Problem::Number));
    assert_eq!(json("%f{N}", "inf"), Err(Problem::Number));
    assert_eq!(json("%f{N}", "x"), Err(Problem::Number));
}

#[test]
fn strings_are_escaped_and_json_strings_unquoted_only_as_json() {
    assert_eq!(
        json("%s{S}", "a \"b\"\\c\t"),
        Ok(r#""a \"b\"\\c\t""#.into())
    );
    assert_eq!(json("%s{S}", "é"), Ok("\"é\"".into()));
    assert_eq!(json("%s{S}", ""), Ok("\"\"".into()));
    assert_eq!(json("%-6s{S}", "ab    "), Ok("\"ab\"".into()));
    assert_eq!(json("%6s{S}", "    ab"), Ok("\"ab\"".into()));
    // `%j` writes a JSON string with its quotes: it is copied as it is.
    assert_eq!(
        json("%j{S}", r#""Mozilla (KHTML, like Gecko) \"x\"""#),
        Ok(r#""Mozilla (KHTML, like Gecko) \"x\"""#.into())
    );
    assert_eq!(json("%j{S}", ""), Ok("\"\"".into()));
    assert_eq!(json("%j{S}", "null"), Ok("null".into()));
    assert_eq!(json("%j{S}", "bare"), Err(Problem::JsonString));
    assert_eq!(json("%j{S}", "\"open"), Err(Problem::JsonString));
    // `%J` writes the inside of one.
    assert_eq!(json("%J{S}", r"a\u00e9\n"), Ok(r#""a\u00e9\n""#.into()));
    assert_eq!(json("%J{S}", "a\"b"), Err(Problem::JsonString));
    assert_eq!(json("%J{S}", r"a\q"), Err(Problem::JsonString));
}

#[test]
fn lists_become_arrays_of_their_spec() {
    assert_eq!(json("%s(,){L}", "a,b,c"), Ok(r#"["a","b","c"]"#.into()));
    assert_eq!(json("%s(,){L}", ""), Ok("[]".into()));
    assert_eq!(json("%s(,){L}", ","), Ok(r#"["",""]"#.into()));
    assert_eq!(json("%d(,){L}", "80,443"), Ok("[80,443]".into()));
    assert_eq!(json("%d(,){L}", "80,x"), Err(Problem::Number));
    assert_eq!(json("%s(; ){L}", "a; b"), Ok(r#"["a","b"]"#.into()));
    assert_eq!(
        json("%j(,){L}", r#""a,b","c""#),
        Ok(r#"["a,b","c"]"#.into())
    );
    assert_eq!(json("%j(,){L}", ""), Ok("[]".into()));
    assert_eq!(json("%j(,){L}", r#""a"x"#), Err(Problem::JsonString));
}

#[test]
fn times_are_strings_as_written_and_must_have_their_form() {
    assert_eq!(
        json("%s{T:time}", "Wed Dec  1 10:38:41 2021"),
        Ok("\"Wed Dec  1 10:38:41 2021\"".into())
    );
    assert_eq!(
        json("%s{T:time}", "Wed Jul 3 05:17:22 2019").map(|_| ()),
        Ok(())
    );
    assert_eq!(
        json("%s{T:iso8601}", "2019-05-30T08:20:42.230Z"),
        Ok("\"2019-05-30T08:20:42.230Z\"".into())
    );
    assert_eq!(json("%s{T:iso8601}", ""), Ok("\"\"".into()));
    assert_eq!(json("%s{T:iso8601}", "yesterday"), Err(Problem::Time));
    assert_eq!(
        json("%s{T:epoch}", "1700000000"),
        Ok("\"1700000000\"".into())
    );
    assert_eq!(json("%s{T:epoch}", "1700000000.5").map(|_| ()), Ok(()));
    assert_eq!(json("%s{T:epoch_ms}", "17x"), Err(Problem::Time));
    assert_eq!(
        json("%d{T:epoch_ms}", "1700000000000"),
        Ok("1700000000000".into())
    );
    assert_eq!(json("%s{T:mon}", "Dec"), Ok("\"Dec\"".into()));
    assert_eq!(json("%s{T:day}", "Dece"), Err(Problem::Time));
    assert_eq!(json("%s{T:hh}", "07"), Ok("\"07\"".into()));
    assert_eq!(json("%s{T:hh}", "7h"), Err(Problem::Time));
}

fn cost_of(placeholder: &str, text: &str, expected: usize) -> Result<u32, Problem> {
    let extra = occurrences(text.as_bytes(), b",");
    cost(&field(placeholder), text.as_bytes(), extra, expected)
}

#[test]
fn the_cost_of_a_value_grows_with_the_separators_it_would_hold() {
    // Strict fields cost nothing, or fail; an empty number costs a little.
    assert_eq!(cost_of("%d{ServicePort}", "443", 0), Ok(0));
    assert_eq!(cost_of("%d{ServicePort}", "", 0), Ok(cost::EMPTY_NUMBER));
    assert_eq!(cost_of("%d{ServicePort}", "4,43", 0), Err(Problem::Number));
    // ConnectionID has one comma of its own.
    assert_eq!(cost_of("%s{ConnectionID}", "abc,1", 1), Ok(0));
    assert_eq!(
        cost_of("%s{ConnectionID}", "abc", 1),
        Ok(cost::CONNECTION_ID_WHOLE)
    );
    assert_eq!(cost_of("%s{ConnectionID}", "a,b,c", 1), Ok(cost::TOKEN));
    // Lists take items cheaply, numeric lists most cheaply; free text less so; tokens nearly
    // never.
    assert_eq!(
        cost_of("%d(,){SourcePorts}", "1,2", 0),
        Ok(cost::NUMBER_ITEM)
    );
    assert_eq!(cost_of("%s(,){PosturesHit}", "a,b", 0), Ok(cost::LIST_ITEM));
    assert_eq!(
        cost_of("%s(,){PosturesHit}", "a,,b", 0),
        Ok(2 * cost::LIST_ITEM + cost::LIST_EMPTY)
    );
    assert_eq!(cost_of("%s{UserAgent}", "x, y", 0), Ok(cost::PROSE));
    assert_eq!(cost_of("%s{Customer}", "Acme, Inc.", 0), Ok(cost::TEXT));
    assert_eq!(cost_of("%s{SessionID}", "a,b", 0), Ok(cost::TOKEN));
    assert_eq!(
        cost_of("%s{Unheard}", "a,b", 0),
        Ok(cost::TEXT),
        "a custom key is text"
    );
    // Forms: addresses, country codes, digit strings.
    assert_eq!(cost_of("%s{ServerIP}", "10.0.0.1", 0), Ok(0));
    assert_eq!(cost_of("%s{ServerIP}", "::1", 0), Ok(0));
    assert_eq!(cost_of("%s{ServerIP}", "3421", 0), Ok(cost::MISSHAPEN));
    assert_eq!(cost_of("%s{CountryCode}", "USA", 0), Ok(cost::MISSHAPEN));
    assert_eq!(
        cost_of("%s{ClientToClient}", " Inc.", 0),
        Ok(cost::MISSHAPEN)
    );
    // JSON documents as text keep their commas; SAML attributes are name:value pairs.
    assert_eq!(cost_of("%s{AuditNewValue}", r#"{"a":1,"b":2}"#, 0), Ok(0));
    assert_eq!(
        cost_of("%s{AuditNewValue}", r#"{"a":1},x"#, 0),
        Ok(cost::TOKEN + cost::MISSHAPEN),
        "a document with something after it"
    );
    assert_eq!(cost_of("%s{AuditNewValue}", "a,b", 0), Ok(cost::TEXT));
    assert_eq!(cost_of("%s{SAMLAttributes}", "a:1,b:2", 0), Ok(cost::PAIR));
    assert_eq!(
        cost_of("%s{SAMLAttributes}", "a:1,Disk Encrypted", 0),
        Ok(cost::PAIR + cost::NOT_A_PAIR)
    );
}

#[test]
fn items_are_counted_as_the_split_gives_them() {
    for text in [
        "",
        ",",
        ",,",
        "a",
        "a:b",
        "a,b",
        ",a",
        "a,",
        "a,,b",
        "k:v,x,,k2:v2,",
        ":,:",
        "a::b,c",
    ] {
        let t = text.as_bytes();
        for sep in [&b","[..], b":", b",,", b"::"] {
            let items: Vec<&[u8]> = split(t, sep).collect();
            let expected = Items {
                all: u32::try_from(items.len()).expect("few"),
                colons: u32::try_from(items.iter().filter(|i| i.contains(&b':')).count())
                    .expect("few"),
                empty: u32::try_from(items.iter().filter(|i| i.is_empty()).count()).expect("few"),
            };
            assert_eq!(Items::of(t, sep), expected, "{text:?} by {sep:?}");
        }
    }
}
