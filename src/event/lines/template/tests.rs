use super::*;

fn parse(text: &str) -> Template {
    Template::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

fn fields(t: &Template) -> Vec<&Field> {
    t.fields().collect()
}

fn error(text: &str) -> (usize, TemplateProblem) {
    let e = Template::parse(text).expect_err(text);
    (e.position(), e.problem)
}

#[test]
fn placeholders_with_every_part() {
    let t = parse("%-08.3d{A} %s(,){B} %j{LogTimestamp:iso8601} %#x{C} %o{D} %J{E}\\n");
    let f = fields(&t);
    assert_eq!(f.len(), 6);
    assert_eq!(f[0].spec, Spec::Int);
    assert!(f[0].flags.left && f[0].flags.zero);
    assert_eq!((f[0].width, f[0].precision), (Some(8), Some(3)));
    assert_eq!(f[1].list.as_deref(), Some(&b","[..]));
    assert_eq!(f[2].modifier, Some(TimeModifier::Iso8601));
    assert_eq!(f[2].spec, Spec::Json);
    assert!(f[3].flags.alt);
    assert_eq!(f[3].spec, Spec::Hex);
    assert_eq!(f[4].spec, Spec::Hash);
    assert_eq!(f[5].spec, Spec::JsonBare);
    assert_eq!(
        t.field_names().collect::<Vec<_>>(),
        ["A", "B", "LogTimestamp", "C", "D", "E"]
    );
    assert_eq!(f[1].at, 11, "the offset of its %");
}

#[test]
fn literal_text_has_its_escapes_decoded_and_loses_the_final_line_break() {
    let t = parse("<134>%s{A}\\t100%%\\\\x\\r\\n");
    assert_eq!(
        t.pieces(),
        [
            Piece::Text(b"<134>".to_vec().into()),
            Piece::Field(fields(&t)[0].clone()),
            Piece::Text(b"\t100%\\x".to_vec().into()),
        ]
    );
    // A real line break at the end is the end of the line as well.
    assert_eq!(parse("%s{A}\n").pieces().len(), 1);
    // Without one, the template is the same.
    assert_eq!(parse("%s{A}").pieces(), parse("%s{A}\\n").pieces());
    assert_eq!(parse("%s{A}").text(), "%s{A}");
}

#[test]
fn the_ldap_templates_stray_comma_is_text_before_the_value() {
    let t = parse("{\"UserID\": %j,{UserID},\"AssistantID\": %j{AssistantID}}\\n");
    match &t.pieces()[..2] {
        [Piece::Text(before), Piece::Field(f)] => {
            assert_eq!(&**before, b"{\"UserID\": ,");
            assert_eq!(&*f.name, "UserID");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn list_separators_may_hold_escapes() {
    let t = parse("%s(\\t){A}");
    assert_eq!(fields(&t)[0].list.as_deref(), Some(&b"\t"[..]));
}

#[test]
fn errors_name_the_position_and_the_problem() {
    assert_eq!(
        error("ab %q{X}"),
        (4, TemplateProblem::UnknownSpec("q".into()))
    );
    assert_eq!(error("ab %s{Xyz"), (5, TemplateProblem::UnclosedBrace));
    assert_eq!(error("%s{Xy %s{Z}"), (2, TemplateProblem::UnclosedBrace));
    assert_eq!(error("%s{Xyz:time"), (2, TemplateProblem::UnclosedBrace));
    assert_eq!(error("x,%s{}"), (5, TemplateProblem::EmptyFieldName));
    assert_eq!(error("%s{:time}"), (3, TemplateProblem::EmptyFieldName));
    assert_eq!(
        error("%s{A-B}"),
        (4, TemplateProblem::FieldNameCharacter('-'))
    );
    assert!(matches!(
        error("%s{A:week}"),
        (5, TemplateProblem::UnknownModifier(m, _)) if m == "week"
    ));
    assert_eq!(error("%s(,{A}"), (2, TemplateProblem::UnclosedSeparator));
    assert_eq!(error("%s(){A}"), (2, TemplateProblem::EmptySeparator));
    assert_eq!(
        error("%s{A}\\q"),
        (5, TemplateProblem::UnknownEscape("\\q".into()))
    );
    assert_eq!(
        error("%s{A}\\"),
        (5, TemplateProblem::UnknownEscape("\\".into()))
    );
    assert_eq!(error("%s{A}\\n%s{B}\\n"), (5, TemplateProblem::LineBreak));
    assert_eq!(error("%s{A}\n%s{B}"), (5, TemplateProblem::LineBreak));
    assert_eq!(error(""), (0, TemplateProblem::Empty));
    assert_eq!(error("\\n"), (0, TemplateProblem::Empty));
    assert_eq!(error("no fields\\n"), (0, TemplateProblem::NoField));
    assert_eq!(error("abc %5"), (4, TemplateProblem::Unfinished));
    assert_eq!(
        error("%s Customer"),
        (2, TemplateProblem::MissingBrace('s', " ".into()))
    );
    assert_eq!(
        error("%s"),
        (
            2,
            TemplateProblem::MissingBrace('s', "end of template".into())
        )
    );
    assert_eq!(error("%99999s{A}"), (1, TemplateProblem::TooWide(99_999)));
}

#[test]
fn an_error_reads_as_one_line_with_its_position() {
    let e = Template::parse("%s{Customer},%q{X}").expect_err("unknown spec");
    assert_eq!(
        e.to_string(),
        "template error at byte 14: unknown spec \"q\" after '%' (expected one of s, j, J, d, x, \
         f, o, or %% for a percent sign)"
    );
}

#[test]
fn templates_read_from_text() {
    let t: Template = "%s{A}".parse().expect("parses");
    assert_eq!(t.to_string(), "%s{A}");
}
