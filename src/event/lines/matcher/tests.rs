use super::super::template::Template;
use super::*;

fn pattern(text: &str) -> Pattern {
    Pattern::new(&Template::parse(text).expect("parses"), "test", None).expect("a pattern")
}

/// The text of each field as split.
fn texts<'b>(p: &Pattern, b: &'b [u8], split: &Split) -> Vec<&'b str> {
    p.slots
        .iter()
        .zip(&split.spans)
        .map(|(_, &(s, e))| std::str::from_utf8(&b[s..e]).expect("UTF-8"))
        .collect()
}

fn split(p: &Pattern, line: &str) -> (Vec<String>, Vec<usize>, u32) {
    let s = find(p, line.as_bytes()).unwrap_or_else(|e| panic!("{line}: {e:?}"));
    let t = texts(p, line.as_bytes(), &s)
        .into_iter()
        .map(str::to_owned)
        .collect();
    (t, s.ambiguous, s.cost)
}

const ACTIVITY: &str = "%s{LogTimestamp:time} User Activity zpa-lss: ,%s{Customer},%s{SessionID},\
                        %s{ConnectionID},%s{InternalReason},%d{IPProtocol},%s{Username}\\n";

#[test]
fn connection_id_takes_its_own_comma_in_one_pass() {
    let p = pattern(ACTIVITY);
    let (t, ambiguous, cost) = split(
        &p,
        "Wed Dec  1 10:38:41 2021 User Activity zpa-lss: ,Acme,S1,S1,7,,6,jdoe",
    );
    assert_eq!(
        t,
        [
            "Wed Dec  1 10:38:41 2021",
            "Acme",
            "S1",
            "S1,7",
            "",
            "6",
            "jdoe"
        ]
    );
    assert!(ambiguous.is_empty());
    assert_eq!(cost, 0);
}

#[test]
fn a_comma_in_free_text_goes_to_the_free_text_field() {
    let p = pattern(ACTIVITY);
    let (t, ambiguous, _) = split(
        &p,
        "Wed Dec  1 10:38:41 2021 User Activity zpa-lss: ,Acme, Inc.,S1,S1,7,,6,doe, j",
    );
    assert_eq!(t[1], "Acme, Inc.");
    assert_eq!(t[3], "S1,7");
    assert_eq!(t[6], "doe, j");
    assert!(ambiguous.is_empty());
}

#[test]
fn equally_good_splits_give_the_earlier_field_the_extra_cells_and_are_reported() {
    let p = pattern("%d{N},%s{Policy},%s{Connector},%d{M}\\n");
    let (t, ambiguous, _) = split(&p, "1,a,b,c,2");
    assert_eq!(t, ["1", "a,b", "c", "2"]);
    assert_eq!(ambiguous, [1, 2]);
}

#[test]
fn numbers_and_times_anchor_the_split() {
    let p = pattern("%s{Customer},%d{N},%s{Policy},%s{SessionID}\\n");
    // Only one place for the extra comma lets N be a number.
    let (t, ambiguous, _) = split(&p, "a,b,5,c,d");
    assert_eq!(t, ["a,b", "5", "c", "d"]);
    assert!(ambiguous.is_empty());
}

#[test]
fn parallel_lists_share_the_cells_evenly() {
    let p = pattern(
        "%d{InspectionControlsHitCount},%s(,){InspectionControls},%s(,){InspectionControlTypes},\
         %s(,){InspectionControlCategories},%s(,){Actions},%s(,){Severities},\
         %s(,){DescriptiveExplanationsArray}\\n",
    );
    let (t, ambiguous, _) = split(&p, "2,1,2,P,P,C,D,PASS,BLOCK,W,C,x,y");
    assert_eq!(t, ["2", "1,2", "P,P", "C,D", "PASS,BLOCK", "W,C", "x,y"]);
    assert!(ambiguous.is_empty());
    // A count that does not divide the cells leaves the split reported as ambiguous.
    let (_, ambiguous, _) = split(&p, "3,1,2,P,P,C,D,PASS,BLOCK,W,C,x,y");
    assert!(!ambiguous.is_empty());
}

#[test]
fn glued_fields_split_when_the_glue_occurs_once_between_each() {
    let p = pattern("%s{A}\\t%s{KRBRealm}t%s{KRBClientRealm}t%s{KRBErrorCode}\\t%d{N}\\n");
    let slot = &p.slots[1];
    let parts = |text: &'static str| glued_parts(&p, slot, text.as_bytes());
    assert_eq!(
        parts("CORPtCORPtKDC_ERR"),
        Some(vec![&b"CORP"[..], b"CORP", b"KDC_ERR"])
    );
    assert_eq!(parts("tt"), Some(vec![&b""[..], b"", b""]));
    // A realm in capitals leaves one way to split even with more t's in the text.
    assert_eq!(parts("CORPtCORPtKDC_ERR").map(|p| p.len()), Some(3));
    // Lower-case realms could be cut anywhere.
    assert_eq!(parts("cotrptcorptx"), None);
    assert_eq!(parts("CORP"), None);
}

#[test]
fn kerberos_values_are_told_apart_by_their_form() {
    let p = pattern(
        "%s{KRBRealm}t%s{KRBClientRealm}t%s{KRBUserPrincipal}t%s{KRBServicePrincipal}t\
         %s{KRBEncryption}t%s{KRBTicketEncryption}t%s{KRBErrorCode}\\n",
    );
    let text = "CORP.EXAMPLEtCORP.EXAMPLEtwei.sato@CORP.EXAMPLEtHTTP/intranet.example@CORP.EXAMPLE\
                taes256-cts-hmac-sha1-96trc4-hmact";
    let parts = glued_parts(&p, &p.slots[0], text.as_bytes()).expect("one plausible split");
    assert_eq!(
        parts,
        [
            &b"CORP.EXAMPLE"[..],
            b"CORP.EXAMPLE",
            b"wei.sato@CORP.EXAMPLE",
            b"HTTP/intranet.example@CORP.EXAMPLE",
            b"aes256-cts-hmac-sha1-96",
            b"rc4-hmac",
            b"",
        ]
    );
}

#[test]
fn touching_fields_split_only_when_empty() {
    let p = pattern("%s(,){TrustedNetworksNames}%s(,){PosturesHit}|%d{N}\\n");
    assert_eq!(glued_parts(&p, &p.slots[0], b""), Some(vec![&b""[..], b""]));
    assert_eq!(glued_parts(&p, &p.slots[0], b"HomeDisk"), None);
}

#[test]
fn failures_say_how_far_the_line_fits() {
    let p = pattern(ACTIVITY);
    assert_eq!(
        find(
            &p,
            b"Wed Dec  1 10:38:41 2021 User Activity zpa-lss: ,Acme,S1"
        ),
        Err(Failure::Count {
            found: 2,
            needed: 6
        })
    );
    match find(
        &p,
        b"Wed Dec  1 10:38:41 2021 User Activity zpa-lss: ,Acme,S1,S1,7,x,tcp,jdoe",
    ) {
        Err(Failure::Value {
            field: 5,
            problem: Problem::Number,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    match find(&p, b"Someday User Activity zpa-lss: ,Acme,S1,S1,7,,6,jdoe") {
        Err(Failure::Value {
            field: 0,
            problem: Problem::Time,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    let custom = pattern("<%d{N}> user=%s{Username} ok\\n");
    assert_eq!(find(&custom, b"[5] user=x ok"), Err(Failure::Lead));
    assert!(matches!(
        find(&custom, b"<5> user=x fine"),
        Err(Failure::Literal { slot: 1, .. })
    ));
    assert!(find(&custom, b"<5> user=a ok ok").is_ok());
}

#[test]
fn a_line_too_ambiguous_to_weigh_is_refused() {
    let fields: Vec<String> = (0..60).map(|i| format!("%s{{F{i}}}")).collect();
    let p = pattern(&fields.join(" "));
    let line = vec![b'x'; 400]
        .into_iter()
        .enumerate()
        .map(|(i, b)| if i % 2 == 1 { b' ' } else { b })
        .collect::<Vec<u8>>();
    assert_eq!(find(&p, &line), Err(Failure::TooAmbiguous));
}
